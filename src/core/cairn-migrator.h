/* cairn-migrator.h — brings a deployment to this app's functions and data: push, lease, migrations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-clock.h"
#include "cairn-convex-client.h"
#include "cairn-functions-push.h"
#include "cairn-migration-record.h"

G_BEGIN_DECLS

typedef enum {
  CAIRN_MIGRATOR_IDLE,
  CAIRN_MIGRATOR_CHECKING,           /* cairn:ping: which functions, which migrations pending */
  CAIRN_MIGRATOR_INSTALLING,         /* pushing the functions (:push-stage says where) */
  CAIRN_MIGRATOR_WAITING_FOR_LEASE,  /* another computer is migrating this deployment */
  CAIRN_MIGRATOR_MIGRATING,
  CAIRN_MIGRATOR_DONE,
  CAIRN_MIGRATOR_FAILED,
} CairnMigratorStage;

/* A lease not renewed for this long is free again: what a crashed runner leaves. */
#define CAIRN_MIGRATOR_LEASE_TTL_MS    30000
/* How often a runner that waits for the lease asks again. */
#define CAIRN_MIGRATOR_LEASE_RETRY_MS  2000
/* Documents per migration step at first; halved when a step hits a transaction limit. */
#define CAIRN_MIGRATOR_FIRST_BATCH     200

#define CAIRN_TYPE_MIGRATOR (cairn_migrator_get_type ())

G_DECLARE_FINAL_TYPE (CairnMigrator, cairn_migrator, CAIRN, MIGRATOR, GObject)

CairnMigrator      *cairn_migrator_new                  (CairnConvexClient    *client,
                                                         CairnClock           *clock,
                                                         const char           *owner,
                                                         GBytes               *bundle);
CairnMigratorStage  cairn_migrator_get_stage            (CairnMigrator        *self);
CairnPushStage      cairn_migrator_get_push_stage       (CairnMigrator        *self);
const char         *cairn_migrator_get_message          (CairnMigrator        *self);
double              cairn_migrator_get_fraction         (CairnMigrator        *self);
void                cairn_migrator_update_async         (CairnMigrator        *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean            cairn_migrator_update_finish        (CairnMigrator        *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                cairn_migrator_load_history_async   (CairnMigrator        *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
GPtrArray          *cairn_migrator_load_history_finish  (CairnMigrator        *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

G_END_DECLS
