/* cairn-outbox-delivery.c
 *
 * Delivers the writes of an outbox (kept durable in the main store) to the
 * store it is given, the user's deployment. A write is first made durable
 * in the outbox; its caller hears back as soon as the store acknowledged it,
 * or — when the store cannot take it now — as soon as it is kept safe, with
 * the document marked "_pending". The outbox is sent in order, in batches
 * (the oldest DELIVERY_BATCH_WRITES pending writes, one request:
 * cairn_store_apply_async()), one batch at a time, and again on every flush
 * (the connection came back); clientIds make every write, and so every
 * batch, safe to send twice.
 *
 * A write the store refuses for good (too large, invalid input) is not
 * dropped: it stays in the outbox, marked failed with the reason, and an
 * insert is shown as "_failed" instead of "_pending". Delivery goes on with
 * the writes behind it. The user retries it (it is pending again and goes
 * out in its old place) or discards it (an insert's document goes).
 *
 * What the lists should show meanwhile is told through ::document-changed
 * and ::document-removed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-outbox-delivery"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-connection.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-outbox-delivery.h"
#include "cairn-schema.h"

struct _CairnOutboxDelivery
{
  GObject      parent_instance;
  CairnOutbox *outbox;
  CairnStore  *store;     /* (nullable) where the writes go; NULL holds them */
  GHashTable  *waiting;   /* CairnOutboxEntry -> GTask of the caller */
  gboolean     flushing;
  guint        batch_limit; /* the most writes sent together */
};

G_DEFINE_FINAL_TYPE (CairnOutboxDelivery, cairn_outbox_delivery, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_OUTBOX,
  PROP_COUNT,
  N_PROPS
};

enum {
  DOCUMENT_CHANGED,
  DOCUMENT_REMOVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The most writes one batch carries (a prefix of the queue, in order). */
#define DELIVERY_BATCH_WRITES 250

static void flush (CairnOutboxDelivery *self);

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

static void
emit_changed (CairnOutboxDelivery *self,
              const char          *table,
              JsonObject          *document)
{
  g_signal_emit (self, signals[DOCUMENT_CHANGED], 0, table, document);
}

static void
emit_removed (CairnOutboxDelivery *self,
              const char          *table,
              const char          *document_id)
{
  g_signal_emit (self, signals[DOCUMENT_REMOVED], 0, table, document_id);
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
    g_task_return_pointer (task, NULL, NULL);
  else
    g_task_return_pointer (task, pending_copy (entry->payload), (GDestroyNotify) json_object_unref);
}

static void
release_waiting (CairnOutboxDelivery *self)
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
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, _("There is no table “%s”."), table);
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
typedef struct _Batch Batch;

typedef struct {
  Batch                  *batch;
  const CairnOutboxEntry *entry;    /* valid until it is removed from the outbox */
  CairnOutboxOperation    operation;
  char                   *table;
  JsonObject             *payload;  /* (nullable) what was sent */
  GTask                  *waiting;  /* the caller, if it is still waiting */
  JsonObject             *stored;   /* what the store answered */
  GError                 *refused;  /* a write it will never take */
} Delivery;

/* The writes sent together: a prefix of the outbox's pending writes. */
struct _Batch {
  CairnOutboxDelivery *self;        /* a reference, while the batch is on its way */
  GPtrArray           *deliveries;  /* (element-type Delivery) in outbox order */
  GPtrArray           *writes;      /* (element-type CairnStoreWrite) the same order */
  guint                unsettled;   /* outbox rows still to update */
};

static void
delivery_free (Delivery *delivery)
{
  g_free (delivery->table);
  g_clear_pointer (&delivery->payload, json_object_unref);
  g_clear_object (&delivery->waiting);
  g_clear_pointer (&delivery->stored, json_object_unref);
  g_clear_error (&delivery->refused);
  g_free (delivery);
}

static void
batch_free (Batch *batch)
{
  g_clear_object (&batch->self);
  g_ptr_array_unref (batch->deliveries);
  g_ptr_array_unref (batch->writes);
  g_free (batch);
}

