/* cairn-health-command.c
 *
 * `cairn --check-health [--json]`, without a window: the workspace's BYOD
 * settings from its database, the deploy key from the keyring as the app
 * reads it, then a full CairnHealthCheck (a ping, reads and writes, timed)
 * judged by the thresholds on its own requests — not by the app's recorded
 * history — and a summary for a person or for a script. It changes nothing
 * the app keeps: the check's one write is cairn:health's heartbeat on the
 * deployment.
 *
 * Runs its own main context until it is done. The key is wiped once the
 * client holds it; the client keeps it out of every message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-health-command"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-byod-config.h"
#include "cairn-convex-client.h"
#include "cairn-credentials.h"
#include "cairn-error.h"
#include "cairn-health-command.h"
#include "cairn-local-store.h"
#include "cairn-store.h"
#include "cairn-system-clock.h"

/* A request that takes longer says enough; a cron job should not wait 30 s for each. */
#define COMMAND_TIMEOUT_MS 10000

typedef struct {
  const char                  *workspace_id;
  const CairnHealthThresholds *thresholds;
  char                        *url;
  CairnHealthExit              exit;
  CairnHealthVerdict           verdict;
  GPtrArray                   *reasons;   /* translated sentences */
  char                        *message;   /* the one line of a check that could not run */
  CairnHealthCheckResult      *result;    /* (nullable) */
} Report;

/* Waiting ------------------------------------------------------------------------- */

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);

  return *result;
}

/* The steps ------------------------------------------------------------------------- */

static CairnByodConfig *
load_config (CairnStore  *store,
             const char  *workspace_id,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *client_id = cairn_byod_config_client_id (workspace_id);
  g_autoptr(JsonObject) document = NULL;

  cairn_store_get_async (store, "userDatabaseConfig", client_id, NULL, result_cb, &result);
  document = cairn_store_get_finish (store, wait_for (&result), error);

  return document != NULL ? cairn_byod_config_from_document (document) : NULL;
}

static char *
lookup_key (const char  *workspace_id,
            const char  *url,
            GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  char *key;

  cairn_credentials_lookup_async (workspace_id, url, NULL, result_cb, &result);
  key = cairn_credentials_lookup_finish (wait_for (&result), error);
  if (key == NULL && error != NULL && *error == NULL)
    g_set_error (error, CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING,
                 _("The deploy key for %s is not in the keyring. Enter it again in Cairn’s Preferences."), url);

  return key;
}

static void
run_check (Report            *report,
           CairnConvexClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CairnClock) clock = cairn_system_clock_new ();
  g_autoptr(CairnHealthCheck) check = cairn_health_check_new (client, clock, CAIRN_HEALTH_CHECK_FULL);

  cairn_health_check_run_async (check, NULL, result_cb, &result);
  report->result = cairn_health_check_run_finish (check, wait_for (&result), NULL);
  report->verdict = cairn_health_judge_check (report->thresholds, report->result, report->reasons);
  report->exit = report->verdict == CAIRN_HEALTH_HEALTHY ? CAIRN_HEALTH_EXIT_HEALTHY :
                 report->verdict == CAIRN_HEALTH_DEGRADED ? CAIRN_HEALTH_EXIT_DEGRADED :
                 CAIRN_HEALTH_EXIT_UNHEALTHY;
}

static void
set_outcome (Report          *report,
             CairnHealthExit  exit,
             const char      *message)
{
  report->exit = exit;
  report->verdict = exit == CAIRN_HEALTH_EXIT_UNHEALTHY ? CAIRN_HEALTH_UNHEALTHY : CAIRN_HEALTH_UNKNOWN;
  report->message = g_strdup (message);
  if (exit == CAIRN_HEALTH_EXIT_UNHEALTHY)
    g_ptr_array_add (report->reasons, g_strdup (message));
}

