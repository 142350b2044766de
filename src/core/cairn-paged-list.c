/* cairn-paged-list.c
 *
 * Items are kept in display order. The query order and the display order are
 * the same unless the list is reversed, in which case position q of the query
 * is position n - 1 - q on screen.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-paged-list"

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-live-query.h"
#include "cairn-outbox-delivery.h"
#include "cairn-paged-list.h"
#include "cairn-schema.h"
#include "cairn-page-walk.h"
#include "cairn-query.h"
#include "cairn-workspace.h"

struct _CairnPagedList
{
  GObject         parent_instance;

  CairnWorkspace *workspace;
  CairnQuery     *query;
  GType           item_type;
  gboolean        reversed;

  GPtrArray      *items;       /* display order */
  GHashTable     *by_id;       /* clientId -> item (borrowed from items) */
  char           *cursor;
  CairnPageWalk  *walk;        /* notices a listing that repeats itself */
  GError         *error;
  GCancellable   *cancellable; /* the page being loaded, if any */
  CairnLiveQuery *live;        /* (nullable) the first page followed on the deployment */
  guint           done : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CairnPagedList, cairn_paged_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_QUERY,
  PROP_ITEM_TYPE,
  PROP_REVERSED,
  PROP_LOADING,
  PROP_DONE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers ------------------------------------------------------------------ */

static JsonObject *
item_document (gpointer item)
{
  JsonObject *document = NULL;

  g_object_get (item, "document", &document, NULL);
  /* the item keeps its own reference; we only borrow it */
  if (document != NULL)
    json_object_unref (document);

  return document;
}

static const char *
document_client_id (JsonObject *document)
{
  return cairn_json_get_string (document, "clientId");
}

static guint
display_position (CairnPagedList *self,
                  guint           query_position)
{
  return self->reversed ? self->items->len - query_position : query_position;
}

static gpointer
item_at_query_position (CairnPagedList *self,
                        guint           query_position)
{
  guint n = self->items->len;

  return g_ptr_array_index (self->items, self->reversed ? n - 1 - query_position : query_position);
}

/* Where @document goes among the loaded items, in query order; a newcomer
 * goes before items it ties with (it is the newer one). Returns FALSE when it
 * sorts after every loaded item while more pages remain: it arrives with them. */
static gboolean
find_insert_position (CairnPagedList *self,
                      JsonObject     *document,
                      guint          *query_position)
{
  guint n = self->items->len;

  for (guint q = 0; q < n; q++)
    if (cairn_query_compare (self->query, document, item_document (item_at_query_position (self, q))) <= 0)
      {
        *query_position = q;
        return TRUE;
      }

  *query_position = n;
  return self->done;
}

static void
insert_item (CairnPagedList *self,
             JsonObject     *document,
             guint           query_position)
{
  guint position = display_position (self, query_position);
  gpointer item = g_object_new (self->item_type, "document", document, NULL);

  g_ptr_array_insert (self->items, position, item);
  g_hash_table_insert (self->by_id, g_strdup (document_client_id (document)), item);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
remove_item (CairnPagedList *self,
             guint           position)
{
  gpointer item = g_ptr_array_index (self->items, position);

  g_hash_table_remove (self->by_id, document_client_id (item_document (item)));
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
set_loading (CairnPagedList *self,
             GCancellable   *cancellable)
{
  gboolean was_loading = self->cancellable != NULL;

  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, cancellable);

  if (was_loading != (cancellable != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_done (CairnPagedList *self,
          gboolean        done)
{
  if (self->done == !!done)
    return;

  self->done = !!done;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DONE]);
}

/* Appends a page (in query order) to the loaded items. */
static void
add_page (CairnPagedList *self,
          CairnPage      *page)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  guint position;

  for (guint i = 0; i < page->documents->len; i++)
    {
      JsonObject *document = g_ptr_array_index (page->documents, i);
      const char *client_id = document_client_id (document);
      gpointer item;

      /* merged in already through ::document-changed */
      if (client_id == NULL || g_hash_table_contains (self->by_id, client_id))
        continue;

      item = g_object_new (self->item_type, "document", document, NULL);
      g_hash_table_insert (self->by_id, g_strdup (client_id), item);
      g_ptr_array_add (fresh, item);
    }

  if (fresh->len == 0)
    return;

  /* a reversed list shows older pages, reversed, above what it has */
  position = self->reversed ? 0 : self->items->len;
  for (guint i = 0; i < fresh->len; i++)
    {
      guint from = self->reversed ? fresh->len - 1 - i : i;

      g_ptr_array_insert (self->items, position + i, g_object_ref (g_ptr_array_index (fresh, from)));
    }

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, fresh->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Callbacks ---------------------------------------------------------------- */

static void document_changed_cb (CairnPagedList *self,
                                 const char     *table,
                                 JsonObject     *document,
                                 CairnWorkspace *workspace);

static void
page_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CairnPagedList) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = NULL;
  gboolean first;

  page = cairn_workspace_list_finish (CAIRN_WORKSPACE (object), result, &error);

  /* a reload or dispose replaced this request */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_loading (self, NULL);

  if (page == NULL)
    {
      g_debug ("Could not load a page of %s: %s", self->query->table, error->message);
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      return;
    }

  if (!cairn_page_walk_step (self->walk, self->cursor, page, &error))
    {
      /* what was loaded stays; nothing more is asked for */
      g_message ("Stopped loading %s: %s", self->query->table, error->message);
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      set_done (self, TRUE);
      return;
    }

  g_clear_error (&self->error);
  first = self->cursor == NULL;
  g_free (self->cursor);
  self->cursor = g_strdup (page->cursor);
  add_page (self, page);
  set_done (self, page->done || page->cursor == NULL);

  /* what waits in the outbox is not on the deployment yet, but it is ours */
  if (first)
    {
      CairnOutboxDelivery *delivery = cairn_workspace_get_delivery (self->workspace);
      g_autoptr(GPtrArray) pending = cairn_outbox_delivery_list_pending (delivery, self->query->table);

      for (guint i = 0; i < pending->len; i++)
        document_changed_cb (self, self->query->table, g_ptr_array_index (pending, i), self->workspace);
    }
}

