/* cairn-workspace.c
 *
 * The workspace owns the parts of one set of content — the main store, the
 * BYOD state (CairnByod) and the delivery of the outbox to the user's
 * deployment (CairnOutboxDelivery) — and applies the routing rules
 * (docs/ARCHITECTURE.md, "Routing") to every call:
 *
 *  1. a table whose location is "main" always goes to the main store;
 *  2. a "user" table goes to the main store while BYOD is off;
 *  3. a "user" table goes to the user store while BYOD is on, whatever the
 *     health of that store: there is no fallback to the main store. Its
 *     writes go through the outbox, durable before they are sent.
 *
 * Every successful write is announced with ::document-changed or
 * ::document-removed, so lists on screen can follow without reloading.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-workspace"

#include "config.h"

#include "cairn-byod.h"
#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-json.h"
#include "cairn-live-query.h"
#include "cairn-outbox-delivery.h"
#include "cairn-query.h"
#include "cairn-router.h"
#include "cairn-store.h"
#include "cairn-system-clock.h"
#include "cairn-workspace.h"

struct _CairnWorkspace
{
  GObject              parent_instance;
  char                *id;
  CairnStore          *main_store;
  CairnClock          *clock;
  GNetworkMonitor     *network_monitor;

  CairnByod           *byod;
  CairnOutboxDelivery *delivery;
};

G_DEFINE_FINAL_TYPE (CairnWorkspace, cairn_workspace, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_MAIN_STORE,
  PROP_CLOCK,
  PROP_NETWORK_MONITOR,
  N_PROPS
};

enum {
  DOCUMENT_CHANGED,
  DOCUMENT_REMOVED,
  STORAGE_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What a routed call remembers until its store answers. */
typedef struct {
  CairnStore *store;
  char       *table;
  char       *client_id;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->store);
  g_free (call->table);
  g_free (call->client_id);
  g_free (call);
}

static GTask *
routed_task_new (CairnWorkspace      *self,
                 const char          *table,
                 const char          *client_id,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->store = g_object_ref (cairn_workspace_store_for_table (self, table));
  call->table = g_strdup (table);
  call->client_id = g_strdup (client_id);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  return task;
}

static CairnStore *
call_store (GTask *task)
{
  return ((Call *) g_task_get_task_data (task))->store;
}

/* With BYOD on, content writes wait in the outbox until the deployment has them. */
static gboolean
goes_through_outbox (CairnWorkspace *self,
                     const char     *table)
{
  return cairn_byod_get_enabled (self->byod) && cairn_router_get_location (table) == CAIRN_TABLE_LOCATION_USER;
}

