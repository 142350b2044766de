/* store-conformance.c — the CairnStore contract, store-agnostic
 *
 * Only the CairnStore interface is used here: the same tests run against
 * the embedded store and against the Convex store. Every check compares
 * exact values and counts, so each of them can fail.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cairn-error.h"
#include "cairn-router.h"
#include "cairn-schema.h"
#include "store-conformance.h"
#include "test-util.h"

#define N_PAGINATION_ROWS 10000
/* Enough calls at once to keep a store busy. Far more only queue up in the
 * HTTP client, which looks over its whole queue at every answer, and each
 * call's timeout runs while it waits there. */
#define BATCH_IN_FLIGHT   32

typedef struct {
  StoreFactory factory;
  char        *prefix;
} Suite;

typedef struct {
  const Suite *suite;
  CairnStore  *store;
  gpointer     state;
} Fixture;

/* Suites live as long as the test program; kept here to stay reachable. */
static GPtrArray *suites;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->suite = data;
  f->store = f->suite->factory.create (f->suite->factory.user_data, &f->state);
  g_assert_true (CAIRN_IS_STORE (f->store));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  f->suite->factory.teardown (g_steal_pointer (&f->store), f->state, f->suite->factory.user_data);
}

/* ------------------------------------------------------------------------
 * Synchronous wrappers, so each test reads as a story
 * ------------------------------------------------------------------------ */

static JsonObject *
insert_ok (CairnStore *store,
           const char *table,
           JsonObject *document)
{
  g_autoptr(GError) error = NULL;
  JsonObject *stored = test_util_store_insert (store, table, document, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stored);

  return stored;
}

/* Every page of a listing, checking the paging contract on the way:
 * at most page_size documents a page, a cursor exactly when not done,
 * and progress on every page but a possibly empty last one. */
static GPtrArray *
list_all (CairnStore *store,
          CairnQuery *query)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  guint n_pages = 0;

  cairn_query_set_cursor (query, NULL);

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CairnPage) page = test_util_store_list (store, query, &error);

      g_assert_no_error (error);
      g_assert_nonnull (page);
      g_assert_cmpuint (page->documents->len, <=, query->page_size);
      for (guint i = 0; i < page->documents->len; i++)
        g_ptr_array_add (all, json_object_ref (g_ptr_array_index (page->documents, i)));

      n_pages++;
      g_assert_cmpuint (n_pages, <=, all->len + 2);

      if (page->done)
        {
          g_assert_null (page->cursor);
          break;
        }

      g_assert_nonnull (page->cursor);
      cairn_query_set_cursor (query, page->cursor);
    }

  return all;
}

static guint
count_rows (CairnStore *store,
            const char *table)
{
  g_autoptr(CairnQuery) query = cairn_query_new (table, "by_clientId");
  g_autoptr(GPtrArray) all = NULL;

  cairn_query_set_page_size (query, CAIRN_QUERY_MAX_PAGE_SIZE);
  all = list_all (store, query);

  return all->len;
}

static void
assert_error_code (GError *error,
                   int     code)
{
  g_assert_error (error, CAIRN_STORE_ERROR, code);
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 0);
}

/* ------------------------------------------------------------------------
 * Documents
 * ------------------------------------------------------------------------ */

static JsonObject *
conversation_new (const char *title,
                  double      updated_at,
                  gboolean    archived)
{
  JsonObject *conversation = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  json_object_set_string_member (conversation, "clientId", client_id);
  json_object_set_string_member (conversation, "title", title);
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", archived);
  json_object_set_double_member (conversation, "createdAt", 1000.0);
  json_object_set_double_member (conversation, "updatedAt", updated_at);
  /* as the stores keep it for a conversation without messages; whatever a
   * client sends for it is not written (test_message_count) */
  json_object_set_double_member (conversation, "messageCount", 0);

  return conversation;
}

static JsonObject *
message_new (const char *conversation_id,
             double      created_at,
             const char *content)
{
  JsonObject *message = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();

  json_object_set_string_member (message, "clientId", client_id);
  json_object_set_string_member (message, "conversationId", conversation_id);
  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", content);
  json_object_set_double_member (message, "createdAt", created_at);

  return message;
}

static const char *
client_id_of (JsonObject *document)
{
  return json_object_get_string_member (document, "clientId");
}

static gboolean
is_number (JsonNode *node)
{
  GType type = json_node_get_value_type (node);

  return type == G_TYPE_DOUBLE || type == G_TYPE_INT64;
}

static gboolean
values_equal (JsonNode *want,
              JsonNode *got)
{
  if (got == NULL || !JSON_NODE_HOLDS_VALUE (got))
    return FALSE;

  if (is_number (want))
    return is_number (got) && json_node_get_double (got) == json_node_get_double (want);

  if (json_node_get_value_type (want) == G_TYPE_BOOLEAN)
    return json_node_get_value_type (got) == G_TYPE_BOOLEAN &&
           json_node_get_boolean (got) == json_node_get_boolean (want);

  return json_node_get_value_type (got) == G_TYPE_STRING &&
         g_strcmp0 (json_node_get_string (got), json_node_get_string (want)) == 0;
}

/* Same members, same types, same values; a number may come back as an
 * integer or a double, but with the same value. */
static void
assert_document_equal (JsonObject *expected,
                       JsonObject *actual)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *want;

  g_assert_nonnull (actual);
  g_assert_cmpuint (json_object_get_size (actual), ==, json_object_get_size (expected));

  json_object_iter_init (&iter, expected);
  while (json_object_iter_next (&iter, &name, &want))
    {
      JsonNode *got = json_object_get_member (actual, name);

      if (!values_equal (want, got))
        {
          g_autofree char *want_text = json_to_string (want, FALSE);
          g_autofree char *got_text = got != NULL ? json_to_string (got, FALSE) : g_strdup ("nothing");

          g_error ("member “%s”: expected %s, got %s", name, want_text, got_text);
        }
    }
}

/* The @member of each document, which must be exactly @expected. */
static void
assert_numbers (GPtrArray    *documents,
                const char   *member,
                const double *expected,
                guint         n_expected)
{
  g_assert_cmpuint (documents->len, ==, n_expected);

  for (guint i = 0; i < n_expected; i++)
    g_assert_cmpfloat (json_object_get_double_member (g_ptr_array_index (documents, i), member),
                       ==, expected[i]);
}

