/* jump-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "jump-clock.h"

typedef struct {
  JumpClock     *clock;
  guint          id;
  gint64         due;      /* µs on the clock's monotonic time */
  guint          source;   /* the real timer */
  GSourceFunc    func;
  gpointer       data;
  GDestroyNotify destroy;
} Timeout;

struct _JumpClock
{
  GObject  parent_instance;
  gint64   offset;      /* µs ahead of real time */
  guint    next_id;
  GList   *timeouts;
};

static void clock_iface_init (CairnClockInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (JumpClock, jump_clock, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CAIRN_TYPE_CLOCK, clock_iface_init))

static gint64
now_us (JumpClock *self)
{
  return g_get_monotonic_time () + self->offset;
}

static void
timeout_free (Timeout *timeout)
{
  if (timeout->source != 0)
    g_source_remove (timeout->source);
  if (timeout->destroy != NULL)
    timeout->destroy (timeout->data);
  g_free (timeout);
}

static void
fire (JumpClock *self,
      Timeout   *timeout)
{
  self->timeouts = g_list_remove (self->timeouts, timeout);
  /* one-shot timers only, as CairnClock promises */
  g_assert_false (timeout->func (timeout->data));
  timeout_free (timeout);
}

static gboolean
real_timer_cb (gpointer user_data)
{
  Timeout *timeout = user_data;

  timeout->source = 0;
  fire (timeout->clock, timeout);

  return G_SOURCE_REMOVE;
}

static void
arm (Timeout *timeout)
{
  gint64 remaining = MAX (0, timeout->due - now_us (timeout->clock));

  if (timeout->source != 0)
    g_source_remove (timeout->source);
  timeout->source = g_timeout_add ((guint) ((remaining + 999) / 1000), real_timer_cb, timeout);
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
  Timeout *timeout = g_new0 (Timeout, 1);

  timeout->clock = self;
  timeout->id = ++self->next_id;
  timeout->due = now_us (self) + (gint64) delay_ms * 1000;
  timeout->func = func;
  timeout->data = data;
  timeout->destroy = destroy;
  self->timeouts = g_list_append (self->timeouts, timeout);
  arm (timeout);

  return timeout->id;
}

static void
jump_clock_remove (CairnClock *clock,
                   guint       id)
{
  JumpClock *self = JUMP_CLOCK (clock);

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
  iface->get_time = jump_clock_get_time;
  iface->get_real_time = jump_clock_get_real_time;
  iface->add_timeout = jump_clock_add_timeout;
  iface->remove = jump_clock_remove;
}

static void
jump_clock_finalize (GObject *object)
{
  JumpClock *self = JUMP_CLOCK (object);

  g_list_free_full (self->timeouts, (GDestroyNotify) timeout_free);

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
static Timeout *
first_due (JumpClock *self)
{
  Timeout *first = NULL;

  for (GList *l = self->timeouts; l != NULL; l = l->next)
    {
      Timeout *timeout = l->data;

      if (timeout->due <= now_us (self) && (first == NULL || timeout->due < first->due))
        first = timeout;
    }

  return first;
}

/* @ms pass at once: the timers due by then run, earliest first (also those
 * they add), the others are re-armed for what is left of their delay. */
void
jump_clock_jump (JumpClock *self,
                 guint      ms)
{
  Timeout *due;

  self->offset += (gint64) ms * 1000;
  while ((due = first_due (self)) != NULL)
    fire (self, due);

  for (GList *l = self->timeouts; l != NULL; l = l->next)
    arm (l->data);
}
