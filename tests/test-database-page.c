/* test-database-page.c — Preferences' Database page: what it shows,
 * Test Connection and Save refusing what cannot work, installing and
 * updating the Cairn functions on the Convex test peer, a migration's row
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "config.h"

#include "cairn-check-row.h"
#include "cairn-connection.h"
#include "cairn-database-page.h"
#include "cairn-migration-row.h"
#include "cairn-preferences-window.h"
#include "cairn-sync-client.h"
#include "cairn-update-status.h"
#include "widget-util.h"

#define ADMIN_KEY     "dev:cairn-test|page-secret"
#define READ_ONLY_KEY "dev:cairn-test|page-read-only"

static GtkWidget *
preferences_new (Fixture *f)
{
  GtkWidget *preferences = cairn_preferences_window_new (f->workspace);

  load_app_style ();

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
  return !cairn_byod_get_busy (cairn_database_page_get_byod (data));
}

static void
wait_for_page_idle (gpointer root)
{
  wait_until (page_idle, find_child_of_type (root, CAIRN_TYPE_DATABASE_PAGE), "the page to finish");
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

static gboolean
match_label_prefix (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), data);
}

static gboolean
has_items (gpointer data)
{
  return g_list_model_get_n_items (data) > 0;
}

static void
wait_until_n_items (GListModel *model,
                    guint       n)
{
  wait_until (has_items, model, "the history");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
}

static gboolean
all_steps_passed (gpointer data)
{
  CairnPreflight *preflight = cairn_byod_get_preflight (cairn_database_page_get_byod (data));

  for (CairnPreflightStep step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    if (cairn_preflight_get_state (preflight, step) != CAIRN_PREFLIGHT_PASSED)
      return FALSE;

  return TRUE;
}

/* The button in @step's row; NULL when it is not shown. */
static GtkWidget *
fix_button (gpointer            root,
            CairnPreflightStep  step,
            const char         *label)
{
  GtkWidget *button = find_widget (GTK_WIDGET (step_row (root, step)), match_button_label, label);

  return button != NULL && gtk_widget_is_drawable (button) ? button : NULL;
}

/* Every text the update's row showed as its stage, in order, once each. */
static void
on_stage_shown (GtkLabel   *label,
                GParamSpec *pspec,
                GPtrArray  *stages)
{
  const char *text = gtk_label_get_text (label);

  if (stages->len == 0 || g_strcmp0 (g_ptr_array_index (stages, stages->len - 1), text) != 0)
    g_ptr_array_add (stages, g_strdup (text));
}

static GPtrArray *
record_stages (gpointer root)
{
  CairnUpdateStatus *status = find_child_of_type (root, CAIRN_TYPE_UPDATE_STATUS);
  GtkLabel *stage = find_child_of_type (status, GTK_TYPE_LABEL);
  GPtrArray *stages = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (stage, "notify::label", G_CALLBACK (on_stage_shown), stages);

  return stages;
}

static gboolean
stages_include (GPtrArray  *stages,
                const char *text)
{
  for (guint i = 0; i < stages->len; i++)
    if (g_str_equal (g_ptr_array_index (stages, i), text))
      return TRUE;

  return FALSE;
}

