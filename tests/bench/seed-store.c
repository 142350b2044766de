/* seed-store.c — a local store with many conversations, for the UI benchmark
 *
 *   seed-store [OPTION…] DB_PATH
 *
 * Creates DB_PATH (which must not exist) with --conversations ordinary
 * conversations, one of them (the second newest) holding --small-messages
 * messages, plus one more conversation, the newest, holding --big-messages
 * messages. The content is made up but deterministic: the same options give
 * the same documents, ids included. On success a JSON manifest (the ids of
 * the big and the small conversation, the counts, how long it took) is
 * printed on stdout.
 *
 * Two ways to write, --method:
 *   api  (default) every document through cairn_store_insert_async() on a
 *        CairnLocalStore, as the app writes them. Each insert is its own
 *        synchronous=FULL transaction: 110 000 documents take from about
 *        25 s (a VM whose fsync is cheap) to minutes (a laptop SSD);
 *   sql  CairnLocalStore creates the file (tables, indexes, its schema
 *        version), then the rows go in with SQLite directly, in one
 *        transaction, with an INSERT derived from cairn-schema as the store
 *        derives its own: about a second. Same options, same rows: the two
 *        files hold identical tables.
 * Either way the file is then opened again with CairnLocalStore (schema
 * version check included) and read back through the store API before it
 * counts as seeded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "seed-store"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cairn-local-store.h"
#include "cairn-schema.h"
#include "test-util.h"

/* 2026-01-01T00:00:00Z: fixed, so a seeded file is the same every time. */
#define NEWEST_MS         1767225600000.0
#define MESSAGE_STEP_MS   30000.0       /* the big conversation: one message every 30 s */
#define CONVERSATION_STEP 3150000.0     /* ordinary conversations: ~52 min apart, ~1 year for 10 000 */
#define API_IN_FLIGHT     64
#define RANDOM_SEED       20260101

typedef struct {
  guint       n_conversations;
  guint       n_big;
  guint       n_small;
  const char *method;
} Options;

typedef struct {
  GRand *rand;
  char   big_id[37];
  char   small_id[37];
} Seed;

/* Where the documents go: one of the two writers below. */
typedef gboolean (*WriteFunc) (gpointer     writer,
                               const char  *table,
                               JsonObject  *document,
                               GError     **error);

/* Made-up content ------------------------------------------------------------ */

static const char *words[] = {
  "the", "garden", "needs", "water", "before", "we", "leave", "for", "the", "mountains",
  "tomorrow", "morning", "and", "I", "still", "have", "to", "pack", "a", "map",
  "remember", "that", "the", "hut", "closes", "early", "in", "October", "so", "booking",
  "matters", "more", "than", "the", "weather", "forecast", "which", "looks", "fine", "anyway",
  "could", "you", "send", "me", "the", "recipe", "with", "lentils", "and", "lemon",
  "meeting", "moved", "to", "Thursday", "because", "of", "the", "train", "strike", "again",
};

static void
random_uuid (GRand *rand,
             char   out[37])
{
  guint8 b[16];

  for (guint i = 0; i < 16; i++)
    b[i] = g_rand_int_range (rand, 0, 256);
  b[6] = (b[6] & 0x0f) | 0x40;   /* version 4 */
  b[8] = (b[8] & 0x3f) | 0x80;   /* RFC 4122 variant */

  g_snprintf (out, 37,
              "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
              b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
              b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void
append_sentence (GString *text,
                 GRand   *rand)
{
  guint n = g_rand_int_range (rand, 4, 18);

  for (guint i = 0; i < n; i++)
    {
      const char *word = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];

      if (i == 0)
        {
          g_string_append_unichar (text, g_unichar_toupper (g_utf8_get_char (word)));
          g_string_append (text, g_utf8_next_char (word));
        }
      else
        g_string_append_printf (text, " %s", word);
    }
  g_string_append (text, g_rand_int_range (rand, 0, 5) == 0 ? "?" : ".");
}

/* Mostly one to three sentences; now and then a few paragraphs. */
static char *
message_text (GRand *rand)
{
  GString *text = g_string_new (NULL);
  guint n = g_rand_int_range (rand, 0, 20) == 0 ? g_rand_int_range (rand, 6, 16)
                                                : g_rand_int_range (rand, 1, 4);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (text, i % 4 == 0 ? "\n\n" : " ");
      append_sentence (text, rand);
    }

  return g_string_free (text, FALSE);
}

