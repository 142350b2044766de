/* cairn-byod.c
 *
 * Bring Your Own Database for one workspace: whether its content lives on
 * this computer or on the user's Convex deployment, the connection to that
 * deployment, its key in the keyring and its settings in the main store.
 * The workspace routes content to the user store this object holds.
 *
 * The order of each switch is what keeps the routing and secrets rules
 * (docs/ARCHITECTURE.md):
 *
 *  enable:  key into the keyring → config into the main store → user store on
 *  disable: key out of the keyring → config into the main store → user store off
 *  restore: config from the main store → waiting writes from the outbox →
 *           user store on (its connection reads the key)
 *
 * A failure before the last step changes nothing the user sees. Once BYOD
 * is on, content goes to the deployment whatever happens next: a restore that
 * cannot read the key still routes content there (and fails), never back to
 * this computer.
 *
 * It also runs what the Database page asks for, as a state the page shows
 * (:phase, :busy, :mover, :failed-phase, :last-error) and ::finished:
 *
 *   Test Connection  the preflight on the URL and key as entered
 *   Save             the same check unless the last one passed for exactly
 *                    these values, then enable; when this computer holds
 *                    conversations, ::move-offered asks whether they move
 *   Disconnect       disable, after copying the deployment's content to
 *                    this computer if the user wants
 *   Update Database  CairnMigrator on the entries (what Test Connection
 *                    found missing or older: :can-install, :can-update) or
 *                    on the saved settings (the overlay's button): the
 *                    functions pushed, the data migrated; its stage,
 *                    message and fraction as :update-*; then the
 *                    connection checks again, or Test Connection runs again
 *                    for the entries. :migration-history lists the
 *                    deployment's migrations.
 *
 * Switching and moving run to their end: stopping half way would leave the
 * user wondering where their content is. Checks stop when this object goes.
 * The key is kept only while Save needs it; to tell whether the last check
 * was for the same key, a keyed digest of it is kept (HMAC with a random
 * salt), never the key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-byod"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-byod.h"
#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-content-mover.h"
#include "cairn-convex-client.h"
#include "cairn-credentials.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-functions-push.h"
#include "cairn-health.h"
#include "cairn-local-store.h"
#include "cairn-migration-record.h"
#include "cairn-migrator.h"
#include "cairn-outbox.h"
#include "cairn-preflight.h"
#include "cairn-query.h"
#include "cairn-store.h"

#define CONFIG_TABLE "userDatabaseConfig"

struct _CairnByod
{
  GObject               parent_instance;

  char                 *workspace_id;
  CairnStore           *main_store;
  CairnOutbox          *outbox;
  CairnClock           *clock;
  GNetworkMonitor      *network_monitor;
  guint                 health_check_interval;

  CairnStore           *user_store;    /* (nullable) the deployment while BYOD is on */
  CairnHealth          *health;        /* how the deployment is doing; its checks are kept in config */
  CairnByodConfig      *config;
  GHashTable           *clients;       /* deployment URL -> CairnConvexClient */
  CairnConnectionState  connection_state;

  /* what the Database page asked for */
  GCancellable         *cancellable;   /* checks; cancelled on dispose */
  CairnPreflight       *preflight;
  CairnByodPhase        phase;
  CairnByodPhase        failed_phase;
  char                 *last_error;
  CairnContentMover    *mover;         /* (nullable) running or stopped, not done */
  gboolean              disconnect_after_move;

  /* installing and updating the deployment */
  gboolean              can_install;
  gboolean              can_update;
  CairnMigrator        *migrator;      /* (nullable) the update running */
  CairnMigratorStage    update_stage;
  CairnPushStage        update_push_stage;
  char                 *update_message;
  double                update_fraction;
  char                 *update_error;
  GListStore           *history;       /* CairnMigrationRecord */

  /* what the last check that passed was for: the key only as a digest */
  char                 *passed_url;
  char                 *passed_key_digest;
  JsonObject           *passed_ping;
  guint8                salt[32];
};

G_DEFINE_FINAL_TYPE (CairnByod, cairn_byod, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WORKSPACE_ID,
  PROP_MAIN_STORE,
  PROP_OUTBOX,
  PROP_CLOCK,
  PROP_NETWORK_MONITOR,
  PROP_HEALTH_CHECK_INTERVAL,
  PROP_USER_STORE,
  PROP_ENABLED,
  PROP_CONFIG,
  PROP_PHASE,
  PROP_BUSY,
  PROP_MOVER,
  PROP_FAILED_PHASE,
  PROP_LAST_ERROR,
  PROP_CAN_INSTALL,
  PROP_CAN_UPDATE,
  PROP_UPDATING,
  PROP_UPDATE_STAGE,
  PROP_UPDATE_PUSH_STAGE,
  PROP_UPDATE_MESSAGE,
  PROP_UPDATE_FRACTION,
  PROP_UPDATE_ERROR,
  PROP_MIGRATION_HISTORY,
  N_PROPS
};

enum {
  STORAGE_CHANGED,
  FINISHED,
  MOVE_OFFERED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* A deploy key leaves memory as soon as it is not needed. */
static void
wipe (char **key)
{
  if (*key != NULL)
    {
      explicit_bzero (*key, strlen (*key));
      g_clear_pointer (key, g_free);
    }
}

/* Switching ------------------------------------------------------------------ */

typedef struct {
  char       *url;
  char       *key;        /* wiped as soon as the client holds it */
  JsonObject *ping;
  GError     *keyring_error;
} Switch;

static void
switch_free (Switch *data)
{
  wipe (&data->key);
  g_free (data->url);
  g_clear_pointer (&data->ping, json_object_unref);
  g_clear_error (&data->keyring_error);
  g_free (data);
}

static GTask *
switch_task_new (CairnByod           *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_new0 (Switch, 1), (GDestroyNotify) switch_free);

  return task;
}

/* The client for @url, holding @key; a new key means a new client. */
static CairnConvexClient *
replace_client (CairnByod   *self,
                const char  *url,
                const char  *key,
                GError     **error)
{
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (url, error);

  if (client == NULL)
    return NULL;

  cairn_convex_client_set_admin_key (client, key);
  g_hash_table_replace (self->clients, g_strdup (url), g_object_ref (client));

  return client;
}

static void
notify_config (CairnByod *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG]);
}

static void
save_config (CairnByod           *self,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(JsonObject) document = cairn_byod_config_to_document (self->config, self->workspace_id);

  notify_config (self);
  cairn_store_upsert_async (self->main_store, CONFIG_TABLE, document, cancellable, callback, user_data);
}

static void
check_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);

  /* the next check writes it again */
  if (saved == NULL)
    g_debug ("Could not keep the outcome of a connection check: %s", error->message);
}

/* Keeps the outcome of a connection check in the config, for Preferences
 * and the next start: status, last check, last success, last error, and
 * the schema version when the check learned it. */
