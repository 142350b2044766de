/* cairn-system-clock.h — the real clock: GLib's monotonic time and main-loop timeouts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-clock.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_SYSTEM_CLOCK (cairn_system_clock_get_type ())

G_DECLARE_FINAL_TYPE (CairnSystemClock, cairn_system_clock, CAIRN, SYSTEM_CLOCK, GObject)

CairnClock *cairn_system_clock_new (void);

G_END_DECLS
