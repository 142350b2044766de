/* cairn-functions-push.c
 *
 * Puts the Cairn functions on a deployment the way `npx convex deploy`
 * does, through the deployment's own push API, with the deploy key:
 *
 *   start_push        the bundle (the StartPushRequest made at build time
 *                     from data/convex, installed in the GResource); the
 *                     deployment analyses the modules and stages the schema
 *   wait_for_schema   repeated while "inProgress": every stored document is
 *                     checked against the new schema, new indexes are built;
 *                     "failed" leaves the old functions live
 *   finish_push       echoes start_push's whole answer; the new functions go
 *                     live in one transaction
 *   report_push_completed   what the CLI reports afterwards; its failure
 *                     changes nothing
 *
 * Every answer is data from outside: read member by member, typed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-functions-push"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-functions-push.h"
#include "cairn-functions-resources.h"
#include "cairn-json.h"

/* How long one wait_for_schema may hold the request, as the CLI asks. */
#define SCHEMA_WAIT_MS     10000
/* A deployment that answers "inProgress" at once, forever, is not
 * checking anything: at most this many waits (an hour of 10 s polls). */
#define MAX_SCHEMA_WAITS   360

/* The overall fraction each stage starts at. */
#define FRACTION_CHECKING   0.3
#define FRACTION_ACTIVATING 0.85

struct _CairnFunctionsPush
{
  GObject            parent_instance;

  CairnConvexClient *client;
  GBytes            *bundle;
  CairnPushStage     stage;
  double             fraction;
};

G_DEFINE_FINAL_TYPE (CairnFunctionsPush, cairn_functions_push, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_BUNDLE,
  PROP_STAGE,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One run: start_push's answer, echoed to finish_push. */
typedef struct {
  JsonObject *started;
  guint       waits;
} Run;

static void
run_free (Run *run)
{
  g_clear_pointer (&run->started, json_object_unref);
  g_free (run);
}

/* State ------------------------------------------------------------------ */

static void
set_progress (CairnFunctionsPush *self,
              CairnPushStage      stage,
              double              fraction)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->stage != stage)
    {
      self->stage = stage;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
    }
  if (self->fraction != fraction)
    {
      self->fraction = fraction;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* Takes @task and @error. */
static void
fail (GTask  *task,
      GError *error)
{
  g_autoptr(GTask) owned = task;
  CairnFunctionsPush *self = g_task_get_source_object (task);

  g_debug ("push failed: %s", error->message);
  set_progress (self, CAIRN_PUSH_STAGE_FAILED, self->fraction);
  g_task_return_error (task, error);
}

static GError *
wrong_shape (const char *route)
{
  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                      _("Your database answered the push (%s) with something of the wrong shape."), route);
}

/* The answer of a push route as an object, or NULL with @error set. */
static JsonObject *
answer_object (CairnFunctionsPush  *self,
               GAsyncResult        *result,
               const char          *route,
               GError             **error)
{
  g_autoptr(JsonNode) answer = cairn_convex_client_post_admin_finish (self->client, result, error);

  if (answer == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (answer))
    {
      g_propagate_error (error, wrong_shape (route));
      return NULL;
    }

  return json_object_ref (json_node_get_object (answer));
}

/* Takes @task. */
static void
post (GTask               *task,
      const char          *route,
      JsonObject          *body,
      GAsyncReadyCallback  callback)
{
  CairnFunctionsPush *self = g_task_get_source_object (task);

  cairn_convex_client_post_admin_async (self->client, route, body, g_task_get_cancellable (task),
                                        callback, task);
}

/* report_push_completed ------------------------------------------------------ */

static void
reported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  CairnFunctionsPush *self = g_task_get_source_object (task);

  /* the functions are live: a lost report changes nothing */
  answer = cairn_convex_client_post_admin_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  if (answer == NULL)
    g_debug ("report_push_completed: %s", error->message);

  set_progress (self, CAIRN_PUSH_STAGE_DONE, 1.0);
  g_task_return_boolean (task, TRUE);
}

static void
report (GTask *task)
{
  g_autoptr(JsonObject) body = json_object_new ();

  json_object_set_array_member (body, "spans", json_array_new ());
  post (task, "deploy2/report_push_completed", body, reported_cb);
}

/* finish_push ---------------------------------------------------------------- */

static void
finished_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  CairnFunctionsPush *self = g_task_get_source_object (task);

  answer = answer_object (self, result, "finish_push", &error);
  if (answer == NULL)
    {
      fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  report (g_steal_pointer (&task));
}

static void
finish_push (GTask *task)
{
  CairnFunctionsPush *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(JsonObject) body = json_object_new ();

  set_progress (self, CAIRN_PUSH_STAGE_ACTIVATING, FRACTION_ACTIVATING);
  json_object_set_object_member (body, "startPush", json_object_ref (run->started));
  json_object_set_boolean_member (body, "dryRun", FALSE);
  json_object_set_null_member (body, "message");
  post (task, "deploy2/finish_push", body, finished_cb);
}

/* wait_for_schema ------------------------------------------------------------ */

