/* cairn-backoff.h — how long to wait before trying again: exponential, capped, with jitter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint cairn_backoff_delay_ms (GRand *rand,
                              guint  base_ms,
                              guint  attempt,
                              guint  cap_ms);

G_END_DECLS
