/* cairn-migration-record.h — one data migration as the deployment records it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CAIRN_MIGRATION_PENDING,
  CAIRN_MIGRATION_RUNNING,    /* started and not finished: the next run resumes it */
  CAIRN_MIGRATION_COMPLETED,
  CAIRN_MIGRATION_FAILED,
  CAIRN_MIGRATION_SKIPPED,
} CairnMigrationStatus;

#define CAIRN_TYPE_MIGRATION_RECORD (cairn_migration_record_get_type ())

G_DECLARE_FINAL_TYPE (CairnMigrationRecord, cairn_migration_record, CAIRN, MIGRATION_RECORD, GObject)

CairnMigrationRecord *cairn_migration_record_new_from_json   (JsonObject           *object);
const char           *cairn_migration_record_get_migration_id (CairnMigrationRecord *self);
int                   cairn_migration_record_get_version      (CairnMigrationRecord *self);
const char           *cairn_migration_record_get_name         (CairnMigrationRecord *self);
const char           *cairn_migration_record_get_description  (CairnMigrationRecord *self);
CairnMigrationStatus  cairn_migration_record_get_status       (CairnMigrationRecord *self);
guint64               cairn_migration_record_get_processed    (CairnMigrationRecord *self);
const char           *cairn_migration_record_get_error        (CairnMigrationRecord *self);
gint64                cairn_migration_record_get_started_at   (CairnMigrationRecord *self);
gint64                cairn_migration_record_get_completed_at (CairnMigrationRecord *self);
const char           *cairn_migration_status_title            (CairnMigrationStatus  status);

G_END_DECLS
