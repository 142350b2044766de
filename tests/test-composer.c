/* test-composer.c — Message and Send over a real database: drafts, failed
 * sends, a conversation that changes or comes while typing, text too long
 * or showing nothing, long pastes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-schema.h"
#include "widget-util.h"

typedef struct {
  CairnWindow *window;
  const char  *text;
} ComposerText;

static gboolean
composer_shows (gpointer data)
{
  ComposerText *expected = data;
  g_autofree char *text = composer_text (expected->window);

  return g_strcmp0 (text, expected->text) == 0;
}

static void
wait_for_composer_text (CairnWindow *window,
                        const char  *text)
{
  ComposerText expected = { window, text };

  wait_until (composer_shows, &expected, "the composer's text");
}

static GtkWidget *
composer_text_view (CairnWindow *window)
{
  return find_child_of_type (window_composer (window), GTK_TYPE_TEXT_VIEW);
}

static const char *
shown_id (CairnWindow *window)
{
  CairnConversation *shown = cairn_conversation_list_get_selected_conversation (window_list (window));

  return shown != NULL ? cairn_conversation_get_client_id (shown) : NULL;
}

/* Shows @conversation with the keyboard focus in Message, as a click in the
 * list and one in Message would. */
static void
start_writing_in (CairnWindow       *window,
                  CairnConversation *conversation)
{
  select_conversation (window, cairn_conversation_get_client_id (conversation));
  gtk_widget_grab_focus (GTK_WIDGET (window_composer (window)));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == composer_text_view (window));
}

/* What the user is typing is still there, still in focus, for @conversation_id. */
static void
assert_still_writing (CairnWindow *window,
                      const char  *conversation_id,
                      const char  *text)
{
  g_autofree char *shown = composer_text (window);

  g_assert_cmpstr (shown, ==, text);
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window)) == composer_text_view (window));
  g_assert_cmpstr (shown_id (window), ==, conversation_id);
  g_assert_cmpstr (cairn_conversation_get_client_id (cairn_composer_get_conversation (window_composer (window))),
                   ==, conversation_id);
}

/* A copy of @document with @name set to @value (NULL: removed). */
static JsonObject *
document_with (JsonObject *document,
               const char *name,
               JsonNode   *value)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, document);
  while (json_object_iter_next (&iter, &member, &node))
    if (!g_str_equal (member, name))
      json_object_set_member (copy, member, json_node_copy (node));
  if (value != NULL)
    json_object_set_member (copy, name, value);

  return copy;
}

typedef struct {
  CairnWorkspace *workspace;
  const char     *conversation_id;
  const char     *text;
} DraftWait;

static gboolean
draft_is (gpointer data)
{
  DraftWait *wait = data;
  g_autofree char *text = test_util_load_draft (wait->workspace, wait->conversation_id);

  return g_strcmp0 (text, wait->text) == 0;
}

static void
wait_for_draft (CairnWorkspace *workspace,
                const char     *conversation_id,
                const char     *text)
{
  DraftWait wait = { workspace, conversation_id, text };

  wait_until (draft_is, &wait, "the draft to be saved");
}

typedef struct {
  CairnWindow       *window;
  CairnConversation *item;
} ItemReplaced;

static gboolean
selected_item_replaced (gpointer data)
{
  ItemReplaced *replaced = data;
  CairnConversation *shown = cairn_conversation_list_get_selected_conversation (window_list (replaced->window));

  return shown != NULL && shown != replaced->item
         && cairn_composer_get_conversation (window_composer (replaced->window)) == shown;
}
/* Tests */

/* Unsent text is kept per conversation, across a switch and a restart. */
static void
test_drafts_kept (Fixture       *f,
                  gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) first = test_util_create_conversation (f->workspace, "Garden");
  g_autoptr(CairnConversation) second = test_util_create_conversation (f->workspace, "Reading list");
  g_autofree char *first_id = g_strdup (cairn_conversation_get_client_id (first));
  g_autofree char *second_id = g_strdup (cairn_conversation_get_client_id (second));

  select_conversation (window, first_id);
  type_text (window, "Order basil seeds");
  select_conversation (window, second_id);
  wait_for_composer_text (window, "");
  type_text (window, "Braiding Sweetgrass");

  /* Back to the first: its draft returns (saved when the view switched). */
  select_conversation (window, first_id);
  wait_for_composer_text (window, "Order basil seeds");

  /* The second's draft is saved after the pause following the last edit. */
  wait_for_draft (f->workspace, second_id, "Braiding Sweetgrass");

  /* Typed, then the window goes away at once: the draft is saved anyway. */
  type_text (window, " and kale");
  gtk_window_destroy (GTK_WINDOW (window));
  wait_for_draft (f->workspace, first_id, "Order basil seeds and kale");

  close_workspace (f);
  open_workspace (f, FALSE);

  window = window_new (f);
  select_conversation (window, first_id);
  wait_for_composer_text (window, "Order basil seeds and kale");
  select_conversation (window, second_id);
  wait_for_composer_text (window, "Braiding Sweetgrass");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A message the store refuses stays in the composer and a toast says why. */
