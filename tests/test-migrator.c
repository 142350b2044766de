/* test-migrator.c — CairnMigrator against the Convex test peer: v1 → v2 with real data
 *
 * The peer starts empty, gets the v1 functions (the fixture bundle) and
 * data written through them, then the migrator brings it to this app's
 * functions and runs migration 0002 (every conversation's messageCount).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "cairn-convex-client.h"
#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-migrator.h"
#include "cairn-system-clock.h"
#include "convex-peer.h"
#include "fake-clock.h"
#include "test-util.h"

#define ADMIN_KEY   "dev:cairn-test|migrator-secret"
#define BUNDLE      "data/convex/push/cairn-functions.json"
#define BUNDLE_V1   "tests/peer/fixtures/cairn-functions-v1.json"
#define MIGRATION   "0002_message_counts"
#define OWNER       "test-host/6f1d8c2e-7d1e-4f7a-9a8b-3c5d2e1f0a9b"

typedef struct {
  ConvexPeer        *peer;
  CairnConvexClient *client;
  CairnStore        *store;
  CairnClock        *clock;
  GBytes            *bundle;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--empty", NULL);
  f->client = cairn_convex_client_new (convex_peer_get_url (f->peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (f->client, ADMIN_KEY);
  f->store = CAIRN_STORE (cairn_convex_store_new (f->client));
  f->clock = cairn_system_clock_new ();
  f->bundle = test_util_load_bundle (BUNDLE);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_bytes_unref (f->bundle);
  g_assert_finalize_object (f->store);
  g_assert_finalize_object (f->client);
  g_object_unref (f->clock);
  convex_peer_free (f->peer);
}

/* Data ---------------------------------------------------------------------- */

/* The v1 functions, and data written through them. */
static void
set_up_v1 (Fixture *f,
           guint    conversations,
           guint    messages)
{
  g_autoptr(GBytes) v1 = test_util_load_bundle (BUNDLE_V1);

  test_util_push_functions (f->client, v1);
  test_util_seed_conversations (f->store, conversations, messages);
  g_assert_cmpuint (convex_peer_count (f->peer, "conversations"), ==, conversations);
  g_assert_cmpuint (convex_peer_count (f->peer, "messages"), ==, conversations * messages);
}

/* The v1 data under this app's functions, the migration still to run. */
static void
set_up_pending (Fixture *f,
                guint    conversations,
                guint    messages)
{
  set_up_v1 (f, conversations, messages);
  test_util_push_functions (f->client, f->bundle);
}

/* Every conversation on the peer has the count of its messages. */
static void
assert_counts (Fixture *f,
               guint    conversations,
               guint    messages)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (f->peer);
  JsonArray *rows = json_object_get_array_member (json_object_get_object_member (state, "tables"), "conversations");

  g_assert_cmpuint (json_array_get_length (rows), ==, conversations);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      g_assert_true (json_object_has_member (row, "messageCount"));
      g_assert_cmpint (json_object_get_int_member (row, "messageCount"), ==, messages);
    }
  g_assert_cmpuint (convex_peer_count (f->peer, "messages"), ==, conversations * messages);
}

/* Calls --------------------------------------------------------------------- */

static JsonObject *
call (CairnConvexClient *client,
      CairnConvexKind    kind,
      const char        *path,
      JsonObject        *args)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;

  cairn_convex_client_call_async (client, kind, path, args, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  value = cairn_convex_client_call_finish (client, result, &error);
  g_assert_no_error (error);

  return JSON_NODE_HOLDS_OBJECT (value) ? json_object_ref (json_node_get_object (value)) : NULL;
}

static JsonObject *
ping (Fixture *f)
{
  return call (f->client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL);
}

static guint
n_pending (Fixture *f)
{
  g_autoptr(JsonObject) answer = ping (f);
  JsonArray *pending = cairn_json_get_array (answer, "pendingMigrations");

  return pending != NULL ? json_array_get_length (pending) : 0;
}

