/* test-sync-client.c — the sync client against the peer's WebSocket, with its faults
 *
 * A real socket on loopback to tests/peer, the real clock: subscriptions
 * of documents:list (as the Convex store lists a conversation's messages),
 * writes over HTTP, and the peer dropping, refusing, chunking, garbling,
 * going away, staying silent. Every log line of the run is captured: the
 * deploy keys must never be in one, nor in an error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-sync-client.h"
#include "cairn-system-clock.h"
#include "convex-peer.h"
#include "test-util.h"
#include "stats.h"

#define ADMIN_SECRET "sync-secret-4f9c2a"
#define ADMIN_KEY    "dev:cairn-test|" ADMIN_SECRET
#define WRONG_SECRET "wrong-secret-b81d07"
#define WRONG_KEY    "dev:cairn-test|" WRONG_SECRET

static ConvexPeer *peer;
static GString *logged;   /* every log line of the run, debug included */

/* Whether the key texts ever reached a log line. */
static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") != 0 || fields[i].value == NULL)
        continue;
      if (fields[i].length < 0)
        g_string_append (logged, fields[i].value);
      else
        g_string_append_len (logged, fields[i].value, fields[i].length);
      g_string_append_c (logged, '\n');
    }

  return g_log_writer_default (level, fields, n_fields, user_data);
}

static void
assert_no_key_logged (void)
{
  g_assert_null (strstr (logged->str, ADMIN_SECRET));
  g_assert_null (strstr (logged->str, WRONG_SECRET));
}

/* The results of one subscription as they come. */
typedef struct {
  guint     query_id;
  guint     updates;
  guint     failures;
  JsonNode *value;       /* the last result */
  char     *failure;     /* the last failure */
  gint64    updated_at;  /* monotonic, µs */
} Results;

typedef struct {
  CairnClock        *clock;
  CairnConvexClient *client;
  CairnStore        *store;
  CairnSyncClient   *sync;
  GHashTable        *results;   /* query id → Results */
  char              *conversation;
} Fixture;

static void
results_free (gpointer data)
{
  Results *results = data;

  g_clear_pointer (&results->value, json_node_unref);
  g_free (results->failure);
  g_free (results);
}

static Results *
results_for (Fixture *f,
             guint    query_id)
{
  Results *results = g_hash_table_lookup (f->results, GUINT_TO_POINTER (query_id));

  if (results == NULL)
    {
      results = g_new0 (Results, 1);
      results->query_id = query_id;
      g_hash_table_insert (f->results, GUINT_TO_POINTER (query_id), results);
    }

  return results;
}

static void
query_updated_cb (CairnSyncClient *sync,
                  guint            query_id,
                  JsonNode        *value,
                  Fixture         *f)
{
  Results *results = results_for (f, query_id);

  results->updates++;
  results->updated_at = g_get_monotonic_time ();
  g_clear_pointer (&results->value, json_node_unref);
  results->value = json_node_ref (value);
}

static void
query_failed_cb (CairnSyncClient *sync,
                 guint            query_id,
                 const char      *message,
                 Fixture         *f)
{
  Results *results = results_for (f, query_id);

  results->failures++;
  g_free (results->failure);
  results->failure = g_strdup (message);
}

static CairnSyncClient *
sync_new (Fixture    *f,
          const char *key)
{
  g_autoptr(GError) error = NULL;
  CairnSyncClient *sync;

  g_clear_object (&f->client);
  f->client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (f->client, key);

  sync = cairn_sync_client_new (f->client, f->clock);
  g_signal_connect (sync, "query-updated", G_CALLBACK (query_updated_cb), f);
  g_signal_connect (sync, "query-failed", G_CALLBACK (query_failed_cb), f);

  return sync;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CairnConvexClient) http = NULL;
  g_autoptr(GError) error = NULL;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->clock = cairn_system_clock_new ();
  f->results = g_hash_table_new_full (NULL, NULL, NULL, results_free);
  f->conversation = g_uuid_string_random ();
  f->sync = sync_new (f, ADMIN_KEY);

  /* writes go over HTTP, on a client of their own */
  http = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (http, ADMIN_KEY);
  f->store = CAIRN_STORE (cairn_convex_store_new (http));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  cairn_sync_client_stop (f->sync);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_IDLE);
  /* the sockets let go of */
  test_util_run_for (50);
  g_assert_finalize_object (f->sync);
  g_clear_object (&f->store);
  g_clear_object (&f->client);
  g_assert_finalize_object (f->clock);
  g_hash_table_unref (f->results);
  g_free (f->conversation);
  convex_peer_control (peer, "reset", "{}");
  assert_no_key_logged ();
}