static void
test_failed_send_keeps_text (Fixture       *f,
                             gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Notes");
  CairnConversationView *view = window_view (window);
  g_autofree char *kept = NULL;
  g_autofree char *left = NULL;

  select_conversation (window, cairn_conversation_get_client_id (conversation));
  wait_for_label (view, "No Messages");

  test_failing_store_fail_inserts_into (f->failing, "messages");
  type_text (window, "Remember the overflow valve");
  press_send (window);
  wait_until (not_sending, window_composer (window), "the send to fail");

  kept = composer_text (window);
  g_assert_cmpstr (kept, ==, "Remember the overflow valve");
  wait_for_label (window, "Could not save the message: The disk is full (simulated)");
  g_assert_cmpuint (g_list_model_get_n_items (cairn_conversation_view_get_messages (view)), ==, 0);

  /* Once the store works again, the same text goes through. */
  test_failing_store_fail_inserts_into (f->failing, NULL);
  press_send (window);
  wait_for_label (rows_of (view), "Remember the overflow valve");
  wait_until (not_sending, window_composer (window), "the send to finish");
  left = composer_text (window);
  g_assert_cmpstr (left, ==, "");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The conversation being written in is updated — marked pending, then as
 * the deployment stored it (what the outbox announces), renamed, moved up
 * the list by a newer updatedAt (a new item in the listing) — while text is
 * in Message: the text, the focus and the messages shown all stay. */
static void
test_conversation_updated_while_typing (Fixture       *f,
                                        gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Packing list");
  g_autoptr(CairnConversation) item = NULL;
  g_autofree char *id = g_strdup (cairn_conversation_get_client_id (conversation));
  JsonObject *document = cairn_conversation_get_document (conversation);
  g_autoptr(JsonObject) pending = document_with (document, CAIRN_PENDING_MEMBER,
                                                 json_node_init_boolean (json_node_alloc (), TRUE));
  g_autoptr(JsonObject) stored = document_with (document, CAIRN_PENDING_MEMBER, NULL);
  g_autoptr(JsonObject) renamed = document_with (stored, "title",
                                                 json_node_init_string (json_node_alloc (), "Packing"));
  g_autoptr(JsonObject) newer = NULL;
  GListModel *messages;
  ItemReplaced replaced = { window, NULL };

  start_writing_in (window, conversation);
  wait_for_label (window_view (window), "No Messages");
  messages = cairn_conversation_view_get_messages (window_view (window));
  item = g_object_ref (cairn_conversation_list_get_selected_conversation (window_list (window)));
  type_text (window, "The tent pegs are in the blue bag");

  /* the same item, updated in place */
  g_signal_emit_by_name (f->workspace, "document-changed", "conversations", pending);
  test_util_run_for (50);
  g_signal_emit_by_name (f->workspace, "document-changed", "conversations", stored);
  test_util_run_for (50);
  g_signal_emit_by_name (f->workspace, "document-changed", "conversations", renamed);
  test_util_run_for (50);
  g_assert_true (cairn_conversation_list_get_selected_conversation (window_list (window)) == item);
  g_assert_cmpstr (cairn_conversation_get_title (item), ==, "Packing");
  assert_still_writing (window, id, "The tent pegs are in the blue bag");

  /* moved to the top: removed from the listing and inserted again as a new item */
  newer = document_with (renamed, "updatedAt",
                         json_node_init_double (json_node_alloc (),
                                                json_object_get_double_member (renamed, "updatedAt") + 60000));
  replaced.item = item;
  g_signal_emit_by_name (f->workspace, "document-changed", "conversations", newer);
  wait_until (selected_item_replaced, &replaced, "the moved conversation to be selected again");
  test_util_run_for (50);
  assert_still_writing (window, id, "The tent pegs are in the blue bag");
  /* not shown anew: its messages were not loaded again */
  g_assert_true (cairn_conversation_view_get_messages (window_view (window)) == messages);

  /* and what was typed is this conversation's draft, as ever */
  type_text (window, ", with the mallet");
  gtk_window_destroy (GTK_WINDOW (window));
  wait_for_draft (f->workspace, id, "The tent pegs are in the blue bag, with the mallet");
}

static gboolean
other_conversation_shown (gpointer data)
{
  gpointer *args = data;
  CairnWindow *window = args[0];
  const char *left = args[1];

  return shown_id (window) != NULL && g_strcmp0 (shown_id (window), left) != 0
         && cairn_composer_get_conversation (window_composer (window)) != NULL
         && g_strcmp0 (cairn_conversation_get_client_id (cairn_composer_get_conversation (window_composer (window))),
                       left) != 0;
}

/* New Conversation while writing in another, and typing on at once, before
 * the new one exists (a durable write, and with BYOD on the deployment's
 * answer, away): what is typed from then on is the new conversation's. The
 * one left keeps the draft it had. */
static void
new_conversation_while_typing (CairnWorkspace *workspace,
                               CairnWindow    *window)
{
  g_autoptr(CairnConversation) left = test_util_create_conversation (workspace, "Groceries");
  g_autofree char *left_id = g_strdup (cairn_conversation_get_client_id (left));
  gpointer args[2] = { window, left_id };
  g_autofree char *new_id = NULL;
  g_autoptr(CairnMessage) message = NULL;
  CairnConversationView *view = window_view (window);

  start_writing_in (window, left);
  type_text (window, "Eggs");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  type_text (window, "The tent pegs are in the blue bag");
  /* what this is about: it does not exist yet */
  g_assert_cmpstr (shown_id (window), ==, left_id);

  wait_until (other_conversation_shown, args, "the new conversation to be shown");
  new_id = g_strdup (shown_id (window));
  test_util_run_for (50);
  assert_still_writing (window, new_id, "The tent pegs are in the blue bag");

  /* it is sent to the new conversation */
  press_send (window);
  wait_until (messages_listed, view, "the message in the new conversation");
  message = g_list_model_get_item (cairn_conversation_view_get_messages (view), 0);
  g_assert_cmpstr (cairn_message_get_content (message), ==, "The tent pegs are in the blue bag");
  g_assert_cmpstr (cairn_message_get_conversation_id (message), ==, new_id);
  wait_until (not_sending, window_composer (window), "the send to finish");

  wait_for_draft (workspace, left_id, "Eggs");
  wait_for_draft (workspace, new_id, "");
}

static void
test_new_conversation_while_typing (Fixture       *f,
                                    gconstpointer  data)
{
  CairnWindow *window = window_new (f);

  new_conversation_while_typing (f->workspace, window);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The new conversation cannot be made: the one shown gets its draft back,
 * followed by what was typed meanwhile. */
static void
test_new_conversation_fails_while_typing (Fixture       *f,
                                          gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Groceries");
  ComposerText expected = { window, "Eggs and milk" };
  g_autofree char *emptied = NULL;

  start_writing_in (window, conversation);
  type_text (window, "Eggs");

  test_failing_store_fail_inserts_into (f->failing, "conversations");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  emptied = composer_text (window);
  g_assert_cmpstr (emptied, ==, "");
  type_text (window, " and milk");

  wait_for_label (window, "Could not create the conversation: The disk is full (simulated)");
  wait_until (composer_shows, &expected, "the text to be back in the conversation shown");
  assert_still_writing (window, cairn_conversation_get_client_id (conversation), "Eggs and milk");
  press_send (window);
  wait_for_label (rows_of (window_view (window)), "Eggs and milk");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Text the stores would refuse, refused as it is typed or pasted */

#define TOO_LONG_TO_SEND "This message is too long to send ("

static GtkWidget *
send_button (CairnWindow *window)
{
  GtkWidget *button = find_widget (GTK_WIDGET (window_composer (window)),
                                   match_action_button, "composer.send");

  g_assert_nonnull (button);
  return button;
}

static gboolean
match_visible_label_prefix (GtkWidget     *widget,
                            gconstpointer  data)
{
  return GTK_IS_LABEL (widget)
         && gtk_widget_is_drawable (widget)
         && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), data);
}

/* The line under the text saying why it cannot be sent, if shown. */
static const char *
composer_refusal (CairnWindow *window)
{
  GtkWidget *label = find_widget (GTK_WIDGET (window_composer (window)),
                                  match_visible_label_prefix, TOO_LONG_TO_SEND);

  return label != NULL ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

/* Ctrl+Enter in the composer, as its shortcut controller sees it: TRUE
 * when the key is used up (FALSE lets the text view add a line break). */
static gboolean
press_ctrl_enter (CairnComposer *composer)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (composer));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

          if (strstr (trigger, "<Control>Return") != NULL)
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                 GTK_SHORTCUT_ACTION_EXCLUSIVE, GTK_WIDGET (composer), NULL);
        }
    }

  g_assert_not_reached ();
}

