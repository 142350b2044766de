/* cairn-convex-store.c
 *
 * Every CairnStore call becomes one call of a Cairn function
 * (data/convex/convex/documents.ts). Input is checked against the same
 * schema as the local store before anything is sent, and every document
 * that comes back is checked again before the app sees it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-convex-store"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "cairn-convex-response.h"
#include "cairn-convex-store.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-router.h"
#include "cairn-schema.h"

struct _CairnConvexStore
{
  GObject            parent_instance;
  CairnConvexClient *client;
};

static void store_iface_init (CairnStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CairnConvexStore, cairn_convex_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_STORE, store_iface_init))

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What the function's value must be turned into. */
typedef enum {
  RESULT_PAGE,
  RESULT_DOCUMENT,
  RESULT_DOCUMENT_OR_NOT_FOUND,
  RESULT_NULL,
  RESULT_PING,
} ResultKind;

typedef struct {
  const CairnTableSpec *table;
  ResultKind            kind;
} Call;

/* Checking ------------------------------------------------------------------- */

static const CairnTableSpec *
content_table (const char  *name,
               GError     **error)
{
  const CairnTableSpec *table = name != NULL ? cairn_schema_lookup_table (name) : NULL;

  if (table == NULL || !cairn_router_is_user_table (name))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("There is no table “%s” on your database."), name != NULL ? name : "");
      return NULL;
    }

  return table;
}

static gboolean
check_document (const CairnTableSpec  *table,
                JsonNode              *node,
                GError               **error)
{
  g_autoptr(GError) local_error = NULL;

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      cairn_schema_check_shape (table, json_node_get_object (node), &local_error))
    return TRUE;

  g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
               _("Your database sent a %s document Cairn cannot read: %s"), table->name,
               local_error != NULL ? local_error->message : _("not an object"));
  return FALSE;
}

static CairnPage *
read_page (const CairnTableSpec  *table,
           JsonNode              *value,
           GError               **error)
{
  g_autoptr(CairnPage) page = cairn_page_new ();
  JsonObject *object;
  JsonNode *documents;
  JsonNode *cursor;

  object = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  documents = object != NULL ? json_object_get_member (object, "page") : NULL;
  cursor = object != NULL ? json_object_get_member (object, "continueCursor") : NULL;

  if (documents == NULL || !JSON_NODE_HOLDS_ARRAY (documents) ||
      !json_object_has_member (object, "isDone"))
    {
      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                   _("Your database sent a page of %s in a shape Cairn cannot read."), table->name);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (documents)); i++)
    {
      JsonNode *document = json_array_get_element (json_node_get_array (documents), i);

      if (!check_document (table, document, error))
        return NULL;
      g_ptr_array_add (page->documents, json_object_ref (json_node_get_object (document)));
    }

  page->done = !JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "isDone")) ||
               json_node_get_value_type (json_object_get_member (object, "isDone")) != G_TYPE_BOOLEAN ||
               json_node_get_boolean (json_object_get_member (object, "isDone"));
  if (!page->done && cursor != NULL && JSON_NODE_HOLDS_VALUE (cursor) &&
      json_node_get_value_type (cursor) == G_TYPE_STRING)
    page->cursor = g_strdup (json_node_get_string (cursor));
  page->done = page->done || page->cursor == NULL;

  return g_steal_pointer (&page);
}

/* Calling -------------------------------------------------------------------- */

