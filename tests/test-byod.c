/* test-byod.c — Bring Your Own Database end to end in the core
 *
 * A real keyring (its own gnome-keyring-daemon on a private bus), the Convex
 * test peer as the user's deployment, and real SQLite files: content lands
 * on the peer, app data in SQLite, the key only in the keyring; restarting
 * restores it; disconnecting brings content back home. Finally every byte
 * the app wrote and every log line it produced is searched for the key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cairn-credentials.h"
#include "cairn-error.h"
#include "cairn-health.h"
#include "cairn-local-store.h"
#include "cairn-workspace.h"
#include "convex-peer.h"
#include "test-keyring.h"
#include "test-util.h"

#define SECRET   "byod-s3cret-9f8e7d6c5b4a"
#define ADMIN_KEY "dev:cairn-test|" SECRET

static ConvexPeer *peer;
static GString *captured_logs;

typedef struct {
  TestKeyring     *keyring;
  char            *dir;
  char            *db_path;
  CairnLocalStore *store;
  CairnWorkspace  *workspace;
} Fixture;

/* Every log line of the process, debug included, is kept for the search. */
static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") || g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      {
        g_string_append_len (captured_logs, fields[i].value,
                             fields[i].length < 0 ? (gssize) strlen (fields[i].value) : fields[i].length);
        g_string_append_c (captured_logs, '\n');
      }

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);

  return G_LOG_WRITER_HANDLED;
}

static void
open_workspace (Fixture *f)
{
  f->workspace = test_util_open_workspace (f->db_path, &f->store);
}

