/* cairn-clock.h — time and timers, injectable so timing rules can be tested without sleeping
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CAIRN_TYPE_CLOCK (cairn_clock_get_type ())

G_DECLARE_INTERFACE (CairnClock, cairn_clock, CAIRN, CLOCK, GObject)

struct _CairnClockInterface
{
  GTypeInterface parent_iface;

  gint64 (*get_time)      (CairnClock     *self);
  gint64 (*get_real_time) (CairnClock     *self);
  guint  (*add_timeout) (CairnClock     *self,
                         guint           delay_ms,
                         GSourceFunc     func,
                         gpointer        data,
                         GDestroyNotify  destroy);
  void   (*remove)      (CairnClock     *self,
                         guint           id);
};

/* Monotonic time in microseconds. */
gint64 cairn_clock_get_time    (CairnClock     *self);
/* Wall-clock time in whole milliseconds since the Unix epoch: what
 * documents, the outbox and the BYOD settings are stamped with. */
gint64 cairn_clock_get_real_time_ms (CairnClock *self);
/* Calls @func once after @delay_ms (it must return G_SOURCE_REMOVE). */
guint  cairn_clock_add_timeout (CairnClock     *self,
                                guint           delay_ms,
                                GSourceFunc     func,
                                gpointer        data,
                                GDestroyNotify  destroy);
void   cairn_clock_remove      (CairnClock     *self,
                                guint           id);

G_END_DECLS
