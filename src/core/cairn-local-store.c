/* cairn-local-store.c
 *
 * CairnStore over an embedded SQLite file.
 *
 * Every table of cairn-schema becomes one SQL table: a column per field,
 * named exactly as the field, plus "seq", the insertion order that breaks
 * ties in every index. All SQLite work runs on one worker thread, so the
 * operations of a store execute in the order they were issued; each result
 * comes back in the main context of the caller that issued it.
 *
 * Requests are checked against the schema on the caller's thread before
 * they are queued, so the worker only ever sees well-formed work.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-local-store"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cairn-error.h"
#include "cairn-local-store.h"
#include "cairn-schema.h"

#define BUSY_TIMEOUT_MS   5000
#define MAX_CASCADE_DEPTH 8

struct _CairnLocalStore
{
  GObject      parent_instance;

  char        *path;
  int          schema_version;

  /* Used by one thread at a time: the opening thread, then the worker,
   * then the thread that closes. The thread pool's queue orders them. */
  sqlite3     *db;
  GHashTable  *statements;   /* (owned) SQL text -> sqlite3_stmt */
  GThreadPool *worker;       /* (owned) (nullable) one thread; NULL once closed */
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_SCHEMA_VERSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void cairn_local_store_initable_iface_init (GInitableIface      *iface);
static void cairn_local_store_store_iface_init    (CairnStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CairnLocalStore, cairn_local_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      cairn_local_store_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, NULL)
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_STORE,
                                                      cairn_local_store_store_iface_init))

/* ------------------------------------------------------------------------
 * Work: one operation, prepared on the caller's thread, run on the worker
 * ------------------------------------------------------------------------ */

typedef struct _Work Work;

/* Returns the result (non-NULL) or NULL with @error set. */
typedef gpointer (*WorkFunc) (CairnLocalStore  *self,
                              Work             *work,
                              GError          **error);

struct _Work
{
  WorkFunc              func;
  const CairnTableSpec *table;
  char                 *client_id;
  JsonObject           *object;       /* document or fields: scalars only, ours */

  /* list */
  const CairnIndexSpec *index;
  char                 *sql;
  GPtrArray            *params;       /* (element-type JsonNode) */
  guint                 page_size;

  /* outcome, set on the worker */
  gpointer              result;
  GDestroyNotify        result_free;  /* NULL: a boolean result */
  GError               *error;
};

static Work *
work_new (WorkFunc       func,
          GDestroyNotify result_free)
{
  Work *work = g_new0 (Work, 1);

  work->func = func;
  work->result_free = result_free;

  return work;
}

static void
work_free (Work *work)
{
  g_free (work->client_id);
  g_clear_pointer (&work->object, json_object_unref);
  g_free (work->sql);
  g_clear_pointer (&work->params, g_ptr_array_unref);
  if (work->result != NULL && work->result_free != NULL)
    work->result_free (work->result);
  g_clear_error (&work->error);
  g_free (work);
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* What SQLite's last failure on the handle means for the user and what
 * they can do about it, by its primary result code. */
static void
set_storage_error (CairnLocalStore  *self,
                   GError          **error)
{
  g_autofree char *folder = NULL;
  /* extended codes are on (configure()); the low byte is the primary one */
  int code = sqlite3_extended_errcode (self->db) & 0xff;

  switch (code)
    {
    case SQLITE_FULL:
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("The disk is full: the local database “%s” cannot grow. "
                     "Free some space on the disk, then try again."),
                   self->path);
      break;

    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("The local database “%s” is damaged and cannot be read (%s). "
                     "Cairn leaves the file as it is. Quit Cairn and replace the file "
                     "with a copy from a backup."),
                   self->path, sqlite3_errmsg (self->db));
      break;

    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      folder = g_path_get_dirname (self->path);
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("Cairn cannot write the local database “%s” (%s). "
                     "Check that you are allowed to write the file and its folder “%s”."),
                   self->path, sqlite3_errmsg (self->db), folder);
      break;

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("The local database “%s” is in use by another program, perhaps another "
                     "Cairn. Close that program, then try again."),
                   self->path);
      break;

    case SQLITE_IOERR:
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("The disk reported an error while Cairn used the local database “%s” (%s). "
                     "Check the disk, then try again."),
                   self->path, sqlite3_errmsg (self->db));
      break;

    default:
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("The local database “%s” failed: %s. Try again; if it keeps failing, restart Cairn."),
                   self->path, sqlite3_errmsg (self->db));
      break;
    }
}

static void
set_closed_error (GError **error)
{
  g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
               _("The local database is already closed. Restart Cairn to open it again."));
}

static const CairnTableSpec *
lookup_table (const char  *name,
              GError     **error)
{
  const CairnTableSpec *table = name != NULL ? cairn_schema_lookup_table (name) : NULL;

  if (table == NULL)
    g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                 _("Cairn has no table “%s”."), name != NULL ? name : "");

  return table;
}

/* ------------------------------------------------------------------------
 * JSON values
 * ------------------------------------------------------------------------ */

/* A fresh node with the value of @value, sharing nothing with it:
 * json_node_copy() shares the underlying JsonValue, which must not
 * cross to the worker thread while the caller may still change it. */