static void
close_workspace (Fixture *f)
{
  /* let pending connection work finish before checking nothing is left */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  test_util_close_workspace (&f->workspace, &f->store);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->keyring = test_keyring_start ();
  f->dir = test_util_make_tmp_dir ("cairn-byod-XXXXXX");
  f->db_path = g_build_filename (f->dir, "cairn.db", NULL);
  open_workspace (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_workspace (f);
  test_keyring_free (f->keyring);
  test_util_remove_tree (f->dir);
  g_free (f->db_path);
  g_free (f->dir);
}

static void
wait_connected (CairnWorkspace *workspace)
{
  CairnConnection *connection = cairn_byod_get_connection (cairn_workspace_get_byod (workspace));

  g_assert_nonnull (connection);
  while (cairn_connection_get_state (connection) == CAIRN_CONNECTION_CONNECTING ||
         cairn_connection_get_probing (connection))
    g_main_context_iteration (NULL, TRUE);

  if (cairn_connection_get_error (connection) != NULL)
    g_test_message ("connection: %s", cairn_connection_get_error (connection)->message);
  g_assert_cmpuint (cairn_connection_get_state (connection), ==, CAIRN_CONNECTION_CONNECTED);
}

static void
enable (Fixture    *f,
        const char *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ping = json_object_new ();

  json_object_set_int_member (ping, "schemaVersion", CAIRN_SCHEMA_VERSION);
  cairn_byod_enable_async (cairn_workspace_get_byod (f->workspace), convex_peer_get_url (peer), key, ping, NULL,
                                     test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_byod_enable_finish (cairn_workspace_get_byod (f->workspace), result, &error));
  g_assert_no_error (error);
  wait_connected (f->workspace);
}

static char *
keyring_lookup (const char *url)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = NULL;

  cairn_credentials_lookup_async ("default", url, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  key = cairn_credentials_lookup_finish (result, &error);
  g_assert_no_error (error);

  return g_strdup (key);
}

static guint
listed_conversations (CairnWorkspace *workspace)
{
  g_autoptr(CairnPagedList) list = cairn_conversations_list (workspace);

  while (cairn_paged_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (cairn_paged_list_get_error (list));

  return g_list_model_get_n_items (G_LIST_MODEL (list));
}

static void
test_routing_and_restore (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CairnConversation) local = NULL;
  g_autoptr(CairnConversation) remote = NULL;
  g_autoptr(CairnMessage) sent = NULL;
  g_autofree char *stored_key = NULL;
  const CairnByodConfig *config;
  CairnConvexClient *first_client;

  if (f->keyring == NULL)
    return;

  /* BYOD off: everything local */
  local = test_util_create_conversation (f->workspace, "Before");
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 1);
  g_assert_cmpuint (convex_peer_count (peer, "conversations"), ==, 0);

  enable (f, ADMIN_KEY);
  stored_key = keyring_lookup (convex_peer_get_url (peer));
  g_assert_cmpstr (stored_key, ==, ADMIN_KEY);
  config = cairn_byod_get_config (cairn_workspace_get_byod (f->workspace));
  g_assert_true (config->enabled);
  g_assert_cmpstr (config->deployment_url, ==, convex_peer_get_url (peer));
  g_assert_cmpstr (config->status, ==, CAIRN_BYOD_STATUS_CONNECTED);
  /* what the connection's first check found, over what the test passed to enable */
  g_assert_cmpint (config->schema_version, ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpint (config->last_success, >, 0);

  /* content to the peer, app data (the draft) to SQLite */
  remote = test_util_create_conversation (f->workspace, "On my deployment");
  sent = test_util_send_message (f->workspace, cairn_conversation_get_client_id (remote), "hello from BYOD", NULL);
  g_assert_nonnull (sent);
  test_util_save_draft (f->workspace, cairn_conversation_get_client_id (remote), "unsent words");
  g_assert_cmpuint (convex_peer_count (peer, "conversations"), ==, 1);
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "drafts"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "userDatabaseConfig"), ==, 1);
  g_assert_cmpuint (listed_conversations (f->workspace), ==, 1);

  /* the client is cached for this deployment; a new key makes a new one */
  first_client = cairn_byod_get_client (cairn_workspace_get_byod (f->workspace), convex_peer_get_url (peer));
  g_assert_nonnull (first_client);
  g_assert_true (cairn_connection_get_client (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace))) == first_client);
  enable (f, ADMIN_KEY);
  g_assert_true (cairn_byod_get_client (cairn_workspace_get_byod (f->workspace), convex_peer_get_url (peer)) != first_client);

  /* restart: the config comes from SQLite, the key from the keyring */
  close_workspace (f);
  open_workspace (f);
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    cairn_byod_restore_async (cairn_workspace_get_byod (f->workspace), NULL, test_util_result_cb, &result);
    test_util_wait_for_result (&result);
    g_assert_true (cairn_byod_restore_finish (cairn_workspace_get_byod (f->workspace), result, &error));
    g_assert_no_error (error);
  }
  g_assert_true (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
  wait_connected (f->workspace);
  g_assert_cmpuint (listed_conversations (f->workspace), ==, 1);

  /* disconnect: the key leaves the keyring, content is local again */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *gone = NULL;

    cairn_byod_disable_async (cairn_workspace_get_byod (f->workspace), NULL, test_util_result_cb, &result);
    test_util_wait_for_result (&result);
    g_assert_true (cairn_byod_disable_finish (cairn_workspace_get_byod (f->workspace), result, &error));
    g_assert_no_error (error);
    gone = keyring_lookup (convex_peer_get_url (peer));
    g_assert_null (gone);
  }
  g_assert_false (cairn_byod_get_enabled (cairn_workspace_get_byod (f->workspace)));
  g_assert_null (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace)));
  g_assert_null (cairn_byod_get_client (cairn_workspace_get_byod (f->workspace), convex_peer_get_url (peer)));
  g_assert_false (cairn_byod_get_config (cairn_workspace_get_byod (f->workspace))->enabled);
  g_assert_cmpuint (listed_conversations (f->workspace), ==, 1);
  {
    g_autoptr(CairnConversation) after = test_util_create_conversation (f->workspace, "After");
  }
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 2);
  g_assert_cmpuint (convex_peer_count (peer, "conversations"), ==, 1);
}

