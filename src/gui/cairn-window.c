/* cairn-window.c — the main window: conversations beside the one shown
 *
 * An AdwLeaflet holds the sidebar (CairnConversationList) and the content
 * (CairnConversationView above a CairnComposer); both follow the list's
 * selection. Size, maximized state and the shown conversation are kept in
 * GSettings. While the user's database is connecting or blocked, a
 * CairnConnectionOverlay covers both panes below the header bars and the
 * content under it is out of reach of mouse, keyboard and shortcuts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-composer.h"
#include "cairn-connection-overlay.h"
#include "cairn-conversation-list.h"
#include "cairn-conversation.h"
#include "cairn-conversation-view.h"
#include "cairn-conversations.h"
#include "cairn-window.h"
#include "cairn-workspace.h"

struct _CairnWindow
{
  AdwApplicationWindow   parent_instance;

  CairnWorkspace        *workspace;
  GSettings             *settings;
  GCancellable          *cancellable;
  CairnConversation     *conversation;    /* the one shown, tracked for its title */
  char                  *focus_when_shown; /* focus the composer when this one shows */

  AdwToastOverlay       *toast_overlay;
  AdwLeaflet            *leaflet;
  GtkWidget             *sidebar;
  GtkWidget             *content;
  GtkWidget             *sidebar_header_bar;
  GtkWidget             *content_header_bar;
  CairnConnectionOverlay *connection_overlay;
  AdwWindowTitle        *content_title;
  GtkWidget             *conversation_menu_button;
  CairnConversationList *conversation_list;
  CairnConversationView *conversation_view;
  CairnComposer         *composer;
};

