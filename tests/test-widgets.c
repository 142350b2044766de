/* test-widgets.c — the main window and its widgets over a real database
 *
 * Every test runs the widgets the app runs (CairnWindow and its children)
 * on a real CairnLocalStore in a temporary directory, under Xvfb
 * (tests/run-headless) with GSETTINGS_BACKEND=memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <string.h>

#include "cairn-check-row.h"
#include "cairn-composer.h"
#include "cairn-connection-overlay.h"
#include "cairn-conversation-list.h"
#include "cairn-conversation-row.h"
#include "cairn-conversation-view.h"
#include "cairn-database-page.h"
#include "cairn-date.h"
#include "cairn-local-store.h"
#include "cairn-message-row.h"
#include "cairn-message-window.h"
#include "cairn-preferences-window.h"
#include "cairn-schema.h"
#include "cairn-window.h"
#include "convex-peer.h"
#include "failing-store.h"
#include "fake-clock.h"
#include "fake-network-monitor.h"
#include "test-keyring.h"
#include "test-util.h"

#define WAIT_TIMEOUT_S 10

typedef struct {
  char             *dir;
  char             *path;
  CairnLocalStore  *store;
  TestFailingStore *failing;   /* (nullable) between the workspace and the store */
  CairnWorkspace   *workspace;
} Fixture;

/* Fixture */

static void
open_workspace (Fixture  *f,
                gboolean  failing)
{
  g_autoptr(GError) error = NULL;

  f->store = cairn_local_store_new (f->path, &error);
  g_assert_no_error (error);

  if (failing)
    {
      f->failing = test_failing_store_new (CAIRN_STORE (f->store));
      f->workspace = cairn_workspace_new ("default", CAIRN_STORE (f->failing));
    }
  else
    f->workspace = cairn_workspace_new ("default", CAIRN_STORE (f->store));
}