/* Tells the lists and the waiting caller how the write ended. */
static void
announce (CairnOutboxDelivery *self,
          Delivery            *delivery)
{
  GTask *waiting = delivery->waiting;

  /* Refused for good, and kept: an insert's document stays in the lists,
   * failed, and its caller gets it back so; a patch's or a remove's caller
   * hears why. */
  if (delivery->refused != NULL)
    {
      if (delivery->operation == CAIRN_OUTBOX_INSERT)
        {
          g_autoptr(JsonObject) shown = waiting_copy (delivery->payload, delivery->refused->message);

          emit_changed (self, delivery->table, shown);
          if (waiting != NULL)
            g_task_return_pointer (waiting, g_steal_pointer (&shown), (GDestroyNotify) json_object_unref);
        }
      else if (waiting != NULL)
        g_task_return_error (waiting, g_steal_pointer (&delivery->refused));
      return;
    }

  if (delivery->stored != NULL)
    emit_changed (self, delivery->table, delivery->stored);
  if (waiting != NULL)
    g_task_return_pointer (waiting, g_steal_pointer (&delivery->stored), (GDestroyNotify) json_object_unref);
}

/* One write of the batch is settled (acknowledged, or failed for good);
 * once all are, they are announced in order and the next batch goes. */
static void
settled (Delivery *delivery)
{
  Batch *batch = delivery->batch;
  CairnOutboxDelivery *self = batch->self;

  if (--batch->unsettled > 0)
    return;

  for (guint i = 0; i < batch->deliveries->len; i++)
    announce (self, g_ptr_array_index (batch->deliveries, i));

  self->flushing = FALSE;
  flush (self);
  batch_free (batch);
}

static void
entry_removed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Delivery *delivery = user_data;
  g_autoptr(GError) error = NULL;

  /* the write went through; a note of it that stays is sent again, harmlessly */
  if (!cairn_outbox_remove_finish (CAIRN_OUTBOX (object), result, &error))
    g_warning ("Could not clear a delivered write from the outbox: %s", error->message);

  settled (delivery);
}

static void
entry_failed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Delivery *delivery = user_data;
  g_autoptr(GError) error = NULL;

  /* failed in memory all the same: it is not sent again before a restart */
  if (!cairn_outbox_set_status_finish (CAIRN_OUTBOX (object), result, &error))
    g_warning ("Could not keep a refused write's state in the outbox: %s", error->message);

  settled (delivery);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Batch *batch = user_data;
  g_autoptr(GError) error = NULL;
  CairnOutboxDelivery *self = batch->self;
  CairnStore *store = CAIRN_STORE (object);

  if (!cairn_store_apply_finish (store, result, &error))
    {
      if (!cairn_store_error_is_refusal (error))
        {
          /* the store cannot take them now: they wait, safe, for the next flush */
          g_debug ("Keeping %u writes for later: %s", cairn_outbox_get_count (self->outbox), error->message);
          self->flushing = FALSE;
          release_waiting (self);
          batch_free (batch);
          return;
        }

      /* refused as a whole, for good: each write on its own finds which */
      if (batch->writes->len > 1)
        {
          g_debug ("A batch of %u writes was refused as a whole; sending them one by one: %s",
                   batch->writes->len, error->message);
          self->batch_limit = 1;
          self->flushing = FALSE;
          batch_free (batch);
          flush (self);
          return;
        }

      /* one write: it is the one refused */
      {
        CairnStoreWrite *write = g_ptr_array_index (batch->writes, 0);

        write->error = g_steal_pointer (&error);
        write->done = TRUE;
      }
    }

  self->batch_limit = DELIVERY_BATCH_WRITES;
  batch->unsettled = batch->deliveries->len;
  for (guint i = 0; i < batch->deliveries->len; i++)
    {
      Delivery *delivery = g_ptr_array_index (batch->deliveries, i);
      CairnStoreWrite *write = g_ptr_array_index (batch->writes, i);
      const CairnOutboxEntry *entry = delivery->entry;

      g_hash_table_steal_extended (self->waiting, entry, NULL, (gpointer *) &delivery->waiting);

      /* refused for good (too large, bad input): it stays, failed, and the
       * writes behind it go on */
      if (write->error != NULL)
        {
          g_autofree char *why = first_line (write->error->message);

          g_warning ("Your database refused a write for good (%s in “%s”); it stays in the outbox, "
                     "failed, until it is retried or discarded: %s",
                     operation_names[delivery->operation], delivery->table, why);
          delivery->refused = g_steal_pointer (&write->error);
          cairn_outbox_set_status_async (self->outbox, entry, CAIRN_OUTBOX_FAILED, delivery->refused->message,
                                         NULL, entry_failed_cb, delivery);
          continue;
        }

      /* acknowledged: it leaves */
      delivery->stored = g_steal_pointer (&write->stored);
      cairn_outbox_remove_async (self->outbox, entry, NULL, entry_removed_cb, delivery);
    }
}