static void
assert_ids (GPtrArray  *documents,
            JsonObject **expected,
            guint        n_expected)
{
  g_assert_cmpuint (documents->len, ==, n_expected);

  for (guint i = 0; i < n_expected; i++)
    g_assert_cmpstr (client_id_of (g_ptr_array_index (documents, i)), ==, client_id_of (expected[i]));
}

static JsonNode *
number_node (double value)
{
  JsonNode *node = json_node_alloc ();

  return json_node_init_double (node, value);
}

static CairnQuery *
query_new (const char *table,
           const char *index,
           gboolean    descending,
           guint       page_size)
{
  CairnQuery *query = cairn_query_new (table, index);

  cairn_query_set_descending (query, descending);
  cairn_query_set_page_size (query, page_size);

  return query;
}

static void
set_range (CairnQuery *query,
           double      lower,
           gboolean    lower_inclusive,
           double      upper,
           gboolean    upper_inclusive)
{
  if (!isnan (lower))
    {
      g_autoptr(JsonNode) node = number_node (lower);
      cairn_query_set_lower (query, node, lower_inclusive);
    }

  if (!isnan (upper))
    {
      g_autoptr(JsonNode) node = number_node (upper);
      cairn_query_set_upper (query, node, upper_inclusive);
    }
}

/* Lists with a numeric range on the field after the matched ones, page size 2
 * so every range also crosses pages. NAN: no bound. */
static GPtrArray *
list_range (CairnStore *store,
            const char *table,
            const char *index,
            const char *equal,
            gboolean    descending,
            double      lower,
            gboolean    lower_inclusive,
            double      upper,
            gboolean    upper_inclusive)
{
  g_autoptr(CairnQuery) query = query_new (table, index, descending, 2);

  if (equal != NULL)
    cairn_query_add_equal_string (query, equal);
  set_range (query, lower, lower_inclusive, upper, upper_inclusive);

  return list_all (store, query);
}

/* ------------------------------------------------------------------------
 * Batches of calls in flight at once
 * ------------------------------------------------------------------------ */

typedef struct {
  guint pending;
  guint succeeded;
} Batch;

static void
batch_insert_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Batch *batch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = cairn_store_insert_finish (CAIRN_STORE (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (stored);
  batch->succeeded++;
  batch->pending--;
}

/* Inserts @documents with up to BATCH_IN_FLIGHT calls in flight at once:
 * the next goes as soon as one is answered. */
static void
insert_many (CairnStore *store,
             const char *table,
             GPtrArray  *documents)
{
  GMainContext *context = g_main_context_get_thread_default ();
  Batch batch = { 0 };

  for (guint i = 0; i < documents->len; i++)
    {
      while (batch.pending == BATCH_IN_FLIGHT)
        g_main_context_iteration (context, TRUE);
      batch.pending++;
      cairn_store_insert_async (store, table, g_ptr_array_index (documents, i), NULL,
                                batch_insert_cb, &batch);
    }

  test_util_wait_for_zero (&batch.pending);
  g_assert_cmpuint (batch.succeeded, ==, documents->len);
}

/* ------------------------------------------------------------------------
 * Tests: round trips
 * ------------------------------------------------------------------------ */

static void
test_ping (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = test_util_store_ping (f->store, &error);
  guint n_tables;
  const CairnTableSpec **tables = cairn_schema_list_tables (&n_tables);
  JsonArray *names;

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_cmpstr (json_object_get_string_member (reply, "app"), ==, "cairn");
  g_assert_cmpfloat (json_object_get_double_member (reply, "schemaVersion"), ==, CAIRN_SCHEMA_VERSION);

  names = json_object_get_array_member (reply, "tables");
  g_assert_nonnull (names);
  /* every store holds the content tables; app data stays in the main store */
  for (guint i = 0; i < n_tables; i++)
    {
      gboolean found = FALSE;

      if (!cairn_router_is_user_table (tables[i]->name))
        continue;

      for (guint j = 0; j < json_array_get_length (names); j++)
        found |= g_strcmp0 (json_array_get_string_element (names, j), tables[i]->name) == 0;

      g_test_message ("table %s", tables[i]->name);
      g_assert_true (found);
    }
}

static void
test_insert_get (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Ünïcode \"quoted\" — 'title' ✓", 1234.5, TRUE);
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) got_message = NULL;
  g_autoptr(GError) error = NULL;

  stored = insert_ok (f->store, "conversations", conversation);
  assert_document_equal (conversation, stored);

  got = test_util_store_get (f->store, "conversations", client_id_of (conversation), &error);
  g_assert_no_error (error);
  assert_document_equal (conversation, got);
  g_assert_true (json_object_get_boolean_member (got, "archived"));
  g_assert_false (json_object_get_boolean_member (got, "pinned"));

  /* an integer given for a number, an empty string (not the content: a
   * message must show something), a very large timestamp */
  message = message_new (client_id_of (conversation), 0, "…");
  json_object_set_string_member (message, "role", "");
  json_object_set_int_member (message, "createdAt", G_GINT64_CONSTANT (1700000000123));
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "messages", message);
  assert_document_equal (message, stored);

  got_message = test_util_store_get (f->store, "messages", client_id_of (message), &error);
  g_assert_no_error (error);
  assert_document_equal (message, got_message);
  g_assert_cmpfloat (json_object_get_double_member (got_message, "createdAt"), ==, 1700000000123.0);

  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 1);
  g_assert_cmpuint (count_rows (f->store, "messages"), ==, 1);
  g_assert_cmpuint (count_rows (f->store, "notes"), ==, 0);
}

static void
test_insert_idempotent (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) first = conversation_new ("First", 10, FALSE);
  g_autoptr(JsonObject) second = conversation_new ("Second", 20, TRUE);
  g_autoptr(JsonObject) stored_first = NULL;
  g_autoptr(JsonObject) stored_again = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  stored_first = insert_ok (f->store, "conversations", first);

  /* the same clientId with other content: the stored document wins */
  json_object_set_string_member (second, "clientId", client_id_of (first));
  stored_again = insert_ok (f->store, "conversations", second);
  assert_document_equal (first, stored_again);
  g_assert_cmpstr (json_object_get_string_member (stored_again, "title"), ==, "First");

  got = test_util_store_get (f->store, "conversations", client_id_of (first), &error);
  g_assert_no_error (error);
  assert_document_equal (first, got);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 1);
}

