/* cairn-message-row.c — one message of a conversation, as a bubble
 *
 * A row shows at most PREVIEW_CHARS characters (PREVIEW_LINES lines) of its
 * message, and of a run without a space at most PREVIEW_RUN_CHARS: Pango
 * lays a label out as a whole, and wrapping a run without a space takes time
 * that grows with the square of its length (a message of 100 000 such
 * characters froze the window for minutes; a label of 2 000 takes most of a
 * second, of 400 a few milliseconds). Longer messages end in "…" and a Show
 * Full Message button, which opens all of the text in a CairnMessageWindow.
 * The button, too, is built the first time the row shows such a message: a
 * button was a seventh of the cost of a page of history, for a few rows.
 *
 * A message the user's database refused for good (it waits in the outbox,
 * failed) says so in the row itself, with the reason, and offers to copy its
 * text, to retry it, or to discard it (after asking: its text is lost). That
 * panel is a CairnMessageFailure, built the first time the row shows a failed
 * message and kept (hidden) for the messages the row shows after: it would be
 * most of every row's widgets, and rows are made a page at a time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-message-row"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <adwaita.h>

#include "cairn-date.h"
#include "cairn-message.h"
#include "cairn-message-failure.h"
#include "cairn-message-row.h"
#include "cairn-message-window.h"
#include "cairn-outbox-delivery.h"
#include "cairn-side-bin.h"
#include "cairn-workspace.h"
#include "cairn-wrap-bin.h"

#define PREVIEW_CHARS     2000
#define PREVIEW_LINES     40
#define PREVIEW_RUN_CHARS 400
/* The preview ends at a space if there is one this close to its end. */
#define PREVIEW_WORD_SLACK 200
#define COPIED_SECONDS 2

struct _CairnMessageRow
{
  GtkWidget       parent_instance;

  CairnWorkspace *workspace;
  CairnMessage   *message;
  gulong          notify_id;
  GCancellable   *cancellable;   /* a retry or a discard on its way */
  char           *action_error;  /* why the last retry or discard did not happen */
  gboolean        truncated;
  guint           copied_id;

  CairnSideBin   *side;
  GtkWidget      *bubble;
  GtkWidget      *content_bin;
  GtkLabel       *content_label;
  GtkWidget      *show_full_button;  /* (nullable): built for the first long message */
  GtkWidget      *failure;       /* (nullable): built for the first failed message */
  GtkLabel       *time_label;
};

G_DEFINE_FINAL_TYPE (CairnMessageRow, cairn_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers */

/* Messages the user wrote sit on the trailing side; anything else (a future
 * assistant, an import) on the leading side. */
static gboolean
is_outgoing (CairnMessage *message)
{
  const char *role = cairn_message_get_role (message);

  return role == NULL || *role == '\0' || g_str_equal (role, "user");
}

/* The beginning of @content the row shows, or NULL when it shows all of it. */
static char *
preview (const char *content)
{
  const char *p;
  const char *cut = NULL;
  const char *last_space = NULL;
  guint chars = 0;
  guint lines = 1;
  guint run = 0;

  for (p = content; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean space = g_unichar_isspace (c);

      if (chars == PREVIEW_CHARS || (c == '\n' && lines == PREVIEW_LINES) || (!space && run == PREVIEW_RUN_CHARS))
        {
          cut = p;
          break;
        }

      if (c == '\n')
        lines++;
      if (space)
        {
          last_space = p;
          run = 0;
        }
      else
        run++;
      chars++;
    }

  if (cut == NULL)
    return NULL;

  if (last_space != NULL && last_space != content && g_utf8_pointer_to_offset (last_space, cut) < PREVIEW_WORD_SLACK)
    cut = last_space;

  return g_strdup_printf ("%.*s…", (int) (cut - content), content);
}

static const char *
failure (CairnMessageRow *self)
{
  return self->message != NULL ? cairn_message_get_failure (self->message) : NULL;
}

static void
update_actions (CairnMessageRow *self)
{
  gboolean can_resolve = self->workspace != NULL && failure (self) != NULL && self->cancellable == NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.copy", self->message != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.show-full", self->message != NULL && self->truncated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.retry", can_resolve);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.discard", can_resolve);
}

static void
reset_copy_button (CairnMessageRow *self)
{
  g_clear_handle_id (&self->copied_id, g_source_remove);
  if (self->failure != NULL)
    cairn_message_failure_set_copied (CAIRN_MESSAGE_FAILURE (self->failure), FALSE);
}

/* The button goes under the text. */
static GtkWidget *
ensure_show_full_button (CairnMessageRow *self)
{
  if (self->show_full_button == NULL)
    {
      self->show_full_button = gtk_button_new_with_label (_("Show Full Message"));
      gtk_widget_set_halign (self->show_full_button, GTK_ALIGN_START);
      gtk_widget_set_tooltip_text (self->show_full_button,
                                   _("Only the beginning of this long message is shown here"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->show_full_button), "row.show-full");
      gtk_widget_add_css_class (self->show_full_button, "flat");
      gtk_widget_add_css_class (self->show_full_button, "small");
      gtk_box_insert_child_after (GTK_BOX (self->bubble), self->show_full_button, self->content_bin);
    }

  return self->show_full_button;
}

