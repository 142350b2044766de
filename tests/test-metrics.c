/* test-metrics.c — request metrics and the health verdict, on a fake clock
 *
 * Percentiles against a reference computed here from the same durations;
 * the minutes a window takes in and leaves out; the verdict at and around
 * every threshold; the history written to a real SQLite file and read back
 * after a "restart"; the history kept to 30 days.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cairn-error.h"
#include "cairn-health.h"
#include "cairn-json.h"
#include "cairn-local-store.h"
#include "cairn-metrics.h"
#include "fake-clock.h"
#include "test-util.h"

#define URL        "https://happy-otter-123.convex.cloud"
#define MINUTE     60000u
#define HOUR       (60 * MINUTE)
#define DAY_MS     G_GINT64_CONSTANT (86400000)

typedef struct {
  FakeClock    *clock;
  CairnMetrics *metrics;
  char         *dir;
  char         *db_path;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->clock = fake_clock_new ();
  f->metrics = cairn_metrics_new (CAIRN_CLOCK (f->clock), NULL, NULL, NULL);
  f->dir = g_dir_make_tmp ("cairn-metrics-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "cairn.db", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_finalize_object (f->metrics);
  g_assert_finalize_object (f->clock);
  test_util_remove_tree (f->dir);
  g_free (f->db_path);
  g_free (f->dir);
}

static void
record (CairnMetrics     *metrics,
        CairnRequestKind  kind,
        const char       *function,
        int               error_code,
        gint64            duration_us)
{
  CairnRequestRecord r = {
    kind, function, error_code < 0 ? CAIRN_REQUEST_SUCCEEDED : CAIRN_REQUEST_FAILED,
    error_code < 0 ? 0 : error_code, duration_us,
  };

  cairn_metrics_record (metrics, &r);
}

static gint64
now_ms (Fixture *f)
{
  return cairn_clock_get_real_time_ms (CAIRN_CLOCK (f->clock));
}

/* Percentiles ------------------------------------------------------------------- */

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest rank, as the metrics promise: the ⌈n·p/100⌉-th smallest. */
static double
reference_ms (GArray *sorted,
              guint   p)
{
  guint64 rank = ((guint64) sorted->len * p + 99) / 100;

  return g_array_index (sorted, gint64, MAX (rank, 1) - 1) / 1000.0;
}

static void
assert_close (double got_ms,
              double exact_ms)
{
  double tolerance = exact_ms / CAIRN_METRICS_PRECISION + 0.0005;

  if (ABS (got_ms - exact_ms) > tolerance)
    g_error ("percentile %.4f ms, exact %.4f ms: off by more than %.4f ms", got_ms, exact_ms, tolerance);
}

static void
assert_latency (const CairnLatency *latency,
                GArray             *durations,
                guint               failed)
{
  gint64 sum = 0;

  g_array_sort (durations, compare_gint64);
  for (guint i = 0; i < durations->len; i++)
    sum += g_array_index (durations, gint64, i);

  g_assert_cmpuint (latency->count, ==, durations->len);
  g_assert_cmpuint (latency->failed, ==, failed);
  g_assert_cmpfloat_with_epsilon (latency->average_ms, (double) sum / durations->len / 1000.0, 1e-9);
  g_assert_cmpfloat (latency->max_ms, ==, g_array_index (durations, gint64, durations->len - 1) / 1000.0);
  assert_close (latency->p50_ms, reference_ms (durations, 50));
  assert_close (latency->p95_ms, reference_ms (durations, 95));
  assert_close (latency->p99_ms, reference_ms (durations, 99));
}

/* Durations from 16 µs to 33 s, as many in each power of two, so every
 * part of the histogram is used; spread over 12 minutes, so closed minutes and the one under way
 * add up together. */
