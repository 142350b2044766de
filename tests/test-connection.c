/* test-connection.c — the connection state machine, on a fake clock, against the peer
 *
 * Time is a FakeClock: every retry, backoff and health-check interval is
 * checked by looking at what the connection scheduled and moving time
 * forward, never by sleeping. The requests themselves are real.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cairn-connection.h"
#include "cairn-error.h"
#include "convex-peer.h"
#include "fake-clock.h"
#include "fake-network-monitor.h"
#include "test-keyring.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-test|connection-secret"

static ConvexPeer *peer;

typedef struct {
  FakeClock          *clock;
  FakeNetworkMonitor *monitor;
  CairnConnection    *connection;
} Fixture;

static CairnConnection *
connection_new (Fixture    *f,
                const char *key)
{
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, key);

  return cairn_connection_new ("default", client, CAIRN_CLOCK (f->clock), G_NETWORK_MONITOR (f->monitor));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->clock = fake_clock_new ();
  f->monitor = fake_network_monitor_new ();
  f->connection = connection_new (f, ADMIN_KEY);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{}");
  g_assert_finalize_object (f->connection);
  g_assert_finalize_object (f->monitor);
  g_assert_finalize_object (f->clock);
}

static void
wait_not_probing (CairnConnection *connection)
{
  while (cairn_connection_get_probing (connection))
    g_main_context_iteration (NULL, TRUE);
}

/* Runs the main loop until a request has scheduled its retry (or finished). */
static void
wait_for_timer_or_result (Fixture       *f,
                          guint          timers_before,
                          GAsyncResult **result)
{
  while (*result == NULL && fake_clock_n_pending (f->clock) <= timers_before)
    g_main_context_iteration (NULL, TRUE);
}

static void
start_connected (Fixture *f)
{
  cairn_connection_start (f->connection);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTING);
  g_assert_true (cairn_connection_get_probing (f->connection));
  wait_not_probing (f->connection);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
}

static void
assert_delay_between (Fixture *f,
                      guint    low,
                      guint    high)
{
  guint delay = fake_clock_next_delay (f->clock);

  g_test_message ("scheduled in %u ms (expected %u–%u)", delay, low, high);
  g_assert_cmpuint (delay, >=, low);
  g_assert_cmpuint (delay, <=, high);
}

static void
list_async (Fixture        *f,
            GAsyncResult  **result)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");

  cairn_store_list_async (CAIRN_STORE (f->connection), query, NULL, test_util_result_cb, result);
}

/* Blocks the connection: a request fails through all of its retries. */
static void
block_with (Fixture    *f,
            const char *fault)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = NULL;

  convex_peer_control (peer, "fault", fault);
  list_async (f, &result);
  for (guint attempt = 0; attempt < CAIRN_CONNECTION_REQUEST_RETRIES; attempt++)
    {
      guint base = CAIRN_CONNECTION_REQUEST_BASE_MS << attempt;

      wait_for_timer_or_result (f, 1, &result);
      g_assert_null (result);
      assert_delay_between (f, base / 2, base);
      fake_clock_advance (f->clock, fake_clock_next_delay (f->clock));
    }

  test_util_wait_for_result (&result);
  page = cairn_store_list_finish (CAIRN_STORE (f->connection), result, &error);
  g_assert_null (page);
  g_assert_true (cairn_error_is_retryable (error));
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_BLOCKED);
  g_assert_cmpuint (cairn_connection_get_reason (f->connection), ==, CAIRN_BLOCK_REASON_UNREACHABLE);
}

static void
test_start_and_interval (Fixture       *f,
                         gconstpointer  data)
{
  guint interval = cairn_connection_get_health_check_interval (f->connection);

  g_assert_cmpuint (interval, ==, 300);
  start_connected (f);
  g_assert_cmpint (cairn_connection_get_last_success (f->connection), >, 0);
  g_assert_null (cairn_connection_get_error (f->connection));

  /* the next health check is due one interval from now */
  g_assert_cmpuint (fake_clock_n_pending (f->clock), ==, 1);
  g_assert_cmpuint (fake_clock_next_delay (f->clock), ==, interval * 1000);
  fake_clock_advance (f->clock, interval * 1000 - 1);
  g_assert_false (cairn_connection_get_probing (f->connection));
  fake_clock_advance (f->clock, 1);
  g_assert_true (cairn_connection_get_probing (f->connection));
  wait_not_probing (f->connection);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);

  /* a new interval reschedules */
  cairn_connection_set_health_check_interval (f->connection, 60);
  g_assert_cmpuint (fake_clock_next_delay (f->clock), ==, 60000);
  g_assert_cmpuint (fake_clock_n_pending (f->clock), ==, 1);
}

