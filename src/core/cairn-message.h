/* cairn-message.h — a message as the UI shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_MESSAGE (cairn_message_get_type ())

G_DECLARE_FINAL_TYPE (CairnMessage, cairn_message, CAIRN, MESSAGE, GObject)

CairnMessage *cairn_message_new                 (JsonObject   *document);
JsonObject   *cairn_message_get_document        (CairnMessage *self);
const char   *cairn_message_get_client_id       (CairnMessage *self);
const char   *cairn_message_get_conversation_id (CairnMessage *self);
const char   *cairn_message_get_role            (CairnMessage *self);
const char   *cairn_message_get_content         (CairnMessage *self);
gint64        cairn_message_get_created_at      (CairnMessage *self);
gboolean      cairn_message_get_pending         (CairnMessage *self);
const char   *cairn_message_get_failure         (CairnMessage *self);

G_END_DECLS
