/* cairn-window.h — the main window: conversations beside the one shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_WINDOW (cairn_window_get_type ())

G_DECLARE_FINAL_TYPE (CairnWindow, cairn_window, CAIRN, WINDOW, AdwApplicationWindow)

CairnWindow    *cairn_window_new           (GtkApplication *application,
                                            CairnWorkspace *workspace);
CairnWorkspace *cairn_window_get_workspace (CairnWindow    *self);
void            cairn_window_add_toast     (CairnWindow    *self,
                                            const char     *title);

G_END_DECLS
