/* cairn-latency-chart.c
 *
 * The Database Health window's chart: for every minute of the last 24 hours
 * that had requests, the median (p50) and the 95th percentile (p95) of their
 * latency (cairn_metrics_get_series()). Minutes without requests leave a gap
 * in the lines. The y axis starts at 0 and ends at a round number above
 * the highest p95; the x axis is local time, labelled every four hours.
 *
 * Drawn with cairo from the style's own colours (foreground, accent,
 * warning), so it follows the light and the dark style. For screen readers
 * it is an image whose description says what the lines show
 * (cairn_latency_chart_get_summary()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-latency-chart"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "cairn-latency-chart.h"

#define MINUTE_MS      G_GINT64_CONSTANT (60000)
#define HOUR_MS        (60 * MINUTE_MS)
#define SPAN_MS        (24 * HOUR_MS)
#define TICK_HOURS     4
/* Minutes without requests longer than this break the lines. */
#define GAP_MINUTES    5
#define N_Y_TICKS      4
#define PADDING        8.0
#define LINE_WIDTH     1.5
#define DOT_RADIUS     2.5
/* The lines have a point every this many pixels at most. */
#define PIXELS_PER_POINT 2.0

struct _CairnLatencyChart
{
  GtkWidget  parent_instance;

  GArray    *series;     /* CairnMetricsPoint, oldest first */
  gint64     end_ms;     /* the window ends here; it starts SPAN_MS before */
  double     scale_ms;   /* the top of the y axis */
  double     step_ms;    /* between two lines of the grid */
  char      *summary;
};

G_DEFINE_FINAL_TYPE (CairnLatencyChart, cairn_latency_chart, GTK_TYPE_WIDGET)

/* Helpers ------------------------------------------------------------------- */

/**
 * cairn_format_duration_ms:
 *
 * Returns: "730 ms", "1.2 s", "14 s"
 */
char *
cairn_format_duration_ms (double ms)
{
  if (ms >= 10000)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%.0f s"), ms / 1000);
  if (ms >= 1000)
    /* Translators: a duration in seconds, with one decimal */
    return g_strdup_printf (_("%.1f s"), ms / 1000);
  if (ms > 0 && ms < 1)
    /* Translators: a duration under a millisecond */
    return g_strdup (_("< 1 ms"));

  /* Translators: a duration in milliseconds */
  return g_strdup_printf (_("%.0f ms"), ms);
}

/* 1, 2 or 5 times a power of ten, at least @value */
static double
round_up_nicely (double value)
{
  double power = pow (10, floor (log10 (value)));

  if (value <= power)
    return power;
  if (value <= 2 * power)
    return 2 * power;
  if (value <= 5 * power)
    return 5 * power;

  return 10 * power;
}

static void
compute_scale (CairnLatencyChart *self)
{
  double highest = 0;

  for (guint i = 0; i < self->series->len; i++)
    highest = MAX (highest, g_array_index (self->series, CairnMetricsPoint, i).p95_ms);

  /* a quiet deployment still gets an axis that reads in milliseconds */
  self->step_ms = round_up_nicely (MAX (highest, 10.0) / N_Y_TICKS);
  self->scale_ms = self->step_ms * MAX (1.0, ceil (highest / self->step_ms));
}

static char *
describe (CairnLatencyChart *self)
{
  const CairnMetricsPoint *last;
  double low = G_MAXDOUBLE;
  double high = 0;
  double high_p95 = 0;
  g_autofree char *minutes = NULL;
  g_autofree char *low_text = NULL;
  g_autofree char *high_text = NULL;
  g_autofree char *last_text = NULL;
  g_autofree char *high_p95_text = NULL;
  g_autofree char *last_p95_text = NULL;

  if (self->series->len == 0)
    return g_strdup (_("No requests to your database in the last 24 hours."));

  for (guint i = 0; i < self->series->len; i++)
    {
      const CairnMetricsPoint *point = &g_array_index (self->series, CairnMetricsPoint, i);

      low = MIN (low, point->p50_ms);
      high = MAX (high, point->p50_ms);
      high_p95 = MAX (high_p95, point->p95_ms);
    }
  last = &g_array_index (self->series, CairnMetricsPoint, self->series->len - 1);

  minutes = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "%u minute with requests in the last 24 hours.",
                                          "%u minutes with requests in the last 24 hours.",
                                          self->series->len),
                             self->series->len);
  low_text = cairn_format_duration_ms (low);
  high_text = cairn_format_duration_ms (high);
  last_text = cairn_format_duration_ms (last->p50_ms);
  high_p95_text = cairn_format_duration_ms (high_p95);
  last_p95_text = cairn_format_duration_ms (last->p95_ms);

  /* Translators: the chart's description for screen readers. The first %s is
   * "312 minutes with requests in the last 24 hours.", then durations. */
  return g_strdup_printf (_("%s Median (p50) from %s to %s, most recently %s. "
                            "95th percentile (p95) up to %s, most recently %s."),
                          minutes, low_text, high_text, last_text, high_p95_text, last_p95_text);
}

