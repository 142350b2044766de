/* cairn-sql.c — the local store's SQL, planned from the schema
 *
 * Every table of cairn-schema is one SQL table: a column per field, named
 * exactly as the field, plus "seq", the insertion order that breaks ties in
 * every index. A request becomes the text of a statement and the values of
 * its parameters, in order. The text depends only on the shape of the
 * request (table, index, which bounds, order, which fields), never on its
 * values, so the store prepares each text once and keeps it.
 *
 * Nothing here touches a database: the text and the values are the whole
 * plan, and they can be checked without one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-sql"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-page-cursor.h"
#include "cairn-sql.h"

/* Deeper than any schema nests its tables: deeper means they form a loop. */
#define MAX_CASCADE_DEPTH 8

/* A name as SQL reads it whatever it contains: in double quotes, each
 * double quote in it doubled. */
void
cairn_sql_append_identifier (GString    *sql,
                             const char *name)
{
  g_string_append_c (sql, '"');
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (sql, '"');
      g_string_append_c (sql, *p);
    }
  g_string_append_c (sql, '"');
}

static CairnSqlStatement *
statement_new (void)
{
  CairnSqlStatement *self = g_new0 (CairnSqlStatement, 1);

  self->binds = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  return self;
}

/* Takes @sql as the text of @self. */
static CairnSqlStatement *
statement_set_text (CairnSqlStatement *self,
                    GString           *sql)
{
  self->text = g_string_free (sql, FALSE);

  return self;
}

void
cairn_sql_statement_free (CairnSqlStatement *self)
{
  g_free (self->text);
  g_clear_pointer (&self->binds, g_ptr_array_unref);
  g_free (self);
}

/* The statement gets its own copy: it runs on another thread while the
 * caller keeps @value. */
static void
bind (CairnSqlStatement *self,
      JsonNode          *value)
{
  g_ptr_array_add (self->binds, cairn_json_scalar_copy (value));
}

static void
bind_string (CairnSqlStatement *self,
             const char        *value)
{
  g_ptr_array_add (self->binds, json_node_init_string (json_node_alloc (), value));
}

static void
bind_int (CairnSqlStatement *self,
          gint64             value)
{
  g_ptr_array_add (self->binds, json_node_init_int (json_node_alloc (), value));
}

/* "SELECT seq, <every field> FROM <table>" */
static void
append_select (GString              *sql,
               const CairnTableSpec *table)
{
  g_string_append (sql, "SELECT seq");
  for (guint i = 0; i < table->n_fields; i++)
    {
      g_string_append (sql, ", ");
      cairn_sql_append_identifier (sql, table->fields[i].name);
    }
  g_string_append (sql, " FROM ");
  cairn_sql_append_identifier (sql, table->name);
}

/* ------------------------------------------------------------------------
 * Listing: one indexed SELECT per page (keyset pagination)
 * ------------------------------------------------------------------------ */

typedef struct {
  const CairnTableSpec *table;
  const CairnIndexSpec *index;
  guint                 n_fields;   /* of the index */
  guint                 n_equal;
  GString              *sql;
  CairnSqlStatement    *statement;
  gboolean              has_where;
} ListPlan;

static void
plan_where (ListPlan *plan)
{
  g_string_append (plan->sql, plan->has_where ? " AND " : " WHERE ");
  plan->has_where = TRUE;
}

static void
plan_condition (ListPlan   *plan,
                const char *field,
                const char *op,
                JsonNode   *value)
{
  plan_where (plan);
  cairn_sql_append_identifier (plan->sql, field);
  g_string_append_printf (plan->sql, " %s ?", op);
  bind (plan->statement, value);
}

static gboolean
check_query_value (ListPlan  *plan,
                   guint      position,
                   JsonNode  *value,
                   GError   **error)
{
  const char *name = plan->index->fields[position];

  if (!cairn_schema_check_value (cairn_table_spec_lookup_field (plan->table, name), value, error))
    {
      g_prefix_error (error, _("In the listing of “%s” by “%s”: "),
                      plan->table->name, plan->index->name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
plan_equal (ListPlan          *plan,
            const CairnQuery  *query,
            GError           **error)
{
  if (plan->n_equal > plan->n_fields)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The index “%s” of “%s” has %u fields, but %u values were given to match."),
                   plan->index->name, plan->table->name, plan->n_fields, plan->n_equal);
      return FALSE;
    }

  for (guint i = 0; i < plan->n_equal; i++)
    {
      JsonNode *value = json_array_get_element (query->equal, i);

      if (!check_query_value (plan, i, value, error))
        return FALSE;
      plan_condition (plan, plan->index->fields[i], "=", value);
    }

  return TRUE;
}

static gboolean
plan_bounds (ListPlan          *plan,
             const CairnQuery  *query,
             GError           **error)
{
  const char *field;

  if (query->lower == NULL && query->upper == NULL)
    return TRUE;

  if (plan->n_equal == plan->n_fields)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The index “%s” of “%s” has no field left for a range after the values to match."),
                   plan->index->name, plan->table->name);
      return FALSE;
    }

  field = plan->index->fields[plan->n_equal];

  if (query->lower != NULL)
    {
      if (!check_query_value (plan, plan->n_equal, query->lower, error))
        return FALSE;
      plan_condition (plan, field, query->lower_inclusive ? ">=" : ">", query->lower);
    }

  if (query->upper != NULL)
    {
      if (!check_query_value (plan, plan->n_equal, query->upper, error))
        return FALSE;
      plan_condition (plan, field, query->upper_inclusive ? "<=" : "<", query->upper);
    }

  return TRUE;
}

