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
#include "cairn-conversation-list.h"
#include "cairn-conversation-row.h"
#include "cairn-conversation-view.h"
#include "cairn-database-page.h"
#include "cairn-date.h"
#include "cairn-local-store.h"
#include "cairn-message-row.h"
#include "cairn-preferences-window.h"
#include "cairn-window.h"
#include "failing-store.h"
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

int
main (int   argc,
      char *argv[])
{
  /* Dates and labels in English, whatever the machine's locale. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

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
  ADD ("/widgets/preferences/database-page", FALSE, test_preferences_database_page);
  ADD ("/widgets/preferences/test-bad-url", FALSE, test_preferences_test_bad_url);
  ADD ("/widgets/preferences/test-empty-key", FALSE, test_preferences_test_empty_key);
  ADD ("/widgets/preferences/save-refused", FALSE, test_preferences_save_refused);
  g_test_add_func ("/widgets/date/relative", test_relative_dates);

#undef ADD

  return g_test_run ();
}
