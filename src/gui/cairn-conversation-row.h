/* cairn-conversation-row.h — one conversation in the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_CONVERSATION_ROW (cairn_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (CairnConversationRow, cairn_conversation_row, CAIRN, CONVERSATION_ROW, GtkWidget)

GtkWidget         *cairn_conversation_row_new              (void);
CairnConversation *cairn_conversation_row_get_conversation (CairnConversationRow *self);
void               cairn_conversation_row_set_conversation (CairnConversationRow *self,
                                                            CairnConversation    *conversation);

G_END_DECLS
