/* cairn-health-check.h — one check of the user's deployment: timed requests and what they found
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-metrics.h"
#include "cairn-types.h"

G_BEGIN_DECLS

/**
 * CairnHealthCheckMode:
 * @CAIRN_HEALTH_CHECK_PING: cairn:ping only: the deployment answers, takes
 *   the key and has the Cairn functions of this app's schema
 * @CAIRN_HEALTH_CHECK_QUICK: and cairn:health, a read and a write on the
 *   deployment (functions without it: the ping alone)
 * @CAIRN_HEALTH_CHECK_FULL: the ping, then %CAIRN_HEALTH_CHECK_ROUNDS rounds
 *   of a timed read (a page of conversations) and a timed write
 *   (cairn:health, or removing a document that cannot exist with functions
 *   without it): enough requests to judge the deployment by themselves
 */
typedef enum {
  CAIRN_HEALTH_CHECK_PING,
  CAIRN_HEALTH_CHECK_QUICK,
  CAIRN_HEALTH_CHECK_FULL,
} CairnHealthCheckMode;

#define CAIRN_HEALTH_CHECK_ROUNDS 3

typedef enum {
  CAIRN_HEALTH_CHECK_IDLE,
  CAIRN_HEALTH_CHECK_PINGING,
  CAIRN_HEALTH_CHECK_READING,
  CAIRN_HEALTH_CHECK_WRITING,
  CAIRN_HEALTH_CHECK_DONE,
} CairnHealthCheckStage;

/**
 * CairnHealthCheckResult:
 * @mode: what was checked
 * @checked_at: wall-clock ms when the check started
 * @error: (nullable): the first failure; %NULL when every request succeeded
 * @reachable: the deployment answered cairn:ping (even if its schema does
 *   not fit): contact
 * @schema_version: the Cairn functions' schema version, 0 when unknown
 * @pending_migrations: (array zero-terminated=1): migrations the deployment
 *   still needs; empty when none or unknown
 * @server_time: the deployment's clock (ms) as cairn:health reported it, 0 when unknown
 * @server_read_ms: how long cairn:health's read took on the deployment, -1 when unknown
 * @server_write_ms: the same for its write
 * @has_health: the deployment has cairn:health (functions of schema 2 or later)
 * @requests: (element-type CairnRequestRecord): every request, in order
 *   (their @function is a static string)
 * @summary: those requests summed up (@minutes 0)
 */
typedef struct {
  CairnHealthCheckMode  mode;
  gint64                checked_at;
  GError               *error;
  gboolean              reachable;
  int                   schema_version;
  char                **pending_migrations;
  gint64                server_time;
  double                server_read_ms;
  double                server_write_ms;
  gboolean              has_health;
  GArray               *requests;
  CairnMetricsSummary  *summary;
} CairnHealthCheckResult;

#define CAIRN_TYPE_HEALTH_CHECK_RESULT (cairn_health_check_result_get_type ())

GType                   cairn_health_check_result_get_type   (void) G_GNUC_CONST;
CairnHealthCheckResult *cairn_health_check_result_new_failed (CairnHealthCheckMode          mode,
                                                              gint64                        checked_at,
                                                              const GError                 *error);
CairnHealthCheckResult *cairn_health_check_result_copy       (const CairnHealthCheckResult *self);
void                    cairn_health_check_result_free       (CairnHealthCheckResult       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnHealthCheckResult, cairn_health_check_result_free)

#define CAIRN_TYPE_HEALTH_CHECK (cairn_health_check_get_type ())

G_DECLARE_FINAL_TYPE (CairnHealthCheck, cairn_health_check, CAIRN, HEALTH_CHECK, GObject)

CairnHealthCheck       *cairn_health_check_new          (CairnConvexClient     *client,
                                                         CairnClock            *clock,
                                                         CairnHealthCheckMode   mode);
CairnHealthCheckStage   cairn_health_check_get_stage    (CairnHealthCheck      *self);
double                  cairn_health_check_get_fraction (CairnHealthCheck      *self);
void                    cairn_health_check_run_async    (CairnHealthCheck      *self,
                                                         GCancellable          *cancellable,
                                                         GAsyncReadyCallback    callback,
                                                         gpointer               user_data);
CairnHealthCheckResult *cairn_health_check_run_finish   (CairnHealthCheck      *self,
                                                         GAsyncResult          *result,
                                                         GError               **error);

G_END_DECLS
