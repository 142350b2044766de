/* cairn-byod.h — Bring Your Own Database: where a workspace's content lives, and switching it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cairn-byod-config.h"
#include "cairn-migrator.h"
#include "cairn-types.h"

G_BEGIN_DECLS

/* What the user asked for is doing now; the Database page shows it. */
typedef enum {
  CAIRN_BYOD_IDLE,
  CAIRN_BYOD_TESTING,        /* Test Connection: the checks on what was entered */
  CAIRN_BYOD_CHECKING,       /* Save: the same checks, before switching */
  CAIRN_BYOD_SWITCHING_ON,
  CAIRN_BYOD_COUNTING,       /* switched on: does this computer hold conversations to move? */
  CAIRN_BYOD_MOVING,
  CAIRN_BYOD_SWITCHING_OFF,
  CAIRN_BYOD_UPDATING,       /* installing or updating the functions, migrating the data */
} CairnByodPhase;

#define CAIRN_TYPE_BYOD (cairn_byod_get_type ())

G_DECLARE_FINAL_TYPE (CairnByod, cairn_byod, CAIRN, BYOD, GObject)

CairnByod             *cairn_byod_new                (const char           *workspace_id,
                                                      CairnStore           *main_store,
                                                      CairnOutbox          *outbox,
                                                      CairnClock           *clock,
                                                      GNetworkMonitor      *network_monitor);

/* Where content lives */
const CairnByodConfig *cairn_byod_get_config         (CairnByod            *self);
gboolean               cairn_byod_get_enabled        (CairnByod            *self);
CairnStore            *cairn_byod_get_user_store     (CairnByod            *self);
void                   cairn_byod_set_user_store     (CairnByod            *self,
                                                      CairnStore           *user_store);
CairnConnection       *cairn_byod_get_connection     (CairnByod            *self);
CairnHealth           *cairn_byod_get_health         (CairnByod            *self);
CairnConvexClient     *cairn_byod_get_client         (CairnByod            *self,
                                                      const char           *url);
const char            *cairn_byod_get_local_path     (CairnByod            *self);

/* Switching */
void                   cairn_byod_enable_async       (CairnByod            *self,
                                                      const char           *url,
                                                      const char           *key,
                                                      JsonObject           *ping,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean               cairn_byod_enable_finish      (CairnByod            *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                   cairn_byod_disable_async      (CairnByod            *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean               cairn_byod_disable_finish     (CairnByod            *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                   cairn_byod_restore_async      (CairnByod            *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean               cairn_byod_restore_finish     (CairnByod            *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* What the Database page asks for, and how it goes */
CairnByodPhase         cairn_byod_get_phase          (CairnByod            *self);
gboolean               cairn_byod_get_busy           (CairnByod            *self);
CairnPreflight        *cairn_byod_get_preflight      (CairnByod            *self);
CairnContentMover     *cairn_byod_get_mover          (CairnByod            *self);
CairnByodPhase         cairn_byod_get_failed_phase   (CairnByod            *self);
const char            *cairn_byod_get_last_error     (CairnByod            *self);
void                   cairn_byod_test_connection    (CairnByod            *self,
                                                      const char           *url,
                                                      const char           *key);
void                   cairn_byod_save               (CairnByod            *self,
                                                      const char           *url,
                                                      const char           *key);
void                   cairn_byod_move_local_content (CairnByod            *self);
void                   cairn_byod_disconnect         (CairnByod            *self,
                                                      gboolean              copy_back);
void                   cairn_byod_resume_move        (CairnByod            *self);

/* Installing and updating the deployment's functions and data */
gboolean               cairn_byod_get_can_install    (CairnByod            *self);
gboolean               cairn_byod_get_can_update     (CairnByod            *self);
void                   cairn_byod_update_database    (CairnByod            *self,
                                                      const char           *url,
                                                      const char           *key);
gboolean               cairn_byod_get_updating       (CairnByod            *self);
CairnMigratorStage     cairn_byod_get_update_stage   (CairnByod            *self);
CairnPushStage         cairn_byod_get_update_push_stage (CairnByod         *self);
const char            *cairn_byod_get_update_message (CairnByod            *self);
double                 cairn_byod_get_update_fraction (CairnByod           *self);
const char            *cairn_byod_get_update_error   (CairnByod            *self);
GListModel            *cairn_byod_get_migration_history (CairnByod         *self);
void                   cairn_byod_load_migration_history (CairnByod        *self);

G_END_DECLS