static void
test_request_retries_then_succeeds (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = NULL;

  start_connected (f);
  convex_peer_control (peer, "fault", "{\"mode\": \"status\", \"status\": 503, \"count\": 2}");
  list_async (f, &result);

  wait_for_timer_or_result (f, 1, &result);
  assert_delay_between (f, 50, 100);
  fake_clock_advance (f->clock, fake_clock_next_delay (f->clock));
  wait_for_timer_or_result (f, 1, &result);
  assert_delay_between (f, 100, 200);
  fake_clock_advance (f->clock, fake_clock_next_delay (f->clock));

  test_util_wait_for_result (&result);
  page = cairn_store_list_finish (CAIRN_STORE (f->connection), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
}

static void
test_block_and_circuit_breaker (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = NULL;
  guint requests;
  gint64 started;

  start_connected (f);
  block_with (f, "{\"mode\": \"status\", \"status\": 503}");

  /* the first probe is due 0.5–1 s later */
  assert_delay_between (f, 500, 1000);
  g_assert_cmpint (cairn_connection_get_next_attempt (f->connection), ==,
                   cairn_clock_get_time (CAIRN_CLOCK (f->clock)) + (gint64) fake_clock_next_delay (f->clock) * 1000);

  /* while blocked nothing reaches the network, and the answer is immediate */
  requests = convex_peer_request_count (peer);
  started = g_get_monotonic_time ();
  list_async (f, &result);
  test_util_wait_for_result (&result);
  page = cairn_store_list_finish (CAIRN_STORE (f->connection), result, &error);
  g_assert_error (error, CAIRN_CONNECTION_ERROR, CAIRN_CONNECTION_ERROR_BLOCKED);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 50000);
  g_assert_cmpuint (convex_peer_request_count (peer), ==, requests);
}

static void
test_probe_backoff_and_cap (Fixture       *f,
                            gconstpointer  data)
{
  static const guint expected_max[] = { 1000, 2000, 4000, 8000, 10000, 10000, 10000 };

  start_connected (f);
  block_with (f, "{\"mode\": \"refuse\", \"seconds\": 600}");

  for (guint i = 0; i < G_N_ELEMENTS (expected_max); i++)
    {
      assert_delay_between (f, expected_max[i] / 2, expected_max[i]);
      fake_clock_advance (f->clock, fake_clock_next_delay (f->clock));
      g_assert_true (cairn_connection_get_probing (f->connection));
      wait_not_probing (f->connection);
      g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_BLOCKED);
    }

  /* automatic probes are not the user's retries */
  g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, 0);

  /* the deployment is back: the next probe connects, and the backoff starts over */
  convex_peer_control (peer, "reset", "{}");
  fake_clock_advance (f->clock, fake_clock_next_delay (f->clock));
  wait_not_probing (f->connection);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
  block_with (f, "{\"mode\": \"refuse\", \"seconds\": 600}");
  assert_delay_between (f, 500, 1000);
}

static void
test_manual_retry (Fixture       *f,
                   gconstpointer  data)
{
  start_connected (f);
  block_with (f, "{\"mode\": \"refuse\", \"seconds\": 600}");

  for (guint i = 1; i <= 3; i++)
    {
      cairn_connection_retry (f->connection);
      g_assert_true (cairn_connection_get_probing (f->connection));
      /* no second probe while one runs */
      cairn_connection_retry (f->connection);
      wait_not_probing (f->connection);
      g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_BLOCKED);
      g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, i);
    }

  convex_peer_control (peer, "reset", "{}");
  cairn_connection_retry (f->connection);
  wait_not_probing (f->connection);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
  g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, 0);
  g_assert_cmpuint (cairn_connection_get_reason (f->connection), ==, CAIRN_BLOCK_REASON_NONE);
}