static void
wait_outbox_empty (CairnWorkspace *workspace)
{
  while (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (workspace)) > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
restore (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cairn_byod_restore_async (cairn_workspace_get_byod (f->workspace), NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_byod_restore_finish (cairn_workspace_get_byod (f->workspace), result, &error));
  g_assert_no_error (error);
}

/* The deployment fails as a message is sent: nothing lands locally, the
 * message is kept safe in the outbox, survives a crash of the app, and
 * arrives exactly once when the deployment is back. */
static void
test_outbox_exactly_once (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(JsonObject) state = NULL;
  JsonArray *messages;

  if (f->keyring == NULL)
    return;

  enable (f, ADMIN_KEY);
  conversation = test_util_create_conversation (f->workspace, "Through an outage");

  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 600}");
  message = test_util_send_message (f->workspace, cairn_conversation_get_client_id (conversation),
                                    "sent while it was down", &error);
  g_assert_no_error (error);
  g_assert_true (cairn_message_get_pending (message));
  g_assert_cmpuint (cairn_connection_get_state (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace))), ==,
                    CAIRN_CONNECTION_BLOCKED);
  /* Preferences learns of it */
  g_assert_cmpstr (cairn_byod_get_config (cairn_workspace_get_byod (f->workspace))->status, ==, CAIRN_BYOD_STATUS_ERROR);
  g_assert_nonnull (strstr (cairn_byod_get_config (cairn_workspace_get_byod (f->workspace))->last_error, "could not be reached"));
  /* no fallback: nothing went to the local content tables */
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 0);
  /* the message and the conversation's new time wait, durable */
  g_assert_cmpuint (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (f->workspace)), ==, 2);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "outbox"), ==, 2);

  /* the app goes away without a goodbye; the outbox is in SQLite */
  close_workspace (f);
  convex_peer_control (peer, "reset", "{}");
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 0);

  open_workspace (f);
  restore (f);
  g_assert_cmpuint (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (f->workspace)), ==, 2);
  wait_connected (f->workspace);
  wait_outbox_empty (f->workspace);
  g_assert_cmpstr (cairn_byod_get_config (cairn_workspace_get_byod (f->workspace))->status, ==, CAIRN_BYOD_STATUS_CONNECTED);
  g_assert_cmpstr (cairn_byod_get_config (cairn_workspace_get_byod (f->workspace))->last_error, ==, "");

  state = convex_peer_get_state (peer);
  messages = json_object_get_array_member (json_object_get_object_member (state, "tables"), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "clientId"), ==,
                   cairn_message_get_client_id (message));
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "outbox"), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);
}

/* The deployment took the write but the answer was lost: sending it again
 * (the retries, then the outbox) must not make a second one. */
static void
test_outbox_lost_answer (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMessage) message = NULL;

  if (f->keyring == NULL)
    return;

  enable (f, ADMIN_KEY);
  conversation = test_util_create_conversation (f->workspace, "Lost answers");

  convex_peer_control (peer, "fault", "{\"mode\": \"malformed\"}");
  message = test_util_send_message (f->workspace, cairn_conversation_get_client_id (conversation),
                                    "committed, answer lost", &error);
  g_assert_no_error (error);
  g_assert_true (cairn_message_get_pending (message));
  /* it reached the deployment (more than once, even), as one document */
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 1);

  convex_peer_control (peer, "reset", "{}");
  cairn_connection_retry (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace)));
  wait_connected (f->workspace);
  wait_outbox_empty (f->workspace);
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 1);
}

/* The messages of a conversation as its list shows them: loaded, and what
 * waits in the outbox merged in. */