static void
test_patch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Before", 10, FALSE);
  g_autoptr(JsonObject) other = conversation_new ("Other", 11, FALSE);
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) patched = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) got_other = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "conversations", conversation);
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "conversations", other);

  json_object_set_string_member (fields, "title", "After");
  json_object_set_boolean_member (fields, "pinned", TRUE);
  json_object_set_double_member (fields, "updatedAt", 99.25);
  patched = test_util_store_patch (f->store, "conversations", client_id_of (conversation), fields, &error);
  g_assert_no_error (error);

  /* the expected document: the old one with the changed fields */
  json_object_set_string_member (conversation, "title", "After");
  json_object_set_boolean_member (conversation, "pinned", TRUE);
  json_object_set_double_member (conversation, "updatedAt", 99.25);
  assert_document_equal (conversation, patched);

  got = test_util_store_get (f->store, "conversations", client_id_of (conversation), &error);
  g_assert_no_error (error);
  assert_document_equal (conversation, got);

  /* the other row is untouched */
  got_other = test_util_store_get (f->store, "conversations", client_id_of (other), &error);
  g_assert_no_error (error);
  assert_document_equal (other, got_other);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 2);
}

static void
test_patch_missing (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *client_id = g_uuid_string_random ();
  g_autoptr(JsonObject) patched = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (fields, "title", "Nobody");
  patched = test_util_store_patch (f->store, "conversations", client_id, fields, &error);
  assert_error_code (error, CAIRN_STORE_ERROR_NOT_FOUND);
  g_assert_null (patched);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 0);
}

static void
test_get_missing (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *client_id = g_uuid_string_random ();
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  got = test_util_store_get (f->store, "notes", client_id, &error);
  assert_error_code (error, CAIRN_STORE_ERROR_NOT_FOUND);
  g_assert_null (got);
}

static void
test_remove (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) kept = conversation_new ("Kept", 1, FALSE);
  g_autoptr(JsonObject) removed = conversation_new ("Removed", 2, FALSE);
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) got_kept = NULL;
  g_autoptr(GError) error = NULL;

  stored = insert_ok (f->store, "conversations", kept);
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "conversations", removed);

  g_assert_true (test_util_store_remove (f->store, "conversations", client_id_of (removed), &error));
  g_assert_no_error (error);

  got = test_util_store_get (f->store, "conversations", client_id_of (removed), &error);
  assert_error_code (error, CAIRN_STORE_ERROR_NOT_FOUND);
  g_assert_null (got);
  g_clear_error (&error);

  got_kept = test_util_store_get (f->store, "conversations", client_id_of (kept), &error);
  g_assert_no_error (error);
  assert_document_equal (kept, got_kept);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 1);

  /* removing again, or what never was, succeeds */
  g_assert_true (test_util_store_remove (f->store, "conversations", client_id_of (removed), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 1);
}

static void
test_remove_missing (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *client_id = g_uuid_string_random ();
  g_autoptr(GError) error = NULL;

  g_assert_true (test_util_store_remove (f->store, "messages", client_id, &error));
  g_assert_no_error (error);
  g_assert_true (test_util_store_remove (f->store, "conversations", client_id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_rows (f->store, "messages"), ==, 0);
}

static void
test_remove_cascade (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) doomed = conversation_new ("Doomed", 1, FALSE);
  g_autoptr(JsonObject) survivor = conversation_new ("Survivor", 2, FALSE);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(CairnQuery) of_doomed = query_new ("messages", "by_conversation", FALSE, 10);
  g_autoptr(CairnQuery) of_survivor = query_new ("messages", "by_conversation", FALSE, 10);
  g_autoptr(GPtrArray) left = NULL;
  g_autoptr(GPtrArray) still_there = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = NULL;

  stored = insert_ok (f->store, "conversations", doomed);
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "conversations", survivor);

  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (messages, message_new (client_id_of (doomed), i, "bye"));
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (messages, message_new (client_id_of (survivor), i, "hi"));
  insert_many (f->store, "messages", messages);
  g_assert_cmpuint (count_rows (f->store, "messages"), ==, 5);

  g_assert_true (test_util_store_remove (f->store, "conversations", client_id_of (doomed), &error));
  g_assert_no_error (error);

  cairn_query_add_equal_string (of_doomed, client_id_of (doomed));
  left = list_all (f->store, of_doomed);
  g_assert_cmpuint (left->len, ==, 0);

  cairn_query_add_equal_string (of_survivor, client_id_of (survivor));
  still_there = list_all (f->store, of_survivor);
  g_assert_cmpuint (still_there->len, ==, 2);
  g_assert_cmpuint (count_rows (f->store, "messages"), ==, 2);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 1);
}

static double
message_count_of (CairnStore *store,
                  const char *conversation_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) got = test_util_store_get (store, "conversations", conversation_id, &error);

  g_assert_no_error (error);
  g_assert_true (json_object_has_member (got, "messageCount"));

  return json_object_get_double_member (got, "messageCount");
}

static void
remove_ok (CairnStore *store,
           const char *table,
           const char *client_id)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (test_util_store_remove (store, table, client_id, &error));
  g_assert_no_error (error);
}

static JsonObject *
patch_ok (CairnStore *store,
          const char *table,
          const char *client_id,
          JsonObject *fields)
{
  g_autoptr(GError) error = NULL;
  JsonObject *patched = test_util_store_patch (store, table, client_id, fields, &error);

  g_assert_no_error (error);
  g_assert_nonnull (patched);

  return patched;
}

/* A conversation's messageCount is the store's own (schema version 2): an
 * insert counts the messages there are, whatever the client sent; a message
 * really inserted or removed changes it, a replay does not; one moved to
 * another conversation moves its one; a patch cannot set it. */