static void
record_check (CairnByod    *self,
              gint64        at,
              const GError *failure,
              int           schema_version)
{
  CairnByodConfig *config = self->config;

  config->last_check = at;
  g_free (config->status);
  g_free (config->last_error);

  if (failure == NULL)
    {
      config->status = g_strdup (CAIRN_BYOD_STATUS_CONNECTED);
      config->last_success = at;
      config->last_error = g_strdup ("");
    }
  else
    {
      config->status = g_strdup (CAIRN_BYOD_STATUS_ERROR);
      config->last_error = g_strdup (failure->message);
    }
  if (schema_version > 0)
    config->schema_version = schema_version;

  save_config (self, NULL, check_saved_cb, NULL);
}

/* Every check (at start, periodic, Retry, Check Health). */
static void
checked_cb (CairnByod                    *self,
            const CairnHealthCheckResult *result,
            CairnHealth                  *health)
{
  record_check (self, result->checked_at, result->error, result->schema_version);
}

static void
connection_state_cb (CairnConnection *connection,
                     GParamSpec      *pspec,
                     CairnByod       *self)
{
  CairnConnectionState state = cairn_connection_get_state (connection);

  if (state == self->connection_state)
    return;
  self->connection_state = state;

  /* a request that blocked it tells Preferences at once, before the next check */
  if (state == CAIRN_CONNECTION_BLOCKED)
    record_check (self, cairn_clock_get_real_time_ms (self->clock), cairn_connection_get_error (connection), 0);

  /* back from connecting or blocked: what the lists failed to load, they load now */
  if (state == CAIRN_CONNECTION_CONNECTED)
    g_signal_emit (self, signals[STORAGE_CHANGED], 0);
}

/* Content goes to the deployment from now on, through a connection that
 * checks it at once and blocks when it cannot be used. */
static void
use_connection (CairnByod       *self,
                CairnConnection *connection)
{
  cairn_connection_set_health_check_interval (connection, self->health_check_interval);
  self->connection_state = CAIRN_CONNECTION_CONNECTING;
  g_signal_connect_object (connection, "notify::state", G_CALLBACK (connection_state_cb), self, 0);

  cairn_byod_set_user_store (self, CAIRN_STORE (connection));
  cairn_connection_start (connection);
}

static void
use_deployment (CairnByod         *self,
                CairnConvexClient *client)
{
  g_autoptr(CairnConnection) connection = NULL;

  connection = cairn_connection_new (self->workspace_id, client, self->clock, self->network_monitor);
  use_connection (self, connection);
}

/* Enable --------------------------------------------------------------------- */

static void
enable_saved_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = NULL;
  CairnByod *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);

  saved = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);
  if (saved == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  use_deployment (self, g_hash_table_lookup (self->clients, data->url));
  g_task_return_boolean (task, TRUE);
}

static void
enable_stored_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnByod *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);
  CairnByodConfig *config = self->config;
  GCancellable *cancellable = g_task_get_cancellable (task);
  gint64 now = cairn_clock_get_real_time_ms (self->clock);

  if (!cairn_credentials_store_finish (result, &error) ||
      replace_client (self, data->url, data->key, &error) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  wipe (&data->key);

  g_free (config->deployment_url);
  config->deployment_url = g_strdup (data->url);
  config->enabled = TRUE;
  g_free (config->status);
  config->status = g_strdup (CAIRN_BYOD_STATUS_CONNECTED);
  config->schema_version = data->ping != NULL ? (int) cairn_json_get_number (data->ping, "schemaVersion") : 0;
  config->last_check = config->last_success = now;
  g_free (config->last_error);
  config->last_error = g_strdup ("");

  save_config (self, cancellable, enable_saved_cb, g_steal_pointer (&task));
}

/* Disable -------------------------------------------------------------------- */

static void
disable_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = NULL;
  CairnByod *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);

  saved = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);
  if (saved == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_hash_table_remove_all (self->clients);
  cairn_byod_set_user_store (self, NULL);

  if (data->keyring_error != NULL)
    g_task_return_new_error (task, CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING,
                             _("Your content is back on this computer, but the deploy key could not be removed from the keyring: %s"),
                             data->keyring_error->message);
  else
    g_task_return_boolean (task, TRUE);
}

static void
disable_cleared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CairnByod *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);
  CairnByodConfig *config = self->config;
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* A keyring that cannot forget the key must not keep the user on the
   * deployment: switch back anyway, and say so. */
  cairn_credentials_clear_finish (result, &data->keyring_error);

  config->enabled = FALSE;
  g_free (config->status);
  config->status = g_strdup (CAIRN_BYOD_STATUS_DISCONNECTED);

  save_config (self, cancellable, disable_saved_cb, g_steal_pointer (&task));
}

/* Restore -------------------------------------------------------------------- */

static void
restore_outbox_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnByod *self = g_task_get_source_object (task);
  CairnConvexClient *client;

  if (!cairn_outbox_load_finish (CAIRN_OUTBOX (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* a client without its key: the connection's first check reads it from the keyring */
  g_hash_table_remove (self->clients, self->config->deployment_url);
  client = replace_client (self, self->config->deployment_url, NULL, &error);
  if (client == NULL)
    {
      g_autoptr(CairnConnection) unusable = NULL;

      /* BYOD stays on, blocked with the reason: content never falls back here */
      g_message ("The saved deployment settings cannot be used: %s", error->message);
      unusable = cairn_connection_new_unusable (self->workspace_id, error, self->clock, self->network_monitor);
      use_connection (self, unusable);
      g_task_return_boolean (task, TRUE);
      return;
    }

  use_deployment (self, client);
  g_task_return_boolean (task, TRUE);
}

static void
restore_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) document = NULL;
  CairnByod *self = g_task_get_source_object (task);

  document = cairn_store_get_finish (CAIRN_STORE (object), result, &error);
  if (document == NULL)
    {
      /* never set up: BYOD is off */
      if (g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cairn_byod_config_free (self->config);
  self->config = cairn_byod_config_from_document (document);
  cairn_health_restore (self->health, self->config);
  notify_config (self);

  if (!self->config->enabled)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* writes that waited when the app last stopped (or crashed) go out once connected */
  cairn_outbox_load_async (self->outbox, g_task_get_cancellable (task), restore_outbox_cb, g_object_ref (task));
}

/* Moving content ------------------------------------------------------------- */

static void
move_phase_cb (CairnContentMover *mover,
               GParamSpec        *pspec,
               CairnByod         *self)
{
  /* what the lists show changed under them */
  if (cairn_content_mover_get_phase (mover) == CAIRN_CONTENT_MOVE_DONE)
    g_signal_emit (self, signals[STORAGE_CHANGED], 0);
}

/* A move of the content between the main store and the user's deployment;
 * BYOD must be on. When the move is done, the lists reload. */
static CairnContentMover *
new_content_mover (CairnByod                 *self,
                   CairnContentMoveDirection  direction)
{
  gboolean up = direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT;
  CairnContentMover *mover;

  mover = cairn_content_mover_new (self->main_store, self->workspace_id, self->config->deployment_url,
                                   up ? self->main_store : self->user_store,
                                   up ? self->user_store : self->main_store,
                                   direction, self->clock);
  g_signal_connect_object (mover, "notify::phase", G_CALLBACK (move_phase_cb), self, 0);

  return mover;
}

/* The Database page's flows ----------------------------------------------- */

static void
set_phase (CairnByod      *self,
           CairnByodPhase  phase)
{
  gboolean was_busy = self->phase != CAIRN_BYOD_IDLE;

  if (self->phase == phase)
    return;

  g_object_freeze_notify (G_OBJECT (self));

  /* what failed before is history once something else starts */
  if (phase != CAIRN_BYOD_IDLE && self->failed_phase != CAIRN_BYOD_IDLE)
    {
      self->failed_phase = CAIRN_BYOD_IDLE;
      g_clear_pointer (&self->last_error, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED_PHASE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
    }

  if ((self->phase == CAIRN_BYOD_UPDATING) != (phase == CAIRN_BYOD_UPDATING))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATING]);
  self->phase = phase;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
  if (was_busy != (phase != CAIRN_BYOD_IDLE))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

  g_object_thaw_notify (G_OBJECT (self));
}

/* @phase ended (@error: how it failed): a failed switch or move is kept
 * for the page to show, and ::finished tells. */
static void
tell (CairnByod      *self,
      CairnByodPhase  phase,
      const GError   *error)
{
  if (error != NULL && phase != CAIRN_BYOD_TESTING && phase != CAIRN_BYOD_CHECKING)
    {
      self->failed_phase = phase;
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED_PHASE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
    }

  g_signal_emit (self, signals[FINISHED], 0, phase, error);
}

/* @phase ended, and with it what the user asked for. */
static void
finish (CairnByod      *self,
        CairnByodPhase  phase,
        const GError   *error)
{
  set_phase (self, CAIRN_BYOD_IDLE);
  tell (self, phase, error);
}

static void
set_mover (CairnByod         *self,
           CairnContentMover *mover)
{
  if (g_set_object (&self->mover, mover))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MOVER]);
}