G_DEFINE_FINAL_TYPE (CairnWindow, cairn_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_WORKSPACE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers */

static void show_error (CairnWindow *self,
                        const char  *format,
                        ...) G_GNUC_PRINTF (2, 3);

static void
show_error (CairnWindow *self,
            const char  *format,
            ...)
{
  g_autofree char *title = NULL;
  va_list args;

  va_start (args, format);
  title = g_strdup_vprintf (format, args);
  va_end (args);

  cairn_window_add_toast (self, title);
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static const char *
conversation_title (CairnConversation *conversation)
{
  const char *title = cairn_conversation_get_title (conversation);

  return title != NULL && *title != '\0' ? title : _("Untitled Conversation");
}

static void
update_title (CairnWindow *self)
{
  adw_window_title_set_title (self->content_title,
                              self->conversation != NULL ? conversation_title (self->conversation) : "");
}

static gboolean
is_blocked (CairnWindow *self)
{
  return self->connection_overlay != NULL && cairn_connection_overlay_get_blocking (self->connection_overlay);
}

static void
update_actions (CairnWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean has_conversation = self->conversation != NULL;
  gboolean blocked = is_blocked (self);

  gtk_widget_action_set_enabled (widget, "win.new-conversation", !blocked);
  gtk_widget_action_set_enabled (widget, "win.rename-conversation", has_conversation && !blocked);
  gtk_widget_action_set_enabled (widget, "win.delete-conversation", has_conversation && !blocked);
  gtk_widget_set_visible (self->conversation_menu_button, has_conversation);
  gtk_widget_set_sensitive (self->conversation_menu_button, !blocked);
  gtk_widget_set_visible (GTK_WIDGET (self->composer), has_conversation);
}

static void
on_conversation_notify (CairnWindow *self)
{
  update_title (self);
}

static void
track_conversation (CairnWindow       *self,
                    CairnConversation *conversation)
{
  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_func (self->conversation, on_conversation_notify, self);

  g_set_object (&self->conversation, conversation);

  if (conversation != NULL)
    g_signal_connect_object (conversation, "notify",
                             G_CALLBACK (on_conversation_notify), self, G_CONNECT_SWAPPED);

  update_title (self);
  update_actions (self);
}

static void
save_window_state (CairnWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static void
restore_window_state (CairnWindow *self)
{
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* Callbacks */

static void
on_selected_conversation_changed (CairnWindow *self)
{
  CairnConversation *conversation = cairn_conversation_list_get_selected_conversation (self->conversation_list);
  const char *id = conversation != NULL ? cairn_conversation_get_client_id (conversation) : NULL;

  if (self->conversation != NULL && conversation != NULL
      && g_strcmp0 (id, cairn_conversation_get_client_id (self->conversation)) == 0)
    {
      track_conversation (self, conversation);
      return;
    }

  track_conversation (self, conversation);
  g_settings_set_string (self->settings, "selected-conversation", id != NULL ? id : "");

  if (conversation != NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->content);

  /* A new conversation is for writing; so is one shown while nothing has focus. */
  if (id != NULL && (g_strcmp0 (id, self->focus_when_shown) == 0
                     || gtk_window_get_focus (GTK_WINDOW (self)) == NULL))
    {
      g_clear_pointer (&self->focus_when_shown, g_free);
      gtk_widget_grab_focus (GTK_WIDGET (self->composer));
    }
}

static void
on_leaflet_folded_changed (CairnWindow *self)
{
  /* Unfolding shows both panes; folding shows the conversation if there is one. */
  if (adw_leaflet_get_folded (self->leaflet) && self->conversation == NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
on_composer_failed (CairnWindow *self,
                    const char  *message)
{
  cairn_window_add_toast (self, message);
}

/* The connection overlay lies below the header bars, over both panes. */
static gboolean
on_get_child_position (GtkOverlay   *overlay,
                       GtkWidget    *widget,
                       GdkRectangle *allocation,
                       CairnWindow  *self)
{
  int top;

  if (widget != GTK_WIDGET (self->connection_overlay))
    return FALSE;

  /* the panes were allocated first: their header bars have their height */
  top = MAX (gtk_widget_get_height (self->sidebar_header_bar),
             gtk_widget_get_height (self->content_header_bar));

  allocation->x = 0;
  allocation->y = top;
  allocation->width = gtk_widget_get_width (GTK_WIDGET (overlay));
  allocation->height = MAX (0, gtk_widget_get_height (GTK_WIDGET (overlay)) - top);

  return TRUE;
}

/* Nothing under the overlay can be clicked, focused or reached by a
 * shortcut while it blocks; when it goes, the focus goes back to writing. */
static void
on_connection_blocking_changed (CairnWindow *self)
{
  gboolean blocked = is_blocked (self);

  gtk_widget_set_sensitive (GTK_WIDGET (self->conversation_list), !blocked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->conversation_view), !blocked);
  gtk_widget_set_sensitive (GTK_WIDGET (self->composer), !blocked);
  update_actions (self);

  if (blocked)
    return;

  if (self->conversation != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));
  else
    gtk_widget_child_focus (GTK_WIDGET (self->conversation_list), GTK_DIR_TAB_FORWARD);
}

/* New conversation */

static void
create_conversation_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(CairnWindow) self = user_data;
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  const char *id;

  conversation = cairn_conversations_create_finish (CAIRN_WORKSPACE (object), result, &error);
  if (is_cancelled (error))
    return;

  if (conversation == NULL)
    {
      cairn_composer_cancel_expected (self->composer);
      /* Translators: %s is the reason */
      show_error (self, _("Could not create the conversation: %s"), error->message);
      return;
    }

  id = cairn_conversation_get_client_id (conversation);
  g_free (self->focus_when_shown);
  self->focus_when_shown = g_strdup (id);
  cairn_conversation_list_select (self->conversation_list, id);
}

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  CairnWindow *self = CAIRN_WINDOW (widget);

  /* what is typed from now on is for the new conversation, while it is made */
  cairn_composer_expect_conversation (self->composer);
  cairn_conversations_create_async (self->workspace, _("New Conversation"),
                                             self->cancellable, create_conversation_cb, g_object_ref (self));
}

/* Rename */

static void
rename_conversation_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(CairnWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cairn_conversations_rename_finish (CAIRN_WORKSPACE (object), result, &error)
      && !is_cancelled (error))
    /* Translators: %s is the reason */
    show_error (self, _("Could not rename the conversation: %s"), error->message);
}

static void
on_rename_response (AdwMessageDialog *dialog,
                    const char       *response,
                    CairnWindow      *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *id = g_object_get_data (G_OBJECT (dialog), "conversation-id");
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (!g_str_equal (response, "rename") || *title == '\0')
    return;

  cairn_conversations_rename_async (self->workspace, id, title,
                                             self->cancellable, rename_conversation_cb, g_object_ref (self));
}

static void
on_rename_entry_changed (GtkEditable      *entry,
                         AdwMessageDialog *dialog)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "rename", *title != '\0');
}

static void
on_rename_entry_activate (GtkEntry         *entry,
                          AdwMessageDialog *dialog)
{
  if (adw_message_dialog_get_response_enabled (dialog, "rename"))
    {
      adw_message_dialog_response (dialog, "rename");
      gtk_window_close (GTK_WINDOW (dialog));
    }
}

static GtkWidget *
rename_entry_new (AdwMessageDialog  *dialog,
                  CairnConversation *conversation)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_editable_set_text (GTK_EDITABLE (entry), cairn_conversation_get_title (conversation));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Title"),
                                  -1);
  g_signal_connect (entry, "changed", G_CALLBACK (on_rename_entry_changed), dialog);
  g_signal_connect (entry, "activate", G_CALLBACK (on_rename_entry_activate), dialog);

  return entry;
}

static void
rename_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  CairnWindow *self = CAIRN_WINDOW (widget);
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  g_return_if_fail (self->conversation != NULL);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Rename Conversation"), NULL));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "rename");
  adw_message_dialog_set_close_response (dialog, "cancel");

  entry = rename_entry_new (dialog, self->conversation);
  adw_message_dialog_set_extra_child (dialog, entry);
  g_object_set_data_full (G_OBJECT (dialog), "conversation-id",
                          g_strdup (cairn_conversation_get_client_id (self->conversation)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_rename_response), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* Delete */

static void
delete_conversation_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(CairnWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cairn_conversations_delete_finish (CAIRN_WORKSPACE (object), result, &error)
      && !is_cancelled (error))
    /* Translators: %s is the reason */
    show_error (self, _("Could not delete the conversation: %s"), error->message);
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    CairnWindow      *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "conversation-id");

  if (!g_str_equal (response, "delete"))
    return;

  cairn_conversations_delete_async (self->workspace, id,
                                             self->cancellable, delete_conversation_cb, g_object_ref (self));
}