/* Another runner's lease, for @ttl_ms. */
static void
hold_lease (Fixture    *f,
            const char *owner,
            guint       ttl_ms)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) answer = NULL;

  json_object_set_string_member (args, "owner", owner);
  json_object_set_int_member (args, "ttlMs", ttl_ms);
  answer = call (f->client, CAIRN_CONVEX_MUTATION, "migrations:acquireLease", g_steal_pointer (&args));
  g_assert_true (cairn_json_get_boolean (answer, "acquired"));
}

/* The migrator -------------------------------------------------------------- */

static void
record_stage (GString       *seen,
              GParamSpec    *pspec,
              CairnMigrator *migrator)
{
  static const char letters[] = { '.', 'C', 'I', 'W', 'M', 'D', 'F' };
  char letter = letters[cairn_migrator_get_stage (migrator)];

  if (seen->len == 0 || seen->str[seen->len - 1] != letter)
    g_string_append_c (seen, letter);
}

static CairnMigrator *
new_migrator (Fixture    *f,
              const char *owner,
              GString    *stages)
{
  CairnMigrator *migrator = cairn_migrator_new (f->client, f->clock, owner, f->bundle);

  if (stages != NULL)
    g_signal_connect_swapped (migrator, "notify::stage", G_CALLBACK (record_stage), stages);

  return migrator;
}

static gboolean
update_finish (CairnMigrator  *migrator,
               GAsyncResult  **result,
               GError        **error)
{
  test_util_wait_for_result (result);

  return cairn_migrator_update_finish (migrator, *result, error);
}

/* One whole update; the stages it went through (C I W M D F) in @stages. */
static gboolean
update (Fixture     *f,
        const char  *owner,
        char       **stages,
        GError     **error)
{
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(CairnMigrator) migrator = new_migrator (f, owner, seen);
  g_autoptr(GAsyncResult) result = NULL;
  gboolean ok;

  cairn_migrator_update_async (migrator, NULL, test_util_result_cb, &result);
  ok = update_finish (migrator, &result, error);
  if (stages != NULL)
    *stages = g_strdup (seen->str);

  return ok;
}

