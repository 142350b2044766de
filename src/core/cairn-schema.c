/* cairn-schema.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-schema"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-schema.h"

static const CairnFieldSpec conversation_fields[] = {
  { "clientId",  CAIRN_FIELD_STRING },
  { "title",     CAIRN_FIELD_STRING },
  { "pinned",    CAIRN_FIELD_BOOLEAN },
  { "archived",  CAIRN_FIELD_BOOLEAN },
  { "createdAt", CAIRN_FIELD_NUMBER },
  { "updatedAt", CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec conversation_indexes[] = {
  { "by_clientId",  { "clientId", NULL } },
  { "by_updatedAt", { "updatedAt", NULL } },
  { "by_archived_updatedAt", { "archived", "updatedAt", NULL } },
};

static const CairnFieldSpec message_fields[] = {
  { "clientId",       CAIRN_FIELD_STRING },
  { "conversationId", CAIRN_FIELD_STRING },
  { "role",           CAIRN_FIELD_STRING },
  { "content",        CAIRN_FIELD_STRING },
  { "createdAt",      CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec message_indexes[] = {
  { "by_clientId",     { "clientId", NULL } },
  { "by_conversation", { "conversationId", "createdAt", NULL } },
};

static const CairnFieldSpec note_fields[] = {
  { "clientId",  CAIRN_FIELD_STRING },
  { "title",     CAIRN_FIELD_STRING },
  { "content",   CAIRN_FIELD_STRING },
  { "pinned",    CAIRN_FIELD_BOOLEAN },
  { "createdAt", CAIRN_FIELD_NUMBER },
  { "updatedAt", CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec note_indexes[] = {
  { "by_clientId",  { "clientId", NULL } },
  { "by_updatedAt", { "updatedAt", NULL } },
};

/* App data: what the composer holds for a conversation, keyed by its clientId. */
static const CairnFieldSpec draft_fields[] = {
  { "clientId",  CAIRN_FIELD_STRING },
  { "content",   CAIRN_FIELD_STRING },
  { "updatedAt", CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec draft_indexes[] = {
  { "by_clientId", { "clientId", NULL } },
};

/* App data: a workspace's Bring Your Own Database settings (never the key),
 * one row a workspace, keyed by a UUID derived from the workspace's id. */
static const CairnFieldSpec byod_config_fields[] = {
  { "clientId",      CAIRN_FIELD_STRING },
  { "workspace",     CAIRN_FIELD_STRING },
  { "deploymentUrl", CAIRN_FIELD_STRING },
  { "enabled",       CAIRN_FIELD_BOOLEAN },
  { "status",        CAIRN_FIELD_STRING },
  { "schemaVersion", CAIRN_FIELD_NUMBER },
  { "lastCheck",     CAIRN_FIELD_NUMBER },
  { "lastSuccess",   CAIRN_FIELD_NUMBER },
  { "lastError",     CAIRN_FIELD_STRING },
};

static const CairnIndexSpec byod_config_indexes[] = {
  { "by_clientId", { "clientId", NULL } },
};

/* App data: where a move of content between this computer and a deployment
 * stands, so an interrupted move resumes instead of starting over. */
static const CairnFieldSpec content_move_fields[] = {
  { "clientId",      CAIRN_FIELD_STRING },
  { "workspace",     CAIRN_FIELD_STRING },
  { "deploymentUrl", CAIRN_FIELD_STRING },
  { "direction",     CAIRN_FIELD_STRING },
  { "phase",         CAIRN_FIELD_STRING },
  { "tableIndex",    CAIRN_FIELD_NUMBER },
  { "cursor",        CAIRN_FIELD_STRING },
  { "copied",        CAIRN_FIELD_NUMBER },
  { "total",         CAIRN_FIELD_NUMBER },
  { "updatedAt",     CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec content_move_indexes[] = {
  { "by_clientId", { "clientId", NULL } },
};

/* App data: writes for the user's deployment, durable until it acknowledged
 * them (DESIGN.md, "No data lost"). Replayed in order of creation. */
static const CairnFieldSpec outbox_fields[] = {
  { "clientId",    CAIRN_FIELD_STRING },
  { "workspace",   CAIRN_FIELD_STRING },
  { "operation",   CAIRN_FIELD_STRING },
  { "targetTable", CAIRN_FIELD_STRING },
  { "documentId",  CAIRN_FIELD_STRING },
  { "payload",     CAIRN_FIELD_STRING },
  { "createdAt",   CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec outbox_indexes[] = {
  { "by_clientId",  { "clientId", NULL } },
  { "by_workspace", { "workspace", "createdAt", NULL } },
};

#define TABLE(n, f, i) .name = n, .fields = f, .n_fields = G_N_ELEMENTS (f), \
                       .indexes = i, .n_indexes = G_N_ELEMENTS (i)

static const CairnTableSpec tables[] = {
  { TABLE ("conversations", conversation_fields, conversation_indexes) },
  { TABLE ("messages", message_fields, message_indexes),
    .parent_table = "conversations", .parent_field = "conversationId" },
  { TABLE ("notes", note_fields, note_indexes) },
  { TABLE ("drafts", draft_fields, draft_indexes) },
  { TABLE ("userDatabaseConfig", byod_config_fields, byod_config_indexes) },
  { TABLE ("byodMigrations", content_move_fields, content_move_indexes) },
  { TABLE ("outbox", outbox_fields, outbox_indexes) },
};

const CairnTableSpec **
cairn_schema_list_tables (guint *n_tables)
{
  static const CairnTableSpec *list[G_N_ELEMENTS (tables) + 1];

  if (list[0] == NULL)
    for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
      list[i] = &tables[i];

  if (n_tables != NULL)
    *n_tables = G_N_ELEMENTS (tables);

  return list;
}

const CairnTableSpec *
cairn_schema_lookup_table (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (g_str_equal (tables[i].name, name))
      return &tables[i];

  return NULL;
}

const CairnIndexSpec *
cairn_table_spec_lookup_index (const CairnTableSpec *table,
                               const char           *index)
{
  for (guint i = 0; i < table->n_indexes; i++)
    if (g_strcmp0 (table->indexes[i].name, index) == 0)
      return &table->indexes[i];

  return NULL;
}

const CairnFieldSpec *
cairn_table_spec_lookup_field (const CairnTableSpec *table,
                               const char           *field)
{
  for (guint i = 0; i < table->n_fields; i++)
    if (g_strcmp0 (table->fields[i].name, field) == 0)
      return &table->fields[i];

  return NULL;
}

/* The table whose rows go away with a row of @table, if any. */
const CairnTableSpec *
cairn_table_spec_child (const CairnTableSpec *table)
{
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (g_strcmp0 (tables[i].parent_table, table->name) == 0)
      return &tables[i];

  return NULL;
}

guint
cairn_index_spec_n_fields (const CairnIndexSpec *index)
{
  guint n = 0;

  while (n < CAIRN_MAX_INDEX_FIELDS && index->fields[n] != NULL)
    n++;

  return n;
}

/* A canonical textual UUID: 8-4-4-4-12 hexadecimal digits. */
gboolean
cairn_is_client_id (const char *text)
{
  return text != NULL && g_uuid_string_is_valid (text);
}

/* The check every store and the outbox make of an id they are given. */
gboolean
cairn_schema_check_client_id (const char  *client_id,
                              GError     **error)
{
  if (cairn_is_client_id (client_id))
    return TRUE;

  g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
               _("“%s” is not a valid clientId (a UUID)."), client_id != NULL ? client_id : "");
  return FALSE;
}

/**
 * cairn_client_id_for_name:
 *
 * A stable UUID for a row of app data that is found by name rather than
 * created (a workspace's config, a move's journal): @name hashed, shaped as
 * a version-5-style UUID.
 */
char *
cairn_client_id_for_name (const char *name)
{
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);

  return g_strdup_printf ("%.8s-%.4s-5%.3s-8%.3s-%.12s", hex, hex + 8, hex + 13, hex + 17, hex + 20);
}

static const char *
field_type_name (CairnFieldType type)
{
  switch (type)
    {
    case CAIRN_FIELD_STRING:
      return "string";
    case CAIRN_FIELD_BOOLEAN:
      return "boolean";
    case CAIRN_FIELD_NUMBER:
      return "number";
    default:
      g_assert_not_reached ();
    }
}

static gboolean
value_has_type (JsonNode       *value,
                CairnFieldType  type)
{
  GType gtype;

  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value))
    return FALSE;

  gtype = json_node_get_value_type (value);

  switch (type)
    {
    case CAIRN_FIELD_STRING:
      return gtype == G_TYPE_STRING;
    case CAIRN_FIELD_BOOLEAN:
      return gtype == G_TYPE_BOOLEAN;
    case CAIRN_FIELD_NUMBER:
      return gtype == G_TYPE_DOUBLE || gtype == G_TYPE_INT64;
    default:
      g_assert_not_reached ();
    }
}

gboolean
cairn_schema_check_value (const CairnFieldSpec  *field,
                          JsonNode              *value,
                          GError               **error)
{
  if (!value_has_type (value, field->type))
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                   _("The field “%s” must be a %s."),
                   field->name, field_type_name (field->type));
      return FALSE;
    }

  if (g_str_equal (field->name, "clientId") && !cairn_is_client_id (json_node_get_string (value)))
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                   _("The field “clientId” must be a UUID."));
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_known_fields (const CairnTableSpec  *table,
                    JsonObject            *object,
                    GError               **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &value))
    {
      const CairnFieldSpec *field = cairn_table_spec_lookup_field (table, name);

      if (field == NULL)
        {
          g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                       _("The table “%s” has no field “%s”."), table->name, name);
          return FALSE;
        }

      if (!cairn_schema_check_value (field, value, error))
        return FALSE;
    }

  return TRUE;
}