/* Lets what was issued finish, then drops the workspace and its store. */
static void
close_workspace (Fixture *f)
{
  cairn_local_store_close (f->store);
  g_clear_object (&f->workspace);
  g_clear_object (&f->failing);
  g_clear_object (&f->store);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.cairnapp.Cairn");

  /* The memory backend lives as long as the process: start afresh. */
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "window-maximized");
  g_settings_reset (settings, "selected-conversation");

  f->dir = g_dir_make_tmp ("cairn-widgets-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "cairn.db", NULL);
  open_workspace (f, GPOINTER_TO_INT (data));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_workspace (f);
  test_util_remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* Waiting */

typedef gboolean (*Condition) (gpointer data);

static gboolean
timed_out_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @condition holds; fails the test after a while. */
static void
wait_until (Condition     condition,
            gpointer      data,
            const char   *what)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (WAIT_TIMEOUT_S, timed_out_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("Timed out waiting for %s", what);

  g_source_remove (timeout_id);
}

/* Lets pending idles and frames run, for a short while. */
static void
run_for (guint ms)
{
  gboolean timed_out = FALSE;

  g_timeout_add (ms, timed_out_cb, &timed_out);
  while (!timed_out)
    g_main_context_iteration (NULL, TRUE);
}

/* The widget tree */

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find_widget (GtkWidget     *root,
             Match          match,
             gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
match_type (GtkWidget     *widget,
            gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

static gboolean
match_visible_label (GtkWidget     *widget,
                     gconstpointer  data)
{
  return GTK_IS_LABEL (widget)
         && gtk_widget_is_drawable (widget)
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), data) == 0;
}

static gboolean
match_action_button (GtkWidget     *widget,
                     gconstpointer  data)
{
  return GTK_IS_BUTTON (widget)
         && gtk_widget_is_drawable (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

static gpointer
find_child_of_type (gpointer root,
                    GType    type)
{
  GtkWidget *found = find_widget (GTK_WIDGET (root), match_type, GSIZE_TO_POINTER (type));

  g_assert_nonnull (found);
  return found;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelSearch;

static gboolean
label_shown (gpointer data)
{
  LabelSearch *search = data;

  return find_widget (search->root, match_visible_label, search->text) != NULL;
}

static void
wait_for_label (gpointer    root,
                const char *text)
{
  LabelSearch search = { GTK_WIDGET (root), text };
  g_autofree char *what = g_strdup_printf ("a label “%s”", text);

  wait_until (label_shown, &search, what);
}

/* Parts of a window */

/* The rows of a list view (not a status page that may still fade out). */
static GtkWidget *
rows_of (gpointer widget)
{
  return find_child_of_type (widget, GTK_TYPE_LIST_VIEW);
}

static CairnConversationList *
window_list (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_CONVERSATION_LIST);
}

static CairnConversationView *
window_view (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_CONVERSATION_VIEW);
}

static CairnComposer *
window_composer (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_COMPOSER);
}

static CairnWindow *
window_new (Fixture *f)
{
  CairnWindow *window = cairn_window_new (NULL, f->workspace);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

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
conversation_selected (gpointer data)
{
  CairnWindow *window = data;

  return cairn_conversation_list_get_selected_conversation (window_list (window)) != NULL
         && cairn_composer_get_conversation (window_composer (window)) != NULL;
}

static gboolean
messages_listed (gpointer data)
{
  CairnConversationView *view = data;

  return cairn_conversation_view_get_messages (view) != NULL
         && g_list_model_get_n_items (cairn_conversation_view_get_messages (view)) > 0;
}

static gboolean
not_sending (gpointer data)
{
  return !cairn_composer_get_sending (data);
}

/* Types @text into the composer's text view, as the keyboard would. */
static void
type_text (CairnWindow *window,
           const char  *text)
{
  GtkTextView *view = find_child_of_type (window_composer (window), GTK_TYPE_TEXT_VIEW);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);

  gtk_text_buffer_insert_interactive_at_cursor (buffer, text, -1, TRUE);
}

static char *
composer_text (CairnWindow *window)
{
  return cairn_composer_get_text (window_composer (window));
}

static void
press_send (CairnWindow *window)
{
  GtkWidget *button = find_widget (GTK_WIDGET (window_composer (window)),
                                   match_action_button, "composer.send");

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  gtk_widget_activate (button);
}

/* Synchronous workspace calls, so each test reads as a story. */

static CairnConversation *
create_conversation (Fixture    *f,
                     const char *title)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CairnConversation *conversation;

  cairn_workspace_create_conversation_async (f->workspace, title, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  conversation = cairn_workspace_create_conversation_finish (f->workspace, result, &error);
  g_assert_no_error (error);

  return conversation;
}

static char *
load_draft (Fixture    *f,
            const char *conversation_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *text;

  cairn_workspace_load_draft_async (f->workspace, conversation_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  text = cairn_workspace_load_draft_finish (f->workspace, result, &error);
  g_assert_no_error (error);

  return text;
}

static void
select_conversation (CairnWindow *window,
                     const char  *client_id)
{
  cairn_conversation_list_select (window_list (window), client_id);
  wait_until (conversation_selected, window, "a conversation to be selected");
  g_assert_cmpstr (cairn_conversation_get_client_id (cairn_composer_get_conversation (window_composer (window))),
                   ==, client_id);
}

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
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Trip to the Dolomites");
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

typedef struct {
  Fixture    *fixture;
  const char *conversation_id;
  const char *text;
} DraftCheck;

static gboolean
draft_stored (gpointer data)
{
  DraftCheck *check = data;
  g_autofree char *text = load_draft (check->fixture, check->conversation_id);

  return g_strcmp0 (text, check->text) == 0;
}

/* Unsent text is kept per conversation, across a switch and a restart. */
static void
test_drafts_kept (Fixture       *f,
                  gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) first = create_conversation (f, "Garden");
  g_autoptr(CairnConversation) second = create_conversation (f, "Reading list");
  g_autofree char *first_id = g_strdup (cairn_conversation_get_client_id (first));
  g_autofree char *second_id = g_strdup (cairn_conversation_get_client_id (second));
  DraftCheck check = { f, second_id, "Braiding Sweetgrass" };

  select_conversation (window, first_id);
  type_text (window, "Order basil seeds");
  select_conversation (window, second_id);
  wait_for_composer_text (window, "");
  type_text (window, "Braiding Sweetgrass");

  /* Back to the first: its draft returns (saved when the view switched). */
  select_conversation (window, first_id);
  wait_for_composer_text (window, "Order basil seeds");

  /* The second's draft is saved after the pause following the last edit. */
  wait_until (draft_stored, &check, "the draft to be saved after a pause");

  /* Typed, then the window goes away at once: the draft is saved anyway. */
  type_text (window, " and kale");
  gtk_window_destroy (GTK_WINDOW (window));
  check.conversation_id = first_id;
  check.text = "Order basil seeds and kale";
  wait_until (draft_stored, &check, "the draft to be saved on destroy");

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
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Notes");
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

/* Typing, and a conversation that changes or comes meanwhile */

static CairnConversation *
workspace_create_conversation (CairnWorkspace *workspace,
                               const char     *title)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  CairnConversation *conversation;

  cairn_workspace_create_conversation_async (workspace, title, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  conversation = cairn_workspace_create_conversation_finish (workspace, result, &error);
  g_assert_no_error (error);

  return conversation;
}

static char *
workspace_load_draft (CairnWorkspace *workspace,
                      const char     *conversation_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *text;

  cairn_workspace_load_draft_async (workspace, conversation_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  text = cairn_workspace_load_draft_finish (workspace, result, &error);
  g_assert_no_error (error);

  return text;
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
  g_autofree char *text = workspace_load_draft (wait->workspace, wait->conversation_id);

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

/* The conversation being written in is updated — marked pending, then as
 * the deployment stored it (what the outbox announces), renamed, moved up
 * the list by a newer updatedAt (a new item in the listing) — while text is
 * in Message: the text, the focus and the messages shown all stay. */
static void
test_conversation_updated_while_typing (Fixture       *f,
                                        gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Packing list");
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
  run_for (50);
  g_signal_emit_by_name (f->workspace, "document-changed", "conversations", stored);
  run_for (50);
  g_signal_emit_by_name (f->workspace, "document-changed", "conversations", renamed);
  run_for (50);
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
  run_for (50);
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
  g_autoptr(CairnConversation) left = workspace_create_conversation (workspace, "Groceries");
  g_autofree char *left_id = g_strdup (cairn_conversation_get_client_id (left));
  gpointer args[2] = { window, left_id };
  g_autofree char *new_id = NULL;
  g_autoptr(CairnMessage) message = NULL;
  CairnConversationView *view = window_view (window);

  start_writing_in (window, left);
  type_text (window, "Eggs");

  g_action_group_activate_action (G_ACTION_GROUP (window), "new-conversation", NULL);
  type_text (window, "The tent pegs are in the blue bag");
  /* what this is about: it does not exist yet */
  g_assert_cmpstr (shown_id (window), ==, left_id);

  wait_until (other_conversation_shown, args, "the new conversation to be shown");
  new_id = g_strdup (shown_id (window));
  run_for (50);
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
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Groceries");
  ComposerText expected = { window, "Eggs and milk" };
  g_autofree char *emptied = NULL;

  start_writing_in (window, conversation);
  type_text (window, "Eggs");

  test_failing_store_fail_inserts_into (f->failing, "conversations");
  g_action_group_activate_action (G_ACTION_GROUP (window), "new-conversation", NULL);
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
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Logs");
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
  run_for (100);

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
  run_for (200);
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

/* Text that shows nothing cannot be sent, as empty text cannot. */
static void
test_composer_invisible_only (Fixture       *f,
                              gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Quiet");
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

  run_for (200);
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
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Hashes");
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
  run_for (100);
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
      run_for (5);
      seconds = MAX (seconds, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
    }
  g_test_message ("the slowest of 10 characters typed onto it took %.2f s", seconds);
  g_assert_cmpfloat (seconds, <, 1.5);

  /* emptied (sent, or cleared): words wrap between words again */
  gtk_text_buffer_set_text (buffer, "", -1);
  g_assert_cmpint (gtk_text_view_get_wrap_mode (view), ==, GTK_WRAP_WORD_CHAR);

  gtk_window_destroy (GTK_WINDOW (window));
}

static AdwMessageDialog *
find_message_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

static gboolean
no_conversation_shown (gpointer data)
{
  CairnWindow *window = data;

  return cairn_conversation_list_get_selected_conversation (window_list (window)) == NULL
         && !gtk_widget_get_visible (GTK_WIDGET (window_composer (window)));
}

/* Rename… and Delete… in the conversation menu, through their dialogs. */
static void
test_rename_and_delete (Fixture       *f,
                        gconstpointer  data)
{
  CairnWindow *window = window_new (f);
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Notes");
  GListModel *conversations = cairn_conversation_list_get_model (window_list (window));
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  select_conversation (window, cairn_conversation_get_client_id (conversation));

  g_action_group_activate_action (G_ACTION_GROUP (window), "rename-conversation", NULL);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog))), ==, "Notes");
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "Garden notes");
  adw_message_dialog_response (dialog, "rename");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_for_label (rows_of (window_list (window)), "Garden notes");
  wait_for_label (window, "Garden notes");

  g_action_group_activate_action (G_ACTION_GROUP (window), "delete-conversation", NULL);
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
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "delete-conversation"));

  gtk_window_destroy (GTK_WINDOW (window));
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
  run_for (100);
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

