/* cairn-conversation-view.c — the messages of one conversation
 *
 * Messages come from a reversed CairnPagedList: the newest page is loaded
 * first and shown at the bottom; older pages are prepended while the user
 * scrolls up. GtkListView keeps an anchor item in place when items are
 * inserted above it, so prepending does not move what the user reads.
 *
 * The view "sticks" to the bottom, as a chat does: when it is opened, when
 * a message is added at the end, and while the user keeps it scrolled to the
 * end. Sticking means that whenever the list view lays out again (rows are
 * measured, the window is resized) the view is pinned to the end once more;
 * row heights are estimates until rows exist, so one scroll is not enough.
 * The pin is made in the frame's layout phase, right after GTK's layout:
 * the frame clock lays out again (GtkListView moves its anchor to the new
 * position) before it paints, so the first frame with the first page shows
 * its end. Never while the list is empty or hidden: GtkListView cannot
 * scroll there and says so ("failed to scroll to given position").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-conversation-view"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <adwaita.h>

#include "cairn-conversation.h"
#include "cairn-conversation-view.h"
#include "cairn-conversations.h"
#include "cairn-message-row.h"
#include "cairn-paged-list.h"
#include "cairn-workspace.h"

/* Load older messages when fewer than this many pixels, or screenfuls, are
 * left above the view: the next page is asked for well before the top is
 * reached, so a deployment's round trip is over before the user gets there. */
#define LOAD_MORE_MARGIN 400.0
#define LOAD_MORE_SCREENS 2.0

struct _CairnConversationView
{
  GtkWidget          parent_instance;

  CairnWorkspace    *workspace;
  CairnConversation *conversation;
  CairnPagedList    *messages;
  GtkNoSelection    *selection;
  guint              check_idle_id;
  gboolean           pin_pending;
  GdkFrameClock     *frame_clock;   /* (nullable): while realized */
  gulong             layout_id;
  guint              spacer_tick_id;
  guint              spacer_frames;
  gboolean           stick_to_bottom;
  /* The layout the adjustment described last, to tell a scroll from a relayout. */
  double             last_upper;
  double             last_page_size;

  GtkStack          *stack;
  GtkSpinner        *spinner;
  GtkScrolledWindow *scrolled_window;
  GtkListView       *list_view;
  AdwStatusPage     *error_page;
};

G_DEFINE_FINAL_TYPE (CairnConversationView, cairn_conversation_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers */

static guint
n_messages (CairnConversationView *self)
{
  return self->messages != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->messages)) : 0;
}

static const char *
page_name (CairnConversationView *self)
{
  if (self->conversation == NULL || self->messages == NULL)
    return "none";
  if (n_messages (self) > 0)
    return "messages";
  if (cairn_paged_list_get_error (self->messages) != NULL)
    return "error";
  if (!cairn_paged_list_get_done (self->messages))
    return "loading";
  return "empty";
}

static void
update_page (CairnConversationView *self)
{
  const char *page = page_name (self);

  /* the description is markup; an error message is text */
  if (g_str_equal (page, "error"))
    {
      g_autofree char *escaped = g_markup_escape_text (cairn_paged_list_get_error (self->messages)->message, -1);

      adw_status_page_set_description (self->error_page, escaped);
    }

  gtk_spinner_set_spinning (self->spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->stack, page);
}

static GtkAdjustment *
vadjustment (CairnConversationView *self)
{
  return gtk_scrolled_window_get_vadjustment (self->scrolled_window);
}

static gboolean
at_bottom (CairnConversationView *self)
{
  GtkAdjustment *adj = vadjustment (self);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - 1.0;
}

/* Only asked after the list view laid out what it has: before that, the
 * adjustment describes the previous content. */
static gboolean
wants_older (CairnConversationView *self)
{
  GtkAdjustment *adj = vadjustment (self);
  double page_size = gtk_adjustment_get_page_size (adj);

  if (n_messages (self) == 0 || page_size <= 0)
    return FALSE;

  /* Everything fits, so nothing can be scrolled: fill the view. */
  if (gtk_adjustment_get_upper (adj) <= page_size)
    return TRUE;

  return !self->stick_to_bottom
         && gtk_adjustment_get_value (adj) < MAX (LOAD_MORE_MARGIN, LOAD_MORE_SCREENS * page_size);
}

