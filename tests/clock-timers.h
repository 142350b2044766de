/* clock-timers.h — the one-shot timers a test CairnClock keeps
 *
 * Shared by FakeClock and JumpClock (implemented in fake-clock.c, which
 * every program with a test clock links).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint          id;
  gint64         due;      /* µs on the clock's monotonic time */
  guint          source;   /* a real timer, if the clock arms one; removed with it */
  gpointer       owner;    /* the clock */
  GSourceFunc    func;
  gpointer       data;
  GDestroyNotify destroy;
} ClockTimer;

typedef struct {
  guint  next_id;
  GList *list;             /* of ClockTimer */
} ClockTimers;

/* Adds a timer due at @due; kept sorted by due, then id, if @sorted,
 * else appended. */
ClockTimer *clock_timers_add    (ClockTimers    *timers,
                                 gpointer        owner,
                                 gint64          due,
                                 GSourceFunc     func,
                                 gpointer        data,
                                 GDestroyNotify  destroy,
                                 gboolean        sorted);
void        clock_timers_remove (ClockTimers    *timers,
                                 guint           id);
/* Takes @timer out, runs it (one-shot timers only, as CairnClock promises)
 * and frees it. */
void        clock_timers_fire   (ClockTimers    *timers,
                                 ClockTimer     *timer);
void        clock_timers_clear  (ClockTimers    *timers);

G_END_DECLS