static GPtrArray *
history (Fixture  *f,
         GError  **error)
{
  g_autoptr(CairnMigrator) migrator = cairn_migrator_new (f->client, f->clock, OWNER, NULL);
  g_autoptr(GAsyncResult) result = NULL;

  cairn_migrator_load_history_async (migrator, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_migrator_load_history_finish (migrator, result, error);
}

static CairnMigrationRecord *
record_of (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = history (f, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      CairnMigrationRecord *record = g_ptr_array_index (records, i);

      if (g_str_equal (cairn_migration_record_get_migration_id (record), MIGRATION))
        return g_object_ref (record);
    }

  g_assert_not_reached ();
}

/* Tests --------------------------------------------------------------------- */

/* 10 000 messages in 200 conversations written by v1: version 2, every
 * count right, nothing lost, the history says so. */
static void
test_upgrade (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(CairnMigrationRecord) record = NULL;

  set_up_v1 (f, 200, 50);
  g_assert_true (update (f, OWNER, &stages, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (stages, ==, "CICMCD");

  answer = ping (f);
  g_assert_cmpint (cairn_json_get_number (answer, "schemaVersion"), ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpuint (n_pending (f), ==, 0);
  assert_counts (f, 200, 50);

  record = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (record), ==, CAIRN_MIGRATION_COMPLETED);
  g_assert_cmpuint (cairn_migration_record_get_processed (record), ==, 200);
  g_assert_cmpint (cairn_migration_record_get_version (record), ==, 2);
  g_assert_cmpstr (cairn_migration_record_get_error (record), ==, "");
  g_assert_cmpint (cairn_migration_record_get_started_at (record), >, 0);
  g_assert_cmpint (cairn_migration_record_get_completed_at (record), >=,
                   cairn_migration_record_get_started_at (record));
}

/* Run again, nothing to do: no push, no step, no lease. */
static void
test_idempotent (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;

  set_up_v1 (f, 20, 3);
  g_assert_true (update (f, OWNER, NULL, &error));
  convex_peer_control (f->peer, "reset", "{}");

  g_assert_true (update (f, OWNER, &stages, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (stages, ==, "CD");
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:step"), ==, 0);
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:acquireLease"), ==, 0);
  assert_counts (f, 20, 3);
}

/* A new deployment: the functions installed, no migration to run (its history says so: not needed). */
static void
test_install (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;
  g_autoptr(GPtrArray) records = NULL;

  g_assert_true (update (f, OWNER, &stages, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (stages, ==, "CICD");
  g_assert_cmpuint (n_pending (f), ==, 0);

  records = history (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, >=, 1);
  g_assert_cmpuint (cairn_migration_record_get_status (g_ptr_array_index (records, 0)), ==, CAIRN_MIGRATION_SKIPPED);
}

/* Newer functions than this app's are never replaced. */
static void
test_newer (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *config = g_strdup_printf ("{\"schemaVersion\": %d}", CAIRN_SCHEMA_VERSION + 1);
  g_autoptr(GError) error = NULL;

  test_util_push_functions (f->client, f->bundle);
  convex_peer_control (f->peer, "config", config);
  g_assert_false (update (f, OWNER, NULL, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_NEWER);
  g_assert_nonnull (strstr (error->message, "Update Cairn"));
}

/* History needs functions that have migrations. */
static void
test_history_v1 (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) v1 = test_util_load_bundle (BUNDLE_V1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;

  test_util_push_functions (f->client, v1);
  records = history (f, &error);
  g_assert_null (records);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP);
}

typedef struct {
  GCancellable *cancellable;
  guint         steps;       /* cancel once this many steps are done */
} CancelAfter;

/* Each message while migrating tells one more step done (the first: none yet). */
static void
cancel_after_steps (CancelAfter   *after,
                    GParamSpec    *pspec,
                    CairnMigrator *migrator)
{
  if (cairn_migrator_get_stage (migrator) != CAIRN_MIGRATOR_MIGRATING)
    return;

  if (after->steps-- == 0)
    g_cancellable_cancel (after->cancellable);
}

/* Stopped after three steps, the migration goes on from its cursor in the
 * next run, on another computer: it ends with each conversation counted,
 * in fewer steps than a run from the start. */
static void
test_resume_after_cancel (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  CancelAfter after = { cancellable, 3 };
  g_autoptr(CairnMigrator) migrator = NULL;
  g_autoptr(CairnMigrationRecord) stopped = NULL;
  g_autoptr(CairnMigrationRecord) done = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) status = NULL;
  guint first_steps;

  set_up_pending (f, 1000, 1);
  migrator = new_migrator (f, OWNER, NULL);
  g_signal_connect_swapped (migrator, "notify::message", G_CALLBACK (cancel_after_steps), &after);
  cairn_migrator_update_async (migrator, cancellable, test_util_result_cb, &result);
  g_assert_false (update_finish (migrator, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (cairn_migrator_get_stage (migrator), ==, CAIRN_MIGRATOR_IDLE);

  first_steps = convex_peer_function_count (f->peer, "migrations:step");
  stopped = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (stopped), ==, CAIRN_MIGRATION_RUNNING);
  g_assert_cmpuint (cairn_migration_record_get_processed (stopped), ==, 600);
  /* the lease went with it */
  status = call (f->client, CAIRN_CONVEX_QUERY, "migrations:status", NULL);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (status, "lease")));

  /* another computer goes on from there */
  convex_peer_control (f->peer, "reset", "{}");
  g_clear_error (&error);
  g_assert_true (update (f, "another-host/5b8f", NULL, &error));
  g_assert_no_error (error);
  done = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (done), ==, CAIRN_MIGRATION_COMPLETED);
  g_assert_cmpuint (cairn_migration_record_get_processed (done), ==, 1000);
  /* from the start it takes at least 5 (1000 conversations, 200 a step) */
  g_assert_cmpuint (first_steps, ==, 3);
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:step"), <=, 3);
  assert_counts (f, 1000, 1);
}

/* A step that fails: the chain stops, the failure is recorded with the
 * server's reason, no data is lost, the lease is free; run again, it
 * completes. */
static void
test_step_fails (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMigrationRecord) failed = NULL;
  g_autoptr(CairnMigrationRecord) done = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autofree char *stages = NULL;

  set_up_pending (f, 300, 2);
  convex_peer_control (f->peer, "fault",
                       "{\"mode\": \"function-error\", \"function\": \"migrations:step\", "
                       "\"message\": \"The disk is on fire\", \"count\": 1}");
  g_assert_false (update (f, OWNER, &stages, &error));
  g_test_message ("%s", error->message);
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_MIGRATION_FAILED);
  g_assert_nonnull (strstr (error->message, MIGRATION));
  g_assert_nonnull (strstr (error->message, "Count messages"));
  g_assert_nonnull (strstr (error->message, "The disk is on fire"));
  g_assert_cmpstr (stages, ==, "CMF");

  failed = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (failed), ==, CAIRN_MIGRATION_FAILED);
  g_assert_nonnull (strstr (cairn_migration_record_get_error (failed), "The disk is on fire"));
  g_assert_cmpuint (n_pending (f), ==, 1);
  g_assert_cmpuint (convex_peer_count (f->peer, "conversations"), ==, 300);
  g_assert_cmpuint (convex_peer_count (f->peer, "messages"), ==, 600);
  status = call (f->client, CAIRN_CONVEX_QUERY, "migrations:status", NULL);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (status, "lease")));

  g_clear_error (&error);
  g_assert_true (update (f, OWNER, NULL, &error));
  g_assert_no_error (error);
  done = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (done), ==, CAIRN_MIGRATION_COMPLETED);
  g_assert_cmpstr (cairn_migration_record_get_error (done), ==, "");
  assert_counts (f, 300, 2);
}

