/* test-message-row.c — message rows: long messages, and messages the
 * user's database refused
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-message-row.h"
#include "cairn-message-window.h"
#include "cairn-schema.h"
#include "widget-util.h"

/* @length letters and digits without a space: a pasted key or blob. */
static char *
unbroken_text (gsize length)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char *text = g_malloc (length + 1);

  for (gsize i = 0; i < length; i++)
    text[i] = alphabet[(i * 7) % (sizeof alphabet - 1)];
  text[length] = '\0';

  return text;
}

typedef struct {
  GtkWidget  *root;
  const char *client_id;
} RowSearch;

static gboolean
match_message_row (GtkWidget     *widget,
                   gconstpointer  data)
{
  CairnMessage *message;

  if (!CAIRN_IS_MESSAGE_ROW (widget) || !gtk_widget_is_drawable (widget) || gtk_widget_get_height (widget) <= 0)
    return FALSE;

  message = cairn_message_row_get_message (CAIRN_MESSAGE_ROW (widget));
  return message != NULL && g_strcmp0 (cairn_message_get_client_id (message), data) == 0;
}

static gboolean
row_laid_out (gpointer data)
{
  RowSearch *search = data;

  return find_widget (search->root, match_message_row, search->client_id) != NULL;
}

/* The row showing the message @client_id, once it is laid out on screen. */
static CairnMessageRow *
wait_for_message_row (gpointer    root,
                      const char *client_id)
{
  RowSearch search = { GTK_WIDGET (root), client_id };

  wait_until (row_laid_out, &search, "the message's row on screen");
  return CAIRN_MESSAGE_ROW (find_widget (search.root, match_message_row, client_id));
}

static void
count_paint_cb (GdkFrameClock *clock,
                guint         *painted)
{
  (*painted)++;
}

static gboolean
painted_twice (gpointer data)
{
  return *(guint *) data >= 2;
}

/* Waits until @window has painted two frames more: one with what is laid out now. */
static void
wait_for_paint (gpointer window)
{
  GdkFrameClock *clock = gdk_surface_get_frame_clock (gtk_native_get_surface (GTK_NATIVE (window)));
  guint painted = 0;
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (count_paint_cb), &painted);

  gtk_widget_queue_draw (GTK_WIDGET (window));
  wait_until (painted_twice, &painted, "frames to be painted");
  g_signal_handler_disconnect (clock, id);
}

static gboolean
match_css_class (GtkWidget     *widget,
                 gconstpointer  data)
{
  return gtk_widget_has_css_class (widget, data);
}

static gboolean
match_row_action (GtkWidget     *widget,
                  gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

static GtkWidget *
row_button (CairnMessageRow *row,
            const char      *action)
{
  GtkWidget *button = find_widget (GTK_WIDGET (row), match_row_action, action);

  g_assert_nonnull (button);
  return button;
}

static void
clipboard_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
text_read (gpointer data)
{
  return *(char **) data != NULL;
}

static char *
clipboard_text (GtkWidget *widget)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, clipboard_read_cb, &text);
  wait_until (text_read, &text, "the clipboard's text");

  return text;
}

static CairnMessageWindow *
find_message_window (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (CAIRN_IS_MESSAGE_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

static gboolean
message_window_shown (gpointer data)
{
  CairnMessageWindow *window = find_message_window ();

  return window != NULL && gtk_widget_is_drawable (GTK_WIDGET (window));
}

/* A long message shows its beginning and Show Full Message. */
static void
assert_row_shows_beginning (CairnMessageRow *row,
                            const char      *text)
{
  GtkWidget *label = find_widget (GTK_WIDGET (row), match_css_class, "content");
  const char *shown;
  g_autofree char *beginning = NULL;

  g_assert_nonnull (label);
  shown = gtk_label_get_text (GTK_LABEL (label));
  g_assert_true (g_str_has_suffix (shown, "…"));
  g_assert_cmpuint (g_utf8_strlen (shown, -1), <, 2100);
  beginning = g_strndup (shown, strlen (shown) - strlen ("…"));
  g_assert_true (g_str_has_prefix (text, beginning));
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (label)));
  g_assert_cmpuint (gtk_label_get_wrap_mode (GTK_LABEL (label)), ==, PANGO_WRAP_WORD_CHAR);
  g_assert_true (gtk_widget_is_drawable (row_button (row, "row.show-full")));
}

/* 100 000 characters without a space, then the largest message Cairn
 * stores: their rows are painted (before, the first froze the window for
 * minutes), and Show Full Message shows all of the text, which copies as
 * it was written. */
