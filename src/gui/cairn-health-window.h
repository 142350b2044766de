/* cairn-health-window.h — Database Health: how the user's deployment is doing, and a check now
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_HEALTH_WINDOW (cairn_health_window_get_type ())

G_DECLARE_FINAL_TYPE (CairnHealthWindow, cairn_health_window, CAIRN, HEALTH_WINDOW, AdwWindow)

GtkWidget *cairn_health_window_new (CairnHealth *health,
                                    CairnByod   *byod);

G_END_DECLS