static void
maybe_load_older (CairnConversationView *self)
{
  if (self->messages == NULL
      || cairn_paged_list_get_loading (self->messages)
      || cairn_paged_list_get_done (self->messages)
      || cairn_paged_list_get_error (self->messages) != NULL)
    return;

  if (wants_older (self))
    cairn_paged_list_load_more (self->messages);
}

/* After GTK's layout of the frame: the adjustment describes what is laid out. */
static void
pin_to_bottom (CairnConversationView *self)
{
  GtkAdjustment *adj = vadjustment (self);
  double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  if (!self->pin_pending || !self->stick_to_bottom
      || n_messages (self) == 0 || !gtk_widget_get_mapped (GTK_WIDGET (self->list_view)))
    return;

  self->pin_pending = FALSE;
  if (gtk_adjustment_get_value (adj) != bottom)
    gtk_adjustment_set_value (adj, bottom);
}

static void
frame_layout_cb (GdkFrameClock         *frame_clock,
                 CairnConversationView *self)
{
  pin_to_bottom (self);
}

/* Not from the adjustment's handlers: they run while the list view
 * allocates itself. */
static void
queue_pin_to_bottom (CairnConversationView *self)
{
  self->pin_pending = TRUE;
  if (self->frame_clock != NULL)
    gdk_frame_clock_request_phase (self->frame_clock, GDK_FRAME_CLOCK_PHASE_LAYOUT);
}

/* Rows exist for what is visible (and laid out at the latest frame):
 * fewer rows than messages means the history does not fit. */
static guint
count_laid_out_rows (GtkWidget *list,
                     double    *height)
{
  guint n_rows = 0;
  double top = G_MAXDOUBLE;
  double bottom = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      graphene_rect_t bounds;

      if (!gtk_widget_get_mapped (row) || !gtk_widget_compute_bounds (row, list, &bounds))
        continue;

      n_rows++;
      top = MIN (top, bounds.origin.y);
      bottom = MAX (bottom, bounds.origin.y + bounds.size.height);
    }

  *height = n_rows > 0 ? bottom - top : 0;
  return n_rows;
}

/* A short history rests at the bottom, above the composer, as in a chat:
 * the list view gets a top margin of the room its rows leave free. (Its
 * valign cannot do this: GtkListView's natural height ignores wrapping.)
 * Runs at the start of frames, when the last layout is known, until the
 * rows of the new content are there. */
static gboolean
spacer_tick_cb (GtkWidget     *list,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  CairnConversationView *self = user_data;
  GtkAdjustment *adj = vadjustment (self);
  GtkBorder padding;
  double rows_height;
  int margin = 0;

  if (gtk_adjustment_get_upper (adj) <= gtk_adjustment_get_page_size (adj) && n_messages (self) > 0)
    {
      if (count_laid_out_rows (list, &rows_height) < n_messages (self) && ++self->spacer_frames < 10)
        return G_SOURCE_CONTINUE;

      gtk_style_context_get_padding (gtk_widget_get_style_context (list), &padding);
      margin = gtk_widget_get_height (GTK_WIDGET (self->scrolled_window))
               - (int) ceil (rows_height) - padding.top - padding.bottom;
      margin = MAX (0, margin);
    }

  if (margin != gtk_widget_get_margin_top (list))
    gtk_widget_set_margin_top (list, margin);

  return G_SOURCE_REMOVE;
}

/* Also when the list view is unrealized, which drops its tick callbacks. */
static void
spacer_tick_removed (gpointer user_data)
{
  CairnConversationView *self = user_data;

  self->spacer_tick_id = 0;
}

static void
queue_update_spacer (CairnConversationView *self)
{
  self->spacer_frames = 0;
  if (self->spacer_tick_id == 0)
    self->spacer_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->list_view),
                                                         spacer_tick_cb, self, spacer_tick_removed);
}

