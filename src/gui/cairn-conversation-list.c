/* cairn-conversation-list.c — the sidebar: every conversation, newest first
 *
 * A GtkListView over the workspace's paged conversation listing. The next
 * page is loaded when the view is scrolled near its end. The selection is
 * kept by clientId: when the listing moves a conversation (it was updated)
 * the same conversation stays selected.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-conversation-list"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <adwaita.h>

#include "cairn-conversation.h"
#include "cairn-conversation-list.h"
#include "cairn-conversation-row.h"
#include "cairn-conversations.h"
#include "cairn-paged-list.h"
#include "cairn-workspace.h"

/* Load the next page when fewer than this many pixels are left below the view. */
#define LOAD_MORE_MARGIN 400.0

struct _CairnConversationList
{
  GtkWidget           parent_instance;

  CairnWorkspace     *workspace;
  CairnPagedList     *conversations;
  GtkSingleSelection *selection;
  CairnConversation  *selected;
  char               *pending_id;     /* select this one as soon as it is listed */
  guint               check_idle_id;

  GtkStack           *stack;
  GtkSpinner         *spinner;
  GtkScrolledWindow  *scrolled_window;
  GtkListView        *list_view;
  AdwStatusPage      *error_page;
};

G_DEFINE_FINAL_TYPE (CairnConversationList, cairn_conversation_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_SELECTED_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers */

static void
set_selected (CairnConversationList *self,
              CairnConversation     *conversation)
{
  if (g_set_object (&self->selected, conversation))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_CONVERSATION]);
}

static void
update_page (CairnConversationList *self)
{
  const GError *error = NULL;
  const char *page;
  guint n_items = 0;

  if (self->conversations != NULL)
    {
      n_items = g_list_model_get_n_items (G_LIST_MODEL (self->conversations));
      error = cairn_paged_list_get_error (self->conversations);
    }

  if (n_items > 0)
    page = "list";
  else if (error != NULL)
    page = "error";
  else if (self->conversations == NULL || !cairn_paged_list_get_done (self->conversations))
    page = "loading";
  else
    page = "empty";

  /* the description is markup; an error message is text */
  if (error != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (error->message, -1);

      adw_status_page_set_description (self->error_page, escaped);
    }

  gtk_spinner_set_spinning (self->spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->stack, page);
}

static gboolean
near_end (CairnConversationList *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - LOAD_MORE_MARGIN;
}

static void
maybe_load_more (CairnConversationList *self)
{
  if (self->conversations == NULL
      || cairn_paged_list_get_loading (self->conversations)
      || cairn_paged_list_get_done (self->conversations)
      || cairn_paged_list_get_error (self->conversations) != NULL)
    return;

  if (g_list_model_get_n_items (G_LIST_MODEL (self->conversations)) == 0 || near_end (self))
    cairn_paged_list_load_more (self->conversations);
}

static gboolean
select_client_id (CairnConversationList *self,
                  const char            *client_id)
{
  guint position;

  if (self->conversations == NULL
      || cairn_paged_list_find (self->conversations, client_id, &position) == NULL)
    return FALSE;

  gtk_single_selection_set_selected (self->selection, position);
  return TRUE;
}

/* Called once things settled after a change of the listing or the selection. */
static void
resolve_selection (CairnConversationList *self)
{
  GObject *item = gtk_single_selection_get_selected_item (self->selection);

  if (self->pending_id != NULL && select_client_id (self, self->pending_id))
    {
      g_clear_pointer (&self->pending_id, g_free);
      item = gtk_single_selection_get_selected_item (self->selection);
    }

  /* The selected conversation was moved (removed and inserted again). */
  if (item == NULL && self->selected != NULL
      && select_client_id (self, cairn_conversation_get_client_id (self->selected)))
    item = gtk_single_selection_get_selected_item (self->selection);

  set_selected (self, CAIRN_CONVERSATION (item));
}

static gboolean
check_idle_cb (gpointer user_data)
{
  CairnConversationList *self = user_data;

  self->check_idle_id = 0;
  resolve_selection (self);
  update_page (self);
  maybe_load_more (self);

  return G_SOURCE_REMOVE;
}

static void
queue_check (CairnConversationList *self)
{
  if (self->check_idle_id == 0)
    self->check_idle_id = g_idle_add (check_idle_cb, self);
}

/* Callbacks */

static void
on_items_changed (CairnConversationList *self)
{
  queue_check (self);
}

static void
on_conversations_notify (CairnConversationList *self)
{
  queue_check (self);
}

static void
on_selected_item_changed (CairnConversationList *self)
{
  GObject *item = gtk_single_selection_get_selected_item (self->selection);

  /* A user choice replaces whatever was waiting to be selected. */
  if (item != NULL)
    {
      g_clear_pointer (&self->pending_id, g_free);
      set_selected (self, CAIRN_CONVERSATION (item));
    }
  else
    queue_check (self);
}

/* Content moved to another store (Bring Your Own Database switched, or a
 * move done): the listing loads again, and the conversation shown is
 * selected again if the other store has it too. */
