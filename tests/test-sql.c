/* test-sql.c — the local store's SQL, page cursors and table definitions,
 * checked as text and values without a database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-error.h"
#include "cairn-local-schema.h"
#include "cairn-page-cursor.h"
#include "cairn-sql.h"

#define CONVERSATION_ID "6f1c2a3b-4d5e-4f60-8172-839a4b5c6d7e"
#define MESSAGE_ID      "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"

#define SELECT_CONVERSATIONS \
  "SELECT seq, \"clientId\", \"title\", \"pinned\", \"archived\", \"createdAt\", \"updatedAt\", " \
  "\"messageCount\" FROM \"conversations\""
#define SELECT_MESSAGES \
  "SELECT seq, \"clientId\", \"conversationId\", \"role\", \"content\", \"createdAt\" FROM \"messages\""
#define BAD_CURSOR "The page cursor is not one of the index"

/* A table whose names need quoting, one of them made to end the quotes early. */
static const CairnFieldSpec odd_fields[] = {
  { "clientId",  CAIRN_FIELD_STRING },
  { "say \"hi\"", CAIRN_FIELD_STRING },
  { "x\"; DROP TABLE notes; --", CAIRN_FIELD_NUMBER },
};

static const CairnIndexSpec odd_indexes[] = {
  { "by \"both\"", { "say \"hi\"", "x\"; DROP TABLE notes; --", NULL } },
};

static const CairnTableSpec odd_table = {
  .name = "my \"table\"",
  .fields = odd_fields,
  .n_fields = G_N_ELEMENTS (odd_fields),
  .indexes = odd_indexes,
  .n_indexes = G_N_ELEMENTS (odd_indexes),
};

static const CairnTableSpec *
table (const char *name)
{
  const CairnTableSpec *spec = cairn_schema_lookup_table (name);

  g_assert_nonnull (spec);

  return spec;
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);

  return node;
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonNode) node = parse_json (text);

  return json_object_ref (json_node_get_object (node));
}

/* The values as JSON, which tells an integer (7) from a number (7.0) and
 * a boolean from 0 or 1. */
static char *
binds_to_string (GPtrArray *binds)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < binds->len; i++)
    json_array_add_element (array, json_node_copy (g_ptr_array_index (binds, i)));
  json_node_set_array (root, array);

  return json_to_string (root, FALSE);
}

static void
assert_statement (const CairnSqlStatement *statement,
                  const char              *text,
                  const char              *binds)
{
  g_autofree char *got = NULL;

  g_assert_nonnull (statement);
  got = binds_to_string (statement->binds);
  g_assert_cmpstr (statement->text, ==, text);
  g_assert_cmpstr (got, ==, binds);
}

static void
assert_identifier (const char *name,
                   const char *quoted)
{
  g_autoptr(GString) sql = g_string_new ("x ");

  cairn_sql_append_identifier (sql, name);
  g_assert_cmpstr (sql->str, ==, quoted);
}

/* ------------------------------------------------------------------------
 * Statements for one document
 * ------------------------------------------------------------------------ */

static void
test_identifier (void)
{
  assert_identifier ("conversations", "x \"conversations\"");
  assert_identifier ("say \"hi\"", "x \"say \"\"hi\"\"\"");
  assert_identifier ("\"", "x \"\"\"\"");
  assert_identifier ("x\"; DROP TABLE notes; --", "x \"x\"\"; DROP TABLE notes; --\"");
  assert_identifier ("it's", "x \"it's\"");
  assert_identifier ("", "x \"\"");
}

static void
test_get (void)
{
  g_autoptr(CairnSqlStatement) get = cairn_sql_get (table ("conversations"), CONVERSATION_ID);

  assert_statement (get, SELECT_CONVERSATIONS " WHERE \"clientId\" = ?1", "[\"" CONVERSATION_ID "\"]");
}

static void
test_insert (void)
{
  /* members in another order than the schema's: the binds follow the schema */
  g_autoptr(JsonObject) conversation =
    parse_object ("{\"updatedAt\": 20.5, \"title\": \"Hi\", \"archived\": true, \"pinned\": false, "
                  "\"createdAt\": 10, \"clientId\": \"" CONVERSATION_ID "\"}");
  g_autoptr(CairnSqlStatement) insert = cairn_sql_insert (table ("conversations"), conversation);

  assert_statement (insert,
                    "INSERT INTO \"conversations\" (\"clientId\", \"title\", \"pinned\", \"archived\", "
                    "\"createdAt\", \"updatedAt\") VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (\"clientId\") DO NOTHING",
                    "[\"" CONVERSATION_ID "\",\"Hi\",false,true,10,20.5]");

  /* the statement has values of its own */
  json_object_set_string_member (conversation, "title", "Changed");
  g_assert_cmpstr (json_node_get_string (g_ptr_array_index (insert->binds, 1)), ==, "Hi");
}

/* A count the store keeps is never written from a document: the triggers
 * count (test_count_triggers). The same text as without it. */
