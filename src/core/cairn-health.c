/* cairn-health.c
 *
 * How a workspace's deployment is doing, for the Database Health window,
 * the Database page and notifications to bind to:
 *
 *  - the verdict with its reasons: unhealthy while the connection is
 *    blocked (unreachable, key refused, …: the block's own reason);
 *    otherwise the thresholds (cairn_health_judge()) applied to the
 *    requests of the last %CAIRN_HEALTH_WINDOW_MINUTES minutes, again
 *    whenever the metrics change. Once a blocked connection is back, only
 *    the minutes after its return count: the outage was the block's, and
 *    its failed requests would keep the deployment "unhealthy" for a
 *    quarter of an hour after it recovered;
 *  - the metrics of the deployment's requests (CairnMetrics): this object
 *    gives the connection's client the metrics of its deployment, loaded
 *    from the main store, new ones when the deployment changes;
 *  - what the last check found: every check of the connection (the one at
 *    start, the periodic ones, Retry, Check Health) is recorded here and
 *    told through ::checked, which the BYOD settings keep.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-health"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-convex-client.h"
#include "cairn-error.h"
#include "cairn-health.h"
#include "cairn-store.h"

struct _CairnHealth
{
  GObject                 parent_instance;

  char                   *workspace_id;
  CairnStore             *main_store;
  CairnClock             *clock;
  CairnConnection        *connection;   /* (nullable) while BYOD is on */
  CairnMetrics           *metrics;      /* (nullable) of the connection's deployment */
  CairnHealthThresholds   thresholds;

  CairnHealthVerdict      verdict;
  char                  **reasons;
  gint64                  verdict_since;
  CairnConnectionState    state;        /* the connection's, as last seen */
  gint64                  judged_since; /* wall-clock ms: requests before do not count */

  CairnHealthCheck       *check;        /* (nullable) the connection's, while it runs */
  gint64                  last_check;
  gint64                  last_success;
  int                     schema_version;
  char                  **pending_migrations;
  char                   *last_error;
  CairnHealthCheckResult *last_result;
};

G_DEFINE_FINAL_TYPE (CairnHealth, cairn_health, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VERDICT,
  PROP_REASONS,
  PROP_VERDICT_SINCE,
  PROP_DEPLOYMENT_URL,
  PROP_METRICS,
  PROP_CHECKING,
  PROP_CHECK,
  PROP_LAST_CHECK,
  PROP_LAST_SUCCESS,
  PROP_SCHEMA_VERSION,
  PROP_PENDING_MIGRATIONS,
  PROP_LAST_ERROR,
  PROP_LAST_RESULT,
  PROP_QUERY_WARNING_MS,
  PROP_QUERY_CRITICAL_MS,
  PROP_MUTATION_WARNING,
  PROP_MUTATION_CRITICAL,
  PROP_ERROR_WARNING,
  PROP_ERROR_CRITICAL,
  N_PROPS
};

enum {
  CHECKED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Judging ------------------------------------------------------------------------ */

/* "over the last 15 minutes", "in this check" */
static char *
span_text (guint minutes)
{
  if (minutes == 0)
    return g_strdup (_("in this check"));

  if (minutes % 60 == 0)
    /* Translators: ends a sentence such as "Queries took 730 ms on average over the last 24 hours" */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "over the last hour", "over the last %u hours", minutes / 60),
                            minutes / 60);

  /* Translators: ends a sentence such as "Queries took 730 ms on average over the last 15 minutes" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "over the last minute", "over the last %u minutes", minutes),
                          minutes);
}

static char *
duration_text (double ms)
{
  if (ms >= 10000)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%.0f s"), ms / 1000);
  if (ms >= 1000)
    return g_strdup_printf (_("%.1f s"), ms / 1000);

  /* Translators: a duration in milliseconds */
  return g_strdup_printf (_("%.0f ms"), ms);
}

static char *
percent_text (double percent)
{
  /* Translators: a percentage, "97.5 %" */
  return g_strdup_printf (_("%.3g %%"), percent);
}