typedef struct {
  GtkTextBuffer *buffer;
  int            n_chars;
} BufferFill;

static gboolean
buffer_filled (gpointer data)
{
  BufferFill *fill = data;

  return gtk_text_buffer_get_char_count (fill->buffer) == fill->n_chars;
}

/* Puts @text on the clipboard and pastes it at the end of the composer's
 * text, as Ctrl+V would. */
static void
paste_text (CairnWindow *window,
            const char  *text)
{
  GtkWidget *view = composer_text_view (window);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  BufferFill fill = { buffer, gtk_text_buffer_get_char_count (buffer) + (int) g_utf8_strlen (text, -1) };
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (view), text);
  g_assert_true (gtk_widget_activate_action (view, "clipboard.paste", NULL));
  wait_until (buffer_filled, &fill, "the pasted text in the composer");
}

/* 2 MiB pasted: refused where it was pasted, with what to do, and kept;
 * nothing is sent. At the limit it goes, one byte over it does not. */
static void
test_composer_refuses_too_long (Fixture       *f,
                                gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Logs");
  CairnComposer *composer;
  GtkTextBuffer *buffer;
  g_autofree char *big = g_strnfill (2 * 1024 * 1024, 'x');
  g_autofree char *kept = NULL;
  g_autofree char *at_limit = NULL;
  const char *refusal;
  GtkTextIter end;

  select_conversation (window, cairn_conversation_get_client_id (conversation));
  composer = window_composer (window);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer_text_view (window)));
  g_assert_null (composer_refusal (window));

  paste_text (window, big);
  test_util_run_for (100);

  refusal = composer_refusal (window);
  g_assert_nonnull (refusal);
  g_assert_nonnull (strstr (refusal, "2.1\u00A0MB"));
  g_assert_nonnull (strstr (refusal, "Shorten it or split it into several messages."));
  g_assert_false (gtk_widget_is_sensitive (send_button (window)));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (send_button (window)), ==, refusal);

  /* Ctrl+Enter, the action, a send asked for directly: nothing goes, and
   * the key is used up rather than adding a line break to the text */
  g_assert_true (press_ctrl_enter (composer));
  gtk_widget_activate_action (GTK_WIDGET (composer), "composer.send", NULL);
  cairn_composer_send (composer);
  g_assert_false (cairn_composer_get_sending (composer));
  test_util_run_for (200);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);
  kept = composer_text (window);
  g_assert_cmpuint (strlen (kept), ==, strlen (big));
  g_assert_true (g_str_equal (kept, big));

  /* exactly as much as a message can hold, in two-byte characters and a
   * line break, which takes two bytes as JSON: sendable */
  {
    GString *text = g_string_new (NULL);

    while (text->len + 2 <= CAIRN_MAX_MESSAGE_TEXT_SIZE - 2)
      g_string_append (text, "é");
    g_string_append_c (text, '\n');
    while (text->len < CAIRN_MAX_MESSAGE_TEXT_SIZE - 1)
      g_string_append_c (text, 'y');
    at_limit = g_string_free (text, FALSE);
  }
  gtk_text_buffer_set_text (buffer, at_limit, -1);
  g_assert_null (composer_refusal (window));
  g_assert_true (gtk_widget_is_sensitive (send_button (window)));

  /* one byte more, typed at the end: refused; taken back: sendable */
  type_text (window, "z");
  g_assert_nonnull (composer_refusal (window));
  g_assert_false (gtk_widget_is_sensitive (send_button (window)));
  gtk_text_buffer_get_end_iter (buffer, &end);
  g_assert_true (gtk_text_buffer_backspace (buffer, &end, TRUE, TRUE));
  g_assert_null (composer_refusal (window));

  /* what the composer lets go, the store takes (the button acts a moment
   * after it is activated, as when pressed) */
  press_send (window);
  wait_for_composer_text (window, "");
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 1);

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
store_refusal_shown (gpointer data)
{
  return find_widget (GTK_WIDGET (window_composer (data)), match_visible_label_prefix,
                      "This message is too long to store (") != NULL;
}