static gboolean
lookup_color (GtkWidget  *widget,
              const char *name,
              GdkRGBA    *color)
{
  return gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color);
}

static PangoLayout *
small_layout (CairnLatencyChart *self,
              const char        *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);

  return layout;
}

/* Drawing ------------------------------------------------------------------ */

typedef struct {
  double left, top, right, bottom;
  gint64 start_ms;
} Plot;

static double
plot_x (const Plot *plot,
        gint64      ms)
{
  return plot->left + (double) (ms - plot->start_ms) / SPAN_MS * (plot->right - plot->left);
}

static double
plot_y (const Plot *plot,
        double      value,
        double      scale)
{
  return plot->bottom - MIN (value, scale) / scale * (plot->bottom - plot->top);
}

static void
draw_text (cairo_t     *cr,
           PangoLayout *layout,
           double       x,
           double       y)
{
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_y_axis (CairnLatencyChart *self,
             cairo_t           *cr,
             const Plot        *plot,
             const GdkRGBA     *fg)
{
  for (guint i = 0; i * self->step_ms <= self->scale_ms + 0.5; i++)
    {
      double value = i * self->step_ms;
      double y = round (plot_y (plot, value, self->scale_ms)) + 0.5;
      g_autofree char *text = cairn_format_duration_ms (value);
      g_autoptr(PangoLayout) layout = small_layout (self, text);
      int width, height;

      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { fg->red, fg->green, fg->blue, fg->alpha * (i == 0 ? 0.3 : 0.12) });
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, plot->left, y);
      cairo_line_to (cr, plot->right, y);
      cairo_stroke (cr);

      pango_layout_get_pixel_size (layout, &width, &height);
      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { fg->red, fg->green, fg->blue, fg->alpha * 0.6 });
      draw_text (cr, layout, plot->left - PADDING - width, y - height / 2.0);
    }
}

static void
draw_x_axis (CairnLatencyChart *self,
             cairo_t           *cr,
             const Plot        *plot,
             const GdkRGBA     *fg)
{
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_local (plot->start_ms / 1000);
  g_autoptr(GDateTime) first = NULL;
  gint64 tick_ms;

  /* the first whole hour after the start that is a multiple of TICK_HOURS */
  first = g_date_time_new_local (g_date_time_get_year (start), g_date_time_get_month (start),
                                 g_date_time_get_day_of_month (start),
                                 g_date_time_get_hour (start) - g_date_time_get_hour (start) % TICK_HOURS, 0, 0);
  tick_ms = g_date_time_to_unix (first) * 1000;
  for (; tick_ms <= plot->start_ms + SPAN_MS; tick_ms += TICK_HOURS * HOUR_MS)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (tick_ms / 1000);
      /* Translators: a time of day on the chart's axis, see strftime(3) */
      g_autofree char *text = g_date_time_format (when, _("%H:%M"));
      g_autoptr(PangoLayout) layout = small_layout (self, text);
      double x = round (plot_x (plot, tick_ms)) + 0.5;
      int width, height;

      if (tick_ms < plot->start_ms)
        continue;

      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { fg->red, fg->green, fg->blue, fg->alpha * 0.3 });
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, x, plot->bottom);
      cairo_line_to (cr, x, plot->bottom + 4);
      cairo_stroke (cr);

      pango_layout_get_pixel_size (layout, &width, &height);
      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { fg->red, fg->green, fg->blue, fg->alpha * 0.6 });
      draw_text (cr, layout, CLAMP (x - width / 2.0, plot->left - PADDING, plot->right + PADDING - width),
                 plot->bottom + 6);
    }
}

/* What a line goes through: the minutes, put together in buckets of a
 * couple of pixels (a day is 1 440 minutes, the plot a few hundred pixels
 * wide): the p50 of a bucket is its minutes' weighted by their requests,
 * its p95 the highest, so a spike stays in sight. */
typedef struct {
  gint64 start_ms;
  double p50_ms;
  double p95_ms;
  guint  count;
} Bucket;

