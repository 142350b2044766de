/* cairn-conversation-view.h — the messages of one conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_CONVERSATION_VIEW (cairn_conversation_view_get_type ())

G_DECLARE_FINAL_TYPE (CairnConversationView, cairn_conversation_view, CAIRN, CONVERSATION_VIEW, GtkWidget)

GtkWidget         *cairn_conversation_view_new              (CairnWorkspace        *workspace);
CairnWorkspace    *cairn_conversation_view_get_workspace    (CairnConversationView *self);
void               cairn_conversation_view_set_workspace    (CairnConversationView *self,
                                                             CairnWorkspace        *workspace);
CairnConversation *cairn_conversation_view_get_conversation (CairnConversationView *self);
void               cairn_conversation_view_set_conversation (CairnConversationView *self,
                                                             CairnConversation     *conversation);
GListModel        *cairn_conversation_view_get_messages     (CairnConversationView *self);
void               cairn_conversation_view_scroll_to_end    (CairnConversationView *self);

G_END_DECLS