static void
test_insert_kept_count (void)
{
  g_autoptr(JsonObject) conversation =
    parse_object ("{\"clientId\": \"" CONVERSATION_ID "\", \"title\": \"Hi\", \"pinned\": false, "
                  "\"archived\": false, \"createdAt\": 1, \"updatedAt\": 2, \"messageCount\": 42}");
  g_autoptr(CairnSqlStatement) insert = cairn_sql_insert (table ("conversations"), conversation);

  assert_statement (insert,
                    "INSERT INTO \"conversations\" (\"clientId\", \"title\", \"pinned\", \"archived\", "
                    "\"createdAt\", \"updatedAt\") VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (\"clientId\") DO NOTHING",
                    "[\"" CONVERSATION_ID "\",\"Hi\",false,false,1,2]");
}

static void
test_patch (void)
{
  g_autoptr(JsonObject) fields = parse_object ("{\"updatedAt\": 3, \"title\": \"New\"}");
  g_autoptr(JsonObject) same_fields = parse_object ("{\"title\": \"Other\", \"updatedAt\": 4.5}");
  g_autoptr(JsonObject) one_field = parse_object ("{\"pinned\": true}");
  g_autoptr(CairnSqlStatement) patch = cairn_sql_patch (table ("conversations"), CONVERSATION_ID, fields);
  g_autoptr(CairnSqlStatement) same = cairn_sql_patch (table ("conversations"), CONVERSATION_ID, same_fields);
  g_autoptr(CairnSqlStatement) one = cairn_sql_patch (table ("conversations"), CONVERSATION_ID, one_field);

  assert_statement (patch,
                    "UPDATE \"conversations\" SET \"title\" = ?, \"updatedAt\" = ? WHERE \"clientId\" = ?",
                    "[\"New\",3,\"" CONVERSATION_ID "\"]");
  /* the same fields in another order: the same text, so one prepared statement */
  assert_statement (same,
                    "UPDATE \"conversations\" SET \"title\" = ?, \"updatedAt\" = ? WHERE \"clientId\" = ?",
                    "[\"Other\",4.5,\"" CONVERSATION_ID "\"]");
  assert_statement (one,
                    "UPDATE \"conversations\" SET \"pinned\" = ? WHERE \"clientId\" = ?",
                    "[true,\"" CONVERSATION_ID "\"]");
}

/* A patch leaves a count the store keeps alone; with nothing else, there is
 * nothing to write. */
static void
test_patch_kept_count (void)
{
  g_autoptr(JsonObject) with_title = parse_object ("{\"messageCount\": 99, \"title\": \"New\"}");
  g_autoptr(JsonObject) only_count = parse_object ("{\"messageCount\": 99}");
  g_autoptr(CairnSqlStatement) patch = cairn_sql_patch (table ("conversations"), CONVERSATION_ID, with_title);
  g_autoptr(CairnSqlStatement) nothing = cairn_sql_patch (table ("conversations"), CONVERSATION_ID, only_count);

  assert_statement (patch,
                    "UPDATE \"conversations\" SET \"title\" = ? WHERE \"clientId\" = ?",
                    "[\"New\",\"" CONVERSATION_ID "\"]");
  g_assert_null (nothing);
}

static void
test_remove (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) notes = cairn_sql_remove (table ("notes"), CONVERSATION_ID, &error);
  g_autoptr(GPtrArray) messages = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (notes->len, ==, 1);
  assert_statement (g_ptr_array_index (notes, 0),
                    "DELETE FROM \"notes\" WHERE \"clientId\" = ?1",
                    "[\"" CONVERSATION_ID "\"]");

  /* a message has nothing below it */
  messages = cairn_sql_remove (table ("messages"), MESSAGE_ID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 1);
  assert_statement (g_ptr_array_index (messages, 0),
                    "DELETE FROM \"messages\" WHERE \"clientId\" = ?1",
                    "[\"" MESSAGE_ID "\"]");
}

/* A conversation's messages go first, in the same transaction. */
static void
test_remove_cascade (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) statements = cairn_sql_remove (table ("conversations"), CONVERSATION_ID, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (statements->len, ==, 2);
  assert_statement (g_ptr_array_index (statements, 0),
                    "DELETE FROM \"messages\" WHERE \"conversationId\" IN (?1)",
                    "[\"" CONVERSATION_ID "\"]");
  assert_statement (g_ptr_array_index (statements, 1),
                    "DELETE FROM \"conversations\" WHERE \"clientId\" = ?1",
                    "[\"" CONVERSATION_ID "\"]");
}

