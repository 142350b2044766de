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

/**
 * CairnStoreWrite:
 * @kind: insert, patch or remove
 * @table: the table
 * @client_id: the document's clientId (for an insert, the document's own)
 * @object: (nullable): an insert's document, a patch's fields; %NULL for a remove
 * @done: whether the store answered for this write (set by cairn_store_apply_async())
 * @stored: (nullable): what the store answered for an insert or a patch
 * @error: (nullable): why the store refused this write for good
 *
 * One write of a batch (cairn_store_apply_async()) and, once the batch was
 * applied, how it ended.
 */
typedef enum {
  CAIRN_STORE_WRITE_INSERT,
  CAIRN_STORE_WRITE_PATCH,
  CAIRN_STORE_WRITE_REMOVE,
} CairnStoreWriteKind;

typedef struct {
  CairnStoreWriteKind  kind;
  char                *table;
  char                *client_id;
  JsonObject          *object;
  gboolean             done;
  JsonObject          *stored;
  GError              *error;
} CairnStoreWrite;

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
  /* optional: without it, cairn_store_apply_async() sends the writes one by one */
  void        (*apply_async)   (CairnStore           *self,
                                GPtrArray            *writes,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data);
  gboolean    (*apply_finish)  (CairnStore           *self,
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

CairnStoreWrite *cairn_store_write_new     (CairnStoreWriteKind   kind,
                                           const char           *table,
                                           const char           *client_id,
                                           JsonObject           *object);
void             cairn_store_write_free    (CairnStoreWrite      *write);
gboolean         cairn_store_error_is_refusal (const GError      *error);

/* One write on its own (for the stores' one-at-a-time paths). */
void             cairn_store_write_send    (CairnStore           *self,
                                            CairnStoreWrite      *write,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean         cairn_store_write_settle  (CairnStore           *self,
                                            CairnStoreWrite      *write,
                                            GAsyncResult         *result,
                                            GError              **error);

void        cairn_store_apply_async   (CairnStore           *self,
                                       GPtrArray            *writes,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean    cairn_store_apply_finish  (CairnStore           *self,
                                       GAsyncResult         *result,
                                       GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnStoreWrite, cairn_store_write_free)

G_END_DECLS
