/* test-local-store.c — CairnLocalStore: the conformance suite over a real
 * SQLite file, and what only the embedded store promises (durability,
 * its own schema versions, order of execution, closing)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cairn-error.h"
#include "cairn-local-store.h"
#include "cairn-schema.h"
#include "store-conformance.h"
#include "test-util.h"

#define NEWER_MESSAGE "This data was written by a newer version of Cairn"
/* The local database's own layout version (PRAGMA user_version) this build writes. */
#define LATEST_VERSION 4

/* ------------------------------------------------------------------------
 * The conformance suite's factory: a fresh file in a fresh directory
 * ------------------------------------------------------------------------ */

static CairnStore *
local_create (gpointer  user_data,
              gpointer *state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  char *dir = g_dir_make_tmp ("cairn-local-store-XXXXXX", &error);
  CairnLocalStore *store;

  g_assert_no_error (error);
  path = g_build_filename (dir, "store.db", NULL);
  store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);
  *state = dir;

  return CAIRN_STORE (store);
}

static void
local_teardown (CairnStore *store,
                gpointer    state,
                gpointer    user_data)
{
  g_assert_finalize_object (store);
  test_util_remove_tree (state);
  g_free (state);
}

/* ------------------------------------------------------------------------
 * Fixture for the local-only tests: a directory, and a store when opened
 * ------------------------------------------------------------------------ */

typedef struct {
  char            *dir;
  char            *path;
  CairnLocalStore *store;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cairn-local-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "store.db", NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->store != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->store));
  test_util_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
open_store (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (f->store);
  f->store = cairn_local_store_new (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
close_store (Fixture *f)
{
  g_assert_finalize_object (g_steal_pointer (&f->store));
}

/* ------------------------------------------------------------------------
 * Direct access to the file, past the store
 * ------------------------------------------------------------------------ */

static sqlite3 *
raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);

  return db;
}

static void
raw_exec (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static sqlite3_stmt *
raw_query (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));

  return stmt;
}

static gint64
raw_int (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = raw_query (db, sql);
  gint64 value;

  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  return value;
}

static char *
raw_text (sqlite3    *db,
          const char *sql)
{
  sqlite3_stmt *stmt = raw_query (db, sql);
  char *value;

  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);

  return value;
}

static void
raw_close (sqlite3 *db)
{
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* ------------------------------------------------------------------------
 * Synchronous wrappers
 * ------------------------------------------------------------------------ */







static JsonObject *
conversation_new (const char *title,
                  double      updated_at)
{
  JsonObject *conversation = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  json_object_set_string_member (conversation, "clientId", client_id);
  json_object_set_string_member (conversation, "title", title);
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", updated_at);
  json_object_set_double_member (conversation, "updatedAt", updated_at);

  return conversation;
}

static JsonObject *
message_new (const char *conversation_id,
             double      created_at)
{
  JsonObject *message = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  json_object_set_string_member (message, "clientId", client_id);
  json_object_set_string_member (message, "conversationId", conversation_id);
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "content", "hello");
  json_object_set_double_member (message, "createdAt", created_at);

  return message;
}

static const char *
client_id_of (JsonObject *document)
{
  return json_object_get_string_member (document, "clientId");
}



/* ------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------ */

static void
test_open_memory (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = cairn_local_store_new (":memory:", &error);
  g_autoptr(JsonObject) conversation = conversation_new ("In memory", 1);
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) reply = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (cairn_local_store_get_path (store), ==, ":memory:");
  g_assert_cmpint (cairn_local_store_get_schema_version (store), ==, LATEST_VERSION);

  test_util_insert (CAIRN_STORE (store), "conversations", conversation);
  got = test_util_store_get (CAIRN_STORE (store), "conversations", client_id_of (conversation), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (got, "title"), ==, "In memory");

  reply = test_util_store_ping (CAIRN_STORE (store), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "storage"),
                                                  "journalMode"), ==, "memory");

  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_open_creates_directories (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "a", "b", "c", "store.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = cairn_local_store_new (path, &error);
  g_autofree char *path_prop = NULL;
  int version = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_object_get (store, "path", &path_prop, "schema-version", &version, NULL);
  g_assert_cmpstr (path_prop, ==, path);
  g_assert_cmpint (version, ==, LATEST_VERSION);

  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_open_unwritable (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *blocker = g_build_filename (f->dir, "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "store.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = NULL;

  /* the parent "directory" is a file */
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  store = cairn_local_store_new (path, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_null (store);
}

static void
test_open_async (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) conversation = conversation_new ("Async", 1);

  cairn_local_store_new_async (f->path, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  f->store = cairn_local_store_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (CAIRN_IS_LOCAL_STORE (f->store));
  g_assert_cmpint (cairn_local_store_get_schema_version (f->store), ==, LATEST_VERSION);

  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 1);
}

/* ------------------------------------------------------------------------
 * On disk
 * ------------------------------------------------------------------------ */

static void
test_persistence (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Kept across restarts", 42);
  g_autoptr(JsonObject) message = message_new (client_id_of (conversation), 43);
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) got_message = NULL;
  g_autoptr(GError) error = NULL;

  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  test_util_insert (CAIRN_STORE (f->store), "messages", message);
  close_store (f);

  open_store (f);
  got = test_util_store_get (CAIRN_STORE (f->store), "conversations", client_id_of (conversation), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (got, "title"), ==, "Kept across restarts");
  g_assert_cmpfloat (json_object_get_double_member (got, "updatedAt"), ==, 42);
  got_message = test_util_store_get (CAIRN_STORE (f->store), "messages", client_id_of (message), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (got_message, "conversationId"), ==,
                   client_id_of (conversation));
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 1);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 1);
}

