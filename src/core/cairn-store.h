/* cairn-store.h — where documents live: the embedded store or the user's deployment
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cairn-query.h"
#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_STORE (cairn_store_get_type ())

G_DECLARE_INTERFACE (CairnStore, cairn_store, CAIRN, STORE, GObject)

/**
 * CairnStoreInterface:
 *
 * Every operation is asynchronous and speaks JSON documents whose identity is
 * the client-generated "clientId" (a UUID). Writes are idempotent on it:
 * inserting an existing clientId returns the stored document, removing a
 * missing one succeeds. Failures are %CAIRN_STORE_ERROR errors, or
 * %CAIRN_CONVEX_ERROR and %CAIRN_CONNECTION_ERROR ones from a deployment.
 */
struct _CairnStoreInterface
{
  GTypeInterface parent_iface;

  void        (*list_async)    (CairnStore           *self,
                                const CairnQuery     *query,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  CairnPage  *(*list_finish)   (CairnStore           *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*get_async)     (CairnStore           *self,
                                const char           *table,
                                const char           *client_id,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  JsonObject *(*get_finish)    (CairnStore           *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*insert_async)  (CairnStore           *self,
                                const char           *table,
                                JsonObject           *document,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  JsonObject *(*insert_finish) (CairnStore           *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*patch_async)   (CairnStore           *self,
                                const char           *table,
                                const char           *client_id,
                                JsonObject           *fields,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  JsonObject *(*patch_finish)  (CairnStore           *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*remove_async)  (CairnStore           *self,
                                const char           *table,
                                const char           *client_id,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  gboolean    (*remove_finish) (CairnStore           *self,
                                GAsyncResult         *result,
                                GError              **error);
  void        (*ping_async)    (CairnStore           *self,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  JsonObject *(*ping_finish)   (CairnStore           *self,
                                GAsyncResult         *result,
                                GError              **error);
};

void        cairn_store_list_async    (CairnStore           *self,
                                       const CairnQuery     *query,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
CairnPage  *cairn_store_list_finish   (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void        cairn_store_get_async     (CairnStore           *self,
                                       const char           *table,
                                       const char           *client_id,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
JsonObject *cairn_store_get_finish    (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void        cairn_store_insert_async  (CairnStore           *self,
                                       const char           *table,
                                       JsonObject           *document,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
JsonObject *cairn_store_insert_finish (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void        cairn_store_patch_async   (CairnStore           *self,
                                       const char           *table,
                                       const char           *client_id,
                                       JsonObject           *fields,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
JsonObject *cairn_store_patch_finish  (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void        cairn_store_remove_async  (CairnStore           *self,
                                       const char           *table,
                                       const char           *client_id,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean    cairn_store_remove_finish (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void        cairn_store_ping_async    (CairnStore           *self,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
JsonObject *cairn_store_ping_finish   (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);

void        cairn_store_upsert_async  (CairnStore           *self,
                                       const char           *table,
                                       JsonObject           *document,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
JsonObject *cairn_store_upsert_finish (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);

G_END_DECLS
