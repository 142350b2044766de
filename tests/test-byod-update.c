/* test-byod-update.c — CairnByod installs and updates the deployment's functions and data
 *
 * What the Database page and the blocking overlay ask CairnByod for, against
 * the Convex test peer: Test Connection finds the functions missing or
 * older and offers to install or update them; the update runs the migrator
 * with the key as entered or from the keyring; the connection blocked on an
 * outdated schema is connected afterwards; the history is listed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cairn-convex-store.h"
#include "cairn-credentials.h"
#include "cairn-error.h"
#include "cairn-local-store.h"
#include "cairn-preflight.h"
#include "cairn-workspace.h"
#include "convex-peer.h"
#include "test-keyring.h"
#include "test-util.h"

#define SECRET        "update-s3cret-1a2b3c"
#define ADMIN_KEY     "dev:cairn-test|" SECRET
#define READ_ONLY_KEY "dev:cairn-test|update-read-only"
#define BUNDLE_V1     "tests/peer/fixtures/cairn-functions-v1.json"

typedef struct {
  TestKeyring     *keyring;
  ConvexPeer      *peer;
  char            *dir;
  CairnLocalStore *store;
  CairnWorkspace  *workspace;
  CairnByod       *byod;
  GString         *stages;     /* the update's stages as letters (C I W M D F) */
  guint            finished;
  CairnByodPhase   finished_phase;
  GError          *finished_error;
} Fixture;

static void
record_stage (Fixture    *f,
              GParamSpec *pspec,
              CairnByod  *byod)
{
  static const char letters[] = { '.', 'C', 'I', 'W', 'M', 'D', 'F' };
  char letter = letters[cairn_byod_get_update_stage (byod)];

  if (f->stages->len == 0 || f->stages->str[f->stages->len - 1] != letter)
    g_string_append_c (f->stages, letter);
}

static void
finished_cb (CairnByod      *byod,
             CairnByodPhase  phase,
             const GError   *error,
             Fixture        *f)
{
  f->finished++;
  f->finished_phase = phase;
  g_clear_error (&f->finished_error);
  f->finished_error = error != NULL ? g_error_copy (error) : NULL;
}

static void
open_workspace (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "cairn.db", NULL);

  f->workspace = test_util_open_workspace (path, &f->store);
  f->byod = cairn_workspace_get_byod (f->workspace);
  g_signal_connect_swapped (f->byod, "notify::update-stage", G_CALLBACK (record_stage), f);
  g_signal_connect (f->byod, "finished", G_CALLBACK (finished_cb), f);
}

static void
close_workspace (Fixture *f)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* what it still does after this tells this test nothing */
  g_signal_handlers_disconnect_by_data (f->byod, f);
  f->byod = NULL;
  test_util_close_workspace (&f->workspace, &f->store);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->keyring = test_keyring_start ();
  f->peer = convex_peer_start_with_args (ADMIN_KEY, READ_ONLY_KEY, NULL, "--empty", NULL);
  f->dir = test_util_make_tmp_dir ("cairn-byod-update-XXXXXX");
  f->stages = g_string_new (NULL);
  open_workspace (f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  close_workspace (f);
  convex_peer_free (f->peer);
  test_keyring_free (f->keyring);
  test_util_remove_tree (f->dir);
  g_free (f->dir);
  g_string_free (f->stages, TRUE);
  g_clear_error (&f->finished_error);
}

/* Iterates until ::finished told of @phase. */
static void
wait_finished (Fixture        *f,
               CairnByodPhase  phase)
{
  while (f->finished == 0 || f->finished_phase != phase)
    g_main_context_iteration (NULL, TRUE);
  f->finished = 0;
}

static void
test_connection (Fixture    *f,
                 const char *key)
{
  cairn_byod_test_connection (f->byod, convex_peer_get_url (f->peer), key);
  wait_finished (f, CAIRN_BYOD_TESTING);
}

static CairnConvexClient *
admin_client (Fixture *f)
{
  CairnConvexClient *client = cairn_convex_client_new (convex_peer_get_url (f->peer), NULL);

  cairn_convex_client_set_admin_key (client, ADMIN_KEY);

  return client;
}

static guint
history_length (Fixture *f)
{
  return g_list_model_get_n_items (cairn_byod_get_migration_history (f->byod));
}

