/* cairn-preflight.h — may Cairn use this deployment with this key?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CAIRN_PREFLIGHT_STEP_URL,        /* well formed and allowed */
  CAIRN_PREFLIGHT_STEP_REACHABLE,  /* the deployment answers */
  CAIRN_PREFLIGHT_STEP_KEY,        /* it accepts the deploy key */
  CAIRN_PREFLIGHT_STEP_FUNCTIONS,  /* the Cairn functions are deployed */
  CAIRN_PREFLIGHT_STEP_SCHEMA,     /* their schema version fits this app */
  CAIRN_PREFLIGHT_N_STEPS
} CairnPreflightStep;

typedef enum {
  CAIRN_PREFLIGHT_PENDING,
  CAIRN_PREFLIGHT_RUNNING,
  CAIRN_PREFLIGHT_PASSED,
  CAIRN_PREFLIGHT_FAILED,
  CAIRN_PREFLIGHT_SKIPPED,
} CairnPreflightState;

/* What Cairn itself can do about a failed check. */
typedef enum {
  CAIRN_PREFLIGHT_REMEDY_NONE,
  CAIRN_PREFLIGHT_REMEDY_INSTALL,  /* the functions are missing: install them */
  CAIRN_PREFLIGHT_REMEDY_UPDATE,   /* older functions, or data migrations pending: update */
} CairnPreflightRemedy;

#define CAIRN_TYPE_PREFLIGHT (cairn_preflight_get_type ())

G_DECLARE_FINAL_TYPE (CairnPreflight, cairn_preflight, CAIRN, PREFLIGHT, GObject)

CairnPreflight      *cairn_preflight_new          (void);
void                 cairn_preflight_run_async    (CairnPreflight      *self,
                                                   const char          *url,
                                                   const char          *key,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
JsonObject          *cairn_preflight_run_finish   (CairnPreflight      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
CairnPreflightState  cairn_preflight_get_state    (CairnPreflight      *self,
                                                   CairnPreflightStep   step);
const char          *cairn_preflight_get_message  (CairnPreflight      *self,
                                                   CairnPreflightStep   step);
CairnPreflightRemedy cairn_preflight_get_remedy   (CairnPreflight      *self);
const char          *cairn_preflight_step_title   (CairnPreflightStep   step);
char                *cairn_preflight_deploy_command (void);
gboolean             cairn_preflight_check_schema (JsonObject          *ping,
                                                   GError             **error);

G_END_DECLS
