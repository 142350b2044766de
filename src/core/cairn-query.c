/* cairn-query.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-query"

#include "cairn-json.h"
#include "cairn-query.h"
#include "cairn-schema.h"

G_DEFINE_BOXED_TYPE (CairnQuery, cairn_query, cairn_query_copy, cairn_query_free)
G_DEFINE_BOXED_TYPE (CairnPage, cairn_page, cairn_page_copy, cairn_page_free)

CairnQuery *
cairn_query_new (const char *table,
                 const char *index)
{
  CairnQuery *self;

  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (index != NULL, NULL);

  self = g_new0 (CairnQuery, 1);
  self->table = g_strdup (table);
  self->index = g_strdup (index);
  self->equal = json_array_new ();
  self->lower_inclusive = TRUE;
  self->upper_inclusive = TRUE;
  self->page_size = CAIRN_QUERY_DEFAULT_PAGE_SIZE;

  return self;
}

CairnQuery *
cairn_query_copy (const CairnQuery *self)
{
  CairnQuery *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = cairn_query_new (self->table, self->index);
  for (guint i = 0; i < json_array_get_length (self->equal); i++)
    cairn_query_add_equal (copy, json_array_get_element (self->equal, i));
  if (self->lower != NULL)
    cairn_query_set_lower (copy, self->lower, self->lower_inclusive);
  if (self->upper != NULL)
    cairn_query_set_upper (copy, self->upper, self->upper_inclusive);
  copy->descending = self->descending;
  copy->page_size = self->page_size;
  copy->cursor = g_strdup (self->cursor);

  return copy;
}

void
cairn_query_free (CairnQuery *self)
{
  if (self == NULL)
    return;

  g_free (self->table);
  g_free (self->index);
  g_clear_pointer (&self->equal, json_array_unref);
  g_clear_pointer (&self->lower, json_node_unref);
  g_clear_pointer (&self->upper, json_node_unref);
  g_free (self->cursor);
  g_free (self);
}

void
cairn_query_add_equal (CairnQuery *self,
                       JsonNode   *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (value != NULL);

  json_array_add_element (self->equal, json_node_copy (value));
}

void
cairn_query_add_equal_string (CairnQuery *self,
                              const char *value)
{
  g_return_if_fail (self != NULL);

  json_array_add_string_element (self->equal, value);
}

static void
replace_bound (JsonNode **bound,
               JsonNode  *value)
{
  g_clear_pointer (bound, json_node_unref);
  if (value != NULL)
    *bound = json_node_copy (value);
}

void
cairn_query_set_lower (CairnQuery *self,
                       JsonNode   *value,
                       gboolean    inclusive)
{
  g_return_if_fail (self != NULL);

  replace_bound (&self->lower, value);
  self->lower_inclusive = inclusive;
}

void
cairn_query_set_upper (CairnQuery *self,
                       JsonNode   *value,
                       gboolean    inclusive)
{
  g_return_if_fail (self != NULL);

  replace_bound (&self->upper, value);
  self->upper_inclusive = inclusive;
}

void
cairn_query_set_descending (CairnQuery *self,
                            gboolean    descending)
{
  g_return_if_fail (self != NULL);

  self->descending = !!descending;
}

void
cairn_query_set_page_size (CairnQuery *self,
                           guint       page_size)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (page_size > 0);

  self->page_size = MIN (page_size, CAIRN_QUERY_MAX_PAGE_SIZE);
}

void
cairn_query_set_cursor (CairnQuery *self,
                        const char *cursor)
{
  g_return_if_fail (self != NULL);

  g_free (self->cursor);
  self->cursor = g_strdup (cursor);
}

CairnPage *
cairn_page_new (void)
{
  CairnPage *self = g_new0 (CairnPage, 1);

  self->documents = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  return self;
}

static const CairnIndexSpec *
query_index (const CairnQuery *self)
{
  const CairnTableSpec *table = cairn_schema_lookup_table (self->table);

  return table != NULL ? cairn_table_spec_lookup_index (table, self->index) : NULL;
}

/**
 * cairn_query_matches:
 *
 * Returns: whether @document has the values of the query's equality prefix
 *   (the range's bounds are not looked at)
 */
gboolean
cairn_query_matches (const CairnQuery *self,
                     JsonObject       *document)
{
  const CairnIndexSpec *index = query_index (self);
  guint n_equal = json_array_get_length (self->equal);

  if (index == NULL || n_equal > cairn_index_spec_n_fields (index))
    return FALSE;

  for (guint i = 0; i < n_equal; i++)
    {
      JsonNode *value = json_object_get_member (document, index->fields[i]);

      if (value == NULL || cairn_json_compare (value, json_array_get_element (self->equal, i)) != 0)
        return FALSE;
    }

  return TRUE;
}

/**
 * cairn_query_compare:
 *
 * Returns: <0 when @a comes before @b in the query's order (its index's
 *   fields after the equality prefix, ascending or descending), 0 on a tie
 */
int
cairn_query_compare (const CairnQuery *self,
                     JsonObject       *a,
                     JsonObject       *b)
{
  const CairnIndexSpec *index = query_index (self);
  guint n_fields;

  g_return_val_if_fail (index != NULL, 0);

  n_fields = cairn_index_spec_n_fields (index);
  for (guint i = json_array_get_length (self->equal); i < n_fields; i++)
    {
      int cmp = cairn_json_compare (json_object_get_member (a, index->fields[i]),
                                    json_object_get_member (b, index->fields[i]));

      if (cmp != 0)
        return self->descending ? -cmp : cmp;
    }

  return 0;
}

CairnPage *
cairn_page_copy (const CairnPage *self)
{
  CairnPage *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = cairn_page_new ();
  for (guint i = 0; i < self->documents->len; i++)
    g_ptr_array_add (copy->documents, json_object_ref (g_ptr_array_index (self->documents, i)));
  copy->cursor = g_strdup (self->cursor);
  copy->done = self->done;

  return copy;
}

void
cairn_page_free (CairnPage *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->documents, g_ptr_array_unref);
  g_free (self->cursor);
  g_free (self);
}