static void
test_percentiles (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261112);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(CairnMetricsSummary) summary = NULL;
  GArray *by_kind[CAIRN_REQUEST_N_KINDS];
  guint failed[CAIRN_REQUEST_N_KINDS] = { 0 };
  guint all_failed = 0;

  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    by_kind[k] = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < 12000; i++)
    {
      CairnRequestKind kind = g_rand_int_range (rand, 0, 10) < 6 ? CAIRN_REQUEST_QUERY :
                              g_rand_boolean (rand) ? CAIRN_REQUEST_MUTATION :
                              g_rand_boolean (rand) ? CAIRN_REQUEST_ACTION : CAIRN_REQUEST_PUSH;
      guint bits = g_rand_int_range (rand, 4, 25);
      gint64 us = g_rand_int_range (rand, 1 << bits, 1 << (bits + 1));
      gboolean fails = g_rand_int_range (rand, 0, 50) == 0;

      record (f->metrics, kind, "documents:list", fails ? CAIRN_CONVEX_ERROR_SERVER : -1, us);
      g_array_append_val (by_kind[kind], us);
      g_array_append_val (all, us);
      failed[kind] += fails;
      all_failed += fails;
      if (i % 1000 == 999)
        fake_clock_advance (f->clock, MINUTE);
    }

  summary = cairn_metrics_summarize (f->metrics, 15);
  g_assert_cmpuint (summary->count, ==, 12000);
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    {
      g_test_message ("kind %s: %u requests", cairn_request_kind_to_string (k), by_kind[k]->len);
      assert_latency (&summary->by_kind[k], by_kind[k], failed[k]);
      g_array_unref (by_kind[k]);
    }
  assert_latency (&summary->all, all, all_failed);
  g_assert_cmpfloat_with_epsilon (summary->error_rate, (double) all_failed / 12000, 1e-12);
}

/* A handful of known durations, where nearest rank is easy to see. */
static void
test_percentiles_small (Fixture       *f,
                        gconstpointer  data)
{
  static const gint64 durations[] = { 10000, 20000, 30000, 40000, 50000, 60000, 70000, 80000, 90000, 1000000 };
  g_autoptr(CairnMetricsSummary) summary = NULL;
  g_autoptr(CairnMetricsSummary) empty = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
    record (f->metrics, CAIRN_REQUEST_QUERY, "cairn:ping", -1, durations[i]);

  summary = cairn_metrics_summarize (f->metrics, 1);
  g_assert_cmpfloat (summary->by_kind[CAIRN_REQUEST_QUERY].average_ms, ==, 145.0);
  assert_close (summary->by_kind[CAIRN_REQUEST_QUERY].p50_ms, 50.0);
  /* ⌈9.5⌉ = 10th of 10, ⌈9.9⌉ = 10th */
  assert_close (summary->by_kind[CAIRN_REQUEST_QUERY].p95_ms, 1000.0);
  assert_close (summary->by_kind[CAIRN_REQUEST_QUERY].p99_ms, 1000.0);
  g_assert_cmpuint (summary->by_kind[CAIRN_REQUEST_MUTATION].count, ==, 0);
  g_assert_cmpfloat (summary->by_kind[CAIRN_REQUEST_MUTATION].p95_ms, ==, 0);
  g_assert_cmpfloat (summary->mutation_success_rate, ==, 1.0);

  empty = cairn_metrics_summarize_records (NULL, 0);
  g_assert_cmpuint (empty->count, ==, 0);
  g_assert_cmpfloat (empty->error_rate, ==, 0);
  g_assert_cmpuint (empty->errors->len, ==, 0);
}

/* Windows ----------------------------------------------------------------------- */

static guint
count_in (Fixture *f,
          guint    minutes)
{
  g_autoptr(CairnMetricsSummary) summary = cairn_metrics_summarize (f->metrics, minutes);

  return summary->count;
}

