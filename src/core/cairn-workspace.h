/* cairn-workspace.h — one set of content: the data-access layer the UI talks to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cairn-byod-config.h"
#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-content-mover.h"
#include "cairn-conversation.h"
#include "cairn-convex-client.h"
#include "cairn-message.h"
#include "cairn-paged-list.h"
#include "cairn-store.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_WORKSPACE (cairn_workspace_get_type ())

/* Messages load by the screenful, conversations by CAIRN_QUERY_DEFAULT_PAGE_SIZE. */
#define CAIRN_WORKSPACE_MESSAGES_PAGE_SIZE 25

G_DECLARE_FINAL_TYPE (CairnWorkspace, cairn_workspace, CAIRN, WORKSPACE, GObject)

CairnWorkspace    *cairn_workspace_new                        (const char           *id,
                                                               CairnStore           *main_store);
const char        *cairn_workspace_get_id                     (CairnWorkspace       *self);
CairnStore        *cairn_workspace_get_main_store             (CairnWorkspace       *self);
CairnStore        *cairn_workspace_get_user_store             (CairnWorkspace       *self);
void               cairn_workspace_set_user_store             (CairnWorkspace       *self,
                                                               CairnStore           *user_store);
gboolean           cairn_workspace_get_byod_enabled           (CairnWorkspace       *self);
CairnStore        *cairn_workspace_store_for_table            (CairnWorkspace       *self,
                                                               const char           *table);

/* Generic document access, routed per table; emits the change signals. */
void               cairn_workspace_list_async                 (CairnWorkspace       *self,
                                                               const CairnQuery     *query,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
CairnPage         *cairn_workspace_list_finish                (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_get_async                  (CairnWorkspace       *self,
                                                               const char           *table,
                                                               const char           *client_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
JsonObject        *cairn_workspace_get_finish                 (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_insert_async               (CairnWorkspace       *self,
                                                               const char           *table,
                                                               JsonObject           *document,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
JsonObject        *cairn_workspace_insert_finish              (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_patch_async                (CairnWorkspace       *self,
                                                               const char           *table,
                                                               const char           *client_id,
                                                               JsonObject           *fields,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
JsonObject        *cairn_workspace_patch_finish               (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_remove_async               (CairnWorkspace       *self,
                                                               const char           *table,
                                                               const char           *client_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_remove_finish              (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

/* Typed helpers for the UI. */
CairnPagedList    *cairn_workspace_list_conversations         (CairnWorkspace       *self);
CairnPagedList    *cairn_workspace_list_messages              (CairnWorkspace       *self,
                                                               const char           *conversation_id);
void               cairn_workspace_create_conversation_async  (CairnWorkspace       *self,
                                                               const char           *title,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
CairnConversation *cairn_workspace_create_conversation_finish (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_rename_conversation_async  (CairnWorkspace       *self,
                                                               const char           *conversation_id,
                                                               const char           *title,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_rename_conversation_finish (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_delete_conversation_async  (CairnWorkspace       *self,
                                                               const char           *conversation_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_delete_conversation_finish (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_send_message_async         (CairnWorkspace       *self,
                                                               const char           *conversation_id,
                                                               const char           *content,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
CairnMessage      *cairn_workspace_send_message_finish        (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_save_draft_async           (CairnWorkspace       *self,
                                                               const char           *conversation_id,
                                                               const char           *text,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_save_draft_finish          (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_load_draft_async           (CairnWorkspace       *self,
                                                               const char           *conversation_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
char              *cairn_workspace_load_draft_finish          (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

/* Bring Your Own Database (cairn-workspace-byod.c) */
const CairnByodConfig *cairn_workspace_get_byod_config    (CairnWorkspace       *self);
CairnConvexClient *cairn_workspace_get_client                 (CairnWorkspace       *self,
                                                               const char           *url);
void               cairn_workspace_enable_byod_async          (CairnWorkspace       *self,
                                                               const char           *url,
                                                               const char           *key,
                                                               JsonObject           *ping,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_enable_byod_finish         (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_disable_byod_async         (CairnWorkspace       *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_disable_byod_finish        (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_restore_byod_async         (CairnWorkspace       *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_restore_byod_finish        (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_record_check_async         (CairnWorkspace       *self,
                                                               JsonObject           *ping,
                                                               const GError         *failure,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
guint              cairn_workspace_get_outbox_count           (CairnWorkspace       *self);
GPtrArray         *cairn_workspace_list_pending               (CairnWorkspace       *self,
                                                               const char           *table);
void               cairn_workspace_retry_write_async          (CairnWorkspace       *self,
                                                               const char           *table,
                                                               const char           *client_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_retry_write_finish         (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
void               cairn_workspace_discard_write_async        (CairnWorkspace       *self,
                                                               const char           *table,
                                                               const char           *client_id,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
gboolean           cairn_workspace_discard_write_finish       (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
CairnConnection   *cairn_workspace_get_connection             (CairnWorkspace       *self);
void               cairn_workspace_set_health_check_interval  (CairnWorkspace       *self,
                                                               guint                 seconds);
CairnContentMover *cairn_workspace_new_content_mover          (CairnWorkspace       *self,
                                                               CairnContentMoveDirection direction);
gboolean           cairn_workspace_record_check_finish        (CairnWorkspace       *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

G_END_DECLS