/* From the settings to the verdict. */
static void
check_workspace (Report     *report,
                 const char *database_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(CairnByodConfig) config = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  g_auto(CairnCredentialsKey) key = NULL;

  /* never opened: content would be on this computer, and no file is made for asking */
  if (!g_file_test (database_path, G_FILE_TEST_EXISTS))
    {
      set_outcome (report, CAIRN_HEALTH_EXIT_NOT_SET_UP, NULL);
      return;
    }

  store = cairn_local_store_new (database_path, &error);
  if (store != NULL)
    config = load_config (CAIRN_STORE (store), report->workspace_id, &error);
  if (store != NULL)
    cairn_local_store_close (store);

  if (config == NULL && g_error_matches (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND))
    {
      set_outcome (report, CAIRN_HEALTH_EXIT_NOT_SET_UP, NULL);
      return;
    }
  if (config == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Cairn could not read its settings: %s"), error->message);

      set_outcome (report, CAIRN_HEALTH_EXIT_UNHEALTHY, message);
      return;
    }
  if (!config->enabled)
    {
      set_outcome (report, CAIRN_HEALTH_EXIT_NOT_SET_UP, NULL);
      return;
    }

  report->url = g_strdup (config->deployment_url);
  client = cairn_convex_client_new (config->deployment_url, &error);
  if (client == NULL)
    {
      set_outcome (report, CAIRN_HEALTH_EXIT_UNHEALTHY, error->message);
      return;
    }

  key = lookup_key (report->workspace_id, cairn_convex_client_get_url (client), &error);
  if (key == NULL)
    {
      set_outcome (report, CAIRN_HEALTH_EXIT_KEYRING, error->message);
      return;
    }

  cairn_convex_client_set_admin_key (client, key);
  cairn_convex_client_set_timeout (client, COMMAND_TIMEOUT_MS);
  run_check (report, client);
}

/* Saying it: for a person ------------------------------------------------------------------ */

static const char *
status_name (const Report *report)
{
  switch (report->exit)
    {
    case CAIRN_HEALTH_EXIT_NOT_SET_UP:
      return "not-set-up";
    case CAIRN_HEALTH_EXIT_KEYRING:
      return "keyring-unavailable";
    case CAIRN_HEALTH_EXIT_HEALTHY:
    case CAIRN_HEALTH_EXIT_DEGRADED:
    case CAIRN_HEALTH_EXIT_UNHEALTHY:
    default:
      return cairn_health_verdict_to_string (report->verdict);
    }
}

static void
append_latency (GString            *out,
                const char         *title,
                const CairnLatency *latency)
{
  if (latency->count == 0)
    return;

  /* Translators: "Queries: 4, 12 ms on average, p95 15 ms, 0 failed" */
  g_string_append_printf (out, _("  %s: %u, %.0f ms on average, p95 %.0f ms, %u failed\n"),
                          title, latency->count, latency->average_ms, latency->p95_ms, latency->failed);
}