static void wait_for_schema (GTask *task);

/* How far the index backfill is, over every component: 0 to 1. */
static double
schema_progress (JsonObject *answer)
{
  JsonObject *components = cairn_json_get_object (answer, "components");
  double complete = 0, total = 0;
  gboolean validated = TRUE;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (components == NULL)
    return 0;

  json_object_iter_init (&iter, components);
  while (json_object_iter_next (&iter, &name, &member))
    {
      JsonObject *component = JSON_NODE_HOLDS_OBJECT (member) ? json_node_get_object (member) : NULL;
      double done = cairn_json_get_number (component, "indexesComplete");
      double all = cairn_json_get_number (component, "indexesTotal");

      validated = validated && cairn_json_get_boolean (component, "schemaValidationComplete");
      if (all > 0 && done >= 0)
        {
          complete += MIN (done, all);
          total += all;
        }
    }

  if (total > 0)
    return complete / total;

  return validated ? 1 : 0;
}

static void
schema_waited_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  CairnFunctionsPush *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  const char *type;

  answer = answer_object (self, result, "wait_for_schema", &error);
  if (answer == NULL)
    {
      fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  type = cairn_json_get_string (answer, "type");

  if (g_strcmp0 (type, "complete") == 0)
    {
      finish_push (g_steal_pointer (&task));
    }
  else if (g_strcmp0 (type, "inProgress") == 0 && run->waits < MAX_SCHEMA_WAITS)
    {
      double done = schema_progress (answer);

      set_progress (self, CAIRN_PUSH_STAGE_CHECKING_SCHEMA,
                    FRACTION_CHECKING + done * (FRACTION_ACTIVATING - FRACTION_CHECKING));
      wait_for_schema (g_steal_pointer (&task));
    }
  else if (g_strcmp0 (type, "inProgress") == 0)
    {
      fail (g_steal_pointer (&task),
            g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT,
                         _("Your database was still checking the new schema after %u checks. Try again later."),
                         run->waits));
    }
  else if (g_strcmp0 (type, "failed") == 0)
    {
      g_autofree char *reason = cairn_convex_server_text (cairn_json_get_string (answer, "error"));

      fail (g_steal_pointer (&task),
            g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SCHEMA_REJECTED,
                         _("Your database kept its functions: the data stored there does not fit the new "
                           "schema (%s)."),
                         *reason != '\0' ? reason : _("no reason given")));
    }
  else if (g_strcmp0 (type, "raceDetected") == 0)
    {
      fail (g_steal_pointer (&task),
            g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_PUSH_RACE,
                                 _("Someone else changed the functions on your database at the same time. "
                                   "Try again.")));
    }
  else
    {
      fail (g_steal_pointer (&task), wrong_shape ("wait_for_schema"));
    }
}

static void
wait_for_schema (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  g_autoptr(JsonObject) body = json_object_new ();
  JsonNode *change = json_object_get_member (run->started, "schemaChange");

  run->waits++;
  json_object_set_member (body, "schemaChange", json_node_copy (change));
  json_object_set_int_member (body, "timeoutMs", SCHEMA_WAIT_MS);
  json_object_set_boolean_member (body, "dryRun", FALSE);
  post (task, "deploy2/wait_for_schema", body, schema_waited_cb);
}

/* start_push ----------------------------------------------------------------- */

static void
started_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  CairnFunctionsPush *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  answer = answer_object (self, result, "start_push", &error);
  if (answer == NULL)
    {
      fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  if (cairn_json_get_object (answer, "schemaChange") == NULL)
    {
      fail (g_steal_pointer (&task), wrong_shape ("start_push"));
      return;
    }

  run->started = g_steal_pointer (&answer);
  set_progress (self, CAIRN_PUSH_STAGE_CHECKING_SCHEMA, FRACTION_CHECKING);
  wait_for_schema (g_steal_pointer (&task));
}

/* The bundle as start_push's body: its members but "adminKey" (the client
 * adds the key), not a dry run. */
static JsonObject *
start_body (GBytes  *bundle,
            GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonObject *body;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gsize length;
  const char *text = g_bytes_get_data (bundle, &length);

  root = cairn_json_parse (text, length, &parse_error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      cairn_json_get_object (json_node_get_object (root), "appDefinition") == NULL)
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("Cairn’s own functions bundle cannot be read (%s). Reinstall Cairn."),
                   parse_error != NULL ? parse_error->message : _("not a push request"));
      return NULL;
    }

  body = json_object_new ();
  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (!g_str_equal (name, "adminKey"))
        json_object_set_member (body, name, json_node_copy (member));
    }
  json_object_set_boolean_member (body, "dryRun", FALSE);

  return body;
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_functions_push_dispose (GObject *object)
{
  CairnFunctionsPush *self = (CairnFunctionsPush *) object;

  g_clear_object (&self->client);

  G_OBJECT_CLASS (cairn_functions_push_parent_class)->dispose (object);
}