/* documents:list of the conversation's messages, as the Convex store lists them */
static guint
subscribe_messages (Fixture    *f,
                    const char *conversation)
{
  g_autoptr(JsonObject) args = json_object_new ();
  JsonArray *equal = json_array_new ();
  JsonObject *pagination = json_object_new ();

  json_object_set_string_member (args, "table", "messages");
  json_object_set_string_member (args, "index", "by_conversation");
  json_array_add_string_element (equal, conversation);
  json_object_set_array_member (args, "equal", equal);
  json_object_set_string_member (args, "order", "asc");
  json_object_set_int_member (pagination, "numItems", 100);
  json_object_set_null_member (pagination, "cursor");
  json_object_set_object_member (args, "paginationOpts", pagination);

  return cairn_sync_client_subscribe (f->sync, "documents:list", args);
}

/* A message in the conversation, over HTTP; returns its clientId. */
static char *
insert_message (Fixture    *f,
                const char *conversation,
                const char *content)
{
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;
  char *id = g_uuid_string_random ();

  json_object_set_string_member (document, "clientId", id);
  json_object_set_string_member (document, "conversationId", conversation);
  json_object_set_string_member (document, "role", "user");
  json_object_set_string_member (document, "content", content);
  json_object_set_double_member (document, "createdAt", (double) g_get_real_time () / 1000);
  stored = test_util_store_insert (f->store, "messages", document, &error);
  g_assert_no_error (error);

  return id;
}

/* The clientIds in a documents:list result, in order. */
static guint
page_length (JsonNode *value)
{
  JsonArray *page;

  if (value == NULL || !JSON_NODE_HOLDS_OBJECT (value))
    return 0;
  page = json_object_get_array_member (json_node_get_object (value), "page");

  return page != NULL ? json_array_get_length (page) : 0;
}

static gboolean
page_has (JsonNode   *value,
          const char *client_id)
{
  JsonArray *page;

  if (value == NULL || !JSON_NODE_HOLDS_OBJECT (value))
    return FALSE;
  page = json_object_get_array_member (json_node_get_object (value), "page");
  for (guint i = 0; page != NULL && i < json_array_get_length (page); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (page, i), "clientId"),
                   client_id) == 0)
      return TRUE;

  return FALSE;
}

typedef struct {
  Fixture        *f;
  guint           query_id;
  const char     *client_id;
  guint           length;
  CairnSyncState  state;
} Wait;

static gboolean
has_client_id (gpointer data)
{
  Wait *wait = data;
  Results *results = g_hash_table_lookup (wait->f->results, GUINT_TO_POINTER (wait->query_id));

  return results != NULL && page_has (results->value, wait->client_id);
}

static gboolean
has_length (gpointer data)
{
  Wait *wait = data;
  Results *results = g_hash_table_lookup (wait->f->results, GUINT_TO_POINTER (wait->query_id));

  return results != NULL && results->value != NULL && page_length (results->value) == wait->length;
}

static gboolean
in_state (gpointer data)
{
  Wait *wait = data;

  return cairn_sync_client_get_state (wait->f->sync) == wait->state;
}

static void
wait_for_state (Fixture        *f,
                CairnSyncState  state,
                guint           timeout_ms)
{
  Wait wait = { f, 0, NULL, 0, state };

  if (!test_util_wait_until (in_state, &wait, timeout_ms))
    g_error ("state %u, not %u, after %u ms (%s)", cairn_sync_client_get_state (f->sync), state, timeout_ms,
             cairn_sync_client_get_error (f->sync) != NULL ? cairn_sync_client_get_error (f->sync)->message : "");
}

