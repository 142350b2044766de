/* cairn-local-schema.c — the local database's tables: made from the schema, upgraded by version
 *
 * A table of cairn-schema is a STRICT SQL table: a column per field, named
 * exactly as the field, NOT NULL unless the field is optional, plus "seq",
 * the insertion order. Each index of the schema is an SQL index that ends in
 * seq, the tie-breaker every listing orders by. A count the store keeps
 * (a table's child_count_field) is kept by triggers, in the transaction of
 * the write that changes it.
 *
 * The file's own layout has a version (PRAGMA user_version): a file is
 * taken from the version it has to the latest one step at a time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-local-schema"

#include "config.h"

#include "cairn-local-schema.h"
#include "cairn-sql.h"

static const char *
column_type (CairnFieldType type)
{
  switch (type)
    {
    case CAIRN_FIELD_STRING:
      return "TEXT";
    case CAIRN_FIELD_BOOLEAN:
      return "INTEGER";
    case CAIRN_FIELD_NUMBER:
      return "REAL";
    default:
      g_assert_not_reached ();
    }
}

static void
append_column (GString              *sql,
               const CairnFieldSpec *field)
{
  g_string_append (sql, ", ");
  cairn_sql_append_identifier (sql, field->name);
  g_string_append_printf (sql, " %s%s", column_type (field->type), field->optional ? "" : " NOT NULL");

  if (g_str_equal (field->name, "clientId"))
    g_string_append (sql, " UNIQUE");

  if (field->type == CAIRN_FIELD_BOOLEAN)
    {
      g_string_append (sql, " CHECK (");
      cairn_sql_append_identifier (sql, field->name);
      g_string_append (sql, " IN (0, 1))");
    }
}

char *
cairn_local_schema_create_table_sql (const CairnTableSpec *table)
{
  GString *sql = g_string_new ("CREATE TABLE IF NOT EXISTS ");

  cairn_sql_append_identifier (sql, table->name);
  g_string_append (sql, " (seq INTEGER PRIMARY KEY");
  for (guint i = 0; i < table->n_fields; i++)
    append_column (sql, &table->fields[i]);
  g_string_append (sql, ") STRICT");

  return g_string_free (sql, FALSE);
}

/* Named "<table>_<index>": index names are only unique within a table. */
char *
cairn_local_schema_create_index_sql (const CairnTableSpec *table,
                                     const CairnIndexSpec *index)
{
  GString *sql = g_string_new ("CREATE INDEX IF NOT EXISTS ");
  g_autofree char *name = g_strconcat (table->name, "_", index->name, NULL);

  cairn_sql_append_identifier (sql, name);
  g_string_append (sql, " ON ");
  cairn_sql_append_identifier (sql, table->name);
  g_string_append (sql, " (");
  for (guint i = 0; index->fields[i] != NULL; i++)
    {
      cairn_sql_append_identifier (sql, index->fields[i]);
      g_string_append (sql, ", ");
    }
  g_string_append (sql, "seq)");

  return g_string_free (sql, FALSE);
}

/* "UPDATE <parent> SET <count> = <count> <delta> WHERE "clientId" = <row>.<parent field>; " */
static void
append_count_change (GString              *sql,
                     const CairnTableSpec *parent,
                     const CairnTableSpec *child,
                     const char           *delta,
                     const char           *row)
{
  g_string_append (sql, "UPDATE ");
  cairn_sql_append_identifier (sql, parent->name);
  g_string_append (sql, " SET ");
  cairn_sql_append_identifier (sql, parent->child_count_field);
  g_string_append (sql, " = ");
  cairn_sql_append_identifier (sql, parent->child_count_field);
  g_string_append_printf (sql, " %s WHERE \"clientId\" = %s.", delta, row);
  cairn_sql_append_identifier (sql, child->parent_field);
  g_string_append (sql, "; ");
}

/* "CREATE TRIGGER IF NOT EXISTS "<parent>_<count>_<suffix>" AFTER <event> ON <on> " */
static GString *
trigger_start (const CairnTableSpec *parent,
               const char           *suffix,
               const char           *event,
               const CairnTableSpec *on)
{
  GString *sql = g_string_new ("CREATE TRIGGER IF NOT EXISTS ");
  g_autofree char *name = g_strconcat (parent->name, "_", parent->child_count_field, "_", suffix, NULL);

  cairn_sql_append_identifier (sql, name);
  g_string_append_printf (sql, " AFTER %s ON ", event);
  cairn_sql_append_identifier (sql, on->name);
  g_string_append_c (sql, ' ');

  return sql;
}