static void
test_window_boundaries (Fixture       *f,
                        gconstpointer  data)
{
  gint64 start = now_ms (f);
  g_autoptr(CairnMetricsSummary) summary = NULL;
  g_autoptr(CairnMetricsSummary) since = NULL;
  g_autoptr(GArray) series = NULL;

  /* the fake clock starts on a minute */
  g_assert_cmpint (start % MINUTE, ==, 0);

  record (f->metrics, CAIRN_REQUEST_QUERY, "cairn:ping", -1, 1000);   /* minute 0 */
  fake_clock_advance (f->clock, 14 * MINUTE + 59999);
  record (f->metrics, CAIRN_REQUEST_QUERY, "cairn:ping", -1, 1000);   /* minute 14, its last ms */

  /* minute 14 and the 14 before it: minute 0 is in */
  g_assert_cmpuint (count_in (f, 15), ==, 2);
  g_assert_cmpuint (count_in (f, 14), ==, 1);
  g_assert_cmpuint (count_in (f, 1), ==, 1);
  summary = cairn_metrics_summarize (f->metrics, 15);
  g_assert_cmpint (summary->start_ms, ==, start);
  g_assert_cmpint (summary->end_ms, ==, start + 15 * MINUTE);
  g_assert_cmpuint (summary->minutes, ==, 15);

  /* 1 ms later it is minute 15: minute 0 is out of the last 15, not of the last 24 hours */
  fake_clock_advance (f->clock, 1);
  g_assert_cmpuint (count_in (f, 15), ==, 1);
  g_assert_cmpuint (count_in (f, 1), ==, 0);
  g_assert_cmpuint (count_in (f, CAIRN_METRICS_MAX_WINDOW), ==, 2);

  /* minutes from a moment on: minute 14 is in when it is where it starts, out after */
  since = cairn_metrics_summarize_since (f->metrics, 15, start + 14 * MINUTE);
  g_assert_cmpuint (since->count, ==, 1);
  g_assert_cmpuint (since->minutes, ==, 2);
  g_clear_pointer (&since, cairn_metrics_summary_free);
  since = cairn_metrics_summarize_since (f->metrics, 15, start + 14 * MINUTE + 1);
  g_assert_cmpuint (since->count, ==, 0);
  g_assert_cmpuint (since->minutes, ==, 1);

  /* the last of the 24 hours still has minute 0; the next does not */
  fake_clock_advance (f->clock, (CAIRN_METRICS_MAX_WINDOW - 16) * MINUTE);
  g_assert_cmpint ((now_ms (f) - start) / MINUTE, ==, CAIRN_METRICS_MAX_WINDOW - 1);
  g_assert_cmpuint (count_in (f, CAIRN_METRICS_MAX_WINDOW), ==, 2);
  series = cairn_metrics_get_series (f->metrics, CAIRN_METRICS_MAX_WINDOW);
  g_assert_cmpuint (series->len, ==, 2);
  g_assert_cmpint (g_array_index (series, CairnMetricsPoint, 0).minute_ms, ==, start);
  g_assert_cmpint (g_array_index (series, CairnMetricsPoint, 1).minute_ms, ==, start + 14 * MINUTE);
  g_clear_pointer (&series, g_array_unref);

  fake_clock_advance (f->clock, MINUTE);
  g_assert_cmpuint (count_in (f, CAIRN_METRICS_MAX_WINDOW), ==, 1);
  series = cairn_metrics_get_series (f->metrics, CAIRN_METRICS_MAX_WINDOW);
  g_assert_cmpuint (series->len, ==, 1);
}

static void
test_series (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GArray) series = NULL;
  const CairnMetricsPoint *point;

  for (guint i = 1; i <= 4; i++)
    record (f->metrics, CAIRN_REQUEST_QUERY, "documents:list", -1, i * 10000);
  fake_clock_advance (f->clock, 2 * MINUTE);
  record (f->metrics, CAIRN_REQUEST_MUTATION, "documents:insert", CAIRN_CONVEX_ERROR_TIMEOUT, 30000000);
  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:list", -1, 2000);

  series = cairn_metrics_get_series (f->metrics, 15);
  g_assert_cmpuint (series->len, ==, 2);   /* the empty minute between is not a point */

  point = &g_array_index (series, CairnMetricsPoint, 0);
  g_assert_cmpuint (point->count, ==, 4);
  g_assert_cmpuint (point->failed, ==, 0);
  g_assert_cmpfloat (point->average_ms, ==, 25.0);
  assert_close (point->p50_ms, 20.0);
  assert_close (point->p95_ms, 40.0);

  point = &g_array_index (series, CairnMetricsPoint, 1);
  g_assert_cmpuint (point->count, ==, 2);
  g_assert_cmpuint (point->failed, ==, 1);
  assert_close (point->p50_ms, 2.0);
  assert_close (point->p95_ms, 30000.0);
}

static void
test_changed_coalesced (Fixture       *f,
                        gconstpointer  data)
{
  guint changed = 0;

  g_signal_connect_swapped (f->metrics, "changed", G_CALLBACK (test_util_count_cb), &changed);

  for (guint i = 0; i < 100; i++)
    record (f->metrics, CAIRN_REQUEST_QUERY, "cairn:ping", -1, 1000);
  cairn_metrics_record_retry (f->metrics);
  g_assert_cmpuint (changed, ==, 0);

  fake_clock_advance (f->clock, CAIRN_METRICS_CHANGED_DELAY_MS - 1);
  g_assert_cmpuint (changed, ==, 0);
  fake_clock_advance (f->clock, 1);
  g_assert_cmpuint (changed, ==, 1);

  /* the minute ends: the windows moved */
  fake_clock_advance (f->clock, MINUTE);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpuint (fake_clock_n_pending (f->clock), ==, 0);
}