static void
test_pragmas (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *journal_mode = NULL;
  JsonObject *storage;
  sqlite3 *db;

  open_store (f);
  g_assert_cmpint (cairn_local_store_get_schema_version (f->store), ==, LATEST_VERSION);

  /* synchronous is per connection: only the store's own can tell */
  reply = test_util_store_ping (CAIRN_STORE (f->store), &error);
  g_assert_no_error (error);
  storage = json_object_get_object_member (reply, "storage");
  g_assert_nonnull (storage);
  g_assert_cmpstr (json_object_get_string_member (storage, "journalMode"), ==, "wal");
  g_assert_cmpint (json_object_get_int_member (storage, "synchronous"), ==, 2);  /* FULL */
  g_assert_cmpint (json_object_get_int_member (storage, "version"), ==, LATEST_VERSION);
  close_store (f);

  /* journal mode and version live in the file */
  db = raw_open (f->path);
  journal_mode = raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (journal_mode, ==, "wal");
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, LATEST_VERSION);
  raw_close (db);
}

static void
assert_columns (sqlite3              *db,
                const CairnTableSpec *table)
{
  static const char *types[] = { "TEXT", "INTEGER", "REAL" };
  g_autofree char *sql = g_strdup_printf ("PRAGMA table_info(\"%s\")", table->name);
  sqlite3_stmt *stmt = raw_query (db, sql);

  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "seq");
  g_assert_cmpint (sqlite3_column_int (stmt, 5), ==, 1);  /* the primary key */

  for (guint i = 0; i < table->n_fields; i++)
    {
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, table->fields[i].name);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, types[table->fields[i].type]);
      g_assert_cmpint (sqlite3_column_int (stmt, 3), ==, !table->fields[i].optional);  /* NOT NULL */
    }

  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

static void
assert_index (sqlite3              *db,
              const CairnTableSpec *table,
              const CairnIndexSpec *index)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA index_info(\"%s_%s\")", table->name, index->name);
  sqlite3_stmt *stmt = raw_query (db, sql);
  guint i;

  g_test_message ("index %s_%s", table->name, index->name);
  for (i = 0; index->fields[i] != NULL; i++)
    {
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, index->fields[i]);
    }

  /* seq, the tie-breaker, last */
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "seq");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

/* Every table of cairn-schema.c, as the file (closed) has it. */
static void
assert_schema_on_disk (Fixture *f)
{
  guint n_tables;
  const CairnTableSpec **tables = cairn_schema_list_tables (&n_tables);
  sqlite3 *db = raw_open (f->path);

  for (guint i = 0; i < n_tables; i++)
    {
      g_autofree char *unique = g_strdup_printf ("SELECT count(*) FROM pragma_index_list(\"%s\") "
                                                 "WHERE \"unique\" = 1 AND origin = 'u'",
                                                 tables[i]->name);

      assert_columns (db, tables[i]);
      g_assert_cmpint (raw_int (db, unique), ==, 1);  /* clientId */
      for (guint j = 0; j < tables[i]->n_indexes; j++)
        assert_index (db, tables[i], &tables[i]->indexes[j]);
    }
  raw_close (db);
}

static void
test_schema (Fixture       *f,
             gconstpointer  data)
{
  open_store (f);
  close_store (f);
  assert_schema_on_disk (f);
}

static void
test_types_on_disk (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Types", 0);
  g_autofree char *sql = NULL;
  g_autofree char *types = NULL;
  sqlite3 *db;

  /* an integer for a number field is still stored as REAL */
  json_object_set_int_member (conversation, "updatedAt", 7);
  json_object_set_boolean_member (conversation, "archived", TRUE);
  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  close_store (f);

  db = raw_open (f->path);
  sql = g_strdup_printf ("SELECT typeof(\"updatedAt\") || ',' || typeof(\"archived\") || ',' || \"archived\" "
                         "FROM conversations WHERE \"clientId\" = '%s'", client_id_of (conversation));
  types = raw_text (db, sql);
  g_assert_cmpstr (types, ==, "real,integer,1");
  raw_close (db);
}

/* ------------------------------------------------------------------------
 * Versions and upgrades
 * ------------------------------------------------------------------------ */

static void
test_upgrade_from_empty (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("After the upgrade", 1);
  sqlite3 *db = raw_open (f->path);

  /* version 0, with something else in it that must survive */
  raw_exec (db, "CREATE TABLE unrelated (x); INSERT INTO unrelated VALUES (7); PRAGMA user_version = 0;");
  raw_close (db);

  open_store (f);
  g_assert_cmpint (cairn_local_store_get_schema_version (f->store), ==, LATEST_VERSION);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  close_store (f);

  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, LATEST_VERSION);
  g_assert_cmpint (raw_int (db, "SELECT x FROM unrelated"), ==, 7);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM conversations"), ==, 1);
  raw_close (db);
}

/* A table added to cairn-schema.c after a file was made: created on open. */
static void
test_upgrade_missing_table (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) note = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();
  sqlite3 *db;

  open_store (f);
  close_store (f);

  db = raw_open (f->path);
  raw_exec (db, "DROP TABLE notes");
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'notes'"), ==, 0);
  raw_close (db);

  open_store (f);
  json_object_set_string_member (note, "clientId", client_id);
  json_object_set_string_member (note, "title", "Back");
  json_object_set_string_member (note, "content", "");
  json_object_set_boolean_member (note, "pinned", FALSE);
  json_object_set_double_member (note, "createdAt", 1);
  json_object_set_double_member (note, "updatedAt", 1);
  test_util_insert (CAIRN_STORE (f->store), "notes", note);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "notes"), ==, 1);
  close_store (f);

  db = raw_open (f->path);
  /* the table and its three indexes (two of ours, clientId's unique one) */
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'notes'"), ==, 4);
  raw_close (db);
}

/* Version 1 had no state in the outbox: its writes are pending, and the
 * columns are there for a failed write's state afterwards. */
