/* cairn-date.c — short, human dates for list rows and messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-date"

#include "config.h"

#include <glib/gi18n.h>

#include "cairn-date.h"

static GDateTime *
local_from_ms (gint64 timestamp_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (timestamp_ms / 1000);

  if (utc == NULL)
    return NULL;

  return g_date_time_to_local (utc);
}

/* Whole calendar days between @then and @now (0: the same day). */
static int
days_between (GDateTime *then,
              GDateTime *now)
{
  g_autoptr(GDateTime) day_then = g_date_time_new_local (g_date_time_get_year (then),
                                                         g_date_time_get_month (then),
                                                         g_date_time_get_day_of_month (then),
                                                         0, 0, 0);
  g_autoptr(GDateTime) day_now = g_date_time_new_local (g_date_time_get_year (now),
                                                        g_date_time_get_month (now),
                                                        g_date_time_get_day_of_month (now),
                                                        0, 0, 0);

  /* Rounded, so a daylight-saving change does not shift a day. */
  return (int) ((g_date_time_difference (day_now, day_then) + G_TIME_SPAN_HOUR * 12) / G_TIME_SPAN_DAY);
}

static GDateTime *
now_or_current (GDateTime *now)
{
  return now != NULL ? g_date_time_ref (now) : g_date_time_new_now_local ();
}

/* "10:42", "Yesterday", "Tuesday", "3 March", "3 March 2023". */
char *
cairn_date_format_relative (gint64     timestamp_ms,
                            GDateTime *now)
{
  g_autoptr(GDateTime) then = local_from_ms (timestamp_ms);
  g_autoptr(GDateTime) current = now_or_current (now);
  int days;

  if (then == NULL)
    return g_strdup ("");

  days = days_between (then, current);

  if (days <= 0)
    /* Translators: a time of day today, see strftime(3) */
    return g_date_time_format (then, _("%H:%M"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days < 7)
    /* Translators: a day of the last week, see strftime(3) */
    return g_date_time_format (then, _("%A"));
  if (g_date_time_get_year (then) == g_date_time_get_year (current))
    /* Translators: a date this year, see strftime(3) */
    return g_date_time_format (then, _("%-d %B"));

  /* Translators: a date in another year, see strftime(3) */
  return g_date_time_format (then, _("%-d %B %Y"));
}

/* "10:42" today, "Yesterday 10:42", "3 March 10:42" … for a message. */
char *
cairn_date_format_time (gint64     timestamp_ms,
                        GDateTime *now)
{
  g_autoptr(GDateTime) then = local_from_ms (timestamp_ms);
  g_autoptr(GDateTime) current = now_or_current (now);
  g_autofree char *day = NULL;
  g_autofree char *time = NULL;

  if (then == NULL)
    return g_strdup ("");

  time = g_date_time_format (then, _("%H:%M"));
  if (days_between (then, current) <= 0)
    return g_steal_pointer (&time);

  day = cairn_date_format_relative (timestamp_ms, current);
  /* Translators: a day ("Yesterday", "Tuesday", "3 March") and a time of day */
  return g_strdup_printf (_("%s %s"), day, time);
}