/* The Database page */

static GtkWidget *
preferences_new (Fixture *f)
{
  GtkWidget *preferences = cairn_preferences_window_new (f->workspace);

  cairn_preferences_window_set_visible_page_name (CAIRN_PREFERENCES_WINDOW (preferences), "database");
  gtk_window_present (GTK_WINDOW (preferences));

  return preferences;
}

static gboolean
match_button_label (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

static gboolean
match_check_row (GtkWidget     *widget,
                 gconstpointer  data)
{
  return CAIRN_IS_CHECK_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static void
press_button (gpointer    root,
              const char *label)
{
  GtkWidget *button = find_widget (GTK_WIDGET (root), match_button_label, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  /* not gtk_widget_activate(): a button activated that way clicks after a
   * short animation, and the test would wait for a page that is not busy yet */
  g_signal_emit_by_name (button, "clicked");
}

/* The row of one step of Test Connection. */
static CairnCheckRow *
step_row (gpointer           root,
          CairnPreflightStep step)
{
  GtkWidget *row = find_widget (GTK_WIDGET (root), match_check_row, cairn_preflight_step_title (step));

  g_assert_nonnull (row);
  return CAIRN_CHECK_ROW (row);
}

static void
enter_connection (gpointer    root,
                  const char *url,
                  const char *key)
{
  GtkEditable *url_row = find_child_of_type (root, ADW_TYPE_ENTRY_ROW);
  GtkEditable *key_row = find_child_of_type (root, ADW_TYPE_PASSWORD_ENTRY_ROW);

  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (url_row)), ==, "Deployment URL");
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (key_row)), ==, "Deploy Key");
  gtk_editable_set_text (url_row, url);
  gtk_editable_set_text (key_row, key);
}

static gboolean
page_idle (gpointer data)
{
  return !cairn_database_page_get_busy (data);
}

static void
wait_for_page_idle (gpointer root)
{
  wait_until (page_idle, find_child_of_type (root, CAIRN_TYPE_DATABASE_PAGE), "the page to finish");
}

static gboolean
widget_drawable (gpointer data)
{
  return gtk_widget_is_drawable (data);
}

static void
assert_step (gpointer             root,
             CairnPreflightStep   step,
             CairnPreflightState  state)
{
  CairnCheckRow *row = step_row (root, step);

  wait_until (widget_drawable, row, "the step to show");
  g_assert_cmpuint (cairn_check_row_get_state (row), ==, state);
  if (state != CAIRN_PREFLIGHT_FAILED)
    g_assert_null (cairn_check_row_get_message (row));
}

/* Its message is shown in full, wraps, and can be selected and copied. */
static void
assert_step_message (gpointer            root,
                     CairnPreflightStep  step,
                     const char         *message_part)
{
  CairnCheckRow *row = step_row (root, step);
  const char *message = cairn_check_row_get_message (row);
  GtkWidget *label;

  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, message_part));
  label = find_widget (GTK_WIDGET (row), match_visible_label, message);
  g_assert_nonnull (label);
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (label)));
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
}