static JsonNode *
scalar_node_new (JsonNode *value)
{
  JsonNode *node = json_node_alloc ();
  GType type = json_node_get_value_type (value);

  if (type == G_TYPE_STRING)
    json_node_init_string (node, json_node_get_string (value));
  else if (type == G_TYPE_BOOLEAN)
    json_node_init_boolean (node, json_node_get_boolean (value));
  else if (type == G_TYPE_INT64)
    json_node_init_int (node, json_node_get_int (value));
  else
    json_node_init_double (node, json_node_get_double (value));

  return node;
}

/* A private copy of a validated document or patch. */
static JsonObject *
copy_scalars (JsonObject *object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (copy, name, scalar_node_new (value));

  return copy;
}

/* ------------------------------------------------------------------------
 * SQL text, derived from the schema
 * ------------------------------------------------------------------------ */

static void
append_identifier (GString    *sql,
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
  append_identifier (sql, field->name);
  g_string_append_printf (sql, " %s NOT NULL", column_type (field->type));

  if (g_str_equal (field->name, "clientId"))
    g_string_append (sql, " UNIQUE");

  if (field->type == CAIRN_FIELD_BOOLEAN)
    {
      g_string_append (sql, " CHECK (");
      append_identifier (sql, field->name);
      g_string_append (sql, " IN (0, 1))");
    }
}

static char *
create_table_sql (const CairnTableSpec *table)
{
  GString *sql = g_string_new ("CREATE TABLE IF NOT EXISTS ");

  append_identifier (sql, table->name);
  g_string_append (sql, " (seq INTEGER PRIMARY KEY");
  for (guint i = 0; i < table->n_fields; i++)
    append_column (sql, &table->fields[i]);
  g_string_append (sql, ") STRICT");

  return g_string_free (sql, FALSE);
}

/* Named "<table>_<index>"; its last column is seq, the tie-breaker. */
static char *
create_index_sql (const CairnTableSpec *table,
                  const CairnIndexSpec *index)
{
  GString *sql = g_string_new ("CREATE INDEX IF NOT EXISTS ");
  g_autofree char *name = g_strconcat (table->name, "_", index->name, NULL);

  append_identifier (sql, name);
  g_string_append (sql, " ON ");
  append_identifier (sql, table->name);
  g_string_append (sql, " (");
  for (guint i = 0; index->fields[i] != NULL; i++)
    {
      append_identifier (sql, index->fields[i]);
      g_string_append (sql, ", ");
    }
  g_string_append (sql, "seq)");

  return g_string_free (sql, FALSE);
}

/* "SELECT seq, <every field> FROM <table>": read back with read_document(). */
static void
append_select (GString              *sql,
               const CairnTableSpec *table)
{
  g_string_append (sql, "SELECT seq");
  for (guint i = 0; i < table->n_fields; i++)
    {
      g_string_append (sql, ", ");
      append_identifier (sql, table->fields[i].name);
    }
  g_string_append (sql, " FROM ");
  append_identifier (sql, table->name);
}

static char *
select_by_id_sql (const CairnTableSpec *table)
{
  GString *sql = g_string_new (NULL);

  append_select (sql, table);
  g_string_append (sql, " WHERE \"clientId\" = ?1");

  return g_string_free (sql, FALSE);
}

static char *
insert_sql (const CairnTableSpec *table)
{
  GString *sql = g_string_new ("INSERT INTO ");

  append_identifier (sql, table->name);
  g_string_append (sql, " (");
  for (guint i = 0; i < table->n_fields; i++)
    {
      if (i > 0)
        g_string_append (sql, ", ");
      append_identifier (sql, table->fields[i].name);
    }
  g_string_append (sql, ") VALUES (");
  for (guint i = 0; i < table->n_fields; i++)
    g_string_append (sql, i > 0 ? ", ?" : "?");
  g_string_append (sql, ") ON CONFLICT (\"clientId\") DO NOTHING");

  return g_string_free (sql, FALSE);
}

/* The fields of @fields in schema order, so one set of fields is one SQL text. */
static char *
update_sql (const CairnTableSpec *table,
            JsonObject           *fields)
{
  GString *sql = g_string_new ("UPDATE ");
  gboolean first = TRUE;

  append_identifier (sql, table->name);
  g_string_append (sql, " SET ");
  for (guint i = 0; i < table->n_fields; i++)
    {
      if (!json_object_has_member (fields, table->fields[i].name))
        continue;
      if (!first)
        g_string_append (sql, ", ");
      append_identifier (sql, table->fields[i].name);
      g_string_append (sql, " = ?");
      first = FALSE;
    }
  g_string_append (sql, " WHERE \"clientId\" = ?");

  return g_string_free (sql, FALSE);
}

/* ------------------------------------------------------------------------
 * Statements (worker thread)
 * ------------------------------------------------------------------------ */

/* A statement from the cache; released (reset, unbound) when it goes out of scope. */
typedef sqlite3_stmt CachedStatement;

static void
cached_statement_release (CachedStatement *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CachedStatement, cached_statement_release)

static CachedStatement *
prepare (CairnLocalStore  *self,
         const char       *sql,
         GError          **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);

  if (stmt != NULL)
    return stmt;

  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      set_storage_error (self, error);
      return NULL;
    }

  g_hash_table_insert (self->statements, g_strdup (sql), stmt);

  return stmt;
}