/* Failures by code, retries and slow requests -------------------------------------- */

static void
test_errors_and_slow (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CairnMetricsSummary) summary = NULL;
  const CairnErrorCount *errors;
  const CairnSlowRequest *slow;
  g_autofree char *name = NULL;

  for (guint i = 0; i < 3; i++)
    record (f->metrics, CAIRN_REQUEST_MUTATION, "documents:insert", CAIRN_CONVEX_ERROR_SERVER, 1000);
  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:list", CAIRN_CONVEX_ERROR_TIMEOUT, 10000000);
  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:list", 999, 1000);
  cairn_metrics_record_retry (f->metrics);
  cairn_metrics_record_retry (f->metrics);

  /* exactly 500 ms is not slow; a µs more is */
  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:get", -1, 500000);
  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:get", -1, 500001);
  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:get", -1, 700000);
  /* eight functions a minute are kept apart: from module:slow6 on they share one entry */
  for (guint i = 0; i < 9; i++)
    {
      g_free (name);
      name = g_strdup_printf ("module:slow%u", i);
      record (f->metrics, CAIRN_REQUEST_ACTION, name, -1, 600000 + i);
    }

  summary = cairn_metrics_summarize (f->metrics, 15);
  g_assert_cmpuint (summary->failed, ==, 5);
  g_assert_cmpuint (summary->retries, ==, 2);
  g_assert_cmpfloat (summary->mutation_success_rate, ==, 0.0);

  g_assert_cmpuint (summary->errors->len, ==, 3);
  errors = (const CairnErrorCount *) (gpointer) summary->errors->data;
  g_assert_cmpint (errors[0].code, ==, CAIRN_CONVEX_ERROR_SERVER);
  g_assert_cmpuint (errors[0].count, ==, 3);
  /* then by code: timeout before "other" (-1 sorts first) */
  g_assert_cmpint (errors[1].code, ==, -1);
  g_assert_cmpint (errors[2].code, ==, CAIRN_CONVEX_ERROR_TIMEOUT);
  g_assert_cmpstr (cairn_metrics_error_nick (CAIRN_CONVEX_ERROR_TIMEOUT), ==, "timeout");
  g_assert_cmpstr (cairn_metrics_error_nick (-1), ==, "other");
  g_assert_cmpstr (cairn_metrics_error_nick (999), ==, "other");
  g_assert_cmpstr (cairn_metrics_error_label (CAIRN_CONVEX_ERROR_TIMEOUT), ==, "No answer in time");

  /* most first: the shared entry (3), documents:get (2), then the slowest of the rest */
  slow = (const CairnSlowRequest *) (gpointer) summary->slow->data;
  g_assert_cmpuint (summary->slow->len, ==, 9);
  g_assert_null (slow[0].function);
  g_assert_cmpuint (slow[0].count, ==, 3);
  g_assert_cmpfloat (slow[0].max_ms, ==, 600.008);
  g_assert_cmpstr (slow[1].function, ==, "documents:get");
  g_assert_cmpuint (slow[1].count, ==, 2);
  g_assert_cmpfloat (slow[1].max_ms, ==, 700.0);
  g_assert_cmpuint (slow[1].kind, ==, CAIRN_REQUEST_QUERY);
  g_assert_cmpstr (slow[2].function, ==, "documents:list");
  g_assert_cmpfloat (slow[2].max_ms, ==, 10000.0);
  g_assert_cmpstr (slow[3].function, ==, "module:slow5");
  g_assert_cmpstr (slow[8].function, ==, "module:slow0");
  for (guint i = 2; i < summary->slow->len; i++)
    g_assert_cmpuint (slow[i].count, ==, 1);
}

/* The verdict ---------------------------------------------------------------------- */

/* @n requests of @kind taking @us each, the first @failed of them failing */
static void
add (GArray           *records,
     CairnRequestKind  kind,
     guint             n,
     guint             failed,
     gint64            us)
{
  for (guint i = 0; i < n; i++)
    {
      CairnRequestRecord r = {
        kind, kind == CAIRN_REQUEST_QUERY ? "documents:list" : "documents:insert",
        i < failed ? CAIRN_REQUEST_FAILED : CAIRN_REQUEST_SUCCEEDED,
        i < failed ? CAIRN_CONVEX_ERROR_SERVER : 0, us,
      };

      g_array_append_val (records, r);
    }
}