static CairnPagedList *
listed_messages (CairnWorkspace *workspace,
                 const char     *conversation_id)
{
  CairnPagedList *list = cairn_conversations_list_messages (workspace, conversation_id);

  while (cairn_paged_list_get_loading (list))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (cairn_paged_list_get_error (list));

  return list;
}

static CairnMessage *
find_message (CairnPagedList *list,
              const char     *client_id)
{
  return cairn_paged_list_find (list, client_id, NULL);
}

/* How many times the peer holds the message @client_id. */
static guint
peer_copies (const char *client_id)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (peer);
  JsonArray *messages = json_object_get_array_member (json_object_get_object_member (state, "tables"), "messages");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (messages, i), "clientId"),
                   client_id) == 0)
      n++;

  return n;
}

static CairnMessage *
send_message (Fixture    *f,
              const char *conversation_id,
              const char *content)
{
  g_autoptr(GError) error = NULL;
  CairnMessage *message = test_util_send_message (f->workspace, conversation_id, content, &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);

  return message;
}

static gboolean
retry_write (CairnWorkspace  *workspace,
             const char      *client_id,
             GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_outbox_delivery_retry_async (cairn_workspace_get_delivery (workspace), "messages", client_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_outbox_delivery_retry_finish (cairn_workspace_get_delivery (workspace), result, error);
}

static gboolean
discard_write (CairnWorkspace  *workspace,
               const char      *client_id,
               GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_outbox_delivery_discard_async (cairn_workspace_get_delivery (workspace), "messages", client_id, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_outbox_delivery_discard_finish (cairn_workspace_get_delivery (workspace), result, error);
}

static void
expect_refusal (void)
{
  g_test_expect_message ("cairn-outbox-delivery", G_LOG_LEVEL_WARNING, "*refused a write for good (insert in “messages”)*");
}

/* Kept while the deployment was away; on the replay it refuses the first
 * message for good (400 BadJsonBody). That message stays, failed with the
 * reason, also after a restart; the writes behind it are delivered; a retry
 * once the deployment takes it again delivers it exactly once. */
static void
test_outbox_refused_replay (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(CairnMessage) refused = NULL;
  g_autoptr(CairnMessage) behind = NULL;
  g_autoptr(CairnPagedList) list = NULL;
  g_autoptr(GError) error = NULL;
  const char *conversation_id;
  CairnMessage *shown;
  guint changed = 0;

  if (f->keyring == NULL)
    return;

  enable (f, ADMIN_KEY);
  conversation = test_util_create_conversation (f->workspace, "Refused on replay");
  conversation_id = cairn_conversation_get_client_id (conversation);
  list = listed_messages (f->workspace, conversation_id);

  /* the deployment is away: both wait, pending */
  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 600}");
  refused = send_message (f, conversation_id, "the one it will refuse");
  behind = send_message (f, conversation_id, "the one behind it");
  g_assert_true (cairn_message_get_pending (refused));
  g_assert_null (cairn_message_get_failure (refused));
  g_assert_cmpuint (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (f->workspace)), ==, 4);

  /* back, but its first write is refused for good: the batch of all four
   * is refused as a whole, so the first goes alone, and is refused again */
  g_signal_connect_swapped (f->workspace, "document-changed", G_CALLBACK (test_util_count_cb), &changed);
  convex_peer_control (peer, "fault",
                       "{\"mode\": \"status\", \"status\": 400, \"count\": 2, \"path\": \"/api/mutation\","
                       " \"body\": {\"code\": \"BadJsonBody\", \"message\": \"The body could not be read\"}}");
  expect_refusal ();
  cairn_connection_retry (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace)));
  wait_connected (f->workspace);
  wait_outbox_empty (f->workspace);
  g_test_assert_expected_messages ();
  g_signal_handlers_disconnect_by_func (f->workspace, test_util_count_cb, &changed);
  g_assert_cmpuint (changed, >, 0);

  /* the one behind it was delivered; the refused one is kept, failed */
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (behind)), ==, 1);
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (refused)), ==, 0);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "outbox"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);

  /* the open list shows it so, with the reason */
  shown = find_message (list, cairn_message_get_client_id (refused));
  g_assert_nonnull (shown);
  g_assert_false (cairn_message_get_pending (shown));
  g_assert_nonnull (cairn_message_get_failure (shown));
  g_assert_nonnull (strstr (cairn_message_get_failure (shown), "BadJsonBody"));
  g_assert_cmpstr (cairn_message_get_content (shown), ==, "the one it will refuse");
  shown = find_message (list, cairn_message_get_client_id (behind));
  g_assert_nonnull (shown);
  g_assert_false (cairn_message_get_pending (shown));
  g_assert_null (cairn_message_get_failure (shown));
  g_clear_object (&list);

  /* a restart: still failed, not sent again by itself */
  close_workspace (f);
  open_workspace (f);
  restore (f);
  wait_connected (f->workspace);
  g_assert_cmpuint (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (f->workspace)), ==, 0);
  list = listed_messages (f->workspace, conversation_id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  shown = find_message (list, cairn_message_get_client_id (refused));
  g_assert_nonnull (shown);
  g_assert_nonnull (strstr (cairn_message_get_failure (shown), "BadJsonBody"));
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (refused)), ==, 0);

  /* the fault is gone; a retry delivers it, once */
  changed = 0;
  g_signal_connect_swapped (f->workspace, "document-changed", G_CALLBACK (test_util_count_cb), &changed);
  g_assert_true (retry_write (f->workspace, cairn_message_get_client_id (refused), &error));
  g_assert_no_error (error);
  wait_outbox_empty (f->workspace);
  while (test_util_count (CAIRN_STORE (f->store), "outbox") > 0)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_func (f->workspace, test_util_count_cb, &changed);
  g_assert_cmpuint (changed, >=, 2);  /* pending again, then delivered */
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (refused)), ==, 1);
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (behind)), ==, 1);
  shown = find_message (list, cairn_message_get_client_id (refused));
  g_assert_nonnull (shown);
  g_assert_null (cairn_message_get_failure (shown));
  g_assert_false (cairn_message_get_pending (shown));

  /* nothing is left to retry */
  g_assert_false (retry_write (f->workspace, cairn_message_get_client_id (refused), &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND);
}