static void
test_message_count (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) counted = conversation_new ("Counted", 1, FALSE);
  g_autoptr(JsonObject) other = conversation_new ("Other", 2, FALSE);
  g_autoptr(JsonObject) late = conversation_new ("Written after its messages", 3, FALSE);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(JsonObject) title_and_count = json_object_new ();
  g_autoptr(JsonObject) only_count = json_object_new ();
  g_autoptr(JsonObject) move = json_object_new ();
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) patched = NULL;
  g_autoptr(JsonObject) unchanged = NULL;
  g_autoptr(JsonObject) replayed = NULL;

  json_object_set_double_member (counted, "messageCount", 42);
  stored = insert_ok (f->store, "conversations", counted);
  g_assert_cmpfloat (json_object_get_double_member (stored, "messageCount"), ==, 0);
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "conversations", other);

  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (messages, message_new (client_id_of (counted), i, "counted"));
  insert_many (f->store, "messages", messages);
  g_assert_cmpfloat (message_count_of (f->store, client_id_of (counted)), ==, 3);

  /* a replayed insert is no message more */
  replayed = insert_ok (f->store, "messages", g_ptr_array_index (messages, 0));
  g_assert_cmpfloat (message_count_of (f->store, client_id_of (counted)), ==, 3);

  /* a removed one is one less, removing it again nothing */
  remove_ok (f->store, "messages", client_id_of (g_ptr_array_index (messages, 1)));
  remove_ok (f->store, "messages", client_id_of (g_ptr_array_index (messages, 1)));
  g_assert_cmpfloat (message_count_of (f->store, client_id_of (counted)), ==, 2);

  /* a patch changes the title, not the count */
  json_object_set_string_member (title_and_count, "title", "Renamed");
  json_object_set_double_member (title_and_count, "messageCount", 99);
  patched = patch_ok (f->store, "conversations", client_id_of (counted), title_and_count);
  g_assert_cmpstr (json_object_get_string_member (patched, "title"), ==, "Renamed");
  g_assert_cmpfloat (json_object_get_double_member (patched, "messageCount"), ==, 2);
  json_object_set_double_member (only_count, "messageCount", 99);
  unchanged = patch_ok (f->store, "conversations", client_id_of (counted), only_count);
  g_assert_cmpfloat (json_object_get_double_member (unchanged, "messageCount"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (unchanged, "title"), ==, "Renamed");

  /* a message moved to another conversation */
  json_object_set_string_member (move, "conversationId", client_id_of (other));
  g_clear_pointer (&patched, json_object_unref);
  patched = patch_ok (f->store, "messages", client_id_of (g_ptr_array_index (messages, 2)), move);
  g_assert_cmpfloat (message_count_of (f->store, client_id_of (counted)), ==, 1);
  g_assert_cmpfloat (message_count_of (f->store, client_id_of (other)), ==, 1);

  /* messages written before their conversation (writes replayed out of
   * order): the conversation counts them when it comes */
  g_ptr_array_set_size (messages, 0);
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (messages, message_new (client_id_of (late), i, "early"));
  insert_many (f->store, "messages", messages);
  json_object_set_double_member (late, "messageCount", 7);
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "conversations", late);
  g_assert_cmpfloat (json_object_get_double_member (stored, "messageCount"), ==, 2);
  g_assert_cmpfloat (message_count_of (f->store, client_id_of (late)), ==, 2);

  g_assert_cmpuint (count_rows (f->store, "messages"), ==, 4);
}

/* ------------------------------------------------------------------------
 * Tests: order and ranges
 * ------------------------------------------------------------------------ */

static void
test_order_updated_at (Fixture       *f,
                       gconstpointer  data)
{
  static const double updated[] = { 30, 10, 50, 20, 40 };
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonObject *ties[3];

#define CHECK(desc, lo, lo_inc, up, up_inc, ...) \
  G_STMT_START { \
    static const double want[] = { __VA_ARGS__ }; \
    g_autoptr(GPtrArray) got = list_range (f->store, "conversations", "by_updatedAt", NULL, \
                                           desc, lo, lo_inc, up, up_inc); \
    assert_numbers (got, "updatedAt", want, G_N_ELEMENTS (want)); \
  } G_STMT_END

  for (guint i = 0; i < G_N_ELEMENTS (updated); i++)
    g_ptr_array_add (conversations, conversation_new ("c", updated[i], FALSE));
  insert_many (f->store, "conversations", conversations);

  CHECK (FALSE, NAN, TRUE, NAN, TRUE, 10, 20, 30, 40, 50);
  CHECK (TRUE, NAN, TRUE, NAN, TRUE, 50, 40, 30, 20, 10);
  CHECK (FALSE, 20, TRUE, NAN, TRUE, 20, 30, 40, 50);
  CHECK (FALSE, 20, FALSE, NAN, TRUE, 30, 40, 50);
  CHECK (FALSE, NAN, TRUE, 40, TRUE, 10, 20, 30, 40);
  CHECK (FALSE, NAN, TRUE, 40, FALSE, 10, 20, 30);
  CHECK (TRUE, 20, FALSE, 40, TRUE, 40, 30);
  CHECK (TRUE, 20, TRUE, 40, FALSE, 30, 20);
  CHECK (FALSE, 25, TRUE, 35, TRUE, 30);
  CHECK (FALSE, 100, TRUE, NAN, TRUE);
  CHECK (FALSE, 30, FALSE, 30, TRUE);
#undef CHECK

  /* equal values: insertion order, reversed when descending */
  for (guint i = 0; i < G_N_ELEMENTS (ties); i++)
    {
      g_autoptr(JsonObject) stored = NULL;

      ties[i] = conversation_new ("tie", 60, FALSE);
      stored = insert_ok (f->store, "conversations", ties[i]);
    }

  {
    g_autoptr(GPtrArray) ascending = list_range (f->store, "conversations", "by_updatedAt", NULL,
                                                 FALSE, 60, TRUE, NAN, TRUE);
    g_autoptr(GPtrArray) descending = list_range (f->store, "conversations", "by_updatedAt", NULL,
                                                  TRUE, 50, TRUE, NAN, TRUE);
    JsonObject *reversed[] = { ties[2], ties[1], ties[0] };

    assert_ids (ascending, ties, 3);
    g_assert_cmpuint (descending->len, ==, 4);
    g_ptr_array_remove_index (descending, 3);  /* the 50 */
    assert_ids (descending, reversed, 3);
  }

  for (guint i = 0; i < G_N_ELEMENTS (ties); i++)
    json_object_unref (ties[i]);
}