static void
test_quoted_names (void)
{
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(CairnSqlStatement) get = cairn_sql_get (&odd_table, CONVERSATION_ID);
  g_autoptr(CairnSqlStatement) insert = NULL;
  g_autoptr(CairnSqlStatement) patch = NULL;
  g_autoptr(GPtrArray) remove = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (document, "clientId", CONVERSATION_ID);
  json_object_set_string_member (document, "say \"hi\"", "hello");
  json_object_set_double_member (document, "x\"; DROP TABLE notes; --", 1.5);
  json_object_set_string_member (fields, "say \"hi\"", "bye");
  insert = cairn_sql_insert (&odd_table, document);
  patch = cairn_sql_patch (&odd_table, CONVERSATION_ID, fields);
  remove = cairn_sql_remove (&odd_table, CONVERSATION_ID, &error);
  g_assert_no_error (error);

  assert_statement (get,
                    "SELECT seq, \"clientId\", \"say \"\"hi\"\"\", \"x\"\"; DROP TABLE notes; --\" "
                    "FROM \"my \"\"table\"\"\" WHERE \"clientId\" = ?1",
                    "[\"" CONVERSATION_ID "\"]");
  assert_statement (insert,
                    "INSERT INTO \"my \"\"table\"\"\" (\"clientId\", \"say \"\"hi\"\"\", "
                    "\"x\"\"; DROP TABLE notes; --\") VALUES (?, ?, ?) ON CONFLICT (\"clientId\") DO NOTHING",
                    "[\"" CONVERSATION_ID "\",\"hello\",1.5]");
  assert_statement (patch,
                    "UPDATE \"my \"\"table\"\"\" SET \"say \"\"hi\"\"\" = ? WHERE \"clientId\" = ?",
                    "[\"bye\",\"" CONVERSATION_ID "\"]");
  g_assert_cmpuint (remove->len, ==, 1);
  assert_statement (g_ptr_array_index (remove, 0),
                    "DELETE FROM \"my \"\"table\"\"\" WHERE \"clientId\" = ?1",
                    "[\"" CONVERSATION_ID "\"]");
}

/* ------------------------------------------------------------------------
 * Listing
 * ------------------------------------------------------------------------ */

static CairnSqlList *
plan_ok (const CairnTableSpec *spec,
         const CairnQuery     *query)
{
  g_autoptr(GError) error = NULL;
  CairnSqlList *list = cairn_sql_list (spec, query, &error);

  g_assert_no_error (error);
  g_assert_nonnull (list);
  g_assert_true (list->table == spec);
  g_assert_nonnull (list->index);
  g_assert_cmpstr (list->index->name, ==, query->index);

  return list;
}

static void
plan_fails (const CairnQuery *query,
            const char       *message_start)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnSqlList) list = cairn_sql_list (table (query->table), query, &error);

  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_null (list);
  if (!g_str_has_prefix (error->message, message_start))
    g_error ("“%s” does not start with “%s”", error->message, message_start);
}

static void
add_equal_boolean (CairnQuery *query,
                   gboolean    value)
{
  g_autoptr(JsonNode) node = json_node_init_boolean (json_node_alloc (), value);

  cairn_query_add_equal (query, node);
}

static void
set_bounds (CairnQuery *query,
            const char *lower,
            gboolean    lower_inclusive,
            const char *upper,
            gboolean    upper_inclusive)
{
  if (lower != NULL)
    {
      g_autoptr(JsonNode) node = parse_json (lower);
      cairn_query_set_lower (query, node, lower_inclusive);
    }
  if (upper != NULL)
    {
      g_autoptr(JsonNode) node = parse_json (upper);
      cairn_query_set_upper (query, node, upper_inclusive);
    }
}

static char *
cursor_after (const char *table_name,
              const char *index_name,
              const char *last,
              gint64      seq)
{
  const CairnTableSpec *spec = table (table_name);
  g_autoptr(JsonObject) document = parse_object (last);

  return cairn_page_cursor_encode (spec, cairn_table_spec_lookup_index (spec, index_name), document, seq);
}

static void
test_list_all (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
  g_autoptr(CairnSqlList) list = plan_ok (table ("conversations"), query);

  g_assert_cmpuint (list->page_size, ==, CAIRN_QUERY_DEFAULT_PAGE_SIZE);
  assert_statement (list->select, SELECT_CONVERSATIONS " ORDER BY \"updatedAt\", seq LIMIT ?", "[51]");
}

static void
test_list_equal (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(CairnSqlList) list = NULL;

  add_equal_boolean (query, FALSE);
  cairn_query_set_page_size (query, 10);
  list = plan_ok (table ("conversations"), query);

  g_assert_cmpuint (list->page_size, ==, 10);
  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE \"archived\" = ? "
                    "ORDER BY \"archived\", \"updatedAt\", seq LIMIT ?",
                    "[false,11]");
}

static void
test_list_equal_every_field (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("messages", "by_conversation");
  g_autoptr(JsonNode) created = json_node_init_int (json_node_alloc (), 42);
  g_autoptr(CairnSqlList) list = NULL;

  cairn_query_add_equal_string (query, CONVERSATION_ID);
  cairn_query_add_equal (query, created);
  list = plan_ok (table ("messages"), query);

  assert_statement (list->select,
                    SELECT_MESSAGES " WHERE \"conversationId\" = ? AND \"createdAt\" = ? "
                    "ORDER BY \"conversationId\", \"createdAt\", seq LIMIT ?",
                    "[\"" CONVERSATION_ID "\",42,51]");
}

