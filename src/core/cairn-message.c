/* cairn-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-message"

#include "cairn-json.h"
#include "cairn-message.h"

struct _CairnMessage
{
  GObject     parent_instance;
  JsonObject *document;
};

G_DEFINE_FINAL_TYPE (CairnMessage, cairn_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_CLIENT_ID,
  PROP_CONVERSATION_ID,
  PROP_ROLE,
  PROP_CONTENT,
  PROP_CREATED_AT,
  PROP_PENDING,
  PROP_FAILURE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cairn_message_set_document (CairnMessage *self,
                            JsonObject   *document)
{
  g_autoptr(JsonObject) old = g_steal_pointer (&self->document);

  g_return_if_fail (document != NULL);

  self->document = json_object_ref (document);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
  if (old == NULL || g_strcmp0 (cairn_json_get_string (old, "content"), cairn_message_get_content (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTENT]);
  if (old == NULL || cairn_json_get_boolean (old, CAIRN_PENDING_MEMBER) != cairn_message_get_pending (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
  if (old == NULL || g_strcmp0 (cairn_json_get_string (old, CAIRN_FAILED_MEMBER), cairn_message_get_failure (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE]);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
cairn_message_finalize (GObject *object)
{
  CairnMessage *self = (CairnMessage *) object;

  g_clear_pointer (&self->document, json_object_unref);

  G_OBJECT_CLASS (cairn_message_parent_class)->finalize (object);
}

static void
cairn_message_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CairnMessage *self = CAIRN_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_boxed (value, self->document);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, cairn_message_get_client_id (self));
      break;
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, cairn_message_get_conversation_id (self));
      break;
    case PROP_ROLE:
      g_value_set_string (value, cairn_message_get_role (self));
      break;
    case PROP_CONTENT:
      g_value_set_string (value, cairn_message_get_content (self));
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, cairn_message_get_created_at (self));
      break;
    case PROP_PENDING:
      g_value_set_boolean (value, cairn_message_get_pending (self));
      break;
    case PROP_FAILURE:
      g_value_set_string (value, cairn_message_get_failure (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CairnMessage *self = CAIRN_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      cairn_message_set_document (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_message_class_init (CairnMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cairn_message_finalize;
  object_class->get_property = cairn_message_get_property;
  object_class->set_property = cairn_message_set_property;

  properties[PROP_DOCUMENT] =
    g_param_spec_boxed ("document", NULL, NULL, JSON_TYPE_OBJECT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT_ID] = g_param_spec_string ("client-id", NULL, NULL, NULL, ro);
  properties[PROP_CONVERSATION_ID] = g_param_spec_string ("conversation-id", NULL, NULL, NULL, ro);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, ro);
  properties[PROP_CONTENT] = g_param_spec_string ("content", NULL, NULL, NULL, ro);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* kept safe in the outbox, not on the user's deployment yet */
  properties[PROP_PENDING] = g_param_spec_boolean ("pending", NULL, NULL, FALSE, ro);
  /* why the user's deployment refused it for good; NULL unless it did */
  properties[PROP_FAILURE] = g_param_spec_string ("failure", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_message_init (CairnMessage *self)
{
}

CairnMessage *
cairn_message_new (JsonObject *document)
{
  g_return_val_if_fail (document != NULL, NULL);

  return g_object_new (CAIRN_TYPE_MESSAGE, "document", document, NULL);
}

JsonObject *
cairn_message_get_document (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), NULL);

  return self->document;
}

const char *
cairn_message_get_client_id (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), NULL);

  return cairn_json_get_string (self->document, "clientId");
}

const char *
cairn_message_get_conversation_id (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), NULL);

  return cairn_json_get_string (self->document, "conversationId");
}

const char *
cairn_message_get_role (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), NULL);

  return cairn_json_get_string (self->document, "role");
}

const char *
cairn_message_get_content (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), NULL);

  return cairn_json_get_string (self->document, "content");
}

gint64
cairn_message_get_created_at (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), 0);

  return (gint64) cairn_json_get_number (self->document, "createdAt");
}

gboolean
cairn_message_get_pending (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), FALSE);

  return cairn_json_get_boolean (self->document, CAIRN_PENDING_MEMBER);
}

/**
 * cairn_message_get_failure:
 *
 * Returns: (nullable): why the user's deployment refused the message for
 *   good (it waits in the outbox to be retried or discarded), or %NULL
 */
const char *
cairn_message_get_failure (CairnMessage *self)
{
  g_return_val_if_fail (CAIRN_IS_MESSAGE (self), NULL);

  return cairn_json_get_string (self->document, CAIRN_FAILED_MEMBER);
}
