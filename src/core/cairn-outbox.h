/* cairn-outbox.h — writes for the user's deployment, kept safe until acknowledged
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cairn-types.h"

G_BEGIN_DECLS

typedef enum {
  CAIRN_OUTBOX_INSERT,
  CAIRN_OUTBOX_PATCH,
  CAIRN_OUTBOX_REMOVE,
} CairnOutboxOperation;

typedef enum {
  CAIRN_OUTBOX_PENDING,   /* to be sent */
  CAIRN_OUTBOX_FAILED,    /* refused for good by the deployment; waits for the user */
} CairnOutboxStatus;

/* One write waiting for the deployment. */
typedef struct {
  char                 *id;
  CairnOutboxOperation  operation;
  char                 *table;
  char                 *document_id;
  JsonObject           *payload;    /* the document (insert) or the fields (patch); NULL for remove */
  CairnOutboxStatus     status;
  char                 *error;      /* why it was refused, when failed; NULL otherwise */
} CairnOutboxEntry;

CairnOutboxEntry *cairn_outbox_entry_from_row (JsonObject        *row,
                                               GError           **error);
void              cairn_outbox_entry_free     (CairnOutboxEntry  *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnOutboxEntry, cairn_outbox_entry_free)

#define CAIRN_TYPE_OUTBOX (cairn_outbox_get_type ())

G_DECLARE_FINAL_TYPE (CairnOutbox, cairn_outbox, CAIRN, OUTBOX, GObject)

CairnOutbox            *cairn_outbox_new            (CairnStore            *store,
                                                     const char            *workspace_id,
                                                     CairnClock            *clock);
void                    cairn_outbox_load_async     (CairnOutbox           *self,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gboolean                cairn_outbox_load_finish    (CairnOutbox           *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
void                    cairn_outbox_append_async   (CairnOutbox           *self,
                                                     CairnOutboxOperation   operation,
                                                     const char            *table,
                                                     const char            *document_id,
                                                     JsonObject            *payload,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
const CairnOutboxEntry *cairn_outbox_append_finish  (CairnOutbox           *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
void                    cairn_outbox_remove_async   (CairnOutbox           *self,
                                                     const CairnOutboxEntry *entry,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gboolean                cairn_outbox_remove_finish  (CairnOutbox           *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
void                    cairn_outbox_set_status_async (CairnOutbox         *self,
                                                     const CairnOutboxEntry *entry,
                                                     CairnOutboxStatus      status,
                                                     const char            *reason,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gboolean                cairn_outbox_set_status_finish (CairnOutbox        *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);
const CairnOutboxEntry *cairn_outbox_peek           (CairnOutbox           *self);
GPtrArray              *cairn_outbox_peek_many      (CairnOutbox           *self,
                                                     guint                  max);
guint                   cairn_outbox_get_count      (CairnOutbox           *self);
guint                   cairn_outbox_get_failed_count (CairnOutbox         *self);
gboolean                cairn_outbox_has_writes_for (CairnOutbox           *self,
                                                     const char            *document_id);
GPtrArray              *cairn_outbox_list_inserts   (CairnOutbox           *self,
                                                     const char            *table);
GPtrArray              *cairn_outbox_list_for_document (CairnOutbox        *self,
                                                     const char            *table,
                                                     const char            *document_id);

G_END_DECLS
