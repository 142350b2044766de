/* cairn-health-window.c
 *
 * Database Health: a view of the workspace's CairnHealth. What it shows
 * comes from there — the verdict with its reasons, what the last checks
 * found, the deployment's request metrics (CairnMetrics) — and follows its
 * notifications; Check Health asks it for a full check now
 * (cairn_health_check_now()), whose stage and progress it shows while it
 * runs. Run Migrations is there only while the deployment has migrations
 * to run, and hands them to CairnByod (cairn_byod_update_database()),
 * whose progress CairnUpdateStatus shows.
 *
 * While content stays on this computer there is nothing to watch: a
 * status page says so.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-health-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-byod.h"
#include "cairn-date.h"
#include "cairn-health.h"
#include "cairn-health-window.h"
#include "cairn-latency-chart.h"
#include "cairn-update-status.h"

struct _CairnHealthWindow
{
  AdwWindow          parent_instance;

  CairnHealth       *health;
  CairnByod         *byod;          /* (nullable) runs the migrations */
  GSignalGroup      *health_signals;
  GSignalGroup      *metrics_signals;
  GSignalGroup      *check_signals;
  GSignalGroup      *byod_signals;
  GPtrArray         *error_rows;
  GPtrArray         *slow_rows;

  GtkStack          *stack;
  AdwActionRow      *verdict_row;
  GtkImage          *verdict_icon;
  GtkSpinner        *check_spinner;
  AdwActionRow      *progress_row;
  GtkProgressBar    *progress_bar;
  AdwActionRow      *deployment_row;
  GtkLabel          *schema_label;
  GtkLabel          *last_check_label;
  GtkLabel          *last_success_label;
  AdwActionRow      *last_error_row;
  GtkWidget         *migrations_group;
  AdwActionRow      *migrations_row;
  GtkWidget         *update_row;
  CairnUpdateStatus *update_status;
  CairnLatencyChart *chart;
  GtkToggleButton   *recent_button;
  GtkLabel          *count_label;
  AdwActionRow      *queries_row;
  GtkLabel          *queries_count;
  AdwActionRow      *mutations_row;
  GtkLabel          *mutations_count;
  GtkLabel          *success_label;
  GtkLabel          *error_rate_label;
  AdwPreferencesGroup *errors_group;
  AdwPreferencesGroup *slow_group;
};

G_DEFINE_FINAL_TYPE (CairnHealthWindow, cairn_health_window, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_HEALTH,
  PROP_BYOD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Words --------------------------------------------------------------------- */

static char *
percent_text (double fraction)
{
  double percent = fraction * 100;

  if (percent == (int) percent)
    /* Translators: a whole percentage, "100 %" */
    return g_strdup_printf (_("%.0f %%"), percent);

  /* Translators: a percentage with one decimal, "99.5 %" */
  return g_strdup_printf (_("%.1f %%"), percent);
}

/* "14:32:05" today (a check a few seconds ago is not the one before), "Yesterday 14:32" … */
static char *
time_text (gint64 ms)
{
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) then = NULL;

  if (ms <= 0)
    return g_strdup (_("Never"));

  now = g_date_time_new_now_local ();
  then = g_date_time_new_from_unix_local (ms / 1000);
  if (then != NULL && g_date_time_get_year (then) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (then) == g_date_time_get_day_of_year (now))
    /* Translators: a time of day today, with seconds, see strftime(3) */
    return g_date_time_format (then, _("%H:%M:%S"));

  return cairn_date_format_time (ms, NULL);
}

static const char *
stage_text (CairnHealthCheckStage stage)
{
  switch (stage)
    {
    case CAIRN_HEALTH_CHECK_PINGING:
      return _("Reaching your database…");
    case CAIRN_HEALTH_CHECK_READING:
      return _("Timing reads…");
    case CAIRN_HEALTH_CHECK_WRITING:
      return _("Timing writes…");
    case CAIRN_HEALTH_CHECK_IDLE:
    case CAIRN_HEALTH_CHECK_DONE:
    default:
      return _("Starting…");
    }
}