static void
test_upgrade_outbox_status (Fixture       *f,
                            gconstpointer  data)
{
  const char *id = "0b3c0a8e-1f4d-4a57-9c2e-5d6f7a8b9c0d";
  g_autoptr(JsonObject) row = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  sqlite3 *db = raw_open (f->path);

  /* the outbox as version 1 made it, with a write waiting */
  raw_exec (db,
            "CREATE TABLE \"outbox\" (seq INTEGER PRIMARY KEY, \"clientId\" TEXT NOT NULL UNIQUE, "
            "\"workspace\" TEXT NOT NULL, \"operation\" TEXT NOT NULL, \"targetTable\" TEXT NOT NULL, "
            "\"documentId\" TEXT NOT NULL, \"payload\" TEXT NOT NULL, \"createdAt\" REAL NOT NULL) STRICT;"
            "INSERT INTO outbox (\"clientId\", workspace, operation, \"targetTable\", \"documentId\", payload, "
            "\"createdAt\") VALUES ('0b3c0a8e-1f4d-4a57-9c2e-5d6f7a8b9c0d', 'default', 'remove', 'notes', "
            "'7e1d2c3b-4a59-4876-8d5e-6f7a8b9c0d1e', '', 1);"
            "PRAGMA user_version = 1;");
  raw_close (db);

  open_store (f);
  g_assert_cmpint (cairn_local_store_get_schema_version (f->store), ==, LATEST_VERSION);
  row = test_util_store_get (CAIRN_STORE (f->store), "outbox", id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (row, "status"), ==, "pending");
  g_assert_cmpstr (json_object_get_string_member (row, "error"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (row, "documentId"), ==, "7e1d2c3b-4a59-4876-8d5e-6f7a8b9c0d1e");

  /* and a write's state is kept */
  json_object_set_string_member (fields, "status", "failed");
  json_object_set_string_member (fields, "error", "Too large");
  g_clear_pointer (&row, json_object_unref);
  row = test_util_store_patch (CAIRN_STORE (f->store), "outbox", id, fields, &error);
  g_assert_no_error (error);
  close_store (f);

  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, LATEST_VERSION);
  status = raw_text (db, "SELECT status || ':' || error FROM outbox");
  g_assert_cmpstr (status, ==, "failed:Too large");
  raw_close (db);
  assert_schema_on_disk (f);
}

/* Version 2 had no message counts: the column comes, filled with the
 * number of each conversation's messages, and the store keeps it from then
 * on. */
static void
test_upgrade_message_count (Fixture       *f,
                            gconstpointer  data)
{
  const char *busy = "1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5";
  const char *quiet = "2e3f4051-6b7c-4d8e-9fa0-b1c2d3e4f506";
  g_autoptr(JsonObject) message = message_new (busy, 10);
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = raw_open (f->path);

  /* conversations and messages as version 2 made them */
  raw_exec (db,
            "CREATE TABLE \"conversations\" (seq INTEGER PRIMARY KEY, \"clientId\" TEXT NOT NULL UNIQUE, "
            "\"title\" TEXT NOT NULL, \"pinned\" INTEGER NOT NULL CHECK (\"pinned\" IN (0, 1)), "
            "\"archived\" INTEGER NOT NULL CHECK (\"archived\" IN (0, 1)), \"createdAt\" REAL NOT NULL, "
            "\"updatedAt\" REAL NOT NULL) STRICT;"
            "CREATE TABLE \"messages\" (seq INTEGER PRIMARY KEY, \"clientId\" TEXT NOT NULL UNIQUE, "
            "\"conversationId\" TEXT NOT NULL, \"role\" TEXT NOT NULL, \"content\" TEXT NOT NULL, "
            "\"createdAt\" REAL NOT NULL) STRICT;"
            "INSERT INTO conversations (\"clientId\", title, pinned, archived, \"createdAt\", \"updatedAt\") "
            "VALUES ('1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5', 'Busy', 0, 0, 1, 1), "
            "('2e3f4051-6b7c-4d8e-9fa0-b1c2d3e4f506', 'Quiet', 0, 0, 2, 2);"
            "INSERT INTO messages (\"clientId\", \"conversationId\", role, content, \"createdAt\") "
            "VALUES ('3f405162-7c8d-4e9f-a0b1-c2d3e4f50617', '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5', 'user', 'a', 1), "
            "('40516273-8d9e-4fa0-b1c2-d3e4f5061728', '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5', 'user', 'b', 2), "
            "('51627384-9eaf-40b1-82d3-e4f506172839', '1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5', 'user', 'c', 3);"
            "PRAGMA user_version = 2;");
  raw_close (db);

  open_store (f);
  g_assert_cmpint (cairn_local_store_get_schema_version (f->store), ==, LATEST_VERSION);
  stored = test_util_store_get (CAIRN_STORE (f->store), "conversations", busy, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_object_get_double_member (stored, "messageCount"), ==, 3);
  g_clear_pointer (&stored, json_object_unref);
  stored = test_util_store_get (CAIRN_STORE (f->store), "conversations", quiet, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_object_get_double_member (stored, "messageCount"), ==, 0);

  /* and kept from then on */
  test_util_insert (CAIRN_STORE (f->store), "messages", message);
  g_clear_pointer (&stored, json_object_unref);
  stored = test_util_store_get (CAIRN_STORE (f->store), "conversations", busy, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (json_object_get_double_member (stored, "messageCount"), ==, 4);
  close_store (f);

  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, LATEST_VERSION);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), ==, 4);
  raw_close (db);
  assert_schema_on_disk (f);
}

/* Version 3 had no runner id in the BYOD settings: the saved settings come
 * back with none ("", made when an update needs it), and one is kept. */
