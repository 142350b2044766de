/* cairn-drafts.h — what is being written in a workspace's conversations, kept safe and sent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_DRAFTS (cairn_drafts_get_type ())

G_DECLARE_FINAL_TYPE (CairnDrafts, cairn_drafts, CAIRN, DRAFTS, GObject)

CairnDrafts  *cairn_drafts_new         (CairnWorkspace       *workspace);
void          cairn_drafts_save        (CairnDrafts          *self,
                                        const char           *conversation_id,
                                        const char           *text);
const char   *cairn_drafts_get_unsaved (CairnDrafts          *self,
                                        const char           *conversation_id);
void          cairn_drafts_send_async  (CairnDrafts          *self,
                                        const char           *conversation_id,
                                        const char           *text,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
CairnMessage *cairn_drafts_send_finish (CairnDrafts          *self,
                                        GAsyncResult         *result,
                                        GError              **error);

G_END_DECLS
