/* test-convex-client.c — CairnConvexClient against the Convex test peer
 *
 * Each fault the peer can inject must come back as the right error class,
 * within the client's timeout, without the deploy key in any message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "cairn-convex-client.h"
#include "cairn-error.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-test|0123456789abcdef-secret-key"

static ConvexPeer *peer;

typedef struct {
  CairnConvexClient *client;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (f->client, ADMIN_KEY);
  cairn_convex_client_set_timeout (f->client, 2000);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{}");
  g_assert_finalize_object (f->client);
}

/* Runs one call; returns its value or NULL with @error set. Never lets the
 * deploy key through in an error. */
static JsonNode *
call (CairnConvexClient *client,
      CairnConvexKind    kind,
      const char        *path,
      const char        *args_json,
      gint64            *elapsed_ms,
      GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) args = NULL;
  gint64 start = g_get_monotonic_time ();
  JsonNode *value;

  args = json_from_string (args_json != NULL ? args_json : "{}", NULL);
  g_assert_nonnull (args);

  cairn_convex_client_call_async (client, kind, path, json_node_get_object (args), NULL,
                                  test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  value = cairn_convex_client_call_finish (client, result, error);

  if (elapsed_ms != NULL)
    *elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  if (error != NULL && *error != NULL)
    {
      g_assert_null (strstr ((*error)->message, "0123456789abcdef-secret-key"));
      g_assert_null (strstr ((*error)->message, ADMIN_KEY));
    }

  return value;
}

static void
assert_fault (Fixture        *f,
              const char     *fault_json,
              CairnConvexError  expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  gint64 elapsed = 0;

  if (fault_json != NULL)
    convex_peer_control (peer, "fault", fault_json);
  value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, &elapsed, &error);
  g_assert_null (value);
  g_assert_error (error, CAIRN_CONVEX_ERROR, (int) expected);
  /* within the timeout (2 s), plus scheduling slack */
  g_assert_cmpint (elapsed, <, 3500);
  g_test_message ("%s -> %s (%" G_GINT64_FORMAT " ms)", fault_json != NULL ? fault_json : "no fault", error->message, elapsed);
}

static void
test_ping (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, &error);
  JsonObject *ping;

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (value));
  ping = json_node_get_object (value);
  g_assert_cmpstr (json_object_get_string_member (ping, "app"), ==, "cairn");
  g_assert_cmpint (json_object_get_int_member (ping, "schemaVersion"), ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (ping, "tables")), >=, 3);
}

