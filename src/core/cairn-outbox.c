/* cairn-outbox.c
 *
 * Each write for the user's deployment becomes a row of the "outbox" table
 * in the main store before it is sent, and leaves it only once the
 * deployment acknowledged it. The rows of a workspace, in the order they were
 * written, are the queue; this object keeps them in memory too, so the
 * workspace can tell what is pending without asking the store.
 *
 * A write the deployment refused for good (too large, invalid) is not
 * dropped: its row is marked "failed", with the reason, and stays until the
 * user retries it (pending again) or discards it. Failed entries keep their
 * place in the queue but are not sent, and do not hold up the ones behind them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-outbox"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-clock.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-outbox.h"
#include "cairn-store.h"

#define TABLE "outbox"

struct _CairnOutbox
{
  GObject     parent_instance;
  CairnStore *store;
  char       *workspace_id;
  CairnClock *clock;     /* stamps the entries */
  GQueue      entries;   /* (element-type CairnOutboxEntry) oldest first */
  GHashTable *pending;   /* document id -> number of entries for it */
  guint       n_failed;  /* entries the deployment refused for good */
};

G_DEFINE_FINAL_TYPE (CairnOutbox, cairn_outbox, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *operation_names[] = { "insert", "patch", "remove" };
static const char *status_names[] = { "pending", "failed" };

/* Entries ------------------------------------------------------------------ */

static void
entry_free (CairnOutboxEntry *entry)
{
  g_free (entry->id);
  g_free (entry->table);
  g_free (entry->document_id);
  g_clear_pointer (&entry->payload, json_object_unref);
  g_free (entry->error);
  g_free (entry);
}

void
cairn_outbox_entry_free (CairnOutboxEntry *entry)
{
  if (entry != NULL)
    entry_free (entry);
}

/* A member every outbox row has, as text; NULL with an error otherwise.
 * The errors here describe a damaged database for the log, not for the
 * user: they are not translated. */
static const char *
row_string (JsonObject  *row,
            const char  *member,
            GError     **error)
{
  const char *value = cairn_json_get_string (row, member);

  if (value == NULL)
    g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                 "An outbox entry has no text “%s”.", member);

  return value;
}

/**
 * cairn_outbox_entry_from_row:
 * @row: a row of the outbox table, as the store gave it back
 *
 * Reads a stored write. The row comes from disk, where it may have been
 * damaged or written by another version: no member is trusted without
 * checking its type, and the payload is parsed depth-bounded.
 *
 * Returns: (transfer full) (nullable): the entry, or %NULL with a
 *   %CAIRN_STORE_ERROR_DATABASE error
 */
CairnOutboxEntry *
cairn_outbox_entry_from_row (JsonObject  *row,
                             GError     **error)
{
  const char *id, *operation, *table, *document_id, *payload, *status;
  g_autoptr(JsonNode) node = NULL;
  CairnOutboxEntry *entry;
  guint i, s;

  g_return_val_if_fail (row != NULL, NULL);

  if ((id = row_string (row, "clientId", error)) == NULL ||
      (operation = row_string (row, "operation", error)) == NULL ||
      (table = row_string (row, "targetTable", error)) == NULL ||
      (document_id = row_string (row, "documentId", error)) == NULL ||
      (payload = row_string (row, "payload", error)) == NULL)
    return NULL;

  for (i = 0; i < G_N_ELEMENTS (operation_names); i++)
    if (g_str_equal (operation, operation_names[i]))
      break;
  if (i == G_N_ELEMENTS (operation_names))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   "An outbox entry has an unknown operation “%s”.", operation);
      return NULL;
    }

  /* a remove carries no payload; an insert or a patch is nothing without one */
  if (i != CAIRN_OUTBOX_REMOVE)
    {
      g_autoptr(GError) parse_error = NULL;

      node = cairn_json_parse (payload, strlen (payload), &parse_error);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                       "An outbox entry has an unreadable payload: %s",
                       parse_error != NULL ? parse_error->message : "not an object");
          return NULL;
        }
    }

  /* rows from before the state was kept (and a row without it) are pending */
  status = cairn_json_get_string (row, "status");
  for (s = 0; status != NULL && *status != '\0' && s < G_N_ELEMENTS (status_names); s++)
    if (g_str_equal (status, status_names[s]))
      break;
  if (s == G_N_ELEMENTS (status_names))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_DATABASE,
                   "An outbox entry has an unknown status “%s”.", status);
      return NULL;
    }

  entry = g_new0 (CairnOutboxEntry, 1);
  entry->id = g_strdup (id);
  entry->operation = i;
  entry->status = s;
  if (s == CAIRN_OUTBOX_FAILED)
    entry->error = g_strdup (cairn_json_get_string (row, "error") != NULL ? cairn_json_get_string (row, "error") : "");
  entry->table = g_strdup (table);
  entry->document_id = g_strdup (document_id);
  if (node != NULL)
    entry->payload = json_object_ref (json_node_get_object (node));

  return entry;
}