/* A step over a transaction limit is the same batch halved, until it fits;
 * after a few that fit it doubles again. */
static void
test_transaction_limit (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMigrationRecord) done = NULL;
  guint steps;

  set_up_pending (f, 600, 1);
  convex_peer_control (f->peer, "reset", "{}");
  convex_peer_control (f->peer, "fault",
                       "{\"mode\": \"function-error\", \"function\": \"migrations:step\", "
                       "\"message\": \"Too many reads in a single function execution (limit: 4096).\", "
                       "\"count\": 2}");
  g_assert_true (update (f, OWNER, NULL, &error));
  g_assert_no_error (error);

  /* 200 and 100 refused; 4 × 50, then 4 × 100 (and one more to find the
   * end): without growing back, 12 × 50 */
  steps = convex_peer_function_count (f->peer, "migrations:step");
  g_test_message ("%u steps", steps);
  g_assert_cmpuint (steps, >=, 2 + 4 + 4);
  g_assert_cmpuint (steps, <=, 2 + 4 + 4 + 1);
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:recordFailure"), ==, 0);
  done = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (done), ==, CAIRN_MIGRATION_COMPLETED);
  g_assert_cmpuint (cairn_migration_record_get_processed (done), ==, 600);
  assert_counts (f, 600, 1);
}

typedef struct {
  Fixture      *f;
  GString      *stages;
  CairnMigrator *second;
  GAsyncResult *result;
} Second;

