/* cairn-connection.c
 *
 * The user store as the workspace sees it while BYOD is on: a CairnStore
 * wrapped around the Cairn functions on the user's deployment that adds
 *
 *  - per-request retries for retryable failures (100, 200, 400 ms, jittered);
 *  - the connection state: connecting → connected ⇄ blocked(reason). Only a
 *    request that still fails after its retries (or a failure no retry can
 *    fix, like a refused key) blocks;
 *  - a circuit breaker: while blocked, content calls fail at once with
 *    CAIRN_CONNECTION_ERROR_BLOCKED and nothing touches the network;
 *  - health probes: while blocked on a jittered backoff from 1 s doubling to
 *    10 s, at once on Retry and when the network changes; while connected
 *    every health-check-interval seconds. A probe is a CairnHealthCheck:
 *    cairn:ping while connecting or blocked, cairn:ping and cairn:health
 *    for the periodic check, the full check when asked for (Check Health).
 *    Every one ends in ::checked.
 *  - the sync socket (CairnSyncClient), opened once a list wants to follow
 *    the deployment live (cairn_connection_watch()) and the connection is
 *    up: a socket that is lost after its retries blocks like a request that
 *    is; while it reconnects within them nothing blocks. A socket the
 *    network refuses does not block: the lists poll. A network change and
 *    waking from suspend (the wall clock running far ahead of a timer)
 *    reconnect it at once.
 *
 * All timing goes through a CairnClock, so tests drive it without sleeping.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-connection"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-backoff.h"
#include "cairn-connection.h"
#include "cairn-convex-store.h"
#include "cairn-credentials.h"
#include "cairn-error.h"
#include "cairn-health-check.h"
#include "cairn-json.h"
#include "cairn-live-query.h"
#include "cairn-metrics.h"
#include "cairn-sync-client.h"

/* While the socket is open, a timer this often notices a suspend: the wall
 * clock having run more than WAKE_SLACK_MS past it. */
#define WAKE_TICK_MS  10000
#define WAKE_SLACK_MS 20000

struct _CairnConnection
{
  GObject               parent_instance;

  char                 *workspace_id;
  CairnConvexClient    *client;      /* NULL when the saved settings cannot be used */
  CairnStore           *inner;
  GError               *config_error; /* why they cannot */
  CairnClock           *clock;
  GNetworkMonitor      *monitor;
  GRand                *rand;
  GCancellable         *cancellable;

  CairnConnectionState  state;
  CairnBlockReason      reason;
  GError               *error;
  gboolean              probing;
  gboolean              manual_probe;
  gboolean              full_check;  /* the next probe is Check Health's */
  CairnHealthCheck     *check;       /* (nullable) the probe running */
  guint                 failed_retries;
  guint                 probe_attempt;
  guint                 timer;
  gint64                next_attempt;
  gint64                last_success;
  guint                 interval_s;
  GQueue                held;       /* content requests waiting for the first check */

  CairnSyncClient      *sync;       /* NULL when the saved settings cannot be used */
  gboolean              live;       /* a list follows the deployment: the socket is wanted */
  guint                 wake_timer;
  gint64                wake_real_ms; /* the wall clock when wake_timer was set */
};

static void store_iface_init (CairnStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CairnConnection, cairn_connection, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_STORE, store_iface_init))

enum {
  PROP_0,
  PROP_STATE,
  PROP_REASON,
  PROP_ERROR,
  PROP_PROBING,
  PROP_FAILED_RETRIES,
  PROP_NEXT_ATTEMPT,
  PROP_LAST_SUCCESS,
  PROP_HEALTH_CHECK_INTERVAL,
  PROP_CHECK,
  N_PROPS
};

enum {
  CHECKED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void probe (CairnConnection *self);
static void issue (GTask *task);
static void open_socket (CairnConnection *self);

/* The first check decides what happens to requests made while connecting:
 * they go out once connected, or fail as blocked. Sending them earlier would
 * send them without the key (still in the keyring) and misread the answer. */
static void
release_held (CairnConnection *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->held)) != NULL)
    issue (task);
}

/* State ------------------------------------------------------------------ */

