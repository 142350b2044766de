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

/* What a Convex deployment accepts: a document of at most 1 MiB, a request
 * of at most 16 MiB. */
#define CAIRN_CONVEX_MAX_DOCUMENT_SIZE (1024 * 1024)
#define CAIRN_CONVEX_MAX_REQUEST_SIZE  (16 * 1024 * 1024)

/**
 * CAIRN_MAX_DOCUMENT_SIZE:
 *
 * The most bytes a document of content (a table a deployment may hold) can
 * take as cairn_schema_document_size() measures it: its JSON text. Both
 * stores refuse more, so nothing is kept on this computer that a deployment
 * would refuse later.
 *
 * Convex counts a document its own way: 2 bytes for the object, per field
 * its name plus 1, per string its UTF-8 bytes plus 2, 9 bytes a number, 1 a
 * boolean; and it adds the system fields it stores with every document,
 * _id (about 40 bytes) and _creationTime (23). The JSON text is never
 * smaller than Convex's count for the object, strings and booleans, and at
 * most 6 bytes smaller for a number ("5" against 9 bytes). The margin covers
 * the system fields and every number of a table many times over.
 *
 * One write is one request carrying one document, so a document within this
 * limit keeps every request far below %CAIRN_CONVEX_MAX_REQUEST_SIZE.
 */
#define CAIRN_DOCUMENT_SIZE_MARGIN 1024
#define CAIRN_MAX_DOCUMENT_SIZE    (CAIRN_CONVEX_MAX_DOCUMENT_SIZE - CAIRN_DOCUMENT_SIZE_MARGIN)

/**
 * CAIRN_MAX_MESSAGE_TEXT_SIZE:
 *
 * The most bytes of UTF-8 text a message can hold: the document limit less
 * the rest of a message document (two UUIDs, the role, the time and the
 * field names take under 200 bytes). What the composer checks as the user
 * types, without building the document. A character JSON escapes (a line
 * break, a quote) takes more room in the document than in the text, so text
 * very close to this limit can still be refused when it is sent.
 */
#define CAIRN_MAX_MESSAGE_TEXT_SIZE (CAIRN_MAX_DOCUMENT_SIZE - 256)

typedef enum {
  CAIRN_FIELD_STRING,
  CAIRN_FIELD_BOOLEAN,
  CAIRN_FIELD_NUMBER,
} CairnFieldType;

typedef struct {
  const char     *name;
  CairnFieldType  type;
  /* a document may lack it: a field a deployment's older documents were
   * written without (docs/ARCHITECTURE.md, "Counts kept by the stores") */
  gboolean        optional;
} CairnFieldSpec;

typedef struct {
  const char *name;
  /* NULL-terminated; the store breaks ties by insertion order */
  const char *fields[CAIRN_MAX_INDEX_FIELDS + 1];
} CairnIndexSpec;

typedef struct {
  const char           *name;
  /* required unless optional; "clientId" (a UUID string) is always first */
  const CairnFieldSpec *fields;
  guint                 n_fields;
  const CairnIndexSpec *indexes;
  guint                 n_indexes;
  /* removing a row of parent_table removes the rows whose parent_field is its clientId */
  const char           *parent_table;
  const char           *parent_field;
  /* a field of this table the stores keep themselves (never written by a
   * client): how many rows of its child table name the row */
  const char           *child_count_field;
} CairnTableSpec;

const CairnTableSpec  *cairn_schema_lookup_table        (const char            *name);
const CairnTableSpec **cairn_schema_list_tables         (guint                 *n_tables);
const CairnIndexSpec  *cairn_table_spec_lookup_index    (const CairnTableSpec  *table,
                                                         const char            *index);
const CairnFieldSpec  *cairn_table_spec_lookup_field    (const CairnTableSpec  *table,
                                                         const char            *field);
const CairnTableSpec  *cairn_table_spec_child           (const CairnTableSpec  *table);
gboolean               cairn_table_spec_is_kept_field   (const CairnTableSpec  *table,
                                                         const char            *field);
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
gsize                  cairn_schema_document_size       (JsonObject            *document);
gboolean               cairn_schema_check_shape         (const CairnTableSpec  *table,
                                                         JsonObject            *document,
                                                         GError               **error);
gboolean               cairn_schema_check_text          (const char            *text,
                                                         gssize                 length,
                                                         GError               **error);
gboolean               cairn_unichar_is_invisible       (gunichar               c);
gboolean               cairn_text_is_blank              (const char            *text);
void                   cairn_schema_format_sizes        (gsize                  size,
                                                         gsize                  limit,
                                                         char                 **size_text,
                                                         char                 **limit_text);
gboolean               cairn_is_client_id               (const char            *text);
gboolean               cairn_schema_check_client_id     (const char            *client_id,
                                                         GError               **error);
char                  *cairn_client_id_for_name         (const char            *name);

G_END_DECLS