static char *
conversation_title (GRand *rand,
                    guint  number)
{
  g_autoptr(GString) text = g_string_new (NULL);

  append_sentence (text, rand);
  g_string_truncate (text, MIN (text->len - 1, 40));
  while (text->len > 0 && text->str[text->len - 1] == ' ')
    g_string_truncate (text, text->len - 1);

  return g_strdup_printf ("%s (%u)", text->str, number);
}

/* Documents ------------------------------------------------------------------ */

static JsonObject *
conversation_new (const char *client_id,
                  const char *title,
                  double      updated_at)
{
  JsonObject *document = json_object_new ();

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "title", title);
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", FALSE);
  json_object_set_double_member (document, "createdAt", updated_at - 86400000.0);
  json_object_set_double_member (document, "updatedAt", updated_at);

  return document;
}

static JsonObject *
message_new (GRand      *rand,
             const char *conversation_id,
             guint       index,
             double      created_at)
{
  JsonObject *document = json_object_new ();
  char client_id[37];
  g_autofree char *content = message_text (rand);

  random_uuid (rand, client_id);
  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "conversationId", conversation_id);
  json_object_set_string_member (document, "role", index % 2 == 0 ? "user" : "assistant");
  json_object_set_string_member (document, "content", content);
  json_object_set_double_member (document, "createdAt", created_at);

  return document;
}

static gboolean
write_messages (Seed        *seed,
                const char  *conversation_id,
                guint        n,
                double       newest,
                WriteFunc    write,
                gpointer     writer,
                GError     **error)
{
  for (guint i = 0; i < n; i++)
    {
      double created_at = newest - (double) (n - 1 - i) * MESSAGE_STEP_MS;
      g_autoptr(JsonObject) message = message_new (seed->rand, conversation_id, i, created_at);

      if (!write (writer, "messages", message, error))
        return FALSE;
    }

  return TRUE;
}

/* Every document, in the order a user would have written them: conversations
 * oldest first, then each conversation's messages oldest first. */
static gboolean
write_all (Seed            *seed,
           const Options   *options,
           WriteFunc        write,
           gpointer         writer,
           GError         **error)
{
  for (guint i = options->n_conversations; i > 0; i--)
    {
      guint number = i;
      double updated_at = NEWEST_MS - (double) i * CONVERSATION_STEP;
      g_autofree char *title = conversation_title (seed->rand, number);
      g_autoptr(JsonObject) conversation = NULL;
      char client_id[37];

      random_uuid (seed->rand, client_id);
      /* the newest ordinary conversation is the small one */
      if (i == 1 && options->n_small > 0)
        {
          memcpy (seed->small_id, client_id, sizeof client_id);
          g_free (title);
          title = g_strdup ("Small conversation");
        }

      conversation = conversation_new (client_id, title, updated_at);
      if (!write (writer, "conversations", conversation, error))
        return FALSE;
    }

  if (options->n_big > 0)
    {
      g_autoptr(JsonObject) big = NULL;

      random_uuid (seed->rand, seed->big_id);
      big = conversation_new (seed->big_id, "Big conversation", NEWEST_MS);
      if (!write (writer, "conversations", big, error))
        return FALSE;
    }

  if (options->n_small > 0 && options->n_conversations > 0 &&
      !write_messages (seed, seed->small_id, options->n_small,
                       NEWEST_MS - CONVERSATION_STEP, write, writer, error))
    return FALSE;

  if (options->n_big > 0 &&
      !write_messages (seed, seed->big_id, options->n_big, NEWEST_MS, write, writer, error))
    return FALSE;

  return TRUE;
}

/* Writing through the store API ---------------------------------------------- */

typedef struct {
  CairnStore *store;
  guint       in_flight;
  guint       written;
  GError     *error;
} ApiWriter;