static const char *
kind_text (CairnRequestKind kind)
{
  switch (kind)
    {
    case CAIRN_REQUEST_QUERY:
      return _("Query");
    case CAIRN_REQUEST_MUTATION:
      return _("Mutation");
    case CAIRN_REQUEST_ACTION:
      return _("Action");
    case CAIRN_REQUEST_PUSH:
      return _("Installing functions");
    case CAIRN_REQUEST_N_KINDS:
    default:
      return "";
    }
}

/* "p50 12 ms · p95 40 ms · p99 80 ms" */
static char *
latency_text (const CairnLatency *latency)
{
  g_autofree char *p50 = NULL;
  g_autofree char *p95 = NULL;
  g_autofree char *p99 = NULL;

  if (latency->count == 0)
    return g_strdup (_("None"));

  p50 = cairn_format_duration_ms (latency->p50_ms);
  p95 = cairn_format_duration_ms (latency->p95_ms);
  p99 = cairn_format_duration_ms (latency->p99_ms);

  /* Translators: latency percentiles: the median, the 95th and the 99th */
  return g_strdup_printf (_("p50 %s · p95 %s · p99 %s"), p50, p95, p99);
}

static void
set_level_class (GtkWidget          *widget,
                 CairnHealthVerdict  level)
{
  gtk_widget_remove_css_class (widget, "success");
  gtk_widget_remove_css_class (widget, "warning");
  gtk_widget_remove_css_class (widget, "error");
  gtk_widget_remove_css_class (widget, "dim-label");

  switch (level)
    {
    case CAIRN_HEALTH_HEALTHY:
      gtk_widget_add_css_class (widget, "success");
      break;
    case CAIRN_HEALTH_DEGRADED:
      gtk_widget_add_css_class (widget, "warning");
      break;
    case CAIRN_HEALTH_UNHEALTHY:
      gtk_widget_add_css_class (widget, "error");
      break;
    case CAIRN_HEALTH_UNKNOWN:
    default:
      gtk_widget_add_css_class (widget, "dim-label");
      break;
    }
}

/* Where a rate stands against its thresholds, in percent. */
static CairnHealthVerdict
rate_level (double   percent,
            double   warning,
            double   critical,
            gboolean above)
{
  if (above ? percent > critical : percent < critical)
    return CAIRN_HEALTH_UNHEALTHY;
  if (above ? percent > warning : percent < warning)
    return CAIRN_HEALTH_DEGRADED;

  return CAIRN_HEALTH_HEALTHY;
}

/* The page, the status -------------------------------------------------------- */

static gboolean
has_deployment (CairnHealthWindow *self)
{
  return cairn_health_get_deployment_url (self->health) != NULL;
}

static void
update_actions (CairnHealthWindow *self)
{
  gboolean updating = self->byod != NULL && cairn_byod_get_updating (self->byod);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "health.check",
                                 has_deployment (self) && !cairn_health_get_checking (self->health));
  /* migrations run on the saved deployment, with the key from the keyring */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "health.run-migrations",
                                 self->byod != NULL && *cairn_byod_get_config (self->byod)->deployment_url != '\0' &&
                                 !updating && !cairn_byod_get_busy (self->byod));
}

static void
update_page (CairnHealthWindow *self)
{
  const char *url = cairn_health_get_deployment_url (self->health);
  g_autofree char *escaped = url != NULL ? g_markup_escape_text (url, -1) : NULL;

  gtk_stack_set_visible_child_name (self->stack, url != NULL ? "deployment" : "local");
  adw_action_row_set_subtitle (self->deployment_row, escaped != NULL ? escaped : "");
  update_actions (self);
}