static CairnHealthVerdict
judge (GArray                      *records,
       const CairnHealthThresholds *thresholds,
       GPtrArray                   *reasons)
{
  g_autoptr(CairnMetricsSummary) summary = NULL;

  summary = cairn_metrics_summarize_records ((CairnRequestRecord *) (gpointer) records->data, records->len);
  g_ptr_array_set_size (reasons, 0);
  g_array_set_size (records, 0);

  return cairn_health_judge (thresholds, summary, reasons);
}

static void
assert_reason (GPtrArray  *reasons,
               const char *expected)
{
  for (guint i = 0; i < reasons->len; i++)
    g_test_message ("reason: %s", (const char *) reasons->pdata[i]);
  g_assert_cmpuint (reasons->len, ==, 1);
  g_assert_cmpstr (reasons->pdata[0], ==, expected);
}

static void
test_verdict_queries (Fixture       *f,
                      gconstpointer  data)
{
  CairnHealthThresholds t = CAIRN_HEALTH_THRESHOLDS_DEFAULT;
  g_autoptr(GArray) r = g_array_new (FALSE, FALSE, sizeof (CairnRequestRecord));
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_HEALTHY);
  g_assert_cmpuint (reasons->len, ==, 0);

  add (r, CAIRN_REQUEST_QUERY, 10, 0, 100000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_HEALTHY);
  g_assert_cmpuint (reasons->len, ==, 0);

  add (r, CAIRN_REQUEST_QUERY, 9, 0, 100000);
  add (r, CAIRN_REQUEST_QUERY, 1, 0, 100010);     /* an average 1 µs over */
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "Queries took 100 ms on average in this check (more than 100 ms).");

  add (r, CAIRN_REQUEST_QUERY, 4, 0, 500000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "Queries took 500 ms on average in this check (more than 100 ms).");

  add (r, CAIRN_REQUEST_QUERY, 3, 0, 500000);
  add (r, CAIRN_REQUEST_QUERY, 1, 0, 500004);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "Queries took 500 ms on average in this check (more than 500 ms).");

  add (r, CAIRN_REQUEST_QUERY, 2, 0, 730000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "Queries took 730 ms on average in this check (more than 500 ms).");

  /* mutations' latency is not the queries' */
  add (r, CAIRN_REQUEST_MUTATION, 5, 0, 2000000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_HEALTHY);

  /* the user's thresholds */
  t.query_warning_ms = 50;
  add (r, CAIRN_REQUEST_QUERY, 5, 0, 60000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "Queries took 60 ms on average in this check (more than 50 ms).");
}

static void
test_verdict_mutations (Fixture       *f,
                        gconstpointer  data)
{
  CairnHealthThresholds t = CAIRN_HEALTH_THRESHOLDS_DEFAULT;
  g_autoptr(GArray) r = g_array_new (FALSE, FALSE, sizeof (CairnRequestRecord));
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);

  /* enough good queries that the failures stay at a 1 % error rate, which is allowed */
  add (r, CAIRN_REQUEST_MUTATION, 20, 1, 1000);   /* 95 % */
  add (r, CAIRN_REQUEST_QUERY, 80, 0, 1000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_HEALTHY);
  g_assert_cmpuint (reasons->len, ==, 0);

  add (r, CAIRN_REQUEST_MUTATION, 19, 1, 1000);   /* 94.7 % */
  add (r, CAIRN_REQUEST_QUERY, 81, 0, 1000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "Only 94.7 % of mutations succeeded in this check (less than 95 %).");

  add (r, CAIRN_REQUEST_MUTATION, 20, 2, 1000);   /* 90 % */
  add (r, CAIRN_REQUEST_QUERY, 180, 0, 1000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "Only 90 % of mutations succeeded in this check (less than 95 %).");

  add (r, CAIRN_REQUEST_MUTATION, 19, 2, 1000);   /* 89.5 % */
  add (r, CAIRN_REQUEST_QUERY, 181, 0, 1000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "Only 89.5 % of mutations succeeded in this check (less than 90 %).");
}