/* Waits for @client_id in the query's result; returns how long it took (ms). */
static double
wait_for_message (Fixture    *f,
                  guint       query_id,
                  const char *client_id,
                  guint       timeout_ms)
{
  Wait wait = { f, query_id, client_id, 0, 0 };
  gint64 start = g_get_monotonic_time ();

  if (!test_util_wait_until (has_client_id, &wait, timeout_ms))
    g_error ("%s not in query %u's result after %u ms", client_id, query_id, timeout_ms);

  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
wait_for_length (Fixture *f,
                 guint    query_id,
                 guint    length,
                 guint    timeout_ms)
{
  Wait wait = { f, query_id, NULL, length, 0 };

  if (!test_util_wait_until (has_length, &wait, timeout_ms))
    g_error ("query %u's result does not have %u documents after %u ms", query_id, length, timeout_ms);
}

static JsonObject *
sync_stats (void)
{
  g_autoptr(JsonObject) stats = convex_peer_get_stats (peer);

  return json_object_ref (json_object_get_object_member (stats, "sync"));
}

static gint64
sync_stat (const char *group,
           const char *name)
{
  g_autoptr(JsonObject) stats = sync_stats ();
  JsonObject *object = group != NULL ? json_object_get_object_member (stats, group) : stats;

  if (object == NULL || !json_object_has_member (object, name))
    return 0;

  return json_object_get_int_member (object, name);
}

static gboolean
logged_since (gsize       offset,
              const char *text)
{
  return strstr (logged->str + offset, text) != NULL;
}

/* Tests ----------------------------------------------------------------------------- */

static void
test_subscribe_and_insert (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  g_autofree char *second = insert_message (f, f->conversation, "two");
  g_autofree char *third = NULL;
  g_autofree char *other_id = g_uuid_string_random ();
  g_autofree char *elsewhere = NULL;
  guint query = subscribe_messages (f, f->conversation);
  guint other = subscribe_messages (f, other_id);
  Results *results;
  gint64 inserted;
  double took;

  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_IDLE);
  cairn_sync_client_start (f->sync);
  cairn_sync_client_start (f->sync);  /* idempotent */
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_CONNECTING);

  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_length (f, query, 2, 1000);
  g_assert_null (cairn_sync_client_get_error (f->sync));
  results = results_for (f, query);
  g_assert_true (page_has (results->value, first));
  g_assert_true (page_has (results->value, second));
  wait_for_length (f, other, 0, 1000);

  /* one Connect, one Authenticate, the query set 0 → 1 with both */
  g_assert_cmpint (sync_stat ("received", "Connect"), ==, 1);
  g_assert_cmpint (sync_stat ("received", "Authenticate"), ==, 1);
  g_assert_cmpint (sync_stat ("received", "ModifyQuerySet"), ==, 1);

  /* a write over HTTP shows up, within a second */
  third = insert_message (f, f->conversation, "three");
  inserted = g_get_monotonic_time ();
  took = wait_for_message (f, query, third, 1000);
  g_test_message ("HTTP insert → query-updated: %.1f ms after the HTTP answer (%.1f ms waited)",
                  (results->updated_at - inserted) / 1000.0, took);
  g_assert_cmpuint (page_length (results->value), ==, 3);
  /* documents decoded to plain JSON */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (json_node_get_object (results->value), "page"), 2), "content"),
                   ==, "three");

  /* 20 more, one after the other: each within a second of being sent */
  {
    double latencies[20];

    for (guint i = 0; i < G_N_ELEMENTS (latencies); i++)
      {
        gint64 sent = g_get_monotonic_time ();
        g_autofree char *id = insert_message (f, f->conversation, "again");

        wait_for_message (f, query, id, 1000);
        latencies[i] = (results->updated_at - sent) / 1000.0;
      }
    qsort (latencies, G_N_ELEMENTS (latencies), sizeof (double), stats_compare_doubles);
    g_test_message ("insert sent → query-updated, 20 writes: median %.1f ms, max %.1f ms",
                    latencies[G_N_ELEMENTS (latencies) / 2], latencies[G_N_ELEMENTS (latencies) - 1]);
    g_assert_cmpfloat (latencies[G_N_ELEMENTS (latencies) - 1], <, 1000);
    g_assert_cmpuint (page_length (results->value), ==, 23);
  }

  /* a write elsewhere reaches the other query only */
  elsewhere = insert_message (f, other_id, "elsewhere");
  wait_for_message (f, other, elsewhere, 1000);
  g_assert_cmpuint (page_length (results->value), ==, 23);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_LIVE);
}