/* Refused as it is sent (a function error: too large): the caller gets it
 * back failed, the list keeps it; discarding it removes it from the outbox
 * and the lists, and it never reaches the deployment. */
static void
test_outbox_refused_discard (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(CairnMessage) refused = NULL;
  g_autoptr(CairnMessage) after = NULL;
  g_autoptr(CairnPagedList) list = NULL;
  g_autoptr(GError) error = NULL;
  const char *conversation_id;
  guint removed = 0;

  if (f->keyring == NULL)
    return;

  enable (f, ADMIN_KEY);
  conversation = test_util_create_conversation (f->workspace, "Too large");
  conversation_id = cairn_conversation_get_client_id (conversation);
  list = listed_messages (f->workspace, conversation_id);

  convex_peer_control (peer, "fault",
                       "{\"mode\": \"status\", \"status\": 200, \"count\": 1, \"path\": \"/api/mutation\","
                       " \"body\": {\"status\": \"error\", \"errorMessage\": \"[Request ID: 0123456789abcdef] Server Error\\n"
                       "Uncaught Error: Value is too large (1.1 MiB > maximum size 1 MiB)\\n\"}}");
  expect_refusal ();
  refused = send_message (f, conversation_id, "far too much");
  g_test_assert_expected_messages ();
  g_assert_nonnull (cairn_message_get_failure (refused));
  g_assert_nonnull (strstr (cairn_message_get_failure (refused), "too large"));
  g_assert_false (cairn_message_get_pending (refused));
  g_assert_nonnull (find_message (list, cairn_message_get_client_id (refused)));
  g_assert_nonnull (cairn_message_get_failure (find_message (list, cairn_message_get_client_id (refused))));

  /* the next write is not held up */
  after = send_message (f, conversation_id, "small enough");
  g_assert_null (cairn_message_get_failure (after));
  g_assert_false (cairn_message_get_pending (after));
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (after)), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "outbox"), ==, 1);

  /* discarded: gone here, never there */
  g_signal_connect_swapped (f->workspace, "document-removed", G_CALLBACK (test_util_count_cb), &removed);
  g_assert_true (discard_write (f->workspace, cairn_message_get_client_id (refused), &error));
  g_assert_no_error (error);
  g_signal_handlers_disconnect_by_func (f->workspace, test_util_count_cb, &removed);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_null (find_message (list, cairn_message_get_client_id (refused)));
  g_assert_nonnull (find_message (list, cairn_message_get_client_id (after)));
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "outbox"), ==, 0);
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (refused)), ==, 0);

  /* nothing is left to discard, and nothing comes back after a restart */
  g_assert_false (discard_write (f->workspace, cairn_message_get_client_id (refused), &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND);
  g_clear_object (&list);
  close_workspace (f);
  open_workspace (f);
  restore (f);
  wait_connected (f->workspace);
  list = listed_messages (f->workspace, conversation_id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpuint (peer_copies (cairn_message_get_client_id (refused)), ==, 0);
}

static void
search_file (const char *path,
             const char *needle)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (path, &contents, &length, &error))
    return;

  g_test_message ("searched %s (%" G_GSIZE_FORMAT " bytes)", path, length);
  g_assert_null (memmem (contents, length, needle, strlen (needle)));
}