/* Runs a statement that returns no rows. */
static gboolean
execute (CairnLocalStore  *self,
         const char       *sql,
         GError          **error)
{
  g_autoptr(CachedStatement) stmt = prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
begin (CairnLocalStore  *self,
       GError          **error)
{
  return execute (self, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (CairnLocalStore  *self,
        GError          **error)
{
  return execute (self, "COMMIT", error);
}

/* Some failures end the transaction already; only roll back what is open. */
static void
rollback (CairnLocalStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
bind_value (sqlite3_stmt         *stmt,
            int                   position,
            const CairnFieldSpec *field,
            JsonNode             *value)
{
  switch (field->type)
    {
    case CAIRN_FIELD_STRING:
      sqlite3_bind_text (stmt, position, json_node_get_string (value), -1, SQLITE_TRANSIENT);
      break;
    case CAIRN_FIELD_BOOLEAN:
      sqlite3_bind_int (stmt, position, json_node_get_boolean (value) ? 1 : 0);
      break;
    case CAIRN_FIELD_NUMBER:
      sqlite3_bind_double (stmt, position, json_node_get_double (value));
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Query parameters carry their own type (seq is an integer, not a field). */
static void
bind_param (sqlite3_stmt *stmt,
            int           position,
            JsonNode     *value)
{
  GType type = json_node_get_value_type (value);

  if (type == G_TYPE_STRING)
    sqlite3_bind_text (stmt, position, json_node_get_string (value), -1, SQLITE_TRANSIENT);
  else if (type == G_TYPE_BOOLEAN)
    sqlite3_bind_int (stmt, position, json_node_get_boolean (value) ? 1 : 0);
  else if (type == G_TYPE_INT64)
    sqlite3_bind_int64 (stmt, position, json_node_get_int (value));
  else
    sqlite3_bind_double (stmt, position, json_node_get_double (value));
}

/* The fields of @table from the current row, starting at column 1 (0 is seq). */
static JsonObject *
read_document (const CairnTableSpec *table,
               sqlite3_stmt         *stmt)
{
  JsonObject *document = json_object_new ();

  for (guint i = 0; i < table->n_fields; i++)
    {
      const CairnFieldSpec *field = &table->fields[i];
      int column = i + 1;

      switch (field->type)
        {
        case CAIRN_FIELD_STRING:
          json_object_set_string_member (document, field->name,
                                         (const char *) sqlite3_column_text (stmt, column));
          break;
        case CAIRN_FIELD_BOOLEAN:
          json_object_set_boolean_member (document, field->name,
                                          sqlite3_column_int (stmt, column) != 0);
          break;
        case CAIRN_FIELD_NUMBER:
          json_object_set_double_member (document, field->name,
                                         sqlite3_column_double (stmt, column));
          break;
        default:
          g_assert_not_reached ();
        }
    }

  return document;
}

/* The stored document, or NULL with CAIRN_ERROR_NOT_FOUND. */
static JsonObject *
select_document (CairnLocalStore       *self,
                 const CairnTableSpec  *table,
                 const char            *client_id,
                 GError               **error)
{
  g_autofree char *sql = select_by_id_sql (table);
  g_autoptr(CachedStatement) stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, client_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return read_document (table, stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_NOT_FOUND,
                 _("There is no document “%s” in “%s”. It may have been deleted."),
                 client_id, table->name);
  else
    set_storage_error (self, error);

  return NULL;
}

/* ------------------------------------------------------------------------
 * Opening and upgrading (the opening thread, before the worker starts)
 * ------------------------------------------------------------------------ */

static gboolean
create_missing_tables (CairnLocalStore  *self,
                       GError          **error)
{
  guint n_tables;
  const CairnTableSpec **tables = cairn_schema_list_tables (&n_tables);

  for (guint i = 0; i < n_tables; i++)
    {
      g_autofree char *table_sql = create_table_sql (tables[i]);

      if (sqlite3_exec (self->db, table_sql, NULL, NULL, NULL) != SQLITE_OK)
        goto failed;

      for (guint j = 0; j < tables[i]->n_indexes; j++)
        {
          g_autofree char *index_sql = create_index_sql (tables[i], &tables[i]->indexes[j]);

          if (sqlite3_exec (self->db, index_sql, NULL, NULL, NULL) != SQLITE_OK)
            goto failed;
        }
    }

  return TRUE;

failed:
  set_storage_error (self, error);
  return FALSE;
}

typedef gboolean (*UpgradeStep) (CairnLocalStore  *self,
                                 GError          **error);

static gboolean
has_column (CairnLocalStore  *self,
            const char       *table,
            const char       *column,
            gboolean         *found,
            GError          **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, "SELECT 1 FROM pragma_table_info (?1) WHERE name = ?2",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, column, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    set_storage_error (self, error);
  *found = rc == SQLITE_ROW;
  sqlite3_finalize (stmt);

  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Version 2: a write the user's deployment refused for good stays in the
 * outbox with its state ("pending" or "failed") and the reason. A file made
 * at version 0 got the whole current table from create_missing_tables(),
 * these columns included: only an older table lacks them. */
static gboolean
add_outbox_status (CairnLocalStore  *self,
                   GError          **error)
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

      if (!has_column (self, "outbox", columns[i].column, &found, error))
        return FALSE;

      if (!found && sqlite3_exec (self->db, columns[i].sql, NULL, NULL, NULL) != SQLITE_OK)
        {
          set_storage_error (self, error);
          return FALSE;
        }
    }

  return TRUE;
}

/* upgrade_steps[n] takes a file from version n to n + 1. Append, never edit:
 * a file on disk may be at any earlier version. A new table or index in
 * cairn-schema.c needs no step (create_missing_tables() runs on every open);
 * a new field in an existing table does (ALTER TABLE … ADD COLUMN). */
static const UpgradeStep upgrade_steps[] = {
  create_missing_tables,
  add_outbox_status,
};

#define LATEST_VERSION ((int) G_N_ELEMENTS (upgrade_steps))

static gboolean
read_user_version (CairnLocalStore  *self,
                   int              *version,
                   GError          **error)
{
  g_autoptr(CachedStatement) stmt = prepare (self, "PRAGMA user_version", error);

  if (stmt == NULL)
    return FALSE;

  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  *version = sqlite3_column_int (stmt, 0);

  return TRUE;
}

/* One step in one transaction: a failed step leaves the file as it was. */
static gboolean
run_upgrade_step (CairnLocalStore  *self,
                  int               version,
                  GError          **error)
{
  g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);

  if (!begin (self, error))
    return FALSE;

  if (!upgrade_steps[version] (self, error) ||
      sqlite3_exec (self->db, set_version, NULL, NULL, NULL) != SQLITE_OK ||
      !commit (self, error))
    {
      if (error != NULL && *error == NULL)
        set_storage_error (self, error);
      rollback (self);
      g_prefix_error (error, _("Could not upgrade the local database to version %d: "), version + 1);
      return FALSE;
    }

  return TRUE;
}

static gboolean
upgrade (CairnLocalStore  *self,
         GError          **error)
{
  int version;

  if (!read_user_version (self, &version, error))
    return FALSE;

  if (version > LATEST_VERSION)
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("This data was written by a newer version of Cairn "
                     "(local database version %d, this version knows up to %d). "
                     "Update Cairn to open it."),
                   version, LATEST_VERSION);
      return FALSE;
    }

  for (; version < LATEST_VERSION; version++)
    if (!run_upgrade_step (self, version, error))
      return FALSE;

  self->schema_version = version;

  if (!begin (self, error))
    return FALSE;

  if (!create_missing_tables (self, error) || !commit (self, error))
    {
      rollback (self);
      return FALSE;
    }

  return TRUE;
}

static gboolean
make_parent_directory (const char  *path,
                       GError     **error)
{
  g_autofree char *parent = NULL;

  if (g_str_equal (path, ":memory:") || g_str_has_prefix (path, "file:"))
    return TRUE;

  parent = g_path_get_dirname (path);
  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("Could not create the folder “%s” for the local database: %s. "
                     "Check that your home folder can be written."),
                   parent, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/* WAL lets readers and the writer overlap; FULL makes every commit durable
 * before it is reported, so nothing the user saw as saved can be lost. */
static gboolean
configure (CairnLocalStore  *self,
           GError          **error)
{
  static const char *pragmas =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "PRAGMA foreign_keys = ON;";

  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, 1);

  if (sqlite3_exec (self->db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
open_database (CairnLocalStore  *self,
               GError          **error)
{
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

  if (g_str_has_prefix (self->path, "file:"))
    flags |= SQLITE_OPEN_URI;

  if (!make_parent_directory (self->path, error))
    return FALSE;

  /* sqlite3_open_v2() returns a handle even on failure, to read the reason from. */
  if (sqlite3_open_v2 (self->path, &self->db, flags, NULL) != SQLITE_OK)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return configure (self, error) && upgrade (self, error);
}

/* Only once no operation is queued or running. */
static void
close_database (CairnLocalStore *self)
{
  g_clear_pointer (&self->statements, g_hash_table_unref);

  if (self->db != NULL && sqlite3_close (self->db) != SQLITE_OK)
    g_critical ("Closing the local database at %s failed: %s", self->path, sqlite3_errmsg (self->db));

  self->db = NULL;
}

/* ------------------------------------------------------------------------
 * Page cursors: base64 of [table, index, index field values…, seq]
 * ------------------------------------------------------------------------ */

static char *
encode_cursor (const CairnTableSpec *table,
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
    json_array_add_element (array, scalar_node_new (json_object_get_member (last, index->fields[i])));
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

static JsonNode *
parse_cursor (const char *cursor)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree guchar *raw = NULL;
  gsize length = 0;

  if (cursor[0] == '\0')
    return NULL;

  raw = g_base64_decode (cursor, &length);
  if (length == 0 || !g_utf8_validate_len ((const char *) raw, length, NULL))
    return NULL;

  if (!json_parser_load_from_data (parser, (const char *) raw, length, NULL))
    return NULL;

  return json_parser_steal_root (parser);
}

/* Checks the cursor against the index and appends its index-field values
 * and seq to @values. */
static gboolean
decode_cursor (const CairnTableSpec  *table,
               const CairnIndexSpec  *index,
               const char            *cursor,
               GPtrArray             *values,
               GError               **error)
{
  g_autoptr(JsonNode) root = parse_cursor (cursor);
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

  for (guint i = 0; i < n_fields; i++)
    {
      JsonNode *value = json_array_get_element (array, i + 2);

      if (!cairn_schema_check_value (cairn_table_spec_lookup_field (table, index->fields[i]), value, NULL))
        goto invalid;
      g_ptr_array_add (values, scalar_node_new (value));
    }

  seq = json_array_get_element (array, n_fields + 2);
  if (!holds_type (seq, G_TYPE_INT64) || json_node_get_int (seq) < 1)
    goto invalid;
  g_ptr_array_add (values, scalar_node_new (seq));

  return TRUE;

invalid:
  g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
               _("The page cursor is not one of the index “%s” of “%s”. "
                 "Start the listing again from the first page."),
               index->name, table->name);
  return FALSE;
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
  GPtrArray            *params;
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
  append_identifier (plan->sql, field);
  g_string_append_printf (plan->sql, " %s ?", op);
  g_ptr_array_add (plan->params, scalar_node_new (value));
}

static gboolean
check_query_value (ListPlan    *plan,
                   guint        position,
                   JsonNode    *value,
                   GError     **error)
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
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
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
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
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
  g_autoptr(GPtrArray) values = NULL;

  if (query->cursor == NULL)
    return TRUE;

  values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  if (!decode_cursor (plan->table, plan->index, query->cursor, values, error))
    return FALSE;

  plan_where (plan);
  g_string_append (plan->sql, "(");
  for (guint i = plan->n_equal; i < plan->n_fields; i++)
    {
      append_identifier (plan->sql, plan->index->fields[i]);
      g_string_append (plan->sql, ", ");
    }
  g_string_append_printf (plan->sql, "seq) %s (", query->descending ? "<" : ">");
  for (guint i = plan->n_equal; i <= plan->n_fields; i++)
    {
      g_string_append (plan->sql, i > plan->n_equal ? ", ?" : "?");
      g_ptr_array_add (plan->params, json_node_ref (g_ptr_array_index (values, i)));
    }
  g_string_append (plan->sql, ")");

  return TRUE;
}

static void
plan_order (ListPlan *plan,
            gboolean  descending,
            guint     page_size)
{
  const char *direction = descending ? " DESC" : "";
  JsonNode *limit = json_node_new (JSON_NODE_VALUE);

  g_string_append (plan->sql, " ORDER BY ");
  for (guint i = 0; i < plan->n_fields; i++)
    {
      append_identifier (plan->sql, plan->index->fields[i]);
      g_string_append_printf (plan->sql, "%s, ", direction);
    }
  g_string_append_printf (plan->sql, "seq%s LIMIT ?", direction);

  /* one more than a page, to know whether another page follows */
  json_node_set_int (limit, page_size + 1);
  g_ptr_array_add (plan->params, limit);
}

static gboolean
plan_list (Work              *work,
           const CairnQuery  *query,
           GError           **error)
{
  ListPlan plan = { 0 };
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  if (!(plan.table = lookup_table (query->table, error)))
    return FALSE;

  if (!(plan.index = cairn_table_spec_lookup_index (plan.table, query->index)))
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                   _("The table “%s” has no index “%s”."),
                   plan.table->name, query->index != NULL ? query->index : "");
      return FALSE;
    }

  plan.n_fields = cairn_index_spec_n_fields (plan.index);
  plan.n_equal = query->equal != NULL ? json_array_get_length (query->equal) : 0;
  plan.sql = sql;
  plan.params = params;
  append_select (sql, plan.table);

  if (!plan_equal (&plan, query, error) ||
      !plan_bounds (&plan, query, error) ||
      !plan_cursor (&plan, query, error))
    return FALSE;

  work->table = plan.table;
  work->index = plan.index;
  work->page_size = query->page_size == 0 ? CAIRN_QUERY_DEFAULT_PAGE_SIZE
                                          : MIN (query->page_size, CAIRN_QUERY_MAX_PAGE_SIZE);
  plan_order (&plan, query->descending, work->page_size);
  work->sql = g_string_free (g_steal_pointer (&sql), FALSE);
  work->params = g_steal_pointer (&params);

  return TRUE;
}

/* ------------------------------------------------------------------------
 * Operations (worker thread)
 * ------------------------------------------------------------------------ */

static gpointer
run_list (CairnLocalStore  *self,
          Work             *work,
          GError          **error)
{
  g_autoptr(CachedStatement) stmt = prepare (self, work->sql, error);
  g_autoptr(CairnPage) page = NULL;
  gint64 last_seq = 0;
  int rc;

  if (stmt == NULL)
    return NULL;

  for (guint i = 0; i < work->params->len; i++)
    bind_param (stmt, i + 1, g_ptr_array_index (work->params, i));

  page = cairn_page_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW && page->documents->len < work->page_size)
    {
      g_ptr_array_add (page->documents, read_document (work->table, stmt));
      last_seq = sqlite3_column_int64 (stmt, 0);
    }

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return NULL;
    }

  /* a row beyond the page: there is more */
  page->done = rc == SQLITE_DONE;
  if (!page->done)
    page->cursor = encode_cursor (work->table, work->index,
                                  g_ptr_array_index (page->documents, page->documents->len - 1),
                                  last_seq);

  return g_steal_pointer (&page);
}

