/* test-health-command.c — `cairn --check-health`, the real binary, as a terminal or cron runs it
 *
 * Each case runs the built cairn with a private HOME and data folder, on a
 * private D-Bus bus with its own gnome-keyring-daemon holding the deploy
 * key (test-keyring.h), against the Convex test peer with faults: what it
 * prints (sentences and --json) and its exit status. The key is never in
 * what it prints.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cairn-byod-config.h"
#include "cairn-credentials.h"
#include "cairn-health-command.h"
#include "cairn-local-store.h"
#include "convex-peer.h"
#include "test-keyring.h"
#include "test-util.h"

#define SECRET    "check-health-s3cret-1b2c3d"
#define ADMIN_KEY "dev:cairn-test|" SECRET

static ConvexPeer *peer;

typedef struct {
  TestKeyring *keyring;
  char        *dir;
  char        *data_dir;
} Fixture;

typedef struct {
  int         status;
  char       *out;
  char       *err;
  JsonObject *json;   /* with --json */
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_clear_pointer (&run->json, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->keyring = test_keyring_start ();
  f->dir = test_util_make_tmp_dir ("cairn-check-health-XXXXXX");
  f->data_dir = g_build_filename (f->dir, "data", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{}");
  test_keyring_free (f->keyring);
  test_util_remove_tree (f->dir);
  g_free (f->data_dir);
  g_free (f->dir);
}

/* The workspace's database with BYOD settings for @url, as the app saves them. */
static void
save_settings_for (Fixture    *f,
                   const char *url,
                   gboolean    enabled)
{
  test_util_save_byod_settings (f->data_dir, url, enabled);
}

static void
save_settings (Fixture  *f,
               gboolean  enabled)
{
  save_settings_for (f, convex_peer_get_url (peer), enabled);
}

static void
store_key (void)
{
  test_util_store_key (convex_peer_get_url (peer), ADMIN_KEY);
}

static void
set_up_deployment (Fixture *f)
{
  save_settings (f, TRUE);
  store_key ();
}

/* cairn --data-dir … --check-health [--json]; the session bus (with the keyring) is inherited. */
static void
run_cairn (Fixture  *f,
           gboolean  json,
           Run      *run)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                         G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) cairn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *binary = g_build_filename (g_getenv ("CAIRN_BUILD_ROOT"), "src", "cairn", NULL);
  g_autofree char *home = g_build_filename (f->dir, "home", NULL);
  gint64 started = g_get_monotonic_time ();

  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "C", TRUE);
  cairn = g_subprocess_launcher_spawn (launcher, &error, binary, "--data-dir", f->data_dir, "--check-health",
                                       json ? "--json" : NULL, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (cairn, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_test_message ("exit %d after %.0f ms\n%s%s", g_subprocess_get_status (cairn),
                  (g_get_monotonic_time () - started) / 1000.0, run->out, run->err);
  g_assert_true (g_subprocess_get_if_exited (cairn));
  run->status = g_subprocess_get_exit_status (cairn);

  /* never the key, wherever it went */
  g_assert_null (strstr (run->out, SECRET));
  g_assert_null (strstr (run->err, SECRET));

  if (json)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      g_assert_true (json_parser_load_from_data (parser, run->out, -1, &error));
      g_assert_no_error (error);
      run->json = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
      g_assert_cmpint (json_object_get_int_member (run->json, "exitCode"), ==, run->status);
    }
}

static void
check_both (Fixture    *f,
            int         status,
            const char *json_status,
            const char *text)
{
  g_auto(Run) sentences = { 0 };
  g_auto(Run) json = { 0 };

  run_cairn (f, FALSE, &sentences);
  g_assert_cmpint (sentences.status, ==, status);
  g_assert_nonnull (strstr (sentences.out, text));

  run_cairn (f, TRUE, &json);
  g_assert_cmpint (json.status, ==, status);
  g_assert_cmpstr (json_object_get_string_member (json.json, "status"), ==, json_status);
}

static JsonArray *
requests_of (Run *run)
{
  return json_object_get_array_member (run->json, "requests");
}