static void
search_tree (const char *dir,
             const char *needle)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        search_tree (path, needle);
      else
        search_file (path, needle);
    }
}

static void
test_key_never_leaks (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autofree char *settings_dump = NULL;
  g_auto(GStrv) environment = g_get_environ ();

  if (f->keyring == NULL)
    return;

  g_string_truncate (captured_logs, 0);
  enable (f, ADMIN_KEY);
  {
    g_autoptr(CairnConversation) c = test_util_create_conversation (f->workspace, "Secret-free");
    g_autoptr(CairnMessage) sent = test_util_send_message (f->workspace, cairn_conversation_get_client_id (c),
                                                           "nothing to see", NULL);
  }
  /* a refused key and an outage produce errors; none may carry the key */
  convex_peer_control (peer, "fault", "{\"mode\": \"status\", \"status\": 503}");
  cairn_connection_retry (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace)));
  while (cairn_connection_get_probing (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace))))
    g_main_context_iteration (NULL, TRUE);
  convex_peer_control (peer, "reset", "{}");
  close_workspace (f);

  g_assert_cmpuint (captured_logs->len, >, 0);
  g_assert_null (strstr (captured_logs->str, SECRET));

  /* the data dir: the SQLite file, its WAL and anything else written there */
  search_tree (f->dir, SECRET);

  /* GSettings */
  settings = g_settings_new ("io.github.cairnapp.Cairn");
  {
    g_auto(GStrv) keys = g_settings_schema_list_keys (g_settings_schema_source_lookup (
      g_settings_schema_source_get_default (), "io.github.cairnapp.Cairn", TRUE));

    for (guint i = 0; keys[i] != NULL; i++)
      {
        g_autoptr(GVariant) value = g_settings_get_value (settings, keys[i]);
        g_autofree char *text = g_variant_print (value, FALSE);

        g_assert_null (strstr (text, SECRET));
      }
  }

  /* the environment */
  for (guint i = 0; environment[i] != NULL; i++)
    g_assert_null (strstr (environment[i], SECRET));

  /* and the keyring file keeps it encrypted */
  search_tree (test_keyring_get_dir (f->keyring), SECRET);
  open_workspace (f);
}