static void
stick (CairnConversationView *self)
{
  self->stick_to_bottom = TRUE;
  queue_pin_to_bottom (self);
}

static gboolean
check_idle_cb (gpointer user_data)
{
  CairnConversationView *self = user_data;

  self->check_idle_id = 0;
  update_page (self);

  return G_SOURCE_REMOVE;
}

static void
queue_check (CairnConversationView *self)
{
  if (self->check_idle_id == 0)
    self->check_idle_id = g_idle_add (check_idle_cb, self);
}

/* Callbacks */

static void
on_items_changed (CairnConversationView *self,
                  guint                  position,
                  guint                  removed,
                  guint                  added)
{
  /* Added at the end: the first page, or a message just written. Older
   * pages come in at the top and must not move the view. */
  if (added > 0 && position + added == n_messages (self))
    stick (self);

  /* now, not from an idle: the next frame shows the messages */
  update_page (self);
  queue_update_spacer (self);
}

static void
on_messages_notify (CairnConversationView *self)
{
  queue_check (self);
}

/* The adjustment changed: the user scrolled, or the list view laid out anew. */
static void
on_vadjustment_changed (CairnConversationView *self)
{
  GtkAdjustment *adj = vadjustment (self);
  double upper = gtk_adjustment_get_upper (adj);
  double page_size = gtk_adjustment_get_page_size (adj);

  if (upper == self->last_upper && page_size == self->last_page_size)
    {
      /* A scroll: the user decides whether the view follows new messages
       * (unless the view is about to be pinned, after a relayout). */
      if (!self->pin_pending)
        self->stick_to_bottom = at_bottom (self);
    }
  else
    {
      if (self->stick_to_bottom)
        queue_pin_to_bottom (self);
      queue_update_spacer (self);
    }

  self->last_upper = upper;
  self->last_page_size = page_size;

  maybe_load_older (self);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  CairnConversationView *self = user_data;

  gtk_list_item_set_activatable (list_item, FALSE);
  gtk_list_item_set_child (list_item, cairn_message_row_new (self->workspace));
}

/* A row made before the workspace changed gets the new one.
 *
 * There is no "unbind": a row keeps its message until it is given another
 * one. GtkSignalListItemFactory (GTK 4.8) unbinds and binds a row again
 * whenever its position changes, and a page of older messages moves every
 * row GtkListView keeps (up to 200); a row that let go of its message would
 * lay out the same text again, and a page took a quarter of a second. */
static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  CairnConversationView *self = user_data;
  GtkWidget *row = gtk_list_item_get_child (list_item);

  cairn_message_row_set_workspace (CAIRN_MESSAGE_ROW (row), self->workspace);
  cairn_message_row_set_message (CAIRN_MESSAGE_ROW (row), gtk_list_item_get_item (list_item));
}

static void
drop_messages (CairnConversationView *self)
{
  gtk_no_selection_set_model (self->selection, NULL);

  if (self->messages == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->messages, self);
  g_clear_object (&self->messages);
}

