/* test-health-window.c — Database Health against the Convex test peer:
 * the verdict and its reasons as the window shows them when the deployment
 * is slow (250 ms: degraded; 600 ms: unhealthy) and when it recovers,
 * Check Health and its progress, the latency chart, pending migrations,
 * the keyboard, and the local-only page
 *
 * The workspace runs on a JumpClock: requests take as long as they really
 * take, and 16 minutes can pass at once for the 15-minute window the
 * verdict judges to move on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-convex-store.h"
#include "cairn-health.h"
#include "cairn-health-window.h"
#include "cairn-latency-chart.h"
#include "cairn-system-clock.h"
#include "jump-clock.h"
#include "widget-util.h"

#define ADMIN_KEY  OVERLAY_ADMIN_KEY
#define MINUTE_MS  60000
#define BUNDLE_V1  "tests/peer/fixtures/cairn-functions-v1.json"

typedef struct {
  Fixture             base;
  JumpClock          *clock;
  FakeNetworkMonitor *monitor;
  CairnWorkspace     *workspace;
  CairnConnection    *connection;
  GtkWidget          *window;
} HealthFixture;

static void
health_setup (HealthFixture *f,
              gconstpointer  data)
{
  fixture_setup (&f->base, GINT_TO_POINTER (FALSE));
  f->clock = jump_clock_new ();
  f->monitor = fake_network_monitor_new ();
  f->workspace = workspace_with_clock (&f->base, f->clock, f->monitor);
}

static void
health_teardown (HealthFixture *f,
                 gconstpointer  data)
{
  workspace_parts_clear (&f->window, &f->connection, &f->workspace, &f->monitor, &f->clock);
  convex_peer_control (overlay_peer_get (), "reset", "{\"data\": true}");
  fixture_teardown (&f->base, NULL);
}

static CairnByod *
byod_of (HealthFixture *f)
{
  return cairn_workspace_get_byod (f->workspace);
}

static CairnHealth *
health_of (HealthFixture *f)
{
  return cairn_byod_get_health (byod_of (f));
}

static gboolean
connection_settled (gpointer data)
{
  return cairn_connection_get_state (data) != CAIRN_CONNECTION_CONNECTING;
}

/* BYOD on through a connection to the peer; waits for its first check. */
static void
connect_to_peer (HealthFixture *f)
{
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = cairn_convex_client_new (convex_peer_get_url (overlay_peer_get ()), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);

  f->connection = cairn_connection_new ("default", client, CAIRN_CLOCK (f->clock), G_NETWORK_MONITOR (f->monitor));
  /* no periodic check in the middle of a test: the tests check when they mean to */
  cairn_connection_set_health_check_interval (f->connection, 24 * 3600);
  cairn_byod_set_user_store (byod_of (f), CAIRN_STORE (f->connection));
  cairn_connection_start (f->connection);
  wait_until (connection_settled, f->connection, "the first check");
}

static void
open_window (HealthFixture *f)
{
  f->window = cairn_health_window_new (health_of (f), byod_of (f));
  gtk_window_present (GTK_WINDOW (f->window));
  wait_until (widget_drawable, f->window, "the window to show");
}

static void
set_fault (const char *json)
{
  convex_peer_control (overlay_peer_get (), "fault", json);
}

/* Finding things ---------------------------------------------------------- */

static gboolean
match_label_containing (GtkWidget     *widget,
                        gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && strstr (gtk_label_get_text (GTK_LABEL (widget)), data) != NULL;
}

static gboolean
match_button_label (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

static gboolean
match_row_title (GtkWidget     *widget,
                 gconstpointer  data)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), data) == 0;
}

static GtkWidget *
row_titled (HealthFixture *f,
            const char    *title)
{
  GtkWidget *row = find_widget (f->window, match_row_title, title);

  g_assert_nonnull (row);
  return row;
}

static GtkWidget *
last_label (GtkWidget *widget)
{
  GtkWidget *last = GTK_IS_LABEL (widget) ? widget : NULL;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = last_label (child);

      if (found != NULL)
        last = found;
    }

  return last;
}

/* The text of the label at the end of the row titled @title. */
static const char *
row_value (HealthFixture *f,
           const char    *title)
{
  GtkWidget *label = last_label (row_titled (f, title));

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (label));
}

