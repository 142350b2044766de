/* cairn-local-store.h — CairnStore over an embedded SQLite file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-store.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_LOCAL_STORE (cairn_local_store_get_type ())

G_DECLARE_FINAL_TYPE (CairnLocalStore, cairn_local_store, CAIRN, LOCAL_STORE, GObject)

/* Opens (creating or upgrading) the database at @path; ":memory:" is allowed. */
CairnLocalStore *cairn_local_store_new             (const char       *path,
                                                    GError          **error);
void             cairn_local_store_new_async       (const char           *path,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
CairnLocalStore *cairn_local_store_new_finish      (GAsyncResult         *result,
                                                    GError              **error);
const char      *cairn_local_store_get_path        (CairnLocalStore  *self);
int              cairn_local_store_get_schema_version (CairnLocalStore *self);
/* Finishes the operations already issued, then closes the database. */
void             cairn_local_store_close           (CairnLocalStore  *self);

G_END_DECLS