static void
load_messages (CairnConversationView *self)
{
  const char *id;

  drop_messages (self);

  if (self->workspace == NULL || self->conversation == NULL)
    return;

  id = cairn_conversation_get_client_id (self->conversation);
  self->messages = cairn_conversations_list_messages (self->workspace, id);
  self->last_upper = self->last_page_size = -1;
  stick (self);
  g_signal_connect_object (self->messages, "items-changed",
                           G_CALLBACK (on_items_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->messages, "notify",
                           G_CALLBACK (on_messages_notify), self, G_CONNECT_SWAPPED);
  gtk_no_selection_set_model (self->selection, G_LIST_MODEL (self->messages));

}

static void
reload (CairnConversationView *self)
{
  load_messages (self);
  update_page (self);
}

/* GtkWidget */

static void
cairn_conversation_view_realize (GtkWidget *widget)
{
  CairnConversationView *self = CAIRN_CONVERSATION_VIEW (widget);

  GTK_WIDGET_CLASS (cairn_conversation_view_parent_class)->realize (widget);

  /* after the window's own layout handler */
  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->layout_id = g_signal_connect_after (self->frame_clock, "layout", G_CALLBACK (frame_layout_cb), self);
  if (self->pin_pending)
    gdk_frame_clock_request_phase (self->frame_clock, GDK_FRAME_CLOCK_PHASE_LAYOUT);
}

static void
cairn_conversation_view_unrealize (GtkWidget *widget)
{
  CairnConversationView *self = CAIRN_CONVERSATION_VIEW (widget);

  g_clear_signal_handler (&self->layout_id, self->frame_clock);
  g_clear_object (&self->frame_clock);

  GTK_WIDGET_CLASS (cairn_conversation_view_parent_class)->unrealize (widget);
}

/* GObject */

static void
cairn_conversation_view_dispose (GObject *object)
{
  CairnConversationView *self = CAIRN_CONVERSATION_VIEW (object);

  g_clear_handle_id (&self->check_idle_id, g_source_remove);
  if (self->spacer_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->spacer_tick_id);
  if (self->selection != NULL)
    drop_messages (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_CONVERSATION_VIEW);
  g_clear_object (&self->selection);
  g_clear_object (&self->conversation);
  g_clear_object (&self->workspace);

  G_OBJECT_CLASS (cairn_conversation_view_parent_class)->dispose (object);
}

static void
cairn_conversation_view_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  CairnConversationView *self = CAIRN_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_view_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  CairnConversationView *self = CAIRN_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      cairn_conversation_view_set_workspace (self, g_value_get_object (value));
      break;

    case PROP_CONVERSATION:
      cairn_conversation_view_set_conversation (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_view_class_init (CairnConversationViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_conversation_view_dispose;
  object_class->get_property = cairn_conversation_view_get_property;
  object_class->set_property = cairn_conversation_view_set_property;

  widget_class->realize = cairn_conversation_view_realize;
  widget_class->unrealize = cairn_conversation_view_unrealize;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL,
                         CAIRN_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-conversation-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnConversationView, stack);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationView, spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationView, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationView, list_view);
  gtk_widget_class_bind_template_child (widget_class, CairnConversationView, error_page);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-conversation-view");
}

static void
cairn_conversation_view_init (CairnConversationView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);

  self->selection = gtk_no_selection_new (NULL);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  adj = vadjustment (self);
  g_signal_connect_object (adj, "value-changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);

  update_page (self);
}

/* Public API */

GtkWidget *
cairn_conversation_view_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_CONVERSATION_VIEW, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_conversation_view_get_workspace (CairnConversationView *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_VIEW (self), NULL);

  return self->workspace;
}

void
cairn_conversation_view_set_workspace (CairnConversationView *self,
                                       CairnWorkspace        *workspace)
{
  g_return_if_fail (CAIRN_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace));

  if (!g_set_object (&self->workspace, workspace))
    return;

  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

CairnConversation *
cairn_conversation_view_get_conversation (CairnConversationView *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_VIEW (self), NULL);

  return self->conversation;
}

/* The same conversation (by clientId) does not reload its messages. */
void
cairn_conversation_view_set_conversation (CairnConversationView *self,
                                          CairnConversation     *conversation)
{
  gboolean same;

  g_return_if_fail (CAIRN_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (conversation == NULL || CAIRN_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  same = self->conversation != NULL && conversation != NULL
         && g_strcmp0 (cairn_conversation_get_client_id (self->conversation),
                       cairn_conversation_get_client_id (conversation)) == 0;

  g_set_object (&self->conversation, conversation);
  if (!same)
    reload (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

/**
 * cairn_conversation_view_get_messages:
 *
 * Returns: (transfer none) (nullable): the messages shown, oldest first;
 *   items are CairnMessage
 */
GListModel *
cairn_conversation_view_get_messages (CairnConversationView *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION_VIEW (self), NULL);

  return G_LIST_MODEL (self->messages);
}

void
cairn_conversation_view_scroll_to_end (CairnConversationView *self)
{
  g_return_if_fail (CAIRN_IS_CONVERSATION_VIEW (self));

  stick (self);
}