static GArray *
bucket_series (CairnLatencyChart *self,
               const Plot        *plot,
               gint64            *bucket_ms)
{
  GArray *buckets = g_array_new (FALSE, TRUE, sizeof (Bucket));
  double n_buckets = MAX (1.0, (plot->right - plot->left) / PIXELS_PER_POINT);
  gint64 minutes = MAX (1, (gint64) ceil (SPAN_MS / MINUTE_MS / n_buckets));

  *bucket_ms = minutes * MINUTE_MS;
  for (guint i = 0; i < self->series->len; i++)
    {
      const CairnMetricsPoint *point = &g_array_index (self->series, CairnMetricsPoint, i);
      gint64 start = plot->start_ms + (point->minute_ms - plot->start_ms) / *bucket_ms * *bucket_ms;
      Bucket *last = buckets->len > 0 ? &g_array_index (buckets, Bucket, buckets->len - 1) : NULL;
      guint weight = MAX (point->count, 1);

      if (last == NULL || last->start_ms != start)
        {
          Bucket bucket = { start, 0, 0, 0 };

          g_array_append_val (buckets, bucket);
          last = &g_array_index (buckets, Bucket, buckets->len - 1);
        }
      last->p50_ms = (last->p50_ms * last->count + point->p50_ms * weight) / (last->count + weight);
      last->p95_ms = MAX (last->p95_ms, point->p95_ms);
      last->count += weight;
    }

  return buckets;
}

/* One line through the buckets: broken where minutes without requests are
 * missing, a dot where a bucket stands alone. */
static void
draw_line (CairnLatencyChart *self,
           cairo_t           *cr,
           const Plot        *plot,
           GArray            *buckets,
           gint64             bucket_ms,
           gboolean           p95,
           const GdkRGBA     *color)
{
  gint64 gap_ms = MAX (GAP_MINUTES * MINUTE_MS, bucket_ms);
  gboolean open = FALSE;

  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, LINE_WIDTH);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);

  for (guint i = 0; i < buckets->len; i++)
    {
      const Bucket *bucket = &g_array_index (buckets, Bucket, i);
      const Bucket *next = i + 1 < buckets->len ? &g_array_index (buckets, Bucket, i + 1) : NULL;
      gboolean joined_before = open;
      gboolean joins_next = next != NULL && next->start_ms - bucket->start_ms <= gap_ms;
      double x = plot_x (plot, bucket->start_ms + bucket_ms / 2);
      double y = plot_y (plot, p95 ? bucket->p95_ms : bucket->p50_ms, self->scale_ms);

      if (!joined_before && !joins_next)
        {
          cairo_new_sub_path (cr);
          cairo_arc (cr, x, y, DOT_RADIUS, 0, 2 * G_PI);
          cairo_fill (cr);
          continue;
        }

      if (joined_before)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      open = joins_next;
      if (!open)
        cairo_stroke (cr);
    }
}

static void
draw_legend (CairnLatencyChart *self,
             cairo_t           *cr,
             double             x,
             double             y,
             const GdkRGBA     *fg,
             const GdkRGBA     *p50,
             const GdkRGBA     *p95)
{
  const struct { const char *text; const GdkRGBA *color; } entries[] = {
    /* Translators: the chart's legend: the median latency */
    { C_("chart", "p50"), p50 },
    /* Translators: the chart's legend: the 95th percentile of latency */
    { C_("chart", "p95"), p95 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      g_autoptr(PangoLayout) layout = small_layout (self, entries[i].text);
      int width, height;

      pango_layout_get_pixel_size (layout, &width, &height);
      gdk_cairo_set_source_rgba (cr, entries[i].color);
      cairo_set_line_width (cr, 2.5);
      cairo_move_to (cr, x, y + height / 2.0);
      cairo_line_to (cr, x + 14, y + height / 2.0);
      cairo_stroke (cr);
      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { fg->red, fg->green, fg->blue, fg->alpha * 0.8 });
      draw_text (cr, layout, x + 19, y);
      x += 19 + width + 14;
    }
}

