/* cairn-health-alerts.h — a desktop notification when the user's deployment is in trouble, and when it is over
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cairn-types.h"

G_BEGIN_DECLS

/* A degraded deployment is told about once it stays so this long. */
#define CAIRN_HEALTH_ALERTS_DEGRADED_MINUTES 5
/* An incident is over once the deployment stays healthy this long. */
#define CAIRN_HEALTH_ALERTS_RECOVERY_SECONDS 60
/* The notification's id: each incident's, then its recovery's, replace the one before. */
#define CAIRN_HEALTH_ALERTS_NOTIFICATION_ID  "database-health"

#define CAIRN_TYPE_HEALTH_ALERTS (cairn_health_alerts_get_type ())

G_DECLARE_FINAL_TYPE (CairnHealthAlerts, cairn_health_alerts, CAIRN, HEALTH_ALERTS, GObject)

CairnHealthAlerts *cairn_health_alerts_new               (GApplication      *application,
                                                          CairnHealth       *health,
                                                          CairnClock        *clock);
gboolean           cairn_health_alerts_get_enabled       (CairnHealthAlerts *self);
void               cairn_health_alerts_set_enabled       (CairnHealthAlerts *self,
                                                          gboolean           enabled);
gboolean           cairn_health_alerts_get_window_active (CairnHealthAlerts *self);
void               cairn_health_alerts_set_window_active (CairnHealthAlerts *self,
                                                          gboolean           window_active);
gboolean           cairn_health_alerts_get_incident      (CairnHealthAlerts *self);

G_END_DECLS
