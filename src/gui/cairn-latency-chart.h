/* cairn-latency-chart.h — how long requests took, minute by minute: p50 and p95 over a day
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-metrics.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_LATENCY_CHART (cairn_latency_chart_get_type ())

G_DECLARE_FINAL_TYPE (CairnLatencyChart, cairn_latency_chart, CAIRN, LATENCY_CHART, GtkWidget)

void        cairn_latency_chart_set_series  (CairnLatencyChart *self,
                                             GArray            *series,
                                             gint64             end_ms);
guint       cairn_latency_chart_get_n_points (CairnLatencyChart *self);
const char *cairn_latency_chart_get_summary (CairnLatencyChart *self);
double      cairn_latency_chart_get_scale_ms (CairnLatencyChart *self);

char       *cairn_format_duration_ms        (double             ms);

G_END_DECLS
