/* cairn-conversation.h — a conversation as the UI shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_CONVERSATION (cairn_conversation_get_type ())

G_DECLARE_FINAL_TYPE (CairnConversation, cairn_conversation, CAIRN, CONVERSATION, GObject)

/* Items of a CairnPagedList all share one contract: a read/write "document"
 * property (a JsonObject with a "clientId") from which every other property
 * is derived. */
CairnConversation *cairn_conversation_new            (JsonObject        *document);
JsonObject        *cairn_conversation_get_document   (CairnConversation *self);
const char        *cairn_conversation_get_client_id  (CairnConversation *self);
const char        *cairn_conversation_get_title      (CairnConversation *self);
gboolean           cairn_conversation_get_pinned     (CairnConversation *self);
gboolean           cairn_conversation_get_archived   (CairnConversation *self);
gint64             cairn_conversation_get_created_at (CairnConversation *self);
gint64             cairn_conversation_get_updated_at (CairnConversation *self);
gint64             cairn_conversation_get_message_count (CairnConversation *self);

G_END_DECLS