static gpointer
run_get (CairnLocalStore  *self,
         Work             *work,
         GError          **error)
{
  return select_document (self, work->table, work->client_id, error);
}

static gboolean
insert_row (CairnLocalStore       *self,
            const CairnTableSpec  *table,
            JsonObject            *document,
            GError               **error)
{
  g_autofree char *sql = insert_sql (table);
  g_autoptr(CachedStatement) stmt = prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;

  for (guint i = 0; i < table->n_fields; i++)
    bind_value (stmt, i + 1, &table->fields[i],
                json_object_get_member (document, table->fields[i].name));

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return TRUE;
}

/* An existing clientId keeps its stored document: a replayed write is a no-op. */
static gpointer
run_insert (CairnLocalStore  *self,
            Work             *work,
            GError          **error)
{
  const char *client_id = json_object_get_string_member (work->object, "clientId");
  g_autoptr(JsonObject) stored = NULL;

  if (!begin (self, error))
    return NULL;

  if (!insert_row (self, work->table, work->object, error) ||
      !(stored = select_document (self, work->table, client_id, error)) ||
      !commit (self, error))
    {
      rollback (self);
      return NULL;
    }

  return g_steal_pointer (&stored);
}

static gboolean
update_row (CairnLocalStore  *self,
            Work             *work,
            GError          **error)
{
  g_autofree char *sql = update_sql (work->table, work->object);
  g_autoptr(CachedStatement) stmt = prepare (self, sql, error);
  int position = 1;

  if (stmt == NULL)
    return FALSE;

  for (guint i = 0; i < work->table->n_fields; i++)
    {
      const CairnFieldSpec *field = &work->table->fields[i];
      JsonNode *value = json_object_get_member (work->object, field->name);

      if (value != NULL)
        bind_value (stmt, position++, field, value);
    }
  sqlite3_bind_text (stmt, position, work->client_id, -1, SQLITE_TRANSIENT);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static gpointer
run_patch (CairnLocalStore  *self,
           Work             *work,
           GError          **error)
{
  g_autoptr(JsonObject) stored = NULL;

  if (!begin (self, error))
    return NULL;

  /* select_document() reports a missing document as NOT_FOUND */
  if (!update_row (self, work, error) ||
      !(stored = select_document (self, work->table, work->client_id, error)) ||
      !commit (self, error))
    {
      rollback (self);
      return NULL;
    }

  return g_steal_pointer (&stored);
}

/* Deletes the rows of @table's descendants whose parent is one of
 * @parents, an SQL expression of clientIds in terms of ?1. */
static gboolean
delete_descendants (CairnLocalStore       *self,
                    const CairnTableSpec  *table,
                    const char            *parents,
                    const char            *client_id,
                    guint                  depth,
                    GError               **error)
{
  const CairnTableSpec *child = cairn_table_spec_child (table);
  g_autoptr(GString) rows = NULL;
  g_autoptr(GString) sql = NULL;
  g_autoptr(CachedStatement) stmt = NULL;

  if (child == NULL)
    return TRUE;

  /* a schema whose parents form a loop */
  if (depth >= MAX_CASCADE_DEPTH)
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("The rows of “%s” are nested too deeply to remove."), table->name);
      return FALSE;
    }

  /* the child rows of @parents: "FROM child WHERE parent_field IN (parents)" */
  rows = g_string_new (" FROM ");
  append_identifier (rows, child->name);
  g_string_append (rows, " WHERE ");
  append_identifier (rows, child->parent_field);
  g_string_append_printf (rows, " IN (%s)", parents);

  /* grandchildren first, while their parents can still be found */
  sql = g_string_new ("SELECT \"clientId\"");
  g_string_append (sql, rows->str);
  if (!delete_descendants (self, child, sql->str, client_id, depth + 1, error))
    return FALSE;

  g_string_assign (sql, "DELETE");
  g_string_append (sql, rows->str);
  if (!(stmt = prepare (self, sql->str, error)))
    return FALSE;

  sqlite3_bind_text (stmt, 1, client_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
delete_row (CairnLocalStore       *self,
            const CairnTableSpec  *table,
            const char            *client_id,
            GError               **error)
{
  g_autoptr(GString) sql = g_string_new ("DELETE FROM ");
  g_autoptr(CachedStatement) stmt = NULL;

  append_identifier (sql, table->name);
  g_string_append (sql, " WHERE \"clientId\" = ?1");

  if (!(stmt = prepare (self, sql->str, error)))
    return FALSE;

  sqlite3_bind_text (stmt, 1, client_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  return TRUE;
}

/* Removing what is not there succeeds: a replayed remove is a no-op. */
static gpointer
run_remove (CairnLocalStore  *self,
            Work             *work,
            GError          **error)
{
  if (!begin (self, error))
    return NULL;

  if (!delete_descendants (self, work->table, "?1", work->client_id, 0, error) ||
      !delete_row (self, work->table, work->client_id, error) ||
      !commit (self, error))
    {
      rollback (self);
      return NULL;
    }

  return GINT_TO_POINTER (TRUE);
}

static gboolean
read_pragma (CairnLocalStore  *self,
             const char       *sql,
             JsonObject       *into,
             const char       *member,
             GError          **error)
{
  g_autoptr(CachedStatement) stmt = prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;

  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_storage_error (self, error);
      return FALSE;
    }

  if (sqlite3_column_type (stmt, 0) == SQLITE_INTEGER)
    json_object_set_int_member (into, member, sqlite3_column_int64 (stmt, 0));
  else
    json_object_set_string_member (into, member, (const char *) sqlite3_column_text (stmt, 0));

  return TRUE;
}

/* Reads the database, so a broken file shows here; "storage" is local-only detail. */
static gpointer
run_ping (CairnLocalStore  *self,
          Work             *work,
          GError          **error)
{
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autoptr(JsonObject) storage = json_object_new ();
  g_autoptr(JsonArray) names = json_array_new ();
  guint n_tables;
  const CairnTableSpec **tables = cairn_schema_list_tables (&n_tables);

  if (!read_pragma (self, "PRAGMA user_version", storage, "version", error) ||
      !read_pragma (self, "PRAGMA journal_mode", storage, "journalMode", error) ||
      !read_pragma (self, "PRAGMA synchronous", storage, "synchronous", error) ||
      !read_pragma (self, "SELECT count(*) FROM sqlite_schema", storage, "objects", error))
    return NULL;

  for (guint i = 0; i < n_tables; i++)
    json_array_add_string_element (names, tables[i]->name);

  json_object_set_string_member (storage, "engine", "sqlite");
  json_object_set_string_member (reply, "app", "cairn");
  json_object_set_int_member (reply, "schemaVersion", CAIRN_SCHEMA_VERSION);
  json_object_set_array_member (reply, "tables", g_steal_pointer (&names));
  json_object_set_object_member (reply, "storage", g_steal_pointer (&storage));

  return g_steal_pointer (&reply);
}

/* ------------------------------------------------------------------------
 * The worker and the way back to the caller's main context
 * ------------------------------------------------------------------------ */

static gboolean
complete_in_context (gpointer user_data)
{
  GTask *task = user_data;
  Work *work = g_task_get_task_data (task);

  if (work->error != NULL)
    g_task_return_error (task, g_steal_pointer (&work->error));
  else if (work->result_free == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_pointer (task, g_steal_pointer (&work->result), work->result_free);

  return G_SOURCE_REMOVE;
}

/* The task's last reference is always dropped in its own context, never
 * here: dropping it on the worker could finalize the store on its own
 * worker thread, which then could not wait for itself. */
static void
worker_run (gpointer data,
            gpointer user_data)
{
  GTask *task = data;
  CairnLocalStore *self = g_task_get_source_object (task);
  Work *work = g_task_get_task_data (task);
  GSource *source;

  if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &work->error))
    work->result = work->func (self, work, &work->error);

  source = g_idle_source_new ();
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, complete_in_context, task, g_object_unref);
  g_source_set_static_name (source, "[cairn-local-store] complete");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