/* A child row inserted adds one to its parent's count, one removed takes it
 * away: @what names the trigger, @event fires it, @change is the change to
 * the count and @row the child row's name in the trigger (NEW or OLD). */
static char *
child_counted_sql (const CairnTableSpec *parent,
                   const CairnTableSpec *child,
                   const char           *what,
                   const char           *event,
                   const char           *change,
                   const char           *row)
{
  GString *sql = trigger_start (parent, what, event, child);

  g_string_append (sql, "BEGIN ");
  append_count_change (sql, parent, child, change, row);
  g_string_append (sql, "END");

  return g_string_free (sql, FALSE);
}

/* A child row patched to another parent moves its one. */
static char *
child_moved_sql (const CairnTableSpec *parent,
                 const CairnTableSpec *child)
{
  g_autoptr(GString) column = g_string_new (NULL);
  g_autofree char *event = NULL;
  GString *sql;

  cairn_sql_append_identifier (column, child->parent_field);
  event = g_strconcat ("UPDATE OF ", column->str, NULL);
  sql = trigger_start (parent, "move", event, child);
  g_string_append_printf (sql, "WHEN OLD.%s IS NOT NEW.%s BEGIN ", column->str, column->str);
  append_count_change (sql, parent, child, "- 1", "OLD");
  append_count_change (sql, parent, child, "+ 1", "NEW");
  g_string_append (sql, "END");

  return g_string_free (sql, FALSE);
}

/* A parent row inserted counts the child rows that name it already. */
static char *
parent_inserted_sql (const CairnTableSpec *parent,
                     const CairnTableSpec *child)
{
  GString *sql = trigger_start (parent, "count", "INSERT", parent);

  g_string_append (sql, "BEGIN UPDATE ");
  cairn_sql_append_identifier (sql, parent->name);
  g_string_append (sql, " SET ");
  cairn_sql_append_identifier (sql, parent->child_count_field);
  g_string_append (sql, " = (SELECT count(*) FROM ");
  cairn_sql_append_identifier (sql, child->name);
  g_string_append (sql, " WHERE ");
  cairn_sql_append_identifier (sql, child->parent_field);
  g_string_append (sql, " = NEW.\"clientId\") WHERE seq = NEW.seq; END");

  return g_string_free (sql, FALSE);
}

/**
 * cairn_local_schema_create_count_triggers_sql:
 *
 * The triggers that keep @table's count of its child rows
 * (child_count_field), the rule the Cairn functions keep on a deployment: a
 * child row really inserted adds one to its parent's count, one really
 * removed takes one away (a replayed insert or a remove of what is not
 * there fires nothing), one patched to another parent moves its one, and a
 * parent row inserted counts the child rows there are already. A count that
 * is NULL stays NULL.
 *
 * Returns: (transfer full): the statements, empty when @table keeps no count
 */
GStrv
cairn_local_schema_create_count_triggers_sql (const CairnTableSpec *table)
{
  const CairnTableSpec *child = cairn_table_spec_child (table);
  GPtrArray *triggers = g_ptr_array_new ();

  if (table->child_count_field != NULL && child != NULL)
    {
      g_ptr_array_add (triggers, child_counted_sql (table, child, "insert", "INSERT", "+ 1", "NEW"));
      g_ptr_array_add (triggers, child_counted_sql (table, child, "remove", "DELETE", "- 1", "OLD"));
      g_ptr_array_add (triggers, child_moved_sql (table, child));
      g_ptr_array_add (triggers, parent_inserted_sql (table, child));
    }
  g_ptr_array_add (triggers, NULL);

  return (GStrv) g_ptr_array_free (triggers, FALSE);
}

static gboolean
create_count_triggers (sqlite3              *db,
                       const CairnTableSpec *table)
{
  g_auto(GStrv) triggers = cairn_local_schema_create_count_triggers_sql (table);

  for (guint i = 0; triggers[i] != NULL; i++)
    if (sqlite3_exec (db, triggers[i], NULL, NULL, NULL) != SQLITE_OK)
      return FALSE;

  return TRUE;
}

/* Every table, index and count trigger of the schema the file does not have
 * yet. Runs on every open, so a table or index added to the schema needs no
 * step. */
