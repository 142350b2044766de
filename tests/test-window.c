/* test-window.c — the main window over a real database: creating,
 * sending, reopening, renaming and deleting, its size
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-conversation-row.h"
#include "widget-util.h"

static gboolean
n_items_reached (gpointer data)
{
  GListModel *model = ((gpointer *) data)[0];
  guint n = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  return model != NULL && g_list_model_get_n_items (model) >= n;
}

static void
wait_for_n_items (GListModel *model,
                  guint       n)
{
  gpointer data[2] = { model, GUINT_TO_POINTER (n) };

  wait_until (n_items_reached, data, "items in a list");
}

static gboolean
no_conversation_shown (gpointer data)
{
  CairnWindow *window = data;

  return cairn_conversation_list_get_selected_conversation (window_list (window)) == NULL
         && !gtk_widget_get_visible (GTK_WIDGET (window_composer (window)));
}

/* Tests */

/* New Conversation in the header bar, then a message through Send. */
static void
test_create_and_send (Fixture       *f,
                      gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  CairnConversationView *view = window_view (window);
  GListModel *conversations = cairn_conversation_list_get_model (window_list (window));
  GListModel *messages;
  g_autoptr(CairnMessage) message = NULL;
  g_autofree char *left = NULL;
  GtkWidget *new_button;

  wait_for_label (window, "No Conversations");

  new_button = find_widget (GTK_WIDGET (window), match_action_button, "win.new-conversation");
  g_assert_nonnull (new_button);
  gtk_widget_activate (new_button);

  wait_for_n_items (conversations, 1);
  wait_until (conversation_selected, window, "the new conversation to be selected");
  wait_for_label (rows_of (window_list (window)), "New Conversation");
  wait_for_label (view, "No Messages");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (window))
                 == find_child_of_type (window_composer (window), GTK_TYPE_TEXT_VIEW));

  type_text (window, "Plant the tomatoes along the south fence");
  press_send (window);
  wait_until (messages_listed, view, "the message in the list");

  messages = cairn_conversation_view_get_messages (view);
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 1);
  message = g_list_model_get_item (messages, 0);
  g_assert_cmpstr (cairn_message_get_content (message), ==, "Plant the tomatoes along the south fence");
  wait_for_label (rows_of (view), "Plant the tomatoes along the south fence");

  wait_until (not_sending, window_composer (window), "the send to finish");
  left = composer_text (window);
  g_assert_cmpstr (left, ==, "");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* What one window wrote, a window over the reopened database shows. */
static void
test_reopen_shows_content (Fixture       *f,
                           gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Trip to the Dolomites");
  const char *id = cairn_conversation_get_client_id (conversation);

  select_conversation (window, id);
  type_text (window, "Rifugio Firenze has beds on the 12th");
  press_send (window);
  wait_for_label (rows_of (window_view (window)), "Rifugio Firenze has beds on the 12th");
  wait_until (not_sending, window_composer (window), "the send to finish");
  gtk_window_close (GTK_WINDOW (window));

  close_workspace (f);
  open_workspace (f, FALSE);

  window = window_new (f);
  wait_for_label (rows_of (window_list (window)), "Trip to the Dolomites");
  /* The last conversation shown is shown again. */
  wait_until (conversation_selected, window, "the conversation to be restored");
  wait_for_label (rows_of (window_view (window)), "Rifugio Firenze has beds on the 12th");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Rename… and Delete… in the conversation menu, through their dialogs. */
static void
test_rename_and_delete (Fixture       *f,
                        gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Notes");
  GListModel *conversations = cairn_conversation_list_get_model (window_list (window));
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  select_conversation (window, cairn_conversation_get_client_id (conversation));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.rename-conversation", NULL);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog))), ==, "Notes");
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "Garden notes");
  adw_message_dialog_response (dialog, "rename");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_for_label (rows_of (window_list (window)), "Garden notes");
  wait_for_label (window, "Garden notes");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.delete-conversation", NULL);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_object_get (dialog, "body", &body, NULL);
  g_assert_cmpstr (body, ==, "“Garden notes” and its messages will be deleted. This cannot be undone.");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "delete"), ==, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_response (dialog, "delete");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_until (no_conversation_shown, window, "the conversation to go away");
  g_assert_cmpuint (g_list_model_get_n_items (conversations), ==, 0);
  wait_for_label (window_view (window), "No Conversation Selected");
  g_assert_false (action_enabled (GTK_WIDGET (window), "win.delete-conversation"));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A conversation as version 1 of the Cairn functions wrote it: no messageCount. */
