/* cairn-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-store"

#include "cairn-block-reason.h"
#include "cairn-error.h"
#include "cairn-store.h"

G_DEFINE_INTERFACE (CairnStore, cairn_store, G_TYPE_OBJECT)

static void
cairn_store_default_init (CairnStoreInterface *iface)
{
}

#define IFACE(self) CAIRN_STORE_GET_IFACE (self)

void
cairn_store_list_async (CairnStore          *self,
                        const CairnQuery    *query,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));
  g_return_if_fail (query != NULL);

  IFACE (self)->list_async (self, query, cancellable, callback, user_data);
}

CairnPage *
cairn_store_list_finish (CairnStore    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->list_finish (self, result, error);
}

void
cairn_store_get_async (CairnStore          *self,
                       const char          *table,
                       const char          *client_id,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->get_async (self, table, client_id, cancellable, callback, user_data);
}

JsonObject *
cairn_store_get_finish (CairnStore    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->get_finish (self, result, error);
}

void
cairn_store_insert_async (CairnStore          *self,
                          const char          *table,
                          JsonObject          *document,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->insert_async (self, table, document, cancellable, callback, user_data);
}

JsonObject *
cairn_store_insert_finish (CairnStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->insert_finish (self, result, error);
}

void
cairn_store_patch_async (CairnStore          *self,
                         const char          *table,
                         const char          *client_id,
                         JsonObject          *fields,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->patch_async (self, table, client_id, fields, cancellable, callback, user_data);
}

JsonObject *
cairn_store_patch_finish (CairnStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->patch_finish (self, result, error);
}

void
cairn_store_remove_async (CairnStore          *self,
                          const char          *table,
                          const char          *client_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->remove_async (self, table, client_id, cancellable, callback, user_data);
}

gboolean
cairn_store_remove_finish (CairnStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), FALSE);

  return IFACE (self)->remove_finish (self, result, error);
}

void
cairn_store_ping_async (CairnStore          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (CAIRN_IS_STORE (self));

  IFACE (self)->ping_async (self, cancellable, callback, user_data);
}

JsonObject *
cairn_store_ping_finish (CairnStore    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), NULL);

  return IFACE (self)->ping_finish (self, result, error);
}

/* Upsert: a helper over the interface --------------------------------------- */

typedef struct {
  char       *table;
  JsonObject *document;
} Upsert;

static void
upsert_free (Upsert *upsert)
{
  g_free (upsert->table);
  json_object_unref (upsert->document);
  g_free (upsert);
}

static void
upsert_inserted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *document = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);

  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

static void
upsert_patched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  Upsert *upsert = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  JsonObject *document = cairn_store_patch_finish (CAIRN_STORE (object), result, &error);

  if (document != NULL)
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
  else if (!g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    cairn_store_insert_async (CAIRN_STORE (object), upsert->table, upsert->document, cancellable,
                              upsert_inserted_cb, g_steal_pointer (&task));
}

/**
 * cairn_store_upsert_async:
 * @document: a whole document of @table
 *
 * Writes @document whether or not its clientId exists yet: a patch of every
 * other field, or an insert when there is nothing to patch.
 */
void
cairn_store_upsert_async (CairnStore          *self,
                          const char          *table,
                          JsonObject          *document,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  Upsert *upsert;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  GTask *task;

  g_return_if_fail (CAIRN_IS_STORE (self));
  g_return_if_fail (document != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_store_upsert_async);
  upsert = g_new0 (Upsert, 1);
  upsert->table = g_strdup (table);
  upsert->document = json_object_ref (document);
  g_task_set_task_data (task, upsert, (GDestroyNotify) upsert_free);

  json_object_iter_init (&iter, document);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "clientId"))
      json_object_set_member (fields, name, json_node_copy (value));

  cairn_store_patch_async (self, table, json_object_get_string_member_with_default (document, "clientId", NULL),
                           fields, cancellable, upsert_patched_cb, task);
}

/**
 * cairn_store_upsert_finish:
 *
 * Returns: (transfer full): the document as stored
 */
