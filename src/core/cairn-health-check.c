/* cairn-health-check.c
 *
 * One check of the user's deployment, as a few requests in a row, each
 * timed on the CairnClock:
 *
 *   cairn:ping     reachable, the key, the Cairn functions and their schema
 *                  (a failure here ends the check: nothing else can work)
 *   cairn:health   a read and a write on the deployment, timed there too
 *                  (the quick check; functions without it: the ping alone)
 *   rounds         the full check: a page of conversations read and
 *                  cairn:health (or, without it, removing a note that
 *                  cannot exist) written, %CAIRN_HEALTH_CHECK_ROUNDS times;
 *                  a failure that says nothing about the next request (a
 *                  server error, a function that failed, an unreadable
 *                  answer) does not end the rounds, so one bad answer in
 *                  five shows as one in five
 *
 * The result keeps every request, summed up with
 * cairn_metrics_summarize_records(), so whoever reads it judges this check
 * by itself (cairn_health_judge_check()). The requests go through the
 * client, so the app's own metrics see them too.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-health-check"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-clock.h"
#include "cairn-convex-client.h"
#include "cairn-error.h"
#include "cairn-health-check.h"
#include "cairn-json.h"
#include "cairn-preflight.h"

struct _CairnHealthCheck
{
  GObject                parent_instance;

  CairnConvexClient     *client;
  CairnClock            *clock;
  CairnHealthCheckMode   mode;
  CairnHealthCheckStage  stage;
  guint                  steps_done;
  gboolean               started;
};

G_DEFINE_FINAL_TYPE (CairnHealthCheck, cairn_health_check, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (CairnHealthCheckResult, cairn_health_check_result,
                     cairn_health_check_result_copy, cairn_health_check_result_free)

enum {
  PROP_0,
  PROP_STAGE,
  PROP_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What one run is doing. */
typedef struct {
  CairnHealthCheckResult *result;
  guint                   round;
  gboolean                no_health;  /* cairn:health is not there */
  CairnRequestKind        kind;       /* of the request on its way */
  const char             *function;
  gint64                  sent;
} Run;

static void
run_free (Run *run)
{
  g_clear_pointer (&run->result, cairn_health_check_result_free);
  g_free (run);
}

/* Results ---------------------------------------------------------------------- */

static CairnHealthCheckResult *
result_new (CairnHealthCheckMode mode,
            gint64               checked_at)
{
  CairnHealthCheckResult *result = g_new0 (CairnHealthCheckResult, 1);

  result->mode = mode;
  result->checked_at = checked_at;
  result->pending_migrations = g_new0 (char *, 1);
  result->server_read_ms = -1;
  result->server_write_ms = -1;
  result->requests = g_array_new (FALSE, FALSE, sizeof (CairnRequestRecord));

  return result;
}

/* Takes in what cairn:ping and cairn:health both say. */
static void
take_versions (CairnHealthCheckResult *result,
               JsonObject             *answer)
{
  JsonArray *pending = cairn_json_get_array (answer, "pendingMigrations");
  GStrvBuilder *builder = g_strv_builder_new ();

  result->schema_version = (int) cairn_json_get_number (answer, "schemaVersion");

  for (guint i = 0; pending != NULL && i < json_array_get_length (pending); i++)
    {
      JsonNode *id = json_array_get_element (pending, i);

      if (JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (id));
    }

  g_strfreev (result->pending_migrations);
  result->pending_migrations = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
}

static double
timed_ms (JsonObject *answer,
          const char *member)
{
  JsonObject *part = cairn_json_get_object (answer, member);

  return part != NULL && cairn_json_get_boolean (part, "ok") ? cairn_json_get_number (part, "ms") : -1;
}

/* The stages ---------------------------------------------------------------------- */

