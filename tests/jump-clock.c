/* jump-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "jump-clock.h"
#include "clock-timers.h"

struct _JumpClock
{
  GObject      parent_instance;
  gint64       offset;      /* µs ahead of real time */
  ClockTimers  timers;      /* each armed on a real timer */
};

static void clock_iface_init (CairnClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (JumpClock, jump_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_CLOCK, clock_iface_init))

static gint64
now_us (JumpClock *self)
{
  return g_get_monotonic_time () + self->offset;
}

static gboolean
real_timer_cb (gpointer user_data)
{
  ClockTimer *timer = user_data;
  JumpClock *self = timer->owner;

  timer->source = 0;
  clock_timers_fire (&self->timers, timer);

  return G_SOURCE_REMOVE;
}

static void
arm (ClockTimer *timer)
{
  gint64 remaining = MAX (0, timer->due - now_us (timer->owner));

  if (timer->source != 0)
    g_source_remove (timer->source);
  timer->source = g_timeout_add ((guint) ((remaining + 999) / 1000), real_timer_cb, timer);
}

static gint64
jump_clock_get_time (CairnClock *clock)
{
  return now_us (JUMP_CLOCK (clock));
}

static gint64
jump_clock_get_real_time (CairnClock *clock)
{
  return g_get_real_time () + JUMP_CLOCK (clock)->offset;
}

static guint
jump_clock_add_timeout (CairnClock     *clock,
                        guint           delay_ms,
                        GSourceFunc     func,
                        gpointer        data,
                        GDestroyNotify  destroy)
{
  JumpClock *self = JUMP_CLOCK (clock);
  ClockTimer *timer = clock_timers_add (&self->timers, self,
                                        now_us (self) + (gint64) delay_ms * 1000,
                                        func, data, destroy, FALSE);

  arm (timer);

  return timer->id;
}

static void
jump_clock_remove (CairnClock *clock,
                   guint       id)
{
  clock_timers_remove (&JUMP_CLOCK (clock)->timers, id);
}

static void
clock_iface_init (CairnClockInterface *iface)
{
  iface->get_time = jump_clock_get_time;
  iface->get_real_time = jump_clock_get_real_time;
  iface->add_timeout = jump_clock_add_timeout;
  iface->remove = jump_clock_remove;
}

static void
jump_clock_finalize (GObject *object)
{
  clock_timers_clear (&JUMP_CLOCK (object)->timers);

  G_OBJECT_CLASS (jump_clock_parent_class)->finalize (object);
}

static void
jump_clock_class_init (JumpClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = jump_clock_finalize;
}

static void
jump_clock_init (JumpClock *self)
{
}

JumpClock *
jump_clock_new (void)
{
  return g_object_new (JUMP_TYPE_CLOCK, NULL);
}

/* The earliest timer due by now, or NULL. */
static ClockTimer *
first_due (JumpClock *self)
{
  ClockTimer *first = NULL;

  for (GList *l = self->timers.list; l != NULL; l = l->next)
    {
      ClockTimer *timer = l->data;

      if (timer->due <= now_us (self) && (first == NULL || timer->due < first->due))
        first = timer;
    }

  return first;
}

/* @ms pass at once: the timers due by then run, earliest first (also those
 * they add), the others are re-armed for what is left of their delay. */
void
jump_clock_jump (JumpClock *self,
                 guint      ms)
{
  ClockTimer *due;

  self->offset += (gint64) ms * 1000;
  while ((due = first_due (self)) != NULL)
    clock_timers_fire (&self->timers, due);

  for (GList *l = self->timers.list; l != NULL; l = l->next)
    arm (l->data);
}
