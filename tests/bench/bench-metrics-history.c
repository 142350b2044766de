/* bench-metrics-history.c — what a full day of request history costs to read back
 *
 * A day with requests in every minute (30 a minute, a spread of durations,
 * some failing, some slow) recorded on a fake clock into a real SQLite main
 * store, as the app keeps it; then, as after a restart, new metrics read it
 * back (cairn_metrics_load_async) and the Database Health window's numbers
 * are made: the 24-hour summary and series. Prints one JSON line; the
 * window's own target (open in ≤ 150 ms with 30 days of history) needs the
 * load to be a small part of it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include "cairn-error.h"
#include "cairn-local-store.h"
#include "cairn-metrics.h"
#include "fake-clock.h"
#include "test-util.h"

#define URL "https://happy-otter-123.convex.cloud"
#define PER_MINUTE 30

static gboolean
rows_written (gpointer data)
{
  return test_util_count (data, "healthMinutes") >= CAIRN_METRICS_MAX_WINDOW;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("cairn-bench-history-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "cairn.db", NULL);
  g_autoptr(FakeClock) clock = fake_clock_new ();
  g_autoptr(CairnLocalStore) store = cairn_local_store_new (path, &error);
  g_autoptr(CairnMetrics) recorded = NULL;
  g_autoptr(CairnMetrics) reloaded = NULL;
  g_autoptr(CairnMetricsSummary) summary = NULL;
  g_autoptr(GArray) series = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (30);
  gint64 started;
  double write_s, load_ms, summary_ms, series_ms;

  g_assert_no_error (error);
  recorded = cairn_metrics_new (CAIRN_CLOCK (clock), CAIRN_STORE (store), "default", URL);

  started = g_get_monotonic_time ();
  for (guint minute = 0; minute < CAIRN_METRICS_MAX_WINDOW; minute++)
    {
      for (guint i = 0; i < PER_MINUTE; i++)
        {
          guint r = g_rand_int_range (rand, 0, 100);
          CairnRequestRecord record = {
            r < 60 ? CAIRN_REQUEST_QUERY : CAIRN_REQUEST_MUTATION,
            r < 60 ? "documents:list" : "documents:insert",
            r < 2 ? CAIRN_REQUEST_FAILED : CAIRN_REQUEST_SUCCEEDED,
            r < 2 ? CAIRN_CONVEX_ERROR_TIMEOUT : 0,
            r == 50 ? 900000 : g_rand_int_range (rand, 1000, 300000),
          };

          cairn_metrics_record (recorded, &record);
        }
      fake_clock_advance (clock, 60000);
    }
  g_assert_true (test_util_wait_until (rows_written, store, 600000));
  write_s = (g_get_monotonic_time () - started) / 1e6;

  reloaded = cairn_metrics_new (CAIRN_CLOCK (clock), CAIRN_STORE (store), "default", URL);
  started = g_get_monotonic_time ();
  cairn_metrics_load_async (reloaded, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_metrics_load_finish (reloaded, result, &error));
  load_ms = (g_get_monotonic_time () - started) / 1000.0;

  started = g_get_monotonic_time ();
  summary = cairn_metrics_summarize (reloaded, CAIRN_METRICS_MAX_WINDOW);
  summary_ms = (g_get_monotonic_time () - started) / 1000.0;
  started = g_get_monotonic_time ();
  series = cairn_metrics_get_series (reloaded, CAIRN_METRICS_MAX_WINDOW);
  series_ms = (g_get_monotonic_time () - started) / 1000.0;

  /* the minute the clock is in now had nothing: the 1 439 before it are the window */
  g_assert_cmpuint (summary->count, ==, (CAIRN_METRICS_MAX_WINDOW - 1) * PER_MINUTE);
  printf ("{\"benchmark\": \"metrics-history\", \"minutes\": %d, \"requests\": %u, \"write_s\": %.1f, "
          "\"load_ms\": %.1f, \"summary_24_h_ms\": %.2f, \"series_24_h_ms\": %.2f, \"points\": %u}\n",
          CAIRN_METRICS_MAX_WINDOW, summary->count, write_s, load_ms, summary_ms, series_ms, series->len);

  g_clear_object (&recorded);
  g_clear_object (&reloaded);
  cairn_local_store_close (store);
  test_util_remove_tree (dir);
  return 0;
}
