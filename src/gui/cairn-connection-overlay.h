/* cairn-connection-overlay.h — blocks the window while the user's database is not connected
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_CONNECTION_OVERLAY_DASHBOARD_URL "https://dashboard.convex.dev"

#define CAIRN_TYPE_CONNECTION_OVERLAY (cairn_connection_overlay_get_type ())

G_DECLARE_FINAL_TYPE (CairnConnectionOverlay, cairn_connection_overlay, CAIRN, CONNECTION_OVERLAY, GtkWidget)

GtkWidget      *cairn_connection_overlay_new           (CairnWorkspace         *workspace);
CairnWorkspace *cairn_connection_overlay_get_workspace (CairnConnectionOverlay *self);
void            cairn_connection_overlay_set_workspace (CairnConnectionOverlay *self,
                                                        CairnWorkspace         *workspace);
gboolean        cairn_connection_overlay_get_blocking  (CairnConnectionOverlay *self);

G_END_DECLS