static CairnMigrationRecord *
history_item (Fixture *f,
              guint    position)
{
  return g_list_model_get_item (cairn_byod_get_migration_history (f->byod), position);
}

/* Preferences → Database on a new deployment: Test Connection finds no
 * functions and offers to install them; the install runs through its
 * stages, and Test Connection, run again, passes. */
static void
test_install_from_page (Fixture       *f,
                        gconstpointer  data)
{
  CairnPreflight *preflight = cairn_byod_get_preflight (f->byod);
  guint updating_changes = 0;

  if (f->keyring == NULL)
    return;

  test_connection (f, ADMIN_KEY);
  g_assert_error (f->finished_error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP);
  g_assert_nonnull (strstr (f->finished_error->message, "Install Cairn Functions"));
  g_assert_true (cairn_byod_get_can_install (f->byod));
  g_assert_false (cairn_byod_get_can_update (f->byod));

  g_signal_connect_swapped (f->byod, "notify::updating", G_CALLBACK (test_util_count_cb), &updating_changes);
  cairn_byod_update_database (f->byod, convex_peer_get_url (f->peer), ADMIN_KEY);
  g_assert_true (cairn_byod_get_updating (f->byod));
  g_assert_true (cairn_byod_get_busy (f->byod));
  wait_finished (f, CAIRN_BYOD_UPDATING);
  g_assert_no_error (f->finished_error);
  g_assert_false (cairn_byod_get_updating (f->byod));
  g_assert_cmpuint (updating_changes, ==, 2);
  g_assert_cmpstr (f->stages->str, ==, "CICD");
  g_assert_cmpuint (cairn_byod_get_update_stage (f->byod), ==, CAIRN_MIGRATOR_DONE);
  g_assert_cmpfloat (cairn_byod_get_update_fraction (f->byod), ==, 1);
  g_assert_null (cairn_byod_get_update_error (f->byod));

  /* Test Connection again, by itself: every step green */
  wait_finished (f, CAIRN_BYOD_TESTING);
  g_assert_no_error (f->finished_error);
  for (guint step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    g_assert_cmpuint (cairn_preflight_get_state (preflight, step), ==, CAIRN_PREFLIGHT_PASSED);
  g_assert_false (cairn_byod_get_can_install (f->byod));

  /* the history of the deployment it was for */
  while (history_length (f) == 0)
    g_main_context_iteration (NULL, TRUE);
}

/* A deployment with the v1 functions and their data, BYOD on: blocked
 * because the schema is older. Update Database (the overlay's button, the
 * saved settings, the key from the keyring) pushes and migrates, and the
 * connection is back by itself. */
static void
test_update_saved (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CairnConvexClient) client = admin_client (f);
  g_autoptr(GBytes) v1 = test_util_load_bundle (BUNDLE_V1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ping = json_object_new ();
  g_autoptr(CairnMigrationRecord) record = NULL;
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(CairnMessage) message = NULL;
  CairnConnection *connection;

  if (f->keyring == NULL)
    return;

  test_util_push_functions (client, v1);
  json_object_set_int_member (ping, "schemaVersion", 1);
  cairn_byod_enable_async (f->byod, convex_peer_get_url (f->peer), ADMIN_KEY, ping, NULL, test_util_result_cb,
                           &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_byod_enable_finish (f->byod, result, &error));
  connection = cairn_byod_get_connection (f->byod);
  while (cairn_connection_get_state (connection) != CAIRN_CONNECTION_BLOCKED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (cairn_connection_get_reason (connection), ==, CAIRN_BLOCK_REASON_SCHEMA_OUTDATED);

  /* written by another computer still on v1: a conversation without its count */
  {
    g_autoptr(CairnStore) v1_store = CAIRN_STORE (cairn_convex_store_new (client));
    g_autoptr(JsonObject) document = json_object_new ();
    g_autofree char *id = g_uuid_string_random ();

    json_object_set_string_member (document, "clientId", id);
    json_object_set_string_member (document, "title", "From v1");
    json_object_set_boolean_member (document, "pinned", FALSE);
    json_object_set_boolean_member (document, "archived", FALSE);
    json_object_set_double_member (document, "createdAt", 1);
    json_object_set_double_member (document, "updatedAt", 1);
    test_util_insert (v1_store, "conversations", document);
  }

  cairn_byod_update_database (f->byod, NULL, NULL);
  wait_finished (f, CAIRN_BYOD_UPDATING);
  g_assert_no_error (f->finished_error);
  g_assert_cmpstr (f->stages->str, ==, "CICMCD");

  while (cairn_connection_get_state (connection) != CAIRN_CONNECTION_CONNECTED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (cairn_byod_get_config (f->byod)->schema_version, ==, CAIRN_SCHEMA_VERSION);

  while (history_length (f) == 0)
    g_main_context_iteration (NULL, TRUE);
  record = history_item (f, 0);
  g_assert_cmpuint (cairn_migration_record_get_status (record), ==, CAIRN_MIGRATION_COMPLETED);
  g_assert_cmpuint (cairn_migration_record_get_processed (record), ==, 1);

  /* content works again */
  conversation = test_util_create_conversation (f->workspace, "After the update");
  message = test_util_send_message (f->workspace, cairn_conversation_get_client_id (conversation), "Hello", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (convex_peer_count (f->peer, "messages"), ==, 1);
}

/* The same computer and workspace is the same lease owner, across a
 * restart: its id is kept in the settings, never the key. */
static void
test_runner_id (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *runner_id = NULL;

  if (f->keyring == NULL)
    return;

  cairn_byod_update_database (f->byod, convex_peer_get_url (f->peer), ADMIN_KEY);
  wait_finished (f, CAIRN_BYOD_UPDATING);
  g_assert_no_error (f->finished_error);
  runner_id = g_strdup (cairn_byod_get_config (f->byod)->runner_id);
  g_assert_true (g_uuid_string_is_valid (runner_id));

  close_workspace (f);
  open_workspace (f);
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    cairn_byod_restore_async (f->byod, NULL, test_util_result_cb, &result);
    test_util_wait_for_result (&result);
    g_assert_true (cairn_byod_restore_finish (f->byod, result, &error));
  }
  g_assert_cmpstr (cairn_byod_get_config (f->byod)->runner_id, ==, runner_id);
}

/* A key that may not deploy: the update fails with why, and says so until
 * the next one. */
static void
test_read_only (Fixture       *f,
                gconstpointer  data)
{
  if (f->keyring == NULL)
    return;

  cairn_byod_update_database (f->byod, convex_peer_get_url (f->peer), READ_ONLY_KEY);
  wait_finished (f, CAIRN_BYOD_UPDATING);
  g_assert_error (f->finished_error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_READ_ONLY);
  g_assert_cmpstr (f->stages->str, ==, "CIF");
  g_assert_cmpstr (cairn_byod_get_update_error (f->byod), ==, f->finished_error->message);
  g_assert_cmpuint (cairn_byod_get_failed_phase (f->byod), ==, CAIRN_BYOD_UPDATING);
  g_assert_null (strstr (cairn_byod_get_update_error (f->byod), "read-only"));

  /* a check that follows clears nothing of it, another update does */
  g_string_truncate (f->stages, 0);
  cairn_byod_update_database (f->byod, convex_peer_get_url (f->peer), ADMIN_KEY);
  g_assert_null (cairn_byod_get_update_error (f->byod));
  wait_finished (f, CAIRN_BYOD_UPDATING);
  g_assert_no_error (f->finished_error);
}

/* Nothing answers at the address: the update tries a few times, then says
 * why, and can be asked for again. */
static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  if (f->keyring == NULL)
    return;

  cairn_byod_update_database (f->byod, "http://127.0.0.1:1", ADMIN_KEY);
  wait_finished (f, CAIRN_BYOD_UPDATING);
  g_assert_error (f->finished_error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY);
  g_assert_cmpstr (f->stages->str, ==, "CF");
  g_assert_false (cairn_byod_get_busy (f->byod));
  g_assert_null (strstr (cairn_byod_get_update_error (f->byod), SECRET));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  test_keyring_bus_up ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/byod-update/install-from-page", test_install_from_page);
  ADD ("/byod-update/update-saved", test_update_saved);
  ADD ("/byod-update/runner-id", test_runner_id);
  ADD ("/byod-update/read-only", test_read_only);
  ADD ("/byod-update/unreachable", test_unreachable);
#undef ADD

  ret = g_test_run ();
  test_keyring_bus_stop ();

  return ret;
}