static void
test_list_lower_inclusive_upper_exclusive (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(CairnSqlList) list = NULL;

  add_equal_boolean (query, TRUE);
  set_bounds (query, "10", TRUE, "20.5", FALSE);
  list = plan_ok (table ("conversations"), query);

  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE \"archived\" = ? AND \"updatedAt\" >= ? AND \"updatedAt\" < ? "
                    "ORDER BY \"archived\", \"updatedAt\", seq LIMIT ?",
                    "[true,10,20.5,51]");
}

static void
test_list_lower_exclusive_upper_inclusive (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(CairnSqlList) list = NULL;

  add_equal_boolean (query, TRUE);
  set_bounds (query, "10", FALSE, "20", TRUE);
  list = plan_ok (table ("conversations"), query);

  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE \"archived\" = ? AND \"updatedAt\" > ? AND \"updatedAt\" <= ? "
                    "ORDER BY \"archived\", \"updatedAt\", seq LIMIT ?",
                    "[true,10,20,51]");
}

/* A bound without values to match applies to the index's first field. */
static void
test_list_one_bound (void)
{
  g_autoptr(CairnQuery) lower = cairn_query_new ("conversations", "by_updatedAt");
  g_autoptr(CairnQuery) upper = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(CairnSqlList) lower_list = NULL;
  g_autoptr(CairnSqlList) upper_list = NULL;

  set_bounds (lower, "5", TRUE, NULL, FALSE);
  set_bounds (upper, NULL, FALSE, "true", FALSE);
  lower_list = plan_ok (table ("conversations"), lower);
  upper_list = plan_ok (table ("conversations"), upper);

  assert_statement (lower_list->select,
                    SELECT_CONVERSATIONS " WHERE \"updatedAt\" >= ? ORDER BY \"updatedAt\", seq LIMIT ?",
                    "[5,51]");
  assert_statement (upper_list->select,
                    SELECT_CONVERSATIONS " WHERE \"archived\" < ? "
                    "ORDER BY \"archived\", \"updatedAt\", seq LIMIT ?",
                    "[true,51]");
}

static void
test_list_descending (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autoptr(CairnSqlList) list = NULL;

  add_equal_boolean (query, FALSE);
  set_bounds (query, "1", TRUE, NULL, FALSE);
  cairn_query_set_descending (query, TRUE);
  list = plan_ok (table ("conversations"), query);

  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE \"archived\" = ? AND \"updatedAt\" >= ? "
                    "ORDER BY \"archived\" DESC, \"updatedAt\" DESC, seq DESC LIMIT ?",
                    "[false,1,51]");
}

/* After the cursor's row, on the fields after the matched ones and seq. */
static void
test_list_cursor (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autofree char *cursor = cursor_after ("conversations", "by_archived_updatedAt",
                                          "{\"archived\": false, \"updatedAt\": 5.0}", 7);
  g_autoptr(CairnSqlList) list = NULL;

  add_equal_boolean (query, FALSE);
  set_bounds (query, "1", FALSE, "100", TRUE);
  cairn_query_set_cursor (query, cursor);
  list = plan_ok (table ("conversations"), query);

  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE \"archived\" = ? AND \"updatedAt\" > ? AND \"updatedAt\" <= ? "
                    "AND (\"updatedAt\", seq) > (?, ?) "
                    "ORDER BY \"archived\", \"updatedAt\", seq LIMIT ?",
                    "[false,1,100,5.0,7,51]");
}

static void
test_list_cursor_descending (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
  g_autofree char *cursor = cursor_after ("conversations", "by_archived_updatedAt",
                                          "{\"archived\": true, \"updatedAt\": 12.25}", 3);
  g_autoptr(CairnSqlList) list = NULL;

  cairn_query_set_descending (query, TRUE);
  cairn_query_set_page_size (query, 2);
  cairn_query_set_cursor (query, cursor);
  list = plan_ok (table ("conversations"), query);

  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE (\"archived\", \"updatedAt\", seq) < (?, ?, ?) "
                    "ORDER BY \"archived\" DESC, \"updatedAt\" DESC, seq DESC LIMIT ?",
                    "[true,12.25,3,3]");
}

/* Every field matched: only seq is left to continue on. */
static void
test_list_cursor_every_field_equal (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
  g_autoptr(JsonNode) updated = json_node_init_double (json_node_alloc (), 9.0);
  g_autofree char *cursor = cursor_after ("conversations", "by_updatedAt", "{\"updatedAt\": 9.0}", 11);
  g_autoptr(CairnSqlList) list = NULL;

  cairn_query_add_equal (query, updated);
  cairn_query_set_cursor (query, cursor);
  list = plan_ok (table ("conversations"), query);

  assert_statement (list->select,
                    SELECT_CONVERSATIONS " WHERE \"updatedAt\" = ? AND (seq) > (?) "
                    "ORDER BY \"updatedAt\", seq LIMIT ?",
                    "[9.0,11,51]");
}