/* A check of what was entered, and Save's key until it is switched on.
 * It does not keep this object alive: when it goes, the check stops. */
typedef struct {
  CairnByod    *self;
  GCancellable *cancellable;
  char         *url;
  char         *key_digest;
  char         *key;          /* (nullable) Save's; wiped with the check */
} Check;

static void
check_free (Check *check)
{
  g_object_unref (check->cancellable);
  g_free (check->url);
  g_free (check->key_digest);
  wipe (&check->key);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Check, check_free)

static char *
key_digest (CairnByod  *self,
            const char *key)
{
  return g_compute_hmac_for_data (G_CHECKSUM_SHA256, self->salt, sizeof self->salt,
                                  (const guchar *) key, strlen (key));
}

static Check *
check_new (CairnByod  *self,
           const char *url,
           const char *key)
{
  Check *check = g_new0 (Check, 1);

  check->self = self;
  check->cancellable = g_object_ref (self->cancellable);
  /* without the spaces a paste brings along */
  check->url = g_strstrip (g_strdup (url != NULL ? url : ""));
  check->key_digest = key_digest (self, key != NULL ? key : "");

  return check;
}

static void
forget_pass (CairnByod *self)
{
  g_clear_pointer (&self->passed_url, g_free);
  g_clear_pointer (&self->passed_key_digest, g_free);
  g_clear_pointer (&self->passed_ping, json_object_unref);
}

static void
remember_pass (CairnByod  *self,
               Check      *check,
               JsonObject *ping)
{
  forget_pass (self);
  self->passed_url = g_strdup (check->url);
  self->passed_key_digest = g_strdup (check->key_digest);
  self->passed_ping = json_object_ref (ping);
}

static gboolean
passed_for (CairnByod *self,
            Check     *check)
{
  return self->passed_ping != NULL
         && g_strcmp0 (self->passed_url, check->url) == 0
         && g_strcmp0 (self->passed_key_digest, check->key_digest) == 0;
}

/* What Test Connection found Cairn can do about the deployment. */
static void
set_remedy (CairnByod *self,
            gboolean   can_install,
            gboolean   can_update)
{
  if (self->can_install != can_install)
    {
      self->can_install = can_install;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_INSTALL]);
    }
  if (self->can_update != can_update)
    {
      self->can_update = can_update;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UPDATE]);
    }
}

/* The answer of the preflight @object, for a check that is still wanted;
 * FALSE when this object went away meanwhile. */
static gboolean
check_finish (Check         *check,
              GObject       *object,
              GAsyncResult  *result,
              JsonObject   **ping,
              GError       **error)
{
  CairnPreflightRemedy remedy;

  *ping = cairn_preflight_run_finish (CAIRN_PREFLIGHT (object), result, error);

  if (g_cancellable_is_cancelled (check->cancellable))
    return FALSE;

  if (*ping != NULL)
    remember_pass (check->self, check, *ping);

  remedy = cairn_preflight_get_remedy (CAIRN_PREFLIGHT (object));
  set_remedy (check->self, remedy == CAIRN_PREFLIGHT_REMEDY_INSTALL, remedy == CAIRN_PREFLIGHT_REMEDY_UPDATE);

  return TRUE;
}

static void
tested_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Check) check = user_data;
  g_autoptr(JsonObject) ping = NULL;
  g_autoptr(GError) error = NULL;

  /* the steps of the preflight say how it went */
  if (check_finish (check, object, result, &ping, &error))
    finish (check->self, CAIRN_BYOD_TESTING, error);
}

static void
counted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CairnByod) self = user_data;
  g_autoptr(CairnPage) page = NULL;
  g_autoptr(GError) error = NULL;

  page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  set_phase (self, CAIRN_BYOD_IDLE);

  if (page == NULL)
    {
      /* nothing is lost: the content stays where it is */
      g_warning ("Could not tell whether this computer holds conversations: %s", error->message);
      return;
    }

  if (page->documents->len > 0)
    g_signal_emit (self, signals[MOVE_OFFERED], 0);
}

/* Conversations on this computer that the deployment does not show? */
static void
count_local_content (CairnByod *self)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_clientId");

  set_phase (self, CAIRN_BYOD_COUNTING);
  cairn_query_set_page_size (query, 1);
  cairn_store_list_async (self->main_store, query, NULL, counted_cb, g_object_ref (self));
}

static void
switched_on_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  CairnByod *self = CAIRN_BYOD (object);
  gboolean was_on = GPOINTER_TO_INT (user_data);
  g_autoptr(GError) error = NULL;

  if (!cairn_byod_enable_finish (self, result, &error))
    {
      finish (self, CAIRN_BYOD_SWITCHING_ON, error);
      return;
    }

  if (was_on)
    {
      finish (self, CAIRN_BYOD_SWITCHING_ON, NULL);
      return;
    }

  count_local_content (self);
  tell (self, CAIRN_BYOD_SWITCHING_ON, NULL);
}