static void
expect_blocked_at_start (CairnConnection  *connection,
                         CairnBlockReason  reason)
{
  cairn_connection_start (connection);
  wait_not_probing (connection);
  g_test_message ("reason %d: %s", cairn_connection_get_reason (connection),
                  cairn_connection_get_error (connection) != NULL ? cairn_connection_get_error (connection)->message : "-");
  g_assert_cmpuint (cairn_connection_get_state (connection), ==, CAIRN_CONNECTION_BLOCKED);
  g_assert_cmpuint (cairn_connection_get_reason (connection), ==, reason);
  g_assert_nonnull (cairn_connection_get_error (connection));
}

static void
test_reasons (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CairnConnection) wrong_key = connection_new (f, "dev:cairn-test|revoked");
  g_autofree char *older = g_strdup_printf ("{\"schemaVersion\": %d}", CAIRN_SCHEMA_VERSION - 1);
  g_autofree char *newer = g_strdup_printf ("{\"schemaVersion\": %d}", CAIRN_SCHEMA_VERSION + 1);

  expect_blocked_at_start (wrong_key, CAIRN_BLOCK_REASON_UNAUTHORIZED);

  convex_peer_control (peer, "config", "{\"functions\": false}");
  expect_blocked_at_start (f->connection, CAIRN_BLOCK_REASON_NOT_SET_UP);
  g_assert_nonnull (strstr (cairn_connection_get_error (f->connection)->message, "npx convex deploy"));

  convex_peer_control (peer, "config", "{\"functions\": true}");
  convex_peer_control (peer, "config", older);
  expect_blocked_at_start (f->connection, CAIRN_BLOCK_REASON_SCHEMA_OUTDATED);
  convex_peer_control (peer, "config", newer);
  expect_blocked_at_start (f->connection, CAIRN_BLOCK_REASON_SCHEMA_NEWER);
}

static void
test_keyring_unavailable (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CairnConnection) keyless = connection_new (f, NULL);

  /* no key in memory, and no keyring on the bus to find one in */
  expect_blocked_at_start (keyless, CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE);
  g_assert_error (cairn_connection_get_error (keyless), CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING);
}

static void
test_network_change (Fixture       *f,
                     gconstpointer  data)
{
  start_connected (f);
  block_with (f, "{\"mode\": \"refuse\", \"seconds\": 600}");

  fake_network_monitor_set_available (f->monitor, FALSE);
  g_assert_cmpuint (cairn_connection_get_reason (f->connection), ==, CAIRN_BLOCK_REASON_OFFLINE);
  g_assert_false (cairn_connection_get_probing (f->connection));

  /* the network is back: a probe at once, without waiting for the backoff */
  convex_peer_control (peer, "reset", "{}");
  fake_network_monitor_set_available (f->monitor, TRUE);
  g_assert_true (cairn_connection_get_probing (f->connection));
  wait_not_probing (f->connection);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTED);
}

static void
test_jitter_bounds (Fixture       *f,
                    gconstpointer  data)
{
  for (guint attempt = 0; attempt < 6; attempt++)
    {
      guint max = MIN (1000u << attempt, 10000u);
      guint lowest = G_MAXUINT;
      guint highest = 0;

      for (guint i = 0; i < 2000; i++)
        {
          guint delay = cairn_connection_backoff_ms (f->connection, 1000, attempt, 10000);

          g_assert_cmpuint (delay, >=, max / 2);
          g_assert_cmpuint (delay, <=, max);
          lowest = MIN (lowest, delay);
          highest = MAX (highest, delay);
        }

      /* spread over the whole window, not one fixed value */
      g_assert_cmpuint (lowest, <, max / 2 + max / 10);
      g_assert_cmpuint (highest, >, max - max / 10);
    }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* a bus of its own, where no keyring can be started behind our back */
  test_keyring_bus_up ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/connection/start-and-interval", test_start_and_interval);
  ADD ("/connection/request-retries-then-succeeds", test_request_retries_then_succeeds);
  ADD ("/connection/block-and-circuit-breaker", test_block_and_circuit_breaker);
  ADD ("/connection/probe-backoff-and-cap", test_probe_backoff_and_cap);
  ADD ("/connection/manual-retry", test_manual_retry);
  ADD ("/connection/reasons", test_reasons);
  ADD ("/connection/keyring-unavailable", test_keyring_unavailable);
  ADD ("/connection/network-change", test_network_change);
  ADD ("/connection/jitter-bounds", test_jitter_bounds);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);
  test_keyring_bus_stop ();

  return ret;
}