JsonObject *
cairn_store_upsert_finish (CairnStore    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Batches ------------------------------------------------------------------ */

CairnStoreWrite *
cairn_store_write_new (CairnStoreWriteKind  kind,
                       const char          *table,
                       const char          *client_id,
                       JsonObject          *object)
{
  CairnStoreWrite *write = g_new0 (CairnStoreWrite, 1);

  write->kind = kind;
  write->table = g_strdup (table);
  if (client_id == NULL && object != NULL && kind == CAIRN_STORE_WRITE_INSERT)
    client_id = json_object_get_string_member_with_default (object, "clientId", NULL);
  write->client_id = g_strdup (client_id);
  write->object = object != NULL ? json_object_ref (object) : NULL;

  return write;
}

static void
write_reset (CairnStoreWrite *write)
{
  write->done = FALSE;
  g_clear_pointer (&write->stored, json_object_unref);
  g_clear_error (&write->error);
}

void
cairn_store_write_free (CairnStoreWrite *write)
{
  if (write == NULL)
    return;

  write_reset (write);
  g_free (write->table);
  g_free (write->client_id);
  g_clear_pointer (&write->object, json_object_unref);
  g_free (write);
}

/**
 * cairn_store_error_is_refusal:
 *
 * Whether @error (of a write) says the store will never take that write
 * (invalid input, too large, refused by a function) rather than that it
 * cannot take writes now (cancelled, unreachable, blocked, not set up…),
 * when sending it again later is the answer.
 */
gboolean
cairn_store_error_is_refusal (const GError *error)
{
  return error != NULL &&
         !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
         !g_error_matches (error, CAIRN_CONNECTION_ERROR, CAIRN_CONNECTION_ERROR_BLOCKED) &&
         cairn_block_reason_for_error (error) == CAIRN_BLOCK_REASON_NONE;
}

/* Without the store's own batches: the writes one at a time, in order. */
typedef struct {
  GPtrArray *writes;
  guint      next;
} OneByOne;

static void
one_by_one_free (OneByOne *batch)
{
  g_ptr_array_unref (batch->writes);
  g_free (batch);
}

static void one_by_one_next (GTask *task);

/**
 * cairn_store_write_send:
 * @write: the write to send on its own
 *
 * Sends @write with the single call its kind takes (insert, patch or
 * remove); finish with cairn_store_write_settle().
 */
void
cairn_store_write_send (CairnStore          *self,
                        CairnStoreWrite     *write,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  switch (write->kind)
    {
    case CAIRN_STORE_WRITE_INSERT:
      cairn_store_insert_async (self, write->table, write->object, cancellable, callback, user_data);
      break;
    case CAIRN_STORE_WRITE_PATCH:
      cairn_store_patch_async (self, write->table, write->client_id, write->object, cancellable,
                               callback, user_data);
      break;
    case CAIRN_STORE_WRITE_REMOVE:
      cairn_store_remove_async (self, write->table, write->client_id, cancellable, callback, user_data);
      break;
    default:
      g_assert_not_reached ();
    }
}

/**
 * cairn_store_write_settle:
 * @write: the write cairn_store_write_send() sent
 *
 * Records how @write ended: @done, with what was @stored or the refusal it
 * met (@error). Returns %FALSE, with @error set, only when it failed for
 * another reason (the whole apply then fails).
 */
gboolean
cairn_store_write_settle (CairnStore       *self,
                          CairnStoreWrite  *write,
                          GAsyncResult     *result,
                          GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  switch (write->kind)
    {
    case CAIRN_STORE_WRITE_INSERT:
      write->stored = cairn_store_insert_finish (self, result, &local_error);
      break;
    case CAIRN_STORE_WRITE_PATCH:
      write->stored = cairn_store_patch_finish (self, result, &local_error);
      break;
    case CAIRN_STORE_WRITE_REMOVE:
      cairn_store_remove_finish (self, result, &local_error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (local_error != NULL && !cairn_store_error_is_refusal (local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  write->error = g_steal_pointer (&local_error);
  write->done = TRUE;
  return TRUE;
}

static void
one_written_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  OneByOne *batch = g_task_get_task_data (task);
  CairnStoreWrite *write = g_ptr_array_index (batch->writes, batch->next);
  GError *error = NULL;

  if (!cairn_store_write_settle (CAIRN_STORE (object), write, result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  batch->next++;
  one_by_one_next (task);
}

static void
one_by_one_next (GTask *task)
{
  CairnStore *self = g_task_get_source_object (task);
  OneByOne *batch = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  CairnStoreWrite *write;

  if (batch->next >= batch->writes->len)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  write = g_ptr_array_index (batch->writes, batch->next);
  cairn_store_write_send (self, write, cancellable, one_written_cb, task);
}

/**
 * cairn_store_apply_async:
 * @writes: (element-type CairnStoreWrite): the writes, in the order they must happen
 *
 * Applies @writes in order, as few round trips as the store can: on the
 * deployment, in batches (documents:apply). Each write then tells how it
 * ended: @done, with what was @stored, or the @error it was refused with for
 * good (the other writes still happen). The outcomes of an earlier call are
 * cleared first.
 */
void
cairn_store_apply_async (CairnStore          *self,
                         GPtrArray           *writes,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  OneByOne *batch;
  GTask *task;

  g_return_if_fail (CAIRN_IS_STORE (self));
  g_return_if_fail (writes != NULL);

  for (guint i = 0; i < writes->len; i++)
    write_reset (g_ptr_array_index (writes, i));

  if (IFACE (self)->apply_async != NULL)
    {
      IFACE (self)->apply_async (self, writes, cancellable, callback, user_data);
      return;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_store_apply_async);
  batch = g_new0 (OneByOne, 1);
  batch->writes = g_ptr_array_ref (writes);
  g_task_set_task_data (task, batch, (GDestroyNotify) one_by_one_free);
  one_by_one_next (task);
}

/**
 * cairn_store_apply_finish:
 *
 * Returns: %TRUE when the store answered for every write (each may still
 *   have been refused); %FALSE with @error when the batch as a whole could
 *   not be applied now: some of its writes may have happened, and sending it
 *   again is safe (idempotent by clientId).
 */
gboolean
cairn_store_apply_finish (CairnStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (CAIRN_IS_STORE (self), FALSE);

  if (g_task_is_valid (result, self) && g_task_get_source_tag (G_TASK (result)) == cairn_store_apply_async)
    return g_task_propagate_boolean (G_TASK (result), error);

  return IFACE (self)->apply_finish (self, result, error);
}