static void
test_list_quoted (void)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("my \"table\"", "by \"both\"");
  g_autofree char *cursor = NULL;
  g_autoptr(JsonObject) last = parse_object ("{\"say \\\"hi\\\"\": \"b\", \"x\\\"; DROP TABLE notes; --\": 2.0}");
  g_autoptr(CairnSqlList) list = NULL;

  cursor = cairn_page_cursor_encode (&odd_table, &odd_indexes[0], last, 4);
  cairn_query_add_equal_string (query, "b");
  cairn_query_set_cursor (query, cursor);
  list = plan_ok (&odd_table, query);

  assert_statement (list->select,
                    "SELECT seq, \"clientId\", \"say \"\"hi\"\"\", \"x\"\"; DROP TABLE notes; --\" "
                    "FROM \"my \"\"table\"\"\" WHERE \"say \"\"hi\"\"\" = ? "
                    "AND (\"x\"\"; DROP TABLE notes; --\", seq) > (?, ?) "
                    "ORDER BY \"say \"\"hi\"\"\", \"x\"\"; DROP TABLE notes; --\", seq LIMIT ?",
                    "[\"b\",2.0,4,51]");
}

static void
test_list_page_size (void)
{
  static const struct {
    guint asked;
    guint planned;
  } sizes[] = {
    { 0, CAIRN_QUERY_DEFAULT_PAGE_SIZE },
    { 1, 1 },
    { CAIRN_QUERY_MAX_PAGE_SIZE, CAIRN_QUERY_MAX_PAGE_SIZE },
    { CAIRN_QUERY_MAX_PAGE_SIZE + 1, CAIRN_QUERY_MAX_PAGE_SIZE },
    { G_MAXUINT, CAIRN_QUERY_MAX_PAGE_SIZE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(CairnQuery) query = cairn_query_new ("notes", "by_updatedAt");
      g_autoptr(CairnSqlList) list = NULL;
      JsonNode *limit;

      /* as the struct may hold it: the setter clamps too, the plan must not rely on it */
      query->page_size = sizes[i].asked;
      list = plan_ok (table ("notes"), query);
      g_assert_cmpuint (list->page_size, ==, sizes[i].planned);
      /* one row more than a page tells whether another follows */
      limit = g_ptr_array_index (list->select->binds, list->select->binds->len - 1);
      g_assert_cmpint (json_node_get_int (limit), ==, sizes[i].planned + 1);
    }
}

static void
test_list_refused (void)
{
  g_autofree char *notes_cursor = cursor_after ("notes", "by_updatedAt", "{\"updatedAt\": 1.0}", 1);

  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_title");
    plan_fails (query, "The table “conversations” has no index “by_title”.");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");

    g_clear_pointer (&query->index, g_free);
    plan_fails (query, "The table “conversations” has no index “”.");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
    g_autoptr(JsonNode) one = json_node_init_int (json_node_alloc (), 1);

    cairn_query_add_equal (query, one);
    cairn_query_add_equal (query, one);
    plan_fails (query, "The index “by_updatedAt” of “conversations” has 1 fields, but 2 values");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
    g_autoptr(JsonNode) one = json_node_init_int (json_node_alloc (), 1);

    cairn_query_add_equal (query, one);
    set_bounds (query, "0", TRUE, NULL, FALSE);
    plan_fails (query, "The index “by_updatedAt” of “conversations” has no field left for a range");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");

    cairn_query_add_equal_string (query, "false");
    plan_fails (query, "In the listing of “conversations” by “by_archived_updatedAt”: ");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");

    set_bounds (query, "\"yesterday\"", TRUE, NULL, FALSE);
    plan_fails (query, "In the listing of “conversations” by “by_updatedAt”: ");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");

    set_bounds (query, "1", TRUE, "null", TRUE);
    plan_fails (query, "In the listing of “conversations” by “by_updatedAt”: ");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_clientId");

    cairn_query_add_equal_string (query, "not-a-uuid");
    plan_fails (query, "In the listing of “conversations” by “by_clientId”: ");
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");

    cairn_query_set_cursor (query, notes_cursor);
    plan_fails (query, BAD_CURSOR " “by_updatedAt” of “conversations”.");
  }
}

/* ------------------------------------------------------------------------
 * Page cursors
 * ------------------------------------------------------------------------ */

static CairnPageCursor *
decode_ok (const char *table_name,
           const char *index_name,
           const char *cursor)
{
  const CairnTableSpec *spec = table (table_name);
  g_autoptr(GError) error = NULL;
  CairnPageCursor *decoded = cairn_page_cursor_decode (spec, cairn_table_spec_lookup_index (spec, index_name),
                                                       cursor, &error);

  g_assert_no_error (error);
  g_assert_nonnull (decoded);

  return decoded;
}

static void
decode_fails (const char *table_name,
              const char *index_name,
              const char *cursor)
{
  const CairnTableSpec *spec = table (table_name);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPageCursor) decoded = NULL;

  g_test_message ("cursor “%s”", cursor);
  decoded = cairn_page_cursor_decode (spec, cairn_table_spec_lookup_index (spec, index_name), cursor, &error);
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_null (decoded);
  g_assert_true (g_str_has_prefix (error->message, BAD_CURSOR));
}

