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
  JsonObject *object = json_object_new ();

  json_object_set_member (object, "value", json_node_copy (value));
  json_object_set_boolean_member (object, "inclusive", inclusive);

  return json_node_init_object (json_node_alloc (), object);
}

/* CairnStore ------------------------------------------------------------------- */

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
  const CairnTableSpec *table;
  JsonObject *pagination;
  JsonObject *args;

  table = content_table (query->table, &error);
  if (table != NULL && cairn_table_spec_lookup_index (table, query->index) == NULL)
    g_set_error (&error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                 _("The table “%s” has no index “%s”."), table->name, query->index);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
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

  call_function (self, CAIRN_CONVEX_QUERY, "documents:list", args, table, RESULT_PAGE, task);
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