static void
test_verdict_errors (Fixture       *f,
                     gconstpointer  data)
{
  CairnHealthThresholds t = CAIRN_HEALTH_THRESHOLDS_DEFAULT;
  g_autoptr(GArray) r = g_array_new (FALSE, FALSE, sizeof (CairnRequestRecord));
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);

  add (r, CAIRN_REQUEST_QUERY, 100, 1, 1000);     /* 1 % */
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_HEALTHY);

  add (r, CAIRN_REQUEST_QUERY, 199, 2, 1000);     /* 1.005 % */
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "1.01 % of requests failed in this check (more than 1 %).");

  add (r, CAIRN_REQUEST_QUERY, 100, 5, 1000);     /* 5 % */
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_DEGRADED);
  assert_reason (reasons, "5 % of requests failed in this check (more than 1 %).");

  add (r, CAIRN_REQUEST_QUERY, 1000, 51, 1000);   /* 5.1 % */
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "5.1 % of requests failed in this check (more than 5 %).");

  /* everything at once: the worst wins, every reason is told */
  add (r, CAIRN_REQUEST_QUERY, 10, 0, 200000);
  add (r, CAIRN_REQUEST_MUTATION, 5, 1, 1000);
  g_assert_cmpuint (judge (r, &t, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  g_assert_cmpuint (reasons->len, ==, 3);
  g_assert_true (g_str_has_prefix (reasons->pdata[0], "Queries took"));
  g_assert_true (g_str_has_prefix (reasons->pdata[1], "Only 80 % of mutations"));
  g_assert_true (g_str_has_prefix (reasons->pdata[2], "6.67 % of requests failed"));
}

/* The window is named in the reason. */
static void
test_verdict_window (Fixture       *f,
                     gconstpointer  data)
{
  CairnHealthThresholds t = CAIRN_HEALTH_THRESHOLDS_DEFAULT;
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CairnMetricsSummary) quarter = NULL;
  g_autoptr(CairnMetricsSummary) day = NULL;

  record (f->metrics, CAIRN_REQUEST_QUERY, "documents:list", -1, 730000);
  quarter = cairn_metrics_summarize (f->metrics, 15);
  day = cairn_metrics_summarize (f->metrics, CAIRN_METRICS_MAX_WINDOW);

  g_assert_cmpuint (cairn_health_judge (&t, quarter, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "Queries took 730 ms on average over the last 15 minutes (more than 500 ms).");
  g_ptr_array_set_size (reasons, 0);
  g_assert_cmpuint (cairn_health_judge (&t, day, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "Queries took 730 ms on average over the last 24 hours (more than 500 ms).");
}

/* A check judged by itself: its error when it could not use the
 * deployment, its requests' rates when one request failed on its own. */
static void
test_verdict_check (Fixture       *f,
                    gconstpointer  data)
{
  CairnHealthThresholds t = CAIRN_HEALTH_THRESHOLDS_DEFAULT;
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) unreachable = g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY,
                                                       "Your database could not be reached: refused");
  g_autoptr(CairnHealthCheckResult) failed = NULL;
  g_autoptr(CairnHealthCheckResult) copy = NULL;
  CairnRequestRecord records[5];

  failed = cairn_health_check_result_new_failed (CAIRN_HEALTH_CHECK_FULL, 1, unreachable);
  g_assert_cmpuint (cairn_health_judge_check (&t, failed, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  assert_reason (reasons, "Your database could not be reached: refused");

  /* reachable, one write of five failed with a 500: 80 % of mutations */
  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    records[i] = (CairnRequestRecord) { CAIRN_REQUEST_MUTATION, "cairn:health",
                                        i == 2 ? CAIRN_REQUEST_FAILED : CAIRN_REQUEST_SUCCEEDED,
                                        i == 2 ? CAIRN_CONVEX_ERROR_SERVER : 0, 1000 };
  g_clear_error (&failed->error);
  failed->error = g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER, "Server error");
  failed->reachable = TRUE;
  g_clear_pointer (&failed->summary, cairn_metrics_summary_free);
  failed->summary = cairn_metrics_summarize_records (records, G_N_ELEMENTS (records));
  copy = cairn_health_check_result_copy (failed);

  g_ptr_array_set_size (reasons, 0);
  g_assert_cmpuint (cairn_health_judge_check (&t, copy, reasons), ==, CAIRN_HEALTH_UNHEALTHY);
  g_assert_cmpuint (reasons->len, ==, 2);
  g_assert_cmpstr (reasons->pdata[0], ==, "Only 80 % of mutations succeeded in this check (less than 90 %).");
  g_assert_cmpstr (reasons->pdata[1], ==, "20 % of requests failed in this check (more than 5 %).");
}

/* History in the main store ----------------------------------------------------------- */

static CairnLocalStore *
open_store (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  CairnLocalStore *store = cairn_local_store_new (f->db_path, &error);

  g_assert_no_error (error);
  return store;
}

static void
load (CairnMetrics *metrics)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cairn_metrics_load_async (metrics, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_metrics_load_finish (metrics, result, &error));
  g_assert_no_error (error);
}

