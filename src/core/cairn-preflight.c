/* cairn-preflight.c
 *
 * One ping of the Cairn functions answers every step after the URL check:
 * a transport failure means the deployment is not reachable, a refused key
 * means the key is wrong, "could not find function" means the functions are
 * missing, and the ping's schemaVersion and pendingMigrations say whether
 * they fit this app. Missing, older or with migrations pending, Cairn can
 * fix it itself (CairnMigrator): :remedy says so. The shell command stays
 * in the texts only as the way without Cairn.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-preflight"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-convex-client.h"
#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-preflight.h"

#define PREFLIGHT_TIMEOUT_MS 15000

typedef struct {
  CairnPreflightState  state;
  char                *message;
} StepResult;

struct _CairnPreflight
{
  GObject              parent_instance;
  StepResult           steps[CAIRN_PREFLIGHT_N_STEPS];
  CairnPreflightRemedy remedy;
};

G_DEFINE_FINAL_TYPE (CairnPreflight, cairn_preflight, G_TYPE_OBJECT)

enum {
  STEP_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_step (CairnPreflight      *self,
          CairnPreflightStep   step,
          CairnPreflightState  state,
          const char          *message)
{
  g_free (self->steps[step].message);
  self->steps[step].message = g_strdup (message);
  self->steps[step].state = state;

  g_signal_emit (self, signals[STEP_CHANGED], 0, step);
}

static void
set_from (CairnPreflight      *self,
          CairnPreflightStep   first,
          CairnPreflightState  state)
{
  for (guint step = first; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    set_step (self, step, state, NULL);
}

/* Which step an error of the ping belongs to. */
static CairnPreflightStep
failed_step (const GError *error)
{
  if (error->domain != CAIRN_CONVEX_ERROR)
    return CAIRN_PREFLIGHT_STEP_REACHABLE;

  switch ((CairnConvexError) error->code)
    {
    case CAIRN_CONVEX_ERROR_UNAUTHORIZED:
    case CAIRN_CONVEX_ERROR_READ_ONLY:
      return CAIRN_PREFLIGHT_STEP_KEY;
    case CAIRN_CONVEX_ERROR_NOT_SET_UP:
    case CAIRN_CONVEX_ERROR_FUNCTION_FAILED:
    case CAIRN_CONVEX_ERROR_BAD_RESPONSE:
    case CAIRN_CONVEX_ERROR_PUSH_REFUSED:
    case CAIRN_CONVEX_ERROR_SCHEMA_REJECTED:
    case CAIRN_CONVEX_ERROR_PUSH_RACE:
    case CAIRN_CONVEX_ERROR_MIGRATION_FAILED:
    case CAIRN_CONVEX_ERROR_LEASE_HELD:
      return CAIRN_PREFLIGHT_STEP_FUNCTIONS;
    case CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED:
    case CAIRN_CONVEX_ERROR_SCHEMA_NEWER:
      return CAIRN_PREFLIGHT_STEP_SCHEMA;
    case CAIRN_CONVEX_ERROR_CONNECTIVITY:
    case CAIRN_CONVEX_ERROR_TIMEOUT:
    case CAIRN_CONVEX_ERROR_SERVER:
    case CAIRN_CONVEX_ERROR_REDIRECTED:
    case CAIRN_CONVEX_ERROR_BAD_REQUEST:
    case CAIRN_CONVEX_ERROR_NOT_CONVEX:
    case CAIRN_CONVEX_ERROR_SOCKET_REFUSED:
    default:
      return CAIRN_PREFLIGHT_STEP_REACHABLE;
    }
}

/* The error to show, with what to do about it. */
static GError *
explain (const GError         *error,
         CairnPreflightRemedy  remedy)
{
  g_autofree char *command = NULL;

  if (remedy != CAIRN_PREFLIGHT_REMEDY_INSTALL)
    return g_error_copy (error);

  command = cairn_preflight_deploy_command ();
  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                      _("The Cairn functions are not on this deployment yet. Cairn can install them: "
                        "Install Cairn Functions.\nWithout Cairn, from a terminal: %s"),
                      command);
}

/* The ping's pendingMigrations, joined for a message; NULL when none (or
 * absent: functions from before migrations). */
static char *
pending_migrations (JsonObject *ping)
{
  JsonArray *pending = cairn_json_get_array (ping, "pendingMigrations");
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; pending != NULL && i < json_array_get_length (pending); i++)
    {
      JsonNode *element = json_array_get_element (pending, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_string_append_printf (ids, "%s%s", ids->len > 0 ? ", " : "", json_node_get_string (element));
    }

  return ids->len > 0 ? cairn_convex_server_text (ids->str) : NULL;
}

/**
 * cairn_preflight_check_schema:
 * @ping: a deployment's answer to cairn:ping
 *
 * Whether the deployment's Cairn functions speak this app's schema version
 * and its data needs no migration; an older or newer version, or pending
 * migrations, is an error that says what to update.
 */