static JsonNode *
call_object (CairnConvexClient *client,
             CairnConvexKind    kind,
             const char        *path,
             JsonObject        *args,
             GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_convex_client_call_async (client, kind, path, args, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_convex_client_call_finish (client, result, error);
}

/* What the request writer must get right: escapes, text beyond ASCII,
 * doubles with and without a fraction, a double JSON cannot carry, and a
 * field name Convex reserves refused before anything is sent. */
static void
test_args_round_trip (Fixture       *f,
                      gconstpointer  data)
{
  static const char title[] = "quote \" backslash \\ slash / tab \t nl \n cr \r bell \a del \x7f é 🌍";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(JsonObject) key = json_object_new ();
  g_autoptr(JsonObject) bad = json_object_new ();
  g_autoptr(JsonObject) nested = json_object_new ();
  g_autoptr(JsonNode) inserted = NULL;
  g_autoptr(JsonNode) got = NULL;
  g_autoptr(JsonNode) refused = NULL;
  JsonObject *row;

  json_object_set_string_member (document, "clientId", "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  json_object_set_string_member (document, "title", title);
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", TRUE);
  json_object_set_double_member (document, "createdAt", 1.5);
  json_object_set_double_member (document, "updatedAt", INFINITY);
  json_object_set_string_member (args, "table", "conversations");
  json_object_set_object_member (args, "document", json_object_ref (document));
  inserted = call_object (f->client, CAIRN_CONVEX_MUTATION, "documents:insert", args, &error);
  g_assert_no_error (error);
  g_assert_nonnull (inserted);

  json_object_set_string_member (key, "table", "conversations");
  json_object_set_string_member (key, "clientId", "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
  got = call_object (f->client, CAIRN_CONVEX_QUERY, "documents:get", key, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (got));
  row = json_node_get_object (got);
  g_assert_cmpstr (json_object_get_string_member (row, "title"), ==, title);
  g_assert_true (json_object_get_boolean_member (row, "archived"));
  g_assert_cmpfloat (json_object_get_double_member (row, "createdAt"), ==, 1.5);
  g_assert_true (isinf (json_object_get_double_member (row, "updatedAt")));

  json_object_set_int_member (nested, "$id", 1);
  json_object_set_object_member (bad, "fields", g_steal_pointer (&nested));
  refused = call_object (f->client, CAIRN_CONVEX_MUTATION, "documents:insert", bad, &error);
  g_assert_null (refused);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
}

static void
test_fault_refused (Fixture *f, gconstpointer data)
{
  assert_fault (f, "{\"mode\": \"refuse\", \"seconds\": 30}", CAIRN_CONVEX_ERROR_CONNECTIVITY);
}

static void
test_fault_hang (Fixture *f, gconstpointer data)
{
  cairn_convex_client_set_timeout (f->client, 500);
  assert_fault (f, "{\"mode\": \"hang\"}", CAIRN_CONVEX_ERROR_TIMEOUT);
}

static void
test_fault_status (Fixture *f, gconstpointer data)
{
  assert_fault (f, "{\"mode\": \"status\", \"status\": 500}", CAIRN_CONVEX_ERROR_SERVER);
  assert_fault (f, "{\"mode\": \"status\", \"status\": 503}", CAIRN_CONVEX_ERROR_SERVER);
  assert_fault (f, "{\"mode\": \"status\", \"status\": 429}", CAIRN_CONVEX_ERROR_SERVER);
}

static void
test_fault_malformed (Fixture *f, gconstpointer data)
{
  assert_fault (f, "{\"mode\": \"malformed\"}", CAIRN_CONVEX_ERROR_BAD_RESPONSE);
}

static void
test_fault_truncated (Fixture *f, gconstpointer data)
{
  assert_fault (f, "{\"mode\": \"truncated\"}", CAIRN_CONVEX_ERROR_BAD_RESPONSE);
}

static void
test_fault_slow (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  gint64 elapsed = 0;

  /* slower than usual but within the timeout: still an answer */
  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 300}");
  value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, &elapsed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_cmpint (elapsed, >=, 290);

  /* slower than the timeout: a timeout */
  cairn_convex_client_set_timeout (f->client, 150);
  g_clear_pointer (&value, json_node_unref);
  value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, &elapsed, &error);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed, <, 1000);
}

static void
test_wrong_key (Fixture       *f,
                gconstpointer  data)
{
  cairn_convex_client_set_admin_key (f->client, "dev:cairn-test|wrong-secret");
  assert_fault (f, NULL, CAIRN_CONVEX_ERROR_UNAUTHORIZED);
}

static void
test_no_key (Fixture       *f,
             gconstpointer  data)
{
  /* without the key the internal Cairn functions are invisible */
  cairn_convex_client_set_admin_key (f->client, NULL);
  g_assert_false (cairn_convex_client_has_admin_key (f->client));
  assert_fault (f, NULL, CAIRN_CONVEX_ERROR_NOT_SET_UP);
}

static void
test_functions_missing (Fixture       *f,
                        gconstpointer  data)
{
  convex_peer_control (peer, "config", "{\"functions\": false}");
  assert_fault (f, NULL, CAIRN_CONVEX_ERROR_NOT_SET_UP);
  convex_peer_control (peer, "config", "{\"functions\": true}");
}

static void
test_function_errors (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  /* refused input carries the function's own message and class */
  value = call (f->client, CAIRN_CONVEX_MUTATION, "documents:insert",
                "{\"table\": \"conversations\", \"document\": {\"clientId\": \"nope\"}}", NULL, &error);
  g_assert_null (value);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_test_message ("invalid insert -> %s", error->message);
  g_assert_nonnull (strstr (error->message, "title"));
  g_clear_error (&error);

  value = call (f->client, CAIRN_CONVEX_MUTATION, "documents:patch",
                "{\"table\": \"conversations\", \"clientId\": \"0d6d3a4e-8f0b-4b8e-9a43-6c1b2f3e4d5c\","
                " \"fields\": {\"title\": \"x\"}}", NULL, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  value = call (f->client, CAIRN_CONVEX_QUERY, "documents:nothingHere", NULL, NULL, &error);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP);
}