/* The panel goes under the text (and its Show Full Message button). */
static CairnMessageFailure *
ensure_failure_panel (CairnMessageRow *self)
{
  if (self->failure == NULL)
    {
      self->failure = cairn_message_failure_new ();
      gtk_box_insert_child_after (GTK_BOX (self->bubble), self->failure,
                                  self->show_full_button != NULL ? self->show_full_button : self->content_bin);
    }

  return CAIRN_MESSAGE_FAILURE (self->failure);
}

static void
update_failure (CairnMessageRow *self)
{
  const char *reason = failure (self);

  if (reason != NULL)
    {
      CairnMessageFailure *panel = ensure_failure_panel (self);
      const char *said = *reason != '\0' ? reason : _("No reason was given.");
      g_autofree char *text = NULL;

      if (self->action_error != NULL)
        text = g_strconcat (said, "\n\n", self->action_error, NULL);
      cairn_message_failure_set_reason (panel, text != NULL ? text : said);
      gtk_widget_set_visible (self->failure, TRUE);
      gtk_widget_add_css_class (self->bubble, "failed");
    }
  else
    {
      if (self->failure != NULL)
        {
          cairn_message_failure_set_reason (CAIRN_MESSAGE_FAILURE (self->failure), "");
          gtk_widget_set_visible (self->failure, FALSE);
        }
      gtk_widget_remove_css_class (self->bubble, "failed");
    }

  update_actions (self);
}

static void
update (CairnMessageRow *self)
{
  g_autofree char *when = NULL;
  g_autofree char *shown = NULL;
  const char *content = "";
  gboolean outgoing = TRUE;

  if (self->message != NULL)
    {
      content = cairn_message_get_content (self->message);
      when = cairn_date_format_time (cairn_message_get_created_at (self->message), NULL);
      outgoing = is_outgoing (self->message);
    }
  if (content == NULL)
    content = "";

  shown = preview (content);
  self->truncated = shown != NULL;
  gtk_label_set_label (self->content_label, shown != NULL ? shown : content);
  if (self->truncated)
    gtk_widget_set_visible (ensure_show_full_button (self), TRUE);
  else if (self->show_full_button != NULL)
    gtk_widget_set_visible (self->show_full_button, FALSE);
  gtk_label_set_label (self->time_label, when != NULL ? when : "");
  cairn_side_bin_set_end (self->side, outgoing);

  if (outgoing)
    gtk_widget_add_css_class (self->bubble, "outgoing");
  else
    gtk_widget_remove_css_class (self->bubble, "outgoing");

  update_failure (self);
}

/* A retry or a discard of the message shown no longer matters. */
static void
forget_action (CairnMessageRow *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->action_error, g_free);
}

/* Retrying and discarding */

/* A retry or a discard on its way. */
typedef struct {
  CairnMessageRow *self;
  GCancellable    *cancellable;
} Action;

static void
action_free (Action *action)
{
  g_object_unref (action->self);
  g_object_unref (action->cancellable);
  g_free (action);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Action, action_free)

static Action *
action_new (CairnMessageRow *self)
{
  Action *action = g_new0 (Action, 1);

  action->self = g_object_ref (self);
  action->cancellable = g_object_ref (self->cancellable);

  return action;
}

/* @failed: (transfer full) (nullable): why it did not happen, for the user */
static void
action_done (Action *action,
             char   *failed)
{
  CairnMessageRow *self = action->self;

  /* the row shows another message (or none) by now */
  if (action->cancellable != self->cancellable)
    {
      g_free (failed);
      return;
    }

  g_clear_object (&self->cancellable);
  g_free (self->action_error);
  self->action_error = failed;

  update_failure (self);
}

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Action) action = user_data;
  g_autoptr(GError) error = NULL;

  if (cairn_outbox_delivery_retry_finish (CAIRN_OUTBOX_DELIVERY (object), result, &error))
    action_done (action, NULL);
  else
    /* Translators: %s is the reason */
    action_done (action, g_strdup_printf (_("Could not retry it: %s"), error->message));
}

static void
discarded_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Action) action = user_data;
  g_autoptr(GError) error = NULL;

  if (cairn_outbox_delivery_discard_finish (CAIRN_OUTBOX_DELIVERY (object), result, &error))
    action_done (action, NULL);
  else
    /* Translators: %s is the reason */
    action_done (action, g_strdup_printf (_("Could not discard it: %s"), error->message));
}