static void
cairn_functions_push_finalize (GObject *object)
{
  CairnFunctionsPush *self = (CairnFunctionsPush *) object;

  g_clear_pointer (&self->bundle, g_bytes_unref);

  G_OBJECT_CLASS (cairn_functions_push_parent_class)->finalize (object);
}

static void
cairn_functions_push_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  CairnFunctionsPush *self = CAIRN_FUNCTIONS_PUSH (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_BUNDLE:
      g_value_set_boxed (value, self->bundle);
      break;
    case PROP_STAGE:
      g_value_set_uint (value, self->stage);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_functions_push_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  CairnFunctionsPush *self = CAIRN_FUNCTIONS_PUSH (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_BUNDLE:
      self->bundle = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_functions_push_class_init (CairnFunctionsPushClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_functions_push_dispose;
  object_class->finalize = cairn_functions_push_finalize;
  object_class->get_property = cairn_functions_push_get_property;
  object_class->set_property = cairn_functions_push_set_property;

  /* holding the deploy key */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CAIRN_TYPE_CONVEX_CLIENT, construct);
  /* the StartPushRequest, without its key (cairn_functions_bundle_load()) */
  properties[PROP_BUNDLE] =
    g_param_spec_boxed ("bundle", NULL, NULL, G_TYPE_BYTES, construct);
  /* a CairnPushStage */
  properties[PROP_STAGE] =
    g_param_spec_uint ("stage", NULL, NULL, 0, CAIRN_PUSH_STAGE_FAILED, CAIRN_PUSH_STAGE_IDLE, ro);
  /* how far the whole push is, 0 to 1 */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_functions_push_init (CairnFunctionsPush *self)
{
}

/* Public API ----------------------------------------------------------------- */

/**
 * cairn_functions_bundle_load:
 *
 * The push request for the Cairn functions this build of the app speaks,
 * made from data/convex at build time, compiled into the core's GResource.
 *
 * Returns: (transfer full): the bundle, or %NULL with @error set
 */
GBytes *
cairn_functions_bundle_load (GError **error)
{
  GBytes *bundle = g_resource_lookup_data (cairn_functions_get_resource (), CAIRN_FUNCTIONS_BUNDLE_RESOURCE,
                                           G_RESOURCE_LOOKUP_FLAGS_NONE, error);

  if (bundle == NULL)
    g_prefix_error (error, _("This build of Cairn has no functions to install: "));

  return bundle;
}

/**
 * cairn_functions_push_new:
 * @client: a client for the deployment, holding its deploy key
 * @bundle: the push request (cairn_functions_bundle_load())
 */
CairnFunctionsPush *
cairn_functions_push_new (CairnConvexClient *client,
                          GBytes            *bundle)
{
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (client), NULL);
  g_return_val_if_fail (bundle != NULL, NULL);

  return g_object_new (CAIRN_TYPE_FUNCTIONS_PUSH, "client", client, "bundle", bundle, NULL);
}

CairnPushStage
cairn_functions_push_get_stage (CairnFunctionsPush *self)
{
  g_return_val_if_fail (CAIRN_IS_FUNCTIONS_PUSH (self), CAIRN_PUSH_STAGE_IDLE);

  return self->stage;
}

double
cairn_functions_push_get_fraction (CairnFunctionsPush *self)
{
  g_return_val_if_fail (CAIRN_IS_FUNCTIONS_PUSH (self), 0);

  return self->fraction;
}

/* What a stage does, for a progress row. */
const char *
cairn_functions_push_stage_title (CairnPushStage stage)
{
  switch (stage)
    {
    case CAIRN_PUSH_STAGE_IDLE:
      return _("Waiting");
    case CAIRN_PUSH_STAGE_UPLOADING:
      return _("Uploading the functions");
    case CAIRN_PUSH_STAGE_CHECKING_SCHEMA:
      return _("Checking the schema");
    case CAIRN_PUSH_STAGE_ACTIVATING:
      return _("Activating the functions");
    case CAIRN_PUSH_STAGE_DONE:
      return _("Functions installed");
    case CAIRN_PUSH_STAGE_FAILED:
      return _("Installing the functions failed");
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * cairn_functions_push_run_async:
 *
 * Pushes the bundle: :stage and :fraction tell how far it is. A push that
 * fails or is cancelled before finish_push leaves the deployment's
 * functions as they were. Run it once.
 */
void
cairn_functions_push_run_async (CairnFunctionsPush  *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CAIRN_IS_FUNCTIONS_PUSH (self));
  g_return_if_fail (self->stage == CAIRN_PUSH_STAGE_IDLE);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_functions_push_run_async);
  g_task_set_task_data (task, g_new0 (Run, 1), (GDestroyNotify) run_free);

  set_progress (self, CAIRN_PUSH_STAGE_UPLOADING, 0);

  body = start_body (self->bundle, &error);
  if (body == NULL)
    {
      fail (g_steal_pointer (&task), g_steal_pointer (&error));
      return;
    }

  post (g_steal_pointer (&task), "deploy2/start_push", body, started_cb);
}

gboolean
cairn_functions_push_run_finish (CairnFunctionsPush  *self,
                                 GAsyncResult        *result,
                                 GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