static void
assert_label_containing (HealthFixture *f,
                         const char    *part)
{
  if (find_widget (f->window, match_label_containing, part) == NULL)
    g_error ("No label shows “%s”", part);
}

static gboolean
checking (gpointer data)
{
  return cairn_health_get_checking (data);
}

static gboolean
not_checking (gpointer data)
{
  return !cairn_health_get_checking (data);
}

/* Check Health, as the button does it; waits until the check is over and
 * the verdict is judged on it. */
static void
press_check_health (HealthFixture *f)
{
  GtkWidget *button = find_widget (f->window, match_button_label, "Check Health");
  GtkWidget *progress;

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");

  /* while it runs: the progress row, and no second check */
  wait_until (checking, health_of (f), "the check to start");
  progress = row_titled (f, "Checking…");
  wait_until (widget_drawable, progress, "the progress row");
  g_assert_false (gtk_widget_is_sensitive (button));

  wait_until (not_checking, health_of (f), "the check to end");
  wait_for_frame (f->window);
  g_assert_false (gtk_widget_is_drawable (progress));
  g_assert_true (gtk_widget_is_sensitive (button));
}

typedef struct {
  CairnHealth        *health;
  CairnHealthVerdict  verdict;
} VerdictWait;

static gboolean
verdict_is (gpointer data)
{
  VerdictWait *wait = data;

  return cairn_health_get_verdict (wait->health) == wait->verdict;
}

static void
wait_for_verdict (HealthFixture      *f,
                  CairnHealthVerdict  verdict)
{
  VerdictWait wait = { health_of (f), verdict };

  wait_until (verdict_is, &wait, cairn_health_verdict_to_string (verdict));
  wait_for_label (f->window, cairn_health_verdict_describe (verdict));
}

/* Tests ---------------------------------------------------------------------- */

/* Content on this computer: a plain page says so, nothing to check. */
static void
test_local_only (HealthFixture *f,
                 gconstpointer  data)
{
  GtkWidget *check;

  open_window (f);

  wait_for_label (f->window, "Stored on This Computer");
  check = find_widget (f->window, match_button_label, "Check Health");
  g_assert_nonnull (check);
  g_assert_false (gtk_widget_is_drawable (check));
  g_assert_false (action_enabled (f->window, "health.check"));
  g_assert_nonnull (find_widget (f->window, match_button_label, "Use My Own Database…"));
  save_window_screenshot (f->window, "health-local.png");
}

/* Queries answered in 250 ms: degraded, with the reason. */
static void
test_degraded (HealthFixture *f,
               gconstpointer  data)
{
  CairnLatencyChart *chart;

  set_fault ("{\"mode\": \"slow\", \"ms\": 250}");
  connect_to_peer (f);
  open_window (f);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row_titled (f, "Deployment"))), ==,
                   convex_peer_get_url (overlay_peer_get ()));

  press_check_health (f);
  wait_for_verdict (f, CAIRN_HEALTH_DEGRADED);
  assert_label_containing (f, "Queries took");
  assert_label_containing (f, "over the last 15 minutes (more than 100 ms).");
  g_assert_null (find_widget (f->window, match_label_containing, "more than 500 ms"));

  /* what the check did is in the numbers and in the chart */
  g_assert_cmpstr (row_value (f, "Mutations Succeeded"), ==, "100 %");
  g_assert_cmpstr (row_value (f, "Requests Failed"), ==, "0 %");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row_titled (f, "Queries"))), "p50 2"));
  chart = find_child_of_type (f->window, CAIRN_TYPE_LATENCY_CHART);
  g_assert_cmpuint (cairn_latency_chart_get_n_points (chart), >=, 1);
  g_assert_nonnull (strstr (cairn_latency_chart_get_summary (chart), "with requests in the last 24 hours."));
  g_assert_cmpfloat (cairn_latency_chart_get_scale_ms (chart), >=, 250);
  g_assert_cmpstr (row_value (f, "Schema Version"), ==, "2");
  save_window_screenshot (f->window, "health-degraded.png");
}

