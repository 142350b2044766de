/* cairn-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-store"

#include "cairn-error.h"
#include "cairn-store.h"

G_DEFINE_INTERFACE (CairnStore, cairn_store, G_TYPE_OBJECT)

static void
cairn_store_default_init (CairnStoreInterface *iface)
{
}

#define IFACE(self) CAIRN_STORE_GET_IFACE (self)

void
cairn_store_list_async (CairnStore          *self,
                        const CairnQuery    *query,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));
  g_return_if_fail (query != NULL);

  IFACE (self)->list_async (self, query, cancellable, callback, user_data);
}

CairnPage *
cairn_store_list_finish (CairnStore    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->list_finish (self, result, error);
}

void
cairn_store_get_async (CairnStore          *self,
                       const char          *table,
                       const char          *client_id,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->get_async (self, table, client_id, cancellable, callback, user_data);
}

JsonObject *
cairn_store_get_finish (CairnStore    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->get_finish (self, result, error);
}

void
cairn_store_insert_async (CairnStore          *self,
                          const char          *table,
                          JsonObject          *document,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->insert_async (self, table, document, cancellable, callback, user_data);
}

JsonObject *
cairn_store_insert_finish (CairnStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->insert_finish (self, result, error);
}

void
cairn_store_patch_async (CairnStore          *self,
                         const char          *table,
                         const char          *client_id,
                         JsonObject          *fields,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->patch_async (self, table, client_id, fields, cancellable, callback, user_data);
}

JsonObject *
cairn_store_patch_finish (CairnStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->patch_finish (self, result, error);
}

void
cairn_store_remove_async (CairnStore          *self,
                          const char          *table,
                          const char          *client_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->remove_async (self, table, client_id, cancellable, callback, user_data);
}

gboolean
cairn_store_remove_finish (CairnStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), FALSE);

  return IFACE (self)->remove_finish (self, result, error);
}

void
cairn_store_ping_async (CairnStore          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->ping_async (self, cancellable, callback, user_data);
}

JsonObject *
cairn_store_ping_finish (CairnStore    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->ping_finish (self, result, error);
}

/* Upsert: a helper over the interface --------------------------------------- */

typedef struct {
  char       *table;
  JsonObject *document;
} Upsert;

static void
upsert_free (Upsert *upsert)
{
  g_free (upsert->table);
  json_object_unref (upsert->document);
  g_free (upsert);
}

static void
upsert_inserted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *document = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);

  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

static void
upsert_patched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Upsert *upsert = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  JsonObject *document = cairn_store_patch_finish (CAIRN_STORE (object), result, &error);

  if (document != NULL)
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
  else if (!g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    cairn_store_insert_async (CAIRN_STORE (object), upsert->table, upsert->document, cancellable,
                              upsert_inserted_cb, g_steal_pointer (&task));
}

/**
 * cairn_store_upsert_async:
 * @document: a whole document of @table
 *
 * Writes @document whether or not its clientId exists yet: a patch of every
 * other field, or an insert when there is nothing to patch.
 */
void
cairn_store_upsert_async (CairnStore          *self,
                          const char          *table,
                          JsonObject          *document,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  Upsert *upsert;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  GTask *task;

  g_return_if_fail (CAIRN_IS_STORE (self));
  g_return_if_fail (document != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_store_upsert_async);
  upsert = g_new0 (Upsert, 1);
  upsert->table = g_strdup (table);
  upsert->document = json_object_ref (document);
  g_task_set_task_data (task, upsert, (GDestroyNotify) upsert_free);

  json_object_iter_init (&iter, document);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "clientId"))
      json_object_set_member (fields, name, json_node_copy (value));

  cairn_store_patch_async (self, table, json_object_get_string_member_with_default (document, "clientId", NULL),
                           fields, cancellable, upsert_patched_cb, task);
}

/**
 * cairn_store_upsert_finish:
 *
 * Returns: (transfer full): the document as stored
 */
JsonObject *
cairn_store_upsert_finish (CairnStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