static void
notify (CairnConnection *self,
        guint            prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
cancel_timer (CairnConnection *self)
{
  cairn_clock_remove (self->clock, self->timer);
  self->timer = 0;
  if (self->next_attempt != 0)
    {
      self->next_attempt = 0;
      notify (self, PROP_NEXT_ATTEMPT);
    }
}

static gboolean
timer_cb (gpointer user_data)
{
  CairnConnection *self = user_data;

  self->timer = 0;
  self->next_attempt = 0;
  notify (self, PROP_NEXT_ATTEMPT);
  probe (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_probe (CairnConnection *self,
                guint            delay_ms)
{
  cancel_timer (self);
  self->timer = cairn_clock_add_timeout (self->clock, delay_ms, timer_cb, self, NULL);
  self->next_attempt = cairn_clock_get_time (self->clock) + (gint64) delay_ms * 1000;
  notify (self, PROP_NEXT_ATTEMPT);
}

static void
set_state (CairnConnection      *self,
           CairnConnectionState  state,
           CairnBlockReason      reason,
           const GError         *error)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->state != state)
    {
      self->state = state;
      notify (self, PROP_STATE);
    }
  if (self->reason != reason)
    {
      self->reason = reason;
      notify (self, PROP_REASON);
    }
  if (error != self->error)
    {
      g_clear_error (&self->error);
      self->error = error != NULL ? g_error_copy (error) : NULL;
      notify (self, PROP_ERROR);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static void
block (CairnConnection *self,
       const GError    *error)
{
  CairnBlockReason reason = cairn_block_reason_for_error (error);

  if (self->config_error != NULL)
    reason = CAIRN_BLOCK_REASON_BAD_CONFIG;
  else if (reason == CAIRN_BLOCK_REASON_UNREACHABLE && self->monitor != NULL &&
      !g_network_monitor_get_network_available (self->monitor))
    reason = CAIRN_BLOCK_REASON_OFFLINE;

  g_debug ("blocked (%d): %s", reason, error->message);
  set_state (self, CAIRN_CONNECTION_BLOCKED, reason, error);
  release_held (self);

  if (!self->probing)
    schedule_probe (self, cairn_connection_backoff_ms (self, CAIRN_CONNECTION_PROBE_BASE_MS,
                                                       self->probe_attempt++, CAIRN_CONNECTION_PROBE_CAP_MS));
}

static void
connected (CairnConnection *self)
{
  self->probe_attempt = 0;
  if (self->failed_retries != 0)
    {
      self->failed_retries = 0;
      notify (self, PROP_FAILED_RETRIES);
    }
  set_state (self, CAIRN_CONNECTION_CONNECTED, CAIRN_BLOCK_REASON_NONE, NULL);
  release_held (self);
  open_socket (self);

  schedule_probe (self, self->interval_s * 1000);
}

/* Probes --------------------------------------------------------------------- */

/* What the probe asks: connecting or blocked, whether the deployment
 * answers (cheap, and writes nothing); the periodic check while connected,
 * how it is doing (a read and a write); everything when the user asked. */
static CairnHealthCheckMode
check_mode (CairnConnection *self)
{
  if (self->full_check)
    return CAIRN_HEALTH_CHECK_FULL;
  if (self->state == CAIRN_CONNECTION_CONNECTED)
    return CAIRN_HEALTH_CHECK_QUICK;

  return CAIRN_HEALTH_CHECK_PING;
}

static void
probe_finished (CairnConnection        *self,
                CairnHealthCheckResult *result)
{
  const GError *error = result->error;

  self->probing = FALSE;
  self->full_check = FALSE;
  if (self->check != NULL)
    {
      g_clear_object (&self->check);
      notify (self, PROP_CHECK);
    }
  notify (self, PROP_PROBING);

  /* an answer is contact, even one that says the schema does not fit */
  if (result->reachable)
    {
      self->last_success = cairn_clock_get_real_time_ms (self->clock);
      notify (self, PROP_LAST_SUCCESS);
    }

  /* a request of the check that failed on its own (a function that threw)
   * is the check's finding, not a reason to stop using the deployment */
  if (error == NULL || (result->reachable && cairn_block_reason_for_error (error) == CAIRN_BLOCK_REASON_NONE))
    {
      self->manual_probe = FALSE;
      connected (self);
    }
  else
    {
      if (self->manual_probe)
        {
          self->manual_probe = FALSE;
          self->failed_retries++;
          notify (self, PROP_FAILED_RETRIES);
        }
      block (self, error);
    }

  g_signal_emit (self, signals[CHECKED], 0, result);
}

/* A check that could not send anything. */
static void
probe_failed (CairnConnection *self,
              const GError    *error)
{
  g_autoptr(CairnHealthCheckResult) result = NULL;

  result = cairn_health_check_result_new_failed (check_mode (self), cairn_clock_get_real_time_ms (self->clock), error);
  probe_finished (self, result);
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CairnConnection) self = user_data;
  g_autoptr(CairnHealthCheckResult) checked = NULL;

  /* only a cancelled check has no result: the connection is going away */
  checked = cairn_health_check_run_finish (CAIRN_HEALTH_CHECK (object), result, NULL);
  if (checked != NULL)
    probe_finished (self, checked);
}

static void
run_check (CairnConnection *self)
{
  self->check = cairn_health_check_new (self->client, self->clock, check_mode (self));
  notify (self, PROP_CHECK);
  cairn_health_check_run_async (self->check, self->cancellable, check_cb, g_object_ref (self));
}

static void
key_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(CairnConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = cairn_credentials_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (key == NULL)
    {
      if (error == NULL)
        g_set_error (&error, CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING,
                     _("The deploy key for %s is not in the keyring. Enter it again in Preferences."),
                     cairn_convex_client_get_url (self->client));
      probe_failed (self, error);
      return;
    }

  cairn_convex_client_set_admin_key (self->client, key);
  run_check (self);
}

static void
probe (CairnConnection *self)
{
  if (self->probing)
    return;

  cancel_timer (self);
  self->probing = TRUE;
  notify (self, PROP_PROBING);

  /* settings that cannot be used fail every check until they are changed */
  if (self->client == NULL)
    {
      probe_failed (self, self->config_error);
      return;
    }

  /* the key comes from the keyring the first time, and after it was unavailable */
  if (!cairn_convex_client_has_admin_key (self->client))
    cairn_credentials_lookup_async (self->workspace_id, cairn_convex_client_get_url (self->client),
                                    self->cancellable, key_cb, g_object_ref (self));
  else
    run_check (self);
}

static void
network_changed_cb (CairnConnection *self,
                    gboolean         available,
                    GNetworkMonitor *monitor)
{
  if (available && self->state == CAIRN_CONNECTION_CONNECTED && self->sync != NULL &&
      cairn_sync_client_get_state (self->sync) != CAIRN_SYNC_IDLE)
    cairn_sync_client_resync (self->sync);

  if (self->state != CAIRN_CONNECTION_BLOCKED)
    return;

  if (!available && self->reason == CAIRN_BLOCK_REASON_UNREACHABLE)
    set_state (self, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_OFFLINE, self->error);
  else if (available)
    probe (self);
}

/* The sync socket -------------------------------------------------------------- */

static gboolean wake_tick_cb (gpointer user_data);

static void
schedule_wake_tick (CairnConnection *self)
{
  cairn_clock_remove (self->clock, self->wake_timer);
  self->wake_real_ms = cairn_clock_get_real_time_ms (self->clock);
  self->wake_timer = cairn_clock_add_timeout (self->clock, WAKE_TICK_MS, wake_tick_cb, self, NULL);
}

/* A timer runs on the monotonic clock, which stands still while the
 * computer sleeps; the wall clock does not. Far more wall time than the
 * timer's own is a wake-up: the socket is most likely dead, and whatever
 * changed meanwhile is missing. */
static gboolean
wake_tick_cb (gpointer user_data)
{
  CairnConnection *self = user_data;
  gint64 elapsed = cairn_clock_get_real_time_ms (self->clock) - self->wake_real_ms;

  self->wake_timer = 0;
  if (elapsed > WAKE_TICK_MS + WAKE_SLACK_MS)
    {
      g_debug ("%" G_GINT64_FORMAT " ms passed in a %d ms tick: woke up, checking again", elapsed, WAKE_TICK_MS);
      cairn_sync_client_resync (self->sync);
      probe (self);
    }
  schedule_wake_tick (self);

  return G_SOURCE_REMOVE;
}

/* Once a list wants it and the deployment answers (the key is read). */
static void
open_socket (CairnConnection *self)
{
  CairnSyncState state;

  if (self->sync == NULL || !self->live || self->state != CAIRN_CONNECTION_CONNECTED)
    return;

  state = cairn_sync_client_get_state (self->sync);
  if (state == CAIRN_SYNC_IDLE)
    cairn_sync_client_start (self->sync);
  else if (state == CAIRN_SYNC_LOST)
    cairn_sync_client_resync (self->sync);

  if (self->wake_timer == 0)
    schedule_wake_tick (self);
}

static void
sync_state_cb (CairnConnection *self)
{
  const GError *error;
  g_autoptr(GError) lost = NULL;

  if (cairn_sync_client_get_state (self->sync) != CAIRN_SYNC_LOST || self->state != CAIRN_CONNECTION_CONNECTED)
    return;

  error = cairn_sync_client_get_error (self->sync);
  if (error == NULL || cairn_block_reason_for_error (error) == CAIRN_BLOCK_REASON_NONE)
    error = lost = g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY,
                                _("The live connection to your database was lost and could not be opened again."));
  block (self, error);
}

/* Requests ------------------------------------------------------------------- */

typedef enum {
  OP_LIST,
  OP_GET,
  OP_INSERT,
  OP_PATCH,
  OP_REMOVE,
  OP_PING,
  OP_APPLY,
} OpKind;

typedef struct {
  OpKind      kind;
  CairnQuery *query;
  char       *table;
  char       *client_id;
  JsonObject *object;
  GPtrArray  *writes;   /* OP_APPLY */
  guint       attempt;
} Op;

static void
op_free (Op *op)
{
  g_clear_pointer (&op->query, cairn_query_free);
  g_free (op->table);
  g_free (op->client_id);
  g_clear_pointer (&op->object, json_object_unref);
  g_clear_pointer (&op->writes, g_ptr_array_unref);
  g_free (op);
}

static gboolean
retry_cb (gpointer user_data)
{
  issue (g_object_ref (user_data));

  return G_SOURCE_REMOVE;
}

static void
op_done_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnConnection *self = g_task_get_source_object (task);
  CairnStore *inner = CAIRN_STORE (object);
  Op *op = g_task_get_task_data (task);
  gpointer value = NULL;
  GDestroyNotify destroy = (GDestroyNotify) json_object_unref;
  gboolean removed = FALSE;

  switch (op->kind)
    {
    case OP_LIST:
      value = cairn_store_list_finish (inner, result, &error);
      destroy = (GDestroyNotify) cairn_page_free;
      break;
    case OP_GET:
      value = cairn_store_get_finish (inner, result, &error);
      break;
    case OP_INSERT:
      value = cairn_store_insert_finish (inner, result, &error);
      break;
    case OP_PATCH:
      value = cairn_store_patch_finish (inner, result, &error);
      break;
    case OP_REMOVE:
      removed = cairn_store_remove_finish (inner, result, &error);
      break;
    case OP_APPLY:
      removed = cairn_store_apply_finish (inner, result, &error);
      break;
    case OP_PING:
      value = cairn_store_ping_finish (inner, result, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (error == NULL)
    {
      self->last_success = cairn_clock_get_real_time_ms (self->clock);
      notify (self, PROP_LAST_SUCCESS);
      if (op->kind == OP_REMOVE || op->kind == OP_APPLY)
        g_task_return_boolean (task, removed);
      else
        g_task_return_pointer (task, value, destroy);
      return;
    }

  if (cairn_error_is_retryable (error) && op->attempt < CAIRN_CONNECTION_REQUEST_RETRIES &&
      self->state != CAIRN_CONNECTION_BLOCKED)
    {
      guint delay = cairn_connection_backoff_ms (self, CAIRN_CONNECTION_REQUEST_BASE_MS, op->attempt++, G_MAXUINT);
      CairnMetrics *metrics = cairn_convex_client_get_metrics (self->client);

      if (metrics != NULL)
        cairn_metrics_record_retry (metrics);

      g_debug ("retrying %s in %u ms: %s", op->table != NULL ? op->table : op->kind == OP_APPLY ? "a batch" : "ping", delay, error->message);
      cairn_clock_add_timeout (self->clock, delay, retry_cb, g_steal_pointer (&task), g_object_unref);
      return;
    }

  /* A request that was on its way when the connection blocked says nothing
   * new: the block's own reason stands. */
  if (cairn_block_reason_for_error (error) != CAIRN_BLOCK_REASON_NONE &&
      self->state != CAIRN_CONNECTION_BLOCKED)
    block (self, error);

  g_task_return_error (task, g_steal_pointer (&error));
}

/* Takes @task. The circuit breaker: a blocked connection sends nothing. */
static void
issue (GTask *task)
{
  CairnConnection *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  Op *op = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (self->state == CAIRN_CONNECTION_CONNECTING)
    {
      g_queue_push_tail (&self->held, task);
      return;
    }

  if (self->state == CAIRN_CONNECTION_BLOCKED)
    {
      g_task_return_new_error (task, CAIRN_CONNECTION_ERROR, CAIRN_CONNECTION_ERROR_BLOCKED,
                               _("Your database is not connected: %s"),
                               self->error != NULL ? self->error->message : _("it cannot be reached"));
      g_object_unref (task);
      return;
    }

  switch (op->kind)
    {
    case OP_LIST:
      cairn_store_list_async (self->inner, op->query, cancellable, op_done_cb, task);
      break;
    case OP_GET:
      cairn_store_get_async (self->inner, op->table, op->client_id, cancellable, op_done_cb, task);
      break;
    case OP_INSERT:
      cairn_store_insert_async (self->inner, op->table, op->object, cancellable, op_done_cb, task);
      break;
    case OP_PATCH:
      cairn_store_patch_async (self->inner, op->table, op->client_id, op->object, cancellable, op_done_cb, task);
      break;
    case OP_REMOVE:
      cairn_store_remove_async (self->inner, op->table, op->client_id, cancellable, op_done_cb, task);
      break;
    case OP_PING:
      cairn_store_ping_async (self->inner, cancellable, op_done_cb, task);
      break;
    case OP_APPLY:
      cairn_store_apply_async (self->inner, op->writes, cancellable, op_done_cb, task);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
start_op (CairnConnection     *self,
          Op                  *op,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  issue (task);
}

static Op *
op_new (OpKind      kind,
        const char *table,
        const char *client_id,
        JsonObject *object)
{
  Op *op = g_new0 (Op, 1);

  op->kind = kind;
  op->table = g_strdup (table);
  op->client_id = g_strdup (client_id);
  op->object = object != NULL ? json_object_ref (object) : NULL;

  return op;
}

static void
cairn_connection_list_async (CairnStore          *store,
                             const CairnQuery    *query,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Op *op = op_new (OP_LIST, query->table, NULL, NULL);

  op->query = cairn_query_copy (query);
  start_op (CAIRN_CONNECTION (store), op, cancellable, callback, user_data, cairn_connection_list_async);
}

static void
cairn_connection_get_async (CairnStore          *store,
                            const char          *table,
                            const char          *client_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  start_op (CAIRN_CONNECTION (store), op_new (OP_GET, table, client_id, NULL),
            cancellable, callback, user_data, cairn_connection_get_async);
}

static void
cairn_connection_insert_async (CairnStore          *store,
                               const char          *table,
                               JsonObject          *document,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  start_op (CAIRN_CONNECTION (store), op_new (OP_INSERT, table, NULL, document),
            cancellable, callback, user_data, cairn_connection_insert_async);
}

static void
cairn_connection_patch_async (CairnStore          *store,
                              const char          *table,
                              const char          *client_id,
                              JsonObject          *fields,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  start_op (CAIRN_CONNECTION (store), op_new (OP_PATCH, table, client_id, fields),
            cancellable, callback, user_data, cairn_connection_patch_async);
}

static void
cairn_connection_remove_async (CairnStore          *store,
                               const char          *table,
                               const char          *client_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  start_op (CAIRN_CONNECTION (store), op_new (OP_REMOVE, table, client_id, NULL),
            cancellable, callback, user_data, cairn_connection_remove_async);
}

static void
cairn_connection_ping_async (CairnStore          *store,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  start_op (CAIRN_CONNECTION (store), op_new (OP_PING, NULL, NULL, NULL),
            cancellable, callback, user_data, cairn_connection_ping_async);
}

static void
cairn_connection_apply_async (CairnStore          *store,
                              GPtrArray           *writes,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Op *op = op_new (OP_APPLY, NULL, NULL, NULL);

  op->writes = g_ptr_array_ref (writes);
  start_op (CAIRN_CONNECTION (store), op, cancellable, callback, user_data, cairn_connection_apply_async);
}

static gpointer
pointer_finish (CairnStore    *store,
                GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
boolean_finish (CairnStore    *store,
                GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
store_iface_init (CairnStoreInterface *iface)
{
  iface->list_async = cairn_connection_list_async;
  iface->list_finish = (gpointer) pointer_finish;
  iface->get_async = cairn_connection_get_async;
  iface->get_finish = (gpointer) pointer_finish;
  iface->insert_async = cairn_connection_insert_async;
  iface->insert_finish = (gpointer) pointer_finish;
  iface->patch_async = cairn_connection_patch_async;
  iface->patch_finish = (gpointer) pointer_finish;
  iface->remove_async = cairn_connection_remove_async;
  iface->remove_finish = boolean_finish;
  iface->ping_async = cairn_connection_ping_async;
  iface->ping_finish = (gpointer) pointer_finish;
  iface->apply_async = cairn_connection_apply_async;
  iface->apply_finish = boolean_finish;
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_connection_dispose (GObject *object)
{
  CairnConnection *self = (CairnConnection *) object;

  g_cancellable_cancel (self->cancellable);
  while (!g_queue_is_empty (&self->held))
    {
      g_autoptr(GTask) task = g_queue_pop_head (&self->held);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The connection was closed."));
    }
  if (self->sync != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sync, self);
      cairn_sync_client_stop (self->sync);
    }
  g_clear_object (&self->sync);
  if (self->clock != NULL)
    {
      cancel_timer (self);
      cairn_clock_remove (self->clock, self->wake_timer);
      self->wake_timer = 0;
    }
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_object (&self->check);
  g_clear_object (&self->inner);
  g_clear_object (&self->client);
  g_clear_error (&self->config_error);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_connection_parent_class)->dispose (object);
}

static void
cairn_connection_finalize (GObject *object)
{
  CairnConnection *self = (CairnConnection *) object;

  g_free (self->workspace_id);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_rand_free (self->rand);

  G_OBJECT_CLASS (cairn_connection_parent_class)->finalize (object);
}

static void
cairn_connection_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CairnConnection *self = CAIRN_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_uint (value, self->state);
      break;
    case PROP_REASON:
      g_value_set_uint (value, self->reason);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_PROBING:
      g_value_set_boolean (value, self->probing);
      break;
    case PROP_FAILED_RETRIES:
      g_value_set_uint (value, self->failed_retries);
      break;
    case PROP_NEXT_ATTEMPT:
      g_value_set_int64 (value, self->next_attempt);
      break;
    case PROP_LAST_SUCCESS:
      g_value_set_int64 (value, self->last_success);
      break;
    case PROP_HEALTH_CHECK_INTERVAL:
      g_value_set_uint (value, self->interval_s);
      break;
    case PROP_CHECK:
      g_value_set_object (value, self->check);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_connection_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CairnConnection *self = CAIRN_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_HEALTH_CHECK_INTERVAL:
      cairn_connection_set_health_check_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_connection_class_init (CairnConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_connection_dispose;
  object_class->finalize = cairn_connection_finalize;
  object_class->get_property = cairn_connection_get_property;
  object_class->set_property = cairn_connection_set_property;

  properties[PROP_STATE] =
    g_param_spec_uint ("state", NULL, NULL, 0, CAIRN_CONNECTION_BLOCKED, 0, ro);
  properties[PROP_REASON] =
    g_param_spec_uint ("reason", NULL, NULL, 0, CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE, 0, ro);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_PROBING] =
    g_param_spec_boolean ("probing", NULL, NULL, FALSE, ro);
  properties[PROP_FAILED_RETRIES] =
    g_param_spec_uint ("failed-retries", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /* monotonic µs of the clock, 0 when nothing is scheduled */
  properties[PROP_NEXT_ATTEMPT] =
    g_param_spec_int64 ("next-attempt", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* wall-clock ms of the last answer from the deployment, 0 = none yet */
  properties[PROP_LAST_SUCCESS] =
    g_param_spec_int64 ("last-success", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_HEALTH_CHECK_INTERVAL] =
    g_param_spec_uint ("health-check-interval", NULL, NULL, 1, G_MAXUINT, CAIRN_CONNECTION_DEFAULT_INTERVAL_S,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* the CairnHealthCheck of the probe running, NULL between probes */
  properties[PROP_CHECK] =
    g_param_spec_object ("check", NULL, NULL, CAIRN_TYPE_HEALTH_CHECK, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnConnection::checked:
   * @result: the CairnHealthCheckResult
   *
   * A probe ended (at start, periodic, Retry, a network change, Check
   * Health), after the state it led to is set.
   */
  signals[CHECKED] =
    g_signal_new ("checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  CAIRN_TYPE_HEALTH_CHECK_RESULT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
cairn_connection_init (CairnConnection *self)
{
  self->cancellable = g_cancellable_new ();
  self->rand = g_rand_new ();
  g_queue_init (&self->held);
  self->interval_s = CAIRN_CONNECTION_DEFAULT_INTERVAL_S;
}

/* Public API ----------------------------------------------------------------- */

/**
 * cairn_connection_new:
 * @client: the client for the deployment; without a key, the first probe
 *   reads it from the keyring
 * @monitor: (nullable): network changes trigger a probe while blocked
 *
 * Starts in the connecting state; cairn_connection_start() runs the first check.
 */
static CairnConnection *
connection_new (const char      *workspace_id,
                CairnClock      *clock,
                GNetworkMonitor *monitor)
{
  CairnConnection *self = g_object_new (CAIRN_TYPE_CONNECTION, NULL);

  self->workspace_id = g_strdup (workspace_id);
  self->clock = g_object_ref (clock);

  if (monitor != NULL)
    {
      self->monitor = g_object_ref (monitor);
      g_signal_connect_swapped (monitor, "network-changed", G_CALLBACK (network_changed_cb), self);
    }

  return self;
}

CairnConnection *
cairn_connection_new (const char        *workspace_id,
                      CairnConvexClient *client,
                      CairnClock        *clock,
                      GNetworkMonitor   *monitor)
{
  CairnConnection *self;

  g_return_val_if_fail (workspace_id != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (client), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = connection_new (workspace_id, clock, monitor);
  self->client = g_object_ref (client);
  self->inner = CAIRN_STORE (cairn_convex_store_new (client));
  self->sync = cairn_sync_client_new (client, clock);
  g_signal_connect_object (self->sync, "notify::state", G_CALLBACK (sync_state_cb), self, G_CONNECT_SWAPPED);

  return self;
}

/**
 * cairn_connection_new_unusable:
 * @config_error: why the saved deployment settings cannot be used
 *
 * A connection for BYOD settings that cannot be used (a deployment URL
 * Cairn refuses): it blocks with %CAIRN_BLOCK_REASON_BAD_CONFIG as soon as
 * it starts and sends nothing anywhere, so content never falls back to
 * this computer.
 */
CairnConnection *
cairn_connection_new_unusable (const char      *workspace_id,
                               const GError    *config_error,
                               CairnClock      *clock,
                               GNetworkMonitor *monitor)
{
  CairnConnection *self;

  g_return_val_if_fail (workspace_id != NULL, NULL);
  g_return_val_if_fail (config_error != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = connection_new (workspace_id, clock, monitor);
  self->config_error = g_error_copy (config_error);

  return self;
}

/* The check at start-up: connecting until its first answer. */
void
cairn_connection_start (CairnConnection *self)
{
  g_return_if_fail (CAIRN_IS_CONNECTION (self));

  set_state (self, CAIRN_CONNECTION_CONNECTING, CAIRN_BLOCK_REASON_NONE, NULL);
  probe (self);
}

/**
 * cairn_connection_check_health:
 *
 * Check Health: the full check (CAIRN_HEALTH_CHECK_FULL) now, whatever the
 * state; ::checked tells how it went. Nothing while a probe runs.
 */
void
cairn_connection_check_health (CairnConnection *self)
{
  g_return_if_fail (CAIRN_IS_CONNECTION (self));

  if (self->probing)
    return;

  self->full_check = TRUE;
  probe (self);
}

/**
 * cairn_connection_get_check:
 *
 * Returns: (transfer none) (nullable): the check of the probe running
 */
CairnHealthCheck *
cairn_connection_get_check (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), NULL);

  return self->check;
}

/* Retry Connection: a probe now, whatever the backoff says. */
void
cairn_connection_retry (CairnConnection *self)
{
  g_return_if_fail (CAIRN_IS_CONNECTION (self));

  if (self->probing)
    return;

  self->manual_probe = TRUE;
  probe (self);
}

CairnConnectionState
cairn_connection_get_state (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), CAIRN_CONNECTION_BLOCKED);

  return self->state;
}

CairnBlockReason
cairn_connection_get_reason (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), CAIRN_BLOCK_REASON_NONE);

  return self->reason;
}

/**
 * cairn_connection_get_error:
 *
 * Returns: (nullable): what blocked the connection
 */
const GError *
cairn_connection_get_error (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), NULL);

  return self->error;
}

gboolean
cairn_connection_get_probing (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), FALSE);

  return self->probing;
}

guint
cairn_connection_get_failed_retries (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), 0);

  return self->failed_retries;
}

