/* test-live.c — two computers on one deployment: what one writes, the other's lists show
 *
 * Two workspaces (two SQLite files, as two computers have) with Bring Your
 * Own Database on the same Convex test peer, the key in a real keyring. The
 * lists of B follow the deployment through the sync socket; whatever A
 * writes over HTTP appears in them without a reload: a new conversation in
 * the sidebar's list, a message in the open conversation, a removal. The
 * socket dropped, refused (B polls) or lost for good (B blocks), a wake-up
 * from suspend and a network change (B reconnects at once) are each tried.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cairn-connection.h"
#include "cairn-conversation.h"
#include "cairn-conversations.h"
#include "cairn-live-query.h"
#include "cairn-local-store.h"
#include "cairn-message.h"
#include "cairn-paged-list.h"
#include "cairn-sync-client.h"
#include "cairn-workspace.h"
#include "convex-peer.h"
#include "fake-network-monitor.h"
#include "jump-clock.h"
#include "test-keyring.h"
#include "test-util.h"

#define SECRET    "live-s3cret-5e4d3c2b1a09"
#define ADMIN_KEY "dev:cairn-test|" SECRET
/* how long anything that should appear by itself may take */
#define LIVE_TIMEOUT_MS 5000

static ConvexPeer *peer;
static GString *captured_logs;

typedef struct {
  TestKeyring     *keyring;
  char            *dir;
  CairnLocalStore *store_a;
  CairnLocalStore *store_b;
  CairnWorkspace  *a;
  CairnWorkspace  *b;
} Fixture;

static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      {
        g_string_append_len (captured_logs, fields[i].value,
                             fields[i].length < 0 ? (gssize) strlen (fields[i].value) : fields[i].length);
        g_string_append_c (captured_logs, '\n');
      }

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_default (level, fields, n_fields, user_data);

  return G_LOG_WRITER_HANDLED;
}

static CairnConnection *
connection_of (CairnWorkspace *workspace)
{
  CairnConnection *connection = cairn_byod_get_connection (cairn_workspace_get_byod (workspace));

  g_assert_nonnull (connection);
  return connection;
}

static CairnSyncClient *
sync_of (CairnWorkspace *workspace)
{
  return cairn_connection_get_sync (connection_of (workspace));
}

static void
enable (CairnWorkspace *workspace,
        ConvexPeer     *on)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ping = json_object_new ();
  CairnConnection *connection;

  json_object_set_int_member (ping, "schemaVersion", CAIRN_SCHEMA_VERSION);
  cairn_byod_enable_async (cairn_workspace_get_byod (workspace), convex_peer_get_url (on), ADMIN_KEY, ping, NULL,
                           test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_byod_enable_finish (cairn_workspace_get_byod (workspace), result, &error));
  g_assert_no_error (error);

  connection = connection_of (workspace);
  while (cairn_connection_get_state (connection) == CAIRN_CONNECTION_CONNECTING ||
         cairn_connection_get_probing (connection))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (cairn_connection_get_state (connection), ==, CAIRN_CONNECTION_CONNECTED);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *path_a = NULL;
  g_autofree char *path_b = NULL;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  f->keyring = test_keyring_start ();
  f->dir = test_util_make_tmp_dir ("cairn-live-XXXXXX");
  path_a = g_build_filename (f->dir, "a.db", NULL);
  path_b = g_build_filename (f->dir, "b.db", NULL);
  f->a = test_util_open_workspace (path_a, &f->store_a);
  f->b = test_util_open_workspace (path_b, &f->store_b);
  enable (f->a, peer);
  enable (f->b, peer);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  test_util_close_workspace (&f->a, &f->store_a);
  test_util_close_workspace (&f->b, &f->store_b);
  test_keyring_free (f->keyring);
  test_util_remove_tree (f->dir);
  g_free (f->dir);

  /* the Authenticate frame carried the key: nothing logged it */
  g_assert_null (strstr (captured_logs->str, SECRET));
}

/* Waiting --------------------------------------------------------------------- */

typedef struct {
  CairnPagedList *list;
  const char     *client_id;
  const char     *text;     /* (nullable) a message's content to look for instead */
} Find;

