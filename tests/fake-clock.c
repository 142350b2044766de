/* fake-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fake-clock.h"

typedef struct {
  guint          id;
  gint64         due;   /* µs */
  GSourceFunc    func;
  gpointer       data;
  GDestroyNotify destroy;
} Timeout;

#define START_TIME 1000000  /* µs, monotonic */

struct _FakeClock
{
  GObject  parent_instance;
  gint64   now;         /* µs, monotonic */
  guint    next_id;
  GList   *timeouts;    /* sorted by due, then id */
};

static void clock_iface_init (CairnClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FakeClock, fake_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_CLOCK, clock_iface_init))

static void
timeout_free (Timeout *timeout)
{
  if (timeout->destroy != NULL)
    timeout->destroy (timeout->data);
  g_free (timeout);
}

static int
compare_due (gconstpointer a,
             gconstpointer b)
{
  const Timeout *x = a;
  const Timeout *y = b;

  if (x->due != y->due)
    return x->due < y->due ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
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
  Timeout *timeout = g_new0 (Timeout, 1);

  timeout->id = ++self->next_id;
  timeout->due = self->now + (gint64) delay_ms * 1000;
  timeout->func = func;
  timeout->data = data;
  timeout->destroy = destroy;
  self->timeouts = g_list_insert_sorted (self->timeouts, timeout, compare_due);

  return timeout->id;
}

static void
fake_clock_remove (CairnClock *clock,
                   guint       id)
{
  FakeClock *self = FAKE_CLOCK (clock);

  for (GList *l = self->timeouts; l != NULL; l = l->next)
    {
      Timeout *timeout = l->data;

      if (timeout->id == id)
        {
          self->timeouts = g_list_delete_link (self->timeouts, l);
          timeout_free (timeout);
          return;
        }
    }
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

  g_list_free_full (self->timeouts, (GDestroyNotify) timeout_free);

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

  while (self->timeouts != NULL && ((Timeout *) self->timeouts->data)->due <= target)
    {
      Timeout *timeout = self->timeouts->data;

      self->timeouts = g_list_delete_link (self->timeouts, self->timeouts);
      self->now = MAX (self->now, timeout->due);
      /* one-shot timers only, as CairnClock promises */
      g_assert_false (timeout->func (timeout->data));
      timeout_free (timeout);
    }

  self->now = target;
}

guint
fake_clock_n_pending (FakeClock *self)
{
  return g_list_length (self->timeouts);
}

guint
fake_clock_next_delay (FakeClock *self)
{
  if (self->timeouts == NULL)
    return G_MAXUINT;

  return (guint) ((((Timeout *) self->timeouts->data)->due - self->now) / 1000);
}