static char *
base64 (const char *text,
        gsize       length)
{
  return g_base64_encode ((const guchar *) text, length);
}

static void
test_cursor_round_trip (void)
{
  g_autofree char *message_cursor = cursor_after ("messages", "by_conversation",
                                                  "{\"conversationId\": \"" CONVERSATION_ID "\", "
                                                  "\"createdAt\": 1700000000000.5, \"role\": \"user\"}",
                                                  G_MAXINT64);
  g_autofree char *conversation_cursor = cursor_after ("conversations", "by_archived_updatedAt",
                                                       "{\"archived\": true, \"updatedAt\": -3}", 1);
  g_autoptr(CairnPageCursor) message = decode_ok ("messages", "by_conversation", message_cursor);
  g_autoptr(CairnPageCursor) conversation = decode_ok ("conversations", "by_archived_updatedAt",
                                                       conversation_cursor);
  g_autofree char *message_values = binds_to_string (message->values);
  g_autofree char *conversation_values = binds_to_string (conversation->values);

  g_assert_cmpstr (message_values, ==, "[\"" CONVERSATION_ID "\",1700000000000.5]");
  g_assert_cmpint (message->seq, ==, G_MAXINT64);
  g_assert_cmpstr (conversation_values, ==, "[true,-3]");
  g_assert_cmpint (conversation->seq, ==, 1);
}

/* Cursors outlive the process (a move of content keeps its cursor in the
 * database): the text of one stays what it is. */
static void
test_cursor_format (void)
{
  g_autofree char *cursor = cursor_after ("conversations", "by_updatedAt",
                                          "{\"title\": \"not in the index\", \"updatedAt\": 5.0}", 7);
  g_autofree guchar *raw = NULL;
  g_autofree char *text = NULL;
  static const char stored_text[] = "[\"conversations\",\"by_updatedAt\",0,1000000]";
  g_autofree char *stored = base64 (stored_text, strlen (stored_text));
  g_autoptr(CairnPageCursor) decoded = NULL;
  g_autofree char *values = NULL;
  gsize length;

  raw = g_base64_decode (cursor, &length);
  text = g_strndup ((const char *) raw, length);
  g_assert_cmpstr (text, ==, "[\"conversations\",\"by_updatedAt\",5.0,7]");

  decoded = decode_ok ("conversations", "by_updatedAt", stored);
  values = binds_to_string (decoded->values);
  g_assert_cmpstr (values, ==, "[0]");
  g_assert_cmpint (decoded->seq, ==, 1000000);
}

static void
test_cursor_malformed (void)
{
  static const char *texts[] = {
    "",
    "A",
    "not a cursor",
    "!!!!",
    "AAAA",
    "e30=",       /* {} */
    "WzEsMl0=",   /* [1,2] */
    "bnVsbA==",   /* null */
  };
  static const char *shapes[] = {
    "[\"conversations\", \"by_updatedAt\", 1]",
    "[\"conversations\", \"by_updatedAt\", 1, 0]",
    "[\"conversations\", \"by_updatedAt\", 1, -4]",
    "[\"conversations\", \"by_updatedAt\", 1, 2.5]",
    "[\"conversations\", \"by_updatedAt\", 1, \"2\"]",
    "[\"conversations\", \"by_updatedAt\", \"1\", 2]",
    "[\"conversations\", \"by_updatedAt\", null, 2]",
    "[\"conversations\", \"by_updatedAt\", [1], 2]",
    "[\"conversations\", \"by_updatedAt\", 1, 2, 3]",
    "[\"conversations\", \"by_updatedAt\"]",
    "[\"by_updatedAt\", 1, 2]",
    "[\"conversations\", 1, 1, 2]",
    "[\"conversations\", [\"by_updatedAt\"], 1, 2]",
    "[null, \"by_updatedAt\", 1, 2]",
    "{\"by_updatedAt\": 1}",
    "\"by_updatedAt\"",
    "[\"conversations\", \"by_updatedAt\", 1, 2] // more",
    "[\"conversations\", \"by_updatedAt\", 1, 2]]",
    "[]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    decode_fails ("conversations", "by_updatedAt", texts[i]);

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *cursor = base64 (shapes[i], strlen (shapes[i]));
      decode_fails ("conversations", "by_updatedAt", cursor);
    }
}

/* What SQLite would read as another kind of value is refused as input. */
static void
test_cursor_bad_values (void)
{
  static const char *shapes[] = {
    "[\"conversations\", \"by_clientId\", \"not-a-uuid\", 2]",
    "[\"conversations\", \"by_archived_updatedAt\", 1, 2.0, 3]",
    "[\"conversations\", \"by_archived_updatedAt\", false, true, 3]",
    "[\"messages\", \"by_conversation\", \"" CONVERSATION_ID "\", \"1\", 3]",
    "[\"messages\", \"by_conversation\", \"\\udc00\", 1, 3]",
  };
  static const char *indexes[][2] = {
    { "conversations", "by_clientId" },
    { "conversations", "by_archived_updatedAt" },
    { "conversations", "by_archived_updatedAt" },
    { "messages", "by_conversation" },
    { "messages", "by_conversation" },
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (shapes) == G_N_ELEMENTS (indexes));

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *cursor = base64 (shapes[i], strlen (shapes[i]));
      decode_fails (indexes[i][0], indexes[i][1], cursor);
    }
}