gint64
cairn_connection_get_next_attempt (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), 0);

  return self->next_attempt;
}

gint64
cairn_connection_get_last_success (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), 0);

  return self->last_success;
}

guint
cairn_connection_get_health_check_interval (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), 0);

  return self->interval_s;
}

void
cairn_connection_set_health_check_interval (CairnConnection *self,
                                            guint            seconds)
{
  g_return_if_fail (CAIRN_IS_CONNECTION (self));
  g_return_if_fail (seconds > 0);

  if (self->interval_s == seconds)
    return;

  self->interval_s = seconds;
  if (self->state == CAIRN_CONNECTION_CONNECTED && !self->probing)
    schedule_probe (self, seconds * 1000);
  notify (self, PROP_HEALTH_CHECK_INTERVAL);
}

CairnConvexClient *
cairn_connection_get_client (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), NULL);

  return self->client;
}

/**
 * cairn_connection_get_sync:
 *
 * Returns: (transfer none) (nullable): the sync socket's client; %NULL when
 *   the saved settings cannot be used
 */
CairnSyncClient *
cairn_connection_get_sync (CairnConnection *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), NULL);

  return self->sync;
}

/**
 * cairn_connection_watch:
 * @query: a listing; its first page is followed
 *
 * Follows @query's first page on the deployment: through the sync socket
 * (opened now if the connection is up, else once it is), or by polling
 * while the socket is refused. The socket stays open for the connection's
 * life once a list wanted it.
 *
 * Returns: (transfer full) (nullable): the live listing; %NULL when the
 *   saved settings cannot be used
 */
CairnLiveQuery *
cairn_connection_watch (CairnConnection  *self,
                        const CairnQuery *query)
{
  CairnLiveQuery *live;

  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (self->sync == NULL)
    return NULL;

  live = cairn_live_query_new (self->sync, CAIRN_STORE (self), self->clock, query);
  self->live = TRUE;
  open_socket (self);

  return live;
}

/* cairn_backoff_delay_ms() with this connection's jitter. */
guint
cairn_connection_backoff_ms (CairnConnection *self,
                             guint            base_ms,
                             guint            attempt,
                             guint            cap_ms)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION (self), base_ms);

  return cairn_backoff_delay_ms (self->rand, base_ms, attempt, cap_ms);
}