static JsonObject *
unmigrated_document (const char *client_id)
{
  JsonObject *document = json_object_new ();

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "title", "Unmigrated");
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", FALSE);
  json_object_set_double_member (document, "createdAt", 1);
  json_object_set_double_member (document, "updatedAt", 1);

  return document;
}

/* The sidebar says how many messages a conversation has, as its store
 * counts them, and nothing while the count is not known. */
static void
test_message_count (Fixture       *f,
                    gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->workspace, "Seeds to order");
  g_autoptr(JsonObject) unknown = NULL;
  g_autoptr(JsonObject) counted = NULL;
  g_autoptr(CairnConversation) unmigrated = NULL;
  GtkWindow *holder;
  GtkWidget *row;

  g_assert_cmpint (cairn_conversation_get_message_count (conversation), ==, 0);
  select_conversation (window, cairn_conversation_get_client_id (conversation));
  wait_for_label (rows_of (window_list (window)), "No messages");

  type_text (window, "Tomatoes: Black Krim");
  press_send (window);
  wait_for_label (rows_of (window_list (window)), "1 message");
  wait_until (not_sending, window_composer (window), "the send to finish");
  type_text (window, "Beans: Borlotti");
  press_send (window);
  wait_for_label (rows_of (window_list (window)), "2 messages");
  wait_until (not_sending, window_composer (window), "the send to finish");
  gtk_window_destroy (GTK_WINDOW (window));

  /* a deployment's conversation its update has not counted yet */
  unknown = unmigrated_document (cairn_conversation_get_client_id (conversation));
  unmigrated = cairn_conversation_new (unknown);
  g_assert_cmpint (cairn_conversation_get_message_count (unmigrated), ==, -1);
  row = cairn_conversation_row_new ();
  cairn_conversation_row_set_conversation (CAIRN_CONVERSATION_ROW (row), unmigrated);
  holder = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (holder, row);
  gtk_window_present (holder);
  wait_for_label (row, "Unmigrated");
  g_assert_null (find_widget (row, match_visible_label, "No messages"));

  /* counted by the update: the row shows it */
  counted = unmigrated_document (cairn_conversation_get_client_id (conversation));
  json_object_set_double_member (counted, "messageCount", 12);
  g_object_set (unmigrated, "document", counted, NULL);
  g_assert_cmpint (cairn_conversation_get_message_count (unmigrated), ==, 12);
  wait_for_label (row, "12 messages");
  gtk_window_destroy (holder);
}

/* The size a window had when it closed is the size the next one opens with. */
static void
test_window_size_remembered (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.cairnapp.Cairn");
  CairnWindow *window = window_new (f);
  int width, height;

  gtk_window_set_default_size (GTK_WINDOW (window), 812, 603);
  test_util_run_for (100);
  gtk_window_close (GTK_WINDOW (window));

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 812);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 603);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  window = window_new (f);
  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, 812);
  g_assert_cmpint (height, ==, 603);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  widget_util_init (&argc, &argv);

#define ADD(path, failing, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (failing), fixture_setup, func, fixture_teardown)

  ADD ("/widgets/window/create-and-send", FALSE, test_create_and_send);
  ADD ("/widgets/window/reopen-shows-content", FALSE, test_reopen_shows_content);
  ADD ("/widgets/window/size-remembered", FALSE, test_window_size_remembered);
  ADD ("/widgets/window/rename-and-delete", FALSE, test_rename_and_delete);
  ADD ("/widgets/window/message-count", FALSE, test_message_count);

#undef ADD

  return g_test_run ();
}