/* Preferences opens at the Database page, which names the database file. */
static void
test_preferences_database_page (Fixture       *f,
                                gconstpointer  data)
{
  GtkWidget *preferences = preferences_new (f);
  AdwPreferencesWindow *window = ADW_PREFERENCES_WINDOW (preferences);
  GtkWidget *disconnect;

  g_assert_cmpstr (adw_preferences_window_get_visible_page_name (window), ==, "database");
  wait_for_label (preferences, "This Computer");
  wait_for_label (preferences, f->path);
  g_assert_false (cairn_workspace_get_byod_enabled (f->workspace));

  /* what only a deployment has is not shown */
  g_assert_null (find_widget (preferences, match_visible_label, "Schema Version"));
  g_assert_null (find_widget (preferences, match_visible_label, "Connection Test"));
  disconnect = find_widget (preferences, match_button_label, "Disconnect");
  g_assert_nonnull (disconnect);
  g_assert_false (gtk_widget_is_drawable (disconnect));

  /* nothing to fill in yet, and nothing that pretends to be done */
  g_assert_cmpstr (gtk_editable_get_text (find_child_of_type (preferences, ADW_TYPE_ENTRY_ROW)), ==, "");
  g_assert_cmpstr (gtk_editable_get_text (find_child_of_type (preferences, ADW_TYPE_PASSWORD_ENTRY_ROW)), ==, "");
  g_assert_nonnull (find_widget (preferences, match_button_label, "Test Connection"));
  g_assert_nonnull (find_widget (preferences, match_button_label, "Save"));

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* A URL that is not a deployment's fails the first step; nothing else runs. */
static void
test_preferences_test_bad_url (Fixture       *f,
                               gconstpointer  data)
{
  GtkWidget *preferences = preferences_new (f);

  enter_connection (preferences, "http://example.com", "prod:happy-otter-123|secret");
  press_button (preferences, "Test Connection");
  wait_for_page_idle (preferences);

  wait_for_label (preferences, "Connection Test");
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_FAILED);
  assert_step_message (preferences, CAIRN_PREFLIGHT_STEP_URL, "https");
  for (CairnPreflightStep step = CAIRN_PREFLIGHT_STEP_REACHABLE; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    assert_step (preferences, step, CAIRN_PREFLIGHT_SKIPPED);

  /* a check changes nothing */
  g_assert_false (cairn_workspace_get_byod_enabled (f->workspace));
  wait_for_label (preferences, f->path);

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* Without a key, the key step fails and says where to get one. */
static void
test_preferences_test_empty_key (Fixture       *f,
                                 gconstpointer  data)
{
  GtkWidget *preferences = preferences_new (f);

  enter_connection (preferences, "https://happy-otter-123.convex.cloud", "");
  press_button (preferences, "Test Connection");
  wait_for_page_idle (preferences);

  assert_step (preferences, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_PASSED);
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_REACHABLE, CAIRN_PREFLIGHT_SKIPPED);
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_KEY, CAIRN_PREFLIGHT_FAILED);
  assert_step_message (preferences, CAIRN_PREFLIGHT_STEP_KEY, "Deploy Keys");
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, CAIRN_PREFLIGHT_SKIPPED);
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_SCHEMA, CAIRN_PREFLIGHT_SKIPPED);

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* Save checks first; when the check fails the step says why and nothing changes. */
static void
test_preferences_save_refused (Fixture       *f,
                               gconstpointer  data)
{
  GtkWidget *preferences = preferences_new (f);

  enter_connection (preferences, "ftp://happy-otter-123.convex.cloud", "prod:happy-otter-123|secret");
  press_button (preferences, "Save");
  wait_for_page_idle (preferences);

  assert_step (preferences, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_FAILED);
  assert_step_message (preferences, CAIRN_PREFLIGHT_STEP_URL, "https://");
  for (CairnPreflightStep step = CAIRN_PREFLIGHT_STEP_REACHABLE; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    assert_step (preferences, step, CAIRN_PREFLIGHT_SKIPPED);

  g_assert_false (cairn_workspace_get_byod_enabled (f->workspace));
  g_assert_false (cairn_workspace_get_byod_config (f->workspace)->enabled);
  wait_for_label (preferences, "This Computer");
  /* the key is still there to correct, and the controls work again */
  g_assert_cmpstr (gtk_editable_get_text (find_child_of_type (preferences, ADW_TYPE_PASSWORD_ENTRY_ROW)),
                   ==, "prod:happy-otter-123|secret");
  g_assert_true (gtk_widget_is_sensitive (find_widget (preferences, match_button_label, "Save")));

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* Times of today, yesterday, this week, this year and before. */
static void
test_relative_dates (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 3, 12, 15, 30, 0);
  struct {
    int         year, month, day, hour, minute;
    const char *expected;
  } cases[] = {
    { 2026, 3, 12, 10, 42, "10:42" },
    { 2026, 3, 11, 23, 59, "Yesterday" },
    { 2026, 3,  9,  8,  0, "Monday" },
    { 2026, 1,  3,  8,  0, "3 January" },
    { 2025, 12, 31, 8,  0, "31 December 2025" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) then = g_date_time_new_local (cases[i].year, cases[i].month, cases[i].day,
                                                         cases[i].hour, cases[i].minute, 0);
      g_autofree char *text = cairn_date_format_relative (g_date_time_to_unix (then) * 1000, now);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* The connection overlay
 *
 * A real CairnConnection on a FakeClock (nothing is retried behind the
 * test's back) against a port where nothing listens, a port that never
 * answers, or the Convex test peer set up to refuse in each way. Every
 * state is saved as a screenshot in <build dir>/screenshots/overlay-*.png. */

#define OVERLAY_ADMIN_KEY "dev:cairn-test|overlay-secret"

static ConvexPeer *overlay_peer;   /* started by the first test that needs it */

typedef struct {
  Fixture             base;
  FakeClock          *clock;
  FakeNetworkMonitor *monitor;
  CairnWorkspace     *workspace;   /* on the fake clock; its user store is the connection */
  CairnConnection    *connection;
  CairnWindow        *window;
  GSocket            *silent;      /* (nullable) listens and never answers */
  char               *preferences; /* the page app.preferences was asked for */
} OverlayFixture;

static void
overlay_setup (OverlayFixture *f,
               gconstpointer   data)
{
  static GtkCssProvider *style;

  /* the style sheet the application loads, for screenshots as users see them */
  if (style == NULL)
    {
      style = gtk_css_provider_new ();
      gtk_css_provider_load_from_resource (style, "/io/github/cairnapp/Cairn/style.css");
      gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (style),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    }

  fixture_setup (&f->base, GINT_TO_POINTER (FALSE));
  f->clock = fake_clock_new ();
  f->monitor = fake_network_monitor_new ();
  f->workspace = g_object_new (CAIRN_TYPE_WORKSPACE,
                               "id", "default",
                               "main-store", f->base.store,
                               "clock", f->clock,
                               "network-monitor", f->monitor,
                               NULL);
}

static void
overlay_teardown (OverlayFixture *f,
                  gconstpointer   data)
{
  g_clear_pointer ((GtkWindow **) &f->window, gtk_window_destroy);
  cairn_workspace_set_user_store (f->workspace, NULL);
  g_clear_object (&f->connection);
  g_clear_object (&f->workspace);
  g_clear_object (&f->monitor);
  g_clear_object (&f->clock);
  if (f->silent != NULL)
    g_socket_close (f->silent, NULL);
  g_clear_object (&f->silent);
  g_free (f->preferences);
  if (overlay_peer != NULL)
    convex_peer_control (overlay_peer, "reset", "{}");
  fixture_teardown (&f->base, GINT_TO_POINTER (FALSE));
}

static ConvexPeer *
overlay_peer_get (void)
{
  if (overlay_peer == NULL)
    overlay_peer = convex_peer_start (OVERLAY_ADMIN_KEY, NULL);

  return overlay_peer;
}

/* A socket listening on a loopback port (0: any free one) that never accepts:
 * a request sent there waits for an answer that never comes. */
static GSocket *
listen_silently (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);

  g_assert_no_error (error);
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&socket);
}

static guint16
url_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return (guint16) g_uri_get_port (uri);
}

/* A loopback URL; @keep: its socket stays open and silent, otherwise it is
 * closed and nothing listens there. */
static char *
loopback_url (GSocket **keep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = listen_silently (0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  if (keep != NULL)
    *keep = g_steal_pointer (&socket);
  else
    g_socket_close (socket, NULL);

  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  OverlayFixture *f = user_data;

  g_free (f->preferences);
  f->preferences = g_variant_dup_string (parameter, NULL);
}

/* BYOD on through a connection to @url, in a window, and its first check started. */
static void
overlay_connect (OverlayFixture *f,
                 const char     *url,
                 const char     *key)
{
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GSimpleActionGroup) app = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) preferences = g_simple_action_new ("preferences", G_VARIANT_TYPE_STRING);
  g_autoptr(GError) error = NULL;

  client = cairn_convex_client_new (url, &error);
  g_assert_no_error (error);
  if (key != NULL)
    cairn_convex_client_set_admin_key (client, key);

  f->connection = cairn_connection_new ("default", client, CAIRN_CLOCK (f->clock), G_NETWORK_MONITOR (f->monitor));
  cairn_workspace_set_user_store (f->workspace, CAIRN_STORE (f->connection));

  f->window = cairn_window_new (NULL, f->workspace);
  /* what the application would do with Check Settings */
  g_signal_connect (preferences, "activate", G_CALLBACK (preferences_activated), f);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (preferences));
  gtk_widget_insert_action_group (GTK_WIDGET (f->window), "app", G_ACTION_GROUP (app));
  gtk_window_present (GTK_WINDOW (f->window));

  cairn_connection_start (f->connection);
}