/* Sends the oldest waiting writes, up to a batch of them, in order, if
 * nothing is on its way yet. */
static void
flush (CairnOutboxDelivery *self)
{
  g_autoptr(GPtrArray) entries = NULL;
  Batch *batch;

  if (self->flushing || self->store == NULL)
    return;

  entries = cairn_outbox_peek_many (self->outbox, self->batch_limit);
  if (entries->len == 0)
    return;

  self->flushing = TRUE;
  batch = g_new0 (Batch, 1);
  batch->self = g_object_ref (self);
  batch->deliveries = g_ptr_array_new_full (entries->len, (GDestroyNotify) delivery_free);
  batch->writes = g_ptr_array_new_full (entries->len, (GDestroyNotify) cairn_store_write_free);

  for (guint i = 0; i < entries->len; i++)
    {
      const CairnOutboxEntry *entry = g_ptr_array_index (entries, i);
      Delivery *delivery = g_new0 (Delivery, 1);
      static const CairnStoreWriteKind kinds[] = {
        [CAIRN_OUTBOX_INSERT] = CAIRN_STORE_WRITE_INSERT,
        [CAIRN_OUTBOX_PATCH] = CAIRN_STORE_WRITE_PATCH,
        [CAIRN_OUTBOX_REMOVE] = CAIRN_STORE_WRITE_REMOVE,
      };

      delivery->batch = batch;
      delivery->entry = entry;
      delivery->operation = entry->operation;
      delivery->table = g_strdup (entry->table);
      if (entry->payload != NULL)
        delivery->payload = json_object_ref (entry->payload);
      g_ptr_array_add (batch->deliveries, delivery);
      g_ptr_array_add (batch->writes, cairn_store_write_new (kinds[entry->operation], entry->table,
                                                             entry->document_id, entry->payload));
    }

  cairn_store_apply_async (self->store, batch->writes, NULL, sent_cb, batch);
}

/* Queueing ------------------------------------------------------------------ */

static void
appended_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnOutboxDelivery *self = g_task_get_source_object (task);
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
      emit_changed (self, entry->table, shown);
    }
  else if (entry->operation == CAIRN_OUTBOX_REMOVE)
    emit_removed (self, entry->table, entry->document_id);

  g_hash_table_insert (self->waiting, (gpointer) entry, g_steal_pointer (&task));
  flush (self);
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
start_resolution (CairnOutboxDelivery *self,
                  GTask               *task,
                  const char          *table,
                  const char          *client_id)
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
      g_task_return_new_error (task, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND,
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
  CairnOutboxDelivery *self = g_task_get_source_object (task);
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

          emit_changed (self, entry->table, shown);
          break;
        }
    }

  g_task_return_boolean (task, TRUE);
  flush (self);
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
  CairnOutboxDelivery *self = g_task_get_source_object (task);
  Resolution *resolution = g_task_get_task_data (task);

  if (cairn_outbox_remove_finish (CAIRN_OUTBOX (object), result, &error))
    resolution->insert_done |= discard->insert;
  g_free (discard);

  if (!finish_step (task, error))
    return;

  /* never on the deployment, and now nowhere */
  if (resolution->insert_done)
    emit_removed (self, resolution->table, resolution->client_id);

  if (resolution->error != NULL)
    g_task_return_error (task, g_steal_pointer (&resolution->error));
  else
    g_task_return_boolean (task, TRUE);
}

/* GObject ------------------------------------------------------------------ */

static void
outbox_count_cb (CairnOutboxDelivery *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
}

