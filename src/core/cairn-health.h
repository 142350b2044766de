/* cairn-health.h — how the user's deployment is doing: a verdict with its reasons, and its checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-byod-config.h"
#include "cairn-health-check.h"
#include "cairn-metrics.h"
#include "cairn-types.h"

G_BEGIN_DECLS

/**
 * CairnHealthVerdict:
 * @CAIRN_HEALTH_UNKNOWN: nothing to judge: content stays on this computer,
 *   or the first check has not answered yet
 * @CAIRN_HEALTH_HEALTHY: every threshold is kept
 * @CAIRN_HEALTH_DEGRADED: a warning threshold is crossed
 * @CAIRN_HEALTH_UNHEALTHY: a critical threshold is crossed, or the
 *   deployment cannot be used (unreachable, key refused, functions missing
 *   or of another schema, keyring unavailable)
 */
typedef enum {
  CAIRN_HEALTH_UNKNOWN,
  CAIRN_HEALTH_HEALTHY,
  CAIRN_HEALTH_DEGRADED,
  CAIRN_HEALTH_UNHEALTHY,
} CairnHealthVerdict;

/* The app's verdict looks at the requests of the last 15 minutes. */
#define CAIRN_HEALTH_WINDOW_MINUTES 15

/**
 * CairnHealthThresholds:
 * @query_warning_ms: degraded when queries take longer on average
 * @query_critical_ms: unhealthy when they take longer on average
 * @mutation_warning: degraded when fewer mutations succeed (percent)
 * @mutation_critical: unhealthy when fewer succeed (percent)
 * @error_warning: degraded when more requests fail (percent)
 * @error_critical: unhealthy when more fail (percent)
 *
 * Where the verdict changes. A value exactly at a threshold keeps it.
 * The GSettings keys health-query-warning-ms … health-error-critical hold
 * the user's; %CAIRN_HEALTH_THRESHOLDS_DEFAULT are the defaults.
 */
typedef struct {
  guint  query_warning_ms;
  guint  query_critical_ms;
  double mutation_warning;
  double mutation_critical;
  double error_warning;
  double error_critical;
} CairnHealthThresholds;

#define CAIRN_HEALTH_THRESHOLDS_DEFAULT ((CairnHealthThresholds) { 100, 500, 95.0, 90.0, 1.0, 5.0 })

CairnHealthVerdict  cairn_health_judge               (const CairnHealthThresholds  *thresholds,
                                                      const CairnMetricsSummary    *summary,
                                                      GPtrArray                    *reasons);
CairnHealthVerdict  cairn_health_judge_check         (const CairnHealthThresholds  *thresholds,
                                                      const CairnHealthCheckResult *result,
                                                      GPtrArray                    *reasons);
const char         *cairn_health_verdict_to_string   (CairnHealthVerdict            verdict);
const char         *cairn_health_verdict_describe    (CairnHealthVerdict            verdict);

#define CAIRN_TYPE_HEALTH (cairn_health_get_type ())

G_DECLARE_FINAL_TYPE (CairnHealth, cairn_health, CAIRN, HEALTH, GObject)

CairnHealth                  *cairn_health_new                    (const char                  *workspace_id,
                                                                   CairnStore                  *main_store,
                                                                   CairnClock                  *clock);
void                          cairn_health_set_connection         (CairnHealth                 *self,
                                                                   CairnConnection             *connection);
CairnConnection              *cairn_health_get_connection         (CairnHealth                 *self);
void                          cairn_health_restore                (CairnHealth                 *self,
                                                                   const CairnByodConfig       *config);
void                          cairn_health_check_now              (CairnHealth                 *self);

CairnHealthVerdict            cairn_health_get_verdict            (CairnHealth                 *self);
const char * const           *cairn_health_get_reasons            (CairnHealth                 *self);
gint64                        cairn_health_get_verdict_since      (CairnHealth                 *self);
const char                   *cairn_health_get_deployment_url     (CairnHealth                 *self);
CairnMetrics                 *cairn_health_get_metrics            (CairnHealth                 *self);
gboolean                      cairn_health_get_checking           (CairnHealth                 *self);
CairnHealthCheck             *cairn_health_get_check              (CairnHealth                 *self);
gint64                        cairn_health_get_last_check         (CairnHealth                 *self);
gint64                        cairn_health_get_last_success       (CairnHealth                 *self);
int                           cairn_health_get_schema_version     (CairnHealth                 *self);
const char * const           *cairn_health_get_pending_migrations (CairnHealth                 *self);
const char                   *cairn_health_get_last_error         (CairnHealth                 *self);
const CairnHealthCheckResult *cairn_health_get_last_result        (CairnHealth                 *self);
const CairnHealthThresholds  *cairn_health_get_thresholds         (CairnHealth                 *self);
void                          cairn_health_set_thresholds         (CairnHealth                 *self,
                                                                   const CairnHealthThresholds *thresholds);

G_END_DECLS