static void
track (CairnOutbox      *self,
       CairnOutboxEntry *entry,
       int               delta)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->pending, entry->document_id)) + delta;

  if (n == 0)
    g_hash_table_remove (self->pending, entry->document_id);
  else
    g_hash_table_replace (self->pending, g_strdup (entry->document_id), GUINT_TO_POINTER (n));

  if (entry->status == CAIRN_OUTBOX_FAILED)
    self->n_failed += delta;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
}

/* Loading ------------------------------------------------------------------- */

static void load_page (GTask *task, const char *cursor);

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnPage) page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  CairnOutbox *self = g_task_get_source_object (task);
  GQueue *loaded = g_task_get_task_data (task);

  if (page == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < page->documents->len; i++)
    {
      g_autoptr(GError) row_error = NULL;
      CairnOutboxEntry *entry = cairn_outbox_entry_from_row (g_ptr_array_index (page->documents, i), &row_error);

      if (entry != NULL)
        g_queue_push_tail (loaded, entry);
      else
        g_warning ("Skipping an outbox entry: %s", row_error->message);
    }

  if (!page->done)
    {
      load_page (g_steal_pointer (&task), page->cursor);
      return;
    }

  /* what was loaded replaces what was known */
  g_queue_clear_full (&self->entries, (GDestroyNotify) entry_free);
  g_hash_table_remove_all (self->pending);
  self->n_failed = 0;
  while (!g_queue_is_empty (loaded))
    {
      CairnOutboxEntry *entry = g_queue_pop_head (loaded);

      g_queue_push_tail (&self->entries, entry);
      track (self, entry, +1);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
  g_task_return_boolean (task, TRUE);
}

static void
load_page (GTask      *task,
           const char *cursor)
{
  CairnOutbox *self = g_task_get_source_object (task);
  g_autoptr(CairnQuery) query = cairn_query_new (TABLE, "by_workspace");

  cairn_query_add_equal_string (query, self->workspace_id);
  cairn_query_set_page_size (query, CAIRN_QUERY_MAX_PAGE_SIZE);
  cairn_query_set_cursor (query, cursor);
  cairn_store_list_async (self->store, query, g_task_get_cancellable (task), page_cb, task);
}

/* Writing ------------------------------------------------------------------- */

