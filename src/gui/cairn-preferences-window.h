/* cairn-preferences-window.h — Preferences, with the Database page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_PREFERENCES_WINDOW (cairn_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (CairnPreferencesWindow, cairn_preferences_window, CAIRN, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget      *cairn_preferences_window_new                   (CairnWorkspace         *workspace);
CairnWorkspace *cairn_preferences_window_get_workspace         (CairnPreferencesWindow *self);
void            cairn_preferences_window_set_visible_page_name (CairnPreferencesWindow *self,
                                                                const char             *name);

G_END_DECLS