static void
append_text (GString      *out,
             const Report *report)
{
  const CairnHealthCheckResult *result = report->result;

  switch (report->exit)
    {
    case CAIRN_HEALTH_EXIT_NOT_SET_UP:
      g_string_append_printf (out, "%s\n",
                              _("Your content is stored on this computer: Bring Your Own Database is not set up, "
                                "so there is no database of yours to check."));
      return;
    case CAIRN_HEALTH_EXIT_KEYRING:
      g_string_append_printf (out, _("Cairn cannot read the deploy key from the keyring: %s\n"), report->message);
      return;
    case CAIRN_HEALTH_EXIT_HEALTHY:
    case CAIRN_HEALTH_EXIT_DEGRADED:
    case CAIRN_HEALTH_EXIT_UNHEALTHY:
    default:
      break;
    }

  if (report->url != NULL)
    /* Translators: "Your database at https://… is healthy." (the verdict in lower case) */
    g_string_append_printf (out, _("Your database at %s is %s.\n"), report->url,
                            report->verdict == CAIRN_HEALTH_HEALTHY ? _("healthy") :
                            report->verdict == CAIRN_HEALTH_DEGRADED ? _("degraded") : _("unhealthy"));
  for (guint i = 0; i < report->reasons->len; i++)
    g_string_append_printf (out, "  • %s\n", (const char *) report->reasons->pdata[i]);

  if (result == NULL)
    return;

  if (result->schema_version > 0 && result->pending_migrations[0] == NULL)
    g_string_append_printf (out, _("  Schema version %d, no migrations pending\n"), result->schema_version);
  else if (result->schema_version > 0)
    {
      g_autofree char *pending = g_strjoinv (", ", result->pending_migrations);

      g_string_append_printf (out, _("  Schema version %d, migrations pending: %s\n"), result->schema_version, pending);
    }
  append_latency (out, _("Queries"), &result->summary->by_kind[CAIRN_REQUEST_QUERY]);
  append_latency (out, _("Mutations"), &result->summary->by_kind[CAIRN_REQUEST_MUTATION]);
  if (result->server_read_ms >= 0 && result->server_write_ms >= 0)
    g_string_append_printf (out, _("  On the deployment: a read took %.0f ms, a write %.0f ms\n"),
                            result->server_read_ms, result->server_write_ms);
}

/* Saying it: for a script ------------------------------------------------------------------- */

static void
add_latency (JsonBuilder        *builder,
             const char         *name,
             const CairnLatency *latency)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, latency->count);
  json_builder_set_member_name (builder, "failed");
  json_builder_add_int_value (builder, latency->failed);
  json_builder_set_member_name (builder, "averageMs");
  json_builder_add_double_value (builder, latency->average_ms);
  json_builder_set_member_name (builder, "p50Ms");
  json_builder_add_double_value (builder, latency->p50_ms);
  json_builder_set_member_name (builder, "p95Ms");
  json_builder_add_double_value (builder, latency->p95_ms);
  json_builder_set_member_name (builder, "p99Ms");
  json_builder_add_double_value (builder, latency->p99_ms);
  json_builder_set_member_name (builder, "maxMs");
  json_builder_add_double_value (builder, latency->max_ms);
  json_builder_end_object (builder);
}

static void
add_requests (JsonBuilder                  *builder,
              const CairnHealthCheckResult *result)
{
  json_builder_set_member_name (builder, "requests");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->requests->len; i++)
    {
      const CairnRequestRecord *request = &g_array_index (result->requests, CairnRequestRecord, i);
      gboolean ok = request->outcome == CAIRN_REQUEST_SUCCEEDED;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, cairn_request_kind_to_string (request->kind));
      json_builder_set_member_name (builder, "function");
      json_builder_add_string_value (builder, request->function);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, ok);
      json_builder_set_member_name (builder, "ms");
      json_builder_add_double_value (builder, request->duration_us / 1000.0);
      json_builder_set_member_name (builder, "error");
      if (ok)
        json_builder_add_null_value (builder);
      else
        json_builder_add_string_value (builder, cairn_metrics_error_nick (request->error_code));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
add_result (JsonBuilder                  *builder,
            const CairnHealthCheckResult *result)
{
  const CairnMetricsSummary *summary = result->summary;

  json_builder_set_member_name (builder, "checkedAt");
  json_builder_add_int_value (builder, result->checked_at);
  json_builder_set_member_name (builder, "reachable");
  json_builder_add_boolean_value (builder, result->reachable);
  json_builder_set_member_name (builder, "schemaVersion");
  json_builder_add_int_value (builder, result->schema_version);
  json_builder_set_member_name (builder, "pendingMigrations");
  json_builder_begin_array (builder);
  for (guint i = 0; result->pending_migrations[i] != NULL; i++)
    json_builder_add_string_value (builder, result->pending_migrations[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "serverTime");
  if (result->server_time > 0)
    json_builder_add_int_value (builder, result->server_time);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "error");
  if (result->error != NULL && result->error->domain == CAIRN_CONVEX_ERROR)
    json_builder_add_string_value (builder, cairn_metrics_error_nick (result->error->code));
  else
    json_builder_add_null_value (builder);

  add_requests (builder, result);
  add_latency (builder, "queries", &summary->by_kind[CAIRN_REQUEST_QUERY]);
  add_latency (builder, "mutations", &summary->by_kind[CAIRN_REQUEST_MUTATION]);
  json_builder_set_member_name (builder, "mutationSuccessRate");
  json_builder_add_double_value (builder, summary->mutation_success_rate);
  json_builder_set_member_name (builder, "errorRate");
  json_builder_add_double_value (builder, summary->error_rate);
}

