/* test-database-page.c — Preferences' Database page: what it shows,
 * Test Connection and Save refusing what cannot work
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-check-row.h"
#include "cairn-database-page.h"
#include "cairn-preferences-window.h"
#include "widget-util.h"

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

#undef ADD

  return g_test_run ();
}