static void
assert_same_latency (const CairnLatency *a,
                     const CairnLatency *b)
{
  g_assert_cmpuint (a->count, ==, b->count);
  g_assert_cmpuint (a->failed, ==, b->failed);
  g_assert_cmpfloat (a->average_ms, ==, b->average_ms);
  g_assert_cmpfloat (a->p50_ms, ==, b->p50_ms);
  g_assert_cmpfloat (a->p95_ms, ==, b->p95_ms);
  g_assert_cmpfloat (a->p99_ms, ==, b->p99_ms);
  g_assert_cmpfloat (a->max_ms, ==, b->max_ms);
}

static void
assert_same_summary (const CairnMetricsSummary *a,
                     const CairnMetricsSummary *b)
{
  g_assert_cmpuint (a->count, ==, b->count);
  g_assert_cmpuint (a->failed, ==, b->failed);
  g_assert_cmpuint (a->retries, ==, b->retries);
  for (guint k = 0; k < CAIRN_REQUEST_N_KINDS; k++)
    assert_same_latency (&a->by_kind[k], &b->by_kind[k]);
  assert_same_latency (&a->all, &b->all);

  g_assert_cmpuint (a->errors->len, ==, b->errors->len);
  g_assert_cmpmem (a->errors->data, a->errors->len * sizeof (CairnErrorCount),
                   b->errors->data, b->errors->len * sizeof (CairnErrorCount));
  g_assert_cmpuint (a->slow->len, ==, b->slow->len);
  for (guint i = 0; i < a->slow->len; i++)
    {
      const CairnSlowRequest *x = &g_array_index (a->slow, CairnSlowRequest, i);
      const CairnSlowRequest *y = &g_array_index (b->slow, CairnSlowRequest, i);

      g_assert_cmpstr (x->function, ==, y->function);
      g_assert_cmpuint (x->kind, ==, y->kind);
      g_assert_cmpuint (x->count, ==, y->count);
      g_assert_cmpfloat (x->max_ms, ==, y->max_ms);
    }
}

static void
test_history_restart (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CairnLocalStore) store = open_store (f);
  g_autoptr(CairnMetrics) metrics = NULL;
  g_autoptr(CairnMetrics) other = NULL;
  g_autoptr(CairnMetricsSummary) before = NULL;
  g_autoptr(CairnMetricsSummary) after = NULL;
  g_autoptr(CairnMetricsSummary) more = NULL;
  g_autoptr(CairnMetricsSummary) elsewhere = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  metrics = cairn_metrics_new (CAIRN_CLOCK (f->clock), CAIRN_STORE (store), "default", URL);
  load (metrics);

  /* three minutes with requests, a quiet one, then the minute under way */
  for (guint minute = 0; minute < 5; minute++)
    {
      for (guint i = 0; minute != 3 && i < 40; i++)
        record (metrics, i % 3 == 0 ? CAIRN_REQUEST_MUTATION : CAIRN_REQUEST_QUERY,
                i % 3 == 0 ? "documents:insert" : "documents:list",
                i % 13 == 0 ? CAIRN_CONVEX_ERROR_TIMEOUT : i % 17 == 0 ? CAIRN_CONVEX_ERROR_SERVER : -1,
                g_rand_int_range (rand, 100, 900000));
      cairn_metrics_record_retry (metrics);
      fake_clock_advance (f->clock, minute < 4 ? MINUTE : 20000);
    }
  before = cairn_metrics_summarize (metrics, CAIRN_METRICS_MAX_WINDOW);
  g_assert_cmpuint (before->count, ==, 160);
  g_assert_cmpuint (before->slow->len, >, 0);

  /* quit: the minute under way is written too, and the store finishes its writes */
  g_assert_finalize_object (g_steal_pointer (&metrics));
  cairn_local_store_close (store);
  g_clear_object (&store);
  fake_clock_advance (f->clock, 5000);

  store = open_store (f);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (store), "healthMinutes"), ==, 5);
  metrics = cairn_metrics_new (CAIRN_CLOCK (f->clock), CAIRN_STORE (store), "default", URL);
  load (metrics);
  after = cairn_metrics_summarize (metrics, CAIRN_METRICS_MAX_WINDOW);
  assert_same_summary (before, after);

  /* back within the same minute: it goes on from what it had */
  record (metrics, CAIRN_REQUEST_QUERY, "cairn:ping", -1, 5000);
  more = cairn_metrics_summarize (metrics, 1);
  g_assert_cmpuint (more->count, ==, 1 + 40);

  /* another deployment's history is its own */
  other = cairn_metrics_new (CAIRN_CLOCK (f->clock), CAIRN_STORE (store), "default", "https://other-456.convex.cloud");
  load (other);
  elsewhere = cairn_metrics_summarize (other, CAIRN_METRICS_MAX_WINDOW);
  g_assert_cmpuint (elsewhere->count, ==, 0);

  g_assert_finalize_object (g_steal_pointer (&other));
  g_assert_finalize_object (g_steal_pointer (&metrics));
  cairn_local_store_close (store);
}