static gboolean
connection_settled (gpointer data)
{
  OverlayFixture *f = data;

  return cairn_connection_get_state (f->connection) != CAIRN_CONNECTION_CONNECTING
         && !cairn_connection_get_probing (f->connection);
}

static void
wait_settled (OverlayFixture       *f,
              CairnConnectionState  state,
              CairnBlockReason      reason)
{
  wait_until (connection_settled, f, "the connection's check");
  g_test_message ("state %u reason %u: %s", cairn_connection_get_state (f->connection),
                  cairn_connection_get_reason (f->connection),
                  cairn_connection_get_error (f->connection) != NULL
                  ? cairn_connection_get_error (f->connection)->message : "-");
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, state);
  g_assert_cmpuint (cairn_connection_get_reason (f->connection), ==, reason);
}

static CairnConnectionOverlay *
window_overlay (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_CONNECTION_OVERLAY);
}

static GtkWidget *
overlay_button (OverlayFixture *f,
                const char     *action,
                const char     *label)
{
  GtkWidget *button = find_widget (GTK_WIDGET (window_overlay (f->window)), match_action_button, action);

  g_assert_nonnull (button);
  g_assert_nonnull (find_widget (button, match_visible_label, label));

  return button;
}

static gboolean
match_primary_menu_button (GtkWidget     *widget,
                           gconstpointer  data)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget));
}

static gboolean
frame_drawn_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;

  return G_SOURCE_REMOVE;
}

/* Lets the window lay out and draw what changed. */
static void
wait_for_frame (gpointer window)
{
  gboolean drawn = FALSE;

  gtk_widget_queue_draw (GTK_WIDGET (window));
  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_drawn_cb, &drawn, NULL);
  while (!drawn)
    g_main_context_iteration (NULL, TRUE);
  run_for (50);
}

/* What the pointer would hit at the middle of @widget. */
static GtkWidget *
pick_middle_of (GtkWidget *window,
                GtkWidget *widget)
{
  graphene_point_t middle = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                 gtk_widget_get_height (widget) / 2.f);
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (widget, window, &middle, &point));

  return gtk_widget_pick (window, point.x, point.y, GTK_PICK_DEFAULT);
}

static gboolean
widget_is_or_inside (GtkWidget *widget,
                     GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

/* Under the overlay nothing takes a click, the focus or a shortcut; the
 * main menu in the header bar still works. */
static void
assert_content_blocked (OverlayFixture *f)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *overlay = GTK_WIDGET (window_overlay (f->window));
  GtkWidget *list = GTK_WIDGET (window_list (f->window));
  GtkWidget *view = GTK_WIDGET (window_view (f->window));
  GtkWidget *composer = GTK_WIDGET (window_composer (f->window));
  GtkWidget *menu_button = find_widget (window, match_primary_menu_button, NULL);
  GtkWidget *focus;

  wait_for_frame (window);
  g_assert_true (gtk_widget_is_drawable (overlay));
  g_assert_true (cairn_connection_overlay_get_blocking (CAIRN_CONNECTION_OVERLAY (overlay)));

  g_assert_false (gtk_widget_is_sensitive (list));
  g_assert_false (gtk_widget_is_sensitive (view));
  g_assert_false (gtk_widget_is_sensitive (composer));
  g_assert_false (gtk_widget_child_focus (list, GTK_DIR_TAB_FORWARD));
  g_assert_false (gtk_widget_child_focus (view, GTK_DIR_TAB_FORWARD));
  g_assert_false (gtk_widget_grab_focus (composer));
  focus = gtk_window_get_focus (GTK_WINDOW (window));
  g_assert_false (widget_is_or_inside (focus, list));
  g_assert_false (widget_is_or_inside (focus, view));
  g_assert_false (widget_is_or_inside (focus, composer));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "new-conversation"));

  g_assert_true (widget_is_or_inside (pick_middle_of (window, list), overlay));
  g_assert_true (widget_is_or_inside (pick_middle_of (window, view), overlay));

  g_assert_nonnull (menu_button);
  g_assert_true (gtk_widget_is_sensitive (menu_button));
  g_assert_true (widget_is_or_inside (pick_middle_of (window, menu_button), menu_button));
}

static void
assert_content_reachable (OverlayFixture *f)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *list = GTK_WIDGET (window_list (f->window));

  wait_for_frame (window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window_overlay (f->window))));
  g_assert_false (cairn_connection_overlay_get_blocking (window_overlay (f->window)));
  g_assert_true (gtk_widget_is_sensitive (list));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window_view (f->window))));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window_composer (f->window))));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "new-conversation"));
  g_assert_true (widget_is_or_inside (pick_middle_of (window, list), list));
}


/* Renders the window as it is now into <build dir>/screenshots/overlay-@name.png. */
static void
save_screenshot (CairnWindow *window,
                 const char  *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = g_strdup_printf ("overlay-%s.png", name);
  g_autofree char *path = NULL;
  const char *root = g_getenv ("CAIRN_BUILD_ROOT");
  int width, height;

  /* a frame with everything laid out and styled */
  wait_for_frame (window);

  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (root != NULL)
    dir = g_build_filename (root, "screenshots", NULL);
  else
    dir = g_test_build_filename (G_TEST_BUILT, "..", "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* A label with exactly @text, shown in the overlay, that wraps and can be copied. */
static void
assert_message_shown (OverlayFixture *f,
                      const char     *text)
{
  GtkWidget *label = find_widget (GTK_WIDGET (window_overlay (f->window)), match_visible_label, text);

  g_assert_nonnull (label);
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (label)));
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
}

/* What the overlay should say about the next automatic attempt. */
static char *
expected_countdown (OverlayFixture *f)
{
  gint64 next = cairn_connection_get_next_attempt (f->connection);
  gint64 now = cairn_clock_get_time (CAIRN_CLOCK (f->clock));
  guint seconds = (guint) ((next - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

  g_assert_cmpint (next, >, now);
  return g_strdup_printf (seconds == 1 ? "Trying again in %u second" : "Trying again in %u seconds", seconds);
}

/* The blocked overlay for one reason: its title, the seed's description,
 * the error, the three ways out, when the next attempt comes. */
static void
assert_blocked (OverlayFixture *f,
                const char     *title,
                const char     *message)
{
  CairnConnectionOverlay *overlay = window_overlay (f->window);
  g_autofree char *countdown = expected_countdown (f);
  GtkWidget *retry;
  GtkWidget *settings;
  GtkWidget *dashboard;

  wait_for_label (f->window, title);
  wait_for_label (f->window, "Unable to connect to your Convex database. The app is blocked to protect your data.");
  wait_for_label (f->window, "Possible causes:");
  assert_message_shown (f, message != NULL ? message : cairn_connection_get_error (f->connection)->message);
  wait_for_label (f->window, countdown);

  retry = overlay_button (f, "connection.retry", "Retry Connection");
  settings = overlay_button (f, "app.preferences", "Check Settings");
  dashboard = overlay_button (f, "connection.open-dashboard", "Convex Dashboard");
  g_assert_true (gtk_widget_is_sensitive (retry));
  g_assert_true (gtk_widget_is_sensitive (settings));
  g_assert_true (gtk_widget_is_sensitive (dashboard));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (dashboard), ==, "https://dashboard.convex.dev");
  /* the seed's hint, after more than two failed retries */
  g_assert_true ((find_widget (GTK_WIDGET (overlay), match_visible_label,
                               "Still having issues? Try updating your credentials in Settings or contact support.") != NULL)
                 == (cairn_connection_get_failed_retries (f->connection) > 2));

  /* the way out has the focus, and is the suggested action */
  g_assert_true (gtk_widget_has_css_class (gtk_window_get_focus (GTK_WINDOW (f->window)), "suggested-action"));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == retry
                 || gtk_window_get_focus (GTK_WINDOW (f->window)) == settings);

  assert_content_blocked (f);
}