static void
call_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  Call *call = g_task_get_task_data (task);

  value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  if (value == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (call->kind)
    {
    case RESULT_PAGE:
      {
        CairnPage *page = read_page (call->table, value, &error);

        if (page == NULL)
          g_task_return_error (task, g_steal_pointer (&error));
        else
          g_task_return_pointer (task, page, (GDestroyNotify) cairn_page_free);
      }
      break;

    case RESULT_DOCUMENT_OR_NOT_FOUND:
      if (JSON_NODE_HOLDS_NULL (value))
        {
          g_task_return_new_error (task, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND,
                                   _("The document is not in %s."), call->table->name);
          break;
        }
      G_GNUC_FALLTHROUGH;

    case RESULT_DOCUMENT:
      if (!check_document (call->table, value, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, json_object_ref (json_node_get_object (value)),
                               (GDestroyNotify) json_object_unref);
      break;

    case RESULT_NULL:
      g_task_return_boolean (task, TRUE);
      break;

    case RESULT_PING:
      if (!JSON_NODE_HOLDS_OBJECT (value) ||
          g_strcmp0 (cairn_json_get_string (json_node_get_object (value), "app"), "cairn") != 0)
        g_task_return_new_error (task, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                                 _("The functions on your database are not Cairn's."));
      else
        g_task_return_pointer (task, json_object_ref (json_node_get_object (value)),
                               (GDestroyNotify) json_object_unref);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Takes @args. A task whose input failed the checks returns at once. */
static void
call_function (CairnConvexStore     *self,
               CairnConvexKind       kind,
               const char           *path,
               JsonObject           *args,
               const CairnTableSpec *table,
               ResultKind            result_kind,
               GTask                *task)
{
  Call *call = g_new0 (Call, 1);

  call->table = table;
  call->kind = result_kind;
  g_task_set_task_data (task, call, g_free);

  cairn_convex_client_call_async (self->client, kind, path, args, g_task_get_cancellable (task),
                                  call_cb, task);
  json_object_unref (args);
}

static GTask *
store_task_new (gpointer             self,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data,
                gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);

  return task;
}

static JsonObject *
table_args (const CairnTableSpec *table,
            const char           *client_id)
{
  JsonObject *args = json_object_new ();

  json_object_set_string_member (args, "table", table->name);
  if (client_id != NULL)
    json_object_set_string_member (args, "clientId", client_id);

  return args;
}

static JsonNode *
bound (JsonNode *value,
       gboolean  inclusive)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_member (object, "value", json_node_copy (value));
  json_object_set_boolean_member (object, "inclusive", inclusive);

  return json_node_init_object (json_node_alloc (), object);
}

/* CairnStore ------------------------------------------------------------------- */

/**
 * cairn_convex_store_list_args:
 *
 * The arguments of the Cairn function `documents:list` for @query: what the
 * store sends over HTTP and what a subscription to it sends over the sync
 * socket, so both read the same page.
 *
 * Returns: (transfer full) (nullable): the arguments, or %NULL with @error
 *   when the table is not a content table or has no such index
 */
JsonObject *
cairn_convex_store_list_args (const CairnQuery  *query,
                              GError           **error)
{
  const CairnTableSpec *table;
  JsonObject *pagination;
  JsonObject *args;

  table = content_table (query->table, error);
  if (table == NULL)
    return NULL;
  if (cairn_table_spec_lookup_index (table, query->index) == NULL)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The table “%s” has no index “%s”."), table->name, query->index);
      return NULL;
    }

  args = table_args (table, NULL);
  json_object_set_string_member (args, "index", query->index);
  json_object_set_array_member (args, "equal", json_array_ref (query->equal));
  if (query->lower != NULL)
    json_object_set_member (args, "lower", bound (query->lower, query->lower_inclusive));
  if (query->upper != NULL)
    json_object_set_member (args, "upper", bound (query->upper, query->upper_inclusive));
  json_object_set_string_member (args, "order", query->descending ? "desc" : "asc");

  pagination = json_object_new ();
  json_object_set_int_member (pagination, "numItems", query->page_size);
  if (query->cursor != NULL)
    json_object_set_string_member (pagination, "cursor", query->cursor);
  else
    json_object_set_null_member (pagination, "cursor");
  json_object_set_object_member (args, "paginationOpts", pagination);

  return args;
}

/**
 * cairn_convex_store_read_page:
 * @value: what `documents:list` answered (Convex encoded JSON)
 *
 * Checks the answer's shape and every document in it against @table.
 *
 * Returns: (transfer full) (nullable): the page, or %NULL with @error
 */
CairnPage *
cairn_convex_store_read_page (const char  *table,
                              JsonNode    *value,
                              GError     **error)
{
  const CairnTableSpec *spec = content_table (table, error);

  return spec != NULL ? read_page (spec, value, error) : NULL;
}

static void
cairn_convex_store_list_async (CairnStore          *store,
                               const CairnQuery    *query,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_list_async);
  g_autoptr(GError) error = NULL;
  JsonObject *args = cairn_convex_store_list_args (query, &error);

  if (args == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  call_function (self, CAIRN_CONVEX_QUERY, "documents:list", args, content_table (query->table, NULL),
                 RESULT_PAGE, task);
}

