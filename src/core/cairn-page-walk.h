/* cairn-page-walk.h — notices a paginated listing that never ends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-query.h"

G_BEGIN_DECLS

/* Pages in a row without a document, after which a listing counts as stuck. */
#define CAIRN_PAGE_WALK_MAX_EMPTY_PAGES 32

typedef struct _CairnPageWalk CairnPageWalk;

CairnPageWalk *cairn_page_walk_new  (const char     *table);
void           cairn_page_walk_free (CairnPageWalk  *self);
gboolean       cairn_page_walk_step (CairnPageWalk  *self,
                                     const char     *requested_cursor,
                                     const CairnPage *page,
                                     GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnPageWalk, cairn_page_walk_free)

G_END_DECLS
