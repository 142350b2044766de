/* cairn-schema.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-schema"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-router.h"
#include "cairn-schema.h"

static const CairnFieldSpec conversation_fields[] = {
  { "clientId",  CAIRN_FIELD_STRING },
  { "title",     CAIRN_FIELD_STRING },
  { "pinned",    CAIRN_FIELD_BOOLEAN },
  { "archived",  CAIRN_FIELD_BOOLEAN },
  { "createdAt", CAIRN_FIELD_NUMBER },
  { "updatedAt", CAIRN_FIELD_NUMBER },
  /* kept by the stores: the number of its messages (schema version 2) */
  { "messageCount", CAIRN_FIELD_NUMBER, .optional = TRUE },
};

/* A deployment also has "by_messageCount", its own: the migration that fills
 * the count finds the conversations still without one through it. */
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
  { "runnerId",      CAIRN_FIELD_STRING },
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
 * them (docs/ARCHITECTURE.md, "No data lost"). Replayed in order of creation. A write
 * the deployment refused for good stays, "failed" with the reason in
 * "error", until the user retries or discards it; "pending" ones are sent.
 * (Added in local database version 2; see cairn-local-schema.c.) */
static const CairnFieldSpec outbox_fields[] = {
  { "clientId",    CAIRN_FIELD_STRING },
  { "workspace",   CAIRN_FIELD_STRING },
  { "operation",   CAIRN_FIELD_STRING },
  { "targetTable", CAIRN_FIELD_STRING },
  { "documentId",  CAIRN_FIELD_STRING },
  { "payload",     CAIRN_FIELD_STRING },
  { "createdAt",   CAIRN_FIELD_NUMBER },
  { "status",      CAIRN_FIELD_STRING },
  { "error",       CAIRN_FIELD_STRING },
};

static const CairnIndexSpec outbox_indexes[] = {
  { "by_clientId",  { "clientId", NULL } },
  { "by_workspace", { "workspace", "createdAt", NULL } },
};

/* App data: the requests to a workspace's deployment, summed up a minute at a
 * time (cairn-metrics.c): "minute" is where the minute starts (ms since the
 * epoch), "summary" its JSON. Kept for 30 days. */
static const CairnFieldSpec health_minute_fields[] = {
  { "clientId",      CAIRN_FIELD_STRING },
  { "workspace",     CAIRN_FIELD_STRING },
  { "deploymentUrl", CAIRN_FIELD_STRING },
  { "minute",        CAIRN_FIELD_NUMBER },
  { "summary",       CAIRN_FIELD_STRING },
};

static const CairnIndexSpec health_minute_indexes[] = {
  { "by_clientId",          { "clientId", NULL } },
  { "by_workspace_minute",  { "workspace", "minute", NULL } },
  { "by_deployment_minute", { "workspace", "deploymentUrl", "minute", NULL } },
};

#define TABLE(n, f, i) .name = n, .fields = f, .n_fields = G_N_ELEMENTS (f), \
                       .indexes = i, .n_indexes = G_N_ELEMENTS (i)

static const CairnTableSpec tables[] = {
  { TABLE ("conversations", conversation_fields, conversation_indexes),
    .child_count_field = "messageCount" },
  { TABLE ("messages", message_fields, message_indexes),
    .parent_table = "conversations", .parent_field = "conversationId" },
  { TABLE ("notes", note_fields, note_indexes) },
  { TABLE ("drafts", draft_fields, draft_indexes) },
  { TABLE ("userDatabaseConfig", byod_config_fields, byod_config_indexes) },
  { TABLE ("byodMigrations", content_move_fields, content_move_indexes) },
  { TABLE ("outbox", outbox_fields, outbox_indexes) },
  { TABLE ("healthMinutes", health_minute_fields, health_minute_indexes) },
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

/**
 * cairn_table_spec_is_kept_field:
 *
 * Whether the stores keep @field of @table themselves: a count of the rows
 * of its child table. What a client sends for it is not written: an insert
 * counts the rows there are, a patch leaves it as it is.
 */
gboolean
cairn_table_spec_is_kept_field (const CairnTableSpec *table,
                                const char           *field)
{
  return table->child_count_field != NULL && g_strcmp0 (table->child_count_field, field) == 0;
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

  g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
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

/* Whether json-glib writes @value as JSON that reads back. It writes a
 * double as %.17g and adds ".0" when that has no point: 5e40 becomes
 * 5e+40.0, infinity and NaN inf.0 and nan.0, none of them JSON. An outbox
 * payload or a cursor holding one would never be read again. */
static gboolean
double_is_writable (double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return FALSE;

  g_ascii_dtostr (text, sizeof text, value);

  return strchr (text, 'e') == NULL || strchr (text, '.') != NULL;
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
      return gtype == G_TYPE_INT64 || (gtype == G_TYPE_DOUBLE && double_is_writable (json_node_get_double (value)));
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
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The field “%s” must be a %s."),
                   field->name, field_type_name (field->type));
      return FALSE;
    }

  if (g_str_equal (field->name, "clientId") && !cairn_is_client_id (json_node_get_string (value)))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The field “clientId” must be a UUID."));
      return FALSE;
    }

  if (field->type == CAIRN_FIELD_STRING)
    {
      g_autoptr(GError) text_error = NULL;

      if (!cairn_schema_check_text (json_node_get_string (value), -1, &text_error))
        {
          /* Translators: the first %s is a field name, the second the reason */
          g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                       _("The field “%s” cannot be stored: %s"), field->name, text_error->message);
          return FALSE;
        }
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
          g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                       _("The table “%s” has no field “%s”."), table->name, name);
          return FALSE;
        }

      if (!cairn_schema_check_value (field, value, error))
        return FALSE;
    }

  return TRUE;
}