static gboolean
start_action (CairnMessageRow *self)
{
  if (self->workspace == NULL || self->message == NULL || failure (self) == NULL || self->cancellable != NULL)
    return FALSE;

  g_clear_pointer (&self->action_error, g_free);
  self->cancellable = g_cancellable_new ();
  update_actions (self);

  return TRUE;
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (widget);

  if (!start_action (self))
    return;

  cairn_outbox_delivery_retry_async (cairn_workspace_get_delivery (self->workspace), "messages",
                                     cairn_message_get_client_id (self->message),
                                     self->cancellable, retried_cb, action_new (self));
}

static void
discard_confirmed (CairnMessageRow *self)
{
  if (!start_action (self))
    return;

  cairn_outbox_delivery_discard_async (cairn_workspace_get_delivery (self->workspace), "messages",
                                       cairn_message_get_client_id (self->message),
                                       self->cancellable, discarded_cb, action_new (self));
}

static void
on_discard_answer (AdwMessageDialog *dialog,
                   const char       *response,
                   CairnMessageRow  *self)
{
  CairnMessage *asked_for = g_object_get_data (G_OBJECT (dialog), "message");

  /* only the message the user was asked about */
  if (g_str_equal (response, "discard") && asked_for == self->message)
    discard_confirmed (self);
}

/* The text is nowhere else: ask first. */
static void
discard_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  if (self->message == NULL || failure (self) == NULL)
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Discard This Message?"), NULL));
  adw_message_dialog_set_body (dialog,
                               _("Your database refused it, and it is not saved anywhere else: its text "
                                 "will be lost. Copy it first to keep it."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "message", g_object_ref (self->message), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_discard_answer), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

/* Copying and showing all of it */

static gboolean
copied_cb (gpointer user_data)
{
  CairnMessageRow *self = user_data;

  self->copied_id = 0;
  reset_copy_button (self);

  return G_SOURCE_REMOVE;
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (widget);
  const char *content;

  if (self->message == NULL)
    return;

  content = cairn_message_get_content (self->message);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), content != NULL ? content : "");

  /* say it was done, where it was asked for */
  reset_copy_button (self);
  if (self->failure != NULL)
    cairn_message_failure_set_copied (CAIRN_MESSAGE_FAILURE (self->failure), TRUE);
  self->copied_id = g_timeout_add_seconds (COPIED_SECONDS, copied_cb, self);
}

static void
show_full_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->message == NULL)
    return;

  gtk_window_present (GTK_WINDOW (cairn_message_window_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                            self->message)));
}

static void
on_message_notify (CairnMessageRow *self)
{
  update (self);
}

/* GObject */

static void
cairn_message_row_dispose (GObject *object)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (object);
  GtkWidget *child;

  cairn_message_row_set_message (self, NULL);
  forget_action (self);
  g_clear_handle_id (&self->copied_id, g_source_remove);
  g_clear_object (&self->workspace);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_MESSAGE_ROW);
  /* The clamp is not a bound template child: unparent it by hand. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cairn_message_row_parent_class)->dispose (object);
}

static void
cairn_message_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_row_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CairnMessageRow *self = CAIRN_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      cairn_message_row_set_workspace (self, g_value_get_object (value));
      break;

    case PROP_MESSAGE:
      cairn_message_row_set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_row_class_init (CairnMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_message_row_dispose;
  object_class->get_property = cairn_message_row_get_property;
  object_class->set_property = cairn_message_row_set_property;

  /* retries and discards what the user's database refused; NULL: it cannot */
  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         CAIRN_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CAIRN_TYPE_SIDE_BIN);
  g_type_ensure (CAIRN_TYPE_WRAP_BIN);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, side);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, content_label);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, content_bin);
  gtk_widget_class_bind_template_child (widget_class, CairnMessageRow, time_label);

  gtk_widget_class_install_action (widget_class, "row.show-full", NULL, show_full_action);
  gtk_widget_class_install_action (widget_class, "row.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "row.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "row.discard", NULL, discard_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-message-row");
}

static void
cairn_message_row_init (CairnMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

GtkWidget *
cairn_message_row_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_MESSAGE_ROW, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_message_row_get_workspace (CairnMessageRow *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE_ROW (self), NULL);

  return self->workspace;
}

void
cairn_message_row_set_workspace (CairnMessageRow *self,
                                 CairnWorkspace  *workspace)
{
  g_return_if_fail (CAIRN_IS_MESSAGE_ROW (self));
  g_return_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace));

  if (!g_set_object (&self->workspace, workspace))
    return;

  forget_action (self);
  update_failure (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

CairnMessage *
cairn_message_row_get_message (CairnMessageRow *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

void
cairn_message_row_set_message (CairnMessageRow *self,
                               CairnMessage    *message)
{
  g_return_if_fail (CAIRN_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || CAIRN_IS_MESSAGE (message));

  if (self->message == message)
    return;

  if (self->message != NULL)
    g_clear_signal_handler (&self->notify_id, self->message);

  g_set_object (&self->message, message);
  forget_action (self);
  reset_copy_button (self);

  if (message != NULL)
    self->notify_id = g_signal_connect_object (message, "notify",
                                               G_CALLBACK (on_message_notify),
                                               self, G_CONNECT_SWAPPED);

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}