static void
test_subscribe_while_live (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  guint kept;
  guint dropped;
  guint dropped_updates;

  /* live with no query at all (the query set 0 → 1 is sent even empty) */
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);

  kept = subscribe_messages (f, f->conversation);
  dropped = subscribe_messages (f, f->conversation);
  g_assert_cmpuint (kept, !=, dropped);
  wait_for_message (f, kept, first, 1000);
  wait_for_message (f, dropped, first, 1000);

  second = insert_message (f, f->conversation, "two");
  wait_for_message (f, kept, second, 1000);
  wait_for_message (f, dropped, second, 1000);

  /* unsubscribed: no more updates for that id */
  cairn_sync_client_unsubscribe (f->sync, dropped);
  cairn_sync_client_unsubscribe (f->sync, dropped);  /* twice: nothing */
  dropped_updates = results_for (f, dropped)->updates;
  third = insert_message (f, f->conversation, "three");
  wait_for_message (f, kept, third, 1000);
  test_util_run_for (200);
  g_assert_cmpuint (results_for (f, dropped)->updates, ==, dropped_updates);
  g_assert_false (page_has (results_for (f, dropped)->value, third));

  /* 0 → 1, two Adds, one Remove: each its own ModifyQuerySet */
  g_assert_cmpint (sync_stat ("received", "ModifyQuerySet"), ==, 4);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 1);
}

static void
test_drop_and_reconnect (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "before");
  g_autofree char *during = NULL;
  g_autofree char *after = NULL;
  guint query = subscribe_messages (f, f->conversation);
  gint64 dropped_at;

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, first, 1000);

  /* the peer closes the socket without a close frame */
  convex_peer_control (peer, "sync", "{\"drop\": true}");
  dropped_at = g_get_monotonic_time ();
  wait_for_state (f, CAIRN_SYNC_CONNECTING, 2000);
  g_assert_error (cairn_sync_client_get_error (f->sync), CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);

  /* written in the gap: the fresh result after the resubscribe has it */
  during = insert_message (f, f->conversation, "during the gap");
  wait_for_state (f, CAIRN_SYNC_LIVE, 3000);
  wait_for_message (f, query, during, 1000);
  g_test_message ("drop → live again: %.1f ms", (g_get_monotonic_time () - dropped_at) / 1000.0);
  g_assert_null (cairn_sync_client_get_error (f->sync));
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 2);
  g_assert_cmpint (sync_stat ("received", "Connect"), ==, 2);
  g_assert_cmpint (sync_stat ("received", "Authenticate"), ==, 2);

  after = insert_message (f, f->conversation, "after");
  wait_for_message (f, query, after, 1000);
  g_assert_cmpuint (page_length (results_for (f, query)->value), ==, 3);
}

static char *
peer_port (void)
{
  const char *url = convex_peer_get_url (peer);

  return g_strdup (strrchr (url, ':') + 1);
}

