/* test-content-mover.c — moving content to the Convex test peer and back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "batch-util.h"
#include "cairn-content-mover.h"
#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-local-store.h"
#include "cairn-page-walk.h"
#include "convex-peer.h"
#include "fake-clock.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-test|mover-secret"
#define DEPLOYMENT "https://happy-otter-123.convex.cloud"

static ConvexPeer *peer;

typedef struct {
  char            *dir;
  CairnLocalStore *local;
  CairnStore      *remote;
  FakeClock       *clock;   /* stamps the journal */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  batch_stores_setup (peer, ADMIN_KEY, "cairn-mover-XXXXXX", &f->dir, NULL,
                      &f->local, &f->remote);
  f->clock = fake_clock_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  batch_stores_teardown (peer, &f->dir, &f->local, &f->remote);
  g_clear_object (&f->clock);
}

/* @n conversations of @m messages each, and @n_notes notes */
static void
fill (CairnStore *store,
      guint       n,
      guint       m,
      guint       n_notes)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) conversation = batch_conversation (i);
      const char *id = json_object_get_string_member (conversation, "clientId");

      test_util_insert (store, "conversations", conversation);

      for (guint j = 0; j < m; j++)
        {
          g_autoptr(JsonObject) message = json_object_new ();
          g_autofree char *message_id = g_uuid_string_random ();
          g_autofree char *content = g_strdup_printf ("message %u of %u", j, i);

          json_object_set_string_member (message, "clientId", message_id);
          json_object_set_string_member (message, "conversationId", id);
          json_object_set_string_member (message, "role", "user");
          json_object_set_string_member (message, "content", content);
          json_object_set_double_member (message, "createdAt", 2000 + j);
          test_util_insert (store, "messages", message);
        }
    }

  for (guint i = 0; i < n_notes; i++)
    {
      g_autoptr(JsonObject) note = batch_note (i);

      test_util_insert (store, "notes", note);
    }
}

/* The peer's own view: how many documents, and how many distinct clientIds */
static void
peer_counts (const char *table,
             guint      *documents,
             guint      *distinct)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (peer);
  JsonArray *rows = json_object_get_array_member (json_object_get_object_member (state, "tables"), table);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_hash_table_add (ids, (gpointer) cairn_json_get_string (json_array_get_object_element (rows, i), "clientId"));

  *documents = json_array_get_length (rows);
  *distinct = g_hash_table_size (ids);
}

static void
assert_on_peer (const char *table,
                guint       expected)
{
  guint documents;
  guint distinct;

  peer_counts (table, &documents, &distinct);
  g_assert_cmpuint (documents, ==, expected);
  g_assert_cmpuint (distinct, ==, expected);
}

static gboolean
run (CairnContentMover *mover,
     GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_content_mover_run_async (mover, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_content_mover_run_finish (mover, result, error);
}

static CairnContentMover *
mover_new (Fixture                   *f,
           CairnContentMoveDirection  direction)
{
  CairnStore *local = CAIRN_STORE (f->local);

  if (direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT)
    return cairn_content_mover_new (local, "default", DEPLOYMENT, local, f->remote, direction, CAIRN_CLOCK (f->clock));

  return cairn_content_mover_new (local, "default", DEPLOYMENT, f->remote, local, direction, CAIRN_CLOCK (f->clock));
}

static void
test_to_deployment (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CairnContentMover) mover = mover_new (f, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT);
  g_autoptr(GError) error = NULL;
  guint phases = 0;

  fill (CAIRN_STORE (f->local), 30, 10, 5);
  g_signal_connect_swapped (mover, "notify::phase", G_CALLBACK (test_util_count_cb), &phases);

  run (mover, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (cairn_content_mover_get_phase (mover), ==, CAIRN_CONTENT_MOVE_DONE);
  g_assert_cmpuint (cairn_content_mover_get_total (mover), ==, 30 + 300 + 5);
  g_assert_cmpuint (cairn_content_mover_get_copied (mover), ==, 30 + 300 + 5);
  g_assert_cmpfloat (cairn_content_mover_get_fraction (mover), ==, 1.0);
  g_assert_cmpuint (phases, >=, 4);

  assert_on_peer ("conversations", 30);
  assert_on_peer ("messages", 300);
  assert_on_peer ("notes", 5);
  /* verified, then removed here */
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "conversations"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "messages"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "notes"), ==, 0);
}

typedef struct {
  guint       at;
  const char *fault;
  gboolean    faulted;
} Breaker;

static void
break_half_way (CairnContentMover *mover,
                GParamSpec        *pspec,
                Breaker           *breaker)
{
  if (!breaker->faulted && cairn_content_mover_get_copied (mover) >= breaker->at)
    {
      breaker->faulted = TRUE;
      convex_peer_control (peer, "fault", breaker->fault);
    }
}

static void
remember_first (CairnContentMover *mover,
                GParamSpec        *pspec,
                guint             *first)
{
  if (*first == G_MAXUINT)
    *first = cairn_content_mover_get_copied (mover);
}

/* Every conversation on the peer counts its messages exactly. */
static void
assert_peer_message_counts (guint expected)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (peer);
  JsonArray *rows = json_object_get_array_member (json_object_get_object_member (state, "tables"), "conversations");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_assert_cmpfloat (cairn_json_get_number (json_array_get_object_element (rows, i), "messageCount"), ==, expected);
}

/* Copying goes in rounds of batches in flight together (8 × 250 documents).
 * The deployment fails half of the second round of messages: four of its
 * eight batches land, four are refused (503). The move fails, the journal
 * still at the end of the first round; a new mover resumes there, sends the
 * whole round again (what landed is an idempotent replay) and finishes:
 * every document once, every messageCount exact. */