gboolean
cairn_local_schema_create_missing (sqlite3 *db)
{
  guint n_tables;
  const CairnTableSpec **tables = cairn_schema_list_tables (&n_tables);

  for (guint i = 0; i < n_tables; i++)
    {
      g_autofree char *table_sql = cairn_local_schema_create_table_sql (tables[i]);

      if (sqlite3_exec (db, table_sql, NULL, NULL, NULL) != SQLITE_OK)
        return FALSE;

      for (guint j = 0; j < tables[i]->n_indexes; j++)
        {
          g_autofree char *index_sql = cairn_local_schema_create_index_sql (tables[i], &tables[i]->indexes[j]);

          if (sqlite3_exec (db, index_sql, NULL, NULL, NULL) != SQLITE_OK)
            return FALSE;
        }
    }

  /* after every table: a trigger names the tables on both sides */
  for (guint i = 0; i < n_tables; i++)
    if (!create_count_triggers (db, tables[i]))
      return FALSE;

  return TRUE;
}

/* Finalizing a statement that failed leaves its failure on the handle. */
static gboolean
has_column (sqlite3    *db,
            const char *table,
            const char *column,
            gboolean   *found)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, "SELECT 1 FROM pragma_table_info (?1) WHERE name = ?2",
                          -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;

  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, column, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  *found = rc == SQLITE_ROW;
  sqlite3_finalize (stmt);

  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Version 2: a write the user's deployment refused for good stays in the
 * outbox with its state ("pending" or "failed") and the reason. A file made
 * at version 0 got the whole current table from
 * cairn_local_schema_create_missing(), these columns included: only an
 * older table lacks them. */
static gboolean
add_outbox_status (sqlite3 *db)
{
  static const struct {
    const char *column;
    const char *sql;
  } columns[] = {
    { "status", "ALTER TABLE \"outbox\" ADD COLUMN \"status\" TEXT NOT NULL DEFAULT 'pending'" },
    { "error", "ALTER TABLE \"outbox\" ADD COLUMN \"error\" TEXT NOT NULL DEFAULT ''" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      gboolean found;

      if (!has_column (db, "outbox", columns[i].column, &found))
        return FALSE;

      if (!found && sqlite3_exec (db, columns[i].sql, NULL, NULL, NULL) != SQLITE_OK)
        return FALSE;
    }

  return TRUE;
}

/* Version 3: conversations count their messages (messageCount, kept by
 * the triggers from then on); the count of every existing conversation is
 * filled in. A file made at version 0 has the column already; one without
 * the table gets all of it from cairn_local_schema_create_missing(). */
static gboolean
add_message_count (sqlite3 *db)
{
  gboolean has_table;
  gboolean found;

  if (!has_column (db, "conversations", "clientId", &has_table) ||
      !has_column (db, "conversations", "messageCount", &found))
    return FALSE;

  if (!has_table)
    return TRUE;

  if (!found &&
      sqlite3_exec (db, "ALTER TABLE \"conversations\" ADD COLUMN \"messageCount\" REAL", NULL, NULL, NULL) != SQLITE_OK)
    return FALSE;

  return sqlite3_exec (db,
                       "UPDATE \"conversations\" SET \"messageCount\" = "
                       "(SELECT count(*) FROM \"messages\" "
                       "WHERE \"messages\".\"conversationId\" = \"conversations\".\"clientId\")",
                       NULL, NULL, NULL) == SQLITE_OK;
}

/* Version 4: the BYOD settings keep this computer's id in a deployment's
 * migration lease ("" until an update needs it). */
static gboolean
add_byod_runner_id (sqlite3 *db)
{
  gboolean has_table;
  gboolean found;

  if (!has_column (db, "userDatabaseConfig", "clientId", &has_table) ||
      !has_column (db, "userDatabaseConfig", "runnerId", &found))
    return FALSE;

  if (!has_table || found)
    return TRUE;

  return sqlite3_exec (db, "ALTER TABLE \"userDatabaseConfig\" ADD COLUMN \"runnerId\" TEXT NOT NULL DEFAULT ''",
                       NULL, NULL, NULL) == SQLITE_OK;
}

typedef gboolean (*UpgradeStep) (sqlite3 *db);

/* upgrade_steps[n] takes a file from version n to n + 1. Append, never edit:
 * a file on disk may be at any earlier version. A new table or index in
 * cairn-schema.c needs no step; a new field in an existing table does
 * (ALTER TABLE … ADD COLUMN). */
static const UpgradeStep upgrade_steps[] = {
  cairn_local_schema_create_missing,
  add_outbox_status,
  add_message_count,
  add_byod_runner_id,
};

/* The version of the files this build writes. */
int
cairn_local_schema_latest_version (void)
{
  return G_N_ELEMENTS (upgrade_steps);
}

/* Takes the file from @version to @version + 1; the caller then records
 * the new version in the same transaction. */
gboolean
cairn_local_schema_upgrade_step (sqlite3 *db,
                                 int      version)
{
  g_return_val_if_fail (version >= 0 && version < cairn_local_schema_latest_version (), FALSE);

  return upgrade_steps[version] (db);
}