/* 600 ms: unhealthy, with the critical threshold in the reason. */
static void
test_unhealthy (HealthFixture *f,
                gconstpointer  data)
{
  set_fault ("{\"mode\": \"slow\", \"ms\": 600}");
  connect_to_peer (f);
  open_window (f);

  press_check_health (f);
  wait_for_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  assert_label_containing (f, "(more than 500 ms).");
  assert_label_containing (f, "Queries took");
  /* every query of the check was over half a second: cairn:ping among the slow ones */
  assert_label_containing (f, "cairn:ping");
}

/* The deployment is fast again: once the slow minutes are out of the
 * window, Check Health finds it healthy; the last successful check moves. */
static void
test_recovery (HealthFixture *f,
               gconstpointer  data)
{
  g_autofree char *first_success = NULL;

  set_fault ("{\"mode\": \"slow\", \"ms\": 600}");
  connect_to_peer (f);
  open_window (f);
  press_check_health (f);
  wait_for_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  first_success = g_strdup (row_value (f, "Last Successful Check"));
  g_assert_cmpstr (first_success, !=, "Never");

  convex_peer_control (overlay_peer_get (), "reset", "{}");
  jump_clock_jump (f->clock, 16 * MINUTE_MS);
  press_check_health (f);
  wait_for_verdict (f, CAIRN_HEALTH_HEALTHY);
  assert_label_containing (f, "Requests are answered in time and succeed.");
  g_assert_cmpstr (row_value (f, "Last Successful Check"), !=, first_success);
  g_assert_false (gtk_widget_is_drawable (row_titled (f, "Last Error")));
  save_window_screenshot (f->window, "health-healthy.png");
}

/* The chart draws the minutes that had requests, and says what it shows. */
static void
test_chart (HealthFixture *f,
            gconstpointer  data)
{
  CairnLatencyChart *chart;
  CairnMetrics *metrics;
  const guint durations_ms[] = { 40, 80, 120, 900 };
  const char *p95;
  double highest;

  connect_to_peer (f);
  open_window (f);
  chart = find_child_of_type (f->window, CAIRN_TYPE_LATENCY_CHART);
  metrics = cairn_health_get_metrics (health_of (f));
  g_assert_nonnull (metrics);

  /* four more minutes, an hour apart, each with requests of one duration */
  for (guint i = 0; i < G_N_ELEMENTS (durations_ms); i++)
    {
      CairnRequestRecord record = { CAIRN_REQUEST_QUERY, "documents:list", CAIRN_REQUEST_SUCCEEDED, 0,
                                    durations_ms[i] * 1000 };

      jump_clock_jump (f->clock, 60 * MINUTE_MS);
      for (guint n = 0; n < 20; n++)
        cairn_metrics_record (metrics, &record);
    }
  jump_clock_jump (f->clock, MINUTE_MS);
  test_util_run_for (100);

  /* the connection's first minute, and the four */
  g_assert_cmpuint (cairn_latency_chart_get_n_points (chart), ==, 5);
  g_assert_true (g_str_has_prefix (cairn_latency_chart_get_summary (chart),
                                   "5 minutes with requests in the last 24 hours. Median (p50) from "));
  /* the slowest minute's p95: 900 ms, within the metrics' 1/64 */
  p95 = strstr (cairn_latency_chart_get_summary (chart), "95th percentile (p95) up to ");
  g_assert_nonnull (p95);
  highest = g_ascii_strtod (p95 + strlen ("95th percentile (p95) up to "), NULL);
  g_assert_cmpfloat (highest, >=, 900 - 900 / 64.0);
  g_assert_cmpfloat (highest, <=, 900 + 900 / 64.0);
  g_assert_cmpfloat (cairn_latency_chart_get_scale_ms (chart), ==, 1000);

  /* the slow minute names its function */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_widget (f->window, match_button_label, "24 Hours")), TRUE);
  wait_for_label (f->window, "documents:list");
  save_window_screenshot (f->window, "health-chart.png");

  /* the dark style: drawn again in its colours */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  save_window_screenshot (f->window, "health-chart-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

/* Escape closes, Ctrl+R and F5 check: the window's own shortcuts. */
static void
test_keyboard (HealthFixture *f,
               gconstpointer  data)
{
  struct { const char *trigger; const char *action; gboolean found; } expected[] = {
    { "Escape", "window.close", FALSE },
    { "<Control>r", "health.check", FALSE },
    { "F5", "health.check", FALSE },
  };
  g_autoptr(GListModel) controllers = NULL;

  connect_to_peer (f);
  open_window (f);

  controllers = gtk_widget_observe_controllers (f->window);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint s = 0; s < g_list_model_get_n_items (G_LIST_MODEL (controller)); s++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), s);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);

          for (guint e = 0; e < G_N_ELEMENTS (expected); e++)
            if (g_strcmp0 (trigger, expected[e].trigger) == 0 && GTK_IS_NAMED_ACTION (action) &&
                g_strcmp0 (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)), expected[e].action) == 0)
              {
                expected[e].found = TRUE;
                /* what the key does */
                if (g_str_equal (expected[e].action, "health.check"))
                  {
                    g_assert_true (gtk_shortcut_action_activate (action, 0, f->window, NULL));
                    wait_until (checking, health_of (f), "Ctrl+R to check");
                    wait_until (not_checking, health_of (f), "the check to end");
                  }
              }
        }
    }

  for (guint e = 0; e < G_N_ELEMENTS (expected); e++)
    if (!expected[e].found)
      g_error ("No shortcut %s for %s", expected[e].trigger, expected[e].action);

  g_assert_cmpstr (gtk_widget_get_tooltip_text (find_widget (f->window, match_button_label, "Check Health")), ==,
                   "Check Health Now (Ctrl+R)");
}