/* Text ------------------------------------------------------------------------ */

/**
 * cairn_schema_check_text:
 * @text: text as it came
 * @length: its length in bytes, or -1 when it ends at its first NUL byte
 *
 * Text Cairn can store: UTF-8 without U+0000. A NUL would end the text early
 * in every C string it passes through, silently dropping what follows it.
 */
gboolean
cairn_schema_check_text (const char  *text,
                         gssize       length,
                         GError     **error)
{
  gsize n;

  g_return_val_if_fail (text != NULL, FALSE);

  n = length < 0 ? strlen (text) : (gsize) length;

  if (memchr (text, '\0', n) != NULL)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The text contains a NUL character (U+0000), which cannot be stored. Remove it and try again."));
      return FALSE;
    }

  if (!g_utf8_validate_len (text, n, NULL))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The text is not valid UTF-8."));
      return FALSE;
    }

  return TRUE;
}

/**
 * cairn_unichar_is_invisible:
 *
 * White space, and the characters that take no room and show nothing: the
 * zero-width space, non-joiner and joiner, the word joiner and the
 * zero-width no-break space (the byte order mark).
 */
gboolean
cairn_unichar_is_invisible (gunichar c)
{
  switch (c)
    {
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2060:
    case 0xFEFF:
      return TRUE;
    default:
      return g_unichar_isspace (c);
    }
}

/**
 * cairn_text_is_blank:
 *
 * Whether @text would look empty: nothing in it but white space and
 * invisible characters (cairn_unichar_is_invisible()).
 */
gboolean
cairn_text_is_blank (const char *text)
{
  for (; text != NULL && *text != '\0'; text = g_utf8_next_char (text))
    if (!cairn_unichar_is_invisible (g_utf8_get_char (text)))
      return FALSE;

  return TRUE;
}

/* Text a person reads, which must show something: refused with @if_blank
 * when it would look empty. The one place this is checked, whichever way
 * the text comes. */
static const struct {
  const char *table;
  const char *field;
  const char *if_blank;
} visible_texts[] = {
  { "messages", "content",
    N_("The message is empty: it has no visible characters. Write something to send.") },
  { "conversations", "title",
    N_("A conversation needs a title with visible characters.") },
};

static gboolean
check_visible_text (const CairnTableSpec  *table,
                    JsonObject            *object,
                    GError               **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (visible_texts); i++)
    {
      if (!g_str_equal (visible_texts[i].table, table->name) ||
          !json_object_has_member (object, visible_texts[i].field))
        continue;

      if (cairn_text_is_blank (json_object_get_string_member (object, visible_texts[i].field)))
        {
          g_set_error_literal (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, _(visible_texts[i].if_blank));
          return FALSE;
        }
    }

  return TRUE;
}

/* Size ------------------------------------------------------------------------ */

/**
 * cairn_schema_document_size:
 *
 * The size of @document as %CAIRN_MAX_DOCUMENT_SIZE counts it: the bytes of
 * its JSON text, which is also about what a request to a deployment carries.
 */
gsize
cairn_schema_document_size (JsonObject *document)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  g_return_val_if_fail (document != NULL, 0);

  root = json_node_init_object (json_node_alloc (), document);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  return length;
}

/**
 * cairn_schema_format_sizes:
 * @size_text: (out): @size for people, as "1.3 MB"
 * @limit_text: (out): @limit the same way
 *
 * Both in bytes as well when the short forms would read the same, so that
 * text just over a limit never reads as within it.
 */
