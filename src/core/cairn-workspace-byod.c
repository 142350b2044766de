/* cairn-workspace-byod.c — Bring Your Own Database for a workspace
 *
 * Switching content to the user's deployment and back. The order of each
 * switch is what keeps the routing and secrets rules (docs/ARCHITECTURE.md):
 *
 *  enable:  key into the keyring → config into the main store → user store on
 *  disable: key out of the keyring → config into the main store → user store off
 *  restore: config from the main store → user store on (its connection reads the key)
 *
 * A failure before the last step changes nothing the user sees. Once BYOD
 * is on, content goes to the deployment whatever happens next: a restore that
 * cannot read the key still routes content there (and fails), never back to
 * this computer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-workspace"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-connection.h"
#include "cairn-content-mover.h"
#include "cairn-convex-store.h"
#include "cairn-credentials.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-workspace-private.h"

#define CONFIG_TABLE "userDatabaseConfig"

typedef struct {
  char       *url;
  char       *key;        /* wiped as soon as the client holds it */
  JsonObject *ping;
  GError     *keyring_error;
} Switch;

static void
wipe_key (Switch *data)
{
  if (data->key != NULL)
    {
      explicit_bzero (data->key, strlen (data->key));
      g_clear_pointer (&data->key, g_free);
    }
}

static void
switch_free (Switch *data)
{
  wipe_key (data);
  g_free (data->url);
  g_clear_pointer (&data->ping, json_object_unref);
  g_clear_error (&data->keyring_error);
  g_free (data);
}

static GTask *
switch_task_new (CairnWorkspace      *self,
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
replace_client (CairnWorkspace  *self,
                const char      *url,
                const char      *key,
                GError         **error)
{
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (url, error);

  if (client == NULL)
    return NULL;

  cairn_convex_client_set_admin_key (client, key);
  g_hash_table_replace (self->clients, g_strdup (url), g_object_ref (client));

  return client;
}

static void
connection_state_cb (CairnConnection *connection,
                     GParamSpec      *pspec,
                     CairnWorkspace  *self)
{
  CairnConnectionState state = cairn_connection_get_state (connection);

  /* back from connecting or blocked: what the lists failed to load, they load now */
  if (state == self->connection_state)
    return;
  self->connection_state = state;

  /* what Preferences shows: the status, the last check, the last error */
  if (state != CAIRN_CONNECTION_CONNECTING)
    cairn_workspace_record_check_async (self, NULL, cairn_connection_get_error (connection), NULL, NULL, NULL);

  if (state == CAIRN_CONNECTION_CONNECTED)
    {
      cairn_workspace_flush_outbox (self);
      cairn_workspace_emit_storage_changed (self);
    }
}

/* Content goes to the deployment from now on, through a connection that
 * checks it at once and blocks when it cannot be used. */
static void
use_connection (CairnWorkspace  *self,
                CairnConnection *connection)
{
  cairn_connection_set_health_check_interval (connection, self->health_check_interval);
  self->connection_state = CAIRN_CONNECTION_CONNECTING;
  g_signal_connect_object (connection, "notify::state", G_CALLBACK (connection_state_cb), self, 0);

  cairn_workspace_set_user_store (self, CAIRN_STORE (connection));
  cairn_connection_start (connection);
}

static void
use_deployment (CairnWorkspace    *self,
                CairnConvexClient *client)
{
  g_autoptr(CairnConnection) connection = NULL;

  connection = cairn_connection_new (self->id, client, self->clock, self->network_monitor);
  use_connection (self, connection);
}

static void
save_config (CairnWorkspace      *self,
             GTask               *task,
             GAsyncReadyCallback  callback)
{
  g_autoptr(JsonObject) document = cairn_byod_config_to_document (self->byod_config, self->id);

  cairn_workspace_notify_byod_config (self);
  cairn_store_upsert_async (self->main_store, CONFIG_TABLE, document, g_task_get_cancellable (task), callback, task);
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
  CairnWorkspace *self = g_task_get_source_object (task);
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
  CairnWorkspace *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);
  CairnByodConfig *config = self->byod_config;
  gint64 now = (gint64) cairn_json_now_ms ();

  if (!cairn_credentials_store_finish (result, &error) ||
      replace_client (self, data->url, data->key, &error) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  wipe_key (data);

  g_free (config->deployment_url);
  config->deployment_url = g_strdup (data->url);
  config->enabled = TRUE;
  g_free (config->status);
  config->status = g_strdup (CAIRN_BYOD_STATUS_CONNECTED);
  config->schema_version = data->ping != NULL ? (int) cairn_json_get_number (data->ping, "schemaVersion") : 0;
  config->last_check = config->last_success = now;
  g_free (config->last_error);
  config->last_error = g_strdup ("");

  save_config (self, g_steal_pointer (&task), enable_saved_cb);
}

/**
 * cairn_workspace_enable_byod_async:
 * @url: the deployment URL
 * @key: the deploy key; kept in the keyring, never in the main store
 * @ping: (nullable): the deployment's answer to the preflight, for its schema version
 *
 * Switches content to the user's deployment. Another deployment's key
 * stored before is removed from the keyring.
 */
void
cairn_workspace_enable_byod_async (CairnWorkspace      *self,
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

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_workspace_enable_byod_async);

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
  if (*self->byod_config->deployment_url != '\0' &&
      g_strcmp0 (self->byod_config->deployment_url, data->url) != 0)
    cairn_credentials_clear_async (self->id, self->byod_config->deployment_url, NULL, NULL, NULL);

  cairn_credentials_store_async (self->id, data->url, data->key, cancellable,
                                 enable_stored_cb, g_steal_pointer (&task));
}

