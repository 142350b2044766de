/* cairn-health-alerts.c
 *
 * Tells the user, through a desktop notification (GNotification), when the
 * workspace's deployment gets into trouble while they are not looking at
 * Cairn, and when the trouble is over.
 *
 * An incident starts when CairnHealth's verdict leaves healthy. It is
 * notified at once when the verdict is unhealthy (which includes a
 * connection blocked as unreachable), or once it has not been healthy for
 * %CAIRN_HEALTH_ALERTS_DEGRADED_MINUTES minutes when it is degraded. At
 * that moment Cairn decides, once per incident: a notification if alerts
 * are on and none of Cairn's windows is active; otherwise nothing, for the
 * whole incident (the user saw it in the window, or asked for silence). The
 * incident ends when the verdict has been healthy for
 * %CAIRN_HEALTH_ALERTS_RECOVERY_SECONDS seconds (a deployment that flaps is
 * one incident); if it was notified, a "healthy again" notification
 * replaces the alert, or, with a window active, the alert is withdrawn.
 * BYOD switched off ends it without a word.
 *
 * Times come from the CairnClock. The application tells whether one of its
 * windows is active (:window-active) and binds :enabled to the
 * health-alerts setting; a notification's buttons are the application's
 * actions app.retry-connection and app.database-health.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-health-alerts"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-health.h"
#include "cairn-health-alerts.h"

struct _CairnHealthAlerts
{
  GObject       parent_instance;

  GApplication *application;     /* (weak) it owns this object */
  CairnHealth  *health;
  CairnClock   *clock;
  gboolean      enabled;
  gboolean      window_active;

  gboolean      incident;
  gint64        incident_since;  /* wall-clock ms */
  gboolean      decided;         /* notified, or kept quiet, for this incident */
  gboolean      notified;
  guint         degraded_timer;
  guint         recovery_timer;
};

G_DEFINE_FINAL_TYPE (CairnHealthAlerts, cairn_health_alerts, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ENABLED,
  PROP_WINDOW_ACTIVE,
  PROP_INCIDENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The notifications ------------------------------------------------------------ */

static const char *
incident_title (CairnHealthAlerts *self)
{
  CairnConnection *connection = cairn_health_get_connection (self->health);

  if (connection != NULL && cairn_connection_get_state (connection) == CAIRN_CONNECTION_BLOCKED)
    {
      CairnBlockReason reason = cairn_connection_get_reason (connection);

      if (reason == CAIRN_BLOCK_REASON_UNREACHABLE || reason == CAIRN_BLOCK_REASON_OFFLINE)
        return _("Cannot Reach Your Database");
      return _("Your Database Cannot Be Used");
    }

  if (cairn_health_get_verdict (self->health) == CAIRN_HEALTH_UNHEALTHY)
    return _("Your Database Is Unhealthy");

  return _("Your Database Is Degraded");
}

static void
send_incident (CairnHealthAlerts *self)
{
  const char * const *reasons = cairn_health_get_reasons (self->health);
  g_autoptr(GNotification) notification = g_notification_new (incident_title (self));
  g_autofree char *body = NULL;

  body = reasons != NULL && reasons[0] != NULL ? g_strjoinv ("\n", (char **) reasons) :
         g_strdup (cairn_health_verdict_describe (cairn_health_get_verdict (self->health)));
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification,
                               cairn_health_get_verdict (self->health) == CAIRN_HEALTH_UNHEALTHY ?
                               G_NOTIFICATION_PRIORITY_HIGH : G_NOTIFICATION_PRIORITY_NORMAL);
  g_notification_set_default_action (notification, "app.database-health");
  g_notification_add_button (notification, _("Retry"), "app.retry-connection");
  g_notification_add_button (notification, _("Open Database Health"), "app.database-health");

  g_application_send_notification (self->application, CAIRN_HEALTH_ALERTS_NOTIFICATION_ID, notification);
}

static void
send_recovered (CairnHealthAlerts *self)
{
  g_autoptr(GNotification) notification = g_notification_new (_("Your Database Is Healthy Again"));

  g_notification_set_body (notification, _("Requests to it are answered in time and succeed."));
  g_notification_set_default_action (notification, "app.database-health");
  g_notification_add_button (notification, _("Open Database Health"), "app.database-health");

  g_application_send_notification (self->application, CAIRN_HEALTH_ALERTS_NOTIFICATION_ID, notification);
}

