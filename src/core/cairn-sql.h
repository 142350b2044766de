/* cairn-sql.h — the local store's SQL, planned from the schema
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-query.h"
#include "cairn-schema.h"

G_BEGIN_DECLS

/* One statement to run: its text, with ? parameters, and their values.
 * A SELECT's rows are seq, then every field of its table in schema order. */
typedef struct {
  char      *text;
  GPtrArray *binds;   /* (element-type JsonNode) the value of each parameter, in order */
} CairnSqlStatement;

/* One page of a listing: the SELECT asks for one row more than a page,
 * which tells whether another page follows. */
typedef struct {
  const CairnTableSpec *table;
  const CairnIndexSpec *index;
  guint                 page_size;
  CairnSqlStatement    *select;
} CairnSqlList;

void               cairn_sql_append_identifier (GString               *sql,
                                                const char            *name);
void               cairn_sql_statement_free    (CairnSqlStatement     *self);
CairnSqlList      *cairn_sql_list              (const CairnTableSpec  *table,
                                                const CairnQuery      *query,
                                                GError               **error);
void               cairn_sql_list_free         (CairnSqlList          *self);
CairnSqlStatement *cairn_sql_get               (const CairnTableSpec  *table,
                                                const char            *client_id);
CairnSqlStatement *cairn_sql_insert            (const CairnTableSpec  *table,
                                                JsonObject            *document);
CairnSqlStatement *cairn_sql_patch             (const CairnTableSpec  *table,
                                                const char            *client_id,
                                                JsonObject            *fields);
GPtrArray         *cairn_sql_remove            (const CairnTableSpec  *table,
                                                const char            *client_id,
                                                GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnSqlStatement, cairn_sql_statement_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnSqlList, cairn_sql_list_free)

G_END_DECLS
