/* cairn-conversation-list.h — the sidebar: every conversation, newest first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_CONVERSATION_LIST (cairn_conversation_list_get_type ())

G_DECLARE_FINAL_TYPE (CairnConversationList, cairn_conversation_list, CAIRN, CONVERSATION_LIST, GtkWidget)

GtkWidget         *cairn_conversation_list_new                      (CairnWorkspace        *workspace);
CairnWorkspace    *cairn_conversation_list_get_workspace            (CairnConversationList *self);
void               cairn_conversation_list_set_workspace            (CairnConversationList *self,
                                                                     CairnWorkspace        *workspace);
GListModel        *cairn_conversation_list_get_model                (CairnConversationList *self);
CairnConversation *cairn_conversation_list_get_selected_conversation (CairnConversationList *self);
void               cairn_conversation_list_select                   (CairnConversationList *self,
                                                                     const char            *client_id);

G_END_DECLS