/* Test Connection on @peer: the checks end, and @step failed. */
static void
test_connection_fails_at (gpointer            root,
                          ConvexPeer         *peer,
                          const char         *key,
                          CairnPreflightStep  step)
{
  enter_connection (root, convex_peer_get_url (peer), key);
  press_button (root, "Test Connection");
  wait_for_page_idle (root);

  for (CairnPreflightStep passed = 0; passed < step; passed++)
    assert_step (root, passed, CAIRN_PREFLIGHT_PASSED);
  assert_step (root, step, CAIRN_PREFLIGHT_FAILED);
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
  g_assert_false (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));

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
  g_assert_false (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
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

  g_assert_false (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
  g_assert_false (cairn_byod_get_config (cairn_workspace_get_byod (f->workspace))->enabled);
  wait_for_label (preferences, "This Computer");
  /* the key is still there to correct, and the controls work again */
  g_assert_cmpstr (gtk_editable_get_text (find_child_of_type (preferences, ADW_TYPE_PASSWORD_ENTRY_ROW)),
                   ==, "prod:happy-otter-123|secret");
  g_assert_true (gtk_widget_is_sensitive (find_widget (preferences, match_button_label, "Save")));

  gtk_window_destroy (GTK_WINDOW (preferences));
}


/* A new deployment: the functions' step offers to install them; while they
 * go up the update's row says what happens, then the checks pass. */
static void
test_preferences_install_functions (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(ConvexPeer) peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--empty", NULL);
  GtkWidget *preferences = preferences_new (f);
  g_autoptr(GPtrArray) stages = record_stages (preferences);
  GtkWidget *install;

  gtk_window_set_default_size (GTK_WINDOW (preferences), 640, 900);
  test_connection_fails_at (preferences, peer, ADMIN_KEY, CAIRN_PREFLIGHT_STEP_FUNCTIONS);
  assert_step_message (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, "Install Cairn Functions");
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_SCHEMA, CAIRN_PREFLIGHT_SKIPPED);

  /* the fix is in the step that found it, and only there */
  install = fix_button (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, "Install Cairn Functions");
  g_assert_nonnull (install);
  g_assert_true (gtk_widget_is_sensitive (install));
  g_assert_true (gtk_widget_get_focusable (install));
  g_assert_null (fix_button (preferences, CAIRN_PREFLIGHT_STEP_SCHEMA, "Update Cairn Functions"));
  g_assert_null (find_widget (preferences, match_visible_label, "Updating Your Database"));
  save_window_screenshot (preferences, "database-install-offered.png");

  /* slow enough to see each stage */
  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 400}");
  press_button (preferences, "Install Cairn Functions");
  g_assert_true (cairn_byod_get_updating (cairn_workspace_get_byod (f->workspace)));
  wait_for_label (preferences, "Updating Your Database");
  wait_for_label (preferences, "Checking the schema against your data…");
  g_assert_false (gtk_widget_is_sensitive (find_widget (preferences, match_button_label, "Install Cairn Functions")));
  test_util_run_for (300);
  save_window_screenshot (preferences, "database-installing.png");
  wait_until (all_steps_passed, find_child_of_type (preferences, CAIRN_TYPE_DATABASE_PAGE), "the checks to pass");
  wait_for_page_idle (preferences);

  /* each stage was shown, in order, and how it ended */
  for (guint i = 0; i < stages->len; i++)
    g_test_message ("stage: %s", (const char *) g_ptr_array_index (stages, i));
  g_assert_true (stages_include (stages, "Uploading the functions…"));
  g_assert_true (stages_include (stages, "Checking the schema against your data…"));
  g_assert_true (stages_include (stages, "Activating the new functions…"));
  g_assert_cmpstr (g_ptr_array_index (stages, stages->len - 1), ==, "Your database is up to date");
  g_assert_null (cairn_byod_get_update_error (cairn_workspace_get_byod (f->workspace)));
  /* a toast says it worked, the checks show it; the update's row goes */
  wait_for_label (preferences, "Your database is up to date");
  g_assert_null (find_widget (preferences, match_visible_label, "Updating Your Database"));

  /* nothing left to fix; the deployment has this app's functions */
  for (CairnPreflightStep step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    assert_step (preferences, step, CAIRN_PREFLIGHT_PASSED);
  g_assert_null (fix_button (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, "Install Cairn Functions"));
  g_assert_false (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
  save_window_screenshot (preferences, "database-installed.png");

  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* A key that may only read cannot install: the row says so, the deployment
 * is unchanged and the button stays to try again with another key. */
static void
test_preferences_install_refused (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(ConvexPeer) peer = convex_peer_start_with_args (ADMIN_KEY, READ_ONLY_KEY, NULL, "--empty", NULL);
  GtkWidget *preferences = preferences_new (f);
  CairnByod *byod = cairn_workspace_get_byod (f->workspace);
  GtkWidget *error_label;
  const char *error;

  test_connection_fails_at (preferences, peer, READ_ONLY_KEY, CAIRN_PREFLIGHT_STEP_FUNCTIONS);
  press_button (preferences, "Install Cairn Functions");
  wait_for_page_idle (preferences);

  wait_for_label (preferences, "The update did not work");
  error = cairn_byod_get_update_error (byod);
  g_assert_nonnull (error);
  g_test_message ("update error: %s", error);
  g_assert_nonnull (strstr (error, "key"));
  g_assert_null (strstr (error, READ_ONLY_KEY));
  error_label = find_widget (preferences, match_visible_label, error);
  g_assert_nonnull (error_label);
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (error_label)));
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (error_label)));
  g_assert_nonnull (fix_button (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, "Install Cairn Functions"));
  save_window_screenshot (preferences, "database-install-refused.png");

  /* still a deployment without functions */
  press_button (preferences, "Test Connection");
  wait_for_page_idle (preferences);
  assert_step (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, CAIRN_PREFLIGHT_FAILED);

  gtk_window_destroy (GTK_WINDOW (preferences));
}