static gboolean
list_has (gpointer data)
{
  Find *find = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (find->list));

  if (find->client_id != NULL)
    return cairn_paged_list_find (find->list, find->client_id, NULL) != NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CairnMessage) message = g_list_model_get_item (G_LIST_MODEL (find->list), i);

      if (g_strcmp0 (cairn_message_get_content (message), find->text) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
list_lacks (gpointer data)
{
  return !list_has (data);
}

static gboolean
list_loaded (gpointer data)
{
  return !cairn_paged_list_get_loading (data);
}

static gboolean
sync_live (gpointer data)
{
  return cairn_sync_client_get_state (data) == CAIRN_SYNC_LIVE;
}

static gboolean
sync_refused (gpointer data)
{
  return cairn_sync_client_get_state (data) == CAIRN_SYNC_REFUSED;
}

static gboolean
blocked (gpointer data)
{
  return cairn_connection_get_state (data) == CAIRN_CONNECTION_BLOCKED;
}

static CairnPagedList *
loaded (CairnPagedList *list)
{
  g_assert_true (test_util_wait_until (list_loaded, list, LIVE_TIMEOUT_MS));
  g_assert_null (cairn_paged_list_get_error (list));

  return list;
}

/* Sent on @workspace and acknowledged by the deployment, not only queued. */
static CairnMessage *
send (CairnWorkspace *workspace,
      const char     *conversation_id,
      const char     *text)
{
  g_autoptr(GError) error = NULL;
  CairnMessage *message = test_util_send_message (workspace, conversation_id, text, &error);

  g_assert_no_error (error);
  while (cairn_outbox_delivery_get_count (cairn_workspace_get_delivery (workspace)) > 0)
    g_main_context_iteration (NULL, TRUE);

  return message;
}

static guint
count_of (CairnPagedList *list,
          const char     *text)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  guint found = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CairnMessage) message = g_list_model_get_item (G_LIST_MODEL (list), i);

      found += g_strcmp0 (cairn_message_get_content (message), text) == 0;
    }

  return found;
}

static gint64
sync_count (const char *what)
{
  g_autoptr(JsonObject) stats = convex_peer_get_stats (peer);
  JsonObject *sync = json_object_get_object_member (stats, "sync");

  return json_object_get_int_member_with_default (sync, what, 0);
}

/* Tests ----------------------------------------------------------------------- */

/* A new conversation in B's sidebar, then A's message in B's open
 * conversation: B does nothing but wait. */
static void
test_other_computer (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CairnPagedList) sidebar = loaded (cairn_conversations_list (f->b));
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(CairnPagedList) messages = NULL;
  g_autoptr(CairnMessage) sent = NULL;
  Find find = { sidebar, NULL, NULL };
  gint64 start;

  g_assert_true (test_util_wait_until (sync_live, sync_of (f->b), LIVE_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sidebar)), ==, 0);

  conversation = test_util_create_conversation (f->a, "Written on A");
  find.client_id = cairn_conversation_get_client_id (conversation);
  g_assert_true (test_util_wait_until (list_has, &find, LIVE_TIMEOUT_MS));

  messages = loaded (cairn_conversations_list_messages (f->b, cairn_conversation_get_client_id (conversation)));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 0);

  start = g_get_monotonic_time ();
  sent = send (f->a, cairn_conversation_get_client_id (conversation), "Hello from A");
  find = (Find) { messages, cairn_message_get_client_id (sent), NULL };
  g_assert_true (test_util_wait_until (list_has, &find, LIVE_TIMEOUT_MS));
  g_test_message ("sent on A → in B's list: %.1f ms", (g_get_monotonic_time () - start) / 1000.0);

  /* once, and as sent */
  test_util_run_for (200);
  g_assert_cmpuint (count_of (messages, "Hello from A"), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 1);

  /* removed on A: gone from B's sidebar */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    cairn_conversations_delete_async (f->a, cairn_conversation_get_client_id (conversation), NULL,
                                      test_util_result_cb, &result);
    test_util_wait_for_result (&result);
    g_assert_true (cairn_conversations_delete_finish (f->a, result, &error));
    g_assert_no_error (error);
  }
  find = (Find) { sidebar, cairn_conversation_get_client_id (conversation), NULL };
  g_assert_true (test_util_wait_until (list_lacks, &find, LIVE_TIMEOUT_MS));
}