static void
api_insert_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ApiWriter *writer = user_data;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;

  stored = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);
  if (stored == NULL && writer->error == NULL)
    writer->error = g_steal_pointer (&error);

  writer->in_flight--;
  writer->written++;
  if (writer->written % 10000 == 0)
    g_printerr ("seed-store: %u documents\n", writer->written);
}

static void
api_drain (ApiWriter *writer,
           guint      at_most)
{
  while (writer->in_flight > at_most)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
api_write (gpointer     data,
           const char  *table,
           JsonObject  *document,
           GError     **error)
{
  ApiWriter *writer = data;

  api_drain (writer, API_IN_FLIGHT - 1);
  if (writer->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&writer->error));
      return FALSE;
    }

  writer->in_flight++;
  cairn_store_insert_async (writer->store, table, document, NULL, api_insert_cb, writer);

  return TRUE;
}

static gboolean
seed_with_api (Seed           *seed,
               const Options  *options,
               const char     *path,
               GError        **error)
{
  g_autoptr(CairnLocalStore) store = cairn_local_store_new (path, error);
  ApiWriter writer = { 0 };
  gboolean ok;

  if (store == NULL)
    return FALSE;

  writer.store = CAIRN_STORE (store);
  ok = write_all (seed, options, api_write, &writer, error);
  api_drain (&writer, 0);
  cairn_local_store_close (store);

  if (ok && writer.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&writer.error));
      return FALSE;
    }
  g_clear_error (&writer.error);

  return ok;
}

/* Writing with SQLite directly ---------------------------------------------- */

typedef struct {
  sqlite3    *db;
  GHashTable *inserts;   /* table name -> sqlite3_stmt */
} SqlWriter;