static guint
total_steps (CairnHealthCheckMode mode)
{
  switch (mode)
    {
    case CAIRN_HEALTH_CHECK_PING:
      return 1;
    case CAIRN_HEALTH_CHECK_QUICK:
      return 2;
    case CAIRN_HEALTH_CHECK_FULL:
      return 1 + 2 * CAIRN_HEALTH_CHECK_ROUNDS;
    default:
      g_return_val_if_reached (1);
    }
}

static void
set_stage (CairnHealthCheck      *self,
           CairnHealthCheckStage  stage)
{
  if (self->stage == stage)
    return;

  self->stage = stage;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

static void
step_done (CairnHealthCheck *self)
{
  self->steps_done++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

static void
finish (GTask *task)
{
  CairnHealthCheck *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  CairnHealthCheckResult *result = g_steal_pointer (&run->result);

  result->summary = cairn_metrics_summarize_records ((CairnRequestRecord *) (gpointer) result->requests->data,
                                                     result->requests->len);
  self->steps_done = total_steps (self->mode);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  set_stage (self, CAIRN_HEALTH_CHECK_DONE);

  g_task_return_pointer (task, result, (GDestroyNotify) cairn_health_check_result_free);
}

/* Errors after which the next request would fail the same way, or wait as long. */
static gboolean
ends_check (const GError *error)
{
  return !(g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER) ||
           g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED) ||
           g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE));
}

static void start_request (GTask *task, CairnRequestKind kind, const char *function, JsonObject *args,
                  GAsyncReadyCallback callback);
static void next_round (GTask *task);

/* Ends the request on its way: its record, its value; FALSE (the check
 * over) when it was cancelled. */
static gboolean
receive (GTask         *task,
         GAsyncResult  *result,
         JsonNode     **value,
         GError       **error)
{
  CairnHealthCheck *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  CairnRequestRecord record = { run->kind, run->function, CAIRN_REQUEST_SUCCEEDED, 0, 0 };
  GError *local_error = NULL;

  *value = cairn_convex_client_call_finish (self->client, result, &local_error);
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, local_error);
      return FALSE;
    }

  record.duration_us = cairn_clock_get_time (self->clock) - run->sent;
  if (local_error != NULL)
    {
      record.outcome = CAIRN_REQUEST_FAILED;
      record.error_code = local_error->domain == CAIRN_CONVEX_ERROR ? local_error->code : -1;
    }
  g_array_append_val (run->result->requests, record);
  step_done (self);

  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return TRUE;
}

/* Keeps the first failure of the check. */
static void
fail (Run          *run,
      const GError *error)
{
  if (run->result->error == NULL)
    run->result->error = g_error_copy (error);
}

static void write_cb (GObject *object, GAsyncResult *result, gpointer user_data);

/* With functions that lack cairn:health, a write that changes nothing: the
 * preflight's own (removing a note that cannot exist). */
static void
write_next (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *nobody = NULL;

  set_stage (g_task_get_source_object (task), CAIRN_HEALTH_CHECK_WRITING);
  if (!run->no_health)
    {
      start_request (task, CAIRN_REQUEST_MUTATION, "cairn:health", args, write_cb);
      return;
    }

  nobody = g_uuid_string_random ();
  json_object_set_string_member (args, "table", "notes");
  json_object_set_string_member (args, "clientId", nobody);
  start_request (task, CAIRN_REQUEST_MUTATION, "documents:remove", args, write_cb);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  CairnHealthCheck *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  JsonObject *answer;

  if (!receive (task, result, &value, &error))
    return;

  /* functions of schema 1 have no cairn:health: the ping alone, or the other write */
  if (g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP) &&
      g_str_equal (run->function, "cairn:health"))
    {
      g_array_set_size (run->result->requests, run->result->requests->len - 1);
      self->steps_done--;
      run->no_health = TRUE;
      if (self->mode == CAIRN_HEALTH_CHECK_FULL)
        write_next (g_steal_pointer (&task));
      else
        finish (task);
      return;
    }

  answer = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  if (answer != NULL && g_str_equal (run->function, "cairn:health"))
    {
      run->result->has_health = TRUE;
      run->result->server_time = (gint64) cairn_json_get_number (answer, "serverTime");
      run->result->server_read_ms = timed_ms (answer, "read");
      run->result->server_write_ms = timed_ms (answer, "write");
      take_versions (run->result, answer);
    }

  if (error != NULL)
    fail (run, error);

  if (self->mode == CAIRN_HEALTH_CHECK_QUICK || (error != NULL && ends_check (error)))
    {
      finish (task);
      return;
    }

  run->round++;
  if (run->round < CAIRN_HEALTH_CHECK_ROUNDS)
    next_round (g_steal_pointer (&task));
  else
    finish (task);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  Run *run = g_task_get_task_data (task);

  if (!receive (task, result, &value, &error))
    return;

  if (error != NULL)
    {
      fail (run, error);
      if (ends_check (error))
        {
          finish (task);
          return;
        }
    }

  write_next (g_steal_pointer (&task));
}