static void
test_lost_and_back (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *port = peer_port ();
  g_autofree char *after = NULL;
  guint query = subscribe_messages (f, f->conversation);
  gint64 stopped_at;
  gint64 restarted_at;

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_length (f, query, 0, 1000);

  /* the peer goes away: three failures in a row (100, 200, 400 ms, jitter) */
  convex_peer_stop (peer);
  g_clear_pointer (&peer, convex_peer_free);
  stopped_at = g_get_monotonic_time ();
  wait_for_state (f, CAIRN_SYNC_LOST, 5000);
  g_test_message ("peer stopped → LOST: %.1f ms", (g_get_monotonic_time () - stopped_at) / 1000.0);
  g_assert_error (cairn_sync_client_get_error (f->sync), CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);
  {
    guint failures;

    g_object_get (f->sync, "failures", &failures, NULL);
    g_assert_cmpuint (failures, ==, CAIRN_SYNC_RETRIES);
    test_util_run_for (1500);
    /* still retrying (400 ms then 800 ms, jitter), still lost */
    g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_LOST);
    g_object_get (f->sync, "failures", &failures, NULL);
    g_assert_cmpuint (failures, >, CAIRN_SYNC_RETRIES);
  }

  /* back on the same port: live again by itself */
  peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--port", port, NULL);
  restarted_at = g_get_monotonic_time ();
  wait_for_state (f, CAIRN_SYNC_LIVE, 15000);
  g_test_message ("peer back → LIVE: %.1f ms", (g_get_monotonic_time () - restarted_at) / 1000.0);
  g_assert_null (cairn_sync_client_get_error (f->sync));

  after = insert_message (f, f->conversation, "after");
  wait_for_message (f, query, after, 1000);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  guint query = subscribe_messages (f, f->conversation);
  const GError *error;

  convex_peer_control (peer, "sync", "{\"refuse\": true}");
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_REFUSED, 5000);
  error = cairn_sync_client_get_error (f->sync);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SOCKET_REFUSED);
  g_assert_nonnull (strstr (error->message, "403"));
  g_assert_false (cairn_error_is_retryable (error));

  /* no retry by itself, even once the peer would take it */
  test_util_run_for (500);
  convex_peer_control (peer, "sync", "{\"refuse\": false}");
  test_util_run_for (500);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_REFUSED);
  g_assert_cmpint (sync_stat (NULL, "refused"), ==, 1);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 0);
  g_assert_cmpuint (results_for (f, query)->updates, ==, 0);

  cairn_sync_client_resync (f->sync);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_CONNECTING);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, first, 1000);
  g_assert_null (cairn_sync_client_get_error (f->sync));
}

static void
test_chunked (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *last = NULL;
  guint query;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *content = g_strdup_printf ("message %u: %s", i,
                                                  "a few words to make each document longer than a chunk é ü ✓");
      g_autofree char *id = insert_message (f, f->conversation, content);
    }

  convex_peer_control (peer, "sync", "{\"chunk\": 200}");
  query = subscribe_messages (f, f->conversation);
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_length (f, query, 5, 1000);

  last = insert_message (f, f->conversation, "the sixth, chunked too");
  wait_for_message (f, query, last, 1000);
  g_assert_cmpuint (page_length (results_for (f, query)->value), ==, 6);
  g_assert_cmpint (sync_stat ("sent", "TransitionChunk"), >, 10);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 1);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_LIVE);
}

/* A protocol error: the socket dropped, a failure counted, a clean
 * resubscribe on a new socket, and the writes since in its first result. */
static void
check_protocol_error (Fixture    *f,
                      const char *fault,
                      const char *logged_text)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  guint query = subscribe_messages (f, f->conversation);
  gsize log_offset;
  gint64 faulted_at;

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, first, 1000);

  log_offset = logged->len;
  convex_peer_control (peer, "sync", fault);
  faulted_at = g_get_monotonic_time ();
  /* the write's Transition is the one that is wrong (for wrongStartVersion) */
  second = insert_message (f, f->conversation, "two");
  wait_for_message (f, query, second, 3000);
  wait_for_state (f, CAIRN_SYNC_LIVE, 3000);
  g_test_message ("%s → live again with the write: %.1f ms", fault,
                  (g_get_monotonic_time () - faulted_at) / 1000.0);

  g_assert_true (logged_since (log_offset, logged_text));
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 2);
  g_assert_cmpint (sync_stat ("received", "ModifyQuerySet"), ==, 2);

  third = insert_message (f, f->conversation, "three");
  wait_for_message (f, query, third, 1000);
  g_assert_cmpuint (page_length (results_for (f, query)->value), ==, 3);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 2);
}

static void
test_wrong_start_version (Fixture       *f,
                          gconstpointer  data)
{
  check_protocol_error (f, "{\"wrongStartVersion\": true}", "wrong start version");
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  check_protocol_error (f, "{\"malformed\": true}", "cannot read");
}

