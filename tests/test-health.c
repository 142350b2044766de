/* test-health.c — the verdict of a real connection, against the peer with faults
 *
 * The connection, its checks and the request metrics run as in the app,
 * against tests/peer: a deployment 250 ms slow is degraded, 600 ms slow
 * unhealthy, one mutation in five answered 500 unhealthy, an unreachable
 * one unhealthy; it recovers. Requests take real time, so the clock is the
 * system's, except that the test can move the wall clock forward (to leave
 * the 15-minute window behind) without waiting.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cairn-connection.h"
#include "cairn-error.h"
#include "cairn-health.h"
#include "cairn-local-store.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-test|health-secret"
#define MINUTE_MS 60000

static ConvexPeer *peer;

/* SkewClock: the system's clock, with a wall clock the test moves ------------------------ */

#define SKEW_TYPE_CLOCK (skew_clock_get_type ())
G_DECLARE_FINAL_TYPE (SkewClock, skew_clock, SKEW, CLOCK, GObject)

struct _SkewClock
{
  GObject parent_instance;
  gint64  skew_us;
};

static void skew_clock_iface_init (CairnClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SkewClock, skew_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_CLOCK, skew_clock_iface_init))

static gint64
skew_get_time (CairnClock *clock)
{
  return g_get_monotonic_time ();
}

static gint64
skew_get_real_time (CairnClock *clock)
{
  return g_get_real_time () + SKEW_CLOCK (clock)->skew_us;
}

static guint
skew_add_timeout (CairnClock     *clock,
                  guint           delay_ms,
                  GSourceFunc     func,
                  gpointer        data,
                  GDestroyNotify  destroy)
{
  return g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, func, data, destroy);
}

static void
skew_remove (CairnClock *clock,
             guint       id)
{
  g_source_remove (id);
}

static void
skew_clock_iface_init (CairnClockInterface *iface)
{
  iface->get_time = skew_get_time;
  iface->get_real_time = skew_get_real_time;
  iface->add_timeout = skew_add_timeout;
  iface->remove = skew_remove;
}

static void
skew_clock_class_init (SkewClockClass *klass)
{
}

static void
skew_clock_init (SkewClock *self)
{
}

/* Fixture -------------------------------------------------------------------------------- */

typedef struct {
  SkewClock         *clock;
  char              *dir;
  CairnLocalStore   *store;
  CairnConvexClient *client;
  CairnConnection   *connection;
  CairnHealth       *health;
  guint              checked;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->clock = g_object_new (SKEW_TYPE_CLOCK, NULL);
  f->dir = g_dir_make_tmp ("cairn-health-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cairn.db", NULL);
  f->store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);

  f->client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (f->client, ADMIN_KEY);
  f->connection = cairn_connection_new ("default", f->client, CAIRN_CLOCK (f->clock), NULL);
  f->health = cairn_health_new ("default", CAIRN_STORE (f->store), CAIRN_CLOCK (f->clock));
  cairn_health_set_connection (f->health, f->connection);
  g_signal_connect_swapped (f->health, "checked", G_CALLBACK (test_util_count_cb), &f->checked);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{}");
  /* what is on its way (the history being written) ends first */
  test_util_run_for (100);
  g_assert_finalize_object (f->health);
  g_assert_finalize_object (f->connection);
  g_assert_finalize_object (f->client);
  cairn_local_store_close (f->store);
  /* the store's last answers (the history written at the end) come back */
  test_util_run_for (100);
  g_assert_finalize_object (f->store);
  g_assert_finalize_object (f->clock);
  test_util_remove_tree (f->dir);
  g_free (f->dir);
}

static gboolean
checked_at_least (gpointer data)
{
  Fixture *f = ((gpointer *) data)[0];

  return f->checked >= GPOINTER_TO_UINT (((gpointer *) data)[1]);
}

static void
wait_checks (Fixture *f,
             guint    total)
{
  gpointer data[] = { f, GUINT_TO_POINTER (total) };

  g_assert_true (test_util_wait_until (checked_at_least, data, 60000));
}

