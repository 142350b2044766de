/* cairn-date.h — short, human dates for list rows and messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Timestamps are milliseconds since the Unix epoch, as documents store them.
 * @now is the reference point (NULL: the current local time). */
char *cairn_date_format_relative (gint64     timestamp_ms,
                                  GDateTime *now);
char *cairn_date_format_time     (gint64     timestamp_ms,
                                  GDateTime *now);

G_END_DECLS