static CairnHealthVerdict
level_for (double   value,
           double   warning,
           double   critical,
           gboolean above,
           double  *crossed)
{
  if (above ? value > critical : value < critical)
    {
      *crossed = critical;
      return CAIRN_HEALTH_UNHEALTHY;
    }
  if (above ? value > warning : value < warning)
    {
      *crossed = warning;
      return CAIRN_HEALTH_DEGRADED;
    }

  return CAIRN_HEALTH_HEALTHY;
}

static CairnHealthVerdict
judge_queries (const CairnHealthThresholds *t,
               const CairnMetricsSummary   *summary,
               const char                  *span,
               GPtrArray                   *reasons)
{
  const CairnLatency *queries = &summary->by_kind[CAIRN_REQUEST_QUERY];
  double crossed = 0;
  CairnHealthVerdict level;
  g_autofree char *average = NULL;
  g_autofree char *limit = NULL;

  if (queries->count == 0)
    return CAIRN_HEALTH_HEALTHY;

  level = level_for (queries->average_ms, t->query_warning_ms, t->query_critical_ms, TRUE, &crossed);
  if (level != CAIRN_HEALTH_HEALTHY && reasons != NULL)
    {
      average = duration_text (queries->average_ms);
      limit = duration_text (crossed);
      /* Translators: "Queries took 730 ms on average over the last 15 minutes (more than 500 ms)." */
      g_ptr_array_add (reasons, g_strdup_printf (_("Queries took %s on average %s (more than %s)."),
                                                 average, span, limit));
    }

  return level;
}

static CairnHealthVerdict
judge_mutations (const CairnHealthThresholds *t,
                 const CairnMetricsSummary   *summary,
                 const char                  *span,
                 GPtrArray                   *reasons)
{
  const CairnLatency *mutations = &summary->by_kind[CAIRN_REQUEST_MUTATION];
  double crossed = 0;
  double percent;
  CairnHealthVerdict level;
  g_autofree char *value = NULL;
  g_autofree char *limit = NULL;

  if (mutations->count == 0)
    return CAIRN_HEALTH_HEALTHY;

  /* from the counts, so 19 of 20 is exactly 95 */
  percent = (double) (100 * (guint64) (mutations->count - mutations->failed)) / mutations->count;
  level = level_for (percent, t->mutation_warning, t->mutation_critical, FALSE, &crossed);
  if (level != CAIRN_HEALTH_HEALTHY && reasons != NULL)
    {
      value = percent_text (percent);
      limit = percent_text (crossed);
      /* Translators: "Only 80 % of mutations succeeded over the last 15 minutes (less than 90 %)." */
      g_ptr_array_add (reasons, g_strdup_printf (_("Only %s of mutations succeeded %s (less than %s)."),
                                                 value, span, limit));
    }

  return level;
}

static CairnHealthVerdict
judge_errors (const CairnHealthThresholds *t,
              const CairnMetricsSummary   *summary,
              const char                  *span,
              GPtrArray                   *reasons)
{
  double crossed = 0;
  double percent;
  CairnHealthVerdict level;
  g_autofree char *value = NULL;
  g_autofree char *limit = NULL;

  if (summary->count == 0)
    return CAIRN_HEALTH_HEALTHY;

  percent = (double) (100 * (guint64) summary->failed) / summary->count;
  level = level_for (percent, t->error_warning, t->error_critical, TRUE, &crossed);
  if (level != CAIRN_HEALTH_HEALTHY && reasons != NULL)
    {
      value = percent_text (percent);
      limit = percent_text (crossed);
      /* Translators: "8 % of requests failed over the last 15 minutes (more than 5 %)." */
      g_ptr_array_add (reasons, g_strdup_printf (_("%s of requests failed %s (more than %s)."),
                                                 value, span, limit));
    }

  return level;
}

/**
 * cairn_health_judge:
 * @summary: the requests of a window, or of one check
 * @reasons: (element-type utf8) (nullable): where to add a sentence for
 *   every threshold crossed (translated, to show as they are)
 *
 * The seed's three measures: the queries' average latency, the share of
 * mutations that succeed, the share of requests that fail. No requests is
 * no evidence against: healthy.
 */
