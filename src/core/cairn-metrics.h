/* cairn-metrics.h — how the requests to the user's deployment went: timed, classified, summed up
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-types.h"

G_BEGIN_DECLS

/* What kind of request: the three function routes of the Convex HTTP API,
 * and the routes that push the Cairn functions to a deployment. */
typedef enum {
  CAIRN_REQUEST_QUERY,
  CAIRN_REQUEST_MUTATION,
  CAIRN_REQUEST_ACTION,
  CAIRN_REQUEST_PUSH,
  CAIRN_REQUEST_N_KINDS
} CairnRequestKind;

typedef enum {
  CAIRN_REQUEST_SUCCEEDED,
  CAIRN_REQUEST_FAILED,
} CairnRequestOutcome;

/* A request slower than this is a slow request, kept with its function's name. */
#define CAIRN_METRICS_SLOW_MS          500
/* Summaries and the series reach this far back, in minutes (24 hours). */
#define CAIRN_METRICS_MAX_WINDOW       (24 * 60)
/* Per-minute summaries are kept in the main store this long. */
#define CAIRN_METRICS_HISTORY_DAYS     30
/* "changed" comes at most this often. */
#define CAIRN_METRICS_CHANGED_DELAY_MS 500
/* A percentile is within 1/64 (1.6 %) of the exact nearest-rank value. */
#define CAIRN_METRICS_PRECISION        64

/**
 * CairnRequestRecord:
 * @kind: the route
 * @function: "module:function", or the push route; only read during the call
 * @outcome: whether the deployment's answer was a success
 * @error_code: when it failed, a #CairnConvexError code
 * @duration_us: from the request leaving to its answer (or its failure)
 *
 * One request to the deployment, as cairn_metrics_record() takes it.
 */
typedef struct {
  CairnRequestKind     kind;
  const char          *function;
  CairnRequestOutcome  outcome;
  int                  error_code;
  gint64               duration_us;
} CairnRequestRecord;

/**
 * CairnLatency:
 *
 * The requests of one kind (or of every kind) in a window. Durations in
 * milliseconds; the percentiles are nearest-rank, within
 * 1/%CAIRN_METRICS_PRECISION; all 0 when @count is 0.
 */
typedef struct {
  guint  count;
  guint  failed;
  double average_ms;
  double p50_ms;
  double p95_ms;
  double p99_ms;
  double max_ms;
} CairnLatency;

/* How many requests failed with one #CairnConvexError code. */
typedef struct {
  int   code;
  guint count;
} CairnErrorCount;

/* Requests to one function that took longer than %CAIRN_METRICS_SLOW_MS. */
typedef struct {
  const char       *function;  /* interned */
  CairnRequestKind  kind;
  guint             count;
  double            max_ms;
} CairnSlowRequest;

/**
 * CairnMetricsSummary:
 * @minutes: the window in minutes; 0 for the requests of one health check
 * @start_ms: wall-clock ms where the window starts (its first minute)
 * @end_ms: wall-clock ms where it ends
 * @count: requests of every kind
 * @failed: of which failed
 * @retries: requests the connection sent again after a retryable failure
 * @by_kind: per #CairnRequestKind: @by_kind[CAIRN_REQUEST_QUERY] are the queries
 * @all: every kind together
 * @mutation_success_rate: 0–1, of the mutations; 1 when there were none
 * @error_rate: 0–1, of every request; 0 when there were none
 * @errors: (element-type CairnErrorCount): the failures by code, most first
 * @slow: (element-type CairnSlowRequest): slow requests by function, most first
 *
 * What cairn_metrics_summarize() found in a window.
 */
typedef struct {
  guint         minutes;
  gint64        start_ms;
  gint64        end_ms;
  guint         count;
  guint         failed;
  guint         retries;
  CairnLatency  by_kind[CAIRN_REQUEST_N_KINDS];
  CairnLatency  all;
  double        mutation_success_rate;
  double        error_rate;
  GArray       *errors;
  GArray       *slow;
} CairnMetricsSummary;

/**
 * CairnMetricsPoint:
 * @minute_ms: wall-clock ms where the minute starts
 * @count: requests that ended in it, every kind
 * @p50_ms, @p95_ms: their latency
 *
 * One minute of the series a chart draws.
 */
typedef struct {
  gint64 minute_ms;
  guint  count;
  guint  failed;
  double average_ms;
  double p50_ms;
  double p95_ms;
} CairnMetricsPoint;

#define CAIRN_TYPE_METRICS_SUMMARY (cairn_metrics_summary_get_type ())

GType                cairn_metrics_summary_get_type (void) G_GNUC_CONST;
CairnMetricsSummary *cairn_metrics_summary_copy     (const CairnMetricsSummary *self);
void                 cairn_metrics_summary_free     (CairnMetricsSummary       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnMetricsSummary, cairn_metrics_summary_free)

#define CAIRN_TYPE_METRICS (cairn_metrics_get_type ())

G_DECLARE_FINAL_TYPE (CairnMetrics, cairn_metrics, CAIRN, METRICS, GObject)

CairnMetrics        *cairn_metrics_new             (CairnClock                *clock,
                                                    CairnStore                *store,
                                                    const char                *workspace_id,
                                                    const char                *deployment_url);
const char          *cairn_metrics_get_deployment_url (CairnMetrics           *self);
gint64               cairn_metrics_get_time        (CairnMetrics              *self);
void                 cairn_metrics_record          (CairnMetrics              *self,
                                                    const CairnRequestRecord  *record);
void                 cairn_metrics_record_retry    (CairnMetrics              *self);
CairnMetricsSummary *cairn_metrics_summarize       (CairnMetrics              *self,
                                                    guint                      minutes);
CairnMetricsSummary *cairn_metrics_summarize_since (CairnMetrics              *self,
                                                    guint                      minutes,
                                                    gint64                     since_ms);
GArray              *cairn_metrics_get_series      (CairnMetrics              *self,
                                                    guint                      minutes);
void                 cairn_metrics_load_async      (CairnMetrics              *self,
                                                    GCancellable              *cancellable,
                                                    GAsyncReadyCallback        callback,
                                                    gpointer                   user_data);
gboolean             cairn_metrics_load_finish     (CairnMetrics              *self,
                                                    GAsyncResult              *result,
                                                    GError                   **error);

CairnMetricsSummary *cairn_metrics_summarize_records (const CairnRequestRecord *records,
                                                      guint                     n_records);
const char          *cairn_request_kind_to_string  (CairnRequestKind           kind);
const char          *cairn_metrics_error_nick      (int                        code);
const char          *cairn_metrics_error_label     (int                        code);

G_END_DECLS