static void
test_nothing_listening (void)
{
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) bound = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *url = NULL;

  /* a port that was free a moment ago and is closed now */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, bound, TRUE, &error);
  g_assert_no_error (error);
  address = g_socket_get_local_address (socket, &error);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
  g_socket_close (socket, NULL);

  client = cairn_convex_client_new (url, &error);
  g_assert_no_error (error);
  value = call (client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, &error);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);
  g_assert_false (cairn_error_is_retryable (NULL));
  g_assert_true (cairn_error_is_retryable (error));
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  convex_peer_control (peer, "fault", "{\"mode\": \"hang\"}");
  cairn_convex_client_call_async (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, cancellable,
                                  test_util_result_cb, &result);
  g_cancellable_cancel (cancellable);
  test_util_wait_for_result (&result);
  value = cairn_convex_client_call_finish (f->client, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  GAsyncResult *results[32] = { NULL, };

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    cairn_convex_client_call_async (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL,
                                    test_util_result_cb, &results[i]);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) value = NULL;

      test_util_wait_for_result (&results[i]);
      value = cairn_convex_client_call_finish (f->client, results[i], &error);
      g_assert_no_error (error);
      g_assert_nonnull (value);
      g_clear_object (&results[i]);
    }
}

/* A real deployment sends empty bodies (unknown routes, 408, errors without
 * a code); a wrong address or a proxy sends them with any status. */
static void
test_fault_empty (Fixture       *f,
                  gconstpointer  data)
{
  static const struct {
    guint          status;
    CairnConvexError expected;
  } cases[] = {
    { 200, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
    { 204, CAIRN_CONVEX_ERROR_BAD_RESPONSE },
    { 400, CAIRN_CONVEX_ERROR_BAD_REQUEST },
    { 401, CAIRN_CONVEX_ERROR_UNAUTHORIZED },
    { 403, CAIRN_CONVEX_ERROR_UNAUTHORIZED },
    { 404, CAIRN_CONVEX_ERROR_NOT_CONVEX },
    { 408, CAIRN_CONVEX_ERROR_TIMEOUT },
    { 500, CAIRN_CONVEX_ERROR_SERVER },
    { 502, CAIRN_CONVEX_ERROR_SERVER },
    { 503, CAIRN_CONVEX_ERROR_SERVER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *fault = g_strdup_printf ("{\"mode\": \"empty\", \"status\": %u, \"count\": 1}", cases[i].status);

      assert_fault (f, fault, cases[i].expected);
    }
}

/* Never followed: not with the key, not turning a POST into a GET. */
static void
test_fault_redirect (Fixture       *f,
                     gconstpointer  data)
{
  static const guint statuses[] = { 301, 302, 303, 307, 308 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *fault = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) value = NULL;

      fault = g_strdup_printf ("{\"mode\": \"redirect\", \"status\": %u, \"count\": 1,"
                               " \"location\": \"http://elsewhere.example:8080/api/mutation\"}", statuses[i]);
      convex_peer_control (peer, "fault", fault);
      value = call (f->client, CAIRN_CONVEX_MUTATION, "documents:remove",
                    "{\"table\": \"notes\", \"clientId\": \"5b8f0a0e-8f6f-4a55-9b56-0c7a0d1f2e3a\"}", NULL, &error);
      g_assert_null (value);
      g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_REDIRECTED);
      g_assert_nonnull (strstr (error->message, "elsewhere.example"));
      g_test_message ("%u -> %s", statuses[i], error->message);
    }
}

