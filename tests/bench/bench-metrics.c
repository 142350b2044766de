/* bench-metrics.c — what recording a request's metrics costs
 *
 * 1 000 000 records on the system clock, as the client makes them: a mix of
 * kinds, one in a hundred failing, one in a hundred slow (its function's
 * name interned). Prints one JSON line: ns per record against the 2 µs
 * target, and what the 15-minute summary and the 24-hour series then cost.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include "cairn-error.h"
#include "cairn-metrics.h"
#include "cairn-system-clock.h"

#define RECORDS   1000000
#define TARGET_NS 2000

static const char * const functions[] = {
  "documents:list", "documents:get", "documents:insert", "documents:patch", "cairn:ping", "cairn:health",
};

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CairnClock) clock = cairn_system_clock_new ();
  g_autoptr(CairnMetrics) metrics = cairn_metrics_new (clock, NULL, NULL, NULL);
  g_autoptr(CairnMetricsSummary) summary = NULL;
  g_autoptr(GArray) series = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (2026);
  CairnRequestRecord *records = g_new (CairnRequestRecord, RECORDS);
  gint64 started;
  double record_ns, summary_us, series_us;

  /* the inputs are made first: only cairn_metrics_record() is timed */
  for (guint i = 0; i < RECORDS; i++)
    {
      guint r = g_rand_int_range (rand, 0, 100);

      records[i] = (CairnRequestRecord) {
        r < 60 ? CAIRN_REQUEST_QUERY : r < 95 ? CAIRN_REQUEST_MUTATION : CAIRN_REQUEST_ACTION,
        functions[i % G_N_ELEMENTS (functions)],
        r == 7 ? CAIRN_REQUEST_FAILED : CAIRN_REQUEST_SUCCEEDED,
        r == 7 ? CAIRN_CONVEX_ERROR_SERVER : 0,
        r == 42 ? 750000 : g_rand_int_range (rand, 500, 200000),
      };
    }

  started = g_get_monotonic_time ();
  for (guint i = 0; i < RECORDS; i++)
    cairn_metrics_record (metrics, &records[i]);
  record_ns = (g_get_monotonic_time () - started) * 1000.0 / RECORDS;

  started = g_get_monotonic_time ();
  summary = cairn_metrics_summarize (metrics, 15);
  summary_us = (double) (g_get_monotonic_time () - started);
  started = g_get_monotonic_time ();
  series = cairn_metrics_get_series (metrics, CAIRN_METRICS_MAX_WINDOW);
  series_us = (double) (g_get_monotonic_time () - started);

  g_assert_cmpuint (summary->count, ==, RECORDS);
  printf ("{\"benchmark\": \"metrics-record\", \"records\": %d, \"ns_per_record\": %.1f, \"target_ns\": %d, "
          "\"within_target\": %s, \"summary_15_min_us\": %.0f, \"series_24_h_us\": %.0f}\n",
          RECORDS, record_ns, TARGET_NS, record_ns <= TARGET_NS ? "true" : "false", summary_us, series_us);

  g_free (records);
  return 0;
}