static void
update_verdict (CairnHealthWindow *self)
{
  CairnHealthVerdict verdict = cairn_health_get_verdict (self->health);
  const char * const *reasons = cairn_health_get_reasons (self->health);
  g_autofree char *joined = NULL;
  g_autofree char *escaped = NULL;
  const char *title;
  const char *icon;

  switch (verdict)
    {
    case CAIRN_HEALTH_HEALTHY:
      title = cairn_health_verdict_describe (verdict);
      icon = "emblem-ok-symbolic";
      break;
    case CAIRN_HEALTH_DEGRADED:
      title = cairn_health_verdict_describe (verdict);
      icon = "dialog-warning-symbolic";
      break;
    case CAIRN_HEALTH_UNHEALTHY:
      title = cairn_health_verdict_describe (verdict);
      icon = "dialog-error-symbolic";
      break;
    case CAIRN_HEALTH_UNKNOWN:
    default:
      title = _("Not Checked Yet");
      icon = "content-loading-symbolic";
      break;
    }

  if (reasons != NULL && reasons[0] != NULL)
    joined = g_strjoinv ("\n", (char **) reasons);
  else if (verdict == CAIRN_HEALTH_HEALTHY)
    joined = g_strdup (_("Requests are answered in time and succeed."));
  else if (verdict == CAIRN_HEALTH_UNKNOWN)
    joined = g_strdup (_("Cairn has not heard from your database yet."));
  escaped = g_markup_escape_text (joined != NULL ? joined : "", -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->verdict_row), title);
  adw_action_row_set_subtitle (self->verdict_row, escaped);
  gtk_image_set_from_icon_name (self->verdict_icon, icon);
  set_level_class (GTK_WIDGET (self->verdict_icon), verdict);
}

static void
update_check_progress (CairnHealthWindow *self)
{
  CairnHealthCheck *check = cairn_health_get_check (self->health);

  if (check == NULL)
    return;

  adw_action_row_set_subtitle (self->progress_row, stage_text (cairn_health_check_get_stage (check)));
  gtk_progress_bar_set_fraction (self->progress_bar, cairn_health_check_get_fraction (check));
}

static void
update_checking (CairnHealthWindow *self)
{
  gboolean checking = cairn_health_get_checking (self->health);

  g_signal_group_set_target (self->check_signals, cairn_health_get_check (self->health));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), checking);
  gtk_widget_set_visible (GTK_WIDGET (self->check_spinner), checking);
  gtk_spinner_set_spinning (self->check_spinner, checking);
  update_check_progress (self);
  update_actions (self);
}

static void
update_found (CairnHealthWindow *self)
{
  int schema = cairn_health_get_schema_version (self->health);
  const char *error = cairn_health_get_last_error (self->health);
  g_autofree char *schema_text = schema > 0 ? g_strdup_printf ("%d", schema) : g_strdup (_("Unknown"));
  g_autofree char *last_check = time_text (cairn_health_get_last_check (self->health));
  g_autofree char *last_success = time_text (cairn_health_get_last_success (self->health));
  g_autofree char *escaped = error != NULL ? g_markup_escape_text (error, -1) : NULL;

  gtk_label_set_text (self->schema_label, schema_text);
  gtk_label_set_text (self->last_check_label, last_check);
  gtk_label_set_text (self->last_success_label, last_success);
  /* when the verdict already says it, once is enough */
  gtk_widget_set_visible (GTK_WIDGET (self->last_error_row),
                          error != NULL && !g_strv_contains (cairn_health_get_reasons (self->health), error));
  adw_action_row_set_subtitle (self->last_error_row, escaped != NULL ? escaped : "");
}

/* Migrations ------------------------------------------------------------------- */

static void
update_migrations (CairnHealthWindow *self)
{
  const char * const *pending = cairn_health_get_pending_migrations (self->health);
  guint n = pending != NULL ? g_strv_length ((char **) pending) : 0;
  gboolean updating = self->byod != NULL && cairn_byod_get_updating (self->byod);
  const char *update_error = self->byod != NULL ? cairn_byod_get_update_error (self->byod) : NULL;
  g_autofree char *title = NULL;
  g_autofree char *ids = NULL;

  gtk_widget_set_visible (self->migrations_group, self->byod != NULL && (n > 0 || updating));
  gtk_widget_set_visible (self->update_row, updating || update_error != NULL);

  title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Pending Migration", "%u Pending Migrations", n), n);
  ids = n > 0 ? g_strjoinv (", ", (char **) pending) : g_strdup ("");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->migrations_row), title);
  adw_action_row_set_subtitle (self->migrations_row, ids);
  update_actions (self);
}

/* Metrics ---------------------------------------------------------------------- */

static void
clear_rows (AdwPreferencesGroup *group,
            GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, rows->pdata[i]);
  g_ptr_array_set_size (rows, 0);
}