/* Save's last step; the key leaves the check for the keyring. */
static void
switch_on (Check      *check,
           JsonObject *ping)
{
  CairnByod *self = check->self;
  gboolean was_on = cairn_byod_get_enabled (self) || self->config->enabled;

  set_phase (self, CAIRN_BYOD_SWITCHING_ON);
  cairn_byod_enable_async (self, check->url, check->key, ping, NULL, switched_on_cb, GINT_TO_POINTER (was_on));
}

static void
save_checked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Check) check = user_data;
  g_autoptr(JsonObject) ping = NULL;
  g_autoptr(GError) error = NULL;

  if (!check_finish (check, object, result, &ping, &error))
    return;

  /* the step that failed says why; nothing else changes */
  if (ping == NULL)
    {
      finish (check->self, CAIRN_BYOD_CHECKING, error);
      return;
    }

  switch_on (check, ping);
}

static void
switched_off_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CairnByod *self = CAIRN_BYOD (object);
  g_autoptr(GError) error = NULL;

  cairn_byod_disable_finish (self, result, &error);
  finish (self, CAIRN_BYOD_SWITCHING_OFF, error);
}

static void
switch_off (CairnByod *self)
{
  set_phase (self, CAIRN_BYOD_SWITCHING_OFF);
  cairn_byod_disable_async (self, NULL, switched_off_cb, NULL);
}

static void
moved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(CairnByod) self = user_data;
  g_autoptr(GError) error = NULL;

  /* stopped: the mover stays, to be resumed where it stopped */
  if (!cairn_content_mover_run_finish (CAIRN_CONTENT_MOVER (object), result, &error))
    {
      finish (self, CAIRN_BYOD_MOVING, error);
      return;
    }

  set_mover (self, NULL);

  /* a move to this computer was the first half of Disconnect */
  if (!self->disconnect_after_move)
    {
      finish (self, CAIRN_BYOD_MOVING, NULL);
      return;
    }

  switch_off (self);
  tell (self, CAIRN_BYOD_MOVING, NULL);
}

static void
run_move (CairnByod *self)
{
  set_phase (self, CAIRN_BYOD_MOVING);
  cairn_content_mover_run_async (self->mover, NULL, moved_cb, g_object_ref (self));
}

static void
start_move (CairnByod                 *self,
            CairnContentMoveDirection  direction,
            gboolean                   disconnect_after)
{
  g_autoptr(CairnContentMover) mover = new_content_mover (self, direction);

  set_mover (self, mover);
  self->disconnect_after_move = disconnect_after;
  run_move (self);
}

/* Installing and updating the deployment ------------------------------------- */

/* The saved deployment's client, holding its key: the cached one when it
 * has it, else one made with the key from the keyring. The task does not
 * keep this object alive: it has the URL (its task data). */
static void
saved_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = cairn_credentials_lookup_finish (result, &error);
  const char *url = g_task_get_task_data (task);
  CairnConvexClient *client;

  if (key == NULL && error == NULL)
    g_set_error (&error, CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING,
                 _("The deploy key for %s is not in the keyring. Enter it again in Preferences."), url);
  if (key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  client = cairn_convex_client_new (url, &error);
  if (client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cairn_convex_client_set_admin_key (client, key);
  g_task_return_pointer (task, client, g_object_unref);
}

static void
saved_client_async (CairnByod           *self,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, callback, user_data);
  CairnConvexClient *cached = cairn_byod_get_client (self, self->config->deployment_url);

  g_task_set_task_data (task, g_strdup (self->config->deployment_url), g_free);
  if (cached != NULL && cairn_convex_client_has_admin_key (cached))
    {
      g_task_return_pointer (task, g_object_ref (cached), g_object_unref);
      return;
    }

  cairn_credentials_lookup_async (self->workspace_id, self->config->deployment_url, self->cancellable,
                                  saved_key_cb, g_steal_pointer (&task));
}

static CairnConvexClient *
saved_client_finish (GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* History --------------------------------------------------------------- */

/* A read of the history does not keep this object alive: when it goes, the
 * read stops. */
typedef struct {
  CairnByod    *self;
  GCancellable *cancellable;
} Reading;

static Reading *
reading_new (CairnByod *self)
{
  Reading *reading = g_new0 (Reading, 1);

  reading->self = self;
  reading->cancellable = g_object_ref (self->cancellable);

  return reading;
}

static void
reading_free (Reading *reading)
{
  g_object_unref (reading->cancellable);
  g_free (reading);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reading, reading_free)

static void
history_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Reading) reading = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = cairn_migrator_load_history_finish (CAIRN_MIGRATOR (object), result, &error);
  CairnByod *self = reading->self;

  if (g_cancellable_is_cancelled (reading->cancellable))
    return;

  /* functions from before migrations have no history */
  if (records == NULL)
    {
      g_debug ("No migration history: %s", error->message);
      g_list_store_remove_all (self->history);
      return;
    }

  g_list_store_splice (self->history, 0, g_list_model_get_n_items (G_LIST_MODEL (self->history)),
                       records->pdata, records->len);
}

/* Takes @reading. */
static void
load_history (Reading           *reading,
              CairnConvexClient *client)
{
  CairnByod *self = reading->self;
  g_autoptr(CairnMigrator) reader = cairn_migrator_new (client, self->clock, NULL, NULL);

  cairn_migrator_load_history_async (reader, reading->cancellable, history_loaded_cb, reading);
}

static void
history_client_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Reading) reading = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = saved_client_finish (result, &error);

  if (g_cancellable_is_cancelled (reading->cancellable))
    return;

  if (client == NULL)
    {
      g_debug ("No migration history without the key: %s", error->message);
      return;
    }

  load_history (g_steal_pointer (&reading), client);
}

/* The owner of the migration lease: this computer and workspace. The id
 * stays in the settings, so a run after a crash takes its own lease back. */
static char *
migration_owner (CairnByod *self)
{
  CairnByodConfig *config = self->config;

  if (*config->runner_id == '\0')
    {
      g_free (config->runner_id);
      config->runner_id = g_uuid_string_random ();
      save_config (self, NULL, check_saved_cb, NULL);
    }

  return g_strdup_printf ("%s/%s", g_get_host_name (), config->runner_id);
}

/* The update --------------------------------------------------------------- */

/* An update asked for; the key of the entries is kept for the Test
 * Connection that follows it, and wiped with it. */
typedef struct {
  CairnByod *self;
  char      *url;    /* (nullable) the entries; NULL: the saved settings */
  char      *key;
} Update;

static void
update_free (Update *update)
{
  g_object_unref (update->self);
  g_free (update->url);
  wipe (&update->key);
  g_free (update);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Update, update_free)

static void
set_update_error (CairnByod    *self,
                  const GError *error)
{
  const char *message = error != NULL ? error->message : NULL;

  if (g_strcmp0 (self->update_error, message) == 0)
    return;

  g_free (self->update_error);
  self->update_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATE_ERROR]);
}