gboolean
cairn_preflight_check_schema (JsonObject  *ping,
                              GError     **error)
{
  gint64 version = (gint64) cairn_json_get_number (ping, "schemaVersion");
  g_autofree char *command = NULL;
  g_autofree char *pending = NULL;

  if (version > CAIRN_SCHEMA_VERSION)
    {
      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_NEWER,
                   _("The Cairn functions on this deployment are newer (schema %" G_GINT64_FORMAT
                     ") than this version of Cairn understands (schema %d). Update Cairn."),
                   version, CAIRN_SCHEMA_VERSION);
      return FALSE;
    }

  if (version < CAIRN_SCHEMA_VERSION)
    {
      command = cairn_preflight_deploy_command ();
      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED,
                   _("The Cairn functions on this deployment are older (schema %" G_GINT64_FORMAT
                     ") than this version of Cairn needs (schema %d). Cairn can update them and the data: "
                     "Update Database.\nWithout Cairn, from a terminal: %s"),
                   version, CAIRN_SCHEMA_VERSION, command);
      return FALSE;
    }

  pending = pending_migrations (ping);
  if (pending != NULL)
    {
      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED,
                   _("The data on this deployment needs an update before this version of Cairn can use it "
                     "(%s). Cairn can do it: Update Database."),
                   pending);
      return FALSE;
    }

  return TRUE;
}

/* Marks every step before the one @error belongs to as passed, that one as
 * failed with what to do, and the rest as skipped. */
static void
fail_at (GTask                *task,
         const GError         *error,
         CairnPreflightRemedy  remedy)
{
  CairnPreflight *self = g_task_get_source_object (task);
  g_autoptr(GError) explained = explain (error, remedy);
  CairnPreflightStep step = failed_step (error);

  /* known before the step says it failed, for whoever listens to it */
  self->remedy = remedy;

  for (guint passed = CAIRN_PREFLIGHT_STEP_REACHABLE; passed < step; passed++)
    set_step (self, passed, CAIRN_PREFLIGHT_PASSED, NULL);
  set_step (self, step, CAIRN_PREFLIGHT_FAILED, explained->message);
  set_from (self, step + 1, CAIRN_PREFLIGHT_SKIPPED);
  g_task_return_error (task, g_steal_pointer (&explained));
}

static void
write_check_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  CairnPreflight *self = g_task_get_source_object (task);
  JsonObject *ping = g_object_get_data (G_OBJECT (task), "ping");

  value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  if (value == NULL)
    {
      fail_at (task, error, CAIRN_PREFLIGHT_REMEDY_NONE);
      return;
    }

  set_from (self, CAIRN_PREFLIGHT_STEP_REACHABLE, CAIRN_PREFLIGHT_PASSED);
  g_task_return_pointer (task, json_object_ref (ping), (GDestroyNotify) json_object_unref);
}

/* A read-only deploy key passes every query: removing a document that
 * cannot exist is a mutation that changes nothing, and tells whether the
 * key may write. */
static void
check_write (CairnConvexClient *client,
             GTask             *task)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *nobody = g_uuid_string_random ();

  json_object_set_string_member (args, "table", "notes");
  json_object_set_string_member (args, "clientId", nobody);
  cairn_convex_client_call_async (client, CAIRN_CONVEX_MUTATION, "documents:remove", args,
                                  g_task_get_cancellable (task), write_check_cb, task);
}

static void
ping_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  CairnPreflightRemedy remedy = CAIRN_PREFLIGHT_REMEDY_NONE;
  JsonObject *ping;

  value = cairn_convex_client_call_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  ping = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;

  /* functions missing: Cairn installs them; someone else's: never replaced */
  if (g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP))
    remedy = CAIRN_PREFLIGHT_REMEDY_INSTALL;
  else if (value != NULL && g_strcmp0 (cairn_json_get_string (ping, "app"), "cairn") != 0)
    error = g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                                 _("The functions on this deployment are not Cairn’s. Cairn does not replace them: "
                                   "use a deployment of its own."));
  else if (ping != NULL && !cairn_preflight_check_schema (ping, &error) &&
           g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED))
    remedy = CAIRN_PREFLIGHT_REMEDY_UPDATE;

  if (error != NULL)
    {
      fail_at (task, error, remedy);
      return;
    }

  g_object_set_data_full (G_OBJECT (task), "ping", json_object_ref (ping), (GDestroyNotify) json_object_unref);
  check_write (CAIRN_CONVEX_CLIENT (object), g_steal_pointer (&task));
}

static void
cairn_preflight_finalize (GObject *object)
{
  CairnPreflight *self = (CairnPreflight *) object;

  for (guint i = 0; i < CAIRN_PREFLIGHT_N_STEPS; i++)
    g_free (self->steps[i].message);

  G_OBJECT_CLASS (cairn_preflight_parent_class)->finalize (object);
}