/* Takes @task; returns its error now when the request is malformed. */
static void
submit (CairnLocalStore *self,
        GTask           *task,
        GError          *error)
{
  if (error == NULL && self->worker == NULL)
    set_closed_error (&error);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  /* Pushing fails only to start a thread, and the worker already runs;
   * even then the task stays queued. */
  g_thread_pool_push (self->worker, task, NULL);
}

static GTask *
new_task (CairnLocalStore     *self,
          gpointer             source_tag,
          Work                *work,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, work, (GDestroyNotify) work_free);

  /* A write that ran is reported as done even if cancelled meanwhile:
   * the caller must know it happened. */
  if (work->func != run_list && work->func != run_get && work->func != run_ping)
    g_task_set_check_cancellable (task, FALSE);

  return task;
}

static gpointer
propagate (CairnStore    *store,
           GAsyncResult  *result,
           gpointer       source_tag,
           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------
 * CairnStore
 * ------------------------------------------------------------------------ */

static void
cairn_local_store_list_async (CairnStore          *store,
                              const CairnQuery    *query,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (store);
  Work *work = work_new (run_list, (GDestroyNotify) cairn_page_free);
  GTask *task = new_task (self, cairn_local_store_list_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  plan_list (work, query, &error);
  submit (self, task, error);
}

static CairnPage *
cairn_local_store_list_finish (CairnStore    *store,
                               GAsyncResult  *result,
                               GError       **error)
{
  return propagate (store, result, cairn_local_store_list_async, error);
}

static void
cairn_local_store_get_async (CairnStore          *store,
                             const char          *table,
                             const char          *client_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (store);
  Work *work = work_new (run_get, (GDestroyNotify) json_object_unref);
  GTask *task = new_task (self, cairn_local_store_get_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) && cairn_schema_check_client_id (client_id, &error))
    work->client_id = g_strdup (client_id);

  submit (self, task, error);
}

static JsonObject *
cairn_local_store_get_finish (CairnStore    *store,
                              GAsyncResult  *result,
                              GError       **error)
{
  return propagate (store, result, cairn_local_store_get_async, error);
}

static void
cairn_local_store_insert_async (CairnStore          *store,
                                const char          *table,
                                JsonObject          *document,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (store);
  Work *work = work_new (run_insert, (GDestroyNotify) json_object_unref);
  GTask *task = new_task (self, cairn_local_store_insert_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) &&
      cairn_schema_validate_document (work->table, document, &error))
    work->object = copy_scalars (document);

  submit (self, task, error);
}

