/* cairn-page-cursor.h — where the local store's next page starts, as opaque text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-schema.h"

G_BEGIN_DECLS

/* The last row of a page, as far as its index orders it. */
typedef struct {
  GPtrArray *values;  /* (element-type JsonNode) its value of each index field, in index order */
  gint64     seq;     /* its insertion order, the tie-breaker */
} CairnPageCursor;

char            *cairn_page_cursor_encode (const CairnTableSpec  *table,
                                           const CairnIndexSpec  *index,
                                           JsonObject            *last,
                                           gint64                 seq);
CairnPageCursor *cairn_page_cursor_decode (const CairnTableSpec  *table,
                                           const CairnIndexSpec  *index,
                                           const char            *cursor,
                                           GError               **error);
void             cairn_page_cursor_free   (CairnPageCursor       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnPageCursor, cairn_page_cursor_free)

G_END_DECLS
