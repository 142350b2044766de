/* cairn-backoff.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-backoff.h"

/**
 * cairn_backoff_delay_ms:
 * @rand: where the jitter comes from
 * @attempt: 0 for the first wait
 *
 * "Equal jitter": the exponential delay min(@cap_ms, @base_ms × 2^@attempt),
 * of which the first half is always waited and the second half at random.
 * Callers never all come back at the same moment, and never sooner than half
 * the delay.
 */
guint
cairn_backoff_delay_ms (GRand *rand,
                        guint  base_ms,
                        guint  attempt,
                        guint  cap_ms)
{
  guint64 delay = (guint64) base_ms << MIN (attempt, 20u);

  delay = MIN (delay, cap_ms);

  return (guint) (delay / 2 + g_rand_int_range (rand, 0, (gint32) (delay / 2) + 1));
}