static GtkWidget *
add_row (AdwPreferencesGroup *group,
         GPtrArray           *rows,
         const char          *title,
         const char          *subtitle,
         const char          *value)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_subtitle = subtitle != NULL ? g_markup_escape_text (subtitle, -1) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped_title);
  if (escaped_subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped_subtitle);
  if (value != NULL)
    {
      GtkWidget *label = gtk_label_new (value);

      gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }

  adw_preferences_group_add (group, row);
  g_ptr_array_add (rows, row);
  return row;
}

static const char *
window_text (guint minutes)
{
  return minutes == CAIRN_HEALTH_WINDOW_MINUTES ? _("In the last 15 minutes.") : _("In the last 24 hours.");
}

static void
update_errors (CairnHealthWindow         *self,
               const CairnMetricsSummary *summary)
{
  clear_rows (self->errors_group, self->error_rows);

  if (summary == NULL || summary->errors->len == 0)
    {
      add_row (self->errors_group, self->error_rows, _("No Errors"),
               summary != NULL ? window_text (summary->minutes) : NULL, NULL);
      return;
    }

  for (guint i = 0; i < summary->errors->len; i++)
    {
      const CairnErrorCount *error = &g_array_index (summary->errors, CairnErrorCount, i);
      g_autofree char *count = g_strdup_printf ("%u", error->count);

      add_row (self->errors_group, self->error_rows, cairn_metrics_error_label (error->code),
               cairn_metrics_error_nick (error->code), count);
    }
}

static void
update_slow (CairnHealthWindow         *self,
             const CairnMetricsSummary *summary)
{
  clear_rows (self->slow_group, self->slow_rows);

  if (summary == NULL || summary->slow->len == 0)
    {
      add_row (self->slow_group, self->slow_rows, _("None"),
               summary != NULL ? window_text (summary->minutes) : NULL, NULL);
      return;
    }

  for (guint i = 0; i < summary->slow->len; i++)
    {
      const CairnSlowRequest *slow = &g_array_index (summary->slow, CairnSlowRequest, i);
      g_autofree char *longest = cairn_format_duration_ms (slow->max_ms);
      /* Translators: how often a function was slow, and its slowest time: "3 × · up to 730 ms" */
      g_autofree char *value = g_strdup_printf (_("%u × · up to %s"), slow->count, longest);
      GtkWidget *row;

      row = add_row (self->slow_group, self->slow_rows,
                     slow->function != NULL ? slow->function : _("Other functions"),
                     kind_text (slow->kind), value);
      if (slow->function != NULL)
        gtk_widget_add_css_class (row, "monospace-title");
    }
}

/* A kind of request: how many (the suffix), how long they took (the subtitle). */
static void
show_kind (AdwActionRow       *row,
           GtkLabel           *count_label,
           const CairnLatency *latency)
{
  g_autofree char *count = g_strdup_printf ("%u", latency->count);
  g_autofree char *percentiles = latency_text (latency);

  gtk_label_set_text (count_label, count);
  adw_action_row_set_subtitle (row, percentiles);
}

static void
update_rates (CairnHealthWindow         *self,
              const CairnMetricsSummary *summary)
{
  const CairnHealthThresholds *t = cairn_health_get_thresholds (self->health);
  const CairnLatency *mutations = &summary->by_kind[CAIRN_REQUEST_MUTATION];
  g_autofree char *count = NULL;
  g_autofree char *success = NULL;
  g_autofree char *errors = NULL;

  if (summary->retries > 0)
    /* Translators: requests, and how many of them were sent again */
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u (%u retry)", "%u (%u retries)", summary->retries),
                             summary->count, summary->retries);
  else
    count = g_strdup_printf ("%u", summary->count);

  gtk_label_set_text (self->count_label, count);
  show_kind (self->queries_row, self->queries_count, &summary->by_kind[CAIRN_REQUEST_QUERY]);
  show_kind (self->mutations_row, self->mutations_count, mutations);

  if (mutations->count > 0)
    {
      success = percent_text (summary->mutation_success_rate);
      set_level_class (GTK_WIDGET (self->success_label),
                       rate_level (summary->mutation_success_rate * 100, t->mutation_warning,
                                   t->mutation_critical, FALSE));
    }
  else
    {
      success = g_strdup (_("No mutations"));
      set_level_class (GTK_WIDGET (self->success_label), CAIRN_HEALTH_UNKNOWN);
    }
  gtk_label_set_text (self->success_label, success);

  if (summary->count > 0)
    {
      errors = percent_text (summary->error_rate);
      set_level_class (GTK_WIDGET (self->error_rate_label),
                       rate_level (summary->error_rate * 100, t->error_warning, t->error_critical, TRUE));
    }
  else
    {
      errors = g_strdup (_("No requests"));
      set_level_class (GTK_WIDGET (self->error_rate_label), CAIRN_HEALTH_UNKNOWN);
    }
  gtk_label_set_text (self->error_rate_label, errors);
}

