/* cairn-conversations.c
 *
 * What the UI does with conversations, their messages and drafts, built on
 * the workspace's generic calls: routing, the outbox and the change signals
 * stay the workspace's. The tasks here are the workspace's too (it is their
 * source object), so a caller hears back even after dropping its own
 * reference to anything else.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-conversations"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-clock.h"
#include "cairn-conversation.h"
#include "cairn-conversations.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-message.h"
#include "cairn-paged-list.h"
#include "cairn-schema.h"
#include "cairn-store.h"
#include "cairn-workspace.h"

static GTask *
task_new (CairnWorkspace      *workspace,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  GTask *task = g_task_new (workspace, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);

  return task;
}

static JsonObject *
conversation_document (CairnClock *clock,
                       const char *title)
{
  JsonObject *document = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();
  gint64 now = cairn_clock_get_real_time_ms (clock);

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "title", title);
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", FALSE);
  json_object_set_double_member (document, "createdAt", now);
  json_object_set_double_member (document, "updatedAt", now);

  return document;
}

static JsonObject *
message_document (CairnClock *clock,
                  const char *conversation_id,
                  const char *content)
{
  JsonObject *document = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "conversationId", conversation_id);
  json_object_set_string_member (document, "role", "user");
  json_object_set_string_member (document, "content", content);
  json_object_set_double_member (document, "createdAt", cairn_clock_get_real_time_ms (clock));

  return document;
}

/* Callbacks ---------------------------------------------------------------- */

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  document = cairn_workspace_insert_finish (CAIRN_WORKSPACE (object), result, &error);
  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, cairn_conversation_new (document), g_object_unref);
}

static void
draft_removed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The conversation is gone either way; a stale draft only costs a row. */
  if (!cairn_workspace_remove_finish (CAIRN_WORKSPACE (object), result, &error))
    g_debug ("Could not remove the draft of a deleted conversation: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *workspace = CAIRN_WORKSPACE (object);

  if (!cairn_workspace_remove_finish (workspace, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The draft of a deleted conversation has nothing left to belong to. */
  cairn_workspace_remove_async (workspace, "drafts", g_task_get_task_data (task),
                                NULL, draft_removed_cb, g_object_ref (task));
}

static void
renamed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = cairn_workspace_patch_finish (CAIRN_WORKSPACE (object), result, &error);

  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
touch_conversation_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  /* The message itself is saved; a conversation that could not be moved to
   * the top of the list is not worth failing the send for. */
  document = cairn_workspace_patch_finish (CAIRN_WORKSPACE (object), result, &error);
  if (document == NULL)
    g_debug ("Could not update the conversation's time: %s", error->message);

  g_task_return_pointer (task, g_object_ref (g_task_get_task_data (task)), g_object_unref);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;
  g_autoptr(JsonObject) touch = NULL;
  CairnWorkspace *workspace = CAIRN_WORKSPACE (object);
  CairnMessage *message;

  document = cairn_workspace_insert_finish (workspace, result, &error);
  if (document == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  message = cairn_message_new (document);
  g_task_set_task_data (task, message, g_object_unref);

  touch = json_object_new ();
  json_object_set_double_member (touch, "updatedAt", cairn_json_get_number (document, "createdAt"));
  cairn_workspace_patch_async (workspace, "conversations", cairn_message_get_conversation_id (message), touch,
                               g_task_get_cancellable (task), touch_conversation_cb, g_object_ref (task));
}

static void
draft_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  document = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);
  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
draft_emptied_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!cairn_workspace_remove_finish (CAIRN_WORKSPACE (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
draft_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  document = cairn_workspace_get_finish (CAIRN_WORKSPACE (object), result, &error);
  if (document != NULL)
    g_task_return_pointer (task, g_strdup (cairn_json_get_string (document, "content")), g_free);
  else if (g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
    g_task_return_pointer (task, g_strdup (""), g_free);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

/* Lists -------------------------------------------------------------------- */

/**
 * cairn_conversations_list:
 *
 * Returns: (transfer full): the conversations that are not archived, most
 *   recently updated first
 */
CairnPagedList *
cairn_conversations_list (CairnWorkspace *workspace)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(JsonNode) not_archived = json_node_init_boolean (json_node_alloc (), FALSE);

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (workspace), NULL);

  cairn_query_add_equal (query, not_archived);
  cairn_query_set_descending (query, TRUE);

  return cairn_paged_list_new (workspace, query, CAIRN_TYPE_CONVERSATION, FALSE);
}

/**
 * cairn_conversations_list_messages:
 *
 * Returns: (transfer full): the messages of a conversation, oldest on top,
 *   loaded from the newest backwards
 */
CairnPagedList *
cairn_conversations_list_messages (CairnWorkspace *workspace,
                                   const char     *conversation_id)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("messages", "by_conversation");

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  cairn_query_add_equal_string (query, conversation_id);
  cairn_query_set_descending (query, TRUE);
  /* a screenful: every row of a page is measured before the view can show it */
  cairn_query_set_page_size (query, CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);

  return cairn_paged_list_new (workspace, query, CAIRN_TYPE_MESSAGE, TRUE);
}

/* Conversations ------------------------------------------------------------ */

void
cairn_conversations_create_async (CairnWorkspace      *workspace,
                                  const char          *title,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) document = NULL;
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (workspace));

  task = task_new (workspace, cancellable, callback, user_data, cairn_conversations_create_async);
  document = conversation_document (cairn_workspace_get_clock (workspace),
                                    title != NULL ? title : _("New Conversation"));
  cairn_workspace_insert_async (workspace, "conversations", document, cancellable, created_cb, task);
}