/* BYOD off: no connection, no overlay. */
static void
test_overlay_hidden_without_byod (OverlayFixture *f,
                                  gconstpointer   data)
{
  f->window = cairn_window_new (NULL, f->workspace);
  gtk_window_present (GTK_WINDOW (f->window));
  wait_until (widget_drawable, window_list (f->window), "the window");

  g_assert_null (cairn_workspace_get_connection (f->workspace));
  assert_content_reachable (f);
}

/* The first check: a spinner until the deployment answers. */
static void
test_overlay_connecting (OverlayFixture *f,
                         gconstpointer   data)
{
  g_autofree char *url = loopback_url (&f->silent);

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_for_label (f->window, "Connecting to your database…");
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTING);
  g_assert_true (gtk_spinner_get_spinning (find_child_of_type (window_overlay (f->window), GTK_TYPE_SPINNER)));
  assert_content_blocked (f);
  save_screenshot (f->window, "connecting");
}

/* Nothing listens: the check fails, the app blocks and says so. */
static void
test_overlay_unreachable (OverlayFixture *f,
                          gconstpointer   data)
{
  g_autofree char *url = loopback_url (NULL);
  g_autofree char *countdown = NULL;

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  assert_blocked (f, "Database Connection Error", NULL);
  wait_for_label (f->window, "No contact yet");
  wait_for_label (f->window, "Your Convex deployment is paused or deleted");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == overlay_button (f, "connection.retry", "Retry Connection"));
  save_screenshot (f->window, "unreachable");

  /* Check Settings opens Preferences at the Database page */
  g_signal_emit_by_name (overlay_button (f, "app.preferences", "Check Settings"), "clicked");
  g_assert_cmpstr (f->preferences, ==, "database");

  /* automatic attempts back off; the countdown follows the connection's clock */
  for (guint i = 0; i < 3; i++)
    {
      fake_clock_advance (f->clock, (guint) ((cairn_connection_get_next_attempt (f->connection)
                                              - cairn_clock_get_time (CAIRN_CLOCK (f->clock))) / 1000));
      wait_until (connection_settled, f, "an automatic attempt");
    }
  g_assert_cmpint (cairn_connection_get_next_attempt (f->connection)
                   - cairn_clock_get_time (CAIRN_CLOCK (f->clock)), >, 2 * G_USEC_PER_SEC);
  countdown = expected_countdown (f);
  wait_for_label (f->window, countdown);
  fake_clock_advance (f->clock, 1000);
  g_free (countdown);
  countdown = expected_countdown (f);
  wait_for_label (f->window, countdown);
  g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, 0);
}

/* No network at all: the overlay says the computer is offline. */
static void
test_overlay_offline (OverlayFixture *f,
                      gconstpointer   data)
{
  g_autofree char *url = loopback_url (NULL);

  fake_network_monitor_set_available (f->monitor, FALSE);
  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_OFFLINE);
  assert_blocked (f, "You Are Offline", NULL);
  save_screenshot (f->window, "offline");
}

static gboolean
not_probing (gpointer data)
{
  return !cairn_connection_get_probing (data);
}

/* Retry probes at once; while it runs the button says so and waits; after
 * more than two failed retries comes the seed's hint. */
static void
test_overlay_retries (OverlayFixture *f,
                      gconstpointer   data)
{
  const char *hint = "Still having issues? Try updating your credentials in Settings or contact support.";
  g_autofree char *url = loopback_url (NULL);
  GtkWidget *retry;

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  wait_for_label (f->window, "Database Connection Error");
  retry = overlay_button (f, "connection.retry", "Retry Connection");

  for (guint i = 1; i <= 3; i++)
    {
      /* the first retry waits for an answer until the test closes the port */
      if (i == 1)
        f->silent = listen_silently (url_port (url));

      g_signal_emit_by_name (retry, "clicked");
      g_assert_true (cairn_connection_get_probing (f->connection));
      g_assert_nonnull (find_widget (retry, match_visible_label, "Retrying…"));
      g_assert_false (gtk_widget_is_sensitive (retry));
      g_assert_true (gtk_spinner_get_spinning (find_child_of_type (retry, GTK_TYPE_SPINNER)));
      wait_for_label (f->window, "Trying again…");

      if (i == 1)
        {
          save_screenshot (f->window, "retrying");
          g_assert_true (cairn_connection_get_probing (f->connection));
          g_assert_nonnull (find_widget (retry, match_visible_label, "Retrying…"));
          g_socket_close (f->silent, NULL);
          g_clear_object (&f->silent);
        }

      wait_until (not_probing, f->connection, "the retry");
      g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, i);
      g_assert_true (gtk_widget_is_sensitive (retry));
      g_assert_nonnull (find_widget (retry, match_visible_label, "Retry Connection"));
      /* the button had the focus, and has it again */
      g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == retry);

      if (i <= 2)
        g_assert_null (find_widget (GTK_WIDGET (f->window), match_visible_label, hint));
    }

  wait_for_label (f->window, hint);
  assert_blocked (f, "Database Connection Error", NULL);
  save_screenshot (f->window, "hint");
}

static void
create_conversation_blocked (OverlayFixture *f,
                             const char     *title)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  cairn_workspace_create_conversation_async (f->workspace, title, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  conversation = cairn_workspace_create_conversation_finish (f->workspace, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation);
}