static void
cairn_outbox_delivery_constructed (GObject *object)
{
  CairnOutboxDelivery *self = (CairnOutboxDelivery *) object;

  G_OBJECT_CLASS (cairn_outbox_delivery_parent_class)->constructed (object);

  g_assert (CAIRN_IS_OUTBOX (self->outbox));
  g_signal_connect_object (self->outbox, "notify::count", G_CALLBACK (outbox_count_cb), self, G_CONNECT_SWAPPED);
}

static void
cairn_outbox_delivery_dispose (GObject *object)
{
  CairnOutboxDelivery *self = (CairnOutboxDelivery *) object;

  g_clear_object (&self->store);
  g_hash_table_remove_all (self->waiting);

  G_OBJECT_CLASS (cairn_outbox_delivery_parent_class)->dispose (object);
}

static void
cairn_outbox_delivery_finalize (GObject *object)
{
  CairnOutboxDelivery *self = (CairnOutboxDelivery *) object;

  g_clear_object (&self->outbox);
  g_hash_table_unref (self->waiting);

  G_OBJECT_CLASS (cairn_outbox_delivery_parent_class)->finalize (object);
}

static void
cairn_outbox_delivery_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CairnOutboxDelivery *self = CAIRN_OUTBOX_DELIVERY (object);

  switch (prop_id)
    {
    case PROP_OUTBOX:
      g_value_set_object (value, self->outbox);
      break;
    case PROP_COUNT:
      g_value_set_uint (value, cairn_outbox_delivery_get_count (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_outbox_delivery_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  CairnOutboxDelivery *self = CAIRN_OUTBOX_DELIVERY (object);

  switch (prop_id)
    {
    case PROP_OUTBOX:
      self->outbox = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_outbox_delivery_class_init (CairnOutboxDeliveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cairn_outbox_delivery_constructed;
  object_class->dispose = cairn_outbox_delivery_dispose;
  object_class->finalize = cairn_outbox_delivery_finalize;
  object_class->get_property = cairn_outbox_delivery_get_property;
  object_class->set_property = cairn_outbox_delivery_set_property;

  properties[PROP_OUTBOX] =
    g_param_spec_object ("outbox", NULL, NULL, CAIRN_TYPE_OUTBOX,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* writes still to be delivered (failed ones wait for the user, uncounted) */
  properties[PROP_COUNT] =
    g_param_spec_uint ("count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnOutboxDelivery::document-changed:
   * @table: the table
   * @document: the document as the lists show it now (pending, failed or stored)
   */
  signals[DOCUMENT_CHANGED] =
    g_signal_new ("document-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);

  /**
   * CairnOutboxDelivery::document-removed:
   * @table: the table
   * @client_id: the document that leaves the lists
   */
  signals[DOCUMENT_REMOVED] =
    g_signal_new ("document-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
cairn_outbox_delivery_init (CairnOutboxDelivery *self)
{
  self->waiting = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->batch_limit = DELIVERY_BATCH_WRITES;
}

/* Public API ----------------------------------------------------------------- */

CairnOutboxDelivery *
cairn_outbox_delivery_new (CairnOutbox *outbox)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX (outbox), NULL);

  return g_object_new (CAIRN_TYPE_OUTBOX_DELIVERY, "outbox", outbox, NULL);
}

/**
 * cairn_outbox_delivery_set_store:
 * @store: (nullable): where the writes go from now on; %NULL keeps them
 *
 * Sending starts with the next flush.
 */
void
cairn_outbox_delivery_set_store (CairnOutboxDelivery *self,
                                 CairnStore          *store)
{
  g_return_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self));
  g_return_if_fail (store == NULL || CAIRN_IS_STORE (store));

  g_set_object (&self->store, store);
}

/**
 * cairn_outbox_delivery_write_async:
 * @document_id: (nullable): the document patched or removed; an insert's
 *   is its clientId
 * @payload: (nullable): the document to insert or the fields to patch
 *
 * A write for the store: into the outbox, then to the store.
 */
void
cairn_outbox_delivery_write_async (CairnOutboxDelivery  *self,
                                   CairnOutboxOperation  operation,
                                   const char           *table,
                                   const char           *document_id,
                                   JsonObject           *payload,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self));
  g_return_if_fail (table != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_delivery_write_async);

  if (!check_write (operation, table, document_id, payload, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (operation == CAIRN_OUTBOX_INSERT)
    document_id = cairn_json_get_string (payload, "clientId");

  /* durable whatever happens to the caller */
  cairn_outbox_append_async (self->outbox, operation, table, document_id, payload,
                             NULL, appended_cb, g_steal_pointer (&task));
}

/**
 * cairn_outbox_delivery_write_finish:
 *
 * Returns: (transfer full) (nullable): the document as stored, or marked
 *   pending (kept safe, not delivered yet) or failed (refused for good, kept);
 *   %NULL without an error for a remove
 */
JsonObject *
cairn_outbox_delivery_write_finish (CairnOutboxDelivery  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The store can take writes again (the connection is back): what waited goes out, in order. */
void
cairn_outbox_delivery_flush (CairnOutboxDelivery *self)
{
  g_return_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self));

  flush (self);
}

/* The writes still to be delivered; failed ones are not counted. */
guint
cairn_outbox_delivery_get_count (CairnOutboxDelivery *self)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self), 0);

  return cairn_outbox_get_count (self->outbox);
}

/* Whether the outbox holds a write of the document @client_id: then what
 * the deployment has of it is older than what this computer shows. */
gboolean
cairn_outbox_delivery_has_writes_for (CairnOutboxDelivery *self,
                                      const char          *client_id)
{
  g_return_val_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self), FALSE);

  return cairn_outbox_has_writes_for (self->outbox, client_id);
}