static gboolean
sql_failed (sqlite3  *db,
            GError  **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "SQLite: %s", sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
sql_exec (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK || sql_failed (db, error);
}

/* INSERT INTO "<table>" ("<field>", …) VALUES (?, …): the columns are the
 * schema's fields, named as the fields, as CairnLocalStore creates them. */
static char *
insert_sql (const CairnTableSpec *table)
{
  GString *sql = g_string_new (NULL);

  g_string_append_printf (sql, "INSERT INTO \"%s\" (", table->name);
  for (guint i = 0; i < table->n_fields; i++)
    g_string_append_printf (sql, "%s\"%s\"", i > 0 ? ", " : "", table->fields[i].name);
  g_string_append (sql, ") VALUES (");
  for (guint i = 0; i < table->n_fields; i++)
    g_string_append (sql, i > 0 ? ", ?" : "?");
  g_string_append (sql, ")");

  return g_string_free (sql, FALSE);
}

static sqlite3_stmt *
sql_insert_statement (SqlWriter             *writer,
                      const CairnTableSpec  *table,
                      GError               **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (writer->inserts, table->name);
  g_autofree char *sql = NULL;

  if (stmt != NULL)
    return stmt;

  sql = insert_sql (table);
  if (sqlite3_prepare_v2 (writer->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sql_failed (writer->db, error);
      return NULL;
    }
  g_hash_table_insert (writer->inserts, (gpointer) table->name, stmt);

  return stmt;
}

static void
bind_field (sqlite3_stmt         *stmt,
            int                   position,
            const CairnFieldSpec *field,
            JsonObject           *document)
{
  switch (field->type)
    {
    case CAIRN_FIELD_STRING:
      sqlite3_bind_text (stmt, position, json_object_get_string_member (document, field->name),
                         -1, SQLITE_TRANSIENT);
      break;
    case CAIRN_FIELD_BOOLEAN:
      sqlite3_bind_int (stmt, position, json_object_get_boolean_member (document, field->name));
      break;
    case CAIRN_FIELD_NUMBER:
      sqlite3_bind_double (stmt, position, json_object_get_double_member (document, field->name));
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
sql_write (gpointer     data,
           const char  *table_name,
           JsonObject  *document,
           GError     **error)
{
  SqlWriter *writer = data;
  const CairnTableSpec *table = cairn_schema_lookup_table (table_name);
  sqlite3_stmt *stmt;

  /* the same check the store makes before it writes */
  if (!cairn_schema_validate_document (table, document, error) ||
      !(stmt = sql_insert_statement (writer, table, error)))
    return FALSE;

  for (guint i = 0; i < table->n_fields; i++)
    bind_field (stmt, i + 1, &table->fields[i], document);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return sql_failed (writer->db, error);
    }
  sqlite3_reset (stmt);

  return TRUE;
}

static gboolean
sql_write_all (Seed           *seed,
               const Options  *options,
               SqlWriter      *writer,
               GError        **error)
{
  /* Durability does not matter until the end: the file is checked after. */
  if (!sql_exec (writer->db, "PRAGMA synchronous = OFF; BEGIN", error))
    return FALSE;

  if (!write_all (seed, options, sql_write, writer, error))
    {
      sqlite3_exec (writer->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  return sql_exec (writer->db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", error);
}

static gboolean
seed_with_sql (Seed           *seed,
               const Options  *options,
               const char     *path,
               GError        **error)
{
  g_autoptr(CairnLocalStore) store = NULL;
  SqlWriter writer = { 0 };
  gboolean ok;

  /* The store makes the file: its tables, indexes and schema version. */
  store = cairn_local_store_new (path, error);
  if (store == NULL)
    return FALSE;
  cairn_local_store_close (store);

  if (sqlite3_open_v2 (path, &writer.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      sql_failed (writer.db, error);
      sqlite3_close (writer.db);
      return FALSE;
    }

  writer.inserts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) sqlite3_finalize);
  ok = sql_write_all (seed, options, &writer, error);
  g_hash_table_unref (writer.inserts);

  if (sqlite3_close (writer.db) != SQLITE_OK && ok)
    ok = sql_failed (writer.db, error);

  return ok;
}

/* Checking the result through the store -------------------------------------- */

/* The first page a listing by @index (descending) gives; NULL on error. */
static CairnPage *
first_page (CairnStore  *store,
            const char  *table,
            const char  *index,
            JsonNode    *equal,
            GError     **error)
{
  g_autoptr(CairnQuery) query = cairn_query_new (table, index);

  if (equal != NULL)
    cairn_query_add_equal (query, equal);
  cairn_query_set_descending (query, TRUE);

  return test_util_store_list (store, query, error);
}

static gboolean
check_page (CairnPage   *page,
            guint        expected_min,
            const char  *field,
            const char  *value,
            const char  *what,
            GError     **error)
{
  JsonObject *first;

  if (page->documents->len < expected_min)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: %u documents on the first page, expected at least %u",
                   what, page->documents->len, expected_min);
      return FALSE;
    }

  if (value == NULL || page->documents->len == 0)
    return TRUE;

  first = g_ptr_array_index (page->documents, 0);
  if (g_strcmp0 (json_object_get_string_member (first, field), value) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: the first document is not the one seeded last", what);
      return FALSE;
    }

  return TRUE;
}

/* Opens the file as Cairn does (schema version check included) and lists
 * the newest conversations and the newest messages of the big one. */
static gboolean
verify (Seed           *seed,
        const Options  *options,
        const char     *path,
        int            *schema_version,
        GError        **error)
{
  g_autoptr(CairnLocalStore) store = cairn_local_store_new (path, error);
  g_autoptr(CairnPage) conversations = NULL;
  g_autoptr(CairnPage) messages = NULL;
  g_autoptr(JsonNode) not_archived = NULL;
  guint n_total = options->n_conversations + (options->n_big > 0 ? 1 : 0);

  if (store == NULL)
    return FALSE;
  *schema_version = cairn_local_store_get_schema_version (store);

  not_archived = json_node_init_boolean (json_node_alloc (), FALSE);
  conversations = first_page (CAIRN_STORE (store), "conversations", "by_archived_updatedAt",
                              not_archived, error);
  if (conversations == NULL ||
      !check_page (conversations, MIN (n_total, CAIRN_QUERY_DEFAULT_PAGE_SIZE), "clientId",
                   options->n_big > 0 ? seed->big_id : NULL, "conversations", error))
    return FALSE;

  if (options->n_big > 0)
    {
      g_autoptr(JsonNode) id = json_node_init_string (json_node_alloc (), seed->big_id);

      messages = first_page (CAIRN_STORE (store), "messages", "by_conversation", id, error);
      if (messages == NULL ||
          !check_page (messages, MIN (options->n_big, CAIRN_QUERY_DEFAULT_PAGE_SIZE), "conversationId",
                       seed->big_id, "messages of the big conversation", error))
        return FALSE;
    }

  cairn_local_store_close (store);
  return TRUE;
}

/* Counting rows (no store API counts) ---------------------------------------- */

static gint64
count_rows (const char *path,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM \"%s\"", table);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  /* read-write: closing the last connection then removes the WAL files */
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);

  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return n;
}

/* main ---------------------------------------------------------------------- */

static void
print_manifest (Seed          *seed,
                const Options *options,
                const char    *path,
                int            schema_version,
                double         seconds)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GStatBuf st = { 0 };

  g_stat (path, &st);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, options->method);
  json_builder_set_member_name (builder, "conversations");
  json_builder_add_int_value (builder, count_rows (path, "conversations"));
  json_builder_set_member_name (builder, "messages");
  json_builder_add_int_value (builder, count_rows (path, "messages"));
  json_builder_set_member_name (builder, "bigId");
  json_builder_add_string_value (builder, seed->big_id);
  json_builder_set_member_name (builder, "bigMessages");
  json_builder_add_int_value (builder, options->n_big);
  json_builder_set_member_name (builder, "smallId");
  json_builder_add_string_value (builder, seed->small_id);
  json_builder_set_member_name (builder, "smallMessages");
  json_builder_add_int_value (builder, options->n_small);
  json_builder_set_member_name (builder, "schemaVersion");
  json_builder_add_int_value (builder, schema_version);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, st.st_size);
  json_builder_set_member_name (builder, "seconds");
  json_builder_add_double_value (builder, seconds);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  g_print ("%s\n", text);
}

