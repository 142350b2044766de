/* bench-health-window.c — Database Health opened over 30 days of request history
 *
 *   bench-health-window [--opens=N] [--days=N] [--screenshot]
 *
 * 1. Fills a main store with 30 days of per-minute request metrics of one
 *    deployment (the Convex test peer) the way the app writes them: a
 *    CairnMetrics on a FakeClock records each minute's requests (a few to a
 *    few dozen, log-normal latencies, a slow one now and then, a rare
 *    error) and the clock moves on a minute, which writes the minute.
 * 2. Opens that store again with a workspace whose clock stands at the end
 *    of the 30 days, switches BYOD on through a connection to the peer and
 *    times how long its CairnHealth takes to load the last 24 hours.
 * 3. Shows the main window (Database Health opens over it: GTK's fonts,
 *    icons and style are set up by then), then opens the
 *    Database Health window N times (10), each time from
 *    cairn_health_window_new() to its first frame painted
 *    (GdkFrameClock::after-paint), and reports the first, the median and the
 *    slowest against the target (150 ms). --screenshot then saves the window
 *    as <build dir>/screenshots/health-window-30-days.png, and scrolled to
 *    its end as health-window-30-days-lower.png.
 *
 * Needs a display (tests/run-headless), GSETTINGS_SCHEMA_DIR and
 * GSETTINGS_BACKEND=memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "bench-health-window"

#include <math.h>
#include <stdlib.h>

#include "cairn-error.h"
#include "cairn-health.h"
#include "cairn-health-window.h"
#include "widget-util.h"
#include "../stats.h"

#define ADMIN_KEY      "dev:cairn-bench|health-secret"
#define MINUTE_MS      60000
#define TARGET_MS      150.0

static int      opens = 10;
static int      days = CAIRN_METRICS_HISTORY_DAYS;
static gboolean screenshot;

static const GOptionEntry options[] = {
  { "opens", 0, 0, G_OPTION_ARG_INT, &opens, "How many times to open the window", "N" },
  { "days", 0, 0, G_OPTION_ARG_INT, &days, "Days of history (30)", "N" },
  { "screenshot", 0, 0, G_OPTION_ARG_NONE, &screenshot, "Save a screenshot of the window", NULL },
  { NULL }
};

/* Filling ---------------------------------------------------------------------- */

static double
log_normal (GRand  *rand,
            double  median_ms,
            double  sigma)
{
  double u1 = g_rand_double_range (rand, 1e-9, 1);
  double u2 = g_rand_double (rand);

  return median_ms * exp (sigma * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2));
}

/* One minute of a personal deployment: busier in the day, mostly reads. */
static void
record_minute (CairnMetrics *metrics,
               GRand        *rand,
               guint         minute_of_day)
{
  gboolean day = minute_of_day >= 8 * 60 && minute_of_day < 23 * 60;
  guint n = g_rand_int_range (rand, day ? 4 : 0, day ? 30 : 6);

  for (guint i = 0; i < n; i++)
    {
      gboolean mutation = g_rand_int_range (rand, 0, 4) == 0;
      double ms = log_normal (rand, mutation ? 60 : 35, 0.45);
      CairnRequestRecord record = {
        mutation ? CAIRN_REQUEST_MUTATION : CAIRN_REQUEST_QUERY,
        mutation ? "documents:insert" : "documents:list",
        CAIRN_REQUEST_SUCCEEDED, 0, 0,
      };

      if (g_rand_int_range (rand, 0, 400) == 0)
        ms += g_rand_double_range (rand, 500, 1500);
      if (g_rand_int_range (rand, 0, 800) == 0)
        {
          record.outcome = CAIRN_REQUEST_FAILED;
          record.error_code = CAIRN_CONVEX_ERROR_TIMEOUT;
        }
      record.duration_us = (gint64) (ms * 1000);
      cairn_metrics_record (metrics, &record);
    }
}

static gboolean
store_quiet (gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ping = test_util_store_ping (data, &error);

  return ping != NULL;
}

static guint
fill (CairnStore *store,
      const char *url)
{
  g_autoptr(FakeClock) clock = fake_clock_new ();
  g_autoptr(CairnMetrics) metrics = cairn_metrics_new (CAIRN_CLOCK (clock), store, "default", url);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  guint minutes = (guint) days * 24 * 60;

  for (guint m = 0; m < minutes; m++)
    {
      record_minute (metrics, rand, m % (24 * 60));
      /* the minute ends: written to the store */
      fake_clock_advance (clock, MINUTE_MS);
      if (m % 1000 == 0)
        g_main_context_iteration (NULL, FALSE);
    }
  /* the writes queued on the store's thread are done once a ping comes back */
  store_quiet (store);
  test_util_run_for (200);

  return minutes;
}

/* Opening ---------------------------------------------------------------------- */

typedef struct {
  gint64 start;
  gint64 painted;
} Open;

static void
after_paint_cb (GdkFrameClock *frame_clock,
                Open          *open)
{
  if (open->painted == 0)
    open->painted = g_get_monotonic_time ();
}

static void
realize_cb (GtkWidget *window,
            Open      *open)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb), open);
}

static gboolean
painted (gpointer data)
{
  return ((Open *) data)->painted != 0;
}