static void
migrator_changed_cb (CairnMigrator *migrator,
                     GParamSpec    *pspec,
                     CairnByod     *self)
{
  const char *message = cairn_migrator_get_message (migrator);

  g_object_freeze_notify (G_OBJECT (self));

  if (self->update_stage != cairn_migrator_get_stage (migrator))
    {
      self->update_stage = cairn_migrator_get_stage (migrator);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATE_STAGE]);
    }
  if (self->update_push_stage != cairn_migrator_get_push_stage (migrator))
    {
      self->update_push_stage = cairn_migrator_get_push_stage (migrator);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATE_PUSH_STAGE]);
    }
  if (g_strcmp0 (self->update_message, message) != 0)
    {
      g_free (self->update_message);
      self->update_message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATE_MESSAGE]);
    }
  if (self->update_fraction != cairn_migrator_get_fraction (migrator))
    {
      self->update_fraction = cairn_migrator_get_fraction (migrator);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATE_FRACTION]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* The saved deployment has this app's functions and data now. */
static void
saved_deployment_updated (CairnByod *self)
{
  CairnConnection *connection = cairn_byod_get_connection (self);

  self->config->schema_version = CAIRN_SCHEMA_VERSION;
  save_config (self, NULL, check_saved_cb, NULL);

  /* the overlay goes away by itself once this check passes */
  if (connection != NULL)
    cairn_connection_retry (connection);
}

static void
updated_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Update) update = user_data;
  g_autoptr(GError) error = NULL;
  CairnByod *self = update->self;
  CairnMigrator *migrator = CAIRN_MIGRATOR (object);
  g_autoptr(CairnConvexClient) client = NULL;
  const char *url;

  cairn_migrator_update_finish (migrator, result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  g_object_get (migrator, "client", &client, NULL);
  url = cairn_convex_client_get_url (client);
  g_signal_handlers_disconnect_by_data (migrator, self);
  g_clear_object (&self->migrator);

  set_update_error (self, error);
  if (error == NULL)
    {
      set_remedy (self, FALSE, FALSE);
      if (g_strcmp0 (url, self->config->deployment_url) == 0)
        saved_deployment_updated (self);
    }

  load_history (reading_new (self), client);
  finish (self, CAIRN_BYOD_UPDATING, error);

  /* the Database page shows the entries' checks, green now */
  if (error == NULL && update->url != NULL)
    cairn_byod_test_connection (self, update->url, update->key);
}

static void
run_update (Update            *update,
            CairnConvexClient *client)
{
  CairnByod *self = update->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bundle = cairn_functions_bundle_load (&error);
  g_autofree char *owner = NULL;

  if (bundle == NULL)
    {
      set_update_error (self, error);
      finish (self, CAIRN_BYOD_UPDATING, error);
      update_free (update);
      return;
    }

  owner = migration_owner (self);
  self->migrator = cairn_migrator_new (client, self->clock, owner, bundle);
  g_signal_connect_object (self->migrator, "notify", G_CALLBACK (migrator_changed_cb), self, 0);
  cairn_migrator_update_async (self->migrator, self->cancellable, updated_cb, update);
}

static void
update_client_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Update *update = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = saved_client_finish (result, &error);

  if (g_cancellable_is_cancelled (update->self->cancellable))
    {
      update_free (update);
      return;
    }

  if (client == NULL)
    {
      set_update_error (update->self, error);
      finish (update->self, CAIRN_BYOD_UPDATING, error);
      update_free (update);
      return;
    }

  run_update (update, client);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_byod_constructed (GObject *object)
{
  CairnByod *self = (CairnByod *) object;

  G_OBJECT_CLASS (cairn_byod_parent_class)->constructed (object);

  g_assert (self->workspace_id != NULL);
  g_assert (CAIRN_IS_STORE (self->main_store));
  g_assert (CAIRN_IS_OUTBOX (self->outbox));
  g_assert (CAIRN_IS_CLOCK (self->clock));

  self->health = cairn_health_new (self->workspace_id, self->main_store, self->clock);
  g_signal_connect_object (self->health, "checked", G_CALLBACK (checked_cb), self, G_CONNECT_SWAPPED);
}

static void
cairn_byod_dispose (GObject *object)
{
  CairnByod *self = (CairnByod *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->main_store);
  g_clear_object (&self->outbox);
  g_clear_object (&self->clock);
  g_clear_object (&self->network_monitor);
  g_clear_object (&self->user_store);
  g_clear_object (&self->health);
  g_hash_table_remove_all (self->clients);
  g_clear_object (&self->preflight);
  g_clear_object (&self->mover);
  g_clear_object (&self->migrator);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (cairn_byod_parent_class)->dispose (object);
}

static void
cairn_byod_finalize (GObject *object)
{
  CairnByod *self = (CairnByod *) object;

  g_free (self->workspace_id);
  g_clear_pointer (&self->config, cairn_byod_config_free);
  g_hash_table_unref (self->clients);
  g_object_unref (self->cancellable);
  g_free (self->last_error);
  g_free (self->update_message);
  g_free (self->update_error);
  forget_pass (self);

  G_OBJECT_CLASS (cairn_byod_parent_class)->finalize (object);
}

