/* cairn-conversation.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-conversation"

#include "cairn-conversation.h"
#include "cairn-json.h"

struct _CairnConversation
{
  GObject     parent_instance;
  JsonObject *document;
};

G_DEFINE_FINAL_TYPE (CairnConversation, cairn_conversation, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_CLIENT_ID,
  PROP_TITLE,
  PROP_PINNED,
  PROP_ARCHIVED,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_MESSAGE_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* -1 when @document has no count (written before the stores kept one, and
 * not migrated yet) or one that cannot be. */
static gint64
message_count (JsonObject *document)
{
  JsonNode *node = json_object_get_member (document, "messageCount");
  double count;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;

  count = cairn_json_get_number (document, "messageCount");

  return count >= 0 && count < (double) G_MAXINT64 ? (gint64) count : -1;
}

static void
cairn_conversation_set_document (CairnConversation *self,
                                 JsonObject        *document)
{
  g_autoptr(JsonObject) old = g_steal_pointer (&self->document);

  g_return_if_fail (document != NULL);

  self->document = json_object_ref (document);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  if (old == NULL || g_strcmp0 (cairn_json_get_string (old, "title"), cairn_conversation_get_title (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  if (old == NULL || cairn_json_get_boolean (old, "pinned") != cairn_conversation_get_pinned (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED]);
  if (old == NULL || cairn_json_get_boolean (old, "archived") != cairn_conversation_get_archived (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ARCHIVED]);
  if (old == NULL || cairn_json_get_number (old, "updatedAt") != cairn_json_get_number (document, "updatedAt"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
  if (old == NULL || message_count (old) != cairn_conversation_get_message_count (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE_COUNT]);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
cairn_conversation_finalize (GObject *object)
{
  CairnConversation *self = (CairnConversation *) object;

  g_clear_pointer (&self->document, json_object_unref);

  G_OBJECT_CLASS (cairn_conversation_parent_class)->finalize (object);
}

static void
cairn_conversation_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CairnConversation *self = CAIRN_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_boxed (value, self->document);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, cairn_conversation_get_client_id (self));
      break;
    case PROP_TITLE:
      g_value_set_string (value, cairn_conversation_get_title (self));
      break;
    case PROP_PINNED:
      g_value_set_boolean (value, cairn_conversation_get_pinned (self));
      break;
    case PROP_ARCHIVED:
      g_value_set_boolean (value, cairn_conversation_get_archived (self));
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, cairn_conversation_get_created_at (self));
      break;
    case PROP_UPDATED_AT:
      g_value_set_int64 (value, cairn_conversation_get_updated_at (self));
      break;
    case PROP_MESSAGE_COUNT:
      g_value_set_int64 (value, cairn_conversation_get_message_count (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  CairnConversation *self = CAIRN_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      cairn_conversation_set_document (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_conversation_class_init (CairnConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cairn_conversation_finalize;
  object_class->get_property = cairn_conversation_get_property;
  object_class->set_property = cairn_conversation_set_property;

  properties[PROP_DOCUMENT] =
    g_param_spec_boxed ("document", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT_ID] = g_param_spec_string ("client-id", NULL, NULL, NULL, ro);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, ro);
  properties[PROP_PINNED] = g_param_spec_boolean ("pinned", NULL, NULL, FALSE, ro);
  properties[PROP_ARCHIVED] = g_param_spec_boolean ("archived", NULL, NULL, FALSE, ro);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_UPDATED_AT] = g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * CairnConversation:message-count:
   *
   * How many messages the conversation has, as its store counts them; -1
   * when it does not know (a deployment's conversation not migrated yet).
   */
  properties[PROP_MESSAGE_COUNT] = g_param_spec_int64 ("message-count", NULL, NULL, -1, G_MAXINT64, -1, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_conversation_init (CairnConversation *self)
{
}

CairnConversation *
cairn_conversation_new (JsonObject *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  return g_object_new (CAIRN_TYPE_CONVERSATION, "document", document, NULL);
}

JsonObject *
cairn_conversation_get_document (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), NULL);

  return self->document;
}

const char *
cairn_conversation_get_client_id (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), NULL);

  return cairn_json_get_string (self->document, "clientId");
}

const char *
cairn_conversation_get_title (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), NULL);

  return cairn_json_get_string (self->document, "title");
}

gboolean
cairn_conversation_get_pinned (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), FALSE);

  return cairn_json_get_boolean (self->document, "pinned");
}

gboolean
cairn_conversation_get_archived (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), FALSE);

  return cairn_json_get_boolean (self->document, "archived");
}

gint64
cairn_conversation_get_created_at (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), 0);

  return (gint64) cairn_json_get_number (self->document, "createdAt");
}

gint64
cairn_conversation_get_updated_at (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), 0);

  return (gint64) cairn_json_get_number (self->document, "updatedAt");
}

gint64
cairn_conversation_get_message_count (CairnConversation *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVERSATION (self), -1);

  return message_count (self->document);
}