static gboolean
message_counted (gpointer data)
{
  ConvexPeer *peer = data;
  g_autoptr(JsonObject) state = convex_peer_get_state (peer);
  JsonArray *conversations = json_object_get_array_member (json_object_get_object_member (state, "tables"),
                                                            "conversations");
  JsonObject *conversation = json_array_get_object_element (conversations, 0);

  return json_object_has_member (conversation, "messageCount")
         && json_object_get_double_member (conversation, "messageCount") == 3;
}

/* Functions of version 1 with their data: the schema's step offers the
 * update, which pushes the new functions and migrates the data. */
static void
test_preferences_update_functions (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(ConvexPeer) peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--empty", NULL);
  GtkWidget *preferences = preferences_new (f);
  g_autoptr(GPtrArray) stages = record_stages (preferences);
  GListModel *history;
  g_autoptr(CairnMigrationRecord) record = NULL;

  peer_make_version_1 (peer, ADMIN_KEY, 3);
  test_connection_fails_at (preferences, peer, ADMIN_KEY, CAIRN_PREFLIGHT_STEP_SCHEMA);
  g_assert_null (fix_button (preferences, CAIRN_PREFLIGHT_STEP_FUNCTIONS, "Install Cairn Functions"));
  g_assert_nonnull (fix_button (preferences, CAIRN_PREFLIGHT_STEP_SCHEMA, "Update Cairn Functions"));

  press_button (preferences, "Update Cairn Functions");
  wait_until (all_steps_passed, find_child_of_type (preferences, CAIRN_TYPE_DATABASE_PAGE), "the checks to pass");
  wait_for_page_idle (preferences);
  for (guint i = 0; i < stages->len; i++)
    g_test_message ("stage: %s", (const char *) g_ptr_array_index (stages, i));
  g_assert_true (stages_include (stages, "Uploading the functions…"));
  g_assert_true (stages_include (stages, "Migrating your data…"));
  wait_for_label (preferences, "Your database is up to date");
  g_assert_null (fix_button (preferences, CAIRN_PREFLIGHT_STEP_SCHEMA, "Update Cairn Functions"));

  /* the data migrated, and recorded */
  g_assert_true (message_counted (peer));
  history = cairn_byod_get_migration_history (cairn_workspace_get_byod (f->workspace));
  wait_until_n_items (history, 1);
  record = g_list_model_get_item (history, 0);
  g_assert_cmpstr (cairn_migration_record_get_migration_id (record), ==, "0002_message_counts");
  g_assert_cmpuint (cairn_migration_record_get_status (record), ==, CAIRN_MIGRATION_COMPLETED);

  gtk_window_destroy (GTK_WINDOW (preferences));
}

static CairnMigrationRecord *
record_from_json (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return cairn_migration_record_new_from_json (json_node_get_object (node));
}

/* One migration as the history lists it: name, description, version and
 * status; a failed one with its error, to read in full and copy. */
static void
test_preferences_migration_rows (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(CairnMigrationRecord) completed = record_from_json (
    "{\"migrationId\": \"0002_message_counts\", \"version\": 2, \"name\": \"Count messages\", "
    "\"description\": \"Every conversation learns how many messages it has.\", \"status\": \"completed\", "
    "\"processed\": 12, \"error\": null, \"startedAt\": 1700000000000, \"completedAt\": 1700000060000, "
    "\"createdAt\": 1700000000000}");
  g_autoptr(CairnMigrationRecord) failed = record_from_json (
    "{\"migrationId\": \"0003_example\", \"version\": 3, \"name\": \"Tidy titles\", "
    "\"description\": \"Titles lose trailing spaces.\", \"status\": \"failed\", \"processed\": 0, "
    "\"error\": \"Uncaught Error: Injected failure\", \"startedAt\": 1700000000000, \"completedAt\": null, "
    "\"createdAt\": 1700000000000}");
  GtkWidget *window = gtk_window_new ();
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *error;

  gtk_list_box_append (GTK_LIST_BOX (list), cairn_migration_row_new (completed));
  gtk_list_box_append (GTK_LIST_BOX (list), cairn_migration_row_new (failed));
  gtk_window_set_child (GTK_WINDOW (window), list);
  gtk_window_present (GTK_WINDOW (window));

  wait_for_label (list, "Count messages");
  wait_for_label (list, "Every conversation learns how many messages it has.");
  g_assert_nonnull (find_widget (list, match_label_prefix, "Version 2 · Completed "));
  wait_for_label (list, "Tidy titles");
  wait_for_label (list, "Version 3 · Failed");
  error = find_widget (list, match_visible_label, "Uncaught Error: Injected failure");
  g_assert_nonnull (error);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (error)));
  g_assert_true (gtk_widget_has_css_class (error, "error"));

  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
