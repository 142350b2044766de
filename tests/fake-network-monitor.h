/* fake-network-monitor.h — a GNetworkMonitor whose network comes and goes when a test says
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FAKE_TYPE_NETWORK_MONITOR (fake_network_monitor_get_type ())

G_DECLARE_FINAL_TYPE (FakeNetworkMonitor, fake_network_monitor, FAKE, NETWORK_MONITOR, GObject)

FakeNetworkMonitor *fake_network_monitor_new           (void);
/* Sets the network's availability and emits GNetworkMonitor::network-changed. */
void                fake_network_monitor_set_available (FakeNetworkMonitor *self,
                                                        gboolean            available);

G_END_DECLS