static void
test_bad_key (Fixture       *f,
              gconstpointer  data)
{
  const GError *error;
  guint query;

  g_assert_finalize_object (f->sync);
  f->sync = sync_new (f, WRONG_KEY);
  query = subscribe_messages (f, f->conversation);

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LOST, 5000);
  error = cairn_sync_client_get_error (f->sync);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_UNAUTHORIZED);
  g_assert_null (strstr (error->message, WRONG_SECRET));
  g_assert_null (strstr (error->message, "cairn-test"));
  g_assert_cmpint (sync_stat ("sent", "AuthError"), ==, 1);
  g_assert_cmpuint (results_for (f, query)->updates, ==, 0);

  /* retrying at the cap, not at once */
  test_util_run_for (1000);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 1);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_LOST);

  assert_no_key_logged ();
}

static void
test_inactivity (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  g_autofree char *second = NULL;
  guint query = subscribe_messages (f, f->conversation);
  gsize log_offset;
  gint64 live_at;

  /* no JSON Ping for 10 minutes: the socket goes quiet once the results are in */
  convex_peer_control (peer, "sync", "{\"idlePingMs\": 600000}");
  g_object_set (f->sync, "inactivity-timeout-ms", 400, NULL);
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, first, 1000);
  live_at = g_get_monotonic_time ();
  log_offset = logged->len;

  wait_for_state (f, CAIRN_SYNC_CONNECTING, 3000);
  g_test_message ("quiet → reconnecting after %.1f ms", (g_get_monotonic_time () - live_at) / 1000.0);
  g_assert_error (cairn_sync_client_get_error (f->sync), CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT);
  g_assert_true (logged_since (log_offset, "sent nothing"));
  wait_for_state (f, CAIRN_SYNC_LIVE, 3000);
  g_assert_cmpint (sync_stat (NULL, "connections"), >=, 2);

  /* a silent server is not a failure in a row while each socket goes live */
  g_object_set (f->sync, "inactivity-timeout-ms", 60000, NULL);
  cairn_sync_client_resync (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 3000);
  second = insert_message (f, f->conversation, "two");
  wait_for_message (f, query, second, 1000);
}

/* Quiet but alive: the server's JSON Pings (every 300 ms here) keep the
 * inactivity timer (1 s) from firing, its ping frames (every 5 s) are
 * answered, the session's idle timeout (4 s) does not touch the socket. */
static void
test_stays_live (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  g_autofree char *second = NULL;
  guint query = subscribe_messages (f, f->conversation);

  convex_peer_control (peer, "sync", "{\"idlePingMs\": 300}");
  g_object_set (f->sync, "inactivity-timeout-ms", 1000, NULL);
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, first, 1000);

  test_util_run_for (6500);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_LIVE);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 1);
  g_assert_cmpint (sync_stat ("sent", "Ping"), >=, 10);

  second = insert_message (f, f->conversation, "two");
  wait_for_message (f, query, second, 1000);
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 1);
}

static void
stop_in_handler_cb (CairnSyncClient *sync,
                    guint            query_id,
                    JsonNode        *value,
                    guint           *stops)
{
  (*stops)++;
  cairn_sync_client_stop (sync);
}

static void
resync_once_cb (CairnSyncClient *sync,
                GParamSpec      *pspec,
                guint           *resyncs)
{
  if (cairn_sync_client_get_state (sync) == CAIRN_SYNC_CONNECTING && *resyncs == 0)
    {
      (*resyncs)++;
      cairn_sync_client_resync (sync);
    }
}