static void
test_order_conversation (Fixture       *f,
                         gconstpointer  data)
{
  static const double a_times[] = { 30, 10, 50, 20, 40 };
  static const double b_times[] = { 15, 25, 35 };
  g_autoptr(JsonObject) a = conversation_new ("A", 1, FALSE);
  g_autoptr(JsonObject) b = conversation_new ("B", 2, TRUE);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *nobody = g_uuid_string_random ();
  const char *a_id = client_id_of (a);
  const char *b_id = client_id_of (b);

#define CHECK(conversation, desc, lo, lo_inc, up, up_inc, ...) \
  G_STMT_START { \
    static const double want[] = { __VA_ARGS__ }; \
    g_autoptr(GPtrArray) got = list_range (f->store, "messages", "by_conversation", conversation, \
                                           desc, lo, lo_inc, up, up_inc); \
    assert_numbers (got, "createdAt", want, G_N_ELEMENTS (want)); \
    for (guint k = 0; k < got->len; k++) \
      g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (got, k), "conversationId"), \
                       ==, conversation); \
  } G_STMT_END

  for (guint i = 0; i < G_N_ELEMENTS (a_times); i++)
    g_ptr_array_add (messages, message_new (a_id, a_times[i], "to A"));
  for (guint i = 0; i < G_N_ELEMENTS (b_times); i++)
    g_ptr_array_add (messages, message_new (b_id, b_times[i], "to B"));
  insert_many (f->store, "messages", messages);

  CHECK (a_id, FALSE, NAN, TRUE, NAN, TRUE, 10, 20, 30, 40, 50);
  CHECK (a_id, TRUE, NAN, TRUE, NAN, TRUE, 50, 40, 30, 20, 10);
  CHECK (a_id, FALSE, 20, TRUE, NAN, TRUE, 20, 30, 40, 50);
  CHECK (a_id, FALSE, 20, FALSE, NAN, TRUE, 30, 40, 50);
  CHECK (a_id, FALSE, NAN, TRUE, 40, TRUE, 10, 20, 30, 40);
  CHECK (a_id, TRUE, NAN, TRUE, 40, FALSE, 30, 20, 10);
  CHECK (a_id, TRUE, 10, FALSE, 50, FALSE, 40, 30, 20);
  CHECK (b_id, FALSE, NAN, TRUE, NAN, TRUE, 15, 25, 35);
  CHECK (b_id, TRUE, 15, TRUE, 35, TRUE, 35, 25, 15);
  CHECK (b_id, FALSE, 16, TRUE, 34, TRUE, 25);
  CHECK (nobody, FALSE, NAN, TRUE, NAN, TRUE);
#undef CHECK

  /* without a match the whole index: by conversationId, then createdAt */
  {
    g_autoptr(CairnQuery) query = query_new ("messages", "by_conversation", FALSE, 3);
    g_autoptr(GPtrArray) all = list_all (f->store, query);

    g_assert_cmpuint (all->len, ==, G_N_ELEMENTS (a_times) + G_N_ELEMENTS (b_times));
    for (guint i = 1; i < all->len; i++)
      {
        JsonObject *prev = g_ptr_array_index (all, i - 1);
        JsonObject *cur = g_ptr_array_index (all, i);
        int order = g_strcmp0 (json_object_get_string_member (prev, "conversationId"),
                               json_object_get_string_member (cur, "conversationId"));

        g_assert_cmpint (order, <=, 0);
        if (order == 0)
          g_assert_cmpfloat (json_object_get_double_member (prev, "createdAt"), <,
                             json_object_get_double_member (cur, "createdAt"));
      }
  }
}

static void
test_order_boolean_prefix (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(CairnQuery) archived = query_new ("conversations", "by_archived_updatedAt", TRUE, 2);
  g_autoptr(CairnQuery) active = query_new ("conversations", "by_archived_updatedAt", FALSE, 2);
  g_autoptr(JsonNode) yes = json_node_init_boolean (json_node_alloc (), TRUE);
  g_autoptr(JsonNode) no = json_node_init_boolean (json_node_alloc (), FALSE);
  g_autoptr(GPtrArray) got_archived = NULL;
  g_autoptr(GPtrArray) got_active = NULL;
  static const double want_archived[] = { 9, 6, 3 };
  static const double want_active[] = { 2, 4, 5, 7, 8 };

  for (guint i = 1; i < 10; i++)
    g_ptr_array_add (conversations, conversation_new ("c", i, i % 3 == 0));
  insert_many (f->store, "conversations", conversations);

  cairn_query_add_equal (archived, yes);
  got_archived = list_all (f->store, archived);
  assert_numbers (got_archived, "updatedAt", want_archived, G_N_ELEMENTS (want_archived));

  cairn_query_add_equal (active, no);
  set_range (active, 1, FALSE, 8, TRUE);
  got_active = list_all (f->store, active);
  assert_numbers (got_active, "updatedAt", want_active, G_N_ELEMENTS (want_active));
}

/* ------------------------------------------------------------------------
 * Tests: pagination
 * ------------------------------------------------------------------------ */

/* Each of @documents has a distinct "updatedAt" and the listing must be
 * exactly first, first + step, … with every clientId seen once. */
static void
assert_sequence (GPtrArray *documents,
                 guint      expected_len,
                 double     first,
                 double     step)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (documents->len, ==, expected_len);
  for (guint i = 0; i < documents->len; i++)
    {
      JsonObject *document = g_ptr_array_index (documents, i);

      if (json_object_get_double_member (document, "updatedAt") != first + i * step)
        g_error ("row %u: updatedAt %g, expected %g", i,
                 json_object_get_double_member (document, "updatedAt"), first + i * step);
      g_assert_true (g_hash_table_add (seen, (gpointer) client_id_of (document)));
    }
}

static void
test_pagination (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GTimer) timer = g_timer_new ();
  g_autoptr(JsonNode) yes = json_node_init_boolean (json_node_alloc (), TRUE);
  GRand *rand = g_rand_new_with_seed (42);
  double inserted_s;

  /* insertion order differs from index order */
  for (guint i = 0; i < N_PAGINATION_ROWS; i++)
    g_ptr_array_add (conversations, conversation_new ("page", i, i % 3 == 0));
  for (guint i = N_PAGINATION_ROWS - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1);
      gpointer swap = conversations->pdata[i];

      conversations->pdata[i] = conversations->pdata[j];
      conversations->pdata[j] = swap;
    }
  g_rand_free (rand);

  insert_many (f->store, "conversations", conversations);
  inserted_s = g_timer_elapsed (timer, NULL);
  g_timer_start (timer);

  {
    g_autoptr(CairnQuery) query = query_new ("conversations", "by_updatedAt", FALSE, 97);
    g_autoptr(GPtrArray) all = list_all (f->store, query);

    assert_sequence (all, N_PAGINATION_ROWS, 0, 1);
  }

  {
    g_autoptr(CairnQuery) query = query_new ("conversations", "by_updatedAt", TRUE, 250);
    g_autoptr(GPtrArray) all = list_all (f->store, query);

    assert_sequence (all, N_PAGINATION_ROWS, N_PAGINATION_ROWS - 1, -1);
  }

  {
    g_autoptr(CairnQuery) query = query_new ("conversations", "by_archived_updatedAt", FALSE, 333);
    g_autoptr(GPtrArray) all = NULL;

    cairn_query_add_equal (query, yes);
    all = list_all (f->store, query);
    assert_sequence (all, (N_PAGINATION_ROWS + 2) / 3, 0, 3);
  }

  g_test_message ("%u rows: inserted in %.2f s, listed three times in %.2f s",
                  N_PAGINATION_ROWS, inserted_s, g_timer_elapsed (timer, NULL));
  g_printerr ("# pagination: %u rows inserted in %.2f s, listed three times in %.2f s\n",
              N_PAGINATION_ROWS, inserted_s, g_timer_elapsed (timer, NULL));
}

