/* cairn-conversations.h — conversations, their messages and drafts, on top of a workspace
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-types.h"

G_BEGIN_DECLS

/* Messages load by the screenful, conversations by CAIRN_QUERY_DEFAULT_PAGE_SIZE. */
#define CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE 25

CairnPagedList    *cairn_conversations_list                (CairnWorkspace       *workspace);
CairnPagedList    *cairn_conversations_list_messages       (CairnWorkspace       *workspace,
                                                            const char           *conversation_id);
void               cairn_conversations_create_async        (CairnWorkspace       *workspace,
                                                            const char           *title,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
CairnConversation *cairn_conversations_create_finish       (CairnWorkspace       *workspace,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void               cairn_conversations_rename_async        (CairnWorkspace       *workspace,
                                                            const char           *conversation_id,
                                                            const char           *title,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean           cairn_conversations_rename_finish       (CairnWorkspace       *workspace,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void               cairn_conversations_delete_async        (CairnWorkspace       *workspace,
                                                            const char           *conversation_id,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean           cairn_conversations_delete_finish       (CairnWorkspace       *workspace,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void               cairn_conversations_send_message_async  (CairnWorkspace       *workspace,
                                                            const char           *conversation_id,
                                                            const char           *content,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
CairnMessage      *cairn_conversations_send_message_finish (CairnWorkspace       *workspace,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void               cairn_conversations_save_draft_async    (CairnWorkspace       *workspace,
                                                            const char           *conversation_id,
                                                            const char           *text,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean           cairn_conversations_save_draft_finish   (CairnWorkspace       *workspace,
                                                            GAsyncResult         *result,
                                                            GError              **error);
void               cairn_conversations_load_draft_async    (CairnWorkspace       *workspace,
                                                            const char           *conversation_id,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
char              *cairn_conversations_load_draft_finish   (CairnWorkspace       *workspace,
                                                            GAsyncResult         *result,
                                                            GError              **error);

G_END_DECLS