static void
test_message_row_long_messages (Fixture       *f,
                                gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Pasted keys");
  const char *conversation_id = cairn_conversation_get_client_id (conversation);
  g_autofree char *unbroken = unbroken_text (100000);
  g_autofree char *largest = unbroken_text (CAIRN_MAX_MESSAGE_TEXT_SIZE);
  g_autoptr(CairnMessage) first = NULL;
  g_autoptr(CairnMessage) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *copied = NULL;
  CairnMessageWindow *full;
  GtkTextView *text_view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  CairnMessageRow *row;

  select_conversation (window, conversation_id);

  first = test_util_send_message (f->workspace, conversation_id, unbroken, &error);
  g_assert_no_error (error);
  row = wait_for_message_row (window_view (window), cairn_message_get_client_id (first));
  wait_for_paint (window);
  assert_row_shows_beginning (row, unbroken);

  second = test_util_send_message (f->workspace, conversation_id, largest, &error);
  g_assert_no_error (error);
  row = wait_for_message_row (window_view (window), cairn_message_get_client_id (second));
  wait_for_paint (window);
  assert_row_shows_beginning (row, largest);

  /* all of it, in a window of its own */
  gtk_widget_activate (row_button (row, "row.show-full"));
  wait_until (message_window_shown, NULL, "the whole message");
  full = find_message_window ();
  g_assert_cmpstr (cairn_message_get_client_id (cairn_message_window_get_message (full)), ==,
                   cairn_message_get_client_id (second));
  wait_for_paint (full);
  text_view = find_child_of_type (full, GTK_TYPE_TEXT_VIEW);
  g_assert_false (gtk_text_view_get_editable (text_view));
  g_assert_cmpuint (gtk_text_view_get_wrap_mode (text_view), ==, GTK_WRAP_WORD_CHAR);

  /* selected and copied, it is the message's text */
  buffer = gtk_text_view_get_buffer (text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_select_range (buffer, &start, &end);
  g_signal_emit_by_name (text_view, "copy-clipboard");
  copied = clipboard_text (GTK_WIDGET (text_view));
  g_assert_cmpuint (strlen (copied), ==, strlen (largest));
  g_assert_true (g_str_equal (copied, largest));
  g_clear_pointer (&copied, g_free);

  /* and Copy in its header bar copies all of it */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (full)), "");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (full), "message.copy-all", NULL));
  copied = clipboard_text (GTK_WIDGET (full));
  g_assert_true (g_str_equal (copied, largest));

  gtk_window_destroy (GTK_WINDOW (full));
  gtk_window_destroy (GTK_WINDOW (window));
}

#define REFUSED_400 "{\"mode\": \"status\", \"status\": 400, \"count\": 1, \"path\": \"/api/mutation\"," \
                    " \"body\": {\"code\": \"BadJsonBody\", \"message\": \"The body could not be read\"}}"

typedef struct {
  CairnConversationView *view;
  const char            *content;
  gboolean               failed;
} MessageState;

/* The view lists a message with @content, failed (or not) as asked. */
static gboolean
message_in_state (gpointer data)
{
  MessageState *state = data;
  GListModel *messages = cairn_conversation_view_get_messages (state->view);

  for (guint i = 0; messages != NULL && i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CairnMessage) message = g_list_model_get_item (messages, i);

      if (g_strcmp0 (cairn_message_get_content (message), state->content) == 0)
        return (cairn_message_get_failure (message) != NULL) == state->failed
               && (state->failed || !cairn_message_get_pending (message));
    }

  return FALSE;
}

static gboolean
message_gone (gpointer data)
{
  MessageState *state = data;
  GListModel *messages = cairn_conversation_view_get_messages (state->view);

  for (guint i = 0; messages != NULL && i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CairnMessage) message = g_list_model_get_item (messages, i);

      if (g_strcmp0 (cairn_message_get_content (message), state->content) == 0)
        return FALSE;
    }

  return TRUE;
}

/* Sends @content through the composer while the deployment refuses the
 * next mutation for good; returns its row, failed. */
static CairnMessageRow *
send_refused (OverlayFixture *f,
              const char     *content)
{
  CairnConversationView *view = window_view (f->window);
  MessageState failed = { view, content, TRUE };
  GListModel *messages;

  convex_peer_control (overlay_peer_get (), "fault", REFUSED_400);
  g_test_expect_message ("cairn-outbox-delivery", G_LOG_LEVEL_WARNING, "*refused a write for good (insert in “messages”)*");
  type_text (f->window, content);
  press_send (f->window);
  wait_until (message_in_state, &failed, "the message, failed");
  g_test_assert_expected_messages ();

  messages = cairn_conversation_view_get_messages (view);
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CairnMessage) message = g_list_model_get_item (messages, i);

      if (g_strcmp0 (cairn_message_get_content (message), content) == 0)
        return wait_for_message_row (view, cairn_message_get_client_id (message));
    }

  g_assert_not_reached ();
}