typedef struct {
  CairnStore *store;
  guint       expected;
} RowCount;

static gboolean
rows_are (gpointer data)
{
  RowCount *rows = data;

  return test_util_count (rows->store, "healthMinutes") == rows->expected;
}

static gboolean
fewer_rows (gpointer data)
{
  RowCount *rows = data;

  return test_util_count (rows->store, "healthMinutes") < rows->expected;
}

static gint64
oldest_minute (CairnStore *store)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("healthMinutes", "by_workspace_minute");
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = NULL;

  cairn_query_add_equal_string (query, "default");
  cairn_query_set_page_size (query, 1);
  page = test_util_store_list (store, query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->documents->len, ==, 1);

  return (gint64) cairn_json_get_number (page->documents->pdata[0], "minute");
}

/* 40 days of a request every 6 hours: 30 days' worth stay. */
static void
test_history_bounded (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CairnLocalStore) store = open_store (f);
  g_autoptr(CairnMetrics) metrics = NULL;
  g_autoptr(CairnMetrics) reloaded = NULL;
  gint64 start = now_ms (f);
  RowCount rows = { CAIRN_STORE (store), 160 };

  metrics = cairn_metrics_new (CAIRN_CLOCK (f->clock), CAIRN_STORE (store), "default", URL);
  for (guint step = 0; step < 160; step++)
    {
      record (metrics, CAIRN_REQUEST_QUERY, "documents:list", -1, 10000);
      fake_clock_advance (f->clock, 6 * HOUR);
      /* let the store catch up now and then */
      if (step % 20 == 19)
        test_util_run_for (50);
    }

  /* while it ran, what was older than 30 days went (the store's worker has its own pace) */
  g_assert_true (test_util_wait_until (fewer_rows, &rows, 10000));

  /* a start prunes to the day: minute 40 × 6 h is exactly 30 days ago and stays */
  reloaded = cairn_metrics_new (CAIRN_CLOCK (f->clock), CAIRN_STORE (store), "default", URL);
  load (reloaded);
  rows.expected = 120;
  g_assert_true (test_util_wait_until (rows_are, &rows, 10000));
  g_assert_cmpint (oldest_minute (CAIRN_STORE (store)), ==, start + 10 * DAY_MS);
  g_assert_cmpint (now_ms (f) - 30 * DAY_MS, ==, start + 10 * DAY_MS);

  g_assert_finalize_object (g_steal_pointer (&reloaded));
  g_assert_finalize_object (g_steal_pointer (&metrics));
  cairn_local_store_close (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/metrics/percentiles", test_percentiles);
  ADD ("/metrics/percentiles-small", test_percentiles_small);
  ADD ("/metrics/window-boundaries", test_window_boundaries);
  ADD ("/metrics/series", test_series);
  ADD ("/metrics/changed-coalesced", test_changed_coalesced);
  ADD ("/metrics/errors-and-slow", test_errors_and_slow);
  ADD ("/metrics/verdict-queries", test_verdict_queries);
  ADD ("/metrics/verdict-mutations", test_verdict_mutations);
  ADD ("/metrics/verdict-errors", test_verdict_errors);
  ADD ("/metrics/verdict-window", test_verdict_window);
  ADD ("/metrics/verdict-check", test_verdict_check);
  ADD ("/metrics/history-restart", test_history_restart);
  ADD ("/metrics/history-bounded", test_history_bounded);
#undef ADD

  return g_test_run ();
}
