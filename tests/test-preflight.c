/* test-preflight.c — Test Connection's steps against the Convex test peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-preflight.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-test|preflight-secret"

static ConvexPeer *peer;

/* Runs the preflight; returns the ping or NULL with @error. */
static JsonObject *
run (CairnPreflight *preflight,
     const char     *url,
     const char     *key,
     GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_preflight_run_async (preflight, url, key, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_preflight_run_finish (preflight, result, error);
}

/* The states of all steps as one string, e.g. "PPFSS". */
static char *
states (CairnPreflight *preflight)
{
  static const char letters[] = { '.', 'R', 'P', 'F', 'S' };
  GString *out = g_string_new (NULL);

  for (guint step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    g_string_append_c (out, letters[cairn_preflight_get_state (preflight, step)]);

  return g_string_free (out, FALSE);
}

static CairnPreflightRemedy last_remedy;

static void
expect_failure (const char         *url,
                const char         *key,
                const char         *expected_states,
                CairnPreflightStep  failed,
                GQuark              domain,
                int                 code,
                const char         *message_part)
{
  g_autoptr(CairnPreflight) preflight = cairn_preflight_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ping = run (preflight, url, key, &error);
  g_autofree char *got = states (preflight);

  g_test_message ("%s: %s", url, error != NULL ? error->message : "passed");
  g_assert_null (ping);
  g_assert_error (error, domain, code);
  g_assert_cmpstr (got, ==, expected_states);
  g_assert_cmpstr (cairn_preflight_get_message (preflight, failed), ==, error->message);
  g_assert_nonnull (strstr (error->message, message_part));
  if (key != NULL && *key != '\0')
    g_assert_null (strstr (error->message, key));
  last_remedy = cairn_preflight_get_remedy (preflight);
}

static void
test_passes (void)
{
  g_autoptr(CairnPreflight) preflight = cairn_preflight_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ping = NULL;
  g_autofree char *got = NULL;
  guint changes = 0;

  g_signal_connect_swapped (preflight, "step-changed", G_CALLBACK (test_util_count_cb), &changes);
  ping = run (preflight, convex_peer_get_url (peer), ADMIN_KEY, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (ping, "app"), ==, "cairn");
  got = states (preflight);
  g_assert_cmpstr (got, ==, "PPPPP");
  g_assert_cmpuint (changes, >=, CAIRN_PREFLIGHT_N_STEPS);
  g_assert_cmpuint (cairn_preflight_get_remedy (preflight), ==, CAIRN_PREFLIGHT_REMEDY_NONE);
}

static void
test_bad_url (void)
{
  expect_failure ("not a url", ADMIN_KEY, "FSSSS", CAIRN_PREFLIGHT_STEP_URL,
                  CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, "not a web address");
  expect_failure ("https://happy-otter-123.convex.site", ADMIN_KEY, "FSSSS", CAIRN_PREFLIGHT_STEP_URL,
                  CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, "HTTP actions");
  expect_failure ("http://deployment.example.org", ADMIN_KEY, "FSSSS", CAIRN_PREFLIGHT_STEP_URL,
                  CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, "https://");
}

static void
test_no_key (void)
{
  expect_failure (convex_peer_get_url (peer), "", "PSFSS", CAIRN_PREFLIGHT_STEP_KEY,
                  CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, "deploy key");
}

static void
test_refused (void)
{
  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 30}");
  expect_failure (convex_peer_get_url (peer), ADMIN_KEY, "PFSSS", CAIRN_PREFLIGHT_STEP_REACHABLE,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY, "could not be reached");
  convex_peer_control (peer, "reset", "{}");
}

static void
test_wrong_key (void)
{
  expect_failure (convex_peer_get_url (peer), "dev:cairn-test|not-the-key", "PPFSS", CAIRN_PREFLIGHT_STEP_KEY,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_UNAUTHORIZED, "deploy key");
}

static void
test_functions_missing (void)
{
  convex_peer_control (peer, "config", "{\"functions\": false}");
  expect_failure (convex_peer_get_url (peer), ADMIN_KEY, "PPPFS", CAIRN_PREFLIGHT_STEP_FUNCTIONS,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP, "Install Cairn Functions");
  g_assert_cmpuint (last_remedy, ==, CAIRN_PREFLIGHT_REMEDY_INSTALL);
  /* the way without Cairn stays, as a hint */
  expect_failure (convex_peer_get_url (peer), ADMIN_KEY, "PPPFS", CAIRN_PREFLIGHT_STEP_FUNCTIONS,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP, "npx convex deploy");
  convex_peer_control (peer, "reset", "{}");
}

static void
test_schema_too_old (void)
{
  g_autofree char *config = g_strdup_printf ("{\"schemaVersion\": %d}", CAIRN_SCHEMA_VERSION - 1);

  convex_peer_control (peer, "config", config);
  expect_failure (convex_peer_get_url (peer), ADMIN_KEY, "PPPPF", CAIRN_PREFLIGHT_STEP_SCHEMA,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED, "Update Database");
  g_assert_cmpuint (last_remedy, ==, CAIRN_PREFLIGHT_REMEDY_UPDATE);
  convex_peer_control (peer, "reset", "{}");
}

static void
test_schema_too_new (void)
{
  g_autofree char *config = g_strdup_printf ("{\"schemaVersion\": %d}", CAIRN_SCHEMA_VERSION + 1);

  convex_peer_control (peer, "config", config);
  expect_failure (convex_peer_get_url (peer), ADMIN_KEY, "PPPPF", CAIRN_PREFLIGHT_STEP_SCHEMA,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_NEWER, "Update Cairn");
  g_assert_cmpuint (last_remedy, ==, CAIRN_PREFLIGHT_REMEDY_NONE);
  convex_peer_control (peer, "reset", "{}");
}

/* This app's functions over data written by v1: a migration is pending,
 * which Cairn can run (Update Database). */
static void
test_migration_pending (void)
{
  g_autoptr(ConvexPeer) v1_peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--empty", NULL);
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (v1_peer), NULL);
  g_autoptr(CairnStore) store = NULL;
  g_autoptr(GBytes) v1 = test_util_load_bundle ("tests/peer/fixtures/cairn-functions-v1.json");
  g_autoptr(GBytes) v2 = test_util_load_bundle ("data/convex/push/cairn-functions.json");

  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  store = CAIRN_STORE (cairn_convex_store_new (client));
  test_util_push_functions (client, v1);
  test_util_seed_conversations (store, 1, 1);
  test_util_push_functions (client, v2);

  expect_failure (convex_peer_get_url (v1_peer), ADMIN_KEY, "PPPPF", CAIRN_PREFLIGHT_STEP_SCHEMA,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED, "0002_message_counts");
  g_assert_cmpuint (last_remedy, ==, CAIRN_PREFLIGHT_REMEDY_UPDATE);
}

