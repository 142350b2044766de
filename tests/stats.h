/* stats.h — the few statistics the tests and benchmarks report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* For g_array_sort() and qsort() over doubles: ascending. */
static inline int
stats_compare_doubles (gconstpointer a,
                       gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The value at @fraction (0.5: the median) of @values by nearest rank; 0
 * when there are none. @values is left as it is. */
static inline double
stats_percentile (GArray *values,
                  double  fraction)
{
  g_autoptr(GArray) sorted = NULL;
  guint rank;

  if (values->len == 0)
    return 0;

  sorted = g_array_copy (values);
  g_array_sort (sorted, stats_compare_doubles);
  rank = (guint) MAX (1.0, (double) sorted->len * fraction + 0.999999) - 1;

  return g_array_index (sorted, double, MIN (rank, sorted->len - 1));
}

static inline double
stats_max (GArray *values)
{
  double max = 0;

  for (guint i = 0; i < values->len; i++)
    max = MAX (max, g_array_index (values, double, i));

  return max;
}
