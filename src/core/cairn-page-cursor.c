/* cairn-page-cursor.c — where the local store's next page starts, as opaque text
 *
 * A cursor is base64 of the JSON array [table, index, the last row's value
 * of each index field…, its seq]. Callers only hand it back; it also outlives
 * the process (an interrupted move of content keeps its cursor in the
 * database), so the format stays as it is. What comes back is checked as
 * input from outside: a cursor of another table or index, or one that was
 * cut short or made up, is refused rather than read as a position.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-page-cursor"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-page-cursor.h"

/**
 * cairn_page_cursor_encode:
 * @last: the last document of the page; it has every field of @index
 * @seq: its row's seq
 *
 * Returns: (transfer full): the cursor of the page that follows @last
 */
char *
cairn_page_cursor_encode (const CairnTableSpec *table,
                          const CairnIndexSpec *index,
                          JsonObject           *last,
                          gint64                seq)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *text = NULL;

  json_array_add_string_element (array, table->name);
  json_array_add_string_element (array, index->name);
  for (guint i = 0; index->fields[i] != NULL; i++)
    json_array_add_element (array, cairn_json_scalar_copy (json_object_get_member (last, index->fields[i])));
  json_array_add_int_element (array, seq);

  json_node_set_array (root, array);
  text = json_to_string (root, FALSE);

  return g_base64_encode ((const guchar *) text, strlen (text));
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* The JSON inside, or NULL. Checked as any JSON from outside the process:
 * a cursor nested deep enough would otherwise exhaust the parser's stack. */
static JsonNode *
parse (const char *cursor)
{
  g_autofree guchar *raw = NULL;
  gsize length = 0;

  raw = g_base64_decode (cursor, &length);

  return cairn_json_parse ((const char *) raw, length, NULL);
}

/**
 * cairn_page_cursor_decode:
 * @cursor: a cursor as cairn_page_cursor_encode() made it for @table and @index
 *
 * Returns: (transfer full): the row @cursor continues after, or %NULL with a
 *   %CAIRN_STORE_ERROR_INVALID_INPUT error when @cursor is not one of @index of @table
 */
CairnPageCursor *
cairn_page_cursor_decode (const CairnTableSpec  *table,
                          const CairnIndexSpec  *index,
                          const char            *cursor,
                          GError               **error)
{
  g_autoptr(JsonNode) root = parse (cursor);
  g_autoptr(CairnPageCursor) self = NULL;
  guint n_fields = cairn_index_spec_n_fields (index);
  JsonArray *array;
  JsonNode *seq;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    goto invalid;

  array = json_node_get_array (root);
  if (json_array_get_length (array) != n_fields + 3 ||
      !holds_type (json_array_get_element (array, 0), G_TYPE_STRING) ||
      !holds_type (json_array_get_element (array, 1), G_TYPE_STRING) ||
      g_strcmp0 (json_array_get_string_element (array, 0), table->name) != 0 ||
      g_strcmp0 (json_array_get_string_element (array, 1), index->name) != 0)
    goto invalid;

  seq = json_array_get_element (array, n_fields + 2);
  if (!holds_type (seq, G_TYPE_INT64) || json_node_get_int (seq) < 1)
    goto invalid;

  self = g_new0 (CairnPageCursor, 1);
  self->values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  self->seq = json_node_get_int (seq);

  for (guint i = 0; i < n_fields; i++)
    {
      JsonNode *value = json_array_get_element (array, i + 2);

      if (!cairn_schema_check_value (cairn_table_spec_lookup_field (table, index->fields[i]), value, NULL))
        goto invalid;
      g_ptr_array_add (self->values, cairn_json_scalar_copy (value));
    }

  return g_steal_pointer (&self);

invalid:
  g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
               _("The page cursor is not one of the index “%s” of “%s”. "
                 "Start the listing again from the first page."),
               index->name, table->name);
  return NULL;
}

void
cairn_page_cursor_free (CairnPageCursor *self)
{
  g_clear_pointer (&self->values, g_ptr_array_unref);
  g_free (self);
}
