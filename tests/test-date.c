/* test-date.c — dates as the lists show them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-date.h"
#include "widget-util.h"

/* Times of today, yesterday, this week, this year and before. */
static void
test_relative_dates (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 3, 12, 15, 30, 0);
  struct {
    int         year, month, day, hour, minute;
    const char *expected;
  } cases[] = {
    { 2026, 3, 12, 10, 42, "10:42" },
    { 2026, 3, 11, 23, 59, "Yesterday" },
    { 2026, 3,  9,  8,  0, "Monday" },
    { 2026, 1,  3,  8,  0, "3 January" },
    { 2025, 12, 31, 8,  0, "31 December 2025" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GDateTime) then = g_date_time_new_local (cases[i].year, cases[i].month, cases[i].day,
                                                         cases[i].hour, cases[i].minute, 0);
      g_autofree char *text = cairn_date_format_relative (g_date_time_to_unix (then) * 1000, now);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  widget_util_init (&argc, &argv);

  g_test_add_func ("/widgets/date/relative", test_relative_dates);

  return g_test_run ();
}
