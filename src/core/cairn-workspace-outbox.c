/* cairn-workspace-outbox.c — content writes through the outbox while BYOD is on
 *
 * A write for the user's deployment is first made durable in the outbox (in
 * the main store); the caller hears back as soon as the deployment
 * acknowledged it, or — when the deployment cannot take it now — as soon as
 * it is kept safe, with the document marked "_pending". The outbox is sent in
 * order, one write at a time, and again whenever the connection comes back;
 * clientIds make every write safe to send twice.
 *
 * A write the deployment refuses for good (too large, invalid input) is not
 * dropped: it stays in the outbox, marked failed with the reason, and the
 * lists show an insert as "_failed" instead of "_pending". Delivery goes on
 * with the writes behind it. The user retries it (it is pending again and
 * goes out in its old place) or discards it (an insert's document goes).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-workspace"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-schema.h"
#include "cairn-workspace-private.h"

static void flush (CairnWorkspace *self);

static const char *operation_names[] = { "insert", "patch", "remove" };

/* Helpers ------------------------------------------------------------------ */

/* @document as the lists show it while it waits: "_pending", or "_failed"
 * with the reason when @failure is not NULL. */
static JsonObject *
waiting_copy (JsonObject *document,
              const char *failure)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, document);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, CAIRN_PENDING_MEMBER) && !g_str_equal (name, CAIRN_FAILED_MEMBER))
      json_object_set_member (copy, name, json_node_copy (value));

  if (failure != NULL)
    json_object_set_string_member (copy, CAIRN_FAILED_MEMBER, failure);
  else
    json_object_set_boolean_member (copy, CAIRN_PENDING_MEMBER, TRUE);

  return copy;
}

static JsonObject *
pending_copy (JsonObject *document)
{
  return waiting_copy (document, NULL);
}

static JsonObject *
entry_copy (const CairnOutboxEntry *entry)
{
  return waiting_copy (entry->payload, entry->status == CAIRN_OUTBOX_FAILED ? entry->error : NULL);
}

/* The first line of a refusal, for the log: a deployment may quote the
 * refused value on the lines after it, and content does not go to logs. */
static char *
first_line (const char *text)
{
  const char *end = strchr (text, '\n');
  g_autofree char *line = end != NULL ? g_strndup (text, end - text) : g_strdup (text);

  if (g_utf8_strlen (line, -1) > 200)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, 200);

      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&line);
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
 * outbox entry, which is gone (or may be) by the time the write is announced. */
typedef struct {
  CairnWorkspace         *self;     /* a reference, while the write is on its way */
  const CairnOutboxEntry *entry;    /* valid until it is removed from the outbox */
  CairnOutboxOperation    operation;
  char                   *table;
  char                   *document_id;
  JsonObject             *payload;  /* (nullable) what was sent */
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
  g_clear_pointer (&delivery->payload, json_object_unref);
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

  /* Refused for good, and kept: an insert's document stays in the lists,
   * failed, and its caller gets it back so; a patch's or a remove's caller
   * hears why. */
  if (delivery->refused != NULL)
    {
      if (delivery->operation == CAIRN_OUTBOX_INSERT)
        {
          g_autoptr(JsonObject) shown = waiting_copy (delivery->payload, delivery->refused->message);

          g_signal_emit_by_name (self, "document-changed", delivery->table, shown);
          if (waiting != NULL)
            g_task_return_pointer (waiting, g_steal_pointer (&shown), (GDestroyNotify) json_object_unref);
        }
      else if (waiting != NULL)
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
entry_failed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Delivery) delivery = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = delivery->self;

  /* failed in memory all the same: it is not sent again before a restart */
  if (!cairn_outbox_set_status_finish (CAIRN_OUTBOX (object), result, &error))
    g_warning ("Could not keep a refused write's state in the outbox: %s", error->message);

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
  const char *reason;

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

  entry = delivery->entry;
  g_hash_table_steal_extended (self->waiting, entry, NULL, (gpointer *) &delivery->waiting);

  /* refused for good (too large, bad input): it stays, failed, and the
   * writes behind it go on */
  if (error != NULL)
    {
      g_autofree char *why = first_line (error->message);

      g_warning ("Your database refused a write for good (%s in “%s”); it stays in the outbox, "
                 "failed, until it is retried or discarded: %s",
                 operation_names[delivery->operation], delivery->table, why);
      reason = error->message;
      delivery->refused = g_steal_pointer (&error);
      cairn_outbox_set_status_async (self->outbox, entry, CAIRN_OUTBOX_FAILED, reason,
                                     NULL, entry_failed_cb, g_steal_pointer (&delivery));
      return;
    }

  /* acknowledged: it leaves */
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
  if (entry->payload != NULL)
    delivery->payload = json_object_ref (entry->payload);

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
 *   @table still waiting in the outbox, oldest first: marked pending
 *   (CAIRN_PENDING_MEMBER), or failed (CAIRN_FAILED_MEMBER, the reason)
 *   when the deployment refused them for good
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
    g_ptr_array_add (pending, entry_copy (g_ptr_array_index (inserts, i)));

  return pending;
}

guint
cairn_workspace_get_outbox_count (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), 0);

  return cairn_outbox_get_count (self->outbox);
}

/* Retrying and discarding what was refused --------------------------------- */

/* The failed writes of one document, changed one by one. */
typedef struct {
  char     *table;
  char     *client_id;
  guint     remaining;
  gboolean  insert_done;  /* an insert among them was changed */
  GError   *error;        /* the first that could not be */
} Resolution;