static void
start (Fixture *f)
{
  cairn_connection_start (f->connection);
  wait_checks (f, 1);
}

/* Check Health, and what it found. */
static void
check_now (Fixture *f)
{
  guint before = f->checked;

  cairn_health_check_now (f->health);
  g_assert_true (cairn_health_get_checking (f->health));
  g_assert_nonnull (cairn_health_get_check (f->health));
  wait_checks (f, before + 1);
  g_assert_false (cairn_health_get_checking (f->health));
}

static void
log_verdict (Fixture *f)
{
  const char * const *reasons = cairn_health_get_reasons (f->health);

  g_test_message ("verdict %s", cairn_health_verdict_to_string (cairn_health_get_verdict (f->health)));
  for (guint i = 0; reasons[i] != NULL; i++)
    g_test_message ("  %s", reasons[i]);
}

static void
assert_verdict (Fixture            *f,
                CairnHealthVerdict  verdict,
                guint               n_reasons)
{
  log_verdict (f);
  g_assert_cmpuint (cairn_health_get_verdict (f->health), ==, verdict);
  g_assert_cmpuint (g_strv_length ((char **) cairn_health_get_reasons (f->health)), ==, n_reasons);
}

static void
assert_reason (Fixture    *f,
               guint       i,
               const char *prefix,
               const char *suffix)
{
  const char *reason = cairn_health_get_reasons (f->health)[i];

  g_assert_nonnull (reason);
  g_assert_true (g_str_has_prefix (reason, prefix));
  g_assert_true (g_str_has_suffix (reason, suffix));
}

/* Leaves the requests so far out of the 15-minute window. */
static void
skip_minutes (Fixture *f,
              guint    minutes)
{
  f->clock->skew_us += (gint64) minutes * MINUTE_MS * 1000;
}

static gboolean
has_slow (const CairnMetricsSummary *summary,
          const char                *function)
{
  for (guint i = 0; i < summary->slow->len; i++)
    if (g_strcmp0 (g_array_index (summary->slow, CairnSlowRequest, i).function, function) == 0)
      return TRUE;

  return FALSE;
}

/* Tests ---------------------------------------------------------------------------------- */

static void
test_healthy (Fixture       *f,
              gconstpointer  data)
{
  const CairnHealthCheckResult *result;
  g_autoptr(CairnMetricsSummary) summary = NULL;

  g_assert_cmpuint (cairn_health_get_verdict (f->health), ==, CAIRN_HEALTH_UNKNOWN);
  start (f);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY, 0);
  g_assert_cmpint (cairn_health_get_verdict_since (f->health), >, 0);
  g_assert_cmpstr (cairn_health_get_deployment_url (f->health), ==, convex_peer_get_url (peer));

  check_now (f);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY, 0);
  result = cairn_health_get_last_result (f->health);
  g_assert_nonnull (result);
  g_assert_cmpuint (result->mode, ==, CAIRN_HEALTH_CHECK_FULL);
  g_assert_no_error (result->error);
  g_assert_true (result->has_health);
  g_assert_cmpint (result->server_time, >, 0);
  g_assert_cmpfloat (result->server_write_ms, >=, 0);
  g_assert_cmpuint (result->requests->len, ==, 1 + 2 * CAIRN_HEALTH_CHECK_ROUNDS);
  g_assert_cmpint (cairn_health_get_schema_version (f->health), ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpint (cairn_health_get_last_success (f->health), ==, cairn_health_get_last_check (f->health));
  g_assert_null (cairn_health_get_last_error (f->health));

  /* every request of the app is in the metrics: the start's ping and the check's seven */
  summary = cairn_metrics_summarize (cairn_health_get_metrics (f->health), 15);
  g_assert_cmpuint (summary->by_kind[CAIRN_REQUEST_QUERY].count, ==, 2 + CAIRN_HEALTH_CHECK_ROUNDS);
  g_assert_cmpuint (summary->by_kind[CAIRN_REQUEST_MUTATION].count, ==, CAIRN_HEALTH_CHECK_ROUNDS);
  g_assert_cmpuint (summary->failed, ==, 0);
}