CairnConversation *
cairn_conversations_create_finish (CairnWorkspace  *workspace,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, workspace), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_conversations_rename_async (CairnWorkspace      *workspace,
                                  const char          *conversation_id,
                                  const char          *title,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (title != NULL ? title : ""));
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (workspace));

  task = task_new (workspace, cancellable, callback, user_data, cairn_conversations_rename_async);

  /* a blank title is refused by the stores (cairn_schema_validate_patch()) */
  fields = json_object_new ();
  json_object_set_string_member (fields, "title", stripped);
  cairn_workspace_patch_async (workspace, "conversations", conversation_id, fields, cancellable,
                               renamed_cb, task);
}

gboolean
cairn_conversations_rename_finish (CairnWorkspace  *workspace,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, workspace), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Removing a conversation removes its messages with it (the stores cascade). */
void
cairn_conversations_delete_async (CairnWorkspace      *workspace,
                                  const char          *conversation_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (workspace));

  task = task_new (workspace, cancellable, callback, user_data, cairn_conversations_delete_async);
  g_task_set_task_data (task, g_strdup (conversation_id), g_free);

  cairn_workspace_remove_async (workspace, "conversations", conversation_id, cancellable, deleted_cb, task);
}

gboolean
cairn_conversations_delete_finish (CairnWorkspace  *workspace,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, workspace), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Messages and drafts ------------------------------------------------------ */

void
cairn_conversations_send_message_async (CairnWorkspace      *workspace,
                                        const char          *conversation_id,
                                        const char          *content,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) document = NULL;

  g_return_if_fail (CAIRN_IS_WORKSPACE (workspace));

  task = task_new (workspace, cancellable, callback, user_data, cairn_conversations_send_message_async);

  if (!cairn_is_client_id (conversation_id))
    {
      g_task_return_new_error (task, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                               _("Choose a conversation first."));
      return;
    }

  /* empty or too long, the stores refuse it (cairn_schema_validate_document()) */
  document = message_document (cairn_workspace_get_clock (workspace), conversation_id,
                               content != NULL ? content : "");
  cairn_workspace_insert_async (workspace, "messages", document, cancellable,
                                sent_cb, g_steal_pointer (&task));
}

CairnMessage *
cairn_conversations_send_message_finish (CairnWorkspace  *workspace,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, workspace), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * cairn_conversations_save_draft_async:
 * @text: what the composer holds; empty removes the draft
 */
void
cairn_conversations_save_draft_async (CairnWorkspace      *workspace,
                                      const char          *conversation_id,
                                      const char          *text,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) draft = NULL;
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (workspace));

  task = task_new (workspace, cancellable, callback, user_data, cairn_conversations_save_draft_async);

  if (text == NULL || *text == '\0')
    {
      cairn_workspace_remove_async (workspace, "drafts", conversation_id, cancellable, draft_emptied_cb, task);
      return;
    }

  draft = json_object_new ();
  json_object_set_string_member (draft, "clientId", conversation_id);
  json_object_set_string_member (draft, "content", text);
  json_object_set_double_member (draft, "updatedAt", cairn_clock_get_real_time_ms (cairn_workspace_get_clock (workspace)));
  cairn_store_upsert_async (cairn_workspace_store_for_table (workspace, "drafts"), "drafts", draft, cancellable,
                            draft_saved_cb, task);
}

gboolean
cairn_conversations_save_draft_finish (CairnWorkspace  *workspace,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, workspace), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cairn_conversations_load_draft_async (CairnWorkspace      *workspace,
                                      const char          *conversation_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (workspace));

  task = task_new (workspace, cancellable, callback, user_data, cairn_conversations_load_draft_async);
  cairn_workspace_get_async (workspace, "drafts", conversation_id, cancellable, draft_loaded_cb, task);
}

/**
 * cairn_conversations_load_draft_finish:
 *
 * Returns: (transfer full): the draft, "" when there is none
 */
char *
cairn_conversations_load_draft_finish (CairnWorkspace  *workspace,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, workspace), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