gboolean
cairn_workspace_enable_byod_finish (CairnWorkspace  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
  CairnWorkspace *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);

  saved = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);
  if (saved == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_hash_table_remove_all (self->clients);
  cairn_workspace_set_user_store (self, NULL);

  if (data->keyring_error != NULL)
    g_task_return_new_error (task, CAIRN_ERROR, CAIRN_ERROR_KEYRING,
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
  CairnWorkspace *self = g_task_get_source_object (task);
  Switch *data = g_task_get_task_data (task);
  CairnByodConfig *config = self->byod_config;

  /* A keyring that cannot forget the key must not keep the user on the
   * deployment: switch back anyway, and say so. */
  cairn_credentials_clear_finish (result, &data->keyring_error);

  config->enabled = FALSE;
  g_free (config->status);
  config->status = g_strdup (CAIRN_BYOD_STATUS_DISCONNECTED);

  save_config (self, g_steal_pointer (&task), disable_saved_cb);
}

/**
 * cairn_workspace_disable_byod_async:
 *
 * Returns content to the main store and removes the workspace's deploy keys
 * from the keyring. The deployment URL is remembered for next time.
 */
void
cairn_workspace_disable_byod_async (CairnWorkspace      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_workspace_disable_byod_async);
  cairn_credentials_clear_async (self->id, NULL, cancellable, disable_cleared_cb, task);
}