static gboolean
match_visible_label_containing (GtkWidget     *widget,
                                gconstpointer  data)
{
  return GTK_IS_LABEL (widget)
         && gtk_widget_is_drawable (widget)
         && strstr (gtk_label_get_text (GTK_LABEL (widget)), data) != NULL;
}

static void
assert_accessible_label (GtkWidget  *widget,
                         const char *label)
{
  g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                                 GTK_ACCESSIBLE_PROPERTY_LABEL, label);

  g_assert_null (mismatch);
}

static gboolean
peer_has_messages (gpointer data)
{
  return convex_peer_count (overlay_peer_get (), "messages") == GPOINTER_TO_UINT (data);
}

/* Refused for good by the user's database: the row says so, with the
 * reason, and Copy, Retry and Discard work from there. */
static void
test_message_row_refused (OverlayFixture *f,
                          gconstpointer   data)
{
  ConvexPeer *peer = overlay_peer_get ();
  g_autoptr(CairnConversation) conversation = NULL;
  g_autofree char *copied = NULL;
  MessageState delivered = { NULL, "Keep this text", FALSE };
  MessageState lost = { NULL, "Lose this one", FALSE };
  CairnMessageRow *row;
  GtkWidget *reason;
  AdwMessageDialog *dialog;
  const struct { const char *action; const char *label; } buttons[] = {
    { "row.copy", "Copy" }, { "row.retry", "Retry" }, { "row.discard", "Discard" },
  };

  /* counted from nothing: earlier tests leave messages on the peer */
  convex_peer_control (peer, "reset", "{\"data\": true}");
  overlay_connect (f, convex_peer_get_url (peer), OVERLAY_ADMIN_KEY);
  wait_until (connection_connected, f->connection, "the connection");
  conversation = test_util_create_conversation (f->workspace, "Refusals");
  select_conversation (f->window, cairn_conversation_get_client_id (conversation));
  delivered.view = lost.view = window_view (f->window);

  row = send_refused (f, "Keep this text");
  wait_for_paint (f->window);

  /* in the row itself: what happened, why, and what can be done */
  g_assert_nonnull (find_widget (GTK_WIDGET (row), match_visible_label, "Not Saved: Your Database Refused It"));
  reason = find_widget (GTK_WIDGET (row), match_visible_label_containing, "BadJsonBody");
  g_assert_nonnull (reason);
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (reason)));
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (reason)));
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkWidget *button = row_button (row, buttons[i].action);

      g_assert_true (gtk_widget_is_drawable (button));
      g_assert_true (gtk_widget_is_sensitive (button));
      assert_accessible_label (button, buttons[i].label);
    }
  save_screenshot (f->window, "refused-message");
  /* nothing was sent: the composer is free for the next one */
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 0);

  /* Copy: the text, on the clipboard */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (row)), "");
  gtk_widget_activate (row_button (row, "row.copy"));
  wait_for_label (row, "Copied");
  copied = clipboard_text (GTK_WIDGET (row));
  g_assert_cmpstr (copied, ==, "Keep this text");

  /* Retry: the deployment takes it now; the row is an ordinary one again */
  gtk_widget_activate (row_button (row, "row.retry"));
  wait_until (message_in_state, &delivered, "the message, delivered");
  wait_until (peer_has_messages, GUINT_TO_POINTER (1), "the message on the deployment");
  row = wait_for_message_row (window_view (f->window),
                              cairn_message_get_client_id (cairn_message_row_get_message (row)));
  wait_for_paint (f->window);
  g_assert_null (find_widget (GTK_WIDGET (row), match_visible_label_containing, "BadJsonBody"));
  g_assert_false (gtk_widget_is_drawable (row_button (row, "row.retry")));

  /* Discard asks first; Cancel keeps it */
  row = send_refused (f, "Lose this one");
  gtk_widget_activate (row_button (row, "row.discard"));
  wait_until ((Condition) find_message_dialog, NULL, "the question");
  dialog = find_message_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Discard This Message?");
  g_assert_cmpuint (adw_message_dialog_get_response_appearance (dialog, "discard"), ==, ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  test_util_run_for (100);
  lost.failed = TRUE;
  g_assert_true (message_in_state (&lost));

  /* and Discard removes it, here only */
  gtk_widget_activate (row_button (row, "row.discard"));
  wait_until ((Condition) find_message_dialog, NULL, "the question");
  dialog = find_message_dialog ();
  adw_message_dialog_response (dialog, "discard");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_until (message_gone, &lost, "the message to go");
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 1);
  g_assert_cmpuint (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (f->workspace)), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  widget_util_init (&argc, &argv);

  g_test_add ("/widgets/message-row/long-messages", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_message_row_long_messages, fixture_teardown);
  g_test_add ("/widgets/message-row/refused", OverlayFixture, NULL,
              overlay_setup, test_message_row_refused, overlay_teardown);

  ret = g_test_run ();
  overlay_peer_stop ();

  return ret;
}