/* What waits in the outbox is counted, and said to be safe. */
static void
test_overlay_unsent_items (OverlayFixture *f,
                           gconstpointer   data)
{
  g_autofree char *url = loopback_url (NULL);
  const char *one = "1 unsent item is kept safe on this computer and will be sent when the connection is back";
  const char *two = "2 unsent items are kept safe on this computer and will be sent when the connection is back";

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  wait_for_label (f->window, "Database Connection Error");
  g_assert_null (find_widget (GTK_WIDGET (f->window), match_visible_label, one));

  create_conversation_blocked (f, "Packing list");
  wait_for_label (f->window, one);
  create_conversation_blocked (f, "Route");
  wait_for_label (f->window, two);
  assert_blocked (f, "Database Connection Error", NULL);
  save_screenshot (f->window, "unsent");
}

static gboolean
leaflet_folded (gpointer data)
{
  return adw_leaflet_get_folded (find_child_of_type (data, ADW_TYPE_LEAFLET));
}

/* In a narrow window (one pane shown) and in the dark style, the overlay
 * still lies below the header bar and the main menu stays in reach. */
static void
test_overlay_narrow_and_dark (OverlayFixture *f,
                              gconstpointer   data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.cairnapp.Cairn");
  g_autofree char *url = loopback_url (NULL);
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWidget *overlay;
  GtkWidget *menu_button;
  graphene_rect_t bounds;

  g_settings_set_int (settings, "window-width", 360);
  g_settings_set_int (settings, "window-height", 700);
  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  wait_until (leaflet_folded, f->window, "the window to fold");
  wait_for_label (f->window, "Database Connection Error");
  wait_for_frame (f->window);

  overlay = GTK_WIDGET (window_overlay (f->window));
  menu_button = find_widget (GTK_WIDGET (f->window), match_primary_menu_button, NULL);
  g_assert_true (gtk_widget_is_sensitive (menu_button));
  g_assert_true (widget_is_or_inside (pick_middle_of (GTK_WIDGET (f->window), menu_button), menu_button));
  g_assert_true (gtk_widget_compute_bounds (overlay, GTK_WIDGET (f->window), &bounds));
  g_assert_cmpfloat (bounds.size.width, >=, 360);
  save_screenshot (f->window, "narrow");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  save_screenshot (f->window, "dark");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

typedef struct {
  const char       *name;
  const char       *config;     /* (nullable) for the peer */
  const char       *key;
  CairnBlockReason  reason;
  const char       *title;
  const char       *cause;      /* one of the possible causes shown */
  gboolean          command;    /* the deploy command is shown */
  const char       *contact;    /* an answer from the deployment is contact, a refusal is not */
} ReasonCase;

#define NO_CONTACT "No contact yet"
#define CONTACT    "Last contact with your database: less than a minute ago"

static const ReasonCase reason_cases[] = {
  { "unauthorized", NULL, "dev:cairn-test|revoked", CAIRN_BLOCK_REASON_UNAUTHORIZED,
    "Deploy Key Refused", "The deploy key was revoked or regenerated in the Convex dashboard", FALSE, NO_CONTACT },
  { "not-set-up", "{\"functions\": false}", OVERLAY_ADMIN_KEY, CAIRN_BLOCK_REASON_NOT_SET_UP,
    "Cairn Functions Not Deployed", "The Cairn functions were never deployed to this deployment", TRUE, NO_CONTACT },
  { "schema-outdated", "{\"schemaVersion\": 0}", OVERLAY_ADMIN_KEY, CAIRN_BLOCK_REASON_SCHEMA_OUTDATED,
    "Database Update Needed", "This version of Cairn is newer than the Cairn functions on your deployment", TRUE, CONTACT },
  { "schema-newer", "{\"schemaVersion\": 1000}", OVERLAY_ADMIN_KEY, CAIRN_BLOCK_REASON_SCHEMA_NEWER,
    "Cairn Update Needed", "This version of Cairn is out of date", FALSE, CONTACT },
};

/* Each way the deployment can refuse Cairn has its own title, causes and way out. */
static void
test_overlay_reason (OverlayFixture *f,
                     gconstpointer   data)
{
  const ReasonCase *c = data;
  ConvexPeer *peer = overlay_peer_get ();
  g_autofree char *command = cairn_preflight_deploy_command ();
  GtkWidget *command_label;
  const char *message;

  if (c->config != NULL)
    convex_peer_control (peer, "config", c->config);
  overlay_connect (f, convex_peer_get_url (peer), c->key);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, c->reason);

  /* the command has a box of its own, not repeated in the message */
  message = cairn_connection_get_error (f->connection)->message;
  if (c->command)
    {
      g_autofree char *without = NULL;
      const char *at = strstr (message, command);

      without = at != NULL ? g_strstrip (g_strndup (message, at - message)) : g_strdup (message);
      assert_blocked (f, c->title, without);
      command_label = find_widget (GTK_WIDGET (f->window), match_visible_label, command);
      g_assert_nonnull (command_label);
      g_assert_true (gtk_label_get_selectable (GTK_LABEL (command_label)));
      g_assert_true (gtk_widget_has_css_class (command_label, "monospace"));
    }
  else
    {
      assert_blocked (f, c->title, NULL);
      g_assert_null (find_widget (GTK_WIDGET (f->window), match_visible_label, command));
    }

  wait_for_label (f->window, c->cause);
  wait_for_label (f->window, c->contact);

  /* a refused key is fixed in Settings: that comes first */
  if (c->reason == CAIRN_BLOCK_REASON_UNAUTHORIZED)
    g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == overlay_button (f, "app.preferences", "Check Settings"));
  else
    g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == overlay_button (f, "connection.retry", "Retry Connection"));

  save_screenshot (f->window, c->name);
}

/* No key in memory and none to be had from the keyring. Runs in a process
 * of its own (see main()): on a private bus where no keyring can be started,
 * so that none is left running on the session bus the other suites share. */
#define KEYRING_SUBPROCESS "/widgets/overlay/keyring-unavailable/subprocess"