sync_in_state (gpointer data)
{
  CairnConnection *connection = data;
  CairnSyncState *wanted = g_object_get_data (G_OBJECT (connection), "wanted-state");

  return cairn_sync_client_get_state (cairn_connection_get_sync (connection)) == *wanted;
}

/* The socket's clock is the fixture's fake one: its reconnect timers run as
 * the test moves the clock on. */
static void
wait_for_sync (OverlayFixture *f,
               CairnSyncState  state)
{
  g_object_set_data (G_OBJECT (f->connection), "wanted-state", &state);
  for (guint i = 0; i < 200 && !sync_in_state (f->connection); i++)
    {
      fake_clock_advance (f->clock, 250);
      test_util_run_for (20);
    }
  wait_until (sync_in_state, f->connection, "the live connection's state");
  g_object_set_data (G_OBJECT (f->connection), "wanted-state", NULL);
}

/* Live Updates says whether changes from other computers show at once, and
 * that Cairn polls when the network refuses the socket. */
static void
test_preferences_live_updates (OverlayFixture *f,
                               gconstpointer   data)
{
  ConvexPeer *peer = overlay_peer_get ();
  GtkWidget *preferences = adw_preferences_window_new ();
  GtkWidget *page;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  overlay_connect (f, convex_peer_get_url (peer), OVERLAY_ADMIN_KEY);
  wait_until (connection_connected, f->connection, "the connection");

  page = cairn_database_page_new (cairn_workspace_get_byod (f->workspace));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (preferences), ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (preferences));

  /* the window's sidebar follows the deployment: the socket opens */
  wait_for_sync (f, CAIRN_SYNC_LIVE);
  wait_for_label (preferences, "Live Updates");
  wait_for_label (preferences, "On");
  wait_for_label (preferences, "Changes made on your other computers appear at once.");

  convex_peer_control (peer, "sync", "{\"refuse\": true}");
  convex_peer_control (peer, "sync", "{\"drop\": true}");
  wait_for_sync (f, CAIRN_SYNC_REFUSED);
  wait_for_label (preferences, "Checking Every 3 Seconds");
  g_assert_null (find_widget (preferences, match_visible_label, "On"));
  /* refused is not blocked: the content stays usable */
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
  save_window_screenshot (preferences, "database-page-live-polling.png");

  convex_peer_control (peer, "sync", "{\"reset\": true}");
  gtk_window_destroy (GTK_WINDOW (preferences));
}

int
main (int   argc,
      char *argv[])
{
  widget_util_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add (path, Fixture, GINT_TO_POINTER (FALSE), fixture_setup, func, fixture_teardown)

  ADD ("/widgets/preferences/database-page", test_preferences_database_page);
  ADD ("/widgets/preferences/test-bad-url", test_preferences_test_bad_url);
  ADD ("/widgets/preferences/test-empty-key", test_preferences_test_empty_key);
  ADD ("/widgets/preferences/save-refused", test_preferences_save_refused);
  ADD ("/widgets/preferences/install-functions", test_preferences_install_functions);
  ADD ("/widgets/preferences/install-refused", test_preferences_install_refused);
  ADD ("/widgets/preferences/update-functions", test_preferences_update_functions);
  ADD ("/widgets/preferences/migration-rows", test_preferences_migration_rows);
  g_test_add ("/widgets/preferences/live-updates", OverlayFixture, NULL, overlay_setup,
              test_preferences_live_updates, overlay_teardown);

#undef ADD

  {
    int ret = g_test_run ();

    overlay_peer_stop ();
    return ret;
  }
}