static void
resolution_free (Resolution *resolution)
{
  g_free (resolution->table);
  g_free (resolution->client_id);
  g_clear_error (&resolution->error);
  g_free (resolution);
}

/* Starts @task on the failed writes of the document; NULL (and @task
 * answered) when it has none. */
static GPtrArray *
start_resolution (CairnWorkspace *self,
                  GTask          *task,
                  const char     *table,
                  const char     *client_id)
{
  g_autoptr(GPtrArray) entries = cairn_outbox_list_for_document (self->outbox, table, client_id);
  GPtrArray *failed = g_ptr_array_new ();
  Resolution *resolution;

  for (guint i = 0; i < entries->len; i++)
    {
      const CairnOutboxEntry *entry = g_ptr_array_index (entries, i);

      if (entry->status == CAIRN_OUTBOX_FAILED)
        g_ptr_array_add (failed, (gpointer) entry);
    }

  if (failed->len == 0)
    {
      g_task_return_new_error (task, CAIRN_ERROR, CAIRN_ERROR_NOT_FOUND,
                               _("Nothing of this item was refused by your database: there is nothing "
                                 "to retry or discard."));
      g_ptr_array_unref (failed);
      return NULL;
    }

  resolution = g_new0 (Resolution, 1);
  resolution->table = g_strdup (table);
  resolution->client_id = g_strdup (client_id);
  resolution->remaining = failed->len;
  g_task_set_task_data (task, resolution, (GDestroyNotify) resolution_free);

  return failed;
}

static gboolean
finish_step (GTask  *task,
             GError *error)
{
  Resolution *resolution = g_task_get_task_data (task);

  if (error != NULL && resolution->error == NULL)
    resolution->error = g_error_copy (error);

  return --resolution->remaining == 0;
}

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  Resolution *resolution = g_task_get_task_data (task);

  /* pending in memory all the same: it is sent now, just not after a restart */
  if (!cairn_outbox_set_status_finish (CAIRN_OUTBOX (object), result, &error))
    g_warning ("Could not keep a retried write's state in the outbox: %s", error->message);

  if (!finish_step (task, NULL))
    return;

  /* the lists show the document pending again */
  entries = cairn_outbox_list_for_document (self->outbox, resolution->table, resolution->client_id);
  for (guint i = 0; i < entries->len; i++)
    {
      const CairnOutboxEntry *entry = g_ptr_array_index (entries, i);

      if (entry->operation == CAIRN_OUTBOX_INSERT && entry->payload != NULL)
        {
          g_autoptr(JsonObject) shown = entry_copy (entry);

          g_signal_emit_by_name (self, "document-changed", entry->table, shown);
          break;
        }
    }

  g_task_return_boolean (task, TRUE);
  flush (self);
}

/**
 * cairn_workspace_retry_write_async:
 * @table: the document's table
 * @client_id: the document's clientId
 *
 * Sends again what the deployment refused of the document: its failed writes
 * are pending again (in their old places in the outbox) and the outbox is
 * flushed. Finishes once they are pending, not once they are delivered;
 * they may be refused again. %CAIRN_ERROR_NOT_FOUND when nothing of it failed.
 */
void
cairn_workspace_retry_write_async (CairnWorkspace      *self,
                                   const char          *table,
                                   const char          *client_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) failed = NULL;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_retry_write_async);

  failed = start_resolution (self, task, table, client_id);
  if (failed == NULL)
    return;

  for (guint i = 0; i < failed->len; i++)
    cairn_outbox_set_status_async (self->outbox, g_ptr_array_index (failed, i), CAIRN_OUTBOX_PENDING, NULL,
                                   NULL, retried_cb, g_object_ref (task));
}

gboolean
cairn_workspace_retry_write_finish (CairnWorkspace  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct {
  GTask    *task;
  gboolean  insert;
} Discard;

static void
discarded_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Discard *discard = user_data;
  g_autoptr(GTask) task = discard->task;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  Resolution *resolution = g_task_get_task_data (task);

  if (cairn_outbox_remove_finish (CAIRN_OUTBOX (object), result, &error))
    resolution->insert_done |= discard->insert;
  g_free (discard);

  if (!finish_step (task, error))
    return;

  /* never on the deployment, and now nowhere */
  if (resolution->insert_done)
    g_signal_emit_by_name (self, "document-removed", resolution->table, resolution->client_id);

  if (resolution->error != NULL)
    g_task_return_error (task, g_steal_pointer (&resolution->error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * cairn_workspace_discard_write_async:
 * @table: the document's table
 * @client_id: the document's clientId
 *
 * Gives up what the deployment refused of the document: its failed writes
 * leave the outbox; for an insert, the document leaves the lists
 * (::document-removed). %CAIRN_ERROR_NOT_FOUND when nothing of it failed.
 */
void
cairn_workspace_discard_write_async (CairnWorkspace      *self,
                                     const char          *table,
                                     const char          *client_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) failed = NULL;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_workspace_discard_write_async);

  failed = start_resolution (self, task, table, client_id);
  if (failed == NULL)
    return;

  for (guint i = 0; i < failed->len; i++)
    {
      const CairnOutboxEntry *entry = g_ptr_array_index (failed, i);
      Discard *discard = g_new0 (Discard, 1);

      discard->task = g_object_ref (task);
      discard->insert = entry->operation == CAIRN_OUTBOX_INSERT;
      cairn_outbox_remove_async (self->outbox, entry, NULL, discarded_cb, discard);
    }
}

gboolean
cairn_workspace_discard_write_finish (CairnWorkspace  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