static void
test_overlay_keyring_unavailable_in_subprocess (void)
{
  g_test_trap_subprocess (KEYRING_SUBPROCESS, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static gboolean
is_keyring_subprocess (int    argc,
                       char **argv)
{
  gboolean subprocess = FALSE;
  gboolean keyring = FALSE;

  for (int i = 1; i < argc; i++)
    {
      subprocess |= g_str_equal (argv[i], "--GTestSubprocess");
      keyring |= g_str_equal (argv[i], KEYRING_SUBPROCESS);
    }

  return subprocess && keyring;
}

static void
test_overlay_keyring_unavailable (OverlayFixture *f,
                                  gconstpointer   data)
{
  /* silent: a list request sent before the block must not fail and
   * replace the reason with its own (unreachable) */
  g_autofree char *url = loopback_url (&f->silent);

  overlay_connect (f, url, NULL);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE);
  assert_blocked (f, "Keyring Unavailable", NULL);
  save_screenshot (f->window, "keyring-unavailable");
}

static gboolean
connection_connected (gpointer data)
{
  return cairn_connection_get_state (data) == CAIRN_CONNECTION_CONNECTED;
}

/* Once the deployment answers, the overlay goes by itself and the content is back. */
static void
test_overlay_goes_when_connected (OverlayFixture *f,
                                  gconstpointer   data)
{
  ConvexPeer *peer = overlay_peer_get ();
  GtkWidget *overlay;

  convex_peer_control (peer, "config", "{\"functions\": false}");
  overlay_connect (f, convex_peer_get_url (peer), OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_NOT_SET_UP);
  wait_for_label (f->window, "Cairn Functions Not Deployed");
  overlay = GTK_WIDGET (window_overlay (f->window));
  g_assert_true (gtk_widget_get_visible (overlay));

  /* the user deployed the functions, and retries */
  convex_peer_control (peer, "config", "{\"functions\": true}");
  g_signal_emit_by_name (overlay_button (f, "connection.retry", "Retry Connection"), "clicked");
  wait_until (connection_connected, f->connection, "the connection");
  assert_content_reachable (f);

  /* a workspace that made the connection itself (use_deployment) tells
   * the lists to load again; this one was handed it */
  g_signal_emit_by_name (f->workspace, "storage-changed");
  wait_for_label (f->window, "No Conversations");
  save_screenshot (f->window, "connected");
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

/* Message rows: long messages and messages the user's database refused */

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
  g_autoptr(CairnConversation) conversation = create_conversation (f, "Pasted keys");
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
  g_test_expect_message ("cairn-workspace", G_LOG_LEVEL_WARNING, "*refused a write for good (insert in “messages”)*");
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
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
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
  cairn_workspace_create_conversation_async (f->workspace, "Refusals", NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  conversation = cairn_workspace_create_conversation_finish (f->workspace, result, &error);
  g_assert_no_error (error);
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
  run_for (100);
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
  g_assert_cmpuint (cairn_workspace_get_outbox_count (f->workspace), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int ret;
  gboolean keyring_bus = is_keyring_subprocess (argc, argv);

  /* Dates and labels in English, whatever the machine's locale. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

  /* before anything connects to the session bus; the private one has no
   * accessibility bus either */
  if (keyring_bus)
    {
      g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

      g_setenv ("GTK_A11Y", "none", TRUE);
      test_keyring_bus_up ();
      /* GTestDBus unsets it, as if for a test without a display */
      if (display != NULL)
        g_setenv ("DISPLAY", display, TRUE);
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* No transitions: what is shown is shown at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

#define ADD(path, failing, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (failing), fixture_setup, func, fixture_teardown)

  ADD ("/widgets/window/create-and-send", FALSE, test_create_and_send);
  ADD ("/widgets/window/reopen-shows-content", FALSE, test_reopen_shows_content);
  ADD ("/widgets/window/size-remembered", FALSE, test_window_size_remembered);
  ADD ("/widgets/window/rename-and-delete", FALSE, test_rename_and_delete);
  ADD ("/widgets/composer/drafts-kept", FALSE, test_drafts_kept);
  ADD ("/widgets/composer/failed-send-keeps-text", TRUE, test_failed_send_keeps_text);
  ADD ("/widgets/composer/conversation-updated-while-typing", FALSE, test_conversation_updated_while_typing);
  ADD ("/widgets/composer/new-conversation-while-typing", FALSE, test_new_conversation_while_typing);
  ADD ("/widgets/composer/new-conversation-fails-while-typing", TRUE, test_new_conversation_fails_while_typing);
  ADD ("/widgets/composer/too-long-refused", FALSE, test_composer_refuses_too_long);
  ADD ("/widgets/composer/invisible-only", FALSE, test_composer_invisible_only);
  ADD ("/widgets/composer/long-unbroken-paste", FALSE, test_composer_long_unbroken_paste);
  ADD ("/widgets/preferences/database-page", FALSE, test_preferences_database_page);
  ADD ("/widgets/preferences/test-bad-url", FALSE, test_preferences_test_bad_url);
  ADD ("/widgets/preferences/test-empty-key", FALSE, test_preferences_test_empty_key);
  ADD ("/widgets/preferences/save-refused", FALSE, test_preferences_save_refused);
  ADD ("/widgets/message-row/long-messages", FALSE, test_message_row_long_messages);
  g_test_add_func ("/widgets/date/relative", test_relative_dates);

#undef ADD

#define ADD_OVERLAY(path, data, func) \
  g_test_add (path, OverlayFixture, data, overlay_setup, func, overlay_teardown)

  ADD_OVERLAY ("/widgets/overlay/hidden-without-byod", NULL, test_overlay_hidden_without_byod);
  ADD_OVERLAY ("/widgets/overlay/connecting", NULL, test_overlay_connecting);
  ADD_OVERLAY ("/widgets/overlay/unreachable", NULL, test_overlay_unreachable);
  ADD_OVERLAY ("/widgets/overlay/offline", NULL, test_overlay_offline);
  ADD_OVERLAY ("/widgets/overlay/retries", NULL, test_overlay_retries);
  ADD_OVERLAY ("/widgets/overlay/narrow-and-dark", NULL, test_overlay_narrow_and_dark);
  ADD_OVERLAY ("/widgets/overlay/unsent-items", NULL, test_overlay_unsent_items);
  for (guint i = 0; i < G_N_ELEMENTS (reason_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/widgets/overlay/%s", reason_cases[i].name);

      ADD_OVERLAY (path, &reason_cases[i], test_overlay_reason);
    }
  g_test_add_func ("/widgets/overlay/keyring-unavailable", test_overlay_keyring_unavailable_in_subprocess);
  ADD_OVERLAY (KEYRING_SUBPROCESS, NULL, test_overlay_keyring_unavailable);
  ADD_OVERLAY ("/widgets/overlay/goes-when-connected", NULL, test_overlay_goes_when_connected);
  ADD_OVERLAY ("/widgets/byod/new-conversation-while-typing", NULL, test_byod_new_conversation_while_typing);
  ADD_OVERLAY ("/widgets/message-row/refused", NULL, test_message_row_refused);

#undef ADD_OVERLAY

  ret = g_test_run ();
  g_clear_pointer (&overlay_peer, convex_peer_free);
  if (keyring_bus)
    test_keyring_bus_stop ();

  return ret;
}