/* A cursor of another table or index does not name a row of this one. */
static void
test_cursor_foreign (void)
{
  g_autofree char *cursor = cursor_after ("conversations", "by_updatedAt", "{\"updatedAt\": 5.0}", 7);
  g_autofree char *by_two = cursor_after ("conversations", "by_archived_updatedAt",
                                          "{\"archived\": false, \"updatedAt\": 5.0}", 7);
  /* as a deployment hands them out */
  static const char convex_cursor[] = "eyJpZCI6IjEyMyJ9";

  decode_fails ("notes", "by_updatedAt", cursor);
  decode_fails ("conversations", "by_clientId", cursor);
  decode_fails ("conversations", "by_archived_updatedAt", cursor);
  decode_fails ("conversations", "by_updatedAt", by_two);
  decode_fails ("conversations", "by_updatedAt", convex_cursor);
}

/* Every cut of a real cursor is refused: none is read as another row. */
static void
test_cursor_truncated (void)
{
  g_autofree char *cursor = cursor_after ("messages", "by_conversation",
                                          "{\"conversationId\": \"" CONVERSATION_ID "\", \"createdAt\": 1.0}", 12);
  gsize length = strlen (cursor);

  for (gsize cut = 0; cut < length; cut++)
    {
      g_autofree char *truncated = g_strndup (cursor, cut);
      decode_fails ("messages", "by_conversation", truncated);
    }
}

/* Nested deep enough to exhaust a parser's stack, and not text at all. */
static void
test_cursor_hostile (void)
{
  gsize depth = 200000;
  g_autofree char *deep = g_strnfill (depth, '[');
  g_autofree char *deep_cursor = base64 (deep, depth);
  static const char not_utf8[] = "[\"messages\", \"by_conversation\", \"\xff\xfe\", 1, 3]";
  g_autofree char *not_utf8_cursor = base64 (not_utf8, strlen (not_utf8));
  static const char with_nul[] = "[\"conversations\", \"by_updatedAt\", 1, 2]\0]";
  g_autofree char *with_nul_cursor = base64 (with_nul, sizeof with_nul - 1);

  decode_fails ("conversations", "by_updatedAt", deep_cursor);
  decode_fails ("messages", "by_conversation", not_utf8_cursor);
  decode_fails ("conversations", "by_updatedAt", with_nul_cursor);
}

/* ------------------------------------------------------------------------
 * Tables and indexes
 * ------------------------------------------------------------------------ */

static void
test_create_table (void)
{
  g_autofree char *conversations = cairn_local_schema_create_table_sql (table ("conversations"));
  g_autofree char *odd = cairn_local_schema_create_table_sql (&odd_table);

  g_assert_cmpstr (conversations, ==,
                   "CREATE TABLE IF NOT EXISTS \"conversations\" (seq INTEGER PRIMARY KEY, "
                   "\"clientId\" TEXT NOT NULL UNIQUE, "
                   "\"title\" TEXT NOT NULL, "
                   "\"pinned\" INTEGER NOT NULL CHECK (\"pinned\" IN (0, 1)), "
                   "\"archived\" INTEGER NOT NULL CHECK (\"archived\" IN (0, 1)), "
                   "\"createdAt\" REAL NOT NULL, "
                   "\"updatedAt\" REAL NOT NULL, "
                   "\"messageCount\" REAL) STRICT");
  g_assert_cmpstr (odd, ==,
                   "CREATE TABLE IF NOT EXISTS \"my \"\"table\"\"\" (seq INTEGER PRIMARY KEY, "
                   "\"clientId\" TEXT NOT NULL UNIQUE, "
                   "\"say \"\"hi\"\"\" TEXT NOT NULL, "
                   "\"x\"\"; DROP TABLE notes; --\" REAL NOT NULL) STRICT");
}

static void
test_create_index (void)
{
  const CairnTableSpec *conversations = table ("conversations");
  g_autofree char *two = cairn_local_schema_create_index_sql (
    conversations, cairn_table_spec_lookup_index (conversations, "by_archived_updatedAt"));
  g_autofree char *odd = cairn_local_schema_create_index_sql (&odd_table, &odd_indexes[0]);

  g_assert_cmpstr (two, ==,
                   "CREATE INDEX IF NOT EXISTS \"conversations_by_archived_updatedAt\" "
                   "ON \"conversations\" (\"archived\", \"updatedAt\", seq)");
  g_assert_cmpstr (odd, ==,
                   "CREATE INDEX IF NOT EXISTS \"my \"\"table\"\"_by \"\"both\"\"\" "
                   "ON \"my \"\"table\"\"\" (\"say \"\"hi\"\"\", \"x\"\"; DROP TABLE notes; --\", seq)");
}

