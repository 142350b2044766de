/* cairn-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-clock"

#include "cairn-clock.h"

G_DEFINE_INTERFACE (CairnClock, cairn_clock, G_TYPE_OBJECT)

static void
cairn_clock_default_init (CairnClockInterface *iface)
{
}

gint64
cairn_clock_get_time (CairnClock *self)
{
  g_return_val_if_fail (CAIRN_IS_CLOCK (self), 0);

  return CAIRN_CLOCK_GET_IFACE (self)->get_time (self);
}

gint64
cairn_clock_get_real_time_ms (CairnClock *self)
{
  g_return_val_if_fail (CAIRN_IS_CLOCK (self), 0);

  return CAIRN_CLOCK_GET_IFACE (self)->get_real_time (self) / 1000;
}

guint
cairn_clock_add_timeout (CairnClock     *self,
                         guint           delay_ms,
                         GSourceFunc     func,
                         gpointer        data,
                         GDestroyNotify  destroy)
{
  g_return_val_if_fail (CAIRN_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  return CAIRN_CLOCK_GET_IFACE (self)->add_timeout (self, delay_ms, func, data, destroy);
}

void
cairn_clock_remove (CairnClock *self,
                    guint       id)
{
  g_return_if_fail (CAIRN_IS_CLOCK (self));

  if (id != 0)
    CAIRN_CLOCK_GET_IFACE (self)->remove (self, id);
}