static void
test_slow_250 (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CairnMetricsSummary) summary = NULL;

  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 250}");
  start (f);
  check_now (f);

  assert_verdict (f, CAIRN_HEALTH_DEGRADED, 1);
  assert_reason (f, 0, "Queries took 2", " ms on average over the last 15 minutes (more than 100 ms).");
  summary = cairn_metrics_summarize (cairn_health_get_metrics (f->health), 15);
  g_assert_cmpfloat (summary->by_kind[CAIRN_REQUEST_QUERY].average_ms, >=, 250);
  g_assert_cmpuint (summary->slow->len, ==, 0);
  /* the check judged by itself says the same */
  g_assert_cmpuint (cairn_health_judge_check (cairn_health_get_thresholds (f->health),
                                              cairn_health_get_last_result (f->health), NULL),
                    ==, CAIRN_HEALTH_DEGRADED);
}

static void
test_slow_600 (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CairnMetricsSummary) summary = NULL;

  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 600}");
  start (f);
  check_now (f);

  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY, 1);
  assert_reason (f, 0, "Queries took 6", " ms on average over the last 15 minutes (more than 500 ms).");
  summary = cairn_metrics_summarize (cairn_health_get_metrics (f->health), 15);
  g_assert_true (has_slow (summary, "cairn:ping"));
  g_assert_true (has_slow (summary, "documents:list"));
  g_assert_true (has_slow (summary, "cairn:health"));

  /* the deployment is quick again: the window still remembers; a quarter of an hour later it does not */
  convex_peer_control (peer, "reset", "{}");
  check_now (f);
  log_verdict (f);
  g_assert_cmpuint (cairn_health_get_verdict (f->health), !=, CAIRN_HEALTH_HEALTHY);
  skip_minutes (f, 16);
  check_now (f);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY, 0);
}

static void
health_call_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(JsonNode) value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, NULL);

  (*(guint *) user_data)--;
}

static gboolean
verdict_is_unhealthy (gpointer data)
{
  return cairn_health_get_verdict (data) == CAIRN_HEALTH_UNHEALTHY;
}

/* One mutation in five answered 500 (as the app makes them, through its client). */
static void
test_failing_mutations (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CairnMetricsSummary) summary = NULL;
  const CairnErrorCount *error;

  start (f);
  for (guint i = 0; i < 5; i++)
    {
      guint pending = 1;

      if (i == 2)
        convex_peer_control (peer, "fault", "{\"mode\": \"status\", \"status\": 500, \"count\": 1, \"path\": \"/api/mutation\"}");
      cairn_convex_client_call_async (f->client, CAIRN_CONVEX_MUTATION, "cairn:health", NULL, NULL,
                                      health_call_cb, &pending);
      test_util_wait_for_zero (&pending);
    }

  /* the metrics tell when they changed: the verdict follows by itself */
  g_assert_true (test_util_wait_until (verdict_is_unhealthy, f->health, 5000));
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY, 2);
  assert_reason (f, 0, "Only 80 % of mutations succeeded", "over the last 15 minutes (less than 90 %).");
  assert_reason (f, 1, "16.7 % of requests failed", "over the last 15 minutes (more than 5 %).");

  summary = cairn_metrics_summarize (cairn_health_get_metrics (f->health), 15);
  g_assert_cmpuint (summary->errors->len, ==, 1);
  error = &g_array_index (summary->errors, CairnErrorCount, 0);
  g_assert_cmpint (error->code, ==, CAIRN_CONVEX_ERROR_SERVER);
  g_assert_cmpuint (error->count, ==, 1);

  skip_minutes (f, 16);
  check_now (f);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY, 0);
}

