/* cairn-schema.h — Cairn's tables, their fields and indexes
 *
 * The one description of every table Cairn stores, shared by the local
 * store (which derives its SQL from it) and by validation everywhere.
 * data/convex/schema.ts mirrors it for the user's deployment.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CAIRN_MAX_INDEX_FIELDS 4

typedef enum {
  CAIRN_FIELD_STRING,
  CAIRN_FIELD_BOOLEAN,
  CAIRN_FIELD_NUMBER,
} CairnFieldType;

typedef struct {
  const char     *name;
  CairnFieldType  type;
} CairnFieldSpec;

typedef struct {
  const char *name;
  /* NULL-terminated; the store breaks ties by insertion order */
  const char *fields[CAIRN_MAX_INDEX_FIELDS + 1];
} CairnIndexSpec;

typedef struct {
  const char           *name;
  /* every field is required; "clientId" (a UUID string) is always first */
  const CairnFieldSpec *fields;
  guint                 n_fields;
  const CairnIndexSpec *indexes;
  guint                 n_indexes;
  /* removing a row of parent_table removes the rows whose parent_field is its clientId */
  const char           *parent_table;
  const char           *parent_field;
} CairnTableSpec;

const CairnTableSpec  *cairn_schema_lookup_table        (const char            *name);
const CairnTableSpec **cairn_schema_list_tables         (guint                 *n_tables);
const CairnIndexSpec  *cairn_table_spec_lookup_index    (const CairnTableSpec  *table,
                                                         const char            *index);
const CairnFieldSpec  *cairn_table_spec_lookup_field    (const CairnTableSpec  *table,
                                                         const char            *field);
const CairnTableSpec  *cairn_table_spec_child           (const CairnTableSpec  *table);
guint                  cairn_index_spec_n_fields        (const CairnIndexSpec  *index);
gboolean               cairn_schema_check_value         (const CairnFieldSpec  *field,
                                                         JsonNode              *value,
                                                         GError               **error);
gboolean               cairn_schema_validate_document   (const CairnTableSpec  *table,
                                                         JsonObject            *document,
                                                         GError               **error);
gboolean               cairn_schema_validate_patch      (const CairnTableSpec  *table,
                                                         JsonObject            *fields,
                                                         GError               **error);
gboolean               cairn_is_client_id               (const char            *text);
gboolean               cairn_schema_check_client_id     (const char            *client_id,
                                                         GError               **error);
char                  *cairn_client_id_for_name         (const char            *name);

G_END_DECLS