gboolean
cairn_workspace_disable_byod_finish (CairnWorkspace  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Restore -------------------------------------------------------------------- */

static void
restore_outbox_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnWorkspace *self = g_task_get_source_object (task);
  CairnConvexClient *client;

  if (!cairn_outbox_load_finish (CAIRN_OUTBOX (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* a client without its key: the connection's first check reads it from the keyring */
  g_hash_table_remove (self->clients, self->byod_config->deployment_url);
  client = replace_client (self, self->byod_config->deployment_url, NULL, &error);
  if (client == NULL)
    {
      g_autoptr(CairnConnection) unusable = NULL;

      /* BYOD stays on, blocked with the reason: content never falls back here */
      g_message ("The saved deployment settings cannot be used: %s", error->message);
      unusable = cairn_connection_new_unusable (self->id, error, self->clock, self->network_monitor);
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
  CairnWorkspace *self = CAIRN_WORKSPACE (object);

  document = cairn_workspace_get_finish (self, result, &error);
  if (document == NULL)
    {
      /* never set up: BYOD is off */
      if (g_error_matches (error, CAIRN_ERROR, CAIRN_ERROR_NOT_FOUND))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cairn_byod_config_free (self->byod_config);
  self->byod_config = cairn_byod_config_from_document (document);
  cairn_workspace_notify_byod_config (self);

  if (!self->byod_config->enabled)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* writes that waited when the app last stopped (or crashed) go out once connected */
  cairn_outbox_load_async (self->outbox, g_task_get_cancellable (task), restore_outbox_cb, g_object_ref (task));
}

/**
 * cairn_workspace_restore_byod_async:
 *
 * At start-up: reads the BYOD config from the main store and, when BYOD is
 * on, routes content to the deployment through a connection whose first
 * check reads the key from the keyring. A key that cannot be read blocks the
 * connection (keyring-unavailable); content never falls back to this computer.
 */
void
cairn_workspace_restore_byod_async (CairnWorkspace      *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *client_id = NULL;
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_workspace_restore_byod_async);
  client_id = cairn_byod_config_client_id (self->id);
  cairn_workspace_get_async (self, CONFIG_TABLE, client_id, cancellable, restore_loaded_cb, task);
}

gboolean
cairn_workspace_restore_byod_finish (CairnWorkspace  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Checks --------------------------------------------------------------------- */

static void
check_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) saved = cairn_store_upsert_finish (CAIRN_STORE (object), result, &error);

  if (saved == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * cairn_workspace_record_check_async:
 * @ping: (nullable): the deployment's answer, when the check passed
 * @failure: (nullable): why it failed
 *
 * Keeps the outcome of a connection check in the config: status, schema
 * version, last check, last success, last error.
 */
void
cairn_workspace_record_check_async (CairnWorkspace      *self,
                                    JsonObject          *ping,
                                    const GError        *failure,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  CairnByodConfig *config;
  gint64 now = (gint64) cairn_json_now_ms ();
  GTask *task;

  g_return_if_fail (CAIRN_IS_WORKSPACE (self));

  task = switch_task_new (self, cancellable, callback, user_data, cairn_workspace_record_check_async);
  config = self->byod_config;
  config->last_check = now;
  g_free (config->status);
  g_free (config->last_error);

  if (failure == NULL)
    {
      config->status = g_strdup (CAIRN_BYOD_STATUS_CONNECTED);
      config->last_success = now;
      config->last_error = g_strdup ("");
      if (ping != NULL)
        config->schema_version = (int) cairn_json_get_number (ping, "schemaVersion");
    }
  else
    {
      config->status = g_strdup (CAIRN_BYOD_STATUS_ERROR);
      config->last_error = g_strdup (failure->message);
    }

  save_config (self, task, check_saved_cb);
}

gboolean
cairn_workspace_record_check_finish (CairnWorkspace  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_workspace_get_byod_config:
 *
 * Returns: (transfer none): the BYOD settings; notify::byod-config tells of changes
 */
const CairnByodConfig *
cairn_workspace_get_byod_config (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return self->byod_config;
}

/**
 * cairn_workspace_get_client:
 *
 * Returns: (transfer none) (nullable): the cached client for @url, if any
 */
CairnConvexClient *
cairn_workspace_get_client (CairnWorkspace *self,
                            const char     *url)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return url != NULL ? g_hash_table_lookup (self->clients, url) : NULL;
}

static void
move_phase_cb (CairnContentMover *mover,
               GParamSpec        *pspec,
               CairnWorkspace    *self)
{
  /* what the lists show changed under them */
  if (cairn_content_mover_get_phase (mover) == CAIRN_CONTENT_MOVE_DONE)
    cairn_workspace_emit_storage_changed (self);
}

/**
 * cairn_workspace_new_content_mover:
 * @direction: to the deployment (after switching BYOD on) or back to this
 *   computer (before switching it off)
 *
 * A move of this workspace's content between its main store and the user's
 * deployment; BYOD must be on. When the move is done, the lists reload.
 *
 * Returns: (transfer full): the mover, ready to run
 */
CairnContentMover *
cairn_workspace_new_content_mover (CairnWorkspace            *self,
                                   CairnContentMoveDirection  direction)
{
  CairnStore *from;
  CairnStore *to;
  CairnContentMover *mover;

  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (self->user_store != NULL, NULL);

  from = direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT ? self->main_store : self->user_store;
  to = direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT ? self->user_store : self->main_store;
  mover = cairn_content_mover_new (self->main_store, self->id, self->byod_config->deployment_url,
                                   from, to, direction);
  g_signal_connect_object (mover, "notify::phase", G_CALLBACK (move_phase_cb), self, 0);

  return mover;
}

/**
 * cairn_workspace_get_connection:
 *
 * Returns: (transfer none) (nullable): the connection to the user's
 *   deployment while BYOD is on
 */
CairnConnection *
cairn_workspace_get_connection (CairnWorkspace *self)
{
  g_return_val_if_fail (CAIRN_IS_WORKSPACE (self), NULL);

  return CAIRN_IS_CONNECTION (self->user_store) ? CAIRN_CONNECTION (self->user_store) : NULL;
}
