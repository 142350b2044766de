/* test-batches.c — writes in batches (documents:apply) against the Convex
 * test peer: CairnConvexStore's batches, and the outbox replayed through
 * them with a failure half way and a refused write among the others.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-local-store.h"
#include "cairn-outbox-delivery.h"
#include "cairn-outbox.h"
#include "batch-util.h"
#include "convex-peer.h"
#include "fake-clock.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-test|batch-secret"

static ConvexPeer *peer;

typedef struct {
  char            *dir;
  char            *path;
  CairnLocalStore *local;
  CairnStore      *remote;
  FakeClock       *clock;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  batch_stores_setup (peer, ADMIN_KEY, "cairn-batches-XXXXXX", &f->dir, &f->path,
                      &f->local, &f->remote);
  f->clock = fake_clock_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  batch_stores_teardown (peer, &f->dir, &f->local, &f->remote);
  g_clear_object (&f->clock);
  g_free (f->path);
}

static gboolean
apply (CairnStore  *store,
       GPtrArray   *writes,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_store_apply_async (store, writes, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_store_apply_finish (store, result, error);
}

static void
add (GPtrArray           *writes,
     CairnStoreWriteKind  kind,
     const char          *table,
     const char          *client_id,
     JsonObject          *object)
{
  g_ptr_array_add (writes, cairn_store_write_new (kind, table, client_id, object));
}

static CairnStoreWrite *
nth (GPtrArray *writes,
     guint      i)
{
  return g_ptr_array_index (writes, i);
}

static double
peer_message_count (const char *conversation_id)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (peer);
  JsonArray *rows = json_object_get_array_member (json_object_get_object_member (state, "tables"), "conversations");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (cairn_json_get_string (row, "clientId"), conversation_id) == 0)
        return cairn_json_get_number (row, "messageCount");
    }

  return -1;
}

/* Inserts, a patch, removes in one batch, in order; a write the deployment
 * refuses (a patch of nothing) and one Cairn's own checks refuse are
 * reported for themselves, the others happen; the same batch again changes
 * nothing. */
static void
test_store_batch (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_store_write_free);
  g_autoptr(JsonObject) conversation = batch_conversation (0);
  const char *conversation_id = cairn_json_get_string (conversation, "clientId");
  g_autoptr(JsonObject) m1 = batch_message (conversation_id, 1);
  g_autoptr(JsonObject) m2 = batch_message (conversation_id, 2);
  g_autoptr(JsonObject) m3 = batch_message (conversation_id, 3);
  g_autoptr(JsonObject) bad = batch_message (conversation_id, 4);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *nobody = g_uuid_string_random ();
  g_autoptr(GError) error = NULL;

  json_object_remove_member (bad, "role");
  json_object_set_string_member (fields, "content", "edited");

  add (writes, CAIRN_STORE_WRITE_INSERT, "conversations", NULL, conversation);
  add (writes, CAIRN_STORE_WRITE_INSERT, "messages", NULL, m1);
  add (writes, CAIRN_STORE_WRITE_INSERT, "messages", NULL, m2);
  add (writes, CAIRN_STORE_WRITE_PATCH, "messages", nobody, fields);
  add (writes, CAIRN_STORE_WRITE_INSERT, "messages", NULL, bad);
  add (writes, CAIRN_STORE_WRITE_PATCH, "messages", cairn_json_get_string (m1, "clientId"), fields);
  add (writes, CAIRN_STORE_WRITE_INSERT, "messages", NULL, m3);
  add (writes, CAIRN_STORE_WRITE_REMOVE, "messages", cairn_json_get_string (m2, "clientId"), NULL);

  for (guint round = 0; round < 2; round++)
    {
      g_assert_true (apply (f->remote, writes, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < writes->len; i++)
        g_assert_true (nth (writes, i)->done);

      g_assert_no_error (nth (writes, 0)->error);
      g_assert_cmpstr (cairn_json_get_string (nth (writes, 0)->stored, "clientId"), ==, conversation_id);
      g_assert_no_error (nth (writes, 1)->error);
      g_assert_no_error (nth (writes, 2)->error);
      /* refused by the deployment: no such document */
      g_assert_error (nth (writes, 3)->error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND);
      g_assert_null (nth (writes, 3)->stored);
      /* refused by Cairn's checks before anything was sent */
      g_assert_error (nth (writes, 4)->error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
      g_assert_no_error (nth (writes, 5)->error);
      g_assert_cmpstr (cairn_json_get_string (nth (writes, 5)->stored, "content"), ==, "edited");
      g_assert_no_error (nth (writes, 6)->error);
      g_assert_no_error (nth (writes, 7)->error);
      g_assert_null (nth (writes, 7)->stored);

      /* one request each time; the same state after the replay */
      g_assert_cmpuint (convex_peer_function_count (peer, "documents:apply"), ==, round + 1);
      g_assert_cmpuint (convex_peer_count (peer, "conversations"), ==, 1);
      g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 2);
      g_assert_cmpfloat (peer_message_count (conversation_id), ==, 2);
    }
}

