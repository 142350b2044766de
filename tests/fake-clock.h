/* fake-clock.h — a CairnClock for tests: time moves only when the test says
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-clock.h"

G_BEGIN_DECLS

#define FAKE_TYPE_CLOCK (fake_clock_get_type ())

G_DECLARE_FINAL_TYPE (FakeClock, fake_clock, FAKE, CLOCK, GObject)

/* Where a new FakeClock's wall-clock time starts (µs since the Unix epoch):
 * 12 March 2026, 14:30 UTC. Its wall clock moves with its monotonic time. */
#define FAKE_CLOCK_START_REAL_TIME G_GINT64_CONSTANT (1773325800000000)

FakeClock *fake_clock_new          (void);
/* Moves time forward, running every timeout that falls due, in order. */
void       fake_clock_advance      (FakeClock *self,
                                    guint      ms);
guint      fake_clock_n_pending    (FakeClock *self);
/* Milliseconds from now until the earliest pending timeout; G_MAXUINT if none. */
guint      fake_clock_next_delay   (FakeClock *self);

G_END_DECLS