static guint
failed_requests (Run        *run,
                 const char *error)
{
  JsonArray *requests = requests_of (run);
  guint failed = 0;

  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *request = json_array_get_object_element (requests, i);

      if (!json_object_get_boolean_member (request, "ok"))
        {
          g_assert_cmpstr (json_object_get_string_member (request, "error"), ==, error);
          failed++;
        }
    }

  return failed;
}

static gboolean
has_reason (Run        *run,
            const char *part)
{
  JsonArray *reasons = json_object_get_array_member (run->json, "reasons");

  for (guint i = 0; i < json_array_get_length (reasons); i++)
    if (strstr (json_array_get_string_element (reasons, i), part) != NULL)
      return TRUE;

  return FALSE;
}

/* Tests ------------------------------------------------------------------------------ */

static void
test_not_set_up (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->data_dir, "cairn.db", NULL);

  if (f->keyring == NULL)
    return;

  /* never used: nothing to check, and no database made for asking */
  check_both (f, CAIRN_HEALTH_EXIT_NOT_SET_UP, "not-set-up", "stored on this computer");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* set up once, then switched off */
  save_settings (f, FALSE);
  store_key ();
  check_both (f, CAIRN_HEALTH_EXIT_NOT_SET_UP, "not-set-up", "Bring Your Own Database is not set up");
}

static void
test_healthy (Fixture       *f,
              gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  JsonObject *queries;

  if (f->keyring == NULL)
    return;

  set_up_deployment (f);
  check_both (f, CAIRN_HEALTH_EXIT_HEALTHY, "healthy", "is healthy.");

  run_cairn (f, TRUE, &run);
  g_assert_cmpstr (json_object_get_string_member (run.json, "deploymentUrl"), ==, convex_peer_get_url (peer));
  g_assert_true (json_object_get_boolean_member (run.json, "reachable"));
  g_assert_cmpint (json_object_get_int_member (run.json, "schemaVersion"), ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpint (json_object_get_int_member (run.json, "serverTime"), >, 0);
  g_assert_cmpuint (json_array_get_length (requests_of (&run)), ==, 1 + 2 * 3);
  g_assert_cmpuint (failed_requests (&run, NULL), ==, 0);
  queries = json_object_get_object_member (run.json, "queries");
  g_assert_cmpint (json_object_get_int_member (queries, "count"), ==, 4);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (run.json, "reasons")), ==, 0);
  /* the heartbeat it wrote is on the deployment */
  g_assert_cmpuint (convex_peer_count (peer, "meta"), >=, 1);
}

static void
test_slow_250 (Fixture       *f,
               gconstpointer  data)
{
  g_auto(Run) run = { 0 };

  if (f->keyring == NULL)
    return;

  set_up_deployment (f);
  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 250}");
  check_both (f, CAIRN_HEALTH_EXIT_DEGRADED, "degraded", "(more than 100 ms).");

  run_cairn (f, TRUE, &run);
  g_assert_true (has_reason (&run, "Queries took"));
  g_assert_true (has_reason (&run, "in this check"));
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (run.json, "queries"), "averageMs"),
                     >=, 250);
}

static void
test_slow_600 (Fixture       *f,
               gconstpointer  data)
{
  if (f->keyring == NULL)
    return;

  set_up_deployment (f);
  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 600}");
  check_both (f, CAIRN_HEALTH_EXIT_UNHEALTHY, "unhealthy", "(more than 500 ms).");
}

