/* cairn-connection.h — the user's deployment as the app sees it: connected or blocked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-block-reason.h"
#include "cairn-clock.h"
#include "cairn-convex-client.h"
#include "cairn-health-check.h"
#include "cairn-store.h"

G_BEGIN_DECLS

typedef enum {
  CAIRN_CONNECTION_CONNECTING,
  CAIRN_CONNECTION_CONNECTED,
  CAIRN_CONNECTION_BLOCKED,
} CairnConnectionState;

/* Per-request retries: 100 ms, 200 ms, 400 ms, each with jitter. */
#define CAIRN_CONNECTION_REQUEST_RETRIES     3
#define CAIRN_CONNECTION_REQUEST_BASE_MS     100
/* Probes while blocked: 1 s doubling, capped at 10 s, with jitter. */
#define CAIRN_CONNECTION_PROBE_BASE_MS       1000
#define CAIRN_CONNECTION_PROBE_CAP_MS        10000
#define CAIRN_CONNECTION_DEFAULT_INTERVAL_S  300

#define CAIRN_TYPE_CONNECTION (cairn_connection_get_type ())

G_DECLARE_FINAL_TYPE (CairnConnection, cairn_connection, CAIRN, CONNECTION, GObject)

CairnConnection      *cairn_connection_new                    (const char        *workspace_id,
                                                               CairnConvexClient *client,
                                                               CairnClock        *clock,
                                                               GNetworkMonitor   *monitor);
CairnConnection      *cairn_connection_new_unusable           (const char        *workspace_id,
                                                               const GError      *config_error,
                                                               CairnClock        *clock,
                                                               GNetworkMonitor   *monitor);
void                  cairn_connection_start                  (CairnConnection   *self);
void                  cairn_connection_retry                  (CairnConnection   *self);
void                  cairn_connection_check_health           (CairnConnection   *self);
CairnHealthCheck     *cairn_connection_get_check              (CairnConnection   *self);
CairnConnectionState  cairn_connection_get_state              (CairnConnection   *self);
CairnBlockReason      cairn_connection_get_reason             (CairnConnection   *self);
const GError         *cairn_connection_get_error              (CairnConnection   *self);
gboolean              cairn_connection_get_probing            (CairnConnection   *self);
guint                 cairn_connection_get_failed_retries     (CairnConnection   *self);
gint64                cairn_connection_get_next_attempt       (CairnConnection   *self);
gint64                cairn_connection_get_last_success       (CairnConnection   *self);
guint                 cairn_connection_get_health_check_interval (CairnConnection *self);
void                  cairn_connection_set_health_check_interval (CairnConnection *self,
                                                                  guint            seconds);
CairnConvexClient    *cairn_connection_get_client             (CairnConnection   *self);
CairnSyncClient      *cairn_connection_get_sync               (CairnConnection   *self);
CairnLiveQuery       *cairn_connection_watch                  (CairnConnection   *self,
                                                               const CairnQuery  *query);
guint                 cairn_connection_backoff_ms             (CairnConnection   *self,
                                                               guint              base_ms,
                                                               guint              attempt,
                                                               guint              cap_ms);

G_END_DECLS
