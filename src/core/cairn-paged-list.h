/* cairn-paged-list.h — a GListModel over a store listing, loaded page by page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_PAGED_LIST (cairn_paged_list_get_type ())

G_DECLARE_FINAL_TYPE (CairnPagedList, cairn_paged_list, CAIRN, PAGED_LIST, GObject)

/*
 * The list runs @query through @workspace; every page it loads becomes items
 * of @item_type (a type with a construct "document" JsonObject property).
 * With @reversed, pages are shown in the opposite order of the query: a
 * descending query then shows the newest item last, and older pages are
 * prepended (a chat history opened at the bottom).
 *
 * Documents the workspace reports as added, changed or removed that match the
 * query's equality prefix are merged in at their sorted place. While the
 * table lives on the user's deployment, the first page is followed there
 * (cairn_workspace_watch()): what another computer writes is merged in the
 * same way.
 */
CairnPagedList *cairn_paged_list_new          (CairnWorkspace   *workspace,
                                               const CairnQuery *query,
                                               GType             item_type,
                                               gboolean          reversed);
void            cairn_paged_list_load_more    (CairnPagedList   *self);
void            cairn_paged_list_reload       (CairnPagedList   *self);
gboolean        cairn_paged_list_get_loading  (CairnPagedList   *self);
gboolean        cairn_paged_list_get_done     (CairnPagedList   *self);
const GError   *cairn_paged_list_get_error    (CairnPagedList   *self);
gpointer        cairn_paged_list_find         (CairnPagedList   *self,
                                               const char       *client_id,
                                               guint            *position);

G_END_DECLS