/* conversations keep messageCount: four triggers; a table without a count none. */
static void
test_count_triggers (void)
{
  g_auto(GStrv) conversations = cairn_local_schema_create_count_triggers_sql (table ("conversations"));
  g_auto(GStrv) messages = cairn_local_schema_create_count_triggers_sql (table ("messages"));
  g_auto(GStrv) odd = cairn_local_schema_create_count_triggers_sql (&odd_table);

  g_assert_cmpuint (g_strv_length (conversations), ==, 4);
  g_assert_cmpstr (conversations[0], ==,
                   "CREATE TRIGGER IF NOT EXISTS \"conversations_messageCount_insert\" AFTER INSERT ON \"messages\" "
                   "BEGIN UPDATE \"conversations\" SET \"messageCount\" = \"messageCount\" + 1 "
                   "WHERE \"clientId\" = NEW.\"conversationId\"; END");
  g_assert_cmpstr (conversations[1], ==,
                   "CREATE TRIGGER IF NOT EXISTS \"conversations_messageCount_remove\" AFTER DELETE ON \"messages\" "
                   "BEGIN UPDATE \"conversations\" SET \"messageCount\" = \"messageCount\" - 1 "
                   "WHERE \"clientId\" = OLD.\"conversationId\"; END");
  g_assert_cmpstr (conversations[2], ==,
                   "CREATE TRIGGER IF NOT EXISTS \"conversations_messageCount_move\" "
                   "AFTER UPDATE OF \"conversationId\" ON \"messages\" "
                   "WHEN OLD.\"conversationId\" IS NOT NEW.\"conversationId\" "
                   "BEGIN UPDATE \"conversations\" SET \"messageCount\" = \"messageCount\" - 1 "
                   "WHERE \"clientId\" = OLD.\"conversationId\"; "
                   "UPDATE \"conversations\" SET \"messageCount\" = \"messageCount\" + 1 "
                   "WHERE \"clientId\" = NEW.\"conversationId\"; END");
  g_assert_cmpstr (conversations[3], ==,
                   "CREATE TRIGGER IF NOT EXISTS \"conversations_messageCount_count\" AFTER INSERT ON \"conversations\" "
                   "BEGIN UPDATE \"conversations\" SET \"messageCount\" = (SELECT count(*) FROM \"messages\" "
                   "WHERE \"conversationId\" = NEW.\"clientId\") WHERE seq = NEW.seq; END");
  g_assert_cmpuint (g_strv_length (messages), ==, 0);
  g_assert_cmpuint (g_strv_length (odd), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sql/identifier", test_identifier);
  g_test_add_func ("/sql/get", test_get);
  g_test_add_func ("/sql/insert", test_insert);
  g_test_add_func ("/sql/insert-kept-count", test_insert_kept_count);
  g_test_add_func ("/sql/patch", test_patch);
  g_test_add_func ("/sql/patch-kept-count", test_patch_kept_count);
  g_test_add_func ("/sql/remove", test_remove);
  g_test_add_func ("/sql/remove-cascade", test_remove_cascade);
  g_test_add_func ("/sql/quoted-names", test_quoted_names);
  g_test_add_func ("/sql/list/all", test_list_all);
  g_test_add_func ("/sql/list/equal", test_list_equal);
  g_test_add_func ("/sql/list/equal-every-field", test_list_equal_every_field);
  g_test_add_func ("/sql/list/lower-inclusive-upper-exclusive", test_list_lower_inclusive_upper_exclusive);
  g_test_add_func ("/sql/list/lower-exclusive-upper-inclusive", test_list_lower_exclusive_upper_inclusive);
  g_test_add_func ("/sql/list/one-bound", test_list_one_bound);
  g_test_add_func ("/sql/list/descending", test_list_descending);
  g_test_add_func ("/sql/list/cursor", test_list_cursor);
  g_test_add_func ("/sql/list/cursor-descending", test_list_cursor_descending);
  g_test_add_func ("/sql/list/cursor-every-field-equal", test_list_cursor_every_field_equal);
  g_test_add_func ("/sql/list/quoted-names", test_list_quoted);
  g_test_add_func ("/sql/list/page-size", test_list_page_size);
  g_test_add_func ("/sql/list/refused", test_list_refused);
  g_test_add_func ("/page-cursor/round-trip", test_cursor_round_trip);
  g_test_add_func ("/page-cursor/format", test_cursor_format);
  g_test_add_func ("/page-cursor/malformed", test_cursor_malformed);
  g_test_add_func ("/page-cursor/bad-values", test_cursor_bad_values);
  g_test_add_func ("/page-cursor/foreign", test_cursor_foreign);
  g_test_add_func ("/page-cursor/truncated", test_cursor_truncated);
  g_test_add_func ("/page-cursor/hostile", test_cursor_hostile);
  g_test_add_func ("/local-schema/create-table", test_create_table);
  g_test_add_func ("/local-schema/create-index", test_create_index);
  g_test_add_func ("/local-schema/count-triggers", test_count_triggers);

  return g_test_run ();
}
