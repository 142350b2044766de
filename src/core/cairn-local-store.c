/* cairn-local-store.c
 *
 * CairnStore over an embedded SQLite file.
 *
 * All SQLite work runs on one worker thread, so the operations of a store
 * execute in the order they were issued; each result comes back in the main
 * context of the caller that issued it.
 *
 * Requests are checked against the schema and planned (cairn-sql) on the
 * caller's thread before they are queued, so the worker only ever sees
 * well-formed statements to run. The tables themselves and their upgrades
 * are cairn-local-schema's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-local-store"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cairn-error.h"
#include "cairn-local-schema.h"
#include "cairn-local-store.h"
#include "cairn-page-cursor.h"
#include "cairn-sql.h"

#define BUSY_TIMEOUT_MS 5000

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
  char                 *client_id;    /* get, insert, patch: which document, should it be missing */
  CairnSqlList         *list;         /* list */
  GPtrArray            *writes;       /* (element-type CairnSqlStatement) insert, patch, remove */
  CairnSqlStatement    *read;         /* get, insert, patch: the document afterwards */

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
  g_clear_pointer (&work->list, cairn_sql_list_free);
  g_clear_pointer (&work->writes, g_ptr_array_unref);
  g_clear_pointer (&work->read, cairn_sql_statement_free);
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
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("The disk is full: the local database “%s” cannot grow. "
                     "Free some space on the disk, then try again."),
                   self->path);
      break;

    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("The local database “%s” is damaged and cannot be read (%s). "
                     "Cairn leaves the file as it is. Quit Cairn and replace the file "
                     "with a copy from a backup."),
                   self->path, sqlite3_errmsg (self->db));
      break;

    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      folder = g_path_get_dirname (self->path);
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("Cairn cannot write the local database “%s” (%s). "
                     "Check that you are allowed to write the file and its folder “%s”."),
                   self->path, sqlite3_errmsg (self->db), folder);
      break;

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("The local database “%s” is in use by another program, perhaps another "
                     "Cairn. Close that program, then try again."),
                   self->path);
      break;

    case SQLITE_IOERR:
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("The disk reported an error while Cairn used the local database “%s” (%s). "
                     "Check the disk, then try again."),
                   self->path, sqlite3_errmsg (self->db));
      break;

    default:
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("The local database “%s” failed: %s. Try again; if it keeps failing, restart Cairn."),
                   self->path, sqlite3_errmsg (self->db));
      break;
    }
}

static void
set_closed_error (GError **error)
{
  g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
               _("The local database is already closed. Restart Cairn to open it again."));
}

static const CairnTableSpec *
lookup_table (const char  *name,
              GError     **error)
{
  const CairnTableSpec *table = name != NULL ? cairn_schema_lookup_table (name) : NULL;

  if (table == NULL)
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                 _("Cairn has no table “%s”."), name != NULL ? name : "");

  return table;
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

/* Each value as the type it holds: a boolean as 0 or 1, the way the
 * tables store it; an integer given for a number field is made REAL by
 * its column, the table being STRICT. */
