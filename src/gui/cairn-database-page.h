/* cairn-database-page.h — Preferences: where content lives, and Bring Your Own Database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-workspace.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_DATABASE_PAGE (cairn_database_page_get_type ())

G_DECLARE_FINAL_TYPE (CairnDatabasePage, cairn_database_page, CAIRN, DATABASE_PAGE, AdwPreferencesPage)

GtkWidget      *cairn_database_page_new           (CairnWorkspace    *workspace);
CairnWorkspace *cairn_database_page_get_workspace (CairnDatabasePage *self);
void            cairn_database_page_set_workspace (CairnDatabasePage *self,
                                                   CairnWorkspace    *workspace);
gboolean        cairn_database_page_get_busy      (CairnDatabasePage *self);

G_END_DECLS
