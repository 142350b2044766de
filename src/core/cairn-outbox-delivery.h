/* cairn-outbox-delivery.h — an outbox's writes, delivered to a store in order, exactly once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cairn-outbox.h"
#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_OUTBOX_DELIVERY (cairn_outbox_delivery_get_type ())

G_DECLARE_FINAL_TYPE (CairnOutboxDelivery, cairn_outbox_delivery, CAIRN, OUTBOX_DELIVERY, GObject)

CairnOutboxDelivery *cairn_outbox_delivery_new           (CairnOutbox          *outbox);
void                 cairn_outbox_delivery_set_store     (CairnOutboxDelivery  *self,
                                                          CairnStore           *store);
void                 cairn_outbox_delivery_write_async   (CairnOutboxDelivery  *self,
                                                          CairnOutboxOperation  operation,
                                                          const char           *table,
                                                          const char           *document_id,
                                                          JsonObject           *payload,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
JsonObject          *cairn_outbox_delivery_write_finish  (CairnOutboxDelivery  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void                 cairn_outbox_delivery_flush         (CairnOutboxDelivery  *self);
guint                cairn_outbox_delivery_get_count     (CairnOutboxDelivery  *self);
gboolean             cairn_outbox_delivery_has_writes_for (CairnOutboxDelivery *self,
                                                          const char           *client_id);
GPtrArray           *cairn_outbox_delivery_list_pending  (CairnOutboxDelivery  *self,
                                                          const char           *table);
void                 cairn_outbox_delivery_retry_async   (CairnOutboxDelivery  *self,
                                                          const char           *table,
                                                          const char           *client_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             cairn_outbox_delivery_retry_finish  (CairnOutboxDelivery  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void                 cairn_outbox_delivery_discard_async (CairnOutboxDelivery  *self,
                                                          const char           *table,
                                                          const char           *client_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             cairn_outbox_delivery_discard_finish (CairnOutboxDelivery *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

G_END_DECLS