void
cairn_schema_format_sizes (gsize   size,
                           gsize   limit,
                           char  **size_text,
                           char  **limit_text)
{
  *size_text = g_format_size (size);
  *limit_text = g_format_size (limit);

  if (g_str_equal (*size_text, *limit_text))
    {
      g_free (*size_text);
      g_free (*limit_text);
      *size_text = g_format_size_full (size, G_FORMAT_SIZE_LONG_FORMAT);
      *limit_text = g_format_size_full (limit, G_FORMAT_SIZE_LONG_FORMAT);
    }
}

/* What may go to a deployment is refused here already, for both stores:
 * kept on this computer, it could never be moved there. */
static gboolean
check_size (const CairnTableSpec  *table,
            JsonObject            *object,
            GError               **error)
{
  g_autofree char *size_text = NULL;
  g_autofree char *limit_text = NULL;
  gsize size;

  if (!cairn_router_is_user_table (table->name))
    return TRUE;

  size = cairn_schema_document_size (object);
  if (size <= CAIRN_MAX_DOCUMENT_SIZE)
    return TRUE;

  cairn_schema_format_sizes (size, CAIRN_MAX_DOCUMENT_SIZE, &size_text, &limit_text);

  if (g_str_equal (table->name, "messages"))
    /* Translators: the first %s is the message's size, the second the most it can be, both like "1.3 MB" */
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                 _("This message is too long to store (%s; at most about %s). "
                   "Shorten it or split it into several messages."), size_text, limit_text);
  else if (g_str_equal (table->name, "notes"))
    /* Translators: the first %s is the note's size, the second the most it can be, both like "1.3 MB" */
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                 _("This note is too long to store (%s; at most about %s). "
                   "Shorten it or split it into several notes."), size_text, limit_text);
  else if (g_str_equal (table->name, "conversations"))
    /* Translators: the first %s is the title's size, the second the most it can be, both like "1.3 MB" */
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                 _("This conversation’s title is too long to store (%s; at most about %s). "
                   "Shorten it."), size_text, limit_text);
  else
    /* Translators: %s is a table's name, then its document's size and the most it can be, like "1.3 MB" */
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                 _("This %s document is too large to store (%s; at most about %s)."),
                 table->name, size_text, limit_text);

  return FALSE;
}

/* The rules for what comes in, beyond its shape. Not for what is read back:
 * a document stored before a rule existed must stay readable. */
static gboolean
check_input (const CairnTableSpec  *table,
             JsonObject            *object,
             GError               **error)
{
  return check_visible_text (table, object, error) && check_size (table, object, error);
}

/* Documents -------------------------------------------------------------------- */

/**
 * cairn_schema_check_shape:
 *
 * A whole document: every field of @table present with its type (an
 * optional one may be missing), nothing else. What a document read back
 * from a store must be.
 */
gboolean
cairn_schema_check_shape (const CairnTableSpec  *table,
                          JsonObject            *document,
                          GError               **error)
{
  g_return_val_if_fail (table != NULL, FALSE);

  if (document == NULL)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, _("The document is missing."));
      return FALSE;
    }

  for (guint i = 0; i < table->n_fields; i++)
    if (!table->fields[i].optional && !json_object_has_member (document, table->fields[i].name))
      {
        g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                     _("The document for “%s” lacks the field “%s”."),
                     table->name, table->fields[i].name);
        return FALSE;
      }

  return check_known_fields (table, document, error);
}

/**
 * cairn_schema_validate_document:
 *
 * A whole document to be written: its shape (cairn_schema_check_shape()),
 * text that shows something where a person reads it, and, for content, a
 * size a deployment accepts (%CAIRN_MAX_DOCUMENT_SIZE).
 */
gboolean
cairn_schema_validate_document (const CairnTableSpec  *table,
                                JsonObject            *document,
                                GError               **error)
{
  return cairn_schema_check_shape (table, document, error) &&
         check_input (table, document, error);
}

/**
 * cairn_schema_validate_patch:
 *
 * Some fields of @table with their types; the clientId cannot change. The
 * rules of cairn_schema_validate_document() hold for the fields given; the
 * size counted is theirs, not that of the document they change.
 */
gboolean
cairn_schema_validate_patch (const CairnTableSpec  *table,
                             JsonObject            *fields,
                             GError               **error)
{
  g_return_val_if_fail (table != NULL, FALSE);

  if (fields == NULL || json_object_get_size (fields) == 0)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, _("The change is empty."));
      return FALSE;
    }

  if (json_object_has_member (fields, "clientId"))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The field “clientId” cannot be changed."));
      return FALSE;
    }

  return check_known_fields (table, fields, error) && check_input (table, fields, error);
}