/* After the cursor's row: (fields after the matched ones…, seq) compared as
 * one row value, which SQLite answers with a range scan of the index. */
static gboolean
plan_cursor (ListPlan          *plan,
             const CairnQuery  *query,
             GError           **error)
{
  g_autoptr(CairnPageCursor) cursor = NULL;

  if (query->cursor == NULL)
    return TRUE;

  cursor = cairn_page_cursor_decode (plan->table, plan->index, query->cursor, error);
  if (cursor == NULL)
    return FALSE;

  plan_where (plan);
  g_string_append (plan->sql, "(");
  for (guint i = plan->n_equal; i < plan->n_fields; i++)
    {
      cairn_sql_append_identifier (plan->sql, plan->index->fields[i]);
      g_string_append (plan->sql, ", ");
    }
  g_string_append_printf (plan->sql, "seq) %s (", query->descending ? "<" : ">");
  for (guint i = plan->n_equal; i < plan->n_fields; i++)
    {
      g_string_append (plan->sql, "?, ");
      bind (plan->statement, g_ptr_array_index (cursor->values, i));
    }
  g_string_append (plan->sql, "?)");
  bind_int (plan->statement, cursor->seq);

  return TRUE;
}

static void
plan_order (ListPlan *plan,
            gboolean  descending,
            guint     page_size)
{
  const char *direction = descending ? " DESC" : "";

  g_string_append (plan->sql, " ORDER BY ");
  for (guint i = 0; i < plan->n_fields; i++)
    {
      cairn_sql_append_identifier (plan->sql, plan->index->fields[i]);
      g_string_append_printf (plan->sql, "%s, ", direction);
    }
  g_string_append_printf (plan->sql, "seq%s LIMIT ?", direction);
  bind_int (plan->statement, page_size + 1);
}

/**
 * cairn_sql_list:
 * @table: the table @query names
 * @query: which index, the values to match, the bounds, the order, the
 *   page size and the cursor of the page before
 *
 * Returns: (transfer full): the plan of one page, or %NULL with a
 *   %CAIRN_STORE_ERROR_INVALID_INPUT error when @query does not fit @table
 */
CairnSqlList *
cairn_sql_list (const CairnTableSpec  *table,
                const CairnQuery      *query,
                GError               **error)
{
  g_autoptr(CairnSqlStatement) statement = statement_new ();
  g_autoptr(GString) sql = g_string_new (NULL);
  ListPlan plan = { .table = table, .sql = sql, .statement = statement };
  CairnSqlList *list;
  guint page_size;

  plan.index = cairn_table_spec_lookup_index (table, query->index);
  if (plan.index == NULL)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The table “%s” has no index “%s”."),
                   table->name, query->index != NULL ? query->index : "");
      return NULL;
    }

  plan.n_fields = cairn_index_spec_n_fields (plan.index);
  plan.n_equal = query->equal != NULL ? json_array_get_length (query->equal) : 0;
  append_select (sql, table);

  if (!plan_equal (&plan, query, error) ||
      !plan_bounds (&plan, query, error) ||
      !plan_cursor (&plan, query, error))
    return NULL;

  page_size = query->page_size == 0 ? CAIRN_QUERY_DEFAULT_PAGE_SIZE
                                    : MIN (query->page_size, CAIRN_QUERY_MAX_PAGE_SIZE);
  plan_order (&plan, query->descending, page_size);

  list = g_new0 (CairnSqlList, 1);
  list->table = table;
  list->index = plan.index;
  list->page_size = page_size;
  list->select = statement_set_text (g_steal_pointer (&statement), g_steal_pointer (&sql));

  return list;
}

void
cairn_sql_list_free (CairnSqlList *self)
{
  g_clear_pointer (&self->select, cairn_sql_statement_free);
  g_free (self);
}

/* ------------------------------------------------------------------------
 * One document, by its clientId
 * ------------------------------------------------------------------------ */

CairnSqlStatement *
cairn_sql_get (const CairnTableSpec *table,
               const char           *client_id)
{
  CairnSqlStatement *self = statement_new ();
  GString *sql = g_string_new (NULL);

  append_select (sql, table);
  g_string_append (sql, " WHERE \"clientId\" = ?1");
  bind_string (self, client_id);

  return statement_set_text (self, sql);
}

/* An existing clientId keeps its row: a replayed insert changes nothing.
 * @document has every field of @table; a field the store keeps
 * (cairn_table_spec_is_kept_field()) is left to the store's triggers
 * (cairn-local-schema.c), whatever @document says. */
