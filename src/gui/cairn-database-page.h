/* cairn-database-page.h — Preferences: where content lives, and Bring Your Own Database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_DATABASE_PAGE (cairn_database_page_get_type ())

G_DECLARE_FINAL_TYPE (CairnDatabasePage, cairn_database_page, CAIRN, DATABASE_PAGE, AdwPreferencesPage)

GtkWidget *cairn_database_page_new      (CairnByod         *byod);
CairnByod *cairn_database_page_get_byod (CairnDatabasePage *self);
void       cairn_database_page_set_byod (CairnDatabasePage *self,
                                         CairnByod         *byod);

G_END_DECLS