CairnHealthVerdict
cairn_health_judge (const CairnHealthThresholds *thresholds,
                    const CairnMetricsSummary   *summary,
                    GPtrArray                   *reasons)
{
  g_autofree char *span = NULL;
  CairnHealthVerdict queries, mutations, errors;

  g_return_val_if_fail (thresholds != NULL && summary != NULL, CAIRN_HEALTH_UNKNOWN);

  span = span_text (summary->minutes);
  queries = judge_queries (thresholds, summary, span, reasons);
  mutations = judge_mutations (thresholds, summary, span, reasons);
  errors = judge_errors (thresholds, summary, span, reasons);

  return MAX (queries, MAX (mutations, errors));
}

/* A failure that says something about one request, not about whether the
 * deployment can be used at all. */
static gboolean
is_request_failure (const GError *error)
{
  if (error->domain != CAIRN_CONVEX_ERROR)
    return FALSE;

  return error->code == CAIRN_CONVEX_ERROR_SERVER || error->code == CAIRN_CONVEX_ERROR_FUNCTION_FAILED ||
         error->code == CAIRN_CONVEX_ERROR_BAD_RESPONSE || error->code == CAIRN_CONVEX_ERROR_BAD_REQUEST;
}

/**
 * cairn_health_judge_check:
 * @reasons: (element-type utf8) (nullable): as for cairn_health_judge()
 *
 * A check judged by itself: unhealthy when it found the deployment
 * unreachable or unusable (its error is the reason), otherwise its own
 * requests against the thresholds.
 */
CairnHealthVerdict
cairn_health_judge_check (const CairnHealthThresholds  *thresholds,
                          const CairnHealthCheckResult *result,
                          GPtrArray                    *reasons)
{
  g_return_val_if_fail (thresholds != NULL && result != NULL, CAIRN_HEALTH_UNKNOWN);

  if (result->error != NULL && (!result->reachable || !is_request_failure (result->error)))
    {
      if (reasons != NULL)
        g_ptr_array_add (reasons, g_strdup (result->error->message));
      return CAIRN_HEALTH_UNHEALTHY;
    }

  return cairn_health_judge (thresholds, result->summary, reasons);
}

/* "healthy": the JSON name of a verdict */
const char *
cairn_health_verdict_to_string (CairnHealthVerdict verdict)
{
  static const char * const names[] = { "unknown", "healthy", "degraded", "unhealthy" };

  g_return_val_if_fail (verdict <= CAIRN_HEALTH_UNHEALTHY, "unknown");

  return names[verdict];
}

/* "Healthy": a verdict as a title */
const char *
cairn_health_verdict_describe (CairnHealthVerdict verdict)
{
  switch (verdict)
    {
    case CAIRN_HEALTH_HEALTHY:
      return _("Healthy");
    case CAIRN_HEALTH_DEGRADED:
      return _("Degraded");
    case CAIRN_HEALTH_UNHEALTHY:
      return _("Unhealthy");
    case CAIRN_HEALTH_UNKNOWN:
    default:
      return _("Unknown");
    }
}

/* The verdict ---------------------------------------------------------------------------- */