static void
draw (CairnLatencyChart *self,
      cairo_t           *cr,
      int                width,
      int                height)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GdkRGBA fg, p50 = { 0.21, 0.52, 0.89, 1 }, p95 = { 0.90, 0.38, 0.0, 1 };
  int label_width = 0, label_height = 0;
  g_autoptr(GArray) buckets = NULL;
  gint64 bucket_ms;
  Plot plot;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  lookup_color (widget, "accent_color", &p50);
  lookup_color (widget, "warning_color", &p95);

  /* the widest label of the y axis sets the room on the left */
  for (guint i = 0; i * self->step_ms <= self->scale_ms + 0.5; i++)
    {
      g_autofree char *text = cairn_format_duration_ms (i * self->step_ms);
      g_autoptr(PangoLayout) layout = small_layout (self, text);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      label_width = MAX (label_width, w);
      label_height = MAX (label_height, h);
    }
  plot.left = PADDING + label_width + PADDING;
  plot.top = PADDING + label_height + PADDING + label_height / 2.0;
  plot.right = width - PADDING * 2;
  plot.bottom = height - PADDING - label_height - 6;
  plot.start_ms = self->end_ms - SPAN_MS;
  if (plot.right <= plot.left || plot.bottom <= plot.top)
    return;

  draw_legend (self, cr, plot.left, PADDING, &fg, &p50, &p95);
  draw_y_axis (self, cr, &plot, &fg);
  draw_x_axis (self, cr, &plot, &fg);

  if (self->series->len == 0)
    {
      g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, _("No requests in the last 24 hours"));
      int text_width, text_height;

      pango_layout_get_pixel_size (layout, &text_width, &text_height);
      gdk_cairo_set_source_rgba (cr, &(GdkRGBA) { fg.red, fg.green, fg.blue, fg.alpha * 0.55 });
      draw_text (cr, layout, (plot.left + plot.right - text_width) / 2, (plot.top + plot.bottom - text_height) / 2);
      return;
    }

  cairo_rectangle (cr, plot.left, plot.top - LINE_WIDTH * 2, plot.right - plot.left,
                   plot.bottom - plot.top + LINE_WIDTH * 2);
  cairo_clip (cr);
  buckets = bucket_series (self, &plot, &bucket_ms);
  draw_line (self, cr, &plot, buckets, bucket_ms, TRUE, &p95);
  draw_line (self, cr, &plot, buckets, bucket_ms, FALSE, &p50);
}

static void
cairn_latency_chart_snapshot (GtkWidget   *widget,
                              GtkSnapshot *snapshot)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw (CAIRN_LATENCY_CHART (widget), cr, width, height);
  cairo_destroy (cr);
}

static void
cairn_latency_chart_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 560;
    }
  else
    {
      *minimum = 160;
      *natural = 200;
    }
}

static void
cairn_latency_chart_css_changed (GtkWidget         *widget,
                                 GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (cairn_latency_chart_parent_class)->css_changed (widget, change);

  /* the colours come from the style: light or dark, high contrast */
  gtk_widget_queue_draw (widget);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_latency_chart_finalize (GObject *object)
{
  CairnLatencyChart *self = CAIRN_LATENCY_CHART (object);

  g_array_unref (self->series);
  g_free (self->summary);

  G_OBJECT_CLASS (cairn_latency_chart_parent_class)->finalize (object);
}

static void
cairn_latency_chart_class_init (CairnLatencyChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = cairn_latency_chart_finalize;

  widget_class->snapshot = cairn_latency_chart_snapshot;
  widget_class->measure = cairn_latency_chart_measure;
  widget_class->css_changed = cairn_latency_chart_css_changed;

  gtk_widget_class_set_css_name (widget_class, "cairn-latency-chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cairn_latency_chart_init (CairnLatencyChart *self)
{
  self->series = g_array_new (FALSE, TRUE, sizeof (CairnMetricsPoint));
  self->end_ms = g_get_real_time () / 1000;
  compute_scale (self);
  self->summary = describe (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Latency over the last 24 hours"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->summary,
                                  -1);
}

/* Public API --------------------------------------------------------------- */

/**
 * cairn_latency_chart_set_series:
 * @series: (element-type CairnMetricsPoint): minutes with requests, oldest
 *   first, as cairn_metrics_get_series() gives them
 * @end_ms: wall-clock ms where the 24 hours shown end (now)
 */
void
cairn_latency_chart_set_series (CairnLatencyChart *self,
                                GArray            *series,
                                gint64             end_ms)
{
  g_return_if_fail (CAIRN_IS_LATENCY_CHART (self));
  g_return_if_fail (series != NULL);

  g_array_set_size (self->series, 0);
  for (guint i = 0; i < series->len; i++)
    {
      const CairnMetricsPoint *point = &g_array_index (series, CairnMetricsPoint, i);

      if (point->minute_ms >= end_ms - SPAN_MS && point->minute_ms < end_ms)
        g_array_append_val (self->series, *point);
    }
  self->end_ms = end_ms;
  compute_scale (self);

  g_free (self->summary);
  self->summary = describe (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->summary,
                                  -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* How many minutes the lines go through. */
guint
cairn_latency_chart_get_n_points (CairnLatencyChart *self)
{
  g_return_val_if_fail (CAIRN_IS_LATENCY_CHART (self), 0);

  return self->series->len;
}

/* What the chart shows, in words: its accessible description. */
const char *
cairn_latency_chart_get_summary (CairnLatencyChart *self)
{
  g_return_val_if_fail (CAIRN_IS_LATENCY_CHART (self), NULL);

  return self->summary;
}

/* The top of the y axis, in ms. */
double
cairn_latency_chart_get_scale_ms (CairnLatencyChart *self)
{
  g_return_val_if_fail (CAIRN_IS_LATENCY_CHART (self), 0);

  return self->scale_ms;
}
