/* cairn-convex-store.h — CairnStore over the Cairn functions on a Convex deployment
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-convex-client.h"
#include "cairn-store.h"

G_BEGIN_DECLS

/* What one documents:apply call takes (data/convex/convex/documents.ts):
 * cairn_store_apply_async() splits longer batches into calls of at most this
 * many writes and bytes of JSON. */
#define CAIRN_CONVEX_BATCH_MAX_WRITES 500
#define CAIRN_CONVEX_BATCH_MAX_BYTES  (8 * 1024 * 1024)

#define CAIRN_TYPE_CONVEX_STORE (cairn_convex_store_get_type ())

G_DECLARE_FINAL_TYPE (CairnConvexStore, cairn_convex_store, CAIRN, CONVEX_STORE, GObject)

CairnConvexStore  *cairn_convex_store_new        (CairnConvexClient *client);
JsonObject        *cairn_convex_store_list_args  (const CairnQuery  *query,
                                                  GError           **error);
CairnPage         *cairn_convex_store_read_page  (const char        *table,
                                                  JsonNode          *value,
                                                  GError           **error);

G_END_DECLS