/* More writes than one call takes: split into calls of at most
 * CAIRN_CONVEX_BATCH_MAX_WRITES, in order. A batch the deployment fails as
 * a whole goes one write at a time, and arrives the same. */
static void
test_store_split_and_fallback (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_store_write_free);
  g_autoptr(JsonObject) conversation = batch_conversation (0);
  const char *conversation_id = cairn_json_get_string (conversation, "clientId");
  g_autoptr(GError) error = NULL;
  guint n = 2 * CAIRN_CONVEX_BATCH_MAX_WRITES + 10;

  add (writes, CAIRN_STORE_WRITE_INSERT, "conversations", NULL, conversation);
  for (guint i = 1; i < n; i++)
    {
      g_autoptr(JsonObject) message = batch_message (conversation_id, i);

      add (writes, CAIRN_STORE_WRITE_INSERT, "messages", NULL, message);
    }

  g_assert_true (apply (f->remote, writes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (convex_peer_function_count (peer, "documents:apply"), ==, 3);
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, n - 1);
  g_assert_cmpfloat (peer_message_count (conversation_id), ==, n - 1);

  /* failing as a whole (once): that part goes one by one, the rest in batches */
  convex_peer_control (peer, "reset", "{\"data\": true}");
  convex_peer_control (peer, "fault", "{\"mode\": \"function-error\", \"function\": \"documents:apply\", \"count\": 1}");
  g_assert_true (apply (f->remote, writes, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < writes->len; i++)
    g_assert_no_error (nth (writes, i)->error);
  g_assert_cmpuint (convex_peer_function_count (peer, "documents:insert"), ==, CAIRN_CONVEX_BATCH_MAX_WRITES);
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, n - 1);
  g_assert_cmpfloat (peer_message_count (conversation_id), ==, n - 1);

  /* unreachable: the batch as a whole fails, to be sent again */
  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 60}");
  g_assert_false (apply (f->remote, writes, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);
}

/* The outbox ---------------------------------------------------------------- */

static CairnOutbox *
outbox_open (Fixture *f)
{
  g_autoptr(CairnOutbox) outbox = cairn_outbox_new (CAIRN_STORE (f->local), "default", CAIRN_CLOCK (f->clock));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cairn_outbox_load_async (outbox, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_outbox_load_finish (outbox, result, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&outbox);
}

typedef struct {
  CairnOutboxDelivery *delivery;
  guint                at;
  gboolean             faulted;
} Breaker;

static void
break_half_way (CairnOutboxDelivery *delivery,
                GParamSpec          *pspec,
                Breaker             *breaker)
{
  if (!breaker->faulted && cairn_outbox_delivery_get_count (delivery) <= breaker->at)
    {
      breaker->faulted = TRUE;
      convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 60}");
    }
}

static gboolean
faulted (gpointer data)
{
  return ((Breaker *) data)->faulted;
}

static gboolean
outbox_empty (gpointer data)
{
  return cairn_outbox_delivery_get_count (data) == 0;
}

/* Settled: the count has not moved for a while. */
static void
wait_settled (CairnOutboxDelivery *delivery)
{
  guint before;

  do
    {
      before = cairn_outbox_delivery_get_count (delivery);
      test_util_run_for (1500);
    }
  while (cairn_outbox_delivery_get_count (delivery) != before);
}

/* 1 000 queued writes (10 conversations, their messages, some removed, the
 * conversations renamed) replayed in batches; the deployment goes away
 * half way; the app starts again, loads the outbox and replays the rest:
 * every write once, in order — exact counts, exact messageCounts. */