/**
 * cairn_outbox_delivery_list_pending:
 *
 * Returns: (transfer full) (element-type JsonObject): the documents of
 *   @table still waiting in the outbox, oldest first: marked pending
 *   (CAIRN_PENDING_MEMBER), or failed (CAIRN_FAILED_MEMBER, the reason)
 *   when the store refused them for good; none while there is no store
 */
GPtrArray *
cairn_outbox_delivery_list_pending (CairnOutboxDelivery *self,
                                    const char          *table)
{
  g_autoptr(GPtrArray) inserts = NULL;
  GPtrArray *pending = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  g_return_val_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self), pending);

  if (self->store == NULL)
    return pending;

  inserts = cairn_outbox_list_inserts (self->outbox, table);
  for (guint i = 0; i < inserts->len; i++)
    g_ptr_array_add (pending, entry_copy (g_ptr_array_index (inserts, i)));

  return pending;
}

/**
 * cairn_outbox_delivery_retry_async:
 * @table: the document's table
 * @client_id: the document's clientId
 *
 * Sends again what the store refused of the document: its failed writes
 * are pending again (in their old places in the outbox) and the outbox is
 * flushed. Finishes once they are pending, not once they are delivered;
 * they may be refused again. %CAIRN_STORE_ERROR_NOT_FOUND when nothing of it failed.
 */
void
cairn_outbox_delivery_retry_async (CairnOutboxDelivery *self,
                                   const char          *table,
                                   const char          *client_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) failed = NULL;

  g_return_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self));
  g_return_if_fail (table != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_delivery_retry_async);

  failed = start_resolution (self, task, table, client_id);
  if (failed == NULL)
    return;

  for (guint i = 0; i < failed->len; i++)
    cairn_outbox_set_status_async (self->outbox, g_ptr_array_index (failed, i), CAIRN_OUTBOX_PENDING, NULL,
                                   NULL, retried_cb, g_object_ref (task));
}

gboolean
cairn_outbox_delivery_retry_finish (CairnOutboxDelivery  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_outbox_delivery_discard_async:
 * @table: the document's table
 * @client_id: the document's clientId
 *
 * Gives up what the store refused of the document: its failed writes leave
 * the outbox; for an insert, the document leaves the lists
 * (::document-removed). %CAIRN_STORE_ERROR_NOT_FOUND when nothing of it failed.
 */
void
cairn_outbox_delivery_discard_async (CairnOutboxDelivery *self,
                                     const char          *table,
                                     const char          *client_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) failed = NULL;

  g_return_if_fail (CAIRN_IS_OUTBOX_DELIVERY (self));
  g_return_if_fail (table != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_outbox_delivery_discard_async);

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
cairn_outbox_delivery_discard_finish (CairnOutboxDelivery  *self,
                                      GAsyncResult         *result,
                                      GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
