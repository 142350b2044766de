/* cairn-functions-push.h — one push of the Cairn functions to a deployment
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-convex-client.h"

G_BEGIN_DECLS

/* Where a push stands; FAILED and DONE are final. */
typedef enum {
  CAIRN_PUSH_STAGE_IDLE,
  CAIRN_PUSH_STAGE_UPLOADING,        /* start_push: the deployment takes and analyses the modules */
  CAIRN_PUSH_STAGE_CHECKING_SCHEMA,  /* wait_for_schema: stored documents checked, indexes built */
  CAIRN_PUSH_STAGE_ACTIVATING,       /* finish_push: the new functions go live */
  CAIRN_PUSH_STAGE_DONE,
  CAIRN_PUSH_STAGE_FAILED,
} CairnPushStage;

/* Where the push bundle is in the app's GResource. */
#define CAIRN_FUNCTIONS_BUNDLE_RESOURCE "/io/github/cairnapp/Cairn/convex/cairn-functions.json"

#define CAIRN_TYPE_FUNCTIONS_PUSH (cairn_functions_push_get_type ())

G_DECLARE_FINAL_TYPE (CairnFunctionsPush, cairn_functions_push, CAIRN, FUNCTIONS_PUSH, GObject)

GBytes             *cairn_functions_bundle_load         (GError              **error);

CairnFunctionsPush *cairn_functions_push_new            (CairnConvexClient    *client,
                                                         GBytes               *bundle);
CairnPushStage      cairn_functions_push_get_stage      (CairnFunctionsPush   *self);
double              cairn_functions_push_get_fraction   (CairnFunctionsPush   *self);
const char         *cairn_functions_push_stage_title    (CairnPushStage        stage);
void                cairn_functions_push_run_async      (CairnFunctionsPush   *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean            cairn_functions_push_run_finish     (CairnFunctionsPush   *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
