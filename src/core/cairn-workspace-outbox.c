/* cairn-workspace-outbox.c — content writes through the outbox while BYOD is on
 *
 * A write for the user's deployment is first made durable in the outbox (in
 * the main store); the caller hears back as soon as the deployment
 * acknowledged it, or — when the deployment cannot take it now — as soon as
 * it is kept safe, with the document marked "_pending". The outbox is sent in
 * order, one write at a time, and again whenever the connection comes back;
 * clientIds make every write safe to send twice.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-workspace"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-schema.h"
#include "cairn-workspace-private.h"

static void flush (CairnWorkspace *self);

/* Helpers ------------------------------------------------------------------ */

static JsonObject *
pending_copy (JsonObject *document)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, document);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (copy, name, json_node_copy (value));
  json_object_set_boolean_member (copy, CAIRN_PENDING_MEMBER, TRUE);

  return copy;
}

/* What the caller of a write that is kept safe (not yet sent) gets back. */
static void
return_kept_safe (GTask                  *task,
                  const CairnOutboxEntry *entry)
{
  if (entry->operation == CAIRN_OUTBOX_REMOVE)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_pointer (task, pending_copy (entry->payload), (GDestroyNotify) json_object_unref);
}

static void
release_waiting (CairnWorkspace *self)
{
  GHashTableIter iter;
  gpointer entry;
  gpointer task;

  g_hash_table_iter_init (&iter, self->waiting);
  while (g_hash_table_iter_next (&iter, &entry, &task))
    {
      return_kept_safe (task, entry);
      g_hash_table_iter_remove (&iter);
    }
}

static gboolean
check_write (CairnOutboxOperation   operation,
             const char            *table,
             const char            *document_id,
             JsonObject            *payload,
             GError               **error)
{
  const CairnTableSpec *spec = cairn_schema_lookup_table (table);

  if (spec == NULL)
    {
      g_set_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT, _("There is no table “%s”."), table);
      return FALSE;
    }

  switch (operation)
    {
    case CAIRN_OUTBOX_INSERT:
      return cairn_schema_validate_document (spec, payload, error);
    case CAIRN_OUTBOX_PATCH:
      return cairn_schema_check_client_id (document_id, error) &&
             cairn_schema_validate_patch (spec, payload, error);
    case CAIRN_OUTBOX_REMOVE:
      return cairn_schema_check_client_id (document_id, error);
    default:
      g_assert_not_reached ();
    }
}

/* Sending ---------------------------------------------------------------------- */

/* One write on its way. What the announcement needs is copied out of the
 * outbox entry, which is gone by the time the write is announced. */
typedef struct {
  CairnWorkspace         *self;     /* a reference, while the write is on its way */
  const CairnOutboxEntry *entry;    /* valid until it is removed from the outbox */
  CairnOutboxOperation    operation;
  char                   *table;
  char                   *document_id;
  GTask                  *waiting;  /* the caller, if it is still waiting */
  JsonObject             *stored;   /* what the deployment answered */
  GError                 *refused;  /* a write it will never take */
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_object (&delivery->self);
  g_free (delivery->table);
  g_free (delivery->document_id);
  g_clear_object (&delivery->waiting);
  g_clear_pointer (&delivery->stored, json_object_unref);
  g_clear_error (&delivery->refused);
  g_free (delivery);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Delivery, delivery_free)

/* Tells the lists and the waiting caller how the write ended. */
static void
announce (Delivery *delivery)
{
  CairnWorkspace *self = delivery->self;
  GTask *waiting = delivery->waiting;

  if (delivery->refused != NULL)
    {
      if (delivery->operation == CAIRN_OUTBOX_INSERT)
        g_signal_emit_by_name (self, "document-removed", delivery->table, delivery->document_id);
      if (waiting != NULL)
        g_task_return_error (waiting, g_steal_pointer (&delivery->refused));
      return;
    }

  if (delivery->stored != NULL)
    g_signal_emit_by_name (self, "document-changed", delivery->table, delivery->stored);
  if (waiting != NULL && delivery->operation == CAIRN_OUTBOX_REMOVE)
    g_task_return_boolean (waiting, TRUE);
  else if (waiting != NULL)
    g_task_return_pointer (waiting, g_steal_pointer (&delivery->stored), (GDestroyNotify) json_object_unref);
}