static void
cairn_byod_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CairnByod *self = CAIRN_BYOD (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE_ID:
      g_value_set_string (value, self->workspace_id);
      break;
    case PROP_MAIN_STORE:
      g_value_set_object (value, self->main_store);
      break;
    case PROP_OUTBOX:
      g_value_set_object (value, self->outbox);
      break;
    case PROP_CLOCK:
      g_value_set_object (value, self->clock);
      break;
    case PROP_NETWORK_MONITOR:
      g_value_set_object (value, self->network_monitor);
      break;
    case PROP_HEALTH_CHECK_INTERVAL:
      g_value_set_uint (value, self->health_check_interval);
      break;
    case PROP_USER_STORE:
      g_value_set_object (value, self->user_store);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, cairn_byod_get_enabled (self));
      break;
    case PROP_CONFIG:
      g_value_set_boxed (value, self->config);
      break;
    case PROP_PHASE:
      g_value_set_uint (value, self->phase);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, cairn_byod_get_busy (self));
      break;
    case PROP_MOVER:
      g_value_set_object (value, self->mover);
      break;
    case PROP_FAILED_PHASE:
      g_value_set_uint (value, self->failed_phase);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_CAN_INSTALL:
      g_value_set_boolean (value, self->can_install);
      break;
    case PROP_CAN_UPDATE:
      g_value_set_boolean (value, self->can_update);
      break;
    case PROP_UPDATING:
      g_value_set_boolean (value, cairn_byod_get_updating (self));
      break;
    case PROP_UPDATE_STAGE:
      g_value_set_uint (value, self->update_stage);
      break;
    case PROP_UPDATE_PUSH_STAGE:
      g_value_set_uint (value, self->update_push_stage);
      break;
    case PROP_UPDATE_MESSAGE:
      g_value_set_string (value, self->update_message);
      break;
    case PROP_UPDATE_FRACTION:
      g_value_set_double (value, self->update_fraction);
      break;
    case PROP_UPDATE_ERROR:
      g_value_set_string (value, self->update_error);
      break;
    case PROP_MIGRATION_HISTORY:
      g_value_set_object (value, self->history);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_byod_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CairnByod *self = CAIRN_BYOD (object);
  CairnConnection *connection;

  switch (prop_id)
    {
    case PROP_WORKSPACE_ID:
      self->workspace_id = g_value_dup_string (value);
      break;
    case PROP_MAIN_STORE:
      self->main_store = g_value_dup_object (value);
      break;
    case PROP_OUTBOX:
      self->outbox = g_value_dup_object (value);
      break;
    case PROP_CLOCK:
      self->clock = g_value_dup_object (value);
      break;
    case PROP_NETWORK_MONITOR:
      self->network_monitor = g_value_dup_object (value);
      break;
    case PROP_HEALTH_CHECK_INTERVAL:
      self->health_check_interval = g_value_get_uint (value);
      connection = cairn_byod_get_connection (self);
      if (connection != NULL)
        cairn_connection_set_health_check_interval (connection, self->health_check_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_byod_class_init (CairnByodClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = cairn_byod_constructed;
  object_class->dispose = cairn_byod_dispose;
  object_class->finalize = cairn_byod_finalize;
  object_class->get_property = cairn_byod_get_property;
  object_class->set_property = cairn_byod_set_property;

  properties[PROP_WORKSPACE_ID] =
    g_param_spec_string ("workspace-id", NULL, NULL, NULL, construct);
  /* where the config, the outbox and this computer's content are */
  properties[PROP_MAIN_STORE] =
    g_param_spec_object ("main-store", NULL, NULL, CAIRN_TYPE_STORE, construct);
  /* the writes that wait for the deployment, loaded again at restore */
  properties[PROP_OUTBOX] =
    g_param_spec_object ("outbox", NULL, NULL, CAIRN_TYPE_OUTBOX, construct);
  /* time for the connection's retries and checks */
  properties[PROP_CLOCK] =
    g_param_spec_object ("clock", NULL, NULL, CAIRN_TYPE_CLOCK, construct);
  /* network changes make a blocked connection try again; NULL: none */
  properties[PROP_NETWORK_MONITOR] =
    g_param_spec_object ("network-monitor", NULL, NULL, G_TYPE_NETWORK_MONITOR, construct);
  /* seconds between checks of the deployment while it is connected */
  properties[PROP_HEALTH_CHECK_INTERVAL] =
    g_param_spec_uint ("health-check-interval", NULL, NULL, 1, G_MAXUINT, CAIRN_CONNECTION_DEFAULT_INTERVAL_S,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_STORE] =
    g_param_spec_object ("user-store", NULL, NULL, CAIRN_TYPE_STORE, ro);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, FALSE, ro);
  /* what the main store keeps about the user's deployment (never the key) */
  properties[PROP_CONFIG] =
    g_param_spec_boxed ("config", NULL, NULL, CAIRN_TYPE_BYOD_CONFIG, ro);
  /* a CairnByodPhase */
  properties[PROP_PHASE] =
    g_param_spec_uint ("phase", NULL, NULL, 0, CAIRN_BYOD_UPDATING, CAIRN_BYOD_IDLE, ro);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  /* the move running, or stopped and to be resumed */
  properties[PROP_MOVER] =
    g_param_spec_object ("mover", NULL, NULL, CAIRN_TYPE_CONTENT_MOVER, ro);
  /* the CairnByodPhase that failed last (switching or moving), until another starts */
  properties[PROP_FAILED_PHASE] =
    g_param_spec_uint ("failed-phase", NULL, NULL, 0, CAIRN_BYOD_UPDATING, CAIRN_BYOD_IDLE, ro);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  /* the last check found the functions missing: cairn_byod_update_database() installs them */
  properties[PROP_CAN_INSTALL] =
    g_param_spec_boolean ("can-install", NULL, NULL, FALSE, ro);
  /* the last check found them older, or migrations pending: cairn_byod_update_database() updates */
  properties[PROP_CAN_UPDATE] =
    g_param_spec_boolean ("can-update", NULL, NULL, FALSE, ro);
  /* :phase is CAIRN_BYOD_UPDATING */
  properties[PROP_UPDATING] =
    g_param_spec_boolean ("updating", NULL, NULL, FALSE, ro);
  /* the CairnMigratorStage of the update running, or of the last one */
  properties[PROP_UPDATE_STAGE] =
    g_param_spec_uint ("update-stage", NULL, NULL, 0, CAIRN_MIGRATOR_FAILED, CAIRN_MIGRATOR_IDLE, ro);
  /* the CairnPushStage while :update-stage is INSTALLING */
  properties[PROP_UPDATE_PUSH_STAGE] =
    g_param_spec_uint ("update-push-stage", NULL, NULL, 0, CAIRN_PUSH_STAGE_FAILED, CAIRN_PUSH_STAGE_IDLE, ro);
  /* what the update is doing, a line for the user */
  properties[PROP_UPDATE_MESSAGE] =
    g_param_spec_string ("update-message", NULL, NULL, NULL, ro);
  /* how far the update's stage is, 0 to 1 */
  properties[PROP_UPDATE_FRACTION] =
    g_param_spec_double ("update-fraction", NULL, NULL, 0, 1, 0, ro);
  /* why the last update failed, until the next one starts */
  properties[PROP_UPDATE_ERROR] =
    g_param_spec_string ("update-error", NULL, NULL, NULL, ro);
  /* the deployment's migrations (CairnMigrationRecord), in order */
  properties[PROP_MIGRATION_HISTORY] =
    g_param_spec_object ("migration-history", NULL, NULL, G_TYPE_LIST_MODEL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnByod::storage-changed:
   *
   * What the user store holds may not be what the lists show: BYOD was
   * switched, the deployment is back after an outage, or content moved.
   */
  signals[STORAGE_CHANGED] =
    g_signal_new ("storage-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * CairnByod::finished:
   * @phase: the CairnByodPhase that ended
   * @error: (nullable): why it failed
   *
   * A check, a switch or a move asked for ended; a check that stopped
   * because this object went away does not tell.
   */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_ERROR);

  /**
   * CairnByod::move-offered:
   *
   * Switched on while this computer holds conversations, which the
   * deployment does not show: ask whether they move there
   * (cairn_byod_move_local_content()) or stay here.
   */
  signals[MOVE_OFFERED] =
    g_signal_new ("move-offered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cairn_byod_init (CairnByod *self)
{
  self->config = cairn_byod_config_new ();
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->health_check_interval = CAIRN_CONNECTION_DEFAULT_INTERVAL_S;
  self->cancellable = g_cancellable_new ();
  self->preflight = cairn_preflight_new ();
  self->history = g_list_store_new (CAIRN_TYPE_MIGRATION_RECORD);

  for (guint i = 0; i < G_N_ELEMENTS (self->salt); i++)
    self->salt[i] = (guint8) g_random_int_range (0, 256);
}

/* Public API: where content lives ------------------------------------------ */

CairnByod *
cairn_byod_new (const char      *workspace_id,
                CairnStore      *main_store,
                CairnOutbox     *outbox,
                CairnClock      *clock,
                GNetworkMonitor *network_monitor)
{
  g_return_val_if_fail (workspace_id != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_STORE (main_store), NULL);
  g_return_val_if_fail (CAIRN_IS_OUTBOX (outbox), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (network_monitor == NULL || G_IS_NETWORK_MONITOR (network_monitor), NULL);

  return g_object_new (CAIRN_TYPE_BYOD,
                       "workspace-id", workspace_id,
                       "main-store", main_store,
                       "outbox", outbox,
                       "clock", clock,
                       "network-monitor", network_monitor,
                       NULL);
}

/**
 * cairn_byod_get_config:
 *
 * Returns: (transfer none): the BYOD settings; notify::config tells of changes
 */
const CairnByodConfig *
cairn_byod_get_config (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->config;
}

/* Content goes to the user store. */
gboolean
cairn_byod_get_enabled (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), FALSE);

  return self->user_store != NULL;
}

/**
 * cairn_byod_get_user_store:
 *
 * Returns: (nullable) (transfer none): the user's deployment while BYOD is on
 */
CairnStore *
cairn_byod_get_user_store (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->user_store;
}

/**
 * cairn_byod_set_user_store:
 * @user_store: (nullable): where content goes from now on, or %NULL for
 *   this computer
 *
 * Switches the routing alone, without the keyring or the config (what
 * enable, disable and restore do last).
 */
void
cairn_byod_set_user_store (CairnByod  *self,
                           CairnStore *user_store)
{
  gboolean was_enabled;

  g_return_if_fail (CAIRN_IS_BYOD (self));
  g_return_if_fail (user_store == NULL || CAIRN_IS_STORE (user_store));

  if (self->user_store == user_store)
    return;

  was_enabled = cairn_byod_get_enabled (self);
  g_set_object (&self->user_store, user_store);
  cairn_health_set_connection (self->health, cairn_byod_get_connection (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_STORE]);
  if (was_enabled != cairn_byod_get_enabled (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
  g_signal_emit (self, signals[STORAGE_CHANGED], 0);
}

/**
 * cairn_byod_get_connection:
 *
 * Returns: (transfer none) (nullable): the connection to the user's
 *   deployment while BYOD is on
 */
CairnConnection *
cairn_byod_get_connection (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return CAIRN_IS_CONNECTION (self->user_store) ? CAIRN_CONNECTION (self->user_store) : NULL;
}

/**
 * cairn_byod_get_health:
 *
 * Returns: (transfer none): how the deployment is doing: its verdict,
 *   metrics and checks (a verdict of %CAIRN_HEALTH_UNKNOWN while content
 *   stays on this computer)
 */
CairnHealth *
cairn_byod_get_health (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->health;
}

/**
 * cairn_byod_get_client:
 *
 * Returns: (transfer none) (nullable): the cached client for @url, if any
 */
CairnConvexClient *
cairn_byod_get_client (CairnByod  *self,
                       const char *url)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return url != NULL ? g_hash_table_lookup (self->clients, url) : NULL;
}

/**
 * cairn_byod_get_local_path:
 *
 * Returns: (nullable): the file that keeps this computer's content, %NULL
 *   when the main store is not a database file
 */
const char *
cairn_byod_get_local_path (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  if (!CAIRN_IS_LOCAL_STORE (self->main_store))
    return NULL;

  return cairn_local_store_get_path (CAIRN_LOCAL_STORE (self->main_store));
}

/* Public API: switching ------------------------------------------------------- */

/**
 * cairn_byod_enable_async:
 * @url: the deployment URL
 * @key: the deploy key; kept in the keyring, never in the main store
 * @ping: (nullable): the deployment's answer to the preflight, for its schema version
 *
 * Switches content to the user's deployment. Another deployment's key
 * stored before is removed from the keyring.
 */
void
cairn_byod_enable_async (CairnByod           *self,
                         const char          *url,
                         const char          *key,
                         JsonObject          *ping,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) probe = NULL;
  Switch *data;

  g_return_if_fail (CAIRN_IS_BYOD (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_byod_enable_async);

  probe = cairn_convex_client_new (url, &error);
  if (probe == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!cairn_convex_check_deploy_key (key, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_task_get_task_data (task);
  /* the canonical form, so the keyring, the cache and the config agree */
  data->url = g_strdup (cairn_convex_client_get_url (probe));
  data->key = g_strdup (key);
  data->ping = ping != NULL ? json_object_ref (ping) : NULL;

  /* a key of another deployment has nothing left to unlock */
  if (*self->config->deployment_url != '\0' &&
      g_strcmp0 (self->config->deployment_url, data->url) != 0)
    cairn_credentials_clear_async (self->workspace_id, self->config->deployment_url, NULL, NULL, NULL);

  cairn_credentials_store_async (self->workspace_id, data->url, data->key, cancellable,
                                 enable_stored_cb, g_steal_pointer (&task));
}

gboolean
cairn_byod_enable_finish (CairnByod     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_byod_disable_async:
 *
 * Returns content to the main store and removes the workspace's deploy keys
 * from the keyring. The deployment URL is remembered for next time.
 */
void
cairn_byod_disable_async (CairnByod           *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_BYOD (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_byod_disable_async);
  cairn_credentials_clear_async (self->workspace_id, NULL, cancellable, disable_cleared_cb, task);
}

gboolean
cairn_byod_disable_finish (CairnByod     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_byod_restore_async:
 *
 * At start-up: reads the BYOD config from the main store and, when BYOD is
 * on, routes content to the deployment through a connection whose first
 * check reads the key from the keyring. A key that cannot be read blocks the
 * connection (keyring-unavailable); content never falls back to this computer.
 */
void
cairn_byod_restore_async (CairnByod           *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autofree char *client_id = NULL;
  GTask *task;

  g_return_if_fail (CAIRN_IS_BYOD (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_byod_restore_async);
  client_id = cairn_byod_config_client_id (self->workspace_id);
  cairn_store_get_async (self->main_store, CONFIG_TABLE, client_id, cancellable, restore_loaded_cb, task);
}

gboolean
cairn_byod_restore_finish (CairnByod     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Public API: the Database page's flows ------------------------------------- */

CairnByodPhase
cairn_byod_get_phase (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), CAIRN_BYOD_IDLE);

  return self->phase;
}

/* A check, a switch or a move is under way: nothing else can be asked for. */
gboolean
cairn_byod_get_busy (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), FALSE);

  return self->phase != CAIRN_BYOD_IDLE;
}

/**
 * cairn_byod_get_preflight:
 *
 * Returns: (transfer none): the checks Test Connection and Save run; its
 *   ::step-changed tells each step's state as it goes
 */
CairnPreflight *
cairn_byod_get_preflight (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->preflight;
}

/**
 * cairn_byod_get_mover:
 *
 * Returns: (transfer none) (nullable): the move running, or the one that
 *   stopped (cairn_byod_resume_move())
 */
CairnContentMover *
cairn_byod_get_mover (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->mover;
}

/* What failed last (a switch or a move), %CAIRN_BYOD_IDLE once something else started. */
CairnByodPhase
cairn_byod_get_failed_phase (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), CAIRN_BYOD_IDLE);

  return self->failed_phase;
}

/**
 * cairn_byod_get_last_error:
 *
 * Returns: (nullable): why the phase in :failed-phase failed
 */
const char *
cairn_byod_get_last_error (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->last_error;
}

/**
 * cairn_byod_test_connection:
 * @url: the deployment URL as entered
 * @key: the deploy key as entered; only checked, never kept
 *
 * Runs the preflight; ::finished tells when it is done. Ignored while busy.
 */
void
cairn_byod_test_connection (CairnByod  *self,
                            const char *url,
                            const char *key)
{
  Check *check;

  g_return_if_fail (CAIRN_IS_BYOD (self));

  if (cairn_byod_get_busy (self))
    return;

  check = check_new (self, url, key);
  set_phase (self, CAIRN_BYOD_TESTING);
  cairn_preflight_run_async (self->preflight, check->url, key != NULL ? key : "", self->cancellable,
                             tested_cb, check);
}

/**
 * cairn_byod_save:
 * @url: the deployment URL as entered
 * @key: the deploy key as entered; it goes to the keyring
 *
 * Checks the entries (unless the last check passed for exactly these),
 * then switches content to the deployment; when this computer holds
 * conversations, ::move-offered follows. Ignored while busy.
 */
void
cairn_byod_save (CairnByod  *self,
                 const char *url,
                 const char *key)
{
  g_autoptr(Check) check = NULL;

  g_return_if_fail (CAIRN_IS_BYOD (self));

  if (cairn_byod_get_busy (self))
    return;

  check = check_new (self, url, key);
  check->key = g_strdup (key != NULL ? key : "");

  if (passed_for (self, check))
    {
      switch_on (check, self->passed_ping);
      return;
    }

  set_phase (self, CAIRN_BYOD_CHECKING);
  cairn_preflight_run_async (self->preflight, check->url, check->key, self->cancellable,
                             save_checked_cb, check);
  check = NULL;
}

/* The answer to ::move-offered: this computer's content goes to the deployment. */
void
cairn_byod_move_local_content (CairnByod *self)
{
  g_return_if_fail (CAIRN_IS_BYOD (self));
  g_return_if_fail (cairn_byod_get_enabled (self));

  if (cairn_byod_get_busy (self))
    return;

  start_move (self, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT, FALSE);
}

/**
 * cairn_byod_disconnect:
 * @copy_back: copy the deployment's content to this computer first
 *
 * Switches content back to this computer. Ignored while busy.
 */
void
cairn_byod_disconnect (CairnByod *self,
                       gboolean   copy_back)
{
  g_return_if_fail (CAIRN_IS_BYOD (self));

  if (cairn_byod_get_busy (self))
    return;

  if (copy_back && cairn_byod_get_enabled (self))
    start_move (self, CAIRN_CONTENT_MOVE_TO_LOCAL, TRUE);
  else
    switch_off (self);
}

/* Runs the move that stopped again, from where it stopped. */
void
cairn_byod_resume_move (CairnByod *self)
{
  g_return_if_fail (CAIRN_IS_BYOD (self));
  g_return_if_fail (self->mover != NULL);

  if (cairn_byod_get_busy (self))
    return;

  run_move (self);
}

/* Public API: installing and updating the deployment ------------------------- */

/* Test Connection found the Cairn functions missing. */
gboolean
cairn_byod_get_can_install (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), FALSE);

  return self->can_install;
}

/* Test Connection found them older, or data migrations pending. */
gboolean
cairn_byod_get_can_update (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), FALSE);

  return self->can_update;
}

