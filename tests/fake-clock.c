/* fake-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fake-clock.h"
#include "clock-timers.h"

#define START_TIME 1000000  /* µs, monotonic */

struct _FakeClock
{
  GObject      parent_instance;
  gint64       now;         /* µs, monotonic */
  ClockTimers  timers;      /* sorted by due, then id */
};

static void clock_iface_init (CairnClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FakeClock, fake_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_CLOCK, clock_iface_init))

static void
clock_timer_free (ClockTimer *timer)
{
  if (timer->source != 0)
    g_source_remove (timer->source);
  if (timer->destroy != NULL)
    timer->destroy (timer->data);
  g_free (timer);
}

static int
compare_due (gconstpointer a,
             gconstpointer b)
{
  const ClockTimer *x = a;
  const ClockTimer *y = b;

  if (x->due != y->due)
    return x->due < y->due ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

ClockTimer *
clock_timers_add (ClockTimers    *timers,
                  gpointer        owner,
                  gint64          due,
                  GSourceFunc     func,
                  gpointer        data,
                  GDestroyNotify  destroy,
                  gboolean        sorted)
{
  ClockTimer *timer = g_new0 (ClockTimer, 1);

  timer->id = ++timers->next_id;
  timer->owner = owner;
  timer->due = due;
  timer->func = func;
  timer->data = data;
  timer->destroy = destroy;
  if (sorted)
    timers->list = g_list_insert_sorted (timers->list, timer, compare_due);
  else
    timers->list = g_list_append (timers->list, timer);

  return timer;
}

void
clock_timers_remove (ClockTimers *timers,
                     guint        id)
{
  for (GList *l = timers->list; l != NULL; l = l->next)
    {
      ClockTimer *timer = l->data;

      if (timer->id == id)
        {
          timers->list = g_list_delete_link (timers->list, l);
          clock_timer_free (timer);
          return;
        }
    }
}

void
clock_timers_fire (ClockTimers *timers,
                   ClockTimer  *timer)
{
  timers->list = g_list_remove (timers->list, timer);
  /* one-shot timers only, as CairnClock promises */
  g_assert_false (timer->func (timer->data));
  clock_timer_free (timer);
}

void
clock_timers_clear (ClockTimers *timers)
{
  g_list_free_full (timers->list, (GDestroyNotify) clock_timer_free);
  timers->list = NULL;
}

static gint64
fake_clock_get_time (CairnClock *clock)
{
  return FAKE_CLOCK (clock)->now;
}

static gint64
fake_clock_get_real_time (CairnClock *clock)
{
  return FAKE_CLOCK_START_REAL_TIME + FAKE_CLOCK (clock)->now - START_TIME;
}

static guint
fake_clock_add_timeout (CairnClock     *clock,
                        guint           delay_ms,
                        GSourceFunc     func,
                        gpointer        data,
                        GDestroyNotify  destroy)
{
  FakeClock *self = FAKE_CLOCK (clock);

  return clock_timers_add (&self->timers, self, self->now + (gint64) delay_ms * 1000,
                           func, data, destroy, TRUE)->id;
}

static void
fake_clock_remove (CairnClock *clock,
                   guint       id)
{
  FakeClock *self = FAKE_CLOCK (clock);

  clock_timers_remove (&self->timers, id);
}

static void
clock_iface_init (CairnClockInterface *iface)
{
  iface->get_time = fake_clock_get_time;
  iface->get_real_time = fake_clock_get_real_time;
  iface->add_timeout = fake_clock_add_timeout;
  iface->remove = fake_clock_remove;
}

static void
fake_clock_finalize (GObject *object)
{
  FakeClock *self = FAKE_CLOCK (object);

  clock_timers_clear (&self->timers);

  G_OBJECT_CLASS (fake_clock_parent_class)->finalize (object);
}

static void
fake_clock_class_init (FakeClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fake_clock_finalize;
}

static void
fake_clock_init (FakeClock *self)
{
  self->now = START_TIME;
}

FakeClock *
fake_clock_new (void)
{
  return g_object_new (FAKE_TYPE_CLOCK, NULL);
}

void
fake_clock_advance (FakeClock *self,
                    guint      ms)
{
  gint64 target = self->now + (gint64) ms * 1000;

  while (self->timers.list != NULL && ((ClockTimer *) self->timers.list->data)->due <= target)
    {
      ClockTimer *timer = self->timers.list->data;

      self->now = MAX (self->now, timer->due);
      clock_timers_fire (&self->timers, timer);
    }

  self->now = target;
}

guint
fake_clock_n_pending (FakeClock *self)
{
  return g_list_length (self->timers.list);
}

guint
fake_clock_next_delay (FakeClock *self)
{
  if (self->timers.list == NULL)
    return G_MAXUINT;

  return (guint) ((((ClockTimer *) self->timers.list->data)->due - self->now) / 1000);
}