static void
on_storage_changed (CairnConversationList *self)
{
  if (self->selected != NULL && self->pending_id == NULL)
    self->pending_id = g_strdup (cairn_conversation_get_client_id (self->selected));
}

static void
on_vadjustment_changed (CairnConversationList *self)
{
  maybe_load_more (self);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  gtk_list_item_set_child (list_item, cairn_conversation_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  GtkWidget *row = gtk_list_item_get_child (list_item);

  cairn_conversation_row_set_conversation (CAIRN_CONVERSATION_ROW (row),
                                           gtk_list_item_get_item (list_item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  GtkWidget *row = gtk_list_item_get_child (list_item);

  cairn_conversation_row_set_conversation (CAIRN_CONVERSATION_ROW (row), NULL);
}

static void
disconnect_model (CairnConversationList *self)
{
  if (self->conversations == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->conversations, self);
  g_clear_object (&self->conversations);
}

static void
connect_model (CairnConversationList *self)
{
  self->conversations = cairn_conversations_list (self->workspace);
  g_signal_connect_object (self->conversations, "items-changed",
                           G_CALLBACK (on_items_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversations, "notify",
                           G_CALLBACK (on_conversations_notify), self, G_CONNECT_SWAPPED);
}

/* GObject */

static void
cairn_conversation_list_dispose (GObject *object)
{
  CairnConversationList *self = CAIRN_CONVERSATION_LIST (object);

  g_clear_handle_id (&self->check_idle_id, g_source_remove);
  if (self->selection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->selection, self);
      gtk_single_selection_set_model (self->selection, NULL);
    }
  disconnect_model (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_CONVERSATION_LIST);
  g_clear_object (&self->selection);
  g_clear_object (&self->selected);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cairn_conversation_list_parent_class)->dispose (object);
}

static void
cairn_conversation_list_finalize (GObject *object)
{
  CairnConversationList *self = CAIRN_CONVERSATION_LIST (object);

  g_free (self->pending_id);

  G_OBJECT_CLASS (cairn_conversation_list_parent_class)->finalize (object);
}

static void
cairn_conversation_list_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  CairnConversationList *self = CAIRN_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_SELECTED_CONVERSATION:
      g_value_set_object (value, self->selected);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_list_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  CairnConversationList *self = CAIRN_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      cairn_conversation_list_set_workspace (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_list_class_init (CairnConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_conversation_list_dispose;
  object_class->finalize = cairn_conversation_list_finalize;
  object_class->get_property = cairn_conversation_list_get_property;
  object_class->set_property = cairn_conversation_list_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_SELECTED_CONVERSATION] =
    g_param_spec_object ("selected-conversation", NULL, NULL,
                         CAIRN_TYPE_CONVERSATION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-conversation-list.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnConversationList, stack);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationList, spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationList, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationList, list_view);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationList, error_page);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-conversation-list");
}

static void
cairn_conversation_list_init (CairnConversationList *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkAdjustment *vadjustment;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, FALSE);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selected_item_changed), self);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  vadjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  g_signal_connect_object (vadjustment, "value-changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (vadjustment, "changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);

  update_page (self);
}

/* Public API */

GtkWidget *
cairn_conversation_list_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_CONVERSATION_LIST, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_conversation_list_get_workspace (CairnConversationList *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_LIST (self), NULL);

  return self->workspace;
}

void
cairn_conversation_list_set_workspace (CairnConversationList *self,
                                       CairnWorkspace        *workspace)
{
  g_return_if_fail (CAIRN_IS_CONVERSATION_LIST (self));
  g_return_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace));

  if (self->workspace == workspace)
    return;

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_func (self->workspace, on_storage_changed, self);
  g_set_object (&self->workspace, workspace);

  gtk_single_selection_set_model (self->selection, NULL);
  disconnect_model (self);
  set_selected (self, NULL);

  if (workspace != NULL)
    {
      /* before the listing's own handler, which empties it */
      g_signal_connect_object (workspace, "storage-changed",
                               G_CALLBACK (on_storage_changed), self, G_CONNECT_SWAPPED);
      connect_model (self);
      gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->conversations));
      maybe_load_more (self);
    }

  update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

/**
 * cairn_conversation_list_get_model:
 *
 * Returns: (transfer none) (nullable): the listing shown, items are
 *   CairnConversation
 */
GListModel *
cairn_conversation_list_get_model (CairnConversationList *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_LIST (self), NULL);

  return G_LIST_MODEL (self->conversations);
}

CairnConversation *
cairn_conversation_list_get_selected_conversation (CairnConversationList *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_LIST (self), NULL);

  return self->selected;
}

/**
 * cairn_conversation_list_select:
 * @client_id: the conversation to select
 *
 * Selects the conversation now if it is listed, or as soon as it shows up
 * (a conversation just created, or the one restored at start-up).
 */
void
cairn_conversation_list_select (CairnConversationList *self,
                                const char            *client_id)
{
  g_return_if_fail (CAIRN_IS_CONVERSATION_LIST (self));
  g_return_if_fail (client_id != NULL);

  g_clear_pointer (&self->pending_id, g_free);
  if (!select_client_id (self, client_id))
    self->pending_id = g_strdup (client_id);
}
