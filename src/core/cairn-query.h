/* cairn-query.h — what to list from a store: an index, a range, an order, a page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_QUERY (cairn_query_get_type ())
#define CAIRN_TYPE_PAGE  (cairn_page_get_type ())

#define CAIRN_QUERY_DEFAULT_PAGE_SIZE 50
#define CAIRN_QUERY_MAX_PAGE_SIZE     1000

/* A range over one index, the way Convex's withIndex() reads it: equality on
 * the first fields of the index, then optionally a lower and an upper bound on
 * the field after them. */
struct _CairnQuery
{
  char      *table;
  char      *index;
  JsonArray *equal;        /* values for the leading index fields */
  JsonNode  *lower;        /* (nullable) bound on the next field */
  JsonNode  *upper;        /* (nullable) */
  gboolean   lower_inclusive;
  gboolean   upper_inclusive;
  gboolean   descending;
  guint      page_size;
  char      *cursor;       /* (nullable) opaque, from a previous CairnPage */
};

/* One page of a listing, in the order asked for. */
struct _CairnPage
{
  GPtrArray *documents;    /* (element-type JsonObject) */
  char      *cursor;       /* (nullable) continue from here; NULL when done */
  gboolean   done;
};

GType       cairn_query_get_type         (void) G_GNUC_CONST;
CairnQuery *cairn_query_new              (const char  *table,
                                          const char  *index);
CairnQuery *cairn_query_copy             (const CairnQuery *self);
void        cairn_query_free             (CairnQuery  *self);
void        cairn_query_add_equal        (CairnQuery  *self,
                                          JsonNode    *value);
void        cairn_query_add_equal_string (CairnQuery  *self,
                                          const char  *value);
void        cairn_query_set_lower        (CairnQuery  *self,
                                          JsonNode    *value,
                                          gboolean     inclusive);
void        cairn_query_set_upper        (CairnQuery  *self,
                                          JsonNode    *value,
                                          gboolean     inclusive);
void        cairn_query_set_descending   (CairnQuery  *self,
                                          gboolean     descending);
void        cairn_query_set_page_size    (CairnQuery  *self,
                                          guint        page_size);
void        cairn_query_set_cursor       (CairnQuery  *self,
                                          const char  *cursor);
gboolean    cairn_query_matches          (const CairnQuery *self,
                                          JsonObject       *document);
int         cairn_query_compare          (const CairnQuery *self,
                                          JsonObject       *a,
                                          JsonObject       *b);

GType       cairn_page_get_type          (void) G_GNUC_CONST;
CairnPage  *cairn_page_new               (void);
CairnPage  *cairn_page_copy              (const CairnPage *self);
void        cairn_page_free              (CairnPage   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnQuery, cairn_query_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnPage, cairn_page_free)

G_END_DECLS