static double
open_once (CairnWorkspace *workspace,
           gboolean        scrolled_down,
           const char     *screenshot_file)
{
  CairnByod *byod = cairn_workspace_get_byod (workspace);
  Open open = { 0 };
  GtkWidget *window;
  double ms;

  open.start = g_get_monotonic_time ();
  window = cairn_health_window_new (cairn_byod_get_health (byod), byod);
  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), &open);
  gtk_window_present (GTK_WINDOW (window));
  wait_until (painted, &open, "the first frame");
  ms = (open.painted - open.start) / 1000.0;

  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (window), after_paint_cb, &open);
  if (scrolled_down)
    {
      GtkWidget *page = find_child_of_type (window, ADW_TYPE_PREFERENCES_PAGE);
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (find_child_of_type (page,
                                                                                           GTK_TYPE_SCROLLED_WINDOW));

      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    }
  if (screenshot_file != NULL)
    save_window_screenshot (window, screenshot_file);
  gtk_window_destroy (GTK_WINDOW (window));
  test_util_run_for (100);

  return ms;
}

/* The main window, as the app shows it before anything else, painted once. */
static GtkWindow *
show_main_window (CairnWorkspace *workspace)
{
  CairnWindow *window = cairn_window_new (NULL, workspace);
  Open open = { 0 };

  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), &open);
  gtk_window_present (GTK_WINDOW (window));
  wait_until (painted, &open, "the main window");
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (GTK_WIDGET (window)), after_paint_cb, &open);
  test_util_run_for (200);

  return GTK_WINDOW (window);
}

static gboolean
history_loaded (gpointer data)
{
  CairnMetrics *metrics = cairn_health_get_metrics (data);
  g_autoptr(GArray) series = metrics != NULL ? cairn_metrics_get_series (metrics, CAIRN_METRICS_MAX_WINDOW) : NULL;

  /* a whole day has requests in most of its minutes */
  return series != NULL && series->len > 1000;
}

static gboolean
connected (gpointer data)
{
  return cairn_connection_get_state (data) == CAIRN_CONNECTION_CONNECTED;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(ConvexPeer) peer = NULL;
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(CairnConnection) connection = NULL;
  g_autoptr(CairnWorkspace) workspace = NULL;
  g_autoptr(FakeClock) clock = NULL;
  g_autoptr(FakeNetworkMonitor) monitor = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  GtkWindow *main_window;
  gint64 start;
  double fill_s, load_ms, first, median, slowest;
  guint minutes, rows;

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  widget_util_init (&argc, &argv);

  dir = g_dir_make_tmp ("cairn-bench-health-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cairn.db", NULL);
  peer = convex_peer_start (ADMIN_KEY, NULL);

  /* 1. thirty days of minutes, written as the app writes them */
  store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  minutes = fill (CAIRN_STORE (store), convex_peer_get_url (peer));
  fill_s = (g_get_monotonic_time () - start) / 1e6;
  rows = test_util_count (CAIRN_STORE (store), "healthMinutes");
  cairn_local_store_close (store);
  g_clear_object (&store);

  /* 2. the store again, the clock where the history ends, BYOD on */
  store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);
  clock = fake_clock_new ();
  fake_clock_advance (clock, minutes * (guint) MINUTE_MS);
  monitor = fake_network_monitor_new ();
  workspace = g_object_new (CAIRN_TYPE_WORKSPACE, "id", "default", "main-store", store, "clock", clock,
                            "network-monitor", monitor, NULL);
  client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  connection = cairn_connection_new ("default", client, CAIRN_CLOCK (clock), G_NETWORK_MONITOR (monitor));
  cairn_connection_set_health_check_interval (connection, 24 * 3600);

  start = g_get_monotonic_time ();
  cairn_byod_set_user_store (cairn_workspace_get_byod (workspace), CAIRN_STORE (connection));
  wait_until (history_loaded, cairn_byod_get_health (cairn_workspace_get_byod (workspace)), "the history");
  load_ms = (g_get_monotonic_time () - start) / 1000.0;
  cairn_connection_start (connection);
  wait_until (connected, connection, "the connection");

  /* 3. the window; over the main window, as in the app, which has set up
   * GTK's fonts, icons and style by then */
  main_window = show_main_window (workspace);
  for (int i = 0; i < opens; i++)
    {
      double ms = open_once (workspace, FALSE, NULL);

      g_array_append_val (times, ms);
    }
  if (screenshot)
    {
      open_once (workspace, FALSE, "health-window-30-days.png");
      open_once (workspace, TRUE, "health-window-30-days-lower.png");
    }
  first = g_array_index (times, double, 0);
  g_array_sort (times, stats_compare_doubles);
  median = g_array_index (times, double, times->len / 2);
  slowest = g_array_index (times, double, times->len - 1);

  g_print ("Database Health over %u days of history (%u minute rows in the main store, written in %.1f s)\n",
           days, rows, fill_s);
  g_print ("  the last 24 hours loaded from the main store         %7.1f ms\n", load_ms);
  g_print ("  window opened to its first frame painted, first       %7.1f ms\n", first);
  g_print ("                                         median of %2d    %7.1f ms\n", opens, median);
  g_print ("                                         slowest         %7.1f ms   target <= %.0f ms: %s\n",
           slowest, TARGET_MS, slowest <= TARGET_MS ? "met" : "MISSED");

  gtk_window_destroy (main_window);
  cairn_byod_set_user_store (cairn_workspace_get_byod (workspace), NULL);
  g_clear_object (&connection);
  g_clear_object (&workspace);
  cairn_local_store_close (store);
  test_util_remove_tree (dir);

  return EXIT_SUCCESS;
}