static void
document_changed_cb (CairnPagedList *self,
                     const char     *table,
                     JsonObject     *document,
                     CairnWorkspace *workspace)
{
  const char *client_id = document_client_id (document);
  gpointer item;
  guint position;
  guint query_position;

  if (g_strcmp0 (table, self->query->table) != 0 || client_id == NULL)
    return;

  item = cairn_paged_list_find (self, client_id, &position);
  if (item != NULL)
    {
      /* the same document again (a live result repeating a page) changes nothing */
      if (json_object_equal (item_document (item), document))
        return;
      if (cairn_query_compare (self->query, item_document (item), document) == 0)
        {
          g_object_set (item, "document", document, NULL);
          return;
        }
      remove_item (self, position);
    }

  if (cairn_query_matches (self->query, document) && find_insert_position (self, document, &query_position))
    insert_item (self, document, query_position);
}

static void
document_removed_cb (CairnPagedList *self,
                     const char     *table,
                     const char     *client_id,
                     CairnWorkspace *workspace)
{
  const CairnTableSpec *spec;
  guint position;

  if (g_strcmp0 (table, self->query->table) == 0)
    {
      if (cairn_paged_list_find (self, client_id, &position) != NULL)
        remove_item (self, position);
      return;
    }

  /* The parent of what we list is gone, and its children went with it. */
  spec = cairn_schema_lookup_table (self->query->table);
  if (spec != NULL && g_strcmp0 (spec->parent_table, table) == 0 &&
      json_array_get_length (self->query->equal) > 0 &&
      g_strcmp0 (json_array_get_string_element (self->query->equal, 0), client_id) == 0)
    cairn_paged_list_reload (self);
}

/* GListModel --------------------------------------------------------------- */

static GType
cairn_paged_list_get_item_type (GListModel *model)
{
  return CAIRN_PAGED_LIST (model)->item_type;
}

static guint
cairn_paged_list_get_n_items (GListModel *model)
{
  return CAIRN_PAGED_LIST (model)->items->len;
}

