/* cairn-sync-client.h — live query results over Convex's sync protocol (WebSocket)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-clock.h"
#include "cairn-convex-client.h"

G_BEGIN_DECLS

typedef enum {
  CAIRN_SYNC_IDLE,        /* not started, or stopped */
  CAIRN_SYNC_CONNECTING,  /* connecting or reconnecting, fewer than CAIRN_SYNC_RETRIES failures in a row */
  CAIRN_SYNC_LIVE,        /* socket open; the server's first Transition on this socket arrived */
  CAIRN_SYNC_LOST,        /* CAIRN_SYNC_RETRIES (3) failures in a row; keeps retrying (backoff, jitter, cap 10 s) */
  CAIRN_SYNC_REFUSED,     /* the server answered the upgrade with an HTTP status instead of 101
                             (a proxy or server that refuses WebSockets); no retry until resync() */
} CairnSyncState;

#define CAIRN_SYNC_RETRIES 3

/* Reconnecting: 100 ms doubling, capped at 10 s, with jitter. */
#define CAIRN_SYNC_BACKOFF_BASE_MS 100
#define CAIRN_SYNC_BACKOFF_CAP_MS  10000
/* No frame for this long (the server sends a Ping after 15 s of quiet): reconnect. */
#define CAIRN_SYNC_DEFAULT_INACTIVITY_TIMEOUT_MS 60000

#define CAIRN_TYPE_SYNC_CLIENT (cairn_sync_client_get_type ())

G_DECLARE_FINAL_TYPE (CairnSyncClient, cairn_sync_client, CAIRN, SYNC_CLIENT, GObject)

CairnSyncClient *cairn_sync_client_new         (CairnConvexClient *client,
                                                CairnClock        *clock);
void             cairn_sync_client_start       (CairnSyncClient   *self);
void             cairn_sync_client_stop        (CairnSyncClient   *self);
void             cairn_sync_client_resync      (CairnSyncClient   *self);
guint            cairn_sync_client_subscribe   (CairnSyncClient   *self,
                                                const char        *udf_path,
                                                JsonObject        *args);
void             cairn_sync_client_unsubscribe (CairnSyncClient   *self,
                                                guint              query_id);
CairnSyncState   cairn_sync_client_get_state   (CairnSyncClient   *self);
const GError    *cairn_sync_client_get_error   (CairnSyncClient   *self);

G_END_DECLS