/* Rows equal on every index field still page without duplicates or gaps. */
static void
test_pagination_ties (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Ties", 1, FALSE);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(JsonObject) stored = insert_ok (f->store, "conversations", conversation);
  g_autoptr(CairnQuery) ascending = query_new ("messages", "by_conversation", FALSE, 7);
  g_autoptr(CairnQuery) descending = query_new ("messages", "by_conversation", TRUE, 7);
  g_autoptr(GPtrArray) up = NULL;
  g_autoptr(GPtrArray) down = NULL;

  /* one at a time, so insertion order is known */
  for (guint i = 0; i < 60; i++)
    {
      g_autoptr(JsonObject) message = message_new (client_id_of (conversation), 5, "same time");

      g_ptr_array_add (messages, insert_ok (f->store, "messages", message));
    }

  cairn_query_add_equal_string (ascending, client_id_of (conversation));
  up = list_all (f->store, ascending);
  assert_ids (up, (JsonObject **) messages->pdata, messages->len);

  cairn_query_add_equal_string (descending, client_id_of (conversation));
  down = list_all (f->store, descending);
  g_ptr_array_set_size (up, 0);
  for (guint i = messages->len; i > 0; i--)
    g_ptr_array_add (up, json_object_ref (g_ptr_array_index (messages, i - 1)));
  assert_ids (down, (JsonObject **) up->pdata, up->len);
}

static void
test_list_empty (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CairnQuery) query = query_new ("notes", "by_updatedAt", FALSE, 10);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = test_util_store_list (f->store, query, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (page->documents->len, ==, 0);
  g_assert_true (page->done);
  g_assert_null (page->cursor);
}

/* ------------------------------------------------------------------------
 * Tests: concurrency
 * ------------------------------------------------------------------------ */

typedef struct {
  Batch      *batch;
  CairnStore *store;
  JsonObject *expected;
  gboolean    is_insert;
} InFlight;

static void
in_flight_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  InFlight *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;

  if (call->is_insert)
    document = cairn_store_insert_finish (call->store, result, &error);
  else
    document = cairn_store_get_finish (call->store, result, &error);

  g_assert_no_error (error);
  assert_document_equal (call->expected, document);
  call->batch->succeeded++;
  call->batch->pending--;
}

static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  enum { N = 100 };
  g_autoptr(GPtrArray) existing = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  InFlight calls[2 * N];
  Batch batch = { 0 };

  for (guint i = 0; i < N; i++)
    {
      g_ptr_array_add (existing, conversation_new ("existing", i, FALSE));
      g_ptr_array_add (fresh, conversation_new ("fresh", N + i, i % 2 == 0));
    }
  insert_many (f->store, "conversations", existing);

  /* 200 calls in flight at once: inserts of new rows and gets of old ones, interleaved */
  for (guint i = 0; i < N; i++)
    {
      InFlight *insert = &calls[2 * i];
      InFlight *get = &calls[2 * i + 1];

      *insert = (InFlight) { &batch, f->store, g_ptr_array_index (fresh, i), TRUE };
      *get = (InFlight) { &batch, f->store, g_ptr_array_index (existing, N - 1 - i), FALSE };
      batch.pending += 2;
      cairn_store_insert_async (f->store, "conversations", insert->expected, NULL, in_flight_cb, insert);
      cairn_store_get_async (f->store, "conversations", client_id_of (get->expected), NULL, in_flight_cb, get);
    }

  g_assert_cmpuint (batch.pending, ==, 2 * N);
  test_util_wait_for_zero (&batch.pending);
  g_assert_cmpuint (batch.succeeded, ==, 2 * N);
  g_assert_cmpuint (count_rows (f->store, "conversations"), ==, 2 * N);
}

/* ------------------------------------------------------------------------
 * Tests: bad input
 * ------------------------------------------------------------------------ */

typedef struct {
  JsonObject *conversation;
  JsonObject *message;
} Seed;

static void
seed_store (Fixture *f,
            Seed    *seed)
{
  g_autoptr(JsonObject) stored = NULL;

  seed->conversation = conversation_new ("Seed", 1, FALSE);
  seed->message = message_new (client_id_of (seed->conversation), 1, "seed");
  stored = insert_ok (f->store, "conversations", seed->conversation);
  g_clear_pointer (&stored, json_object_unref);
  stored = insert_ok (f->store, "messages", seed->message);
  json_object_set_double_member (seed->conversation, "messageCount", 1);
}

/* Exactly the seed, unchanged: no bad call wrote anything. */
static void
assert_only_seed (Fixture *f,
                  Seed    *seed)
{
  g_autoptr(CairnQuery) conversations = query_new ("conversations", "by_updatedAt", FALSE, 100);
  g_autoptr(CairnQuery) messages = query_new ("messages", "by_conversation", FALSE, 100);
  g_autoptr(GPtrArray) all_conversations = list_all (f->store, conversations);
  g_autoptr(GPtrArray) all_messages = list_all (f->store, messages);

  g_assert_cmpuint (all_conversations->len, ==, 1);
  assert_document_equal (seed->conversation, g_ptr_array_index (all_conversations, 0));
  g_assert_cmpuint (all_messages->len, ==, 1);
  assert_document_equal (seed->message, g_ptr_array_index (all_messages, 0));
  g_assert_cmpuint (count_rows (f->store, "notes"), ==, 0);
}

static void
seed_clear (Seed *seed)
{
  g_clear_pointer (&seed->conversation, json_object_unref);
  g_clear_pointer (&seed->message, json_object_unref);
}

