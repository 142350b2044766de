/* cairn-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-store"

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