static void
test_upgrade_byod_runner_id (Fixture       *f,
                             gconstpointer  data)
{
  const char *id = "62738495-af0b-41c2-93e4-f5061728394a";
  g_autoptr(JsonObject) row = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;
  sqlite3 *db = raw_open (f->path);

  /* the settings as version 3 made them */
  raw_exec (db,
            "CREATE TABLE \"userDatabaseConfig\" (seq INTEGER PRIMARY KEY, \"clientId\" TEXT NOT NULL UNIQUE, "
            "\"workspace\" TEXT NOT NULL, \"deploymentUrl\" TEXT NOT NULL, "
            "\"enabled\" INTEGER NOT NULL CHECK (\"enabled\" IN (0, 1)), \"status\" TEXT NOT NULL, "
            "\"schemaVersion\" REAL NOT NULL, \"lastCheck\" REAL NOT NULL, \"lastSuccess\" REAL NOT NULL, "
            "\"lastError\" TEXT NOT NULL) STRICT;"
            "INSERT INTO \"userDatabaseConfig\" (\"clientId\", workspace, \"deploymentUrl\", enabled, status, "
            "\"schemaVersion\", \"lastCheck\", \"lastSuccess\", \"lastError\") VALUES "
            "('62738495-af0b-41c2-93e4-f5061728394a', 'default', 'https://a.convex.cloud', 1, 'connected', 1, 5, 5, '');"
            "PRAGMA user_version = 3;");
  raw_close (db);

  open_store (f);
  g_assert_cmpint (cairn_local_store_get_schema_version (f->store), ==, LATEST_VERSION);
  row = test_util_store_get (CAIRN_STORE (f->store), "userDatabaseConfig", id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (row, "runnerId"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (row, "deploymentUrl"), ==, "https://a.convex.cloud");

  json_object_set_string_member (fields, "runnerId", "8394af0b-1c2d-43e4-a506-172839405a6b");
  g_clear_pointer (&row, json_object_unref);
  row = test_util_store_patch (CAIRN_STORE (f->store), "userDatabaseConfig", id, fields, &error);
  g_assert_no_error (error);
  close_store (f);

  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, LATEST_VERSION);
  kept = raw_text (db, "SELECT \"runnerId\" FROM \"userDatabaseConfig\"");
  g_assert_cmpstr (kept, ==, "8394af0b-1c2d-43e4-a506-172839405a6b");
  raw_close (db);
  assert_schema_on_disk (f);
}

/* A write that fails leaves the count as it was: the count changes in the
 * write's own transaction. */
static void
test_message_count_rolls_back (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Counted", 1);
  g_autoptr(JsonObject) message = message_new (client_id_of (conversation), 1);
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  close_store (f);

  /* the message row cannot be written after the count went up */
  db = raw_open (f->path);
  raw_exec (db, "CREATE TRIGGER refuse AFTER UPDATE OF \"messageCount\" ON conversations "
                "BEGIN SELECT RAISE (ABORT, 'refused'); END");
  raw_close (db);

  open_store (f);
  stored = test_util_store_insert (CAIRN_STORE (f->store), "messages", message, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_null (stored);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);
  close_store (f);

  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "SELECT \"messageCount\" FROM conversations"), ==, 0);
  raw_close (db);
}

static void
test_upgrade_too_new (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = NULL;
  sqlite3 *db = raw_open (f->path);

  raw_exec (db, "PRAGMA user_version = 99");
  raw_close (db);

  store = cairn_local_store_new (f->path, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_true (g_str_has_prefix (error->message, NEWER_MESSAGE));
  g_assert_null (store);

  /* and the file is left alone */
  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 99);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema"), ==, 0);
  raw_close (db);
}

static void
test_upgrade_too_new_async (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  CairnLocalStore *store;
  sqlite3 *db = raw_open (f->path);

  sql = g_strdup_printf ("PRAGMA user_version = %d", LATEST_VERSION + 1);
  raw_exec (db, sql);
  raw_close (db);

  cairn_local_store_new_async (f->path, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  store = cairn_local_store_new_finish (result, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_true (g_str_has_prefix (error->message, NEWER_MESSAGE));
  g_assert_null (store);
}

/* A failing step changes nothing: not the tables, not the version. */
static void
test_upgrade_failure_rolls_back (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = NULL;
  sqlite3 *db = raw_open (f->path);

  /* a "drafts" of another shape: its index cannot be made, after the
   * tables before it in the schema were */
  raw_exec (db, "CREATE TABLE drafts (x)");
  raw_close (db);

  store = cairn_local_store_new (f->path, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_null (store);

  db = raw_open (f->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 0);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema"), ==, 1);
  raw_close (db);
}

/* ------------------------------------------------------------------------
 * Execution
 * ------------------------------------------------------------------------ */

typedef struct {
  CairnLocalStore *store;
  GString         *log;
  guint            pending;
} Ordered;

static void
ordered_insert_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Ordered *o = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = cairn_store_insert_finish (CAIRN_STORE (source), result, &error);

  g_assert_no_error (error);
  g_string_append_printf (o->log, "insert:%s ", json_object_get_string_member (document, "title"));
  o->pending--;
}

static void
ordered_patch_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Ordered *o = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = cairn_store_patch_finish (CAIRN_STORE (source), result, &error);

  g_assert_no_error (error);
  g_string_append_printf (o->log, "patch:%s ", json_object_get_string_member (document, "title"));
  o->pending--;
}

static void
ordered_get_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Ordered *o = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = cairn_store_get_finish (CAIRN_STORE (source), result, &error);

  if (document != NULL)
    g_string_append_printf (o->log, "get:%s ", json_object_get_string_member (document, "title"));
  else if (g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
    g_string_append (o->log, "get:missing ");
  else
    g_assert_no_error (error);
  o->pending--;
}

static void
ordered_remove_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Ordered *o = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (cairn_store_remove_finish (CAIRN_STORE (source), result, &error));
  g_assert_no_error (error);
  g_string_append (o->log, "remove ");
  o->pending--;
}

/* Issued without waiting, run in the order issued: each call sees the
 * effect of the ones before it. */