static void
update_metrics (CairnHealthWindow *self)
{
  CairnMetrics *metrics = cairn_health_get_metrics (self->health);
  guint minutes = gtk_toggle_button_get_active (self->recent_button) ?
                  CAIRN_HEALTH_WINDOW_MINUTES : CAIRN_METRICS_MAX_WINDOW;
  g_autoptr(CairnMetricsSummary) summary = NULL;
  g_autoptr(CairnMetricsSummary) day = NULL;
  g_autoptr(GArray) series = NULL;

  g_signal_group_set_target (self->metrics_signals, metrics);
  if (metrics == NULL)
    {
      update_errors (self, NULL);
      update_slow (self, NULL);
      return;
    }

  summary = cairn_metrics_summarize (metrics, minutes);
  day = minutes == CAIRN_METRICS_MAX_WINDOW ? NULL : cairn_metrics_summarize (metrics, CAIRN_METRICS_MAX_WINDOW);
  series = cairn_metrics_get_series (metrics, CAIRN_METRICS_MAX_WINDOW);

  cairn_latency_chart_set_series (self->chart, series, (day != NULL ? day : summary)->end_ms);
  update_rates (self, summary);
  update_errors (self, summary);
  update_slow (self, summary);
}

static void
on_window_toggled (CairnHealthWindow *self)
{
  update_metrics (self);
}

static void
update_all (CairnHealthWindow *self)
{
  update_page (self);
  update_verdict (self);
  update_checking (self);
  update_found (self);
  update_migrations (self);
  update_metrics (self);
}

/* Actions ------------------------------------------------------------------------ */

static void
check_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (widget);

  cairn_health_check_now (self->health);
}

static void
run_migrations_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (widget);

  cairn_byod_update_database (self->byod, NULL, NULL);
}

/* GObject -------------------------------------------------------------------------- */

static void
connect_signals (CairnHealthWindow *self)
{
  static const struct {
    const char *signal;
    void (*update) (CairnHealthWindow *self);
  } health_updates[] = {
    { "notify::deployment-url", update_page },
    { "notify::verdict", update_verdict },
    { "notify::reasons", update_verdict },
    { "notify::reasons", update_found },
    { "notify::checking", update_checking },
    { "notify::check", update_checking },
    { "notify::schema-version", update_found },
    { "notify::last-check", update_found },
    { "notify::last-success", update_found },
    { "notify::last-error", update_found },
    { "notify::pending-migrations", update_migrations },
    { "notify::metrics", update_metrics },
  };

  for (guint i = 0; i < G_N_ELEMENTS (health_updates); i++)
    g_signal_group_connect_swapped (self->health_signals, health_updates[i].signal,
                                    G_CALLBACK (health_updates[i].update), self);
  g_signal_group_connect_swapped (self->metrics_signals, "changed", G_CALLBACK (update_metrics), self);
  g_signal_group_connect_swapped (self->check_signals, "notify::stage", G_CALLBACK (update_check_progress), self);
  g_signal_group_connect_swapped (self->check_signals, "notify::fraction", G_CALLBACK (update_check_progress), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::updating", G_CALLBACK (update_migrations), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-error", G_CALLBACK (update_migrations), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::busy", G_CALLBACK (update_actions), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::config", G_CALLBACK (update_actions), self);
}

static void
cairn_health_window_constructed (GObject *object)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (object);

  G_OBJECT_CLASS (cairn_health_window_parent_class)->constructed (object);

  g_signal_group_set_target (self->health_signals, self->health);
  g_signal_group_set_target (self->byod_signals, self->byod);
  if (self->byod != NULL)
    cairn_update_status_set_byod (self->update_status, self->byod);
  update_all (self);
}