/* Functions of schema 1 with data written by them, then this app's: the
 * deployment has a migration to run, and Run Migrations offers it. */
static void
test_pending_migrations (HealthFixture *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) v1 = test_util_load_bundle (BUNDLE_V1);
  g_autoptr(GBytes) bundle = test_util_load_bundle ("data/convex/push/cairn-functions.json");
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (overlay_peer_get ()), NULL);
  g_autoptr(JsonObject) conversation = json_object_new ();
  g_autoptr(CairnConvexStore) store = NULL;
  GtkWidget *migrate;

  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  test_util_push_functions (client, v1);
  store = cairn_convex_store_new (client);
  json_object_set_string_member (conversation, "clientId", "3f1a2b4c-0000-4000-8000-000000000001");
  json_object_set_string_member (conversation, "title", "Written by version 1");
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", 1);
  json_object_set_double_member (conversation, "updatedAt", 1);
  test_util_insert (CAIRN_STORE (store), "conversations", conversation);
  test_util_push_functions (client, bundle);

  connect_to_peer (f);
  open_window (f);

  wait_for_label (f->window, "1 Pending Migration");
  wait_for_label (f->window, "0002_message_counts");
  migrate = find_widget (f->window, match_button_label, "Run Migrations");
  g_assert_nonnull (migrate);
  g_assert_true (gtk_widget_is_drawable (migrate));
  /* the settings were never saved here: nothing to run them with */
  g_assert_false (action_enabled (f->window, "health.run-migrations"));
  save_window_screenshot (f->window, "health-migrations.png");
}

/* Without migrations to run, there is no Run Migrations. */
static void
test_no_migrations (HealthFixture *f,
                    gconstpointer  data)
{
  GtkWidget *migrate;

  connect_to_peer (f);
  open_window (f);
  wait_for_frame (f->window);

  migrate = find_widget (f->window, match_button_label, "Run Migrations");
  g_assert_nonnull (migrate);
  g_assert_false (gtk_widget_is_drawable (migrate));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  widget_util_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add (path, HealthFixture, NULL, health_setup, func, health_teardown)

  ADD ("/widgets/health-window/local-only", test_local_only);
  ADD ("/widgets/health-window/degraded", test_degraded);
  ADD ("/widgets/health-window/unhealthy", test_unhealthy);
  ADD ("/widgets/health-window/recovery", test_recovery);
  ADD ("/widgets/health-window/chart", test_chart);
  ADD ("/widgets/health-window/keyboard", test_keyboard);
  ADD ("/widgets/health-window/no-migrations", test_no_migrations);
  ADD ("/widgets/health-window/pending-migrations", test_pending_migrations);

#undef ADD

  status = g_test_run ();
  overlay_peer_stop ();
  return status;
}