static void
delete_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  CairnWindow *self = CAIRN_WINDOW (widget);
  AdwMessageDialog *dialog;

  g_return_if_fail (self->conversation != NULL);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Delete Conversation?"), NULL));
  /* Translators: %s is the title of the conversation */
  adw_message_dialog_format_body (dialog, _("“%s” and its messages will be deleted. This cannot be undone."),
                                  conversation_title (self->conversation));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "conversation-id",
                          g_strdup (cairn_conversation_get_client_id (self->conversation)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
go_back_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CairnWindow *self = CAIRN_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* GObject and GtkWindow */

static gboolean
cairn_window_close_request (GtkWindow *window)
{
  CairnWindow *self = CAIRN_WINDOW (window);

  cairn_composer_save_draft (self->composer);
  save_window_state (self);

  if (GTK_WINDOW_CLASS (cairn_window_parent_class)->close_request != NULL)
    return GTK_WINDOW_CLASS (cairn_window_parent_class)->close_request (window);

  return GDK_EVENT_PROPAGATE;
}

static void
cairn_window_constructed (GObject *object)
{
  CairnWindow *self = CAIRN_WINDOW (object);
  g_autofree char *selected = NULL;

  G_OBJECT_CLASS (cairn_window_parent_class)->constructed (object);

  g_return_if_fail (CAIRN_IS_WORKSPACE (self->workspace));

  selected = g_settings_get_string (self->settings, "selected-conversation");
  if (*selected != '\0')
    cairn_conversation_list_select (self->conversation_list, selected);
}

static void
cairn_window_dispose (GObject *object)
{
  CairnWindow *self = CAIRN_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  track_conversation (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cairn_window_parent_class)->dispose (object);
}

static void
cairn_window_finalize (GObject *object)
{
  CairnWindow *self = CAIRN_WINDOW (object);

  g_free (self->focus_when_shown);

  G_OBJECT_CLASS (cairn_window_parent_class)->finalize (object);
}

static void
cairn_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CairnWindow *self = CAIRN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CairnWindow *self = CAIRN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      /* Construct-only; the notification reaches the template's bindings. */
      if (g_set_object (&self->workspace, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_window_class_init (CairnWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = cairn_window_constructed;
  object_class->dispose = cairn_window_dispose;
  object_class->finalize = cairn_window_finalize;
  object_class->get_property = cairn_window_get_property;
  object_class->set_property = cairn_window_set_property;

  window_class->close_request = cairn_window_close_request;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Types the template refers to by name. */
  g_type_ensure (CAIRN_TYPE_COMPOSER);
  g_type_ensure (CAIRN_TYPE_CONNECTION_OVERLAY);
  g_type_ensure (CAIRN_TYPE_CONVERSATION_LIST);
  g_type_ensure (CAIRN_TYPE_CONVERSATION_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, content);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, sidebar_header_bar);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, content_header_bar);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, connection_overlay);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, conversation_menu_button);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, conversation_view);
  gtk_widget_class_bind_template_child (widget_class, CairnWindow, composer);
  gtk_widget_class_bind_template_callback (widget_class, on_selected_conversation_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_leaflet_folded_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_composer_failed);
  gtk_widget_class_bind_template_callback (widget_class, on_get_child_position);
  gtk_widget_class_bind_template_callback (widget_class, on_connection_blocking_changed);

  /* "win." like the actions GtkApplicationWindow has (show-help-overlay):
   * the menus, the shortcuts and the accelerators name them so */
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.rename-conversation", NULL, rename_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.delete-conversation", NULL, delete_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.go-back", NULL, go_back_action);
}

static void
cairn_window_init (CairnWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  restore_window_state (self);
  update_actions (self);
}

/* Public API */

CairnWindow *
cairn_window_new (GtkApplication *application,
                  CairnWorkspace *workspace)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_WINDOW,
                       "application", application,
                       "workspace", workspace,
                       NULL);
}

CairnWorkspace *
cairn_window_get_workspace (CairnWindow *self)
{
  g_return_val_if_fail (CAIRN_IS_WINDOW (self), NULL);

  return self->workspace;
}

void
cairn_window_add_toast (CairnWindow *self,
                        const char  *title)
{
  g_autofree char *markup = NULL;
  AdwToast *toast;

  g_return_if_fail (CAIRN_IS_WINDOW (self));
  g_return_if_fail (title != NULL);

  /* An answer that arrives after the window closed has nowhere to go. */
  if (self->toast_overlay == NULL)
    return;

  /* A toast's title is Pango markup; error messages are plain text. */
  markup = g_markup_escape_text (title, -1);
  toast = adw_toast_new (markup);
  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
