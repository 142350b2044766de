/* cairn-local-schema.h — the local database's tables: made from the schema, upgraded by version
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "cairn-schema.h"

G_BEGIN_DECLS

/* The steps return FALSE when SQLite failed; the reason is then the
 * handle's own (sqlite3_errcode(), sqlite3_errmsg()) until it runs anything
 * else. Each runs inside the caller's transaction. */

int       cairn_local_schema_latest_version   (void);
gboolean  cairn_local_schema_upgrade_step     (sqlite3               *db,
                                               int                    version);
gboolean  cairn_local_schema_create_missing   (sqlite3               *db);
char     *cairn_local_schema_create_table_sql (const CairnTableSpec  *table);
char     *cairn_local_schema_create_index_sql (const CairnTableSpec  *table,
                                               const CairnIndexSpec  *index);
GStrv     cairn_local_schema_create_count_triggers_sql (const CairnTableSpec *table);

G_END_DECLS