/**
 * cairn_schema_validate_document:
 *
 * A whole document: every field of @table present with its type, nothing else.
 */
gboolean
cairn_schema_validate_document (const CairnTableSpec  *table,
                                JsonObject            *document,
                                GError               **error)
{
  g_return_val_if_fail (table != NULL, FALSE);

  if (document == NULL)
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT, _("The document is missing."));
      return FALSE;
    }

  for (guint i = 0; i < table->n_fields; i++)
    if (!json_object_has_member (document, table->fields[i].name))
      {
        g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                     _("The document for “%s” lacks the field “%s”."),
                     table->name, table->fields[i].name);
        return FALSE;
      }

  return check_known_fields (table, document, error);
}

/**
 * cairn_schema_validate_patch:
 *
 * Some fields of @table with their types; the clientId cannot change.
 */
gboolean
cairn_schema_validate_patch (const CairnTableSpec  *table,
                             JsonObject            *fields,
                             GError               **error)
{
  g_return_val_if_fail (table != NULL, FALSE);

  if (fields == NULL || json_object_get_size (fields) == 0)
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT, _("The change is empty."));
      return FALSE;
    }

  if (json_object_has_member (fields, "clientId"))
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                   _("The field “clientId” cannot be changed."));
      return FALSE;
    }

  return check_known_fields (table, fields, error);
}