static void
entry_removed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Delivery) delivery = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = delivery->self;

  /* the write went through; a note of it that stays is sent again, harmlessly */
  if (!cairn_outbox_remove_finish (CAIRN_OUTBOX (object), result, &error))
    g_warning ("Could not clear a delivered write from the outbox: %s", error->message);

  announce (delivery);

  self->flushing = FALSE;
  flush (self);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Delivery) delivery = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = delivery->self;
  CairnStore *store = CAIRN_STORE (object);
  const CairnOutboxEntry *entry;

  switch (delivery->operation)
    {
    case CAIRN_OUTBOX_INSERT:
      delivery->stored = cairn_store_insert_finish (store, result, &error);
      break;
    case CAIRN_OUTBOX_PATCH:
      delivery->stored = cairn_store_patch_finish (store, result, &error);
      break;
    case CAIRN_OUTBOX_REMOVE:
      cairn_store_remove_finish (store, result, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (error != NULL &&
      (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
       g_error_matches (error, CAIRN_ERROR, CAIRN_ERROR_BLOCKED) ||
       cairn_connection_reason_for_error (error) != CAIRN_BLOCK_REASON_NONE))
    {
      /* the deployment cannot take it now: it waits, safe, for the connection */
      g_debug ("Keeping %u writes for later: %s", cairn_outbox_get_count (self->outbox), error->message);
      self->flushing = FALSE;
      release_waiting (self);
      return;
    }

  /* acknowledged, or refused for good (bad input): either way it leaves */
  delivery->refused = g_steal_pointer (&error);
  entry = delivery->entry;
  g_hash_table_steal_extended (self->waiting, entry, NULL, (gpointer *) &delivery->waiting);
  cairn_outbox_remove_async (self->outbox, entry, NULL, entry_removed_cb, g_steal_pointer (&delivery));
}

/* Sends the oldest waiting write, if nothing is on its way yet. */
static void
flush (CairnWorkspace *self)
{
  const CairnOutboxEntry *entry = cairn_outbox_peek (self->outbox);
  Delivery *delivery;

  if (self->flushing || entry == NULL || self->user_store == NULL)
    return;

  self->flushing = TRUE;
  delivery = g_new0 (Delivery, 1);
  delivery->self = g_object_ref (self);
  delivery->entry = entry;
  delivery->operation = entry->operation;
  delivery->table = g_strdup (entry->table);
  delivery->document_id = g_strdup (entry->document_id);

  switch (entry->operation)
    {
    case CAIRN_OUTBOX_INSERT:
      cairn_store_insert_async (self->user_store, entry->table, entry->payload, NULL, sent_cb, delivery);
      break;
    case CAIRN_OUTBOX_PATCH:
      cairn_store_patch_async (self->user_store, entry->table, entry->document_id, entry->payload,
                               NULL, sent_cb, delivery);
      break;
    case CAIRN_OUTBOX_REMOVE:
      cairn_store_remove_async (self->user_store, entry->table, entry->document_id, NULL, sent_cb, delivery);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Queueing ------------------------------------------------------------------ */

static void
appended_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  const CairnOutboxEntry *entry = cairn_outbox_append_finish (CAIRN_OUTBOX (object), result, &error);
  g_autoptr(JsonObject) shown = NULL;

  if (entry == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* durable now: the lists show it at once, marked pending */
  if (entry->operation == CAIRN_OUTBOX_INSERT)
    {
      shown = pending_copy (entry->payload);
      g_signal_emit_by_name (self, "document-changed", entry->table, shown);
    }
  else if (entry->operation == CAIRN_OUTBOX_REMOVE)
    g_signal_emit_by_name (self, "document-removed", entry->table, entry->document_id);

  g_hash_table_insert (self->waiting, (gpointer) entry, g_steal_pointer (&task));
  flush (self);
}

/**
 * cairn_workspace_queue_write:
 * @task: (transfer full): the caller's task, answered as the write goes
 *
 * A content write while BYOD is on: into the outbox, then to the deployment.
 */
void
cairn_workspace_queue_write (CairnWorkspace       *self,
                             GTask                *task,
                             CairnOutboxOperation  operation,
                             const char           *table,
                             const char           *document_id,
                             JsonObject           *payload)
{
  g_autoptr(GError) error = NULL;

  if (!check_write (operation, table, document_id, payload, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  if (operation == CAIRN_OUTBOX_INSERT)
    document_id = cairn_json_get_string (payload, "clientId");

  cairn_outbox_append_async (self->outbox, operation, table, document_id, payload,
                             NULL, appended_cb, task);
}

/* The connection is back: what waited goes out, in order. */
void
cairn_workspace_flush_outbox (CairnWorkspace *self)
{
  flush (self);
}

/**
 * cairn_workspace_list_pending:
 *
 * Returns: (transfer full) (element-type JsonObject): the documents of
 *   @table still waiting in the outbox, marked pending, oldest first
 */
GPtrArray *
cairn_workspace_list_pending (CairnWorkspace *self,
                              const char     *table)
{
  g_autoptr(GPtrArray) inserts = NULL;
  GPtrArray *pending = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), pending);

  if (self->user_store == NULL)
    return pending;

  inserts = cairn_outbox_list_inserts (self->outbox, table);
  for (guint i = 0; i < inserts->len; i++)
    g_ptr_array_add (pending, pending_copy (g_ptr_array_index (inserts, i)));

  return pending;
}

guint
cairn_workspace_get_outbox_count (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), 0);

  return cairn_outbox_get_count (self->outbox);
}