static JsonObject *
cairn_local_store_insert_finish (CairnStore    *store,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return propagate (store, result, cairn_local_store_insert_async, error);
}

static void
cairn_local_store_patch_async (CairnStore          *store,
                               const char          *table,
                               const char          *client_id,
                               JsonObject          *fields,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (store);
  Work *work = work_new (run_patch, (GDestroyNotify) json_object_unref);
  GTask *task = new_task (self, cairn_local_store_patch_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) &&
      cairn_schema_check_client_id (client_id, &error) &&
      cairn_schema_validate_patch (work->table, fields, &error))
    {
      work->client_id = g_strdup (client_id);
      work->object = copy_scalars (fields);
    }

  submit (self, task, error);
}

static JsonObject *
cairn_local_store_patch_finish (CairnStore    *store,
                                GAsyncResult  *result,
                                GError       **error)
{
  return propagate (store, result, cairn_local_store_patch_async, error);
}

static void
cairn_local_store_remove_async (CairnStore          *store,
                                const char          *table,
                                const char          *client_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (store);
  Work *work = work_new (run_remove, NULL);
  GTask *task = new_task (self, cairn_local_store_remove_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) && cairn_schema_check_client_id (client_id, &error))
    work->client_id = g_strdup (client_id);

  submit (self, task, error);
}