static void
appended_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) row = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);
  CairnOutbox *self = g_task_get_source_object (task);
  CairnOutboxEntry *entry;

  if (row == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  entry = cairn_outbox_entry_from_row (row, &error);
  if (entry == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_queue_push_tail (&self->entries, entry);
  track (self, entry, +1);
  g_task_return_pointer (task, entry, NULL);
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnOutbox *self = g_task_get_source_object (task);
  CairnOutboxEntry *entry = g_task_get_task_data (task);

  if (!cairn_store_remove_finish (CAIRN_STORE (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_queue_remove (&self->entries, entry))
    {
      track (self, entry, -1);
      entry_free (entry);
    }
  g_task_return_boolean (task, TRUE);
}

typedef struct {
  CairnOutboxEntry  *entry;
  CairnOutboxStatus  status;
  char              *error;
} StatusChange;

static void
status_change_free (StatusChange *change)
{
  g_free (change->error);
  g_free (change);
}

/* Memory follows the row even when the row could not be written: otherwise a
 * write refused for good would be sent again and again until a restart. */
static void
status_set_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) row = cairn_store_patch_finish (CAIRN_STORE (object), result, &error);
  CairnOutbox *self = g_task_get_source_object (task);
  StatusChange *change = g_task_get_task_data (task);
  CairnOutboxEntry *entry = change->entry;

  if (g_queue_find (&self->entries, entry) != NULL && entry->status != change->status)
    {
      track (self, entry, -1);
      entry->status = change->status;
      track (self, entry, +1);
    }
  if (g_queue_find (&self->entries, entry) != NULL)
    {
      g_free (entry->error);
      entry->error = g_steal_pointer (&change->error);
    }

  if (row == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_outbox_finalize (GObject *object)
{
  CairnOutbox *self = (CairnOutbox *) object;

  g_clear_object (&self->store);
  g_free (self->workspace_id);
  g_clear_object (&self->clock);
  g_queue_clear_full (&self->entries, (GDestroyNotify) entry_free);
  g_hash_table_unref (self->pending);

  G_OBJECT_CLASS (cairn_outbox_parent_class)->finalize (object);
}

static void
cairn_outbox_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CairnOutbox *self = CAIRN_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_COUNT:
      g_value_set_uint (value, cairn_outbox_get_count (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_outbox_class_init (CairnOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cairn_outbox_finalize;
  object_class->get_property = cairn_outbox_get_property;

  properties[PROP_COUNT] =
    g_param_spec_uint ("count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_outbox_init (CairnOutbox *self)
{
  g_queue_init (&self->entries);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Public API ----------------------------------------------------------------- */

CairnOutbox *
cairn_outbox_new (CairnStore *store,
                  const char *workspace_id,
                  CairnClock *clock)
{
  CairnOutbox *self;

  g_return_val_if_fail (CAIRN_IS_STORE (store), NULL);
  g_return_val_if_fail (workspace_id != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = g_object_new (CAIRN_TYPE_OUTBOX, NULL);
  self->store = g_object_ref (store);
  self->workspace_id = g_strdup (workspace_id);
  self->clock = g_object_ref (clock);

  return self;
}

/* Reads the workspace's waiting writes from the store (after a restart or a crash). */
void
cairn_outbox_load_async (CairnOutbox         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_load_async);
  g_task_set_task_data (task, g_queue_new (), (GDestroyNotify) g_queue_free);
  load_page (task, NULL);
}

gboolean
cairn_outbox_load_finish (CairnOutbox   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_outbox_append_async:
 * @payload: (nullable): the document to insert or the fields to patch
 *
 * Makes the write durable in the main store; it is then at the tail of the queue.
 */
void
cairn_outbox_append_async (CairnOutbox          *self,
                           CairnOutboxOperation  operation,
                           const char           *table,
                           const char           *document_id,
                           JsonObject           *payload,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data)
{
  g_autoptr(JsonObject) row = json_object_new ();
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *payload_text = NULL;
  GTask *task;

  g_return_if_fail (CAIRN_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_append_async);

  if (payload != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), payload);

      payload_text = json_to_string (node, FALSE);
    }

  json_object_set_string_member (row, "clientId", id);
  json_object_set_string_member (row, "workspace", self->workspace_id);
  json_object_set_string_member (row, "operation", operation_names[operation]);
  json_object_set_string_member (row, "targetTable", table);
  json_object_set_string_member (row, "documentId", document_id != NULL ? document_id : "");
  json_object_set_string_member (row, "payload", payload_text != NULL ? payload_text : "");
  json_object_set_double_member (row, "createdAt", cairn_clock_get_real_time_ms (self->clock));
  json_object_set_string_member (row, "status", status_names[CAIRN_OUTBOX_PENDING]);
  json_object_set_string_member (row, "error", "");

  cairn_store_insert_async (self->store, TABLE, row, cancellable, appended_cb, task);
}

/**
 * cairn_outbox_append_finish:
 *
 * Returns: (transfer none): the entry, valid until it is removed
 */
const CairnOutboxEntry *
cairn_outbox_append_finish (CairnOutbox   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The deployment acknowledged @entry (or the user discarded it): it goes. */
void
cairn_outbox_remove_async (CairnOutbox            *self,
                           const CairnOutboxEntry *entry,
                           GCancellable           *cancellable,
                           GAsyncReadyCallback     callback,
                           gpointer                user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_OUTBOX (self));
  g_return_if_fail (entry != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_remove_async);
  g_task_set_task_data (task, (gpointer) entry, NULL);
  cairn_store_remove_async (self->store, TABLE, entry->id, cancellable, removed_cb, task);
}

gboolean
cairn_outbox_remove_finish (CairnOutbox   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_outbox_set_status_async:
 * @reason: (nullable): why the deployment refused it, for %CAIRN_OUTBOX_FAILED
 *
 * Marks @entry failed (refused for good, not to be sent until retried) or
 * pending again (to be sent), in its row first.
 */
void
cairn_outbox_set_status_async (CairnOutbox            *self,
                               const CairnOutboxEntry *entry,
                               CairnOutboxStatus       status,
                               const char             *reason,
                               GCancellable           *cancellable,
                               GAsyncReadyCallback     callback,
                               gpointer                user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  StatusChange *change;
  GTask *task;

  g_return_if_fail (CAIRN_IS_OUTBOX (self));
  g_return_if_fail (entry != NULL);
  g_return_if_fail (status == CAIRN_OUTBOX_PENDING || status == CAIRN_OUTBOX_FAILED);

  change = g_new0 (StatusChange, 1);
  change->entry = (CairnOutboxEntry *) entry;
  change->status = status;
  if (status == CAIRN_OUTBOX_FAILED)
    change->error = g_strdup (reason != NULL ? reason : "");

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_set_status_async);
  g_task_set_task_data (task, change, (GDestroyNotify) status_change_free);

  json_object_set_string_member (fields, "status", status_names[status]);
  json_object_set_string_member (fields, "error", change->error != NULL ? change->error : "");
  cairn_store_patch_async (self->store, TABLE, entry->id, fields, cancellable, status_set_cb, task);
}

/* Whatever the answer, the entry in memory has the new status. */
gboolean
cairn_outbox_set_status_finish (CairnOutbox   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_outbox_peek:
 *
 * Returns: (nullable) (transfer none): the oldest write to send (failed
 *   ones wait for the user)
 */
const CairnOutboxEntry *
cairn_outbox_peek (CairnOutbox *self)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), NULL);

  for (GList *l = self->entries.head; l != NULL; l = l->next)
    {
      CairnOutboxEntry *entry = l->data;

      if (entry->status == CAIRN_OUTBOX_PENDING)
        return entry;
    }

  return NULL;
}

/**
 * cairn_outbox_peek_many:
 * @max: how many at most
 *
 * Returns: (transfer container) (element-type CairnOutboxEntry): the oldest
 *   writes to send, in order (failed ones skipped), valid until removed
 */
GPtrArray *
cairn_outbox_peek_many (CairnOutbox *self,
                        guint        max)
{
  GPtrArray *entries;

  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), NULL);

  entries = g_ptr_array_new ();
  for (GList *l = self->entries.head; l != NULL && entries->len < max; l = l->next)
    {
      CairnOutboxEntry *entry = l->data;

      if (entry->status == CAIRN_OUTBOX_PENDING)
        g_ptr_array_add (entries, entry);
    }

  return entries;
}

/* The writes still to be sent; failed ones are not counted. */
guint
cairn_outbox_get_count (CairnOutbox *self)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), 0);

  return g_queue_get_length (&self->entries) - self->n_failed;
}