static void
cairn_health_window_dispose (GObject *object)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (object);

  g_signal_group_set_target (self->health_signals, NULL);
  g_signal_group_set_target (self->metrics_signals, NULL);
  g_signal_group_set_target (self->check_signals, NULL);
  g_signal_group_set_target (self->byod_signals, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_HEALTH_WINDOW);
  g_clear_object (&self->health);
  g_clear_object (&self->byod);

  G_OBJECT_CLASS (cairn_health_window_parent_class)->dispose (object);
}

static void
cairn_health_window_finalize (GObject *object)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (object);

  g_clear_object (&self->health_signals);
  g_clear_object (&self->metrics_signals);
  g_clear_object (&self->check_signals);
  g_clear_object (&self->byod_signals);
  g_ptr_array_unref (self->error_rows);
  g_ptr_array_unref (self->slow_rows);

  G_OBJECT_CLASS (cairn_health_window_parent_class)->finalize (object);
}

static void
cairn_health_window_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (object);

  switch (prop_id)
    {
    case PROP_HEALTH:
      g_value_set_object (value, self->health);
      break;

    case PROP_BYOD:
      g_value_set_object (value, self->byod);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_health_window_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CairnHealthWindow *self = CAIRN_HEALTH_WINDOW (object);

  switch (prop_id)
    {
    case PROP_HEALTH:
      self->health = g_value_dup_object (value);
      break;

    case PROP_BYOD:
      self->byod = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_health_window_class_init (CairnHealthWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = cairn_health_window_constructed;
  object_class->dispose = cairn_health_window_dispose;
  object_class->finalize = cairn_health_window_finalize;
  object_class->get_property = cairn_health_window_get_property;
  object_class->set_property = cairn_health_window_set_property;

  properties[PROP_HEALTH] = g_param_spec_object ("health", NULL, NULL, CAIRN_TYPE_HEALTH, flags);
  /* runs the migrations; NULL: none offered */
  properties[PROP_BYOD] = g_param_spec_object ("byod", NULL, NULL, CAIRN_TYPE_BYOD, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CAIRN_TYPE_LATENCY_CHART);
  g_type_ensure (CAIRN_TYPE_UPDATE_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-health-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, verdict_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, check_spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, progress_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, deployment_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, schema_label);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, last_check_label);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, last_success_label);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, last_error_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, migrations_group);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, migrations_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, update_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, update_status);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, chart);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, recent_button);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, queries_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, queries_count);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, mutations_row);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, mutations_count);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, success_label);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, error_rate_label);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, errors_group);
  gtk_widget_class_bind_template_child (widget_class, CairnHealthWindow, slow_group);
  gtk_widget_class_bind_template_callback (widget_class, on_window_toggled);

  gtk_widget_class_install_action (widget_class, "health.check", NULL, check_action);
  gtk_widget_class_install_action (widget_class, "health.run-migrations", NULL, run_migrations_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "health.check", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "health.check", NULL);
}

static void
cairn_health_window_init (CairnHealthWindow *self)
{
  self->health_signals = g_signal_group_new (CAIRN_TYPE_HEALTH);
  self->metrics_signals = g_signal_group_new (CAIRN_TYPE_METRICS);
  self->check_signals = g_signal_group_new (CAIRN_TYPE_HEALTH_CHECK);
  self->byod_signals = g_signal_group_new (CAIRN_TYPE_BYOD);
  self->error_rows = g_ptr_array_new ();
  self->slow_rows = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  connect_signals (self);
}

/* Public API ---------------------------------------------------------------------- */

/**
 * cairn_health_window_new:
 * @health: the workspace's
 * @byod: (nullable): the workspace's, which runs migrations
 */
GtkWidget *
cairn_health_window_new (CairnHealth *health,
                         CairnByod   *byod)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH (health), NULL);
  g_return_val_if_fail (byod == NULL || CAIRN_IS_BYOD (byod), NULL);

  return g_object_new (CAIRN_TYPE_HEALTH_WINDOW, "health", health, "byod", byod, NULL);
}