CairnSqlStatement *
cairn_sql_insert (const CairnTableSpec *table,
                  JsonObject           *document)
{
  CairnSqlStatement *self = statement_new ();
  GString *sql = g_string_new ("INSERT INTO ");

  cairn_sql_append_identifier (sql, table->name);
  g_string_append (sql, " (");
  for (guint i = 0; i < table->n_fields; i++)
    {
      if (cairn_table_spec_is_kept_field (table, table->fields[i].name))
        continue;
      if (self->binds->len > 0)
        g_string_append (sql, ", ");
      cairn_sql_append_identifier (sql, table->fields[i].name);
      bind (self, json_object_get_member (document, table->fields[i].name));
    }
  g_string_append (sql, ") VALUES (");
  for (guint i = 0; i < self->binds->len; i++)
    g_string_append (sql, i > 0 ? ", ?" : "?");
  g_string_append (sql, ") ON CONFLICT (\"clientId\") DO NOTHING");

  return statement_set_text (self, sql);
}

/**
 * cairn_sql_patch:
 *
 * The fields of @fields in schema order, so one set of fields is one text.
 * A field the store keeps (cairn_table_spec_is_kept_field()) is not
 * written.
 *
 * Returns: (transfer full) (nullable): the UPDATE, or %NULL when @fields
 *   holds nothing to write
 */
CairnSqlStatement *
cairn_sql_patch (const CairnTableSpec *table,
                 const char           *client_id,
                 JsonObject           *fields)
{
  g_autoptr(CairnSqlStatement) self = statement_new ();
  g_autoptr(GString) sql = g_string_new ("UPDATE ");

  cairn_sql_append_identifier (sql, table->name);
  g_string_append (sql, " SET ");
  for (guint i = 0; i < table->n_fields; i++)
    {
      JsonNode *value = json_object_get_member (fields, table->fields[i].name);

      if (value == NULL || cairn_table_spec_is_kept_field (table, table->fields[i].name))
        continue;
      if (self->binds->len > 0)
        g_string_append (sql, ", ");
      cairn_sql_append_identifier (sql, table->fields[i].name);
      g_string_append (sql, " = ?");
      bind (self, value);
    }

  if (self->binds->len == 0)
    return NULL;

  g_string_append (sql, " WHERE \"clientId\" = ?");
  bind_string (self, client_id);

  return statement_set_text (g_steal_pointer (&self), g_steal_pointer (&sql));
}

/* Appends the DELETEs of the rows of @table's descendants whose parent is
 * one of @parents, an SQL expression of clientIds in terms of ?1. */
static gboolean
plan_cascade (GPtrArray             *statements,
              const CairnTableSpec  *table,
              const char            *parents,
              const char            *client_id,
              guint                  depth,
              GError               **error)
{
  const CairnTableSpec *child = cairn_table_spec_child (table);
  g_autoptr(GString) rows = NULL;
  g_autoptr(GString) select = NULL;
  CairnSqlStatement *statement;

  if (child == NULL)
    return TRUE;

  if (depth >= MAX_CASCADE_DEPTH)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("The rows of “%s” are nested too deeply to remove."), table->name);
      return FALSE;
    }

  /* the child rows of @parents: "FROM child WHERE parent_field IN (parents)" */
  rows = g_string_new (" FROM ");
  cairn_sql_append_identifier (rows, child->name);
  g_string_append (rows, " WHERE ");
  cairn_sql_append_identifier (rows, child->parent_field);
  g_string_append_printf (rows, " IN (%s)", parents);

  /* grandchildren first, while their parents can still be found */
  select = g_string_new ("SELECT \"clientId\"");
  g_string_append (select, rows->str);
  if (!plan_cascade (statements, child, select->str, client_id, depth + 1, error))
    return FALSE;

  statement = statement_new ();
  bind_string (statement, client_id);
  g_string_prepend (rows, "DELETE");
  g_ptr_array_add (statements, statement_set_text (statement, g_steal_pointer (&rows)));

  return TRUE;
}

/**
 * cairn_sql_remove:
 *
 * The row of @client_id goes, and with it every row below it (the rows of
 * the child table whose parent field names it, theirs, and so on). Removing
 * what is not there changes nothing.
 *
 * Returns: (transfer full) (element-type CairnSqlStatement): the DELETEs to
 *   run in this order in one transaction, the deepest rows first; or %NULL
 *   with a %CAIRN_STORE_ERROR_DATABASE error when the tables below @table nest
 *   deeper than any schema should
 */
GPtrArray *
cairn_sql_remove (const CairnTableSpec  *table,
                  const char            *client_id,
                  GError               **error)
{
  g_autoptr(GPtrArray) statements = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_sql_statement_free);
  CairnSqlStatement *row;
  GString *sql;

  if (!plan_cascade (statements, table, "?1", client_id, 0, error))
    return NULL;

  row = statement_new ();
  sql = g_string_new ("DELETE FROM ");
  cairn_sql_append_identifier (sql, table->name);
  g_string_append (sql, " WHERE \"clientId\" = ?1");
  bind_string (row, client_id);
  g_ptr_array_add (statements, statement_set_text (row, sql));

  return g_steal_pointer (&statements);
}