static void
cairn_preflight_class_init (CairnPreflightClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cairn_preflight_finalize;

  /**
   * CairnPreflight::step-changed:
   * @step: the CairnPreflightStep whose state or message changed
   */
  signals[STEP_CHANGED] =
    g_signal_new ("step-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
cairn_preflight_init (CairnPreflight *self)
{
}

CairnPreflight *
cairn_preflight_new (void)
{
  return g_object_new (CAIRN_TYPE_PREFLIGHT, NULL);
}

/**
 * cairn_preflight_run_async:
 * @key: the deploy key; only used for this check, never kept
 *
 * Runs every step in order; ::step-changed reports each as it goes.
 * Finishes with the deployment's ping, or the error of the first step
 * that failed.
 */
void
cairn_preflight_run_async (CairnPreflight      *self,
                           const char          *url,
                           const char          *key,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = NULL;

  g_return_if_fail (CAIRN_IS_PREFLIGHT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_preflight_run_async);
  self->remedy = CAIRN_PREFLIGHT_REMEDY_NONE;
  set_from (self, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_PENDING);

  client = cairn_convex_client_new (url, &error);
  if (client == NULL)
    {
      set_step (self, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_FAILED, error->message);
      set_from (self, CAIRN_PREFLIGHT_STEP_REACHABLE, CAIRN_PREFLIGHT_SKIPPED);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!cairn_convex_check_deploy_key (key, &error))
    {
      set_step (self, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_PASSED, NULL);
      set_step (self, CAIRN_PREFLIGHT_STEP_REACHABLE, CAIRN_PREFLIGHT_SKIPPED, NULL);
      set_step (self, CAIRN_PREFLIGHT_STEP_KEY, CAIRN_PREFLIGHT_FAILED, error->message);
      set_from (self, CAIRN_PREFLIGHT_STEP_FUNCTIONS, CAIRN_PREFLIGHT_SKIPPED);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  set_step (self, CAIRN_PREFLIGHT_STEP_URL, CAIRN_PREFLIGHT_PASSED, NULL);
  set_step (self, CAIRN_PREFLIGHT_STEP_REACHABLE, CAIRN_PREFLIGHT_RUNNING, NULL);

  cairn_convex_client_set_admin_key (client, key);
  cairn_convex_client_set_timeout (client, PREFLIGHT_TIMEOUT_MS);
  cairn_convex_client_call_async (client, CAIRN_CONVEX_QUERY, "cairn:ping", NULL, cancellable,
                                  ping_cb, g_steal_pointer (&task));
}

/**
 * cairn_preflight_run_finish:
 *
 * Returns: (transfer full): the deployment's answer to cairn:ping
 */
JsonObject *
cairn_preflight_run_finish (CairnPreflight  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

CairnPreflightState
cairn_preflight_get_state (CairnPreflight     *self,
                           CairnPreflightStep  step)
{
  g_return_val_if_fail (CAIRN_IS_PREFLIGHT (self), CAIRN_PREFLIGHT_PENDING);
  g_return_val_if_fail (step < CAIRN_PREFLIGHT_N_STEPS, CAIRN_PREFLIGHT_PENDING);

  return self->steps[step].state;
}

/**
 * cairn_preflight_get_message:
 *
 * Returns: (nullable): why @step failed, and what to do
 */
const char *
cairn_preflight_get_message (CairnPreflight     *self,
                             CairnPreflightStep  step)
{
  g_return_val_if_fail (CAIRN_IS_PREFLIGHT (self), NULL);
  g_return_val_if_fail (step < CAIRN_PREFLIGHT_N_STEPS, NULL);

  return self->steps[step].message;
}

/**
 * cairn_preflight_get_remedy:
 *
 * What Cairn can do about the last run's failure: install the functions
 * (missing), update them and the data (older, or migrations pending), or
 * nothing. Set before the failed step is told.
 */
CairnPreflightRemedy
cairn_preflight_get_remedy (CairnPreflight *self)
{
  g_return_val_if_fail (CAIRN_IS_PREFLIGHT (self), CAIRN_PREFLIGHT_REMEDY_NONE);

  return self->remedy;
}

const char *
cairn_preflight_step_title (CairnPreflightStep step)
{
  switch (step)
    {
    case CAIRN_PREFLIGHT_STEP_URL:
      return _("Deployment URL");
    case CAIRN_PREFLIGHT_STEP_REACHABLE:
      return _("Deployment reachable");
    case CAIRN_PREFLIGHT_STEP_KEY:
      return _("Deploy key accepted");
    case CAIRN_PREFLIGHT_STEP_FUNCTIONS:
      return _("Cairn functions deployed");
    case CAIRN_PREFLIGHT_STEP_SCHEMA:
      return _("Schema version compatible");
    case CAIRN_PREFLIGHT_N_STEPS:
    default:
      g_return_val_if_reached (NULL);
    }
}

/* How to deploy the functions Cairn ships (installed with the app) without
 * Cairn: the fallback hint. */
char *
cairn_preflight_deploy_command (void)
{
  return g_strdup_printf ("cd %s && npm ci && CONVEX_DEPLOY_KEY='<your deploy key>' npx convex deploy",
                          CAIRN_FUNCTIONS_DIR);
}
