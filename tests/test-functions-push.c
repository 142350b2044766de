/* test-functions-push.c — pushing the Cairn functions to the Convex test peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cairn-convex-client.h"
#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-functions-push.h"
#include "cairn-json.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY     "dev:cairn-test|push-secret"
#define READ_ONLY_KEY "dev:cairn-test|push-read-only"
#define BUNDLE        "data/convex/push/cairn-functions.json"
#define BUNDLE_V1     "tests/peer/fixtures/cairn-functions-v1.json"

/* Every message logged, debug ones included: the key must be in none. */
static GString *logged;

typedef struct {
  ConvexPeer        *peer;
  CairnConvexClient *client;
} Fixture;

static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "MESSAGE"))
        g_string_append_printf (logged, "%s\n", (const char *) fields[i].value);
    }

  if (level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;

  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->peer = convex_peer_start_with_args (ADMIN_KEY, READ_ONLY_KEY, NULL, "--empty", NULL);
  f->client = cairn_convex_client_new (convex_peer_get_url (f->peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (f->client, ADMIN_KEY);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (f->client);
  convex_peer_free (f->peer);
}

static void
record_stage (GString            *seen,
              GParamSpec         *pspec,
              CairnFunctionsPush *push)
{
  static const char letters[] = { '.', 'U', 'C', 'A', 'D', 'F' };

  g_string_append_c (seen, letters[cairn_functions_push_get_stage (push)]);
}

/* Runs a push of @bundle with @client; the stages it went through, as
 * letters (U C A D F), in *stages. */
static gboolean
push (CairnConvexClient  *client,
      GBytes             *bundle,
      char              **stages,
      GError            **error)
{
  g_autoptr(CairnFunctionsPush) push = cairn_functions_push_new (client, bundle);
  g_autoptr(GAsyncResult) result = NULL;
  GString *seen = g_string_new (NULL);
  gboolean ok;

  g_signal_connect_swapped (push, "notify::stage", G_CALLBACK (record_stage), seen);
  cairn_functions_push_run_async (push, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  ok = cairn_functions_push_run_finish (push, result, error);
  if (!ok)
    g_test_message ("push failed: %s", (*error)->message);

  g_assert_cmpfloat (cairn_functions_push_get_fraction (push), >=, 0);
  g_assert_cmpfloat (cairn_functions_push_get_fraction (push), <=, 1);
  if (ok)
    g_assert_cmpfloat (cairn_functions_push_get_fraction (push), ==, 1);
  if (stages != NULL)
    *stages = g_string_free (g_steal_pointer (&seen), FALSE);
  else
    g_string_free (seen, TRUE);

  return ok;
}

/* What cairn:ping answers now, or NULL with @error. */
static JsonObject *
ping (CairnConvexClient  *client,
      GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) value = NULL;

  cairn_convex_client_call_async (client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  value = cairn_convex_client_call_finish (client, result, error);

  return value != NULL ? json_object_ref (json_node_get_object (value)) : NULL;
}

static void
assert_not_set_up (CairnConvexClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = ping (client, &error);

  g_assert_null (answer);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP);
}

static gint64
schema_version (CairnConvexClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = ping (client, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (cairn_json_get_string (answer, "app"), ==, "cairn");

  return (gint64) cairn_json_get_number (answer, "schemaVersion");
}

static guint
route_count (ConvexPeer *peer,
             const char *route)
{
  g_autoptr(JsonObject) stats = convex_peer_get_stats (peer);
  JsonObject *by_route = cairn_json_get_object (stats, "byRoute");

  return (guint) cairn_json_get_number (by_route, route);
}

/* A new deployment: nothing there, then the functions this app ships,
 * through the stages in order, with the calls the CLI makes. */
static void
test_install (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) bundle = test_util_load_bundle (BUNDLE);
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;

  assert_not_set_up (f->client);
  g_assert_true (push (f->client, bundle, &stages, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (stages, ==, "UCAD");
  g_assert_cmpint (schema_version (f->client), ==, CAIRN_SCHEMA_VERSION);

  g_assert_cmpuint (route_count (f->peer, "/api/deploy2/start_push"), ==, 1);
  g_assert_cmpuint (route_count (f->peer, "/api/deploy2/wait_for_schema"), >=, 1);
  g_assert_cmpuint (route_count (f->peer, "/api/deploy2/finish_push"), ==, 1);
  g_assert_cmpuint (route_count (f->peer, "/api/deploy2/report_push_completed"), ==, 1);

  /* and the content functions work */
  g_assert_cmpuint (convex_peer_count (f->peer, "conversations"), ==, 0);
}

/* Pushing again over older functions: the deployment speaks the new version. */
static void
test_upgrade (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) v1 = test_util_load_bundle (BUNDLE_V1);
  g_autoptr(GBytes) v2 = test_util_load_bundle (BUNDLE);
  g_autoptr(GError) error = NULL;

  test_util_push_functions (f->client, v1);
  g_assert_cmpint (schema_version (f->client), ==, 1);
  g_assert_true (push (f->client, v2, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (schema_version (f->client), ==, CAIRN_SCHEMA_VERSION);
}

static void
expect_refused (Fixture    *f,
                const char *key,
                int         code,
                const char *message_part)
{
  g_autoptr(GBytes) bundle = test_util_load_bundle (BUNDLE);
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (f->peer), NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;

  cairn_convex_client_set_admin_key (client, key);
  g_assert_false (push (client, bundle, &stages, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, CAIRN_CONVEX_ERROR, code);
  g_assert_nonnull (strstr (error->message, message_part));
  g_assert_null (strstr (error->message, key));
  g_assert_cmpstr (stages, ==, "UF");

  /* nothing changed */
  assert_not_set_up (f->client);
  g_assert_cmpuint (route_count (f->peer, "/api/deploy2/finish_push"), ==, 0);
}

static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  expect_refused (f, "dev:cairn-test|not-the-key", CAIRN_CONVEX_ERROR_UNAUTHORIZED, "refused the deploy key");
}

static void
test_read_only_key (Fixture       *f,
                    gconstpointer  data)
{
  expect_refused (f, READ_ONLY_KEY, CAIRN_CONVEX_ERROR_READ_ONLY, "may not change the functions");
}

/* The bundle, with every title in the schema a number: the stored
 * conversations no longer fit it. */
static GBytes *
bundle_with_numeric_titles (GBytes *bundle)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GRegex) title = g_regex_new ("title:\\s*(\\w+)\\.string\\(\\)", 0, 0, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *changed = NULL;
  JsonObject *schema;
  gsize length;
  char *text;

  json_parser_load_from_data (parser, g_bytes_get_data (bundle, NULL), g_bytes_get_size (bundle), &error);
  g_assert_no_error (error);
  schema = json_object_get_object_member (json_object_get_object_member (
             json_node_get_object (json_parser_get_root (parser)), "appDefinition"), "schema");
  changed = g_regex_replace (title, json_object_get_string_member (schema, "source"), -1, 0,
                             "title: \\1.number()", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed, !=, json_object_get_string_member (schema, "source"));
  json_object_set_string_member (schema, "source", changed);

  text = json_to_string (json_parser_get_root (parser), FALSE);
  length = strlen (text);

  return g_bytes_new_take (text, length);
}

/* A schema the stored data does not fit: refused with the deployment's
 * reason, and the functions there keep working with the data. */
static void
test_schema_rejected (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) bundle = test_util_load_bundle (BUNDLE);
  g_autoptr(GBytes) broken = bundle_with_numeric_titles (bundle);
  g_autoptr(CairnStore) store = NULL;
  g_autoptr(JsonObject) conversation = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;
  g_autofree char *id = g_uuid_string_random ();

  test_util_push_functions (f->client, bundle);
  store = CAIRN_STORE (cairn_convex_store_new (f->client));
  json_object_set_string_member (conversation, "clientId", id);
  json_object_set_string_member (conversation, "title", "Kept");
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", 1);
  json_object_set_double_member (conversation, "updatedAt", 1);
  test_util_insert (store, "conversations", conversation);

  g_assert_false (push (f->client, broken, &stages, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_REJECTED);
  g_assert_nonnull (strstr (error->message, "does not match the schema"));
  g_assert_cmpstr (stages, ==, "UCF");

  g_assert_cmpint (schema_version (f->client), ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpuint (test_util_count (store, "conversations"), ==, 1);
  g_clear_error (&error);
  g_clear_pointer (&conversation, json_object_unref);
  conversation = test_util_store_get (store, "conversations", id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (conversation, "title"), ==, "Kept");
}

/* The deployment cannot be reached: a connectivity error, nothing sent twice. */
static void
test_refused_connection (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) bundle = test_util_load_bundle (BUNDLE);
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;

  convex_peer_control (f->peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 60}");
  g_assert_false (push (f->client, bundle, &stages, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);
  g_assert_cmpstr (stages, ==, "UF");
  convex_peer_control (f->peer, "reset", "{}");
  assert_not_set_up (f->client);
}

static void
cancel_when_checking (GCancellable       *cancellable,
                      GParamSpec         *pspec,
                      CairnFunctionsPush *push)
{
  if (cairn_functions_push_get_stage (push) == CAIRN_PUSH_STAGE_CHECKING_SCHEMA)
    g_cancellable_cancel (cancellable);
}

/* Cancelled before it activates: the deployment keeps what it had. */
static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) bundle = test_util_load_bundle (BUNDLE);
  g_autoptr(CairnFunctionsPush) push = cairn_functions_push_new (f->client, bundle);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect_swapped (push, "notify::stage", G_CALLBACK (cancel_when_checking), cancellable);
  cairn_functions_push_run_async (push, cancellable, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_false (cairn_functions_push_run_finish (push, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cairn_functions_push_get_stage (push), ==, CAIRN_PUSH_STAGE_FAILED);

  assert_not_set_up (f->client);
  g_assert_cmpuint (route_count (f->peer, "/api/deploy2/finish_push"), ==, 0);
}

/* A bundle that is not a push request is refused before anything is sent. */
static void
test_bad_bundle (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) bundle = g_bytes_new_static ("{\"functions\": \"convex/\"}", 24);
  g_autoptr(GError) error = NULL;
  guint before = convex_peer_request_count (f->peer);

  g_assert_false (push (f->client, bundle, NULL, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_cmpuint (convex_peer_request_count (f->peer), ==, before);
}

/* Last: whatever was logged by the tests before, debug messages included,
 * never held a key. */
static void
test_no_key_logged (void)
{
  g_assert_nonnull (strstr (logged->str, "deploy2/start_push"));
  g_assert_null (strstr (logged->str, "push-secret"));
  g_assert_null (strstr (logged->str, "push-read-only"));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  logged = g_string_new (NULL);
  g_log_set_writer_func (capture_log, NULL, NULL);

  g_test_add ("/functions-push/install", Fixture, NULL, fixture_set_up, test_install, fixture_tear_down);
  g_test_add ("/functions-push/upgrade", Fixture, NULL, fixture_set_up, test_upgrade, fixture_tear_down);
  g_test_add ("/functions-push/wrong-key", Fixture, NULL, fixture_set_up, test_wrong_key, fixture_tear_down);
  g_test_add ("/functions-push/read-only-key", Fixture, NULL, fixture_set_up, test_read_only_key, fixture_tear_down);
  g_test_add ("/functions-push/schema-rejected", Fixture, NULL, fixture_set_up, test_schema_rejected,
              fixture_tear_down);
  g_test_add ("/functions-push/refused-connection", Fixture, NULL, fixture_set_up, test_refused_connection,
              fixture_tear_down);
  g_test_add ("/functions-push/cancelled", Fixture, NULL, fixture_set_up, test_cancelled, fixture_tear_down);
  g_test_add ("/functions-push/bad-bundle", Fixture, NULL, fixture_set_up, test_bad_bundle, fixture_tear_down);

  g_test_add_func ("/functions-push/no-key-logged", test_no_key_logged);

  ret = g_test_run ();
  g_string_free (logged, TRUE);

  return ret;
}