static gpointer
cairn_paged_list_get_item (GListModel *model,
                           guint       position)
{
  CairnPagedList *self = CAIRN_PAGED_LIST (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = cairn_paged_list_get_item_type;
  iface->get_n_items = cairn_paged_list_get_n_items;
  iface->get_item = cairn_paged_list_get_item;
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_paged_list_constructed (GObject *object)
{
  CairnPagedList *self = (CairnPagedList *) object;

  G_OBJECT_CLASS (cairn_paged_list_parent_class)->constructed (object);

  g_assert (CAIRN_IS_WORKSPACE (self->workspace));
  g_assert (self->query != NULL);
  g_assert (g_type_is_a (self->item_type, G_TYPE_OBJECT));

  g_signal_connect_object (self->workspace, "document-changed",
                           G_CALLBACK (document_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->workspace, "document-removed",
                           G_CALLBACK (document_removed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->workspace, "storage-changed",
                           G_CALLBACK (cairn_paged_list_reload), self, G_CONNECT_SWAPPED);

  self->live = cairn_workspace_watch (self->workspace, self->query);
  cairn_paged_list_load_more (self);
}

static void
cairn_paged_list_dispose (GObject *object)
{
  CairnPagedList *self = (CairnPagedList *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->live);
  g_clear_object (&self->workspace);
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_set_size (self->items, 0);

  G_OBJECT_CLASS (cairn_paged_list_parent_class)->dispose (object);
}

static void
cairn_paged_list_finalize (GObject *object)
{
  CairnPagedList *self = (CairnPagedList *) object;

  g_clear_pointer (&self->query, cairn_query_free);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_error (&self->error);
  g_free (self->cursor);
  g_clear_pointer (&self->walk, cairn_page_walk_free);

  G_OBJECT_CLASS (cairn_paged_list_parent_class)->finalize (object);
}

static void
cairn_paged_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CairnPagedList *self = CAIRN_PAGED_LIST (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;
    case PROP_QUERY:
      g_value_set_boxed (value, self->query);
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, self->item_type);
      break;
    case PROP_REVERSED:
      g_value_set_boolean (value, self->reversed);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, cairn_paged_list_get_loading (self));
      break;
    case PROP_DONE:
      g_value_set_boolean (value, self->done);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_paged_list_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CairnPagedList *self = CAIRN_PAGED_LIST (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      self->workspace = g_value_dup_object (value);
      break;
    case PROP_QUERY:
      self->query = g_value_dup_boxed (value);
      self->walk = cairn_page_walk_new (self->query != NULL ? self->query->table : "");
      break;
    case PROP_ITEM_TYPE:
      self->item_type = g_value_get_gtype (value);
      break;
    case PROP_REVERSED:
      self->reversed = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_paged_list_class_init (CairnPagedListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = cairn_paged_list_constructed;
  object_class->dispose = cairn_paged_list_dispose;
  object_class->finalize = cairn_paged_list_finalize;
  object_class->get_property = cairn_paged_list_get_property;
  object_class->set_property = cairn_paged_list_set_property;

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL, CAIRN_TYPE_WORKSPACE, construct);
  properties[PROP_QUERY] =
    g_param_spec_boxed ("query", NULL, NULL, CAIRN_TYPE_QUERY, construct);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT, construct);
  properties[PROP_REVERSED] =
    g_param_spec_boolean ("reversed", NULL, NULL, FALSE, construct);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, ro);
  properties[PROP_DONE] = g_param_spec_boolean ("done", NULL, NULL, FALSE, ro);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_paged_list_init (CairnPagedList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Public API ----------------------------------------------------------------- */

CairnPagedList *
cairn_paged_list_new (CairnWorkspace   *workspace,
                      const CairnQuery *query,
                      GType             item_type,
                      gboolean          reversed)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (workspace), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  return g_object_new (CAIRN_TYPE_PAGED_LIST,
                       "workspace", workspace,
                       "query", query,
                       "item-type", item_type,
                       "reversed", reversed,
                       NULL);
}

/**
 * cairn_paged_list_load_more:
 *
 * Loads the next page unless one is on its way or everything is loaded.
 */
void
cairn_paged_list_load_more (CairnPagedList *self)
{
  g_autoptr(CairnQuery) query = NULL;
  g_autoptr(GCancellable) cancellable = NULL;

  g_return_if_fail (CAIRN_IS_PAGED_LIST (self));

  if (self->cancellable != NULL || self->done || self->workspace == NULL)
    return;

  query = cairn_query_copy (self->query);
  cairn_query_set_cursor (query, self->cursor);
  cancellable = g_cancellable_new ();
  set_loading (self, cancellable);

  cairn_workspace_list_async (self->workspace, query, cancellable, page_loaded_cb, g_object_ref (self));
}

/**
 * cairn_paged_list_reload:
 *
 * Forgets every loaded item and loads the first page again (the store
 * behind the list changed).
 */
void
cairn_paged_list_reload (CairnPagedList *self)
{
  guint n;

  g_return_if_fail (CAIRN_IS_PAGED_LIST (self));

  set_loading (self, NULL);
  n = self->items->len;
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_set_size (self->items, 0);
  g_clear_pointer (&self->cursor, g_free);
  g_clear_error (&self->error);
  set_done (self, FALSE);

  if (n > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }

  /* the store may be another one now */
  g_clear_object (&self->live);
  self->live = cairn_workspace_watch (self->workspace, self->query);
  cairn_paged_list_load_more (self);
}

gboolean
cairn_paged_list_get_loading (CairnPagedList *self)
{
  g_return_val_if_fail (CAIRN_IS_PAGED_LIST (self), FALSE);

  return self->cancellable != NULL;
}

gboolean
cairn_paged_list_get_done (CairnPagedList *self)
{
  g_return_val_if_fail (CAIRN_IS_PAGED_LIST (self), FALSE);

  return self->done;
}

/**
 * cairn_paged_list_get_error:
 *
 * Returns: (nullable): why the last page could not be loaded
 */
const GError *
cairn_paged_list_get_error (CairnPagedList *self)
{
  g_return_val_if_fail (CAIRN_IS_PAGED_LIST (self), NULL);

  return self->error;
}

/**
 * cairn_paged_list_find:
 * @position: (out) (optional): where the item is shown
 *
 * Returns: (transfer none) (nullable): the loaded item with @client_id
 */
gpointer
cairn_paged_list_find (CairnPagedList *self,
                       const char     *client_id,
                       guint          *position)
{
  gpointer item;
  guint index;

  g_return_val_if_fail (CAIRN_IS_PAGED_LIST (self), NULL);

  item = client_id != NULL ? g_hash_table_lookup (self->by_id, client_id) : NULL;
  if (item == NULL)
    return NULL;

  if (position != NULL && g_ptr_array_find (self->items, item, &index))
    *position = index;

  return item;
}
