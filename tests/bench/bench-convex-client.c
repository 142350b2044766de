/* bench-convex-client.c — N small queries through CairnConvexClient, C at a time
 *
 *   bench-convex-client URL KEY REQUESTS CONCURRENCY
 *
 * Prints one JSON line: requests/s, p50/p99 latency and CPU time per request
 * (user + system, of this process). Every request is recorded in a
 * CairnMetrics, as the app records them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <sys/resource.h>

#include "cairn-convex-client.h"
#include "cairn-metrics.h"
#include "cairn-system-clock.h"
#include "../stats.h"

typedef struct {
  CairnConvexClient *client;
  GMainLoop         *loop;
  guint              remaining;  /* not yet started */
  guint              in_flight;
  guint              failed;
  GArray            *latencies;  /* double, ms */
} Bench;

typedef struct {
  Bench  *bench;
  gint64  started;
} Call;

static void start_one (Bench *bench);

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autofree Call *call = user_data;
  Bench *bench = call->bench;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  double ms = (g_get_monotonic_time () - call->started) / 1000.0;

  if (value == NULL)
    {
      if (bench->failed++ == 0)
        g_printerr ("first failure: %s\n", error->message);
    }
  g_array_append_val (bench->latencies, ms);

  bench->in_flight--;
  if (bench->remaining > 0)
    start_one (bench);
  else if (bench->in_flight == 0)
    g_main_loop_quit (bench->loop);
}

static void
start_one (Bench *bench)
{
  Call *call = g_new0 (Call, 1);

  call->bench = bench;
  call->started = g_get_monotonic_time ();
  bench->remaining--;
  bench->in_flight++;
  cairn_convex_client_call_async (bench->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, done_cb, call);
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnClock) clock = cairn_system_clock_new ();
  g_autoptr(CairnMetrics) metrics = cairn_metrics_new (clock, NULL, NULL, NULL);
  Bench bench = { 0, };
  guint requests;
  guint concurrency;
  gint64 start;
  double cpu_start;
  double wall;
  double cpu;

  if (argc != 5)
    {
      g_printerr ("usage: %s URL KEY REQUESTS CONCURRENCY\n", argv[0]);
      return 2;
    }

  requests = atoi (argv[3]);
  concurrency = atoi (argv[4]);
  bench.client = cairn_convex_client_new (argv[1], &error);
  if (bench.client == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  cairn_convex_client_set_admin_key (bench.client, argv[2]);
  cairn_convex_client_set_metrics (bench.client, metrics);
  bench.loop = g_main_loop_new (NULL, FALSE);
  bench.latencies = g_array_sized_new (FALSE, FALSE, sizeof (double), requests);
  bench.remaining = requests;

  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();
  for (guint i = 0; i < concurrency && bench.remaining > 0; i++)
    start_one (&bench);
  g_main_loop_run (bench.loop);
  wall = (g_get_monotonic_time () - start) / 1e6;
  cpu = cpu_seconds () - cpu_start;

  g_print ("{\"client\": \"cairn-c\", \"requests\": %u, \"concurrency\": %u, \"failed\": %u, "
           "\"rps\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"cpu_us_per_request\": %.1f}\n",
           requests, concurrency, bench.failed, requests / wall,
           stats_percentile (bench.latencies, 0.50), stats_percentile (bench.latencies, 0.99),
           cpu * 1e6 / requests);

  g_array_unref (bench.latencies);
  g_main_loop_unref (bench.loop);
  g_object_unref (bench.client);

  return bench.failed == 0 ? 0 : 1;
}