static gboolean
cairn_local_store_remove_finish (CairnStore    *store,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cairn_local_store_remove_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
cairn_local_store_ping_async (CairnStore          *store,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (store);
  Work *work = work_new (run_ping, (GDestroyNotify) json_object_unref);

  submit (self, new_task (self, cairn_local_store_ping_async, work, cancellable, callback, user_data), NULL);
}

static JsonObject *
cairn_local_store_ping_finish (CairnStore    *store,
                               GAsyncResult  *result,
                               GError       **error)
{
  return propagate (store, result, cairn_local_store_ping_async, error);
}

static void
cairn_local_store_store_iface_init (CairnStoreInterface *iface)
{
  iface->list_async = cairn_local_store_list_async;
  iface->list_finish = cairn_local_store_list_finish;
  iface->get_async = cairn_local_store_get_async;
  iface->get_finish = cairn_local_store_get_finish;
  iface->insert_async = cairn_local_store_insert_async;
  iface->insert_finish = cairn_local_store_insert_finish;
  iface->patch_async = cairn_local_store_patch_async;
  iface->patch_finish = cairn_local_store_patch_finish;
  iface->remove_async = cairn_local_store_remove_async;
  iface->remove_finish = cairn_local_store_remove_finish;
  iface->ping_async = cairn_local_store_ping_async;
  iface->ping_finish = cairn_local_store_ping_finish;
}

/* ------------------------------------------------------------------------
 * GInitable (GAsyncInitable's default runs it in a thread)
 * ------------------------------------------------------------------------ */

static gboolean
cairn_local_store_initable_init (GInitable     *initable,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (initable);
  GError *local_error = NULL;

  if (self->worker != NULL)
    return TRUE;

  if (self->path == NULL || self->path[0] == '\0')
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT,
                   _("No file was given for the local database."));
      return FALSE;
    }

  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);

  if (!open_database (self, error))
    {
      close_database (self);
      return FALSE;
    }

  self->worker = g_thread_pool_new (worker_run, NULL, 1, TRUE, &local_error);
  if (self->worker == NULL)
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_STORAGE,
                   _("Could not start the local database: %s"), local_error->message);
      g_clear_error (&local_error);
      close_database (self);
      return FALSE;
    }

  return TRUE;
}