static void
test_ordered (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("one", 1);
  g_autoptr(JsonObject) fields = json_object_new ();
  CairnStore *store;
  const char *id = client_id_of (conversation);
  Ordered o = { 0 };

  open_store (f);
  store = CAIRN_STORE (f->store);
  o.store = f->store;
  o.log = g_string_new (NULL);
  json_object_set_string_member (fields, "title", "two");

  cairn_store_get_async (store, "conversations", id, NULL, ordered_get_cb, &o);
  cairn_store_insert_async (store, "conversations", conversation, NULL, ordered_insert_cb, &o);
  cairn_store_get_async (store, "conversations", id, NULL, ordered_get_cb, &o);
  cairn_store_patch_async (store, "conversations", id, fields, NULL, ordered_patch_cb, &o);
  cairn_store_get_async (store, "conversations", id, NULL, ordered_get_cb, &o);
  cairn_store_remove_async (store, "conversations", id, NULL, ordered_remove_cb, &o);
  cairn_store_get_async (store, "conversations", id, NULL, ordered_get_cb, &o);
  /* the caller's document changed after issuing: the store took a copy */
  json_object_set_string_member (conversation, "title", "changed");
  cairn_store_insert_async (store, "conversations", conversation, NULL, ordered_insert_cb, &o);
  o.pending = 8;

  test_util_wait_for_zero (&o.pending);
  g_assert_cmpstr (o.log->str, ==,
                   "get:missing insert:one get:one patch:two get:two remove get:missing insert:changed ");
  g_string_free (o.log, TRUE);
}

typedef struct {
  guint pending;
  guint succeeded;
} Counter;

static void
count_insert_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Counter *counter = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = cairn_store_insert_finish (CAIRN_STORE (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (document);
  counter->succeeded++;
  counter->pending--;
}

/* Closing waits for what was issued; afterwards calls fail cleanly. */
static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) late = conversation_new ("Too late", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) reply = NULL;
  Counter counter = { 0 };

  open_store (f);
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(JsonObject) conversation = conversation_new ("Before closing", i);

      counter.pending++;
      cairn_store_insert_async (CAIRN_STORE (f->store), "conversations", conversation, NULL,
                                count_insert_cb, &counter);
    }

  cairn_local_store_close (f->store);
  cairn_local_store_close (f->store);
  test_util_wait_for_zero (&counter.pending);
  g_assert_cmpuint (counter.succeeded, ==, 50);

  stored = test_util_store_insert (CAIRN_STORE (f->store), "conversations", late, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_null (stored);
  g_clear_error (&error);
  reply = test_util_store_ping (CAIRN_STORE (f->store), &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_null (reply);
  close_store (f);

  open_store (f);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 50);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonObject) conversation = conversation_new ("Cancelled", 1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) list_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
  g_autoptr(CairnPage) page = NULL;

  open_store (f);
  g_cancellable_cancel (cancellable);

  cairn_store_insert_async (CAIRN_STORE (f->store), "conversations", conversation, cancellable,
                            test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  stored = cairn_store_insert_finish (CAIRN_STORE (f->store), result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (stored);
  g_clear_error (&error);

  cairn_store_list_async (CAIRN_STORE (f->store), query, cancellable, test_util_result_cb, &list_result);
  test_util_wait_for_result (&list_result);
  page = cairn_store_list_finish (CAIRN_STORE (f->store), list_result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (page);

  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 0);
}

/* A failure inside SQLite is a STORAGE error, and a write that fails half
 * way leaves nothing behind. */
static void
test_storage_error_rolls_back (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Survives", 1);
  g_autoptr(JsonObject) message = message_new (client_id_of (conversation), 1);
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  test_util_insert (CAIRN_STORE (f->store), "messages", message);

  /* behind the store's back: removing a conversation now fails half way,
   * after the cascade step would have run */
  db = raw_open (f->path);
  raw_exec (db, "CREATE TRIGGER refuse BEFORE DELETE ON conversations "
                "BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
  raw_close (db);

  g_assert_false (test_util_store_remove (CAIRN_STORE (f->store), "conversations", client_id_of (conversation), &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "refused by test"));
  g_clear_error (&error);

  got = test_util_store_get (CAIRN_STORE (f->store), "conversations", client_id_of (conversation), &error);
  g_assert_no_error (error);
  g_clear_pointer (&got, json_object_unref);
  got = test_util_store_get (CAIRN_STORE (f->store), "messages", client_id_of (message), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 1);

  db = raw_open (f->path);
  raw_exec (db, "DROP TRIGGER refuse; DROP TABLE notes");
  raw_close (db);

  /* a table gone from under the store */
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("notes", "by_updatedAt");
    g_autoptr(CairnPage) page = test_util_store_list (CAIRN_STORE (f->store), query, &error);

    g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
    g_assert_null (page);
    g_clear_error (&error);
  }

  /* and the store still works for the rest */
  g_assert_true (test_util_store_remove (CAIRN_STORE (f->store), "conversations", client_id_of (conversation), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 0);
}

/* ------------------------------------------------------------------------
 * Pages
 * ------------------------------------------------------------------------ */

static void
insert_conversations (CairnLocalStore *store,
                      guint            n)
{
  Counter counter = { 0 };

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) conversation = conversation_new ("Paged", i);

      counter.pending++;
      cairn_store_insert_async (CAIRN_STORE (store), "conversations", conversation, NULL,
                                count_insert_cb, &counter);
    }

  test_util_wait_for_zero (&counter.pending);
  g_assert_cmpuint (counter.succeeded, ==, n);
}

/* The embedded store fills every page and knows when the last one is. */
static void
test_pages_exact (Fixture       *f,
                  gconstpointer  data)
{
  static const guint sizes[][4] = {
    /* rows, page sizes… (0 ends) */
    { 10, 5, 5, 0 },
    { 11, 5, 5, 1 },
  };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
      guint total = sizes[s][0];
      guint expected_pages = sizes[s][3] == 0 ? 2 : 3;

      g_clear_pointer (&f->path, g_free);
      f->path = g_strdup_printf ("%s/pages-%u.db", f->dir, s);
      open_store (f);
      insert_conversations (f->store, total);
      cairn_query_set_page_size (query, 5);

      for (guint p = 0; p < expected_pages; p++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CairnPage) page = test_util_store_list (CAIRN_STORE (f->store), query, &error);

          g_assert_no_error (error);
          g_assert_cmpuint (page->documents->len, ==, sizes[s][p + 1]);
          g_assert_cmpint (page->done, ==, p == expected_pages - 1);
          cairn_query_set_cursor (query, page->cursor);
        }
      close_store (f);
    }
}

static char *
encode (const char *json)
{
  return g_base64_encode ((const guchar *) json, strlen (json));
}