static void
expect_list_error (Fixture    *f,
                   CairnQuery *query,
                   int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = test_util_store_list (f->store, query, &error);

  g_test_message ("listing %s by %s", query->table, query->index);
  assert_error_code (error, code);
  g_assert_null (page);
}

static void
test_invalid_list (Fixture       *f,
                   gconstpointer  data)
{
  Seed seed = { 0 };
  g_autoptr(JsonNode) text = json_node_init_string (json_node_alloc (), "soon");
  g_autoptr(JsonNode) number = number_node (5);

  seed_store (f, &seed);

  {
    g_autoptr(CairnQuery) query = cairn_query_new ("nope", "by_clientId");
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_colour");
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    /* an index of another table */
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_conversation");
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
    cairn_query_add_equal (query, number);
    cairn_query_add_equal (query, number);
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
    cairn_query_add_equal (query, text);
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_archived_updatedAt");
    cairn_query_add_equal_string (query, "false");
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_updatedAt");
    cairn_query_set_lower (query, text, TRUE);
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(CairnQuery) query = cairn_query_new ("messages", "by_conversation");
    cairn_query_add_equal_string (query, client_id_of (seed.conversation));
    cairn_query_set_upper (query, text, FALSE);
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    /* a range needs a field after the matched ones */
    g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_clientId");
    cairn_query_add_equal_string (query, client_id_of (seed.conversation));
    cairn_query_set_lower (query, text, TRUE);
    expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
  }

  assert_only_seed (f, &seed);
  seed_clear (&seed);
}

static void
test_invalid_cursor (Fixture       *f,
                     gconstpointer  data)
{
  static const char *cursors[] = {
    "not a cursor",
    "!!!!",
    "AAAA",
    "e30=",       /* {} */
    "WzEsMl0=",   /* [1,2] */
    "bnVsbA==",   /* null */
  };
  Seed seed = { 0 };

  seed_store (f, &seed);

  for (guint i = 0; i < G_N_ELEMENTS (cursors); i++)
    {
      g_autoptr(CairnQuery) query = query_new ("conversations", "by_updatedAt", FALSE, 10);

      g_test_message ("cursor “%s”", cursors[i]);
      cairn_query_set_cursor (query, cursors[i]);
      expect_list_error (f, query, CAIRN_STORE_ERROR_INVALID_INPUT);
    }

  assert_only_seed (f, &seed);
  seed_clear (&seed);
}

static void
expect_insert_error (Fixture    *f,
                     const char *table,
                     JsonObject *document,
                     int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = test_util_store_insert (f->store, table, document, &error);

  assert_error_code (error, code);
  g_assert_null (stored);

  /* and the row is not there */
  if (json_object_has_member (document, "clientId") &&
      cairn_is_client_id (json_object_get_string_member (document, "clientId")) &&
      cairn_schema_lookup_table (table) != NULL)
    {
      g_autoptr(GError) get_error = NULL;
      g_autoptr(JsonObject) got = test_util_store_get (f->store, table, client_id_of (document), &get_error);

      g_assert_error (get_error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND);
      g_assert_null (got);
    }
}

static void
test_invalid_insert (Fixture       *f,
                     gconstpointer  data)
{
  Seed seed = { 0 };

  seed_store (f, &seed);

  {
    g_autoptr(JsonObject) document = conversation_new ("Unknown table", 1, FALSE);
    expect_insert_error (f, "nope", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Missing field", 1, FALSE);
    json_object_remove_member (document, "title");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Wrong type", 1, FALSE);
    json_object_set_int_member (document, "title", 5);
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Boolean as text", 1, FALSE);
    json_object_set_string_member (document, "archived", "true");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Number as text", 1, FALSE);
    json_object_set_string_member (document, "updatedAt", "1");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Null", 1, FALSE);
    json_object_set_null_member (document, "updatedAt");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Extra field", 1, FALSE);
    json_object_set_string_member (document, "colour", "red");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Not a UUID", 1, FALSE);
    json_object_set_string_member (document, "clientId", "conversation-1");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) document = conversation_new ("Count as text", 1, FALSE);
    json_object_set_string_member (document, "messageCount", "3");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    /* a message document in the conversations table */
    g_autoptr(JsonObject) document = message_new (client_id_of (seed.conversation), 1, "wrong table");
    expect_insert_error (f, "conversations", document, CAIRN_STORE_ERROR_INVALID_INPUT);
  }

  assert_only_seed (f, &seed);
  seed_clear (&seed);
}

static void
expect_patch_error (Fixture    *f,
                    const char *table,
                    const char *client_id,
                    JsonObject *fields,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) patched = test_util_store_patch (f->store, table, client_id, fields, &error);

  assert_error_code (error, code);
  g_assert_null (patched);
}

static void
test_invalid_patch (Fixture       *f,
                    gconstpointer  data)
{
  Seed seed = { 0 };
  const char *id;
  g_autofree char *missing = g_uuid_string_random ();

  seed_store (f, &seed);
  id = client_id_of (seed.conversation);

  {
    g_autoptr(JsonObject) fields = json_object_new ();
    g_autofree char *other = g_uuid_string_random ();

    json_object_set_string_member (fields, "clientId", other);
    expect_patch_error (f, "conversations", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
    /* even together with a valid change */
    json_object_set_string_member (fields, "title", "Changed");
    expect_patch_error (f, "conversations", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) fields = json_object_new ();

    json_object_set_string_member (fields, "title", "Changed");
    json_object_set_string_member (fields, "pinned", "yes");
    expect_patch_error (f, "conversations", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) fields = json_object_new ();

    json_object_set_string_member (fields, "title", "Changed");
    json_object_set_boolean_member (fields, "starred", TRUE);
    expect_patch_error (f, "conversations", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) fields = json_object_new ();
    expect_patch_error (f, "conversations", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) fields = json_object_new ();

    json_object_set_boolean_member (fields, "messageCount", TRUE);
    expect_patch_error (f, "conversations", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(JsonObject) fields = json_object_new ();

    json_object_set_string_member (fields, "title", "Changed");
    expect_patch_error (f, "nope", id, fields, CAIRN_STORE_ERROR_INVALID_INPUT);
    expect_patch_error (f, "conversations", "not-a-uuid", fields, CAIRN_STORE_ERROR_INVALID_INPUT);
    expect_patch_error (f, "conversations", missing, fields, CAIRN_STORE_ERROR_NOT_FOUND);
    /* the right id in the wrong table */
    expect_patch_error (f, "notes", id, fields, CAIRN_STORE_ERROR_NOT_FOUND);
  }

  assert_only_seed (f, &seed);
  seed_clear (&seed);
}

static void
test_invalid_get_remove (Fixture       *f,
                         gconstpointer  data)
{
  Seed seed = { 0 };
  const char *id;

  seed_store (f, &seed);
  id = client_id_of (seed.conversation);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) got = test_util_store_get (f->store, "nope", id, &error);

    assert_error_code (error, CAIRN_STORE_ERROR_INVALID_INPUT);
    g_assert_null (got);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) got = test_util_store_get (f->store, "conversations", "not-a-uuid", &error);

    assert_error_code (error, CAIRN_STORE_ERROR_INVALID_INPUT);
    g_assert_null (got);
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (test_util_store_remove (f->store, "nope", id, &error));
    assert_error_code (error, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (test_util_store_remove (f->store, "conversations", "not-a-uuid", &error));
    assert_error_code (error, CAIRN_STORE_ERROR_INVALID_INPUT);
  }
  {
    /* the right id in the wrong table removes nothing */
    g_autoptr(GError) error = NULL;

    g_assert_true (test_util_store_remove (f->store, "notes", id, &error));
    g_assert_no_error (error);
  }

  assert_only_seed (f, &seed);
  seed_clear (&seed);
}