/**
 * cairn_byod_update_database:
 * @url: (nullable): the deployment URL as entered, or %NULL for the saved
 *   settings (the key then comes from the keyring)
 * @key: (nullable): the deploy key as entered, with @url
 *
 * Installs or updates the Cairn functions on the deployment and migrates
 * its data (CairnMigrator); :update-stage, :update-message and
 * :update-fraction tell how it goes, ::finished with CAIRN_BYOD_UPDATING
 * when it ended, :update-error why it failed. Afterwards the connection
 * checks the saved deployment again, or, for entries, Test Connection runs
 * again. Ignored while busy.
 */
void
cairn_byod_update_database (CairnByod  *self,
                            const char *url,
                            const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  Update *update;

  g_return_if_fail (CAIRN_IS_BYOD (self));
  g_return_if_fail (url != NULL || *self->config->deployment_url != '\0');

  if (cairn_byod_get_busy (self))
    return;

  set_phase (self, CAIRN_BYOD_UPDATING);
  set_update_error (self, NULL);

  update = g_new0 (Update, 1);
  update->self = g_object_ref (self);

  if (url == NULL)
    {
      saved_client_async (self, update_client_cb, update);
      return;
    }

  update->url = g_strstrip (g_strdup (url));
  update->key = g_strdup (key != NULL ? key : "");
  client = cairn_convex_client_new (update->url, &error);
  if (client == NULL || !cairn_convex_check_deploy_key (update->key, &error))
    {
      set_update_error (self, error);
      finish (self, CAIRN_BYOD_UPDATING, error);
      update_free (update);
      return;
    }

  cairn_convex_client_set_admin_key (client, update->key);
  run_update (update, client);
}