/* Text within the composer's count that the store still refuses, as it
 * takes more room written out (every quote escaped): the reason is shown
 * under the text, which stays, until the text is edited. */
static void
test_composer_store_refusal_shown (Fixture       *f,
                                   gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Quotes");
  g_autofree char *quotes = NULL;
  g_autofree char *kept = NULL;
  GtkTextBuffer *buffer;
  GtkWidget *reason;
  GtkTextIter end;

  /* lines of quotes, each line counted as 101 bytes (a line break takes
   * two as JSON), as many as the composer lets through */
  {
    g_autofree char *line = g_strnfill (99, '"');
    GString *text = g_string_new (NULL);

    for (guint n = 0; (n + 1) * 101 <= CAIRN_MAX_MESSAGE_TEXT_SIZE; n++)
      g_string_append_printf (text, "%s\n", line);
    quotes = g_string_free (text, FALSE);
  }

  select_conversation (window, cairn_conversation_get_client_id (conversation));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer_text_view (window)));
  gtk_text_buffer_set_text (buffer, quotes, -1);
  g_assert_null (composer_refusal (window));

  press_send (window);
  wait_until (store_refusal_shown, window, "the store's reason under the text");
  reason = find_widget (GTK_WIDGET (window_composer (window)), match_visible_label_prefix,
                        "This message is too long to store (");
  g_test_message ("%s", gtk_label_get_text (GTK_LABEL (reason)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (reason)), ==,
                   "This message is too long to store (2.1\u00A0MB; at most about 1.0\u00A0MB). "
                   "Shorten it or split it into several messages.");
  /* and the window says it too */
  wait_for_label (window, "Could not save the message: This message is too long to store "
                          "(2.1\u00A0MB; at most about 1.0\u00A0MB). "
                          "Shorten it or split it into several messages.");
  kept = composer_text (window);
  g_assert_true (g_str_equal (kept, quotes));
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);

  /* edited: the reason goes, and the text can be tried again */
  gtk_text_buffer_get_end_iter (buffer, &end);
  g_assert_true (gtk_text_buffer_backspace (buffer, &end, TRUE, TRUE));
  g_assert_false (gtk_widget_get_visible (reason));
  g_assert_true (gtk_widget_is_sensitive (send_button (window)));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Text that shows nothing cannot be sent, as empty text cannot. */