/* Newer messages push older ones off a full first page: those are not
 * removed from B's list, only the new one is added. */
static void
test_full_page (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->a, "Long");
  const char *id = cairn_conversation_get_client_id (conversation);
  g_autoptr(CairnPagedList) messages = NULL;
  guint before;
  Find find;

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u", i);
      g_autoptr(CairnMessage) message = send (f->a, id, text);
    }

  messages = loaded (cairn_conversations_list_messages (f->b, id));
  g_assert_true (test_util_wait_until (sync_live, sync_of (f->b), LIVE_TIMEOUT_MS));
  before = g_list_model_get_n_items (G_LIST_MODEL (messages));
  g_assert_cmpuint (before, <, 60);

  {
    g_autoptr(CairnMessage) newest = send (f->a, id, "Message 60");

    find = (Find) { messages, cairn_message_get_client_id (newest), NULL };
    g_assert_true (test_util_wait_until (list_has, &find, LIVE_TIMEOUT_MS));
  }
  test_util_run_for (300);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, before + 1);
  g_assert_cmpuint (count_of (messages, "Message 59"), ==, 1);
}

/* The socket dropped: what A writes meanwhile reaches B after the reconnect. */
static void
test_dropped (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->a, "Gap");
  const char *id = cairn_conversation_get_client_id (conversation);
  g_autoptr(CairnPagedList) messages = loaded (cairn_conversations_list_messages (f->b, id));
  g_autoptr(CairnMessage) during = NULL;
  gint64 connections;
  Find find;

  g_assert_true (test_util_wait_until (sync_live, sync_of (f->b), LIVE_TIMEOUT_MS));
  connections = sync_count ("connections");

  /* every socket closes without a close frame; A writes over HTTP at once */
  convex_peer_control (peer, "sync", "{\"drop\": true}");
  during = send (f->a, id, "Written during the gap");

  find = (Find) { messages, cairn_message_get_client_id (during), NULL };
  g_assert_true (test_util_wait_until (list_has, &find, LIVE_TIMEOUT_MS));
  g_assert_cmpint (sync_count ("connections"), >, connections);
  g_assert_cmpuint (cairn_connection_get_state (connection_of (f->b)), ==, CAIRN_CONNECTION_CONNECTED);
}

/* A proxy that refuses WebSockets: B polls, and is not blocked. */
static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = test_util_create_conversation (f->a, "Polled");
  const char *id = cairn_conversation_get_client_id (conversation);
  g_autoptr(CairnPagedList) messages = NULL;
  g_autoptr(CairnLiveQuery) live = NULL;
  g_autoptr(CairnMessage) sent = NULL;
  Find find;

  convex_peer_control (peer, "sync", "{\"refuse\": true}");
  convex_peer_control (peer, "sync", "{\"drop\": true}");
  messages = loaded (cairn_conversations_list_messages (f->b, id));
  g_assert_true (test_util_wait_until (sync_refused, sync_of (f->b), LIVE_TIMEOUT_MS));
  g_assert_cmpuint (cairn_connection_get_state (connection_of (f->b)), ==, CAIRN_CONNECTION_CONNECTED);

  sent = send (f->a, id, "Seen by polling");
  find = (Find) { messages, cairn_message_get_client_id (sent), NULL };
  g_assert_true (test_util_wait_until (list_has, &find, CAIRN_LIVE_QUERY_POLL_MS + LIVE_TIMEOUT_MS));
  g_assert_cmpuint (cairn_connection_get_state (connection_of (f->b)), ==, CAIRN_CONNECTION_CONNECTED);

  /* allowed again: a resync (a network change) brings the socket back */
  convex_peer_control (peer, "sync", "{\"refuse\": false}");
  cairn_sync_client_resync (sync_of (f->b));
  g_assert_true (test_util_wait_until (sync_live, sync_of (f->b), LIVE_TIMEOUT_MS));
}