/* An update is running (:phase is CAIRN_BYOD_UPDATING). */
gboolean
cairn_byod_get_updating (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), FALSE);

  return self->phase == CAIRN_BYOD_UPDATING;
}

CairnMigratorStage
cairn_byod_get_update_stage (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), CAIRN_MIGRATOR_IDLE);

  return self->update_stage;
}

CairnPushStage
cairn_byod_get_update_push_stage (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), CAIRN_PUSH_STAGE_IDLE);

  return self->update_push_stage;
}

/**
 * cairn_byod_get_update_message:
 *
 * Returns: (nullable): what the update is doing, or how the last one ended
 */
const char *
cairn_byod_get_update_message (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->update_message;
}

double
cairn_byod_get_update_fraction (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), 0);

  return self->update_fraction;
}

/**
 * cairn_byod_get_update_error:
 *
 * Returns: (nullable): why the last update failed, until the next one starts
 */
const char *
cairn_byod_get_update_error (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return self->update_error;
}

/**
 * cairn_byod_get_migration_history:
 *
 * Returns: (transfer none): the deployment's migrations
 *   (CairnMigrationRecord), in order; filled by
 *   cairn_byod_load_migration_history() and after each update
 */
GListModel *
cairn_byod_get_migration_history (CairnByod *self)
{
  g_return_val_if_fail (CAIRN_IS_BYOD (self), NULL);

  return G_LIST_MODEL (self->history);
}

/* Reads the saved deployment's migrations into :migration-history. */
void
cairn_byod_load_migration_history (CairnByod *self)
{
  g_return_if_fail (CAIRN_IS_BYOD (self));

  if (*self->config->deployment_url == '\0')
    return;

  saved_client_async (self, history_client_cb, reading_new (self));
}