static void
test_failure_then_resume (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CairnContentMover) first = mover_new (f, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT);
  g_autoptr(CairnContentMover) second = NULL;
  g_autoptr(GError) error = NULL;
  Breaker breaker = { 20 + 2000,
                      "{\"mode\": \"status\", \"status\": 503, \"count\": 4, \"path\": \"/api/mutation\"}",
                      FALSE };
  guint total = 20 + 4000;
  guint documents;
  guint distinct;
  guint resumed_from = G_MAXUINT;
  guint batches;

  fill (CAIRN_STORE (f->local), 20, 200, 0);
  g_signal_connect (first, "notify::copied", G_CALLBACK (break_half_way), &breaker);

  g_assert_false (run (first, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER);
  g_test_message ("failed after %u of %u: %s", cairn_content_mover_get_copied (first), total, error->message);
  g_clear_error (&error);
  g_assert_true (breaker.faulted);

  /* half way: the first round and half of the second arrived, each once;
   * nothing was removed here */
  peer_counts ("messages", &documents, &distinct);
  g_assert_cmpuint (documents, ==, distinct);
  g_assert_cmpuint (documents, ==, 2000 + 4 * 250);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "conversations"), ==, 20);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "messages"), ==, 4000);
  batches = convex_peer_function_count (peer, "documents:apply");
  g_test_message ("%u batches so far", batches);
  /* one for the conversations, eight and four for the messages */
  g_assert_cmpuint (batches, ==, 1 + 8 + 4);
  g_assert_cmpuint (convex_peer_function_count (peer, "documents:insert"), ==, 0);

  /* the deployment is back; a new mover (a new run of the app) resumes */
  convex_peer_control (peer, "reset", "{}");
  second = mover_new (f, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT);
  g_signal_connect (second, "notify::copied", G_CALLBACK (remember_first), &resumed_from);
  g_assert_true (run (second, &error));
  g_assert_no_error (error);
  /* it went on from the journal's last round, not from zero */
  g_test_message ("resumed from %u", resumed_from);
  g_assert_cmpuint (resumed_from, ==, 20 + 2000);
  g_assert_cmpuint (cairn_content_mover_get_total (second), ==, total);
  /* the second round again, whole: eight batches */
  g_assert_cmpuint (convex_peer_function_count (peer, "documents:apply"), ==, 8);

  assert_on_peer ("conversations", 20);
  assert_on_peer ("messages", 4000);
  assert_peer_message_counts (200);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "conversations"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "messages"), ==, 0);

  /* the move is finished: running it again starts afresh and finds nothing */
  g_clear_object (&second);
  second = mover_new (f, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT);
  g_assert_true (run (second, &error));
  g_assert_cmpuint (cairn_content_mover_get_total (second), ==, 0);
  assert_on_peer ("messages", 4000);
}

/* The functions without documents:apply (or failing it as a whole): the
 * same move goes one write at a time, and arrives the same. */
static void
test_without_batches (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CairnContentMover) mover = mover_new (f, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT);
  g_autoptr(GError) error = NULL;

  fill (CAIRN_STORE (f->local), 3, 10, 2);
  convex_peer_control (peer, "fault", "{\"mode\": \"function-error\", \"function\": \"documents:apply\"}");
  g_assert_true (run (mover, &error));
  g_assert_no_error (error);
  assert_on_peer ("conversations", 3);
  assert_on_peer ("messages", 30);
  assert_on_peer ("notes", 2);
  assert_peer_message_counts (10);
  g_assert_cmpuint (convex_peer_function_count (peer, "documents:insert"), ==, 3 + 30 + 2);
}

static void
test_to_local (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CairnContentMover) mover = mover_new (f, CAIRN_CONTENT_MOVE_TO_LOCAL);
  g_autoptr(GError) error = NULL;

  fill (f->remote, 8, 5, 3);
  run (mover, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "conversations"), ==, 8);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "messages"), ==, 40);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "notes"), ==, 3);
  /* copied, not moved: the deployment keeps its content */
  assert_on_peer ("conversations", 8);
  assert_on_peer ("messages", 40);
}

/* A deployment whose pages never end — the same cursor again, or new
 * cursors over nothing new — fails the move with a reason, after a bounded
 * number of requests, and writes nothing it has not read. */
static void
test_endless_cursor (Fixture       *f,
                     gconstpointer  data)
{
  static const char *variants[] = { "repeat", "changing" };

  fill (f->remote, 3, 2, 1);
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr(CairnContentMover) mover = mover_new (f, CAIRN_CONTENT_MOVE_TO_LOCAL);
      g_autoptr(GError) error = NULL;
      g_autofree char *fault = g_strdup_printf ("{\"mode\": \"endless-cursor\", \"variant\": \"%s\"}", variants[i]);
      guint before;

      convex_peer_control (peer, "reset", "{}");
      convex_peer_control (peer, "fault", fault);
      g_assert_false (run (mover, &error));
      g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
      g_assert_nonnull (strstr (error->message, "never ends"));
      before = convex_peer_request_count (peer);
      g_test_message ("%s: stopped after %u requests: %s", variants[i], before, error->message);
      g_assert_cmpuint (before, <, 2 * CAIRN_PAGE_WALK_MAX_EMPTY_PAGES + 10);
      /* nothing was copied yet: counting is the first walk */
      g_assert_cmpuint (test_util_count (CAIRN_STORE (f->local), "messages"), ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/content-mover/to-deployment", test_to_deployment);
  ADD ("/content-mover/failure-then-resume", test_failure_then_resume);
  ADD ("/content-mover/without-batches", test_without_batches);
  ADD ("/content-mover/to-local", test_to_local);
  ADD ("/content-mover/endless-cursor", test_endless_cursor);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);

  return ret;
}