/* One round of the full check: a page of conversations, then a write. */
static void
next_round (GTask *task)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) pagination = json_object_new ();

  json_object_set_string_member (args, "table", "conversations");
  json_object_set_string_member (args, "index", "by_updatedAt");
  json_object_set_array_member (args, "equal", json_array_new ());
  json_object_set_string_member (args, "order", "desc");
  json_object_set_int_member (pagination, "numItems", 1);
  json_object_set_null_member (pagination, "cursor");
  json_object_set_object_member (args, "paginationOpts", g_steal_pointer (&pagination));

  set_stage (g_task_get_source_object (task), CAIRN_HEALTH_CHECK_READING);
  start_request (task, CAIRN_REQUEST_QUERY, "documents:list", args, read_cb);
}

static void
ping_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  CairnHealthCheck *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  JsonObject *ping;

  if (!receive (task, result, &value, &error))
    return;

  ping = value != NULL && JSON_NODE_HOLDS_OBJECT (value) ? json_node_get_object (value) : NULL;
  if (value != NULL)
    run->result->reachable = TRUE;
  if (value != NULL && g_strcmp0 (cairn_json_get_string (ping, "app"), "cairn") != 0)
    error = g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                         _("The functions on this deployment are not Cairn’s."));
  else if (ping != NULL)
    {
      take_versions (run->result, ping);
      cairn_preflight_check_schema (ping, &error);
    }

  if (error != NULL)
    {
      fail (run, error);
      finish (task);
      return;
    }

  switch (self->mode)
    {
    case CAIRN_HEALTH_CHECK_PING:
      finish (task);
      break;
    case CAIRN_HEALTH_CHECK_QUICK:
      write_next (g_steal_pointer (&task));
      break;
    case CAIRN_HEALTH_CHECK_FULL:
      next_round (g_steal_pointer (&task));
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Takes @task; @callback gets it back. */
static void
start_request (GTask               *task,
      CairnRequestKind     kind,
      const char          *function,
      JsonObject          *args,
      GAsyncReadyCallback  callback)
{
  CairnHealthCheck *self = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);

  run->kind = kind;
  run->function = function;
  run->sent = cairn_clock_get_time (self->clock);
  cairn_convex_client_call_async (self->client,
                                  kind == CAIRN_REQUEST_QUERY ? CAIRN_CONVEX_QUERY : CAIRN_CONVEX_MUTATION,
                                  function, args, g_task_get_cancellable (task), callback, task);
}

/* GObject ------------------------------------------------------------------------ */

static void
cairn_health_check_dispose (GObject *object)
{
  CairnHealthCheck *self = (CairnHealthCheck *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_health_check_parent_class)->dispose (object);
}