static void
cairn_local_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = cairn_local_store_initable_init;
}

/* ------------------------------------------------------------------------
 * GObject
 * ------------------------------------------------------------------------ */

static void
cairn_local_store_dispose (GObject *object)
{
  cairn_local_store_close (CAIRN_LOCAL_STORE (object));

  G_OBJECT_CLASS (cairn_local_store_parent_class)->dispose (object);
}

static void
cairn_local_store_finalize (GObject *object)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (object);

  g_free (self->path);

  G_OBJECT_CLASS (cairn_local_store_parent_class)->finalize (object);
}

static void
cairn_local_store_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_SCHEMA_VERSION:
      g_value_set_int (value, self->schema_version);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_local_store_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CairnLocalStore *self = CAIRN_LOCAL_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_local_store_class_init (CairnLocalStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cairn_local_store_dispose;
  object_class->finalize = cairn_local_store_finalize;
  object_class->get_property = cairn_local_store_get_property;
  object_class->set_property = cairn_local_store_set_property;

  /**
   * CairnLocalStore:path:
   *
   * The database file, or ":memory:" for a store that lives only as long as the object.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * CairnLocalStore:schema-version:
   *
   * The version of the file's own layout (its PRAGMA user_version) once opened.
   */
  properties[PROP_SCHEMA_VERSION] =
    g_param_spec_int ("schema-version", NULL, NULL,
                      0, G_MAXINT, 0,
                      (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_local_store_init (CairnLocalStore *self)
{
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

CairnLocalStore *
cairn_local_store_new (const char  *path,
                       GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_initable_new (CAIRN_TYPE_LOCAL_STORE, NULL, error, "path", path, NULL);
}

/**
 * cairn_local_store_new_async:
 *
 * Opens (creating or upgrading) the database at @path on a thread.
 */
void
cairn_local_store_new_async (const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (path != NULL);

  g_async_initable_new_async (CAIRN_TYPE_LOCAL_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data, "path", path, NULL);
}

CairnLocalStore *
cairn_local_store_new_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  GObject *object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);

  return object != NULL ? CAIRN_LOCAL_STORE (object) : NULL;
}

const char *
cairn_local_store_get_path (CairnLocalStore *self)
{
  g_return_val_if_fail (CAIRN_IS_LOCAL_STORE (self), NULL);

  return self->path;
}

int
cairn_local_store_get_schema_version (CairnLocalStore *self)
{
  g_return_val_if_fail (CAIRN_IS_LOCAL_STORE (self), 0);

  return self->schema_version;
}

/**
 * cairn_local_store_close:
 *
 * Waits for the operations already issued to finish (their callbacks still
 * run, in their main contexts), then closes the database. Later operations
 * fail with CAIRN_ERROR_STORAGE. Closing twice is harmless.
 */
void
cairn_local_store_close (CairnLocalStore *self)
{
  g_return_if_fail (CAIRN_IS_LOCAL_STORE (self));

  if (self->worker != NULL)
    g_thread_pool_free (g_steal_pointer (&self->worker), FALSE, TRUE);

  close_database (self);
}
