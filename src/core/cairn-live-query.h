/* cairn-live-query.h — the first page of a listing on the deployment, kept up to date
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-clock.h"
#include "cairn-store.h"
#include "cairn-sync-client.h"

G_BEGIN_DECLS

/* How often a listing is asked for again while the socket is refused. */
#define CAIRN_LIVE_QUERY_POLL_MS 3000

#define CAIRN_TYPE_LIVE_QUERY (cairn_live_query_get_type ())

G_DECLARE_FINAL_TYPE (CairnLiveQuery, cairn_live_query, CAIRN, LIVE_QUERY, GObject)

CairnLiveQuery   *cairn_live_query_new         (CairnSyncClient  *sync,
                                                CairnStore       *store,
                                                CairnClock       *clock,
                                                const CairnQuery *query);
gboolean          cairn_live_query_get_polling (CairnLiveQuery   *self);

G_END_DECLS
