/* cairn-content-mover.h — moving content between this computer and a deployment
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-types.h"

G_BEGIN_DECLS

typedef enum {
  /* BYOD switched on: local content goes up, local copies removed once verified */
  CAIRN_CONTENT_MOVE_TO_DEPLOYMENT,
  /* BYOD switched off: the deployment's content is copied down, nothing removed there */
  CAIRN_CONTENT_MOVE_TO_LOCAL,
} CairnContentMoveDirection;

typedef enum {
  CAIRN_CONTENT_MOVE_COUNTING,
  CAIRN_CONTENT_MOVE_COPYING,
  CAIRN_CONTENT_MOVE_VERIFYING,
  CAIRN_CONTENT_MOVE_REMOVING,
  CAIRN_CONTENT_MOVE_DONE,
} CairnContentMovePhase;

#define CAIRN_TYPE_CONTENT_MOVER (cairn_content_mover_get_type ())

G_DECLARE_FINAL_TYPE (CairnContentMover, cairn_content_mover, CAIRN, CONTENT_MOVER, GObject)

CairnContentMover     *cairn_content_mover_new          (CairnStore                *journal,
                                                         const char                *workspace_id,
                                                         const char                *deployment_url,
                                                         CairnStore                *from,
                                                         CairnStore                *to,
                                                         CairnContentMoveDirection  direction,
                                                         CairnClock                *clock);
void                   cairn_content_mover_run_async    (CairnContentMover         *self,
                                                         GCancellable              *cancellable,
                                                         GAsyncReadyCallback        callback,
                                                         gpointer                   user_data);
gboolean               cairn_content_mover_run_finish   (CairnContentMover         *self,
                                                         GAsyncResult              *result,
                                                         GError                   **error);
CairnContentMoveDirection cairn_content_mover_get_direction (CairnContentMover      *self);
CairnContentMovePhase  cairn_content_mover_get_phase    (CairnContentMover         *self);
guint                  cairn_content_mover_get_copied   (CairnContentMover         *self);
guint                  cairn_content_mover_get_total    (CairnContentMover         *self);
double                 cairn_content_mover_get_fraction (CairnContentMover         *self);

G_END_DECLS