static void
notify (CairnHealth *self,
        guint        prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_verdict (CairnHealth        *self,
             CairnHealthVerdict  verdict,
             GPtrArray          *reasons)
{
  g_ptr_array_add (reasons, NULL);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->verdict != verdict)
    {
      self->verdict = verdict;
      self->verdict_since = cairn_clock_get_real_time_ms (self->clock);
      notify (self, PROP_VERDICT);
      notify (self, PROP_VERDICT_SINCE);
    }
  if (!g_strv_equal ((const char * const *) self->reasons, (const char * const *) reasons->pdata))
    {
      g_strfreev (self->reasons);
      self->reasons = g_strdupv ((char **) reasons->pdata);
      notify (self, PROP_REASONS);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
evaluate (CairnHealth *self)
{
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CairnMetricsSummary) summary = NULL;
  const GError *error;

  if (self->connection == NULL)
    {
      set_verdict (self, CAIRN_HEALTH_UNKNOWN, reasons);
      return;
    }

  switch (cairn_connection_get_state (self->connection))
    {
    case CAIRN_CONNECTION_CONNECTING:
      set_verdict (self, CAIRN_HEALTH_UNKNOWN, reasons);
      break;

    case CAIRN_CONNECTION_BLOCKED:
      error = cairn_connection_get_error (self->connection);
      g_ptr_array_add (reasons, g_strdup (error != NULL ? error->message : _("Your database cannot be reached.")));
      set_verdict (self, CAIRN_HEALTH_UNHEALTHY, reasons);
      break;

    case CAIRN_CONNECTION_CONNECTED:
    default:
      summary = cairn_metrics_summarize_since (self->metrics, CAIRN_HEALTH_WINDOW_MINUTES, self->judged_since);
      set_verdict (self, cairn_health_judge (&self->thresholds, summary, reasons), reasons);
      break;
    }
}

static void
connection_state_cb (CairnHealth     *self,
                     GParamSpec      *pspec,
                     CairnConnection *connection)
{
  CairnConnectionState state = cairn_connection_get_state (connection);

  if (self->state == CAIRN_CONNECTION_BLOCKED && state == CAIRN_CONNECTION_CONNECTED)
    self->judged_since = cairn_clock_get_real_time_ms (self->clock);
  self->state = state;

  evaluate (self);
}

/* Checks ------------------------------------------------------------------------------------ */

static void
set_check (CairnHealth      *self,
           CairnHealthCheck *check)
{
  gboolean was_checking = self->check != NULL;

  if (!g_set_object (&self->check, check))
    return;

  notify (self, PROP_CHECK);
  if (was_checking != (check != NULL))
    notify (self, PROP_CHECKING);
}

static void
connection_check_cb (CairnHealth     *self,
                     GParamSpec      *pspec,
                     CairnConnection *connection)
{
  set_check (self, cairn_connection_get_check (connection));
}

static void
record (CairnHealth                  *self,
        const CairnHealthCheckResult *result)
{
  const char *error = result->error != NULL ? result->error->message : NULL;

  g_object_freeze_notify (G_OBJECT (self));

  self->last_check = result->checked_at;
  notify (self, PROP_LAST_CHECK);
  if (result->error == NULL)
    {
      self->last_success = result->checked_at;
      notify (self, PROP_LAST_SUCCESS);
    }
  if (result->schema_version > 0 && result->schema_version != self->schema_version)
    {
      self->schema_version = result->schema_version;
      notify (self, PROP_SCHEMA_VERSION);
    }
  if (result->reachable &&
      !g_strv_equal ((const char * const *) self->pending_migrations,
                     (const char * const *) result->pending_migrations))
    {
      g_strfreev (self->pending_migrations);
      self->pending_migrations = g_strdupv (result->pending_migrations);
      notify (self, PROP_PENDING_MIGRATIONS);
    }
  if (g_strcmp0 (self->last_error, error) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error);
      notify (self, PROP_LAST_ERROR);
    }
  g_clear_pointer (&self->last_result, cairn_health_check_result_free);
  self->last_result = cairn_health_check_result_copy (result);
  notify (self, PROP_LAST_RESULT);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
checked_cb (CairnHealth            *self,
            CairnHealthCheckResult *result,
            CairnConnection        *connection)
{
  record (self, result);
  evaluate (self);
  g_signal_emit (self, signals[CHECKED], 0, result);
}

/* Metrics ------------------------------------------------------------------------------------- */

static void
metrics_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* without its history, what is recorded from now on still counts */
  if (!cairn_metrics_load_finish (CAIRN_METRICS (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not load the request history: %s", error->message);
}

/* The metrics of @url's requests: kept while it stays the deployment. */
static void
follow_deployment (CairnHealth *self,
                   const char  *url)
{
  const char *current = self->metrics != NULL ? cairn_metrics_get_deployment_url (self->metrics) : NULL;

  if (g_strcmp0 (current, url) == 0)
    return;

  if (self->metrics != NULL)
    g_signal_handlers_disconnect_by_data (self->metrics, self);
  g_clear_object (&self->metrics);

  if (url != NULL)
    {
      self->metrics = cairn_metrics_new (self->clock, self->main_store, self->workspace_id, url);
      g_signal_connect_object (self->metrics, "changed", G_CALLBACK (evaluate), self, G_CONNECT_SWAPPED);
      cairn_metrics_load_async (self->metrics, NULL, metrics_loaded_cb, NULL);
    }

  notify (self, PROP_METRICS);
  notify (self, PROP_DEPLOYMENT_URL);
}

/* GObject ------------------------------------------------------------------------------------ */

static void
cairn_health_dispose (GObject *object)
{
  CairnHealth *self = (CairnHealth *) object;

  if (self->connection != NULL)
    g_signal_handlers_disconnect_by_data (self->connection, self);
  g_clear_object (&self->connection);
  if (self->metrics != NULL)
    g_signal_handlers_disconnect_by_data (self->metrics, self);
  g_clear_object (&self->metrics);
  g_clear_object (&self->check);
  g_clear_object (&self->main_store);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_health_parent_class)->dispose (object);
}

static void
cairn_health_finalize (GObject *object)
{
  CairnHealth *self = (CairnHealth *) object;

  g_free (self->workspace_id);
  g_strfreev (self->reasons);
  g_strfreev (self->pending_migrations);
  g_free (self->last_error);
  g_clear_pointer (&self->last_result, cairn_health_check_result_free);

  G_OBJECT_CLASS (cairn_health_parent_class)->finalize (object);
}

static void
cairn_health_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CairnHealth *self = CAIRN_HEALTH (object);

  switch (prop_id)
    {
    case PROP_VERDICT:
      g_value_set_uint (value, self->verdict);
      break;
    case PROP_REASONS:
      g_value_set_boxed (value, self->reasons);
      break;
    case PROP_VERDICT_SINCE:
      g_value_set_int64 (value, self->verdict_since);
      break;
    case PROP_DEPLOYMENT_URL:
      g_value_set_string (value, cairn_health_get_deployment_url (self));
      break;
    case PROP_METRICS:
      g_value_set_object (value, self->metrics);
      break;
    case PROP_CHECKING:
      g_value_set_boolean (value, self->check != NULL);
      break;
    case PROP_CHECK:
      g_value_set_object (value, self->check);
      break;
    case PROP_LAST_CHECK:
      g_value_set_int64 (value, self->last_check);
      break;
    case PROP_LAST_SUCCESS:
      g_value_set_int64 (value, self->last_success);
      break;
    case PROP_SCHEMA_VERSION:
      g_value_set_int (value, self->schema_version);
      break;
    case PROP_PENDING_MIGRATIONS:
      g_value_set_boxed (value, self->pending_migrations);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_LAST_RESULT:
      g_value_set_boxed (value, self->last_result);
      break;
    case PROP_QUERY_WARNING_MS:
      g_value_set_uint (value, self->thresholds.query_warning_ms);
      break;
    case PROP_QUERY_CRITICAL_MS:
      g_value_set_uint (value, self->thresholds.query_critical_ms);
      break;
    case PROP_MUTATION_WARNING:
      g_value_set_double (value, self->thresholds.mutation_warning);
      break;
    case PROP_MUTATION_CRITICAL:
      g_value_set_double (value, self->thresholds.mutation_critical);
      break;
    case PROP_ERROR_WARNING:
      g_value_set_double (value, self->thresholds.error_warning);
      break;
    case PROP_ERROR_CRITICAL:
      g_value_set_double (value, self->thresholds.error_critical);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_health_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CairnHealth *self = CAIRN_HEALTH (object);
  CairnHealthThresholds thresholds = self->thresholds;

  switch (prop_id)
    {
    case PROP_QUERY_WARNING_MS:
      thresholds.query_warning_ms = g_value_get_uint (value);
      break;
    case PROP_QUERY_CRITICAL_MS:
      thresholds.query_critical_ms = g_value_get_uint (value);
      break;
    case PROP_MUTATION_WARNING:
      thresholds.mutation_warning = g_value_get_double (value);
      break;
    case PROP_MUTATION_CRITICAL:
      thresholds.mutation_critical = g_value_get_double (value);
      break;
    case PROP_ERROR_WARNING:
      thresholds.error_warning = g_value_get_double (value);
      break;
    case PROP_ERROR_CRITICAL:
      thresholds.error_critical = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  cairn_health_set_thresholds (self, &thresholds);
}

static void
cairn_health_class_init (CairnHealthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  CairnHealthThresholds defaults = CAIRN_HEALTH_THRESHOLDS_DEFAULT;

  object_class->dispose = cairn_health_dispose;
  object_class->finalize = cairn_health_finalize;
  object_class->get_property = cairn_health_get_property;
  object_class->set_property = cairn_health_set_property;

  /* a CairnHealthVerdict */
  properties[PROP_VERDICT] =
    g_param_spec_uint ("verdict", NULL, NULL, 0, CAIRN_HEALTH_UNHEALTHY, CAIRN_HEALTH_UNKNOWN, ro);
  /* why it is not healthy: translated sentences, empty when healthy */
  properties[PROP_REASONS] =
    g_param_spec_boxed ("reasons", NULL, NULL, G_TYPE_STRV, ro);
  /* wall-clock ms when the verdict became what it is, 0 = never judged */
  properties[PROP_VERDICT_SINCE] =
    g_param_spec_int64 ("verdict-since", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_DEPLOYMENT_URL] =
    g_param_spec_string ("deployment-url", NULL, NULL, NULL, ro);
  /* the deployment's CairnMetrics; NULL while content stays on this computer */
  properties[PROP_METRICS] =
    g_param_spec_object ("metrics", NULL, NULL, CAIRN_TYPE_METRICS, ro);
  properties[PROP_CHECKING] =
    g_param_spec_boolean ("checking", NULL, NULL, FALSE, ro);
  /* the CairnHealthCheck running (its stage and fraction), NULL between checks */
  properties[PROP_CHECK] =
    g_param_spec_object ("check", NULL, NULL, CAIRN_TYPE_HEALTH_CHECK, ro);
  /* wall-clock ms of the last check and of the last that passed; 0 = never */
  properties[PROP_LAST_CHECK] =
    g_param_spec_int64 ("last-check", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LAST_SUCCESS] =
    g_param_spec_int64 ("last-success", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /* the deployment's Cairn functions' schema version, 0 = unknown */
  properties[PROP_SCHEMA_VERSION] =
    g_param_spec_int ("schema-version", NULL, NULL, 0, G_MAXINT, 0, ro);
  /* migrations the deployment still needs, by id */
  properties[PROP_PENDING_MIGRATIONS] =
    g_param_spec_boxed ("pending-migrations", NULL, NULL, G_TYPE_STRV, ro);
  /* what the last check failed with, NULL when it passed */
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  /* the last check's CairnHealthCheckResult, with its own requests */
  properties[PROP_LAST_RESULT] =
    g_param_spec_boxed ("last-result", NULL, NULL, CAIRN_TYPE_HEALTH_CHECK_RESULT, ro);

  /* the thresholds; bound to the GSettings keys of the same names with "health-" in front */
  properties[PROP_QUERY_WARNING_MS] =
    g_param_spec_uint ("query-warning-ms", NULL, NULL, 1, G_MAXUINT, defaults.query_warning_ms, rw);
  properties[PROP_QUERY_CRITICAL_MS] =
    g_param_spec_uint ("query-critical-ms", NULL, NULL, 1, G_MAXUINT, defaults.query_critical_ms, rw);
  properties[PROP_MUTATION_WARNING] =
    g_param_spec_double ("mutation-warning", NULL, NULL, 0, 100, defaults.mutation_warning, rw);
  properties[PROP_MUTATION_CRITICAL] =
    g_param_spec_double ("mutation-critical", NULL, NULL, 0, 100, defaults.mutation_critical, rw);
  properties[PROP_ERROR_WARNING] =
    g_param_spec_double ("error-warning", NULL, NULL, 0, 100, defaults.error_warning, rw);
  properties[PROP_ERROR_CRITICAL] =
    g_param_spec_double ("error-critical", NULL, NULL, 0, 100, defaults.error_critical, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnHealth::checked:
   * @result: a CairnHealthCheckResult
   *
   * A check of the deployment ended, and is recorded here.
   */
  signals[CHECKED] =
    g_signal_new ("checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  CAIRN_TYPE_HEALTH_CHECK_RESULT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
cairn_health_init (CairnHealth *self)
{
  self->thresholds = CAIRN_HEALTH_THRESHOLDS_DEFAULT;
  self->reasons = g_new0 (char *, 1);
  self->pending_migrations = g_new0 (char *, 1);
}

/* Public API ------------------------------------------------------------------------------------ */

/**
 * cairn_health_new:
 * @main_store: where the metrics' history is kept
 * @clock: time for the metrics and the verdict
 */
CairnHealth *
cairn_health_new (const char *workspace_id,
                  CairnStore *main_store,
                  CairnClock *clock)
{
  CairnHealth *self;

  g_return_val_if_fail (workspace_id != NULL, NULL);
  g_return_val_if_fail (CAIRN_IS_STORE (main_store), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = g_object_new (CAIRN_TYPE_HEALTH, NULL);
  self->workspace_id = g_strdup (workspace_id);
  self->main_store = g_object_ref (main_store);
  self->clock = g_object_ref (clock);

  return self;
}

/**
 * cairn_health_set_connection:
 * @connection: (nullable): the connection content goes through, %NULL
 *   while content stays on this computer
 *
 * Follows @connection: its state, its checks, and its client's requests
 * (the client gets the metrics of its deployment).
 */
void
cairn_health_set_connection (CairnHealth     *self,
                             CairnConnection *connection)
{
  CairnConvexClient *client;

  g_return_if_fail (CAIRN_IS_HEALTH (self));
  g_return_if_fail (connection == NULL || CAIRN_IS_CONNECTION (connection));

  if (self->connection == connection)
    return;

  if (self->connection != NULL)
    g_signal_handlers_disconnect_by_data (self->connection, self);
  g_set_object (&self->connection, connection);
  self->state = connection != NULL ? cairn_connection_get_state (connection) : CAIRN_CONNECTION_CONNECTING;
  self->judged_since = 0;

  client = connection != NULL ? cairn_connection_get_client (connection) : NULL;
  follow_deployment (self, client != NULL ? cairn_convex_client_get_url (client) : NULL);
  if (client != NULL)
    cairn_convex_client_set_metrics (client, self->metrics);

  if (connection != NULL)
    {
      g_signal_connect_object (connection, "notify::state", G_CALLBACK (connection_state_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (connection, "notify::error", G_CALLBACK (evaluate), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (connection, "notify::check", G_CALLBACK (connection_check_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (connection, "checked", G_CALLBACK (checked_cb), self, G_CONNECT_SWAPPED);
    }

  set_check (self, connection != NULL ? cairn_connection_get_check (connection) : NULL);
  evaluate (self);
}

/**
 * cairn_health_get_connection:
 *
 * Returns: (transfer none) (nullable): the connection followed
 */
CairnConnection *
cairn_health_get_connection (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return self->connection;
}

/**
 * cairn_health_restore:
 * @config: the saved BYOD settings
 *
 * What the checks of an earlier run found, until the next check.
 */
void
cairn_health_restore (CairnHealth           *self,
                      const CairnByodConfig *config)
{
  g_return_if_fail (CAIRN_IS_HEALTH (self));
  g_return_if_fail (config != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->last_check != config->last_check)
    {
      self->last_check = config->last_check;
      notify (self, PROP_LAST_CHECK);
    }
  if (self->last_success != config->last_success)
    {
      self->last_success = config->last_success;
      notify (self, PROP_LAST_SUCCESS);
    }
  if (self->schema_version != config->schema_version)
    {
      self->schema_version = config->schema_version;
      notify (self, PROP_SCHEMA_VERSION);
    }
  if (g_strcmp0 (self->last_error, config->last_error != NULL && *config->last_error != '\0' ?
                                   config->last_error : NULL) != 0)
    {
      g_free (self->last_error);
      self->last_error = config->last_error != NULL && *config->last_error != '\0' ?
                         g_strdup (config->last_error) : NULL;
      notify (self, PROP_LAST_ERROR);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * cairn_health_check_now:
 *
 * Check Health: the full check of the connection's deployment now, whatever
 * its state; ::checked tells how it went. Nothing while content stays on
 * this computer or a check runs.
 */
void
cairn_health_check_now (CairnHealth *self)
{
  g_return_if_fail (CAIRN_IS_HEALTH (self));

  if (self->connection != NULL)
    cairn_connection_check_health (self->connection);
}

CairnHealthVerdict
cairn_health_get_verdict (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), CAIRN_HEALTH_UNKNOWN);

  return self->verdict;
}

/**
 * cairn_health_get_reasons:
 *
 * Returns: (transfer none): why the verdict is not healthy, one sentence each
 */
const char * const *
cairn_health_get_reasons (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return (const char * const *) self->reasons;
}

gint64
cairn_health_get_verdict_since (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), 0);

  return self->verdict_since;
}

/**
 * cairn_health_get_deployment_url:
 *
 * Returns: (nullable): the deployment whose health this is
 */
const char *
cairn_health_get_deployment_url (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return self->metrics != NULL ? cairn_metrics_get_deployment_url (self->metrics) : NULL;
}

/**
 * cairn_health_get_metrics:
 *
 * Returns: (transfer none) (nullable): the metrics of the deployment's requests
 */
CairnMetrics *
cairn_health_get_metrics (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return self->metrics;
}

gboolean
cairn_health_get_checking (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), FALSE);

  return self->check != NULL;
}

/**
 * cairn_health_get_check:
 *
 * Returns: (transfer none) (nullable): the check running
 */
CairnHealthCheck *
cairn_health_get_check (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return self->check;
}

gint64
cairn_health_get_last_check (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), 0);

  return self->last_check;
}

gint64
cairn_health_get_last_success (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), 0);

  return self->last_success;
}

int
cairn_health_get_schema_version (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), 0);

  return self->schema_version;
}

const char * const *
cairn_health_get_pending_migrations (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return (const char * const *) self->pending_migrations;
}

/**
 * cairn_health_get_last_error:
 *
 * Returns: (nullable): what the last check failed with
 */
const char *
cairn_health_get_last_error (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return self->last_error;
}

/**
 * cairn_health_get_last_result:
 *
 * Returns: (nullable) (transfer none): the last check of this run
 */
const CairnHealthCheckResult *
cairn_health_get_last_result (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return self->last_result;
}

const CairnHealthThresholds *
cairn_health_get_thresholds (CairnHealth *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (self), NULL);

  return &self->thresholds;
}

void
cairn_health_set_thresholds (CairnHealth                 *self,
                             const CairnHealthThresholds *thresholds)
{
  static const guint props[] = {
    PROP_QUERY_WARNING_MS, PROP_QUERY_CRITICAL_MS, PROP_MUTATION_WARNING,
    PROP_MUTATION_CRITICAL, PROP_ERROR_WARNING, PROP_ERROR_CRITICAL,
  };
  CairnHealthThresholds old;
  gboolean changed[G_N_ELEMENTS (props)];

  g_return_if_fail (CAIRN_IS_HEALTH (self));
  g_return_if_fail (thresholds != NULL);

  old = self->thresholds;
  self->thresholds = *thresholds;
  changed[0] = old.query_warning_ms != thresholds->query_warning_ms;
  changed[1] = old.query_critical_ms != thresholds->query_critical_ms;
  changed[2] = old.mutation_warning != thresholds->mutation_warning;
  changed[3] = old.mutation_critical != thresholds->mutation_critical;
  changed[4] = old.error_warning != thresholds->error_warning;
  changed[5] = old.error_critical != thresholds->error_critical;

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    if (changed[i])
      notify (self, props[i]);
  evaluate (self);
  g_object_thaw_notify (G_OBJECT (self));
}