/* Once the first runner has done a step, the second one starts. */
static void
start_second (Second        *second,
              GParamSpec    *pspec,
              CairnMigrator *first)
{
  if (second->second != NULL || cairn_migrator_get_stage (first) != CAIRN_MIGRATOR_MIGRATING)
    return;

  second->second = new_migrator (second->f, "second-host/a9c3", second->stages);
  cairn_migrator_update_async (second->second, NULL, test_util_result_cb, &second->result);
}

/* Two computers on one deployment: one migrates, the other waits for the
 * lease and then finds nothing left to do. */
static void
test_two_runners (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GString) stages = g_string_new (NULL);
  Second second = { f, stages, NULL, NULL };
  g_autoptr(CairnMigrator) first = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint steps;

  set_up_pending (f, 1000, 1);
  convex_peer_control (f->peer, "reset", "{}");
  /* slow enough that the second asks while the first holds the lease */
  convex_peer_control (f->peer, "fault", "{\"mode\": \"slow\", \"ms\": 100}");
  first = new_migrator (f, "first-host/17e2", NULL);
  g_signal_connect_swapped (first, "notify::message", G_CALLBACK (start_second), &second);
  cairn_migrator_update_async (first, NULL, test_util_result_cb, &result);

  g_assert_true (update_finish (first, &result, &error));
  g_assert_no_error (error);
  steps = convex_peer_function_count (f->peer, "migrations:step");
  g_assert_nonnull (second.second);
  g_assert_true (update_finish (second.second, &second.result, &error));
  g_assert_no_error (error);
  g_clear_object (&second.result);
  g_clear_object (&second.second);

  g_test_message ("second runner: %s", stages->str);
  g_assert_true (g_str_has_prefix (stages->str, "CW"));
  g_assert_true (g_str_has_suffix (stages->str, "D"));
  g_assert_null (strchr (stages->str, 'M'));
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:step"), ==, steps);
  assert_counts (f, 1000, 1);
}

/* A lease left by a runner that crashed is taken over once it expired. */
static void
test_expired_lease (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stages = NULL;

  set_up_pending (f, 50, 2);
  hold_lease (f, "crashed-host/0d4e", 1);
  test_util_run_for (20);
  g_assert_true (update (f, OWNER, &stages, &error));
  g_assert_no_error (error);
  g_assert_null (strchr (stages, 'W'));
  assert_counts (f, 50, 2);
}

/* While another computer holds the lease, the runner asks again every two
 * seconds on its clock, says who it waits for, and stops when cancelled. */
static void
test_waiting_cancelled (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(FakeClock) clock = fake_clock_new ();
  g_autoptr(CairnMigrator) migrator = cairn_migrator_new (f->client, CAIRN_CLOCK (clock), OWNER, f->bundle);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint asked;

  set_up_pending (f, 10, 1);
  hold_lease (f, "busy-host/3e1f", 60000);
  convex_peer_control (f->peer, "reset", "{}");

  cairn_migrator_update_async (migrator, cancellable, test_util_result_cb, &result);
  while (cairn_migrator_get_stage (migrator) != CAIRN_MIGRATOR_WAITING_FOR_LEASE)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (cairn_migrator_get_message (migrator), "busy-host"));
  g_assert_null (strstr (cairn_migrator_get_message (migrator), "3e1f"));
  asked = convex_peer_function_count (f->peer, "migrations:acquireLease");
  g_assert_cmpuint (asked, ==, 1);
  g_assert_cmpuint (fake_clock_next_delay (clock), ==, CAIRN_MIGRATOR_LEASE_RETRY_MS);

  /* two seconds later it asks again, and waits again */
  fake_clock_advance (clock, CAIRN_MIGRATOR_LEASE_RETRY_MS);
  while (fake_clock_n_pending (clock) == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:acquireLease"), ==, 2);

  g_cancellable_cancel (cancellable);
  g_assert_false (update_finish (migrator, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fake_clock_n_pending (clock), ==, 0);
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:step"), ==, 0);
}

/* A short outage in the middle is retried; a long one fails with the
 * retryable error, and the next run resumes. */
static void
test_outage (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  set_up_pending (f, 100, 1);
  convex_peer_control (f->peer, "fault", "{\"mode\": \"refuse\", \"count\": 2, \"path\": \"/api/mutation\"}");
  g_assert_true (update (f, OWNER, NULL, &error));
  g_assert_no_error (error);
  assert_counts (f, 100, 1);
}

static void
test_long_outage (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMigrationRecord) done = NULL;

  set_up_pending (f, 100, 1);
  convex_peer_control (f->peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 60}");
  g_assert_false (update (f, OWNER, NULL, &error));
  g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);
  g_assert_true (cairn_error_is_retryable (error));

  convex_peer_control (f->peer, "reset", "{}");
  g_clear_error (&error);
  g_assert_true (update (f, OWNER, NULL, &error));
  g_assert_no_error (error);
  done = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (done), ==, CAIRN_MIGRATION_COMPLETED);
  assert_counts (f, 100, 1);
}