static void
expect_bad_cursor (CairnLocalStore *store,
                   const char      *index,
                   const char      *cursor)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", index);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = NULL;

  g_test_message ("cursor “%s” on %s", cursor, index);
  cairn_query_set_cursor (query, cursor);
  page = test_util_store_list (CAIRN_STORE (store), query, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, index));
  g_assert_null (page);
}

static void
test_cursor_checks (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) first = NULL;
  g_autoptr(CairnPage) forged_page = NULL;
  g_autofree char *truncated = NULL;
  g_autofree char *forged = NULL;

  open_store (f);
  insert_conversations (f->store, 3);
  cairn_query_set_page_size (query, 1);
  first = test_util_store_list (CAIRN_STORE (f->store), query, &error);
  g_assert_no_error (error);
  g_assert_nonnull (first->cursor);

  /* a real cursor, on another index */
  expect_bad_cursor (f->store, "by_archived_updatedAt", first->cursor);
  expect_bad_cursor (f->store, "by_clientId", first->cursor);

  /* a real cursor, on the index of the same name of another table */
  {
    g_autoptr(CairnQuery) notes = cairn_query_new ("notes", "by_updatedAt");
    g_autoptr(CairnPage) page = NULL;

    cairn_query_set_cursor (notes, first->cursor);
    page = test_util_store_list (CAIRN_STORE (f->store), notes, &error);
    g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
    g_assert_null (page);
    g_clear_error (&error);
  }

  /* cut short */
  truncated = g_strndup (first->cursor, strlen (first->cursor) - 6);
  expect_bad_cursor (f->store, "by_updatedAt", truncated);

  /* well-formed JSON of the wrong shape */
  {
    static const char *shapes[] = {
      "[\"conversations\", \"by_updatedAt\", 1]",
      "[\"conversations\", \"by_updatedAt\", 1, 0]",
      "[\"conversations\", \"by_updatedAt\", 1, -4]",
      "[\"conversations\", \"by_updatedAt\", 1, 2.5]",
      "[\"conversations\", \"by_updatedAt\", \"1\", 2]",
      "[\"conversations\", \"by_updatedAt\", 1, 2, 3]",
      "[\"notes\", \"by_updatedAt\", 1, 2]",
      "[\"conversations\", \"by_createdAt\", 1, 2]",
      "[\"by_updatedAt\", 1, 2]",
      "[\"conversations\", 1, 1, 2]",
      "[\"conversations\", [\"by_updatedAt\"], 1, 2]",
      "[null, \"by_updatedAt\", 1, 2]",
      "{\"by_updatedAt\": 1}",
      "\"by_updatedAt\"",
    };

    for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
      {
        g_autofree char *cursor = encode (shapes[i]);
        expect_bad_cursor (f->store, "by_updatedAt", cursor);
      }
  }

  /* a well-formed one continues after the row it names: updatedAt 0 is first */
  forged = encode ("[\"conversations\", \"by_updatedAt\", 0, 1000000]");
  cairn_query_set_cursor (query, forged);
  cairn_query_set_page_size (query, 10);
  forged_page = test_util_store_list (CAIRN_STORE (f->store), query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (forged_page->documents->len, ==, 2);
}

/* ------------------------------------------------------------------------
 * What comes in: sizes a deployment accepts, text that shows something
 * ------------------------------------------------------------------------ */

#define TOO_LONG_MESSAGE "This message is too long to store ("
#define EMPTY_MESSAGE    "The message is empty: it has no visible characters."

/* A message whose document is @size bytes as the schema measures it. */
static JsonObject *
message_of_size (const char *conversation_id,
                 gsize       size)
{
  JsonObject *message = message_new (conversation_id, 1);
  gsize base;
  g_autofree char *content = NULL;

  json_object_set_string_member (message, "content", "");
  base = cairn_schema_document_size (message);
  g_assert_cmpuint (size, >, base);
  content = g_strnfill (size - base, 'x');
  json_object_set_string_member (message, "content", content);
  g_assert_cmpuint (cairn_schema_document_size (message), ==, size);

  return message;
}

static void
insert_refused (CairnLocalStore *store,
                const char      *table,
                JsonObject      *document,
                const char      *message_start)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = test_util_store_insert (CAIRN_STORE (store), table, document, &error);

  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_null (stored);
  if (!g_str_has_prefix (error->message, message_start))
    g_error ("“%s” does not start with “%s”", error->message, message_start);
}


/* Convex takes a document of 1 MiB at most, counted its own way with its
 * system fields: the store takes one up to CAIRN_MAX_DOCUMENT_SIZE as Cairn
 * measures it, and not a byte more. */
