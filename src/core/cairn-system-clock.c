/* cairn-system-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-system-clock"

#include "cairn-system-clock.h"

struct _CairnSystemClock
{
  GObject parent_instance;
};

static void clock_iface_init (CairnClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CairnSystemClock, cairn_system_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_CLOCK, clock_iface_init))

static gint64
cairn_system_clock_get_time (CairnClock *clock)
{
  return g_get_monotonic_time ();
}

static gint64
cairn_system_clock_get_real_time (CairnClock *clock)
{
  return g_get_real_time ();
}

static guint
cairn_system_clock_add_timeout (CairnClock     *clock,
                                guint           delay_ms,
                                GSourceFunc     func,
                                gpointer        data,
                                GDestroyNotify  destroy)
{
  return g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, func, data, destroy);
}

static void
cairn_system_clock_remove (CairnClock *clock,
                           guint       id)
{
  g_source_remove (id);
}

static void
clock_iface_init (CairnClockInterface *iface)
{
  iface->get_time = cairn_system_clock_get_time;
  iface->get_real_time = cairn_system_clock_get_real_time;
  iface->add_timeout = cairn_system_clock_add_timeout;
  iface->remove = cairn_system_clock_remove;
}

static void
cairn_system_clock_class_init (CairnSystemClockClass *klass)
{
}

static void
cairn_system_clock_init (CairnSystemClock *self)
{
}

CairnClock *
cairn_system_clock_new (void)
{
  return g_object_new (CAIRN_TYPE_SYSTEM_CLOCK, NULL);
}