/* A content write the connection retries: the failed attempt and the retry count. */
static void
test_retries_counted (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(CairnMetricsSummary) summary = NULL;
  g_autofree char *id = g_uuid_string_random ();

  start (f);
  json_object_set_string_member (document, "clientId", id);
  json_object_set_string_member (document, "title", "Retried");
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", FALSE);
  json_object_set_double_member (document, "createdAt", 1);
  json_object_set_double_member (document, "updatedAt", 1);

  convex_peer_control (peer, "fault", "{\"mode\": \"status\", \"status\": 503, \"count\": 1, \"path\": \"/api/mutation\"}");
  cairn_store_insert_async (CAIRN_STORE (f->connection), "conversations", document, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  stored = cairn_store_insert_finish (CAIRN_STORE (f->connection), result, &error);
  g_assert_no_error (error);

  summary = cairn_metrics_summarize (cairn_health_get_metrics (f->health), 15);
  g_assert_cmpuint (summary->retries, ==, 1);
  g_assert_cmpuint (summary->by_kind[CAIRN_REQUEST_MUTATION].count, ==, 2);
  g_assert_cmpuint (summary->by_kind[CAIRN_REQUEST_MUTATION].failed, ==, 1);
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  gint64 last_success;
  const char *error;

  start (f);
  last_success = cairn_health_get_last_success (f->health);

  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 600}");
  g_usleep (2000);
  check_now (f);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_BLOCKED);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY, 1);
  error = cairn_health_get_last_error (f->health);
  g_assert_nonnull (error);
  g_assert_cmpstr (cairn_health_get_reasons (f->health)[0], ==, cairn_connection_get_error (f->connection)->message);
  g_assert_cmpint (cairn_health_get_last_success (f->health), ==, last_success);
  g_assert_cmpint (cairn_health_get_last_check (f->health), >, last_success);
  g_assert_false (cairn_health_get_last_result (f->health)->reachable);

  /* back: healthy at once, though the failed requests are still in the window */
  convex_peer_control (peer, "reset", "{}");
  cairn_connection_retry (f->connection);
  wait_checks (f, f->checked + 1);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY, 0);
  g_assert_null (cairn_health_get_last_error (f->health));
  g_assert_cmpint (cairn_health_get_last_success (f->health), >, last_success);
}

/* The periodic check asks cairn:health: a heartbeat written on the deployment, recorded here. */
static void
test_periodic_check (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) state = NULL;
  JsonArray *meta;
  const CairnHealthCheckResult *result;
  gint64 first;

  start (f);
  first = cairn_health_get_last_check (f->health);
  g_assert_cmpuint (cairn_health_get_last_result (f->health)->mode, ==, CAIRN_HEALTH_CHECK_PING);

  g_usleep (2000);
  cairn_connection_set_health_check_interval (f->connection, 1);
  wait_checks (f, 2);

  result = cairn_health_get_last_result (f->health);
  g_assert_cmpuint (result->mode, ==, CAIRN_HEALTH_CHECK_QUICK);
  g_assert_true (result->has_health);
  g_assert_cmpuint (result->requests->len, ==, 2);
  g_assert_cmpint (cairn_health_get_last_check (f->health), >, first);
  g_assert_cmpint (cairn_health_get_last_success (f->health), ==, cairn_health_get_last_check (f->health));

  state = convex_peer_get_state (peer);
  meta = json_object_get_array_member (json_object_get_object_member (state, "tables"), "meta");
  g_assert_nonnull (meta);
  for (guint i = 0; i < json_array_get_length (meta); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (meta, i), "key"), "heartbeat") == 0)
      return;
  g_error ("no heartbeat on the deployment");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/health/healthy", test_healthy);
  ADD ("/health/slow-250-degraded", test_slow_250);
  ADD ("/health/slow-600-unhealthy-then-recovers", test_slow_600);
  ADD ("/health/failing-mutations-unhealthy-then-recovers", test_failing_mutations);
  ADD ("/health/retries-counted", test_retries_counted);
  ADD ("/health/unreachable-then-back", test_unreachable);
  ADD ("/health/periodic-check", test_periodic_check);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);

  return ret;
}