static void
test_input_size_limit (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Long ones", 1);
  const char *conversation_id = client_id_of (conversation);
  g_autoptr(JsonObject) at = message_of_size (conversation_id, CAIRN_MAX_DOCUMENT_SIZE);
  g_autoptr(JsonObject) under = message_of_size (conversation_id, CAIRN_MAX_DOCUMENT_SIZE - 1);
  g_autoptr(JsonObject) over = message_of_size (conversation_id, CAIRN_MAX_DOCUMENT_SIZE + 1);
  g_autoptr(JsonObject) far_over = message_of_size (conversation_id, 2 * 1024 * 1024);
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  /* the margin below Convex's limit covers its system fields and numbers */
  g_assert_cmpuint (CAIRN_MAX_DOCUMENT_SIZE + 100, <, CAIRN_CONVEX_MAX_DOCUMENT_SIZE);
  g_assert_cmpuint (CAIRN_MAX_MESSAGE_TEXT_SIZE, <, CAIRN_MAX_DOCUMENT_SIZE);

  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);

  test_util_insert (CAIRN_STORE (f->store), "messages", at);
  test_util_insert (CAIRN_STORE (f->store), "messages", under);
  insert_refused (f->store, "messages", over, TOO_LONG_MESSAGE);
  insert_refused (f->store, "messages", far_over, TOO_LONG_MESSAGE);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 2);

  /* what was taken at the limit comes back whole */
  got = test_util_store_get (CAIRN_STORE (f->store), "messages", client_id_of (at), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (json_object_get_string_member (got, "content")), ==,
                    strlen (json_object_get_string_member (at, "content")));

  /* the sizes in people's units, and what to do */
  {
    g_autoptr(JsonObject) refused = test_util_store_insert (CAIRN_STORE (f->store), "messages", far_over, &error);

    g_assert_null (refused);
    g_assert_cmpstr (error->message, ==,
                     /* g_format_size() puts a no-break space before the unit */
                     "This message is too long to store (2.1\u00A0MB; at most about 1.0\u00A0MB). "
                     "Shorten it or split it into several messages.");
    g_clear_error (&error);
  }

  /* just over: the short forms would both read 1.0 MB */
  {
    g_autoptr(JsonObject) refused = test_util_store_insert (CAIRN_STORE (f->store), "messages", over, &error);
    g_autofree char *size = g_format_size_full (CAIRN_MAX_DOCUMENT_SIZE + 1, G_FORMAT_SIZE_LONG_FORMAT);
    g_autofree char *limit = g_format_size_full (CAIRN_MAX_DOCUMENT_SIZE, G_FORMAT_SIZE_LONG_FORMAT);

    g_assert_null (refused);
    g_assert_nonnull (strstr (error->message, size));
    g_assert_nonnull (strstr (error->message, limit));
    g_assert_nonnull (strstr (error->message, "bytes)"));
    g_clear_error (&error);
  }

  /* a change is measured too */
  {
    g_autoptr(JsonObject) fields = json_object_new ();
    g_autofree char *title = g_strnfill (CAIRN_MAX_DOCUMENT_SIZE, 't');
    g_autoptr(JsonObject) patched = NULL;

    json_object_set_string_member (fields, "title", title);
    patched = test_util_store_patch (CAIRN_STORE (f->store), "conversations", conversation_id, fields, &error);
    g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
    g_assert_true (g_str_has_prefix (error->message, "This conversation’s title is too long to store ("));
    g_assert_null (patched);
    g_clear_error (&error);
    g_clear_pointer (&got, json_object_unref);
    got = test_util_store_get (CAIRN_STORE (f->store), "conversations", conversation_id, &error);
    g_assert_cmpstr (json_object_get_string_member (got, "title"), ==, "Long ones");
  }

  /* app data never goes to a deployment: a draft keeps whatever was typed */
  {
    g_autoptr(JsonObject) draft = json_object_new ();
    g_autofree char *text = g_strnfill (2 * 1024 * 1024, 'd');

    json_object_set_string_member (draft, "clientId", conversation_id);
    json_object_set_string_member (draft, "content", text);
    json_object_set_double_member (draft, "updatedAt", 1);
    test_util_insert (CAIRN_STORE (f->store), "drafts", draft);
  }
}

/* Text that cannot be stored whole, or that would look empty. */
static void
test_input_text (Fixture       *f,
                 gconstpointer  data)
{
  static const char invisible[] = "\u200B\u200C\u200D\u2060\uFEFF \t\n\u00A0\u3000";
  g_autoptr(JsonObject) conversation = conversation_new ("Text", 1);
  g_autoptr(JsonObject) blank = message_new (client_id_of (conversation), 1);
  g_autoptr(JsonObject) visible = message_new (client_id_of (conversation), 2);
  g_autoptr(JsonObject) untitled = conversation_new ("\u200B\u200B", 1);
  g_autoptr(JsonObject) not_utf8 = conversation_new ("caf\xe9", 1);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) patched = NULL;
  g_autoptr(GError) error = NULL;

  /* U+0000 ends a C string: text that holds one is refused as it comes */
  g_assert_false (cairn_schema_check_text ("before\0after", sizeof "before\0after" - 1, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "U+0000"));
  g_clear_error (&error);
  g_assert_true (cairn_schema_check_text ("before", -1, &error));
  g_assert_no_error (error);

  g_assert_true (cairn_text_is_blank (invisible));
  g_assert_true (cairn_text_is_blank (""));
  g_assert_false (cairn_text_is_blank ("\u200B.\u200B"));

  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);

  json_object_set_string_member (blank, "content", invisible);
  insert_refused (f->store, "messages", blank, EMPTY_MESSAGE);
  json_object_set_string_member (blank, "content", "");
  insert_refused (f->store, "messages", blank, EMPTY_MESSAGE);
  json_object_set_string_member (visible, "content", "\u200Bok\u200B");
  test_util_insert (CAIRN_STORE (f->store), "messages", visible);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "messages"), ==, 1);

  insert_refused (f->store, "conversations", untitled, "A conversation needs a title with visible characters.");
  insert_refused (f->store, "conversations", not_utf8, "The field “title” cannot be stored: The text is not valid UTF-8.");

  json_object_set_string_member (fields, "title", "\uFEFF ");
  patched = test_util_store_patch (CAIRN_STORE (f->store), "conversations", client_id_of (conversation), fields, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "A conversation needs a title with visible characters.");
  g_assert_null (patched);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (f->store), "conversations"), ==, 1);
}

/* ------------------------------------------------------------------------
 * Storage errors: what happened, and what to do
 * ------------------------------------------------------------------------ */

static void
assert_contains (const char *text,
                 const char *part)
{
  g_test_message ("%s", text);
  if (strstr (text, part) == NULL)
    g_error ("“%s” does not contain “%s”", text, part);
}

/* A file that is not a database, or one whose pages were overwritten:
 * the message names the file and says it is damaged, and the file is left
 * as it was. */
