/* cairn-workspace.h — one set of content: its stores, routed per table, with change signals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_WORKSPACE (cairn_workspace_get_type ())

G_DECLARE_FINAL_TYPE (CairnWorkspace, cairn_workspace, CAIRN, WORKSPACE, GObject)

CairnWorkspace      *cairn_workspace_new             (const char           *id,
                                                      CairnStore           *main_store);
const char          *cairn_workspace_get_id          (CairnWorkspace       *self);
CairnStore          *cairn_workspace_get_main_store  (CairnWorkspace       *self);
CairnClock          *cairn_workspace_get_clock       (CairnWorkspace       *self);
CairnByod           *cairn_workspace_get_byod        (CairnWorkspace       *self);
CairnOutboxDelivery *cairn_workspace_get_delivery    (CairnWorkspace       *self);
CairnStore          *cairn_workspace_store_for_table (CairnWorkspace       *self,
                                                      const char           *table);

CairnLiveQuery      *cairn_workspace_watch           (CairnWorkspace       *self,
                                                      const CairnQuery     *query);
/* Generic document access, routed per table; emits the change signals. */
void                 cairn_workspace_list_async      (CairnWorkspace       *self,
                                                      const CairnQuery     *query,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
CairnPage           *cairn_workspace_list_finish     (CairnWorkspace       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                 cairn_workspace_get_async       (CairnWorkspace       *self,
                                                      const char           *table,
                                                      const char           *client_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
JsonObject          *cairn_workspace_get_finish      (CairnWorkspace       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                 cairn_workspace_insert_async    (CairnWorkspace       *self,
                                                      const char           *table,
                                                      JsonObject           *document,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
JsonObject          *cairn_workspace_insert_finish   (CairnWorkspace       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                 cairn_workspace_patch_async     (CairnWorkspace       *self,
                                                      const char           *table,
                                                      const char           *client_id,
                                                      JsonObject           *fields,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
JsonObject          *cairn_workspace_patch_finish    (CairnWorkspace       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void                 cairn_workspace_remove_async    (CairnWorkspace       *self,
                                                      const char           *table,
                                                      const char           *client_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean             cairn_workspace_remove_finish   (CairnWorkspace       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