/* A message of @size bytes as the schema measures it, made of ASCII without
 * escapes (where the JSON text is closest to Convex's count) and created at
 * 0 (the shortest number, which JSON counts smallest against Convex's 9). */
static JsonObject *
message_of_size (const char *conversation_id,
                 gsize       size)
{
  JsonObject *message = message_new (conversation_id, 0, "");
  g_autofree char *content = NULL;
  gsize base = cairn_schema_document_size (message);

  content = g_strnfill (size - base, 'x');
  json_object_set_string_member (message, "content", content);
  g_assert_cmpuint (cairn_schema_document_size (message), ==, size);

  return message;
}

/* Convex takes a document of at most 1 MiB, counted its own way with the
 * system fields it adds; Cairn takes one of up to CAIRN_MAX_DOCUMENT_SIZE,
 * counted as JSON, and not a byte more, whichever the store. Against the
 * peer, which counts as Convex does, what Cairn takes is taken there too. */
static void
test_size_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) conversation = conversation_new ("Sizes", 1, FALSE);
  const char *id = client_id_of (conversation);
  g_autoptr(JsonObject) at = message_of_size (id, CAIRN_MAX_DOCUMENT_SIZE);
  g_autoptr(JsonObject) over = message_of_size (id, CAIRN_MAX_DOCUMENT_SIZE + 1);
  g_autoptr(JsonObject) stored_conversation = insert_ok (f->store, "conversations", conversation);
  g_autoptr(JsonObject) stored = insert_ok (f->store, "messages", at);
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (strlen (json_object_get_string_member (stored, "content")), ==,
                    strlen (json_object_get_string_member (at, "content")));

  refused = test_util_store_insert (f->store, "messages", over, &error);
  assert_error_code (error, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_true (g_str_has_prefix (error->message, "This message is too long to store ("));
  g_assert_null (refused);
  g_clear_error (&error);
  g_assert_cmpuint (count_rows (f->store, "messages"), ==, 1);

  /* a change of that size to a small document: the document it makes is
   * a little larger, and still taken */
  {
    g_autoptr(JsonObject) fields = json_object_new ();
    g_autoptr(JsonObject) patched = NULL;
    g_autofree char *title = NULL;

    json_object_set_string_member (fields, "title", "");
    title = g_strnfill (CAIRN_MAX_DOCUMENT_SIZE - cairn_schema_document_size (fields), 't');
    json_object_set_string_member (fields, "title", title);
    g_assert_cmpuint (cairn_schema_document_size (fields), ==, CAIRN_MAX_DOCUMENT_SIZE);
    patched = test_util_store_patch (f->store, "conversations", id, fields, &error);
    g_assert_no_error (error);
    g_assert_nonnull (patched);
  }

  got = test_util_store_get (f->store, "conversations", id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (json_object_get_string_member (got, "title")), ==,
                    CAIRN_MAX_DOCUMENT_SIZE - strlen ("{\"title\":\"\"}"));
}

/* ------------------------------------------------------------------------
 * Registration
 * ------------------------------------------------------------------------ */

typedef void (*TestFunc) (Fixture *f, gconstpointer data);

static void
add (const Suite *suite,
     const char  *name,
     TestFunc     func)
{
  g_autofree char *path = g_strconcat (suite->prefix, "/", name, NULL);

  g_test_add (path, Fixture, suite, fixture_setup, func, fixture_teardown);
}

void
store_conformance_add_tests (const char   *prefix,
                             StoreFactory  factory)
{
  Suite *suite;

  g_return_if_fail (prefix != NULL);
  g_return_if_fail (factory.create != NULL && factory.teardown != NULL);

  if (suites == NULL)
    suites = g_ptr_array_new ();

  suite = g_new0 (Suite, 1);
  suite->factory = factory;
  suite->prefix = g_strdup (prefix);
  g_ptr_array_add (suites, suite);

  add (suite, "ping", test_ping);
  add (suite, "insert-get", test_insert_get);
  add (suite, "insert-idempotent", test_insert_idempotent);
  add (suite, "patch", test_patch);
  add (suite, "patch-missing", test_patch_missing);
  add (suite, "get-missing", test_get_missing);
  add (suite, "remove", test_remove);
  add (suite, "remove-missing", test_remove_missing);
  add (suite, "remove-cascade", test_remove_cascade);
  add (suite, "message-count", test_message_count);
  add (suite, "order/updated-at", test_order_updated_at);
  add (suite, "order/conversation", test_order_conversation);
  add (suite, "order/boolean-prefix", test_order_boolean_prefix);
  add (suite, "list-empty", test_list_empty);
  add (suite, "pagination/ties", test_pagination_ties);
  add (suite, "pagination/10000", test_pagination);
  add (suite, "concurrent", test_concurrent);
  add (suite, "invalid/list", test_invalid_list);
  add (suite, "invalid/cursor", test_invalid_cursor);
  add (suite, "invalid/insert", test_invalid_insert);
  add (suite, "invalid/patch", test_invalid_patch);
  add (suite, "invalid/get-remove", test_invalid_get_remove);
  add (suite, "size-limit", test_size_limit);
}