/* Members of the wrong type anywhere: classified, never read as strings. */
static void
test_fault_wrong_types (Fixture       *f,
                        gconstpointer  data)
{
  static const struct {
    const char     *variant;
    CairnConvexError  expected;
  } cases[] = {
    { "status", CAIRN_CONVEX_ERROR_BAD_RESPONSE },
    { "value", CAIRN_CONVEX_ERROR_BAD_RESPONSE },
    { "array", CAIRN_CONVEX_ERROR_BAD_RESPONSE },
    { "string", CAIRN_CONVEX_ERROR_BAD_RESPONSE },
    { "error-data", CAIRN_CONVEX_ERROR_FUNCTION_FAILED },
    { "error-body", CAIRN_CONVEX_ERROR_SERVER },
    { "unauthorized", CAIRN_CONVEX_ERROR_UNAUTHORIZED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *fault = g_strdup_printf ("{\"mode\": \"wrong-types\", \"variant\": \"%s\", \"count\": 1}",
                                                cases[i].variant);

      assert_fault (f, fault, cases[i].expected);
    }
}

/* 100 000 levels of arrays: refused before the parser recurses into them. */
static void
test_fault_deep (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  convex_peer_control (peer, "fault", "{\"mode\": \"deep\", \"depth\": 100000, \"count\": 1}");
  value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "levels deep"));

  /* just inside the limit is an ordinary answer */
  g_clear_error (&error);
  convex_peer_control (peer, "fault", "{\"mode\": \"deep\", \"depth\": 40, \"count\": 1}");
  value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (value));
}

/* Whatever the server says back — even the key itself — the key never
 * reaches an error message. */
static void
test_key_echoed (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  convex_peer_control (peer, "fault",
                       "{\"mode\": \"status\", \"status\": 400, \"count\": 1, \"body\": {\"code\": \"BadJsonBody\","
                       " \"message\": \"Your key " ADMIN_KEY " is fine\"}}");
  value = call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, &error);
  g_assert_null (value);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "BadJsonBody"));
  g_assert_nonnull (strstr (error->message, "is fine"));
}

/* Over 16 MiB: the deployment refuses the request itself (400 BadJsonBody);
 * this one request fails for good, nothing blocks. */
static void
test_request_too_large (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *text = g_malloc (17 * 1024 * 1024 + 1);

  memset (text, 'x', 17 * 1024 * 1024);
  text[17 * 1024 * 1024] = '\0';
  json_object_set_string_member (document, "clientId", "5b8f0a0e-8f6f-4a55-9b56-0c7a0d1f2e3a");
  json_object_set_string_member (document, "content", text);
  json_object_set_string_member (args, "table", "notes");
  json_object_set_object_member (args, "document", g_steal_pointer (&document));

  cairn_convex_client_set_timeout (f->client, 20000);
  cairn_convex_client_call_async (f->client, CAIRN_CONVEX_MUTATION, "documents:insert", args, NULL,
                                  test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  value = cairn_convex_client_call_finish (f->client, result, &error);
  g_assert_null (value);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "BadJsonBody"));
  g_assert_cmpuint (convex_peer_count (peer, "notes"), ==, 0);
}

/* A key that may only read: queries pass, a mutation is its own reason. */
static void
test_read_only_key (void)
{
  g_autoptr(ConvexPeer) ro_peer = convex_peer_start_full (ADMIN_KEY, "dev:cairn-test|read-only-secret", NULL);
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (ro_peer), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) ping = NULL;
  g_autoptr(JsonNode) removed = NULL;

  cairn_convex_client_set_admin_key (client, "dev:cairn-test|read-only-secret");
  ping = call (client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ping);

  removed = call (client, CAIRN_CONVEX_MUTATION, "documents:remove",
                  "{\"table\": \"notes\", \"clientId\": \"5b8f0a0e-8f6f-4a55-9b56-0c7a0d1f2e3a\"}", NULL, &error);
  g_assert_null (removed);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_READ_ONLY);
  g_assert_null (strstr (error->message, "read-only-secret"));
}