static void
add_thresholds (JsonBuilder                 *builder,
                const CairnHealthThresholds *t)
{
  json_builder_set_member_name (builder, "thresholds");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "queryWarningMs");
  json_builder_add_int_value (builder, t->query_warning_ms);
  json_builder_set_member_name (builder, "queryCriticalMs");
  json_builder_add_int_value (builder, t->query_critical_ms);
  json_builder_set_member_name (builder, "mutationWarningPercent");
  json_builder_add_double_value (builder, t->mutation_warning);
  json_builder_set_member_name (builder, "mutationCriticalPercent");
  json_builder_add_double_value (builder, t->mutation_critical);
  json_builder_set_member_name (builder, "errorWarningPercent");
  json_builder_add_double_value (builder, t->error_warning);
  json_builder_set_member_name (builder, "errorCriticalPercent");
  json_builder_add_double_value (builder, t->error_critical);
  json_builder_end_object (builder);
}

static void
append_json (GString      *out,
             const Report *report)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status_name (report));
  json_builder_set_member_name (builder, "exitCode");
  json_builder_add_int_value (builder, report->exit);
  json_builder_set_member_name (builder, "workspace");
  json_builder_add_string_value (builder, report->workspace_id);
  json_builder_set_member_name (builder, "deploymentUrl");
  if (report->url != NULL)
    json_builder_add_string_value (builder, report->url);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "message");
  if (report->message != NULL)
    json_builder_add_string_value (builder, report->message);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "reasons");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->reasons->len; i++)
    json_builder_add_string_value (builder, report->reasons->pdata[i]);
  json_builder_end_array (builder);
  if (report->result != NULL)
    add_result (builder, report->result);
  add_thresholds (builder, report->thresholds);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);
  g_string_append_printf (out, "%s\n", text);
}

/* Public API ---------------------------------------------------------------------------------- */

/**
 * cairn_health_command_run:
 * @database_path: the workspace's database file (it is not made when missing)
 * @thresholds: the user's (GSettings)
 * @json: JSON instead of sentences
 * @output: where the report goes
 *
 * Returns: the process's exit status, a #CairnHealthExit
 */
int
cairn_health_command_run (const char                  *database_path,
                          const char                  *workspace_id,
                          const CairnHealthThresholds *thresholds,
                          gboolean                     json,
                          GString                     *output)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Report report = { workspace_id, thresholds };

  g_return_val_if_fail (database_path != NULL && workspace_id != NULL, CAIRN_HEALTH_EXIT_UNHEALTHY);
  g_return_val_if_fail (thresholds != NULL && output != NULL, CAIRN_HEALTH_EXIT_UNHEALTHY);

  report.reasons = g_ptr_array_new_with_free_func (g_free);

  g_main_context_push_thread_default (context);
  check_workspace (&report, database_path);
  /* what is still due on it (the keyring's D-Bus calls winding down) runs and frees */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  if (json)
    append_json (output, &report);
  else
    append_text (output, &report);

  g_free (report.url);
  g_free (report.message);
  g_ptr_array_unref (report.reasons);
  g_clear_pointer (&report.result, cairn_health_check_result_free);

  return report.exit;
}