static void
test_error_damaged (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(GString) garbage = g_string_new (NULL);
  g_autofree char *after = NULL;
  gsize length = 0;

  for (guint i = 0; garbage->len < 64 * 1024; i++)
    g_string_append_printf (garbage, "not a database %u; ", i);
  g_assert_true (g_file_set_contents (f->path, garbage->str, garbage->len, NULL));

  store = cairn_local_store_new (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  assert_contains (error->message, f->path);
  assert_contains (error->message, "is damaged");
  assert_contains (error->message, "backup");
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (f->path, &after, &length, NULL));
  g_assert_cmpmem (after, length, garbage->str, garbage->len);

  /* a real database whose pages after the first were overwritten */
  g_assert_no_errno (g_unlink (f->path));
  open_store (f);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *title = g_strdup_printf ("Conversation %u with a title long enough to fill pages", i);
      g_autoptr(JsonObject) conversation = conversation_new (title, i);

      test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
    }
  close_store (f);

  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
    g_autoptr(CairnPage) page = NULL;
    int fd = open (f->path, O_WRONLY);
    int page_size = 4096;
    struct stat st;

    g_assert_cmpint (fd, >=, 0);
    g_assert_no_errno (fstat (fd, &st));
    g_assert_cmpint (st.st_size, >, 8 * page_size);
    /* keep the first pages (the header and the list of tables) */
    for (off_t at = 4 * page_size; at + 512 <= st.st_size; at += 512)
      g_assert_cmpint (pwrite (fd, garbage->str, 512, at), ==, 512);
    g_assert_no_errno (close (fd));

    store = cairn_local_store_new (f->path, &error);
    if (store != NULL)
      {
        cairn_query_set_page_size (query, CAIRN_QUERY_MAX_PAGE_SIZE);
        page = test_util_store_list (CAIRN_STORE (store), query, &error);
        g_assert_null (page);
      }
    g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
    assert_contains (error->message, f->path);
    assert_contains (error->message, "is damaged");
  }
}

/* Makes @path impossible to write or, with FALSE, writable again. Root
 * ignores permissions, and the tests may run as root: the immutable
 * attribute holds for everyone. FALSE where the file system or the
 * process's capabilities do not allow it. */
static gboolean
set_immutable (const char *path,
               gboolean    immutable)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK);
  int flags = 0;
  gboolean done;

  if (fd < 0)
    return FALSE;

  done = ioctl (fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (done)
    {
      flags = immutable ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
      done = ioctl (fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
  close (fd);

  return done;
}

/* A file Cairn may not write: the message says so and names the folder to
 * check. */
static void
test_error_read_only (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Before", 1);
  g_autoptr(JsonObject) later = conversation_new ("After", 2);
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;

  open_store (f);
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
  close_store (f);

  if (!set_immutable (f->path, TRUE))
    {
      /* as another user, plain permissions would do */
      if (getuid () != 0 && g_chmod (f->path, 0444) == 0)
        ;
      else
        {
          g_test_skip ("running as root on a file system without the immutable attribute "
                       "(or without CAP_LINUX_IMMUTABLE): no way to make the file read-only for root");
          return;
        }
    }

  store = cairn_local_store_new (f->path, &error);
  if (store != NULL)
    stored = test_util_store_insert (CAIRN_STORE (store), "conversations", later, &error);
  g_clear_object (&store);

  /* writable again before anything can fail, so the directory can go */
  if (!set_immutable (f->path, FALSE))
    g_assert_no_errno (g_chmod (f->path, 0644));

  g_assert_null (stored);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  assert_contains (error->message, "Cairn cannot write the local database");
  assert_contains (error->message, f->path);
  assert_contains (error->message, f->dir);
}

/* Another connection holds the database (another Cairn, a database tool):
 * after the busy timeout the message says so. */
static void
test_error_locked (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Waiting", 1);
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  open_store (f);

  db = raw_open (f->path);
  raw_exec (db, "BEGIN EXCLUSIVE");
  stored = test_util_store_insert (CAIRN_STORE (f->store), "conversations", conversation, &error);
  raw_exec (db, "ROLLBACK");
  raw_close (db);

  g_assert_null (stored);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE);
  assert_contains (error->message, f->path);
  assert_contains (error->message, "is in use by another program");
  g_clear_error (&error);

  /* once it lets go, the same write goes through */
  test_util_insert (CAIRN_STORE (f->store), "conversations", conversation);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  store_conformance_add_tests ("/local-store/conformance",
                               (StoreFactory) { local_create, local_teardown, NULL });

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/local-store/open/memory", test_open_memory);
  ADD ("/local-store/open/creates-directories", test_open_creates_directories);
  ADD ("/local-store/open/unwritable", test_open_unwritable);
  ADD ("/local-store/open/async", test_open_async);
  ADD ("/local-store/disk/persistence", test_persistence);
  ADD ("/local-store/disk/pragmas", test_pragmas);
  ADD ("/local-store/disk/schema", test_schema);
  ADD ("/local-store/disk/types", test_types_on_disk);
  ADD ("/local-store/upgrade/from-empty", test_upgrade_from_empty);
  ADD ("/local-store/upgrade/missing-table", test_upgrade_missing_table);
  ADD ("/local-store/upgrade/outbox-status", test_upgrade_outbox_status);
  ADD ("/local-store/upgrade/message-count", test_upgrade_message_count);
  ADD ("/local-store/upgrade/byod-runner-id", test_upgrade_byod_runner_id);
  ADD ("/local-store/run/message-count-rolls-back", test_message_count_rolls_back);
  ADD ("/local-store/upgrade/too-new", test_upgrade_too_new);
  ADD ("/local-store/upgrade/too-new-async", test_upgrade_too_new_async);
  ADD ("/local-store/upgrade/failure-rolls-back", test_upgrade_failure_rolls_back);
  ADD ("/local-store/run/ordered", test_ordered);
  ADD ("/local-store/run/close", test_close);
  ADD ("/local-store/run/cancelled", test_cancelled);
  ADD ("/local-store/run/storage-error-rolls-back", test_storage_error_rolls_back);
  ADD ("/local-store/pages/exact", test_pages_exact);
  ADD ("/local-store/pages/cursor-checks", test_cursor_checks);
  ADD ("/local-store/input/size-limit", test_input_size_limit);
  ADD ("/local-store/input/text", test_input_text);
  ADD ("/local-store/errors/damaged", test_error_damaged);
  ADD ("/local-store/errors/read-only", test_error_read_only);
  ADD ("/local-store/errors/locked", test_error_locked);
#undef ADD

  return g_test_run ();
}
