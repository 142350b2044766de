/* cairn-workspace-private.h — what cairn-workspace.c and cairn-workspace-byod.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-byod-config.h"
#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-outbox.h"
#include "cairn-workspace.h"

G_BEGIN_DECLS

struct _CairnWorkspace
{
  GObject          parent_instance;
  char            *id;
  CairnStore      *main_store;
  CairnStore      *user_store;

  /* Bring Your Own Database */
  CairnByodConfig *byod_config;
  GHashTable      *clients;       /* deployment URL -> CairnConvexClient */
  CairnClock      *clock;
  GNetworkMonitor *network_monitor;
  guint            health_check_interval;
  CairnConnectionState connection_state;

  /* writes for the deployment (cairn-workspace-outbox.c) */
  CairnOutbox     *outbox;
  GHashTable      *waiting;       /* CairnOutboxEntry -> GTask of the caller */
  gboolean         flushing;
};

void        cairn_workspace_notify_byod_config   (CairnWorkspace      *self);
void        cairn_workspace_emit_storage_changed (CairnWorkspace      *self);
void        cairn_workspace_queue_write          (CairnWorkspace       *self,
                                                  GTask                *task,
                                                  CairnOutboxOperation  operation,
                                                  const char           *table,
                                                  const char           *document_id,
                                                  JsonObject           *payload);
void        cairn_workspace_flush_outbox         (CairnWorkspace      *self);

G_END_DECLS