static void
test_outbox_replay_resumes (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(CairnOutbox) outbox = outbox_open (f);
  g_autoptr(CairnOutboxDelivery) delivery = NULL;
  g_autoptr(GError) error = NULL;
  Breaker breaker = { 0, 600, FALSE };
  BatchQueue queue = { 0 };
  guint left;
  guint requests;

  batch_queue_outbox (outbox, 10, 95, 3, &queue);
  g_assert_cmpuint (queue.writes, ==, 1000);
  g_assert_cmpuint (cairn_outbox_get_count (outbox), ==, 1000);

  delivery = cairn_outbox_delivery_new (outbox);
  g_signal_connect (delivery, "notify::count", G_CALLBACK (break_half_way), &breaker);
  cairn_outbox_delivery_set_store (delivery, f->remote);
  cairn_outbox_delivery_flush (delivery);
  g_assert_true (test_util_wait_until (faulted, &breaker, 60000));
  wait_settled (delivery);

  left = cairn_outbox_delivery_get_count (delivery);
  g_test_message ("%u of 1000 writes left when the deployment went away", left);
  g_assert_cmpuint (left, >, 0);
  g_assert_cmpuint (left, <=, 600);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "outbox"), ==, left);
  /* what was acknowledged is there: whole conversations, each once */
  g_assert_cmpuint (convex_peer_count (peer, "conversations"), ==, (1000 - left) / 100);
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, (1000 - left) / 100 * 92);

  /* the app goes away; the deployment comes back; the app starts again */
  g_signal_handlers_disconnect_by_data (delivery, &breaker);
  g_clear_object (&delivery);
  g_clear_object (&outbox);
  convex_peer_control (peer, "reset", "{}");

  outbox = outbox_open (f);
  g_assert_cmpuint (cairn_outbox_get_count (outbox), ==, left);
  delivery = cairn_outbox_delivery_new (outbox);
  cairn_outbox_delivery_set_store (delivery, f->remote);
  cairn_outbox_delivery_flush (delivery);
  g_assert_true (test_util_wait_until (outbox_empty, delivery, 60000));
  requests = convex_peer_function_count (peer, "documents:apply");
  g_test_message ("the rest in %u requests", requests);
  g_assert_cmpuint (requests, <=, (left + 249) / 250);

  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "outbox"), ==, 0);
  batch_assert_queue_on_peer (peer, &queue);
  batch_queue_clear (&queue);
}

/* A write the deployment refuses in the middle of a batch: it is kept,
 * failed, with the reason, and the writes before and behind it arrive. */
static void
test_outbox_refused_in_batch (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(CairnOutbox) outbox = outbox_open (f);
  g_autoptr(CairnOutboxDelivery) delivery = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GPtrArray) failed = NULL;
  g_autofree char *nobody = g_uuid_string_random ();
  const CairnOutboxEntry *entry;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint changed = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonObject) note = batch_note (i);

      if (i == 10)
        {
          json_object_set_string_member (fields, "title", "nobody's");
          cairn_outbox_append_async (outbox, CAIRN_OUTBOX_PATCH, "notes", nobody, fields, NULL,
                                     test_util_result_cb, &result);
          test_util_wait_for_result (&result);
          g_assert_nonnull (cairn_outbox_append_finish (outbox, result, &error));
          g_clear_object (&result);
        }
      cairn_outbox_append_async (outbox, CAIRN_OUTBOX_INSERT, "notes", cairn_json_get_string (note, "clientId"),
                                 note, NULL, test_util_result_cb, &result);
      test_util_wait_for_result (&result);
      g_assert_nonnull (cairn_outbox_append_finish (outbox, result, &error));
      g_assert_no_error (error);
      g_clear_object (&result);
    }

  delivery = cairn_outbox_delivery_new (outbox);
  g_signal_connect_swapped (delivery, "document-changed", G_CALLBACK (test_util_count_cb), &changed);
  g_test_expect_message ("cairn-outbox-delivery", G_LOG_LEVEL_WARNING, "*refused a write for good (patch in “notes”)*");
  cairn_outbox_delivery_set_store (delivery, f->remote);
  cairn_outbox_delivery_flush (delivery);
  g_assert_true (test_util_wait_until (outbox_empty, delivery, 30000));
  wait_settled (delivery);
  g_test_assert_expected_messages ();

  /* one request carried them all */
  g_assert_cmpuint (convex_peer_function_count (peer, "documents:apply"), ==, 1);
  g_assert_cmpuint (convex_peer_count (peer, "notes"), ==, 20);
  g_assert_cmpuint (changed, ==, 20);
  /* the refused one stays, failed, with the deployment's reason */
  g_assert_cmpuint (cairn_outbox_get_failed_count (outbox), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "outbox"), ==, 1);
  failed = cairn_outbox_list_for_document (outbox, "notes", nobody);
  g_assert_cmpuint (failed->len, ==, 1);
  entry = g_ptr_array_index (failed, 0);
  g_assert_cmpint (entry->status, ==, CAIRN_OUTBOX_FAILED);
  g_assert_nonnull (strstr (entry->error, nobody));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  test_util_route_structured_logs ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/batches/store", test_store_batch);
  ADD ("/batches/store-split-and-fallback", test_store_split_and_fallback);
  ADD ("/batches/outbox-replay-resumes", test_outbox_replay_resumes);
  ADD ("/batches/outbox-refused-in-batch", test_outbox_refused_in_batch);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);

  return ret;
}
