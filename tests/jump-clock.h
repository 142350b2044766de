/* jump-clock.h — a CairnClock that runs in real time and can jump ahead
 *
 * Durations measured on it are real (a slow deployment is slow), and a test
 * can still make 16 minutes pass at once: jump_clock_jump() moves both its
 * times ahead and runs the timers that fell due, in order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-clock.h"

G_BEGIN_DECLS

#define JUMP_TYPE_CLOCK (jump_clock_get_type ())

G_DECLARE_FINAL_TYPE (JumpClock, jump_clock, JUMP, CLOCK, GObject)

JumpClock *jump_clock_new  (void);
void       jump_clock_jump (JumpClock *self,
                            guint      ms);

G_END_DECLS
