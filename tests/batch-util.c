/* batch-util.c — documents and queued writes for the batch tests and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "batch-util.h"
#include "cairn-convex-store.h"
#include "cairn-json.h"
#include "test-util.h"

void
batch_stores_setup (ConvexPeer        *peer,
                    const char        *admin_key,
                    const char        *dir_template,
                    char             **dir,
                    char             **path,
                    CairnLocalStore  **local,
                    CairnStore       **remote)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  g_autofree char *file = NULL;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  *dir = g_dir_make_tmp (dir_template, &error);
  g_assert_no_error (error);
  file = g_build_filename (*dir, "cairn.db", NULL);
  *local = cairn_local_store_new (file, &error);
  g_assert_no_error (error);

  client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, admin_key);
  *remote = CAIRN_STORE (cairn_convex_store_new (client));
  if (path != NULL)
    *path = g_steal_pointer (&file);
}

void
batch_stores_teardown (ConvexPeer        *peer,
                       char             **dir,
                       CairnLocalStore  **local,
                       CairnStore       **remote)
{
  convex_peer_control (peer, "reset", "{}");
  g_assert_finalize_object (*remote);
  g_assert_finalize_object (*local);
  test_util_remove_tree (*dir);
  g_clear_pointer (dir, g_free);
}

JsonObject *
batch_conversation (guint i)
{
  JsonObject *conversation = json_object_new ();
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *title = g_strdup_printf ("Conversation %u", i);

  json_object_set_string_member (conversation, "clientId", id);
  json_object_set_string_member (conversation, "title", title);
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", 1000 + i);
  json_object_set_double_member (conversation, "updatedAt", 1000 + i);

  return conversation;
}

JsonObject *
batch_message (const char *conversation_id,
               guint       i)
{
  JsonObject *message = json_object_new ();
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *content = g_strdup_printf ("message %u: a line or two of what was said, as people write them", i);

  json_object_set_string_member (message, "clientId", id);
  json_object_set_string_member (message, "conversationId", conversation_id);
  json_object_set_string_member (message, "role", i % 2 == 0 ? "user" : "assistant");
  json_object_set_string_member (message, "content", content);
  json_object_set_double_member (message, "createdAt", 2000 + i);

  return message;
}

JsonObject *
batch_note (guint i)
{
  JsonObject *note = json_object_new ();
  g_autofree char *id = g_uuid_string_random ();

  json_object_set_string_member (note, "clientId", id);
  json_object_set_string_member (note, "title", "A note");
  json_object_set_string_member (note, "content", "Remember the milk");
  json_object_set_boolean_member (note, "pinned", FALSE);
  json_object_set_double_member (note, "createdAt", 3000 + i);
  json_object_set_double_member (note, "updatedAt", 3000 + i);

  return note;
}

static void
append (CairnOutbox          *outbox,
        CairnOutboxOperation  operation,
        const char           *table,
        const char           *document_id,
        JsonObject           *payload,
        BatchQueue           *queue)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cairn_outbox_append_async (outbox, operation, table, document_id, payload, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_nonnull (cairn_outbox_append_finish (outbox, result, &error));
  g_assert_no_error (error);
  queue->writes++;
}

void
batch_queue_outbox (CairnOutbox *outbox,
                    guint        conversations,
                    guint        messages,
                    guint        removed,
                    BatchQueue  *queue)
{
  queue->conversations = conversations;
  queue->kept = messages - removed;
  queue->removed = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < conversations; i++)
    {
      g_autoptr(JsonObject) conversation = batch_conversation (i);
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *title = g_strdup_printf ("Renamed %u", i);
      const char *id = cairn_json_get_string (conversation, "clientId");

      append (outbox, CAIRN_OUTBOX_INSERT, "conversations", id, conversation, queue);
      for (guint j = 0; j < messages; j++)
        {
          g_autoptr(JsonObject) message = batch_message (id, j);

          g_ptr_array_add (ids, g_strdup (cairn_json_get_string (message, "clientId")));
          append (outbox, CAIRN_OUTBOX_INSERT, "messages", g_ptr_array_index (ids, j), message, queue);
        }
      for (guint j = 0; j < removed; j++)
        {
          append (outbox, CAIRN_OUTBOX_REMOVE, "messages", g_ptr_array_index (ids, j), NULL, queue);
          g_ptr_array_add (queue->removed, g_strdup (g_ptr_array_index (ids, j)));
        }
      json_object_set_string_member (fields, "title", title);
      append (outbox, CAIRN_OUTBOX_PATCH, "conversations", id, fields, queue);
    }
}

void
batch_assert_queue_on_peer (ConvexPeer       *peer,
                            const BatchQueue *queue)
{
  g_autoptr(JsonObject) state = convex_peer_get_state (peer);
  JsonObject *tables = json_object_get_object_member (state, "tables");
  JsonArray *conversations = json_object_get_array_member (tables, "conversations");
  JsonArray *messages = json_object_get_array_member (tables, "messages");
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (json_array_get_length (conversations), ==, queue->conversations);
  for (guint i = 0; i < json_array_get_length (conversations); i++)
    {
      JsonObject *row = json_array_get_object_element (conversations, i);

      g_assert_cmpfloat (cairn_json_get_number (row, "messageCount"), ==, queue->kept);
      g_assert_true (g_str_has_prefix (cairn_json_get_string (row, "title"), "Renamed "));
      g_assert_true (g_hash_table_add (ids, (gpointer) cairn_json_get_string (row, "clientId")));
    }

  g_assert_cmpuint (json_array_get_length (messages), ==, queue->conversations * queue->kept);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    g_assert_true (g_hash_table_add (ids, (gpointer) cairn_json_get_string (json_array_get_object_element (messages, i),
                                                                             "clientId")));
  for (guint i = 0; i < queue->removed->len; i++)
    g_assert_false (g_hash_table_contains (ids, g_ptr_array_index (queue->removed, i)));
}

void
batch_queue_clear (BatchQueue *queue)
{
  g_clear_pointer (&queue->removed, g_ptr_array_unref);
}
