/* cairn-migration-row.h — one data migration of the user's deployment, in Preferences' history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-migration-record.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_MIGRATION_ROW (cairn_migration_row_get_type ())

G_DECLARE_FINAL_TYPE (CairnMigrationRow, cairn_migration_row, CAIRN, MIGRATION_ROW, AdwPreferencesRow)

GtkWidget            *cairn_migration_row_new        (CairnMigrationRecord *record);
CairnMigrationRecord *cairn_migration_row_get_record (CairnMigrationRow    *self);

G_END_DECLS