/* tests/migrate-tool, killed with SIGKILL half way: the next run, from the
 * same computer, takes its lease back and resumes from the cursor. */
static void
test_killed (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *tool = g_build_filename (g_getenv ("CAIRN_BUILD_ROOT"), "tests", "migrate-tool", NULL);
  g_autofree char *bundle = g_build_filename (g_getenv ("CAIRN_SOURCE_ROOT"), BUNDLE, NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMigrationRecord) killed = NULL;
  g_autoptr(CairnMigrationRecord) done = NULL;
  guint steps = 0;

  set_up_pending (f, 1000, 1);
  convex_peer_control (f->peer, "reset", "{}");
  convex_peer_control (f->peer, "fault", "{\"mode\": \"slow\", \"ms\": 150}");

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, &error, tool, convex_peer_get_url (f->peer), OWNER,
                              bundle, NULL);
  g_assert_no_error (error);
  /* the key through a pipe: never on a command line or in the environment */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), ADMIN_KEY "\n", strlen (ADMIN_KEY) + 1,
                             NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (process), NULL, NULL);

  while (steps < 2)
    {
      test_util_run_for (20);
      steps = convex_peer_function_count (f->peer, "migrations:step");
    }
  g_subprocess_send_signal (process, SIGKILL);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (process));

  killed = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (killed), ==, CAIRN_MIGRATION_RUNNING);
  g_assert_cmpuint (cairn_migration_record_get_processed (killed), >=, 400);
  g_assert_cmpuint (cairn_migration_record_get_processed (killed), <, 1000);

  convex_peer_control (f->peer, "reset", "{}");
  g_assert_true (update (f, OWNER, NULL, &error));
  g_assert_no_error (error);
  done = record_of (f);
  g_assert_cmpuint (cairn_migration_record_get_status (done), ==, CAIRN_MIGRATION_COMPLETED);
  g_assert_cmpuint (convex_peer_function_count (f->peer, "migrations:step"), <=,
                    6 - cairn_migration_record_get_processed (killed) / CAIRN_MIGRATOR_FIRST_BATCH);
  assert_counts (f, 1000, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add ("/migrator/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("upgrade", test_upgrade);
  ADD ("idempotent", test_idempotent);
  ADD ("install", test_install);
  ADD ("newer", test_newer);
  ADD ("history-v1", test_history_v1);
  ADD ("resume-after-cancel", test_resume_after_cancel);
  ADD ("step-fails", test_step_fails);
  ADD ("transaction-limit", test_transaction_limit);
  ADD ("two-runners", test_two_runners);
  ADD ("expired-lease", test_expired_lease);
  ADD ("waiting-cancelled", test_waiting_cancelled);
  ADD ("outage", test_outage);
  ADD ("long-outage", test_long_outage);
  ADD ("killed", test_killed);
#undef ADD

  return g_test_run ();
}