static CairnPage *
cairn_convex_store_list_finish (CairnStore    *store,
                                GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
cairn_convex_store_get_async (CairnStore          *store,
                              const char          *table_name,
                              const char          *client_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_get_async);
  g_autoptr(GError) error = NULL;
  const CairnTableSpec *table = content_table (table_name, &error);

  if (table == NULL || !cairn_schema_check_client_id (client_id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  call_function (self, CAIRN_CONVEX_QUERY, "documents:get", table_args (table, client_id),
                 table, RESULT_DOCUMENT_OR_NOT_FOUND, task);
}

static JsonObject *
document_finish (CairnStore    *store,
                 GAsyncResult  *result,
                 GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
cairn_convex_store_insert_async (CairnStore          *store,
                                 const char          *table_name,
                                 JsonObject          *document,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_insert_async);
  g_autoptr(GError) error = NULL;
  const CairnTableSpec *table = content_table (table_name, &error);
  JsonObject *args;

  if (table == NULL || !cairn_schema_validate_document (table, document, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  args = table_args (table, NULL);
  json_object_set_object_member (args, "document", json_object_ref (document));
  call_function (self, CAIRN_CONVEX_MUTATION, "documents:insert", args, table, RESULT_DOCUMENT, task);
}

static void
cairn_convex_store_patch_async (CairnStore          *store,
                                const char          *table_name,
                                const char          *client_id,
                                JsonObject          *fields,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_patch_async);
  g_autoptr(GError) error = NULL;
  const CairnTableSpec *table = content_table (table_name, &error);
  JsonObject *args;

  if (table == NULL || !cairn_schema_check_client_id (client_id, &error) ||
      !cairn_schema_validate_patch (table, fields, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  args = table_args (table, client_id);
  json_object_set_object_member (args, "fields", json_object_ref (fields));
  call_function (self, CAIRN_CONVEX_MUTATION, "documents:patch", args, table, RESULT_DOCUMENT, task);
}

static void
cairn_convex_store_remove_async (CairnStore          *store,
                                 const char          *table_name,
                                 const char          *client_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_remove_async);
  g_autoptr(GError) error = NULL;
  const CairnTableSpec *table = content_table (table_name, &error);

  if (table == NULL || !cairn_schema_check_client_id (client_id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  call_function (self, CAIRN_CONVEX_MUTATION, "documents:remove", table_args (table, client_id),
                 table, RESULT_NULL, task);
}

static gboolean
cairn_convex_store_remove_finish (CairnStore    *store,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
cairn_convex_store_ping_async (CairnStore          *store,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_ping_async);

  call_function (self, CAIRN_CONVEX_QUERY, "cairn:ping", json_object_new (), NULL, RESULT_PING, task);
}

/* Batches: documents:apply --------------------------------------------------- */

typedef struct {
  GPtrArray *writes;     /* (element-type CairnStoreWrite) */
  guint      pos;        /* the first write of the current chunk */
  guint      end;        /* past its last */
} Apply;

static void
apply_free (Apply *apply)
{
  g_ptr_array_unref (apply->writes);
  g_free (apply);
}

static void apply_next_chunk (GTask *task);
static void apply_next_single (GTask *task);

/* @write checked as its single call would check it; FALSE (and the write
 * done, refused) when it fails. */
static gboolean
apply_check (CairnStoreWrite *write)
{
  g_autoptr(GError) error = NULL;
  const CairnTableSpec *table = content_table (write->table, &error);

  if (table != NULL)
    switch (write->kind)
      {
      case CAIRN_STORE_WRITE_INSERT:
        cairn_schema_validate_document (table, write->object, &error);
        break;
      case CAIRN_STORE_WRITE_PATCH:
        if (cairn_schema_check_client_id (write->client_id, &error))
          cairn_schema_validate_patch (table, write->object, &error);
        break;
      case CAIRN_STORE_WRITE_REMOVE:
        cairn_schema_check_client_id (write->client_id, &error);
        break;
      default:
        g_assert_not_reached ();
      }

  if (error == NULL)
    return TRUE;

  write->error = g_steal_pointer (&error);
  write->done = TRUE;
  return FALSE;
}

static JsonNode *
apply_item (CairnStoreWrite *write)
{
  static const char *ops[] = { "insert", "patch", "remove" };
  g_autoptr(JsonObject) item = json_object_new ();   /* the node takes its own reference */

  json_object_set_string_member (item, "op", ops[write->kind]);
  json_object_set_string_member (item, "table", write->table);
  switch (write->kind)
    {
    case CAIRN_STORE_WRITE_INSERT:
      json_object_set_object_member (item, "document", json_object_ref (write->object));
      break;
    case CAIRN_STORE_WRITE_PATCH:
      json_object_set_string_member (item, "clientId", write->client_id);
      json_object_set_object_member (item, "fields", json_object_ref (write->object));
      break;
    case CAIRN_STORE_WRITE_REMOVE:
      json_object_set_string_member (item, "clientId", write->client_id);
      break;
    default:
      g_assert_not_reached ();
    }

  return json_node_init_object (json_node_alloc (), item);
}

static gsize
item_size (JsonNode *item)
{
  gsize length = 0;
  g_autofree char *text = json_to_string (item, FALSE);

  length = strlen (text);
  return length + 1;
}

/* One write's outcome in the answer: {ok: true, value} or {ok: false, code, message}. */
static void
apply_outcome (CairnStoreWrite *write,
               JsonNode        *outcome)
{
  g_autoptr(GError) error = NULL;
  const CairnTableSpec *table = cairn_schema_lookup_table (write->table);
  JsonObject *object = outcome != NULL && JSON_NODE_HOLDS_OBJECT (outcome) ? json_node_get_object (outcome) : NULL;
  JsonNode *ok = object != NULL ? json_object_get_member (object, "ok") : NULL;
  JsonNode *value = object != NULL ? json_object_get_member (object, "value") : NULL;

  write->done = TRUE;
  if (ok == NULL || !JSON_NODE_HOLDS_VALUE (ok) || json_node_get_value_type (ok) != G_TYPE_BOOLEAN)
    write->error = g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                                _("Your database answered a write of a batch in a shape Cairn cannot read."));
  else if (!json_node_get_boolean (ok))
    write->error = cairn_convex_refusal_new (object);
  else if (write->kind == CAIRN_STORE_WRITE_REMOVE)
    ;
  else if (!check_document (table, value, &error))
    write->error = g_steal_pointer (&error);
  else
    write->stored = json_object_ref (json_node_get_object (value));
}

/* Whether a batch that failed as a whole is worth sending one write at a
 * time: a function error (a Convex limit, a document over 1 MiB) or
 * functions without documents:apply (older ones). */
static gboolean
worth_singles (const GError *error)
{
  return g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED) ||
         g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP) ||
         error->domain == CAIRN_STORE_ERROR;
}

static void
applied_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  Apply *apply = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  JsonObject *answer;
  JsonNode *results;
  JsonArray *outcomes;
  guint sent = 0;
  guint k = 0;

  for (guint i = apply->pos; i < apply->end; i++)
    if (!((CairnStoreWrite *) g_ptr_array_index (apply->writes, i))->done)
      sent++;

  if (value == NULL)
    {
      /* a batch of one refused for good: that write is the one refused */
      if (sent == 1 && cairn_store_error_is_refusal (error))
        {
          for (; apply->pos < apply->end; apply->pos++)
            {
              CairnStoreWrite *write = g_ptr_array_index (apply->writes, apply->pos);

              if (!write->done)
                {
                  write->error = g_steal_pointer (&error);
                  write->done = TRUE;
                }
            }
          apply_next_chunk (task);
          return;
        }
      if (worth_singles (error))
        {
          g_debug ("Sending a batch one write at a time: %s", error->message);
          apply_next_single (task);
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  answer = JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  results = answer != NULL ? json_object_get_member (answer, "results") : NULL;
  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (results) ||
      json_array_get_length (json_node_get_array (results)) != sent)
    {
      g_task_return_new_error (task, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                               _("Your database answered a batch of writes in a shape Cairn cannot read."));
      g_object_unref (task);
      return;
    }

  outcomes = json_node_get_array (results);
  for (guint i = apply->pos; i < apply->end; i++)
    {
      CairnStoreWrite *write = g_ptr_array_index (apply->writes, i);

      if (!write->done)
        apply_outcome (write, json_array_get_element (outcomes, k++));
    }

  apply->pos = apply->end;
  apply_next_chunk (task);
}

/* Sends the next chunk: as many writes as one call takes, in order. */
static void
apply_next_chunk (GTask *task)
{
  CairnConvexStore *self = g_task_get_source_object (task);
  Apply *apply = g_task_get_task_data (task);
  JsonArray *items;
  JsonObject *args;
  gsize bytes = 0;
  guint count = 0;

  while (apply->pos < apply->writes->len &&
         ((CairnStoreWrite *) g_ptr_array_index (apply->writes, apply->pos))->done)
    apply->pos++;

  if (apply->pos >= apply->writes->len)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  items = json_array_new ();
  for (apply->end = apply->pos; apply->end < apply->writes->len && count < CAIRN_CONVEX_BATCH_MAX_WRITES; apply->end++)
    {
      CairnStoreWrite *write = g_ptr_array_index (apply->writes, apply->end);
      JsonNode *item;
      gsize size;

      if (write->done)
        continue;

      item = apply_item (write);
      size = item_size (item);
      /* an eighth to spare: the functions measure the JSON their own way */
      if (count > 0 && bytes + size > CAIRN_CONVEX_BATCH_MAX_BYTES - CAIRN_CONVEX_BATCH_MAX_BYTES / 8)
        {
          json_node_unref (item);
          break;
        }
      json_array_add_element (items, item);
      bytes += size;
      count++;
    }

  args = json_object_new ();
  json_object_set_array_member (args, "writes", items);
  cairn_convex_client_call_async (self->client, CAIRN_CONVEX_MUTATION, "documents:apply", args,
                                  g_task_get_cancellable (task), applied_cb, task);
  json_object_unref (args);
}

static void
single_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  Apply *apply = g_task_get_task_data (task);
  CairnStoreWrite *write = g_ptr_array_index (apply->writes, apply->pos);
  GError *error = NULL;

  if (!cairn_store_write_settle (CAIRN_STORE (object), write, result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  apply_next_single (task);
}

/* The current chunk one write at a time (its single calls), in order. */
static void
apply_next_single (GTask *task)
{
  CairnStore *store = g_task_get_source_object (task);
  Apply *apply = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  CairnStoreWrite *write;

  while (apply->pos < apply->end && ((CairnStoreWrite *) g_ptr_array_index (apply->writes, apply->pos))->done)
    apply->pos++;

  if (apply->pos >= apply->end)
    {
      apply_next_chunk (task);
      return;
    }

  write = g_ptr_array_index (apply->writes, apply->pos);
  cairn_store_write_send (store, write, cancellable, single_cb, task);
}

static void
cairn_convex_store_apply_async (CairnStore          *store,
                                GPtrArray           *writes,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (store);
  GTask *task = store_task_new (self, cancellable, callback, user_data, cairn_convex_store_apply_async);
  Apply *apply = g_new0 (Apply, 1);

  apply->writes = g_ptr_array_ref (writes);
  g_task_set_task_data (task, apply, (GDestroyNotify) apply_free);

  /* what the checks refuse is not sent */
  for (guint i = 0; i < writes->len; i++)
    apply_check (g_ptr_array_index (writes, i));

  apply_next_chunk (task);
}

static gboolean
cairn_convex_store_apply_finish (CairnStore    *store,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
store_iface_init (CairnStoreInterface *iface)
{
  iface->list_async = cairn_convex_store_list_async;
  iface->list_finish = cairn_convex_store_list_finish;
  iface->get_async = cairn_convex_store_get_async;
  iface->get_finish = document_finish;
  iface->insert_async = cairn_convex_store_insert_async;
  iface->insert_finish = document_finish;
  iface->patch_async = cairn_convex_store_patch_async;
  iface->patch_finish = document_finish;
  iface->remove_async = cairn_convex_store_remove_async;
  iface->remove_finish = cairn_convex_store_remove_finish;
  iface->ping_async = cairn_convex_store_ping_async;
  iface->ping_finish = document_finish;
  iface->apply_async = cairn_convex_store_apply_async;
  iface->apply_finish = cairn_convex_store_apply_finish;
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_convex_store_dispose (GObject *object)
{
  CairnConvexStore *self = (CairnConvexStore *) object;

  g_clear_object (&self->client);

  G_OBJECT_CLASS (cairn_convex_store_parent_class)->dispose (object);
}

static void
cairn_convex_store_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_convex_store_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  CairnConvexStore *self = CAIRN_CONVEX_STORE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_convex_store_class_init (CairnConvexStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cairn_convex_store_dispose;
  object_class->get_property = cairn_convex_store_get_property;
  object_class->set_property = cairn_convex_store_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CAIRN_TYPE_CONVEX_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_convex_store_init (CairnConvexStore *self)
{
}

CairnConvexStore *
cairn_convex_store_new (CairnConvexClient *client)
{
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (client), NULL);

  return g_object_new (CAIRN_TYPE_CONVEX_STORE, "client", client, NULL);
}