static gboolean
seed_store (const Options  *options,
            const char     *path,
            GError        **error)
{
  Seed seed = { .rand = g_rand_new_with_seed (RANDOM_SEED) };
  gint64 started = g_get_monotonic_time ();
  int schema_version = 0;
  gboolean ok;

  if (g_str_equal (options->method, "api"))
    ok = seed_with_api (&seed, options, path, error);
  else
    ok = seed_with_sql (&seed, options, path, error);

  ok = ok && verify (&seed, options, path, &schema_version, error);
  if (ok)
    print_manifest (&seed, options, path, schema_version,
                    (g_get_monotonic_time () - started) / 1e6);

  g_rand_free (seed.rand);
  return ok;
}

int
main (int   argc,
      char *argv[])
{
  Options options = { .n_conversations = 10000, .n_big = 100000, .n_small = 20, .method = "api" };
  int n_conversations = options.n_conversations, n_big = options.n_big, n_small = options.n_small;
  g_autofree char *method = NULL;
  const GOptionEntry entries[] = {
    { "conversations", 0, 0, G_OPTION_ARG_INT, &n_conversations, "Ordinary conversations (10000)", "N" },
    { "big-messages", 0, 0, G_OPTION_ARG_INT, &n_big, "Messages of the big conversation; 0: none (100000)", "N" },
    { "small-messages", 0, 0, G_OPTION_ARG_INT, &n_small, "Messages of the small conversation (20)", "N" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method, "api or sql (api)", "METHOD" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("DB_PATH");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 ||
      n_conversations < 0 || n_big < 0 || n_small < 0 ||
      (method != NULL && !g_str_equal (method, "api") && !g_str_equal (method, "sql")))
    {
      g_printerr ("usage: seed-store [--conversations=N] [--big-messages=N] [--small-messages=N] "
                  "[--method=api|sql] DB_PATH%s%s\n",
                  error != NULL ? ": " : "", error != NULL ? error->message : "");
      return 2;
    }

  if (g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      g_printerr ("seed-store: %s exists already\n", argv[1]);
      return 2;
    }

  options.n_conversations = n_conversations;
  options.n_big = n_big;
  options.n_small = n_small;
  if (method != NULL)
    options.method = method;

  if (!seed_store (&options, argv[1], &error))
    {
      g_printerr ("seed-store: %s\n", error->message);
      return 1;
    }

  return 0;
}