/* The deployment gone for longer than the retries: blocked, as for HTTP. */
static void
test_lost_blocks (Fixture       *f,
                  gconstpointer  data)
{
  ConvexPeer *own = convex_peer_start (ADMIN_KEY, NULL);
  g_autofree char *path = g_build_filename (f->dir, "c.db", NULL);
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(CairnWorkspace) workspace = test_util_open_workspace (path, &store);
  g_autoptr(CairnPagedList) sidebar = NULL;

  enable (workspace, own);
  sidebar = loaded (cairn_conversations_list (workspace));
  g_assert_true (test_util_wait_until (sync_live, sync_of (workspace), LIVE_TIMEOUT_MS));

  convex_peer_stop (own);
  g_assert_true (test_util_wait_until (blocked, connection_of (workspace), LIVE_TIMEOUT_MS));
  g_assert_cmpuint (cairn_connection_get_reason (connection_of (workspace)), ==, CAIRN_BLOCK_REASON_UNREACHABLE);

  g_clear_object (&sidebar);
  test_util_close_workspace (&workspace, &store);
  convex_peer_free (own);
}

/* A connection of its own to the peer, on @clock and @monitor, connected,
 * with the sidebar's listing followed live: the socket open. */
static CairnConnection *
live_connection (CairnClock      *clock,
                 GNetworkMonitor *monitor,
                 CairnLiveQuery **live)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(JsonNode) not_archived = json_node_init_boolean (json_node_alloc (), FALSE);
  CairnConnection *connection;

  g_assert_no_error (error);
  cairn_query_add_equal (query, not_archived);
  cairn_query_set_descending (query, TRUE);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  connection = cairn_connection_new ("default", client, clock, monitor);
  cairn_connection_start (connection);
  while (cairn_connection_get_state (connection) != CAIRN_CONNECTION_CONNECTED)
    g_main_context_iteration (NULL, TRUE);

  *live = cairn_connection_watch (connection, query);
  g_assert_true (test_util_wait_until (sync_live, cairn_connection_get_sync (connection), LIVE_TIMEOUT_MS));

  return connection;
}

/* Back from suspend (the wall clock 40 s ahead of a 10 s timer): the
 * socket is opened again at once, without waiting for it to time out. */
static void
test_wake (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JumpClock) clock = jump_clock_new ();
  g_autoptr(CairnLiveQuery) live = NULL;
  g_autoptr(CairnConnection) connection = live_connection (CAIRN_CLOCK (clock), NULL, &live);
  gint64 connects = sync_count ("connections");

  jump_clock_jump (clock, 40000);
  g_assert_true (test_util_wait_until (sync_live, cairn_connection_get_sync (connection), LIVE_TIMEOUT_MS));
  g_assert_cmpint (sync_count ("connections"), ==, connects + 1);
}

/* The network changed (another Wi-Fi, a cable): the socket is opened again
 * at once; the connection does not block meanwhile. */
static void
test_network_change (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JumpClock) clock = jump_clock_new ();
  g_autoptr(FakeNetworkMonitor) monitor = fake_network_monitor_new ();
  g_autoptr(CairnLiveQuery) live = NULL;
  g_autoptr(CairnConnection) connection = live_connection (CAIRN_CLOCK (clock), G_NETWORK_MONITOR (monitor), &live);
  gint64 connects = sync_count ("connections");

  fake_network_monitor_set_available (monitor, TRUE);
  g_assert_true (test_util_wait_until (sync_live, cairn_connection_get_sync (connection), LIVE_TIMEOUT_MS));
  g_assert_cmpint (sync_count ("connections"), ==, connects + 1);
  g_assert_cmpuint (cairn_connection_get_state (connection), ==, CAIRN_CONNECTION_CONNECTED);
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
  ADD ("/live/other-computer", test_other_computer);
  ADD ("/live/full-page", test_full_page);
  ADD ("/live/dropped", test_dropped);
  ADD ("/live/refused", test_refused);
  ADD ("/live/lost-blocks", test_lost_blocks);
  ADD ("/live/wake", test_wake);
  ADD ("/live/network-change", test_network_change);
#undef ADD

  peer = convex_peer_start (ADMIN_KEY, NULL);
  ret = g_test_run ();
  convex_peer_free (peer);
  test_keyring_bus_stop ();
  g_string_free (captured_logs, TRUE);

  return ret;
}