/* Generic routed calls ---------------------------------------------------- */

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnPage *page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);

  if (page == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, page, (GDestroyNotify) cairn_page_free);
}

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *document = cairn_store_get_finish (CAIRN_STORE (object), result, &error);

  if (document == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

/* insert and patch both answer with the stored document */
static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  JsonObject *document;

  if (g_task_get_source_tag (task) == cairn_workspace_insert_async)
    document = cairn_store_insert_finish (CAIRN_STORE (object), result, &error);
  else
    document = cairn_store_patch_finish (CAIRN_STORE (object), result, &error);

  if (document == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_signal_emit (self, signals[DOCUMENT_CHANGED], 0, call->table, document);
  g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (!cairn_store_remove_finish (CAIRN_STORE (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_signal_emit (self, signals[DOCUMENT_REMOVED], 0, call->table, call->client_id);
  g_task_return_boolean (task, TRUE);
}

/* A write through the outbox; the delivery has told the lists already. */
static void
outbox_write_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *document = cairn_outbox_delivery_write_finish (CAIRN_OUTBOX_DELIVERY (object), result, &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (g_task_get_source_tag (task) == cairn_workspace_remove_async)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_pointer (task, document, (GDestroyNotify) json_object_unref);
}

static void
write_through_outbox (CairnWorkspace       *self,
                      GTask                *task,
                      CairnOutboxOperation  operation,
                      JsonObject           *payload)
{
  Call *call = g_task_get_task_data (task);

  cairn_outbox_delivery_write_async (self->delivery, operation, call->table, call->client_id, payload,
                                     g_task_get_cancellable (task), outbox_write_cb, task);
}

/* What the parts tell ------------------------------------------------------ */

static void
delivery_changed_cb (CairnWorkspace *self,
                     const char     *table,
                     JsonObject     *document)
{
  g_signal_emit (self, signals[DOCUMENT_CHANGED], 0, table, document);
}

static void
delivery_removed_cb (CairnWorkspace *self,
                     const char     *table,
                     const char     *client_id)
{
  g_signal_emit (self, signals[DOCUMENT_REMOVED], 0, table, client_id);
}

/* What another computer changed on the deployment. A document with writes
 * still in the outbox is newer here than there: it stays as it is shown. */
static void
live_changed_cb (CairnWorkspace *self,
                 const char     *table,
                 JsonObject     *document)
{
  if (!cairn_outbox_delivery_has_writes_for (self->delivery, cairn_json_get_string (document, "clientId")))
    g_signal_emit (self, signals[DOCUMENT_CHANGED], 0, table, document);
}

static void
live_removed_cb (CairnWorkspace *self,
                 const char     *table,
                 const char     *client_id)
{
  if (!cairn_outbox_delivery_has_writes_for (self->delivery, client_id))
    g_signal_emit (self, signals[DOCUMENT_REMOVED], 0, table, client_id);
}

/* The user store was switched, is back, or content moved: the writes that
 * waited go there, and the lists load again. */
static void
storage_changed_cb (CairnWorkspace *self)
{
  cairn_outbox_delivery_set_store (self->delivery, cairn_byod_get_user_store (self->byod));
  cairn_outbox_delivery_flush (self->delivery);
  g_signal_emit (self, signals[STORAGE_CHANGED], 0);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_workspace_constructed (GObject *object)
{
  CairnWorkspace *self = (CairnWorkspace *) object;
  g_autoptr(CairnOutbox) outbox = NULL;

  G_OBJECT_CLASS (cairn_workspace_parent_class)->constructed (object);

  g_assert (self->id != NULL && *self->id != '\0');
  g_assert (CAIRN_IS_STORE (self->main_store));

  if (self->clock == NULL)
    self->clock = cairn_system_clock_new ();

  outbox = cairn_outbox_new (self->main_store, self->id, self->clock);
  self->delivery = cairn_outbox_delivery_new (outbox);
  g_signal_connect_object (self->delivery, "document-changed",
                           G_CALLBACK (delivery_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->delivery, "document-removed",
                           G_CALLBACK (delivery_removed_cb), self, G_CONNECT_SWAPPED);

  self->byod = cairn_byod_new (self->id, self->main_store, outbox, self->clock, self->network_monitor);
  g_signal_connect_object (self->byod, "storage-changed",
                           G_CALLBACK (storage_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
cairn_workspace_dispose (GObject *object)
{
  CairnWorkspace *self = (CairnWorkspace *) object;

  g_clear_object (&self->byod);
  g_clear_object (&self->delivery);
  g_clear_object (&self->main_store);
  g_clear_object (&self->clock);
  g_clear_object (&self->network_monitor);

  G_OBJECT_CLASS (cairn_workspace_parent_class)->dispose (object);
}

static void
cairn_workspace_finalize (GObject *object)
{
  CairnWorkspace *self = (CairnWorkspace *) object;

  g_free (self->id);

  G_OBJECT_CLASS (cairn_workspace_parent_class)->finalize (object);
}

static void
cairn_workspace_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CairnWorkspace *self = CAIRN_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_MAIN_STORE:
      g_value_set_object (value, self->main_store);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, self->network_monitor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_workspace_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CairnWorkspace *self = CAIRN_WORKSPACE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_MAIN_STORE:
      self->main_store = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_NETWORK_MONITOR:
      self->network_monitor = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_workspace_class_init (CairnWorkspaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cairn_workspace_constructed;
  object_class->dispose = cairn_workspace_dispose;
  object_class->finalize = cairn_workspace_finalize;
  object_class->get_property = cairn_workspace_get_property;
  object_class->set_property = cairn_workspace_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, "default",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAIN_STORE] =
    g_param_spec_object ("main-store", NULL, NULL, CAIRN_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /* time for the connection's retries and checks, and for the stamps on
   * what is written; the system clock unless a test brings its own */
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, CAIRN_TYPE_CLOCK,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* network changes make a blocked connection try again; NULL: none */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnWorkspace::document-changed:
   * @table: the table
   * @document: the document as stored now (or marked pending or failed in the outbox)
   *
   * A document was inserted or changed through this workspace.
   */
  signals[DOCUMENT_CHANGED] =
    g_signal_new ("document-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);

  signals[DOCUMENT_REMOVED] =
    g_signal_new ("document-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * CairnWorkspace::storage-changed:
   *
   * Content moved to another store (BYOD switched on or off, content moved,
   * the deployment back after an outage): every list must load again.
   */
  signals[STORAGE_CHANGED] =
    g_signal_new ("storage-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cairn_workspace_init (CairnWorkspace *self)
{
}

/* Public API ----------------------------------------------------------------- */

CairnWorkspace *
cairn_workspace_new (const char *id,
                     CairnStore *main_store)
{
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_STORE (main_store), NULL);

  return g_object_new (CAIRN_TYPE_WORKSPACE, "id", id, "main-store", main_store, NULL);
}

const char *
cairn_workspace_get_id (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->id;
}

CairnStore *
cairn_workspace_get_main_store (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->main_store;
}

/**
 * cairn_workspace_get_clock:
 *
 * Returns: (transfer none): the time of the connection's retries and checks,
 *   and of every stamp the workspace's parts write
 */
CairnClock *
cairn_workspace_get_clock (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->clock;
}

/**
 * cairn_workspace_get_byod:
 *
 * Returns: (transfer none): where content lives, and switching it
 */
CairnByod *
cairn_workspace_get_byod (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->byod;
}

/**
 * cairn_workspace_get_delivery:
 *
 * Returns: (transfer none): the writes waiting for the user's deployment:
 *   how many, which, retrying and discarding the refused ones
 */
CairnOutboxDelivery *
cairn_workspace_get_delivery (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->delivery;
}

/**
 * cairn_workspace_store_for_table:
 *
 * Returns: (transfer none): the store @table lives in right now
 */
CairnStore *
cairn_workspace_store_for_table (CairnWorkspace *self,
                                 const char     *table)
{
  CairnStore *user_store;

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (table != NULL, NULL);

  user_store = cairn_byod_get_user_store (self->byod);
  if (cairn_router_get_location (table) == CAIRN_TABLE_LOCATION_USER && user_store != NULL)
    return user_store;

  return self->main_store;
}

/**
 * cairn_workspace_watch:
 * @query: a listing
 *
 * Follows the first page of @query where its table lives now: on the
 * user's deployment, what changes there (written on another computer too)
 * is reported through ::document-changed and ::document-removed for as long
 * as the returned object is kept. The main store changes only through this
 * workspace, which reports it anyway.
 *
 * Returns: (transfer full) (nullable): keep it while the listing is shown;
 *   %NULL when there is nothing to follow
 */
CairnLiveQuery *
cairn_workspace_watch (CairnWorkspace   *self,
                       const CairnQuery *query)
{
  CairnStore *store;
  CairnLiveQuery *live;

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  store = cairn_workspace_store_for_table (self, query->table);
  if (!CAIRN_IS_CONNECTION (store))
    return NULL;

  live = cairn_connection_watch (CAIRN_CONNECTION (store), query);
  if (live != NULL)
    {
      g_signal_connect_object (live, "document-changed", G_CALLBACK (live_changed_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (live, "document-removed", G_CALLBACK (live_removed_cb), self, G_CONNECT_SWAPPED);
    }

  return live;
}

void
cairn_workspace_list_async (CairnWorkspace      *self,
                            const CairnQuery    *query,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (query != NULL);

  task = routed_task_new (self, query->table, NULL, cancellable, callback, user_data,
                          cairn_workspace_list_async);
  cairn_store_list_async (call_store (task), query, cancellable, list_cb, task);
}

CairnPage *
cairn_workspace_list_finish (CairnWorkspace  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_get_async (CairnWorkspace      *self,
                           const char          *table,
                           const char          *client_id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, client_id, cancellable, callback, user_data,
                          cairn_workspace_get_async);
  cairn_store_get_async (call_store (task), table, client_id, cancellable, get_cb, task);
}

JsonObject *
cairn_workspace_get_finish (CairnWorkspace  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_insert_async (CairnWorkspace      *self,
                              const char          *table,
                              JsonObject          *document,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, NULL, cancellable, callback, user_data,
                          cairn_workspace_insert_async);
  if (goes_through_outbox (self, table))
    write_through_outbox (self, task, CAIRN_OUTBOX_INSERT, document);
  else
    cairn_store_insert_async (call_store (task), table, document, cancellable, write_cb, task);
}

JsonObject *
cairn_workspace_insert_finish (CairnWorkspace  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_patch_async (CairnWorkspace      *self,
                             const char          *table,
                             const char          *client_id,
                             JsonObject          *fields,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, client_id, cancellable, callback, user_data,
                          cairn_workspace_patch_async);
  if (goes_through_outbox (self, table))
    write_through_outbox (self, task, CAIRN_OUTBOX_PATCH, fields);
  else
    cairn_store_patch_async (call_store (task), table, client_id, fields, cancellable, write_cb, task);
}

JsonObject *
cairn_workspace_patch_finish (CairnWorkspace  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cairn_workspace_remove_async (CairnWorkspace      *self,
                              const char          *table,
                              const char          *client_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));
  g_return_if_fail (table != NULL);

  task = routed_task_new (self, table, client_id, cancellable, callback, user_data,
                          cairn_workspace_remove_async);
  if (goes_through_outbox (self, table))
    write_through_outbox (self, task, CAIRN_OUTBOX_REMOVE, NULL);
  else
    cairn_store_remove_async (call_store (task), table, client_id, cancellable, remove_cb, task);
}

gboolean
cairn_workspace_remove_finish (CairnWorkspace  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