static void
cairn_health_check_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CairnHealthCheck *self = CAIRN_HEALTH_CHECK (object);

  switch (prop_id)
    {
    case PROP_STAGE:
      g_value_set_uint (value, self->stage);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, cairn_health_check_get_fraction (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_health_check_class_init (CairnHealthCheckClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_health_check_dispose;
  object_class->get_property = cairn_health_check_get_property;

  /* a CairnHealthCheckStage: what the check is doing */
  properties[PROP_STAGE] =
    g_param_spec_uint ("stage", NULL, NULL, 0, CAIRN_HEALTH_CHECK_DONE, 0, ro);
  /* 0–1: how much of it is done, for a progress bar */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_health_check_init (CairnHealthCheck *self)
{
}

/* Public API -------------------------------------------------------------------- */

/**
 * cairn_health_check_new:
 * @client: the deployment's client, holding its key
 * @clock: what the requests are timed with
 *
 * A check to run once.
 */
CairnHealthCheck *
cairn_health_check_new (CairnConvexClient    *client,
                        CairnClock           *clock,
                        CairnHealthCheckMode  mode)
{
  CairnHealthCheck *self;

  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (client), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (mode <= CAIRN_HEALTH_CHECK_FULL, NULL);

  self = g_object_new (CAIRN_TYPE_HEALTH_CHECK, NULL);
  self->client = g_object_ref (client);
  self->clock = g_object_ref (clock);
  self->mode = mode;

  return self;
}

CairnHealthCheckStage
cairn_health_check_get_stage (CairnHealthCheck *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH_CHECK (self), CAIRN_HEALTH_CHECK_IDLE);

  return self->stage;
}

double
cairn_health_check_get_fraction (CairnHealthCheck *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH_CHECK (self), 0);

  return (double) self->steps_done / total_steps (self->mode);
}

/**
 * cairn_health_check_run_async:
 *
 * Runs the check, once per object. Failures of the deployment are part of
 * the result, not an error of the call.
 */
void
cairn_health_check_run_async (CairnHealthCheck    *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (CAIRN_IS_HEALTH_CHECK (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_health_check_run_async);

  run = g_new0 (Run, 1);
  run->result = result_new (self->mode, cairn_clock_get_real_time_ms (self->clock));
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  set_stage (self, CAIRN_HEALTH_CHECK_PINGING);
  start_request (g_steal_pointer (&task), CAIRN_REQUEST_QUERY, "cairn:ping", NULL, ping_cb);
}

/**
 * cairn_health_check_run_finish:
 *
 * Returns: (transfer full): what the check found; %NULL only when it was cancelled
 */
CairnHealthCheckResult *
cairn_health_check_run_finish (CairnHealthCheck  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * cairn_health_check_result_new_failed:
 * @error: why there was no check (no key in the keyring, settings that cannot be used)
 *
 * A check that could not send anything.
 */
CairnHealthCheckResult *
cairn_health_check_result_new_failed (CairnHealthCheckMode  mode,
                                      gint64                checked_at,
                                      const GError         *error)
{
  CairnHealthCheckResult *result = result_new (mode, checked_at);

  g_return_val_if_fail (error != NULL, result);

  result->error = g_error_copy (error);
  result->summary = cairn_metrics_summarize_records (NULL, 0);

  return result;
}

CairnHealthCheckResult *
cairn_health_check_result_copy (const CairnHealthCheckResult *self)
{
  CairnHealthCheckResult *copy = g_memdup2 (self, sizeof *self);

  copy->error = self->error != NULL ? g_error_copy (self->error) : NULL;
  copy->pending_migrations = g_strdupv (self->pending_migrations);
  copy->requests = g_array_copy (self->requests);
  copy->summary = self->summary != NULL ? cairn_metrics_summary_copy (self->summary) : NULL;

  return copy;
}

void
cairn_health_check_result_free (CairnHealthCheckResult *self)
{
  if (self == NULL)
    return;

  g_clear_error (&self->error);
  g_strfreev (self->pending_migrations);
  g_array_unref (self->requests);
  g_clear_pointer (&self->summary, cairn_metrics_summary_free);
  g_free (self);
}