static void
withdraw (CairnHealthAlerts *self)
{
  if (self->notified && self->application != NULL)
    g_application_withdraw_notification (self->application, CAIRN_HEALTH_ALERTS_NOTIFICATION_ID);
  self->notified = FALSE;
}

/* Incidents ----------------------------------------------------------------------- */

static void
cancel_timer (CairnHealthAlerts *self,
              guint             *timer)
{
  if (*timer != 0)
    cairn_clock_remove (self->clock, *timer);
  *timer = 0;
}

static void
set_incident (CairnHealthAlerts *self,
              gboolean           incident)
{
  if (self->incident == incident)
    return;

  self->incident = incident;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCIDENT]);
}

/* The one decision of an incident: tell, or stay quiet until it is over. */
static void
decide (CairnHealthAlerts *self)
{
  self->decided = TRUE;
  cancel_timer (self, &self->degraded_timer);

  if (!self->enabled || self->window_active || self->application == NULL)
    return;

  send_incident (self);
  self->notified = TRUE;
}

static void
end_incident (CairnHealthAlerts *self,
              gboolean           recovered)
{
  cancel_timer (self, &self->degraded_timer);
  cancel_timer (self, &self->recovery_timer);

  if (self->notified && recovered && self->enabled && !self->window_active && self->application != NULL)
    send_recovered (self);
  else
    withdraw (self);

  self->notified = FALSE;
  self->decided = FALSE;
  set_incident (self, FALSE);
}

static gboolean
in_trouble (CairnHealthVerdict verdict)
{
  return verdict == CAIRN_HEALTH_DEGRADED || verdict == CAIRN_HEALTH_UNHEALTHY;
}

static gboolean
degraded_timer_cb (gpointer user_data)
{
  CairnHealthAlerts *self = user_data;

  self->degraded_timer = 0;
  if (self->incident && !self->decided && in_trouble (cairn_health_get_verdict (self->health)))
    decide (self);

  return G_SOURCE_REMOVE;
}

static gboolean
recovery_timer_cb (gpointer user_data)
{
  CairnHealthAlerts *self = user_data;

  self->recovery_timer = 0;
  if (cairn_health_get_verdict (self->health) == CAIRN_HEALTH_HEALTHY)
    end_incident (self, TRUE);

  return G_SOURCE_REMOVE;
}

static void
in_trouble_now (CairnHealthAlerts  *self,
                CairnHealthVerdict  verdict)
{
  gint64 now = cairn_clock_get_real_time_ms (self->clock);
  gint64 due;

  cancel_timer (self, &self->recovery_timer);

  if (!self->incident)
    {
      self->incident_since = now;
      self->decided = FALSE;
      set_incident (self, TRUE);
    }

  if (self->decided)
    return;

  if (verdict == CAIRN_HEALTH_UNHEALTHY)
    {
      decide (self);
      return;
    }

  due = self->incident_since + (gint64) CAIRN_HEALTH_ALERTS_DEGRADED_MINUTES * 60 * 1000;
  if (due <= now)
    decide (self);
  else if (self->degraded_timer == 0)
    self->degraded_timer = cairn_clock_add_timeout (self->clock, (guint) (due - now), degraded_timer_cb, self, NULL);
}

static void
evaluate (CairnHealthAlerts *self)
{
  CairnHealthVerdict verdict = cairn_health_get_verdict (self->health);

  /* Bring Your Own Database switched off: nothing left to be in trouble */
  if (cairn_health_get_deployment_url (self->health) == NULL)
    {
      if (self->incident)
        end_incident (self, FALSE);
      return;
    }

  if (in_trouble (verdict))
    in_trouble_now (self, verdict);
  else if (verdict == CAIRN_HEALTH_HEALTHY && self->incident && self->recovery_timer == 0)
    self->recovery_timer = cairn_clock_add_timeout (self->clock, CAIRN_HEALTH_ALERTS_RECOVERY_SECONDS * 1000,
                                                    recovery_timer_cb, self, NULL);
  /* unknown (connecting): no news either way */
}