static void
test_check_deploy_key (void)
{
  static const struct {
    const char *key;
    gboolean    ok;
  } cases[] = {
    { "prod:happy-otter-123|eyJ2MiI6IjEyMyJ9", TRUE },
    { "dev:a|b", TRUE },
    { "", FALSE },
    { "prod:happy-otter-123|eyJ2\r\nMiI6IjEyMyJ9", FALSE },
    { "prod:happy-otter-123|eyJ2MiI6IjEyMyJ9\n", FALSE },
    { "prod:happy otter|x", FALSE },
    { "prod:happy-otter-123|\tx", FALSE },
    { "prod:happy-otter-123|caf\xc3\xa9", FALSE },
  };

  g_assert_false (cairn_convex_check_deploy_key (NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_cmpint (cairn_convex_check_deploy_key (cases[i].key, &error), ==, cases[i].ok);
      if (!cases[i].ok)
        g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
    }
}

static void
test_check_url (void)
{
  static const struct {
    const char *url;
    gboolean    ok;
  } cases[] = {
    { "https://happy-otter-123.convex.cloud", TRUE },
    { "https://happy-otter-123.convex.cloud/", TRUE },
    { "http://127.0.0.1:3210", TRUE },
    { "http://localhost:3210", TRUE },
    { "https://convex.example.org", TRUE },
    { "http://happy-otter-123.convex.cloud", FALSE },
    { "http://192.168.1.10:3210", FALSE },
    { "https://happy-otter-123.convex.site", FALSE },
    { "https://user:pw@happy-otter-123.convex.cloud", FALSE },
    { "https://happy-otter-123.convex.cloud/api/query", FALSE },
    { "https://happy-otter-123.convex.cloud?x=1", FALSE },
    { "happy-otter-123", FALSE },
    { "", FALSE },
    { "ftp://happy-otter-123.convex.cloud", FALSE },
    /* spelled differently, checked the same */
    { "https://happy-otter-123.CONVEX.SITE", FALSE },
    { "https://happy-otter-123.convex.site.", FALSE },
    { " https://happy-otter-123.convex.site ", FALSE },
    { "HTTP://HAPPY-OTTER-123.CONVEX.CLOUD", FALSE },
    { "HTTPS://Happy-Otter-123.Convex.Cloud.", TRUE },
    { "  https://happy-otter-123.convex.cloud/\n", TRUE },
    { "http://LOCALHOST:3210", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = cairn_convex_check_url (cases[i].url, &error);

      g_test_message ("%s: %s", cases[i].url, error != NULL ? error->message : "ok");
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!cases[i].ok)
        g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
    }

  /* the canonical URL has no trailing slash */
  {
    g_autoptr(CairnConvexClient) client = cairn_convex_client_new ("https://a-b-1.convex.cloud/", NULL);

    g_assert_cmpstr (cairn_convex_client_get_url (client), ==, "https://a-b-1.convex.cloud");
  }
  /* one spelling per deployment */
  {
    g_autoptr(CairnConvexClient) client = cairn_convex_client_new (" HTTPS://A-B-1.Convex.Cloud./ ", NULL);
    g_autofree char *normal = cairn_convex_normalize_url ("http://LocalHost:3210/");

    g_assert_cmpstr (cairn_convex_client_get_url (client), ==, "https://a-b-1.convex.cloud");
    g_assert_cmpstr (normal, ==, "http://localhost:3210");
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/convex-client/check-url", test_check_url);
  g_test_add_func ("/convex-client/nothing-listening", test_nothing_listening);
  g_test_add_func ("/convex-client/check-deploy-key", test_check_deploy_key);
  g_test_add_func ("/convex-client/read-only-key", test_read_only_key);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/convex-client/ping", test_ping);
  ADD ("/convex-client/concurrent", test_concurrent);
  ADD ("/convex-client/args-round-trip", test_args_round_trip);
  ADD ("/convex-client/fault/refused", test_fault_refused);
  ADD ("/convex-client/fault/hang", test_fault_hang);
  ADD ("/convex-client/fault/status", test_fault_status);
  ADD ("/convex-client/fault/malformed", test_fault_malformed);
  ADD ("/convex-client/fault/truncated", test_fault_truncated);
  ADD ("/convex-client/fault/slow", test_fault_slow);
  ADD ("/convex-client/fault/empty", test_fault_empty);
  ADD ("/convex-client/fault/redirect", test_fault_redirect);
  ADD ("/convex-client/fault/wrong-types", test_fault_wrong_types);
  ADD ("/convex-client/fault/deep", test_fault_deep);
  ADD ("/convex-client/key-echoed", test_key_echoed);
  ADD ("/convex-client/request-too-large", test_request_too_large);
  ADD ("/convex-client/wrong-key", test_wrong_key);
  ADD ("/convex-client/no-key", test_no_key);
  ADD ("/convex-client/functions-missing", test_functions_missing);
  ADD ("/convex-client/function-errors", test_function_errors);
  ADD ("/convex-client/cancel", test_cancel);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);

  return ret;
}