/* The writes the deployment refused for good, waiting for the user. */
guint
cairn_outbox_get_failed_count (CairnOutbox *self)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), 0);

  return self->n_failed;
}

/* Whether a write of the document @document_id waits (pending or failed). */
gboolean
cairn_outbox_has_writes_for (CairnOutbox *self,
                             const char  *document_id)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), FALSE);

  return g_hash_table_contains (self->pending, document_id);
}

/**
 * cairn_outbox_list_for_document:
 *
 * Returns: (transfer container) (element-type CairnOutboxEntry): the
 *   writes of the document @document_id of @table, oldest first, valid
 *   until they are removed
 */
GPtrArray *
cairn_outbox_list_for_document (CairnOutbox *self,
                                const char  *table,
                                const char  *document_id)
{
  GPtrArray *entries = g_ptr_array_new ();

  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), entries);

  for (GList *l = self->entries.head; l != NULL; l = l->next)
    {
      CairnOutboxEntry *entry = l->data;

      if (g_strcmp0 (entry->table, table) == 0 && g_strcmp0 (entry->document_id, document_id) == 0)
        g_ptr_array_add (entries, entry);
    }

  return entries;
}

/**
 * cairn_outbox_list_inserts:
 *
 * Returns: (transfer container) (element-type CairnOutboxEntry): the
 *   inserts into @table not yet acknowledged (pending or failed), oldest first
 */
GPtrArray *
cairn_outbox_list_inserts (CairnOutbox *self,
                           const char  *table)
{
  GPtrArray *documents = g_ptr_array_new ();

  g_return_val_if_fail (CAIRN_IS_OUTBOX (self), documents);

  for (GList *l = self->entries.head; l != NULL; l = l->next)
    {
      CairnOutboxEntry *entry = l->data;

      if (entry->operation == CAIRN_OUTBOX_INSERT && g_strcmp0 (entry->table, table) == 0 && entry->payload != NULL)
        g_ptr_array_add (documents, entry);
    }

  return documents;
}