/* Handlers may stop or start over from inside a signal. */
static void
test_reentrant_handlers (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  guint query = subscribe_messages (f, f->conversation);
  guint other = subscribe_messages (f, f->conversation);
  guint stops = 0;
  guint resyncs = 0;
  gulong handler;

  /* stopped by the first result of a Transition with two */
  handler = g_signal_connect (f->sync, "query-updated", G_CALLBACK (stop_in_handler_cb), &stops);
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_IDLE, 5000);
  test_util_run_for (300);
  g_assert_cmpuint (stops, ==, 1);
  g_assert_cmpuint (results_for (f, query)->updates + results_for (f, other)->updates, ==, 1);
  g_signal_handler_disconnect (f->sync, handler);

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, other, first, 1000);

  /* a resync from the state's notification, as the socket drops */
  handler = g_signal_connect (f->sync, "notify::state", G_CALLBACK (resync_once_cb), &resyncs);
  convex_peer_control (peer, "sync", "{\"drop\": true}");
  wait_for_state (f, CAIRN_SYNC_CONNECTING, 2000);
  wait_for_state (f, CAIRN_SYNC_LIVE, 3000);
  test_util_run_for (500);
  g_assert_cmpuint (resyncs, ==, 1);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_LIVE);
  /* one socket after the drop: the resync's, not also the retry's */
  g_assert_cmpint (sync_stat (NULL, "connections"), ==, 3);
  g_signal_handler_disconnect (f->sync, handler);
}

static void
test_stop_and_start (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *first = insert_message (f, f->conversation, "one");
  g_autofree char *second = NULL;
  guint query = subscribe_messages (f, f->conversation);
  guint updates;

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, first, 1000);

  cairn_sync_client_stop (f->sync);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_IDLE);
  /* stopped: nothing comes, resync does nothing */
  cairn_sync_client_resync (f->sync);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_IDLE);
  updates = results_for (f, query)->updates;
  second = insert_message (f, f->conversation, "two");
  test_util_run_for (300);
  g_assert_cmpuint (results_for (f, query)->updates, ==, updates);

  /* the subscription stayed: started again, it gets the write */
  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, query, second, 1000);

  /* started and stopped while connecting */
  cairn_sync_client_resync (f->sync);
  cairn_sync_client_stop (f->sync);
  cairn_sync_client_start (f->sync);
  cairn_sync_client_stop (f->sync);
  test_util_run_for (200);
  g_assert_cmpuint (cairn_sync_client_get_state (f->sync), ==, CAIRN_SYNC_IDLE);
}

/* A failing query says why; the others go on. */
static void
test_query_failed (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *first = insert_message (f, f->conversation, "one");
  guint good = subscribe_messages (f, f->conversation);
  guint bad;

  json_object_set_string_member (args, "table", "messages");
  json_object_set_string_member (args, "index", "no_such_index");
  json_object_set_array_member (args, "equal", json_array_new ());
  json_object_set_string_member (args, "order", "asc");
  {
    JsonObject *pagination = json_object_new ();

    json_object_set_int_member (pagination, "numItems", 10);
    json_object_set_null_member (pagination, "cursor");
    json_object_set_object_member (args, "paginationOpts", pagination);
  }
  bad = cairn_sync_client_subscribe (f->sync, "documents:list", args);

  cairn_sync_client_start (f->sync);
  wait_for_state (f, CAIRN_SYNC_LIVE, 5000);
  wait_for_message (f, good, first, 1000);
  g_assert_cmpuint (results_for (f, bad)->failures, ==, 1);
  g_assert_nonnull (strstr (results_for (f, bad)->failure, "no_such_index"));
  g_assert_null (strstr (results_for (f, bad)->failure, "Request ID"));
  g_assert_cmpuint (results_for (f, bad)->updates, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  logged = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  peer = convex_peer_start (ADMIN_KEY, NULL);

#define ADD(path, func) g_test_add ("/sync-client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("subscribe-and-insert", test_subscribe_and_insert);
  ADD ("subscribe-while-live", test_subscribe_while_live);
  ADD ("query-failed", test_query_failed);
  ADD ("drop-and-reconnect", test_drop_and_reconnect);
  ADD ("refused", test_refused);
  ADD ("chunked", test_chunked);
  ADD ("wrong-start-version", test_wrong_start_version);
  ADD ("malformed", test_malformed);
  ADD ("bad-key", test_bad_key);
  ADD ("inactivity", test_inactivity);
  ADD ("stays-live", test_stays_live);
  ADD ("stop-and-start", test_stop_and_start);
  ADD ("reentrant-handlers", test_reentrant_handlers);
  ADD ("lost-and-back", test_lost_and_back);
#undef ADD

  status = g_test_run ();

  convex_peer_free (peer);
  assert_no_key_logged ();
  g_string_free (logged, TRUE);

  return status;
}