typedef struct {
  CairnByod *byod;
  gint64     after;
} CheckedAfter;

static gboolean
checked_after (gpointer data)
{
  CheckedAfter *wait = data;

  return cairn_byod_get_config (wait->byod)->last_check > wait->after;
}

/* Every check is kept in the settings, the periodic ones too: Preferences'
 * Last Successful Check and schema version are current, a failed check
 * leaves the last success as it was, and it is still there after a restart. */
static void
test_checks_recorded (Fixture       *f,
                      gconstpointer  data)
{
  CheckedAfter wait = { NULL, 0 };
  const CairnByodConfig *config;
  CairnHealth *health;
  gint64 last_success;

  if (f->keyring == NULL)
    return;

  enable (f, ADMIN_KEY);
  wait.byod = cairn_workspace_get_byod (f->workspace);
  health = cairn_byod_get_health (wait.byod);
  wait.after = cairn_byod_get_config (wait.byod)->last_check;

  /* a periodic check a second later: cairn:ping and cairn:health */
  g_usleep (2000);
  g_object_set (wait.byod, "health-check-interval", 1, NULL);
  g_assert_true (test_util_wait_until (checked_after, &wait, 10000));
  config = cairn_byod_get_config (wait.byod);
  g_assert_cmpstr (config->status, ==, CAIRN_BYOD_STATUS_CONNECTED);
  g_assert_cmpint (config->last_success, ==, config->last_check);
  g_assert_cmpint (config->schema_version, ==, CAIRN_SCHEMA_VERSION);
  g_assert_cmpstr (config->last_error, ==, "");
  g_assert_cmpint (cairn_health_get_last_check (health), ==, config->last_check);
  g_assert_cmpuint (cairn_health_get_last_result (health)->mode, ==, CAIRN_HEALTH_CHECK_QUICK);
  g_assert_cmpuint (cairn_health_get_verdict (health), ==, CAIRN_HEALTH_HEALTHY);
  last_success = config->last_success;

  /* the next one fails: kept with its error, the last success stays */
  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\", \"seconds\": 600}");
  wait.after = config->last_check;
  g_assert_true (test_util_wait_until (checked_after, &wait, 10000));
  config = cairn_byod_get_config (wait.byod);
  g_assert_cmpstr (config->status, ==, CAIRN_BYOD_STATUS_ERROR);
  g_assert_nonnull (strstr (config->last_error, "could not be reached"));
  g_assert_cmpint (config->last_success, ==, last_success);
  g_assert_cmpuint (cairn_health_get_verdict (health), ==, CAIRN_HEALTH_UNHEALTHY);

  /* a restart while it is still away: what was recorded is what the health says */
  close_workspace (f);
  open_workspace (f);
  restore (f);
  health = cairn_byod_get_health (cairn_workspace_get_byod (f->workspace));
  g_assert_cmpint (cairn_health_get_last_success (health), ==, last_success);
  g_assert_cmpint (cairn_health_get_schema_version (health), ==, CAIRN_SCHEMA_VERSION);
  g_assert_nonnull (cairn_health_get_last_error (health));
  convex_peer_control (peer, "reset", "{}");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  test_keyring_bus_up ();

  captured_logs = g_string_new (NULL);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_log_set_writer_func (capture_log, NULL, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/byod/routing-and-restore", test_routing_and_restore);
  ADD ("/byod/outbox-exactly-once", test_outbox_exactly_once);
  ADD ("/byod/outbox-lost-answer", test_outbox_lost_answer);
  ADD ("/byod/outbox-refused-replay", test_outbox_refused_replay);
  ADD ("/byod/outbox-refused-discard", test_outbox_refused_discard);
  ADD ("/byod/key-never-leaks", test_key_never_leaks);
  ADD ("/byod/checks-recorded", test_checks_recorded);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);
  test_keyring_bus_stop ();
  g_string_free (captured_logs, TRUE);

  return ret;
}