/* Test Connection tells a read-only key from a full one: every query
 * passes with it, the first write would not. */
static void
test_read_only_key (void)
{
  g_autoptr(ConvexPeer) ro_peer = convex_peer_start_full (ADMIN_KEY, "dev:cairn-test|read-only", NULL);

  expect_failure (convex_peer_get_url (ro_peer), "dev:cairn-test|read-only", "PPFSS", CAIRN_PREFLIGHT_STEP_KEY,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_READ_ONLY, "may read but not change");
  convex_peer_control (ro_peer, "reset", "{\"data\": true}");
}

/* Control characters in a pasted key are refused before anything is sent. */
static void
test_key_with_line_break (void)
{
  guint before = convex_peer_request_count (peer);

  expect_failure (convex_peer_get_url (peer), "dev:cairn-test|preflight-\r\nsecret", "PSFSS",
                  CAIRN_PREFLIGHT_STEP_KEY, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, "line breaks");
  g_assert_cmpuint (convex_peer_request_count (peer), ==, before);
}

/* An address that answers an empty 404 is not a deployment; it is not
 * "functions missing" either. */
static void
test_not_convex (void)
{
  convex_peer_control (peer, "fault", "{\"mode\": \"empty\", \"status\": 404}");
  expect_failure (convex_peer_get_url (peer), ADMIN_KEY, "PFSSS", CAIRN_PREFLIGHT_STEP_REACHABLE,
                  CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_CONVEX, "does not answer like a Convex deployment");
  convex_peer_control (peer, "reset", "{}");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/preflight/passes", test_passes);
  g_test_add_func ("/preflight/bad-url", test_bad_url);
  g_test_add_func ("/preflight/no-key", test_no_key);
  g_test_add_func ("/preflight/refused", test_refused);
  g_test_add_func ("/preflight/wrong-key", test_wrong_key);
  g_test_add_func ("/preflight/functions-missing", test_functions_missing);
  g_test_add_func ("/preflight/schema-too-old", test_schema_too_old);
  g_test_add_func ("/preflight/schema-too-new", test_schema_too_new);
  g_test_add_func ("/preflight/migration-pending", test_migration_pending);
  g_test_add_func ("/preflight/read-only-key", test_read_only_key);
  g_test_add_func ("/preflight/key-with-line-break", test_key_with_line_break);
  g_test_add_func ("/preflight/not-convex", test_not_convex);

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);

  return ret;
}