/* GObject --------------------------------------------------------------------------- */

static void
cairn_health_alerts_dispose (GObject *object)
{
  CairnHealthAlerts *self = CAIRN_HEALTH_ALERTS (object);

  /* nobody watches any more: an alert left behind would go stale */
  if (self->clock != NULL)
    {
      cancel_timer (self, &self->degraded_timer);
      cancel_timer (self, &self->recovery_timer);
    }
  withdraw (self);

  if (self->health != NULL)
    g_signal_handlers_disconnect_by_data (self->health, self);
  g_clear_object (&self->health);
  g_clear_object (&self->clock);
  g_clear_weak_pointer (&self->application);

  G_OBJECT_CLASS (cairn_health_alerts_parent_class)->dispose (object);
}

static void
cairn_health_alerts_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnHealthAlerts *self = CAIRN_HEALTH_ALERTS (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;

    case PROP_WINDOW_ACTIVE:
      g_value_set_boolean (value, self->window_active);
      break;

    case PROP_INCIDENT:
      g_value_set_boolean (value, self->incident);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_health_alerts_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CairnHealthAlerts *self = CAIRN_HEALTH_ALERTS (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      cairn_health_alerts_set_enabled (self, g_value_get_boolean (value));
      break;

    case PROP_WINDOW_ACTIVE:
      cairn_health_alerts_set_window_active (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_health_alerts_class_init (CairnHealthAlertsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_health_alerts_dispose;
  object_class->get_property = cairn_health_alerts_get_property;
  object_class->set_property = cairn_health_alerts_set_property;

  /* the health-alerts setting */
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, TRUE, rw);
  /* one of the application's windows has the focus: the user sees for themselves */
  properties[PROP_WINDOW_ACTIVE] =
    g_param_spec_boolean ("window-active", NULL, NULL, FALSE, rw);
  /* the deployment has not been healthy since the incident started */
  properties[PROP_INCIDENT] =
    g_param_spec_boolean ("incident", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_health_alerts_init (CairnHealthAlerts *self)
{
  self->enabled = TRUE;
}

/* Public API ------------------------------------------------------------------------- */

/**
 * cairn_health_alerts_new:
 * @application: sends the notifications; it must outlive this object
 *   (it owns it) and be registered before the first one
 * @health: the workspace's
 * @clock: the workspace's
 */
CairnHealthAlerts *
cairn_health_alerts_new (GApplication *application,
                         CairnHealth  *health,
                         CairnClock   *clock)
{
  CairnHealthAlerts *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (CAIRN_IS_HEALTH (health), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = g_object_new (CAIRN_TYPE_HEALTH_ALERTS, NULL);
  g_set_weak_pointer (&self->application, application);
  self->health = g_object_ref (health);
  self->clock = g_object_ref (clock);

  g_signal_connect_object (health, "notify::verdict", G_CALLBACK (evaluate), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (health, "notify::deployment-url", G_CALLBACK (evaluate), self, G_CONNECT_SWAPPED);
  evaluate (self);

  return self;
}

gboolean
cairn_health_alerts_get_enabled (CairnHealthAlerts *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH_ALERTS (self), FALSE);

  return self->enabled;
}

/* Off: nothing is sent, and an alert already shown is withdrawn. */
void
cairn_health_alerts_set_enabled (CairnHealthAlerts *self,
                                 gboolean           enabled)
{
  g_return_if_fail (CAIRN_IS_HEALTH_ALERTS (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  if (!enabled)
    withdraw (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

gboolean
cairn_health_alerts_get_window_active (CairnHealthAlerts *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH_ALERTS (self), FALSE);

  return self->window_active;
}

void
cairn_health_alerts_set_window_active (CairnHealthAlerts *self,
                                       gboolean           window_active)
{
  g_return_if_fail (CAIRN_IS_HEALTH_ALERTS (self));

  window_active = !!window_active;
  if (self->window_active == window_active)
    return;

  self->window_active = window_active;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WINDOW_ACTIVE]);
}

/* Whether an incident is under way, notified or not. */
gboolean
cairn_health_alerts_get_incident (CairnHealthAlerts *self)
{
  g_return_val_if_fail (CAIRN_IS_HEALTH_ALERTS (self), FALSE);

  return self->incident;
}