/* One of the check's writes answered 500: judged by the rates, not as unreachable. */
static void
test_failing_mutation (Fixture       *f,
                       gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_auto(Run) text = { 0 };

  if (f->keyring == NULL)
    return;

  set_up_deployment (f);
  convex_peer_control (peer, "fault", "{\"mode\": \"status\", \"status\": 500, \"count\": 1, \"path\": \"/api/mutation\"}");
  run_cairn (f, TRUE, &run);
  g_assert_cmpint (run.status, ==, CAIRN_HEALTH_EXIT_UNHEALTHY);
  g_assert_true (json_object_get_boolean_member (run.json, "reachable"));
  g_assert_cmpuint (failed_requests (&run, "server"), ==, 1);
  g_assert_cmpuint (json_array_get_length (requests_of (&run)), ==, 7);
  g_assert_true (has_reason (&run, "of mutations succeeded in this check (less than 90 %)"));
  g_assert_true (has_reason (&run, "of requests failed in this check (more than 5 %)"));

  convex_peer_control (peer, "fault", "{\"mode\": \"status\", \"status\": 500, \"count\": 1, \"path\": \"/api/mutation\"}");
  run_cairn (f, FALSE, &text);
  g_assert_cmpint (text.status, ==, CAIRN_HEALTH_EXIT_UNHEALTHY);
  g_assert_nonnull (strstr (text.out, "is unhealthy."));
  g_assert_nonnull (strstr (text.out, "Only 66.7 % of mutations succeeded"));

  /* and back */
  check_both (f, CAIRN_HEALTH_EXIT_HEALTHY, "healthy", "is healthy.");
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_auto(Run) run = { 0 };

  if (f->keyring == NULL)
    return;

  set_up_deployment (f);
  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 600}");
  run_cairn (f, TRUE, &run);
  g_assert_cmpint (run.status, ==, CAIRN_HEALTH_EXIT_UNHEALTHY);
  g_assert_cmpstr (json_object_get_string_member (run.json, "status"), ==, "unhealthy");
  g_assert_false (json_object_get_boolean_member (run.json, "reachable"));
  g_assert_cmpstr (json_object_get_string_member (run.json, "error"), ==, "connectivity");
  g_assert_true (has_reason (&run, "could not be reached"));
  /* the ping failed: nothing else was tried */
  g_assert_cmpuint (json_array_get_length (requests_of (&run)), ==, 1);
}

static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (f->keyring == NULL)
    return;

  save_settings (f, TRUE);
  cairn_credentials_store_async ("default", convex_peer_get_url (peer), "dev:cairn-test|revoked-" SECRET, NULL,
                                 test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_credentials_store_finish (result, &error));
  check_both (f, CAIRN_HEALTH_EXIT_UNHEALTHY, "unhealthy", "is unhealthy.");
}

/* Saved settings Cairn refuses (plain http off this computer): unhealthy, nothing sent. */
static void
test_unusable_settings (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(Run) run = { 0 };

  if (f->keyring == NULL)
    return;

  save_settings_for (f, "http://cairn.example.org", TRUE);
  run_cairn (f, TRUE, &run);
  g_assert_cmpint (run.status, ==, CAIRN_HEALTH_EXIT_UNHEALTHY);
  g_assert_true (has_reason (&run, "https://"));
  g_assert_false (json_object_has_member (run.json, "requests"));
  g_assert_cmpuint (convex_peer_request_count (peer), ==, 0);
}

static void
test_key_missing (Fixture       *f,
                  gconstpointer  data)
{
  if (f->keyring == NULL)
    return;

  save_settings (f, TRUE);
  check_both (f, CAIRN_HEALTH_EXIT_KEYRING, "keyring-unavailable", "is not in the keyring");
}

static void
test_keyring_unavailable (Fixture       *f,
                          gconstpointer  data)
{
  if (f->keyring == NULL)
    return;

  set_up_deployment (f);
  test_keyring_stop_daemon (f->keyring);
  check_both (f, CAIRN_HEALTH_EXIT_KEYRING, "keyring-unavailable", "cannot read the deploy key from the keyring");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  test_keyring_bus_up ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/check-health/not-set-up", test_not_set_up);
  ADD ("/check-health/healthy", test_healthy);
  ADD ("/check-health/slow-250-degraded", test_slow_250);
  ADD ("/check-health/slow-600-unhealthy", test_slow_600);
  ADD ("/check-health/failing-mutation-unhealthy", test_failing_mutation);
  ADD ("/check-health/unreachable", test_unreachable);
  ADD ("/check-health/wrong-key", test_wrong_key);
  ADD ("/check-health/unusable-settings", test_unusable_settings);
  ADD ("/check-health/key-missing", test_key_missing);
  ADD ("/check-health/keyring-unavailable", test_keyring_unavailable);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);
  test_keyring_bus_stop ();

  return ret;
}