static void
bind_value (sqlite3_stmt *stmt,
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

/* The cached statement of @statement's text, with its values bound. */
static CachedStatement *
prepare_bound (CairnLocalStore          *self,
               const CairnSqlStatement  *statement,
               GError                  **error)
{
  sqlite3_stmt *stmt = prepare (self, statement->text, error);

  if (stmt == NULL)
    return NULL;

  for (guint i = 0; i < statement->binds->len; i++)
    bind_value (stmt, i + 1, g_ptr_array_index (statement->binds, i));

  return stmt;
}

/* Runs a statement that returns no rows. NULL, one that could not be
 * prepared, fails: its error is set already. */
static gboolean
step_done (CairnLocalStore  *self,
           CachedStatement  *stmt,
           GError          **error)
{
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
execute (CairnLocalStore  *self,
         const char       *sql,
         GError          **error)
{
  g_autoptr(CachedStatement) stmt = prepare (self, sql, error);

  return step_done (self, stmt, error);
}

static gboolean
execute_statement (CairnLocalStore          *self,
                   const CairnSqlStatement  *statement,
                   GError                  **error)
{
  g_autoptr(CachedStatement) stmt = prepare_bound (self, statement, error);

  return step_done (self, stmt, error);
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

      /* an optional field the row has no value for */
      if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
        continue;

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

/* The document @work reads, or NULL with CAIRN_STORE_ERROR_NOT_FOUND. */
static JsonObject *
select_document (CairnLocalStore  *self,
                 Work             *work,
                 GError          **error)
{
  g_autoptr(CachedStatement) stmt = prepare_bound (self, work->read, error);
  int rc;

  if (stmt == NULL)
    return NULL;

  rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return read_document (work->table, stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND,
                 _("There is no document “%s” in “%s”. It may have been deleted."),
                 work->client_id, work->table->name);
  else
    set_storage_error (self, error);

  return NULL;
}

/* ------------------------------------------------------------------------
 * Opening and upgrading (the opening thread, before the worker starts)
 * ------------------------------------------------------------------------ */

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

  if (!cairn_local_schema_upgrade_step (self->db, version) ||
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
  int latest = cairn_local_schema_latest_version ();
  int version;

  if (!read_user_version (self, &version, error))
    return FALSE;

  if (version > latest)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   _("This data was written by a newer version of Cairn "
                     "(local database version %d, this version knows up to %d). "
                     "Update Cairn to open it."),
                   version, latest);
      return FALSE;
    }

  for (; version < latest; version++)
    if (!run_upgrade_step (self, version, error))
      return FALSE;

  self->schema_version = version;

  if (!begin (self, error))
    return FALSE;

  if (!cairn_local_schema_create_missing (self->db))
    set_storage_error (self, error);
  else if (commit (self, error))
    return TRUE;

  rollback (self);
  return FALSE;
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

      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
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
 * Operations (worker thread)
 * ------------------------------------------------------------------------ */

static gpointer
run_list (CairnLocalStore  *self,
          Work             *work,
          GError          **error)
{
  CairnSqlList *list = work->list;
  g_autoptr(CachedStatement) stmt = prepare_bound (self, list->select, error);
  g_autoptr(CairnPage) page = NULL;
  gint64 last_seq = 0;
  int rc;

  if (stmt == NULL)
    return NULL;

  page = cairn_page_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW && page->documents->len < list->page_size)
    {
      g_ptr_array_add (page->documents, read_document (list->table, stmt));
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
    page->cursor = cairn_page_cursor_encode (list->table, list->index,
                                             g_ptr_array_index (page->documents, page->documents->len - 1),
                                             last_seq);

  return g_steal_pointer (&page);
}

static gpointer
run_get (CairnLocalStore  *self,
         Work             *work,
         GError          **error)
{
  return select_document (self, work, error);
}

/* The writes in one transaction, then the document they leave, if any.
 * An insert of an existing clientId keeps the stored document and removing
 * what is not there succeeds: a replayed write is a no-op. */
static gpointer
run_write (CairnLocalStore  *self,
           Work             *work,
           GError          **error)
{
  g_autoptr(JsonObject) stored = NULL;

  if (!begin (self, error))
    return NULL;

  for (guint i = 0; i < work->writes->len; i++)
    if (!execute_statement (self, g_ptr_array_index (work->writes, i), error))
      goto failed;

  /* select_document() reports a patched document that is missing as NOT_FOUND */
  if (work->read != NULL && !(stored = select_document (self, work, error)))
    goto failed;

  if (!commit (self, error))
    goto failed;

  return work->read != NULL ? g_steal_pointer (&stored) : GINT_TO_POINTER (TRUE);

failed:
  rollback (self);
  return NULL;
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
  if (work->func == run_write)
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

  if ((work->table = lookup_table (query->table, &error)))
    work->list = cairn_sql_list (work->table, query, &error);

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
    {
      work->client_id = g_strdup (client_id);
      work->read = cairn_sql_get (work->table, client_id);
    }

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
  Work *work = work_new (run_write, (GDestroyNotify) json_object_unref);
  GTask *task = new_task (self, cairn_local_store_insert_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) &&
      cairn_schema_validate_document (work->table, document, &error))
    {
      work->client_id = g_strdup (json_object_get_string_member (document, "clientId"));
      work->writes = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_sql_statement_free);
      g_ptr_array_add (work->writes, cairn_sql_insert (work->table, document));
      work->read = cairn_sql_get (work->table, work->client_id);
    }

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
  Work *work = work_new (run_write, (GDestroyNotify) json_object_unref);
  GTask *task = new_task (self, cairn_local_store_patch_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) &&
      cairn_schema_check_client_id (client_id, &error) &&
      cairn_schema_validate_patch (work->table, fields, &error))
    {
      CairnSqlStatement *update = cairn_sql_patch (work->table, client_id, fields);

      work->client_id = g_strdup (client_id);
      work->writes = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_sql_statement_free);
      /* none when only a field the store keeps was given: the document as it is */
      if (update != NULL)
        g_ptr_array_add (work->writes, update);
      work->read = cairn_sql_get (work->table, client_id);
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
  Work *work = work_new (run_write, NULL);
  GTask *task = new_task (self, cairn_local_store_remove_async, work, cancellable, callback, user_data);
  GError *error = NULL;

  if ((work->table = lookup_table (table, &error)) && cairn_schema_check_client_id (client_id, &error))
    work->writes = cairn_sql_remove (work->table, client_id, &error);

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
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
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
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
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
 * fail with CAIRN_STORE_ERROR_DATABASE. Closing twice is harmless.
 */
void
cairn_local_store_close (CairnLocalStore *self)
{
  g_return_if_fail (CAIRN_IS_LOCAL_STORE (self));

  if (self->worker != NULL)
    g_thread_pool_free (g_steal_pointer (&self->worker), FALSE, TRUE);

  close_database (self);
}