static void
test_composer_invisible_only (Fixture       *f,
                              gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Quiet");
  GtkTextBuffer *buffer;
  GtkTextIter end;

  select_conversation (window, cairn_conversation_get_client_id (conversation));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer_text_view (window)));
  g_assert_false (gtk_widget_is_sensitive (send_button (window)));

  type_text (window, "\u200B\u200C\u200D\u2060\uFEFF \n\t");
  g_assert_false (gtk_widget_is_sensitive (send_button (window)));
  g_assert_null (composer_refusal (window));
  g_assert_true (press_ctrl_enter (window_composer (window)));
  cairn_composer_send (window_composer (window));
  g_assert_false (cairn_composer_get_sending (window_composer (window)));

  type_text (window, "!");
  g_assert_true (gtk_widget_is_sensitive (send_button (window)));
  gtk_text_buffer_get_end_iter (buffer, &end);
  g_assert_true (gtk_text_buffer_backspace (buffer, &end, TRUE, TRUE));
  g_assert_false (gtk_widget_is_sensitive (send_button (window)));

  test_util_run_for (200);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* 100 KB without a space, pasted: it wraps anywhere, and laying it out
 * takes moments, not a frozen window (wrapping it between words took Pango
 * over a minute). Prose still wraps between words. */
static void
test_composer_long_unbroken_paste (Fixture       *f,
                                   gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Hashes");
  GtkTextView *view;
  GtkTextBuffer *buffer;
  g_autofree char *unbroken = g_strnfill (100 * 1024, 'q');
  g_autoptr(GString) prose = g_string_new (NULL);
  GtkTextIter end;
  GdkRectangle location;
  gint64 started;
  double seconds;

  select_conversation (window, cairn_conversation_get_client_id (conversation));
  view = GTK_TEXT_VIEW (composer_text_view (window));
  buffer = gtk_text_view_get_buffer (view);
  g_assert_cmpint (gtk_text_view_get_wrap_mode (view), ==, GTK_WRAP_WORD_CHAR);

  /* long words typed one character at a time, and a long text of words */
  for (guint i = 0; i < 500; i++)
    type_text (window, "w");
  while (prose->len < 20 * 1024)
    g_string_append (prose, " Tomatoes along the south fence");
  paste_text (window, prose->str);
  g_assert_cmpint (gtk_text_view_get_wrap_mode (view), ==, GTK_WRAP_WORD_CHAR);
  gtk_text_buffer_set_text (buffer, "", -1);

  started = g_get_monotonic_time ();
  paste_text (window, unbroken);
  /* where the end is needs the whole paragraph laid out */
  gtk_text_buffer_get_end_iter (gtk_text_view_get_buffer (view), &end);
  gtk_text_view_get_iter_location (view, &end, &location);
  test_util_run_for (100);
  seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  g_test_message ("pasting and laying out 100 KB took %.2f s", seconds);
  g_assert_cmpfloat (seconds, <, 3.0);

  /* wrapped: many lines high, no wider than the composer */
  g_assert_cmpint (gtk_text_view_get_wrap_mode (view), ==, GTK_WRAP_CHAR);
  g_assert_cmpint (location.y, >, 1000);
  g_assert_cmpint (location.x, <=, gtk_widget_get_width (GTK_WIDGET (view)));
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window_composer (window))), <, 400);

  /* typed onto it, one character at a time: each one lays the paragraph
   * out again, which takes a moment but never freezes the window */
  seconds = 0;
  for (guint i = 0; i < 10; i++)
    {
      started = g_get_monotonic_time ();
      type_text (window, "q");
      test_util_run_for (5);
      seconds = MAX (seconds, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
    }
  g_test_message ("the slowest of 10 characters typed onto it took %.2f s", seconds);
  g_assert_cmpfloat (seconds, <, 1.5);

  /* emptied (sent, or cleared): words wrap between words again */
  gtk_text_buffer_set_text (buffer, "", -1);
  g_assert_cmpint (gtk_text_view_get_wrap_mode (view), ==, GTK_WRAP_WORD_CHAR);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The same with BYOD on: the new conversation goes through the outbox, and
 * is shown once the deployment has it. */
static void
test_byod_new_conversation_while_typing (OverlayFixture *f,
                                         gconstpointer   data)
{
  ConvexPeer *peer = overlay_peer_get ();

  overlay_connect (f, convex_peer_get_url (peer), OVERLAY_ADMIN_KEY);
  wait_until (connection_connected, f->connection, "the connection");
  new_conversation_while_typing (f->workspace, f->window);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  widget_util_init (&argc, &argv);

#define ADD(path, failing, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (failing), fixture_setup, func, fixture_teardown)

  ADD ("/widgets/composer/drafts-kept", FALSE, test_drafts_kept);
  ADD ("/widgets/composer/failed-send-keeps-text", TRUE, test_failed_send_keeps_text);
  ADD ("/widgets/composer/conversation-updated-while-typing", FALSE, test_conversation_updated_while_typing);
  ADD ("/widgets/composer/new-conversation-while-typing", FALSE, test_new_conversation_while_typing);
  ADD ("/widgets/composer/new-conversation-fails-while-typing", TRUE, test_new_conversation_fails_while_typing);
  ADD ("/widgets/composer/too-long-refused", FALSE, test_composer_refuses_too_long);
  ADD ("/widgets/composer/store-refusal-shown", FALSE, test_composer_store_refusal_shown);
  ADD ("/widgets/composer/invisible-only", FALSE, test_composer_invisible_only);
  ADD ("/widgets/composer/long-unbroken-paste", FALSE, test_composer_long_unbroken_paste);

#undef ADD

  g_test_add ("/widgets/byod/new-conversation-while-typing", OverlayFixture, NULL,
              overlay_setup, test_byod_new_conversation_while_typing, overlay_teardown);

  ret = g_test_run ();
  overlay_peer_stop ();

  return ret;
}
