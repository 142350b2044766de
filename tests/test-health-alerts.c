/* test-health-alerts.c — desktop notifications about the user's deployment
 *
 * CairnHealthAlerts with a real CairnHealth following a real connection to
 * the Convex test peer, on a FakeClock, with a GApplication registered on a
 * private bus (GTestDBus) where this test owns the notification services and
 * records every call that reaches them. GNotification goes to
 * org.gtk.Notifications when someone owns that name (GNOME Shell does), to
 * org.freedesktop.Notifications otherwise, and GLib makes that choice once
 * per process: run as it is, the test owns both names (GNOME); with
 * --freedesktop only the second (other desktops).
 *
 * The verdict moves with the requests the metrics record: slow queries
 * recorded into the deployment's CairnMetrics, or the peer refusing every
 * connection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-health.h"
#include "cairn-health-alerts.h"
#include "cairn-local-store.h"
#include "convex-peer.h"
#include "fake-clock.h"
#include "fake-network-monitor.h"
#include "test-util.h"

#define ADMIN_KEY  "dev:cairn-test|alerts-secret"
#define APP_ID     "io.github.cairnapp.Cairn.Test"
#define MINUTE_MS  60000

/* The notification server ---------------------------------------------------- */

static const char server_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='a{sv}' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "    </method>"
  "  </interface>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/><arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "    </method>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  </interface>"
  "</node>";

/* One notification shown, by either service. */
typedef struct {
  char      *app_id;      /* org.gtk.Notifications only */
  char      *id;          /* org.gtk.Notifications: the application's; freedesktop: the server's number */
  char      *title;
  char      *body;
  char      *default_action;
  GPtrArray *buttons;     /* "label=action" */
} Shown;

typedef struct {
  GTestDBus       *bus;
  GDBusConnection *connection;
  GDBusNodeInfo   *info;
  GPtrArray       *shown;     /* Shown */
  guint            withdrawn;
  guint            next_id;
} Server;

static Server server;
static gboolean gnome;    /* org.gtk.Notifications is there */

static void
shown_free (Shown *shown)
{
  g_free (shown->app_id);
  g_free (shown->id);
  g_free (shown->title);
  g_free (shown->body);
  g_free (shown->default_action);
  g_ptr_array_unref (shown->buttons);
  g_free (shown);
}

static Shown *
shown_new (void)
{
  Shown *shown = g_new0 (Shown, 1);

  shown->buttons = g_ptr_array_new_with_free_func (g_free);
  return shown;
}

/* org.gtk.Notifications' a{sv}: title, body, default-action, buttons (aa{sv}) */
static Shown *
shown_from_gtk (const char *app_id,
                const char *id,
                GVariant   *notification)
{
  Shown *shown = shown_new ();
  g_autoptr(GVariant) buttons = NULL;
  GVariantIter iter;
  GVariant *button;

  shown->app_id = g_strdup (app_id);
  shown->id = g_strdup (id);
  g_variant_lookup (notification, "title", "s", &shown->title);
  g_variant_lookup (notification, "body", "s", &shown->body);
  g_variant_lookup (notification, "default-action", "s", &shown->default_action);

  buttons = g_variant_lookup_value (notification, "buttons", G_VARIANT_TYPE ("aa{sv}"));
  if (buttons != NULL)
    {
      g_variant_iter_init (&iter, buttons);
      while ((button = g_variant_iter_next_value (&iter)) != NULL)
        {
          const char *label = NULL;
          const char *action = NULL;

          g_variant_lookup (button, "label", "&s", &label);
          g_variant_lookup (button, "action", "&s", &action);
          g_ptr_array_add (shown->buttons, g_strdup_printf ("%s=%s", label, action));
          g_variant_unref (button);
        }
    }

  return shown;
}

/* org.freedesktop.Notifications' Notify: actions come as key, label, key, label… */
static Shown *
shown_from_freedesktop (GVariant *parameters,
                        guint     id)
{
  Shown *shown = shown_new ();
  g_autofree const char **actions = NULL;
  const char *summary, *body;

  g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)", NULL, NULL, NULL, &summary, &body, &actions, NULL, NULL);
  shown->id = g_strdup_printf ("%u", id);
  shown->title = g_strdup (summary);
  shown->body = g_strdup (body);
  for (guint i = 0; actions[i] != NULL && actions[i + 1] != NULL; i += 2)
    {
      if (g_str_equal (actions[i], "default"))
        shown->default_action = g_strdup (actions[i]);
      else
        g_ptr_array_add (shown->buttons, g_strdup_printf ("%s=%s", actions[i + 1], actions[i]));
    }

  return shown;
}

static void
server_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  if (g_str_equal (method_name, "AddNotification"))
    {
      const char *app_id, *id;
      g_autoptr(GVariant) notification = NULL;

      g_variant_get (parameters, "(&s&s@a{sv})", &app_id, &id, &notification);
      g_ptr_array_add (server.shown, shown_from_gtk (app_id, id, notification));
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "Notify"))
    {
      guint id = ++server.next_id;

      g_ptr_array_add (server.shown, shown_from_freedesktop (parameters, id));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", id));
    }
  else if (g_str_equal (method_name, "RemoveNotification") || g_str_equal (method_name, "CloseNotification"))
    {
      server.withdrawn++;
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *capabilities[] = { "actions", "body", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", capabilities));
    }
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "cairn", "1", "1.2"));
}

static void
server_own (const char *name,
            gboolean    own)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (server.connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", own ? "RequestName" : "ReleaseName",
                                       own ? g_variant_new ("(su)", name, 0) : g_variant_new ("(s)", name),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

static void
server_start (void)
{
  static const GDBusInterfaceVTable vtable = { server_method_call, NULL, NULL, { 0 } };
  g_autoptr(GError) error = NULL;

  server.bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (server.bus);
  server.connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (server.bus),
                                                              G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                              G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                              NULL, NULL, &error);
  g_assert_no_error (error);
  server.info = g_dbus_node_info_new_for_xml (server_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (server.connection, "/org/gtk/Notifications",
                                     server.info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (server.connection, "/org/freedesktop/Notifications",
                                     server.info->interfaces[1], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  server_own ("org.freedesktop.Notifications", TRUE);
  if (gnome)
    server_own ("org.gtk.Notifications", TRUE);
  server.shown = g_ptr_array_new_with_free_func ((GDestroyNotify) shown_free);
}

static void
server_stop (void)
{
  g_dbus_connection_close_sync (server.connection, NULL, NULL);
  g_clear_object (&server.connection);
  g_clear_pointer (&server.info, g_dbus_node_info_unref);
  g_clear_pointer (&server.shown, g_ptr_array_unref);

  /* After GLib 2.74's freedesktop backend replaced a notification, the
   * session bus connection fails a check when it is finalized, with no code
   * of ours involved (an application sending twice under the same id is
   * enough): waiting for that would end the run. The bus stops, the
   * process ends. */
  if (!gnome)
    {
      g_test_dbus_stop (server.bus);
      return;
    }
  g_test_dbus_down (server.bus);
  g_clear_object (&server.bus);
}

/* The fixture --------------------------------------------------------------------- */

static ConvexPeer *peer;
static guint       n_fixtures;

typedef struct {
  char               *dir;
  CairnLocalStore    *store;
  FakeClock          *clock;
  FakeNetworkMonitor *monitor;
  CairnWorkspace     *workspace;
  CairnConnection    *connection;
  GApplication       *application;
  char               *app_id;
  guint               opened;       /* app.database-health activations */
  CairnHealthAlerts  *alerts;
} Fixture;

static void
count_activation (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  ((Fixture *) user_data)->opened++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSimpleAction) open = g_simple_action_new ("database-health", NULL);

  g_ptr_array_set_size (server.shown, 0);
  server.withdrawn = 0;

  f->dir = g_dir_make_tmp ("cairn-alerts-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cairn.db", NULL);
  f->store = cairn_local_store_new (path, &error);
  g_assert_no_error (error);
  f->clock = fake_clock_new ();
  f->monitor = fake_network_monitor_new ();
  f->workspace = g_object_new (CAIRN_TYPE_WORKSPACE,
                               "id", "default",
                               "main-store", f->store,
                               "clock", f->clock,
                               "network-monitor", f->monitor,
                               NULL);

  /* a new application each time: it picks its notification service when it first sends */
  f->app_id = g_strdup_printf ("%s.Run%u", APP_ID, ++n_fixtures);
  f->application = g_application_new (f->app_id, G_APPLICATION_NON_UNIQUE);
  g_signal_connect (open, "activate", G_CALLBACK (count_activation), f);
  g_action_map_add_action (G_ACTION_MAP (f->application), G_ACTION (open));
  g_application_register (f->application, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->alerts);
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
  g_clear_object (&f->connection);
  g_clear_object (&f->workspace);
  cairn_local_store_close (f->store);
  g_clear_object (&f->store);
  g_clear_object (&f->monitor);
  g_clear_object (&f->clock);
  g_clear_object (&f->application);
  g_free (f->app_id);
  test_util_run_for (50);
  test_util_remove_tree (f->dir);
  g_free (f->dir);
  convex_peer_control (peer, "reset", "{\"data\": true}");
}

static CairnHealth *
health_of (Fixture *f)
{
  return cairn_byod_get_health (cairn_workspace_get_byod (f->workspace));
}

static gboolean
connection_settled (gpointer data)
{
  Fixture *f = data;

  return cairn_connection_get_state (f->connection) != CAIRN_CONNECTION_CONNECTING;
}

/* The same, letting the connection's retries come: they wait on the fake clock. */
static gboolean
connection_settled_after_retries (gpointer data)
{
  Fixture *f = data;

  fake_clock_advance (f->clock, 100);
  return connection_settled (f);
}

static gboolean
connection_connected (gpointer data)
{
  Fixture *f = data;

  return cairn_connection_get_state (f->connection) == CAIRN_CONNECTION_CONNECTED;
}

/* BYOD on through a connection to the peer, and the alerts watching it. */
static void
connect_and_watch (Fixture  *f,
                   gboolean  window_active)
{
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (peer), NULL);

  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  f->connection = cairn_connection_new ("default", client, CAIRN_CLOCK (f->clock), G_NETWORK_MONITOR (f->monitor));
  /* no periodic check: the test decides what the deployment did */
  cairn_connection_set_health_check_interval (f->connection, 24 * 3600);
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), CAIRN_STORE (f->connection));

  f->alerts = cairn_health_alerts_new (f->application, health_of (f), CAIRN_CLOCK (f->clock));
  cairn_health_alerts_set_window_active (f->alerts, window_active);

  /* in real time first: the fake clock moving while a request is under way would make it slow */
  cairn_connection_start (f->connection);
  if (!test_util_wait_until (connection_settled, f, 2000))
    g_assert_true (test_util_wait_until (connection_settled_after_retries, f, 10000));
}

/* @n queries of @ms each, and the metrics' change told (it waits half a second). */
static void
record_queries (Fixture *f,
                guint    n,
                guint    ms)
{
  CairnMetrics *metrics = cairn_health_get_metrics (health_of (f));
  CairnRequestRecord record = { CAIRN_REQUEST_QUERY, "documents:list", CAIRN_REQUEST_SUCCEEDED, 0,
                                (gint64) ms * 1000 };

  g_assert_nonnull (metrics);
  for (guint i = 0; i < n; i++)
    cairn_metrics_record (metrics, &record);
  fake_clock_advance (f->clock, CAIRN_METRICS_CHANGED_DELAY_MS + 10);
}

static void
assert_verdict (Fixture            *f,
                CairnHealthVerdict  verdict)
{
  g_assert_cmpstr (cairn_health_verdict_to_string (cairn_health_get_verdict (health_of (f))), ==,
                   cairn_health_verdict_to_string (verdict));
}

/* What reached the server once the bus is quiet. */
static guint
n_shown (void)
{
  test_util_run_for (200);
  return server.shown->len;
}

static gboolean
shown_reached (gpointer data)
{
  return server.shown->len >= GPOINTER_TO_UINT (data);
}

/* Waits for the @nth notification, then makes sure no other comes. */
static Shown *
expect_shown (guint nth)
{
  g_assert_true (test_util_wait_until (shown_reached, GUINT_TO_POINTER (nth), 5000));
  g_assert_cmpuint (n_shown (), ==, nth);
  return server.shown->pdata[nth - 1];
}

static void
assert_incident_buttons (const Shown *shown)
{
  g_assert_cmpuint (shown->buttons->len, ==, 2);
  g_assert_cmpstr (shown->buttons->pdata[0], ==, "Retry=app.retry-connection");
  g_assert_cmpstr (shown->buttons->pdata[1], ==, "Open Database Health=app.database-health");
}

/* Slow queries in the last 15 minutes out of the window, fast ones in,
 * and the minute the incident needs to be over. */
static void
recover (Fixture *f)
{
  fake_clock_advance (f->clock, 16 * MINUTE_MS);
  record_queries (f, 20, 5);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY);
  g_assert_true (cairn_health_alerts_get_incident (f->alerts));
  fake_clock_advance (f->clock, CAIRN_HEALTH_ALERTS_RECOVERY_SECONDS * 1000);
  g_assert_false (cairn_health_alerts_get_incident (f->alerts));
}

/* Tests ------------------------------------------------------------------------------ */

/* Unhealthy while Cairn is in the background: one notification, whatever
 * else happens while it lasts; one more when it is over. */
static void
test_unhealthy_once (Fixture       *f,
                     gconstpointer  data)
{
  Shown *shown;

  connect_and_watch (f, FALSE);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY);
  g_assert_cmpuint (n_shown (), ==, 0);

  record_queries (f, 10, 700);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  shown = expect_shown (1);
  if (gnome)
    {
      g_assert_cmpstr (shown->app_id, ==, f->app_id);
      g_assert_cmpstr (shown->id, ==, CAIRN_HEALTH_ALERTS_NOTIFICATION_ID);
    }
  g_assert_cmpstr (shown->title, ==, "Your Database Is Unhealthy");
  g_assert_nonnull (strstr (shown->body, "Queries took"));
  g_assert_nonnull (strstr (shown->body, "(more than 500 ms)"));
  /* freedesktop: the application keeps the default action, the server only knows there is one */
  g_assert_cmpstr (shown->default_action, ==, gnome ? "app.database-health" : "default");
  assert_incident_buttons (shown);

  /* it lasts, gets worse, gets a little better: no repeats */
  for (guint minute = 0; minute < 10; minute++)
    {
      record_queries (f, 10, minute % 2 == 0 ? 2000 : 300);
      fake_clock_advance (f->clock, MINUTE_MS);
    }
  g_assert_cmpuint (n_shown (), ==, 1);

  recover (f);
  shown = expect_shown (2);
  if (gnome)
    g_assert_cmpstr (shown->id, ==, CAIRN_HEALTH_ALERTS_NOTIFICATION_ID);
  g_assert_cmpstr (shown->title, ==, "Your Database Is Healthy Again");
  g_assert_cmpuint (shown->buttons->len, ==, 1);

  /* healthy from then on: nothing more */
  fake_clock_advance (f->clock, 10 * MINUTE_MS);
  record_queries (f, 20, 5);
  g_assert_cmpuint (n_shown (), ==, 2);
  g_assert_cmpuint (server.withdrawn, ==, 0);
}

/* Healthy for less than a minute in the middle is the same incident. */
static void
test_flapping_is_one_incident (Fixture       *f,
                               gconstpointer  data)
{
  connect_and_watch (f, FALSE);
  record_queries (f, 10, 700);
  expect_shown (1);

  /* the slow minute leaves the window: healthy for 30 s, then slow again */
  fake_clock_advance (f->clock, 16 * MINUTE_MS);
  record_queries (f, 20, 5);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY);
  fake_clock_advance (f->clock, 30 * 1000);
  record_queries (f, 40, 800);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  fake_clock_advance (f->clock, CAIRN_HEALTH_ALERTS_RECOVERY_SECONDS * 1000);
  g_assert_true (cairn_health_alerts_get_incident (f->alerts));
  g_assert_cmpuint (n_shown (), ==, 1);
}

/* Degraded is told once it has lasted five minutes. */
static void
test_degraded_after_five_minutes (Fixture       *f,
                                  gconstpointer  data)
{
  Shown *shown;

  connect_and_watch (f, FALSE);
  record_queries (f, 10, 250);
  assert_verdict (f, CAIRN_HEALTH_DEGRADED);
  g_assert_true (cairn_health_alerts_get_incident (f->alerts));

  fake_clock_advance (f->clock, CAIRN_HEALTH_ALERTS_DEGRADED_MINUTES * MINUTE_MS - 2000);
  assert_verdict (f, CAIRN_HEALTH_DEGRADED);
  g_assert_cmpuint (n_shown (), ==, 0);

  fake_clock_advance (f->clock, 2000);
  shown = expect_shown (1);
  g_assert_cmpstr (shown->title, ==, "Your Database Is Degraded");
  g_assert_nonnull (strstr (shown->body, "(more than 100 ms)"));
  assert_incident_buttons (shown);

  recover (f);
  shown = expect_shown (2);
  g_assert_cmpstr (shown->title, ==, "Your Database Is Healthy Again");
}

/* Degraded for less than five minutes: nothing to tell. */
static void
test_degraded_briefly (Fixture       *f,
                       gconstpointer  data)
{
  connect_and_watch (f, FALSE);
  record_queries (f, 10, 250);
  assert_verdict (f, CAIRN_HEALTH_DEGRADED);
  fake_clock_advance (f->clock, 3 * MINUTE_MS);

  /* fast requests bring the average under 100 ms */
  record_queries (f, 200, 2);
  assert_verdict (f, CAIRN_HEALTH_HEALTHY);
  fake_clock_advance (f->clock, 10 * MINUTE_MS);
  g_assert_false (cairn_health_alerts_get_incident (f->alerts));
  g_assert_cmpuint (n_shown (), ==, 0);
}

/* The user is looking at Cairn: no notification for that incident, not
 * even once they look away, and none when it is over. */
static void
test_none_while_focused (Fixture       *f,
                         gconstpointer  data)
{
  connect_and_watch (f, TRUE);
  record_queries (f, 10, 700);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  g_assert_true (cairn_health_alerts_get_incident (f->alerts));
  g_assert_cmpuint (n_shown (), ==, 0);

  cairn_health_alerts_set_window_active (f->alerts, FALSE);
  record_queries (f, 10, 900);
  fake_clock_advance (f->clock, 6 * MINUTE_MS);
  g_assert_cmpuint (n_shown (), ==, 0);

  recover (f);
  g_assert_cmpuint (n_shown (), ==, 0);

  /* the next incident, in the background, is told */
  record_queries (f, 40, 900);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  expect_shown (1);
}

/* The Preferences switch off: nothing at all. */
static void
test_none_when_switched_off (Fixture       *f,
                             gconstpointer  data)
{
  connect_and_watch (f, FALSE);
  cairn_health_alerts_set_enabled (f->alerts, FALSE);

  record_queries (f, 10, 700);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY);
  fake_clock_advance (f->clock, 6 * MINUTE_MS);
  recover (f);
  record_queries (f, 40, 250);
  assert_verdict (f, CAIRN_HEALTH_DEGRADED);
  fake_clock_advance (f->clock, 6 * MINUTE_MS);
  g_assert_cmpuint (n_shown (), ==, 0);
}

/* Switched off during an incident: the alert shown goes away. */
static void
test_switched_off_withdraws (Fixture       *f,
                             gconstpointer  data)
{
  connect_and_watch (f, FALSE);
  record_queries (f, 10, 700);
  expect_shown (1);

  cairn_health_alerts_set_enabled (f->alerts, FALSE);
  test_util_run_for (200);
  g_assert_cmpuint (server.withdrawn, ==, 1);
  recover (f);
  g_assert_cmpuint (n_shown (), ==, 1);
}

/* The deployment refuses every connection: the connection blocks as
 * unreachable, which is told as such; once back and judged healthy again,
 * one notification says so. */
static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  Shown *shown;

  convex_peer_control (peer, "fault", "{\"mode\": \"refuse\"}");
  connect_and_watch (f, FALSE);
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_BLOCKED);
  g_assert_cmpuint (cairn_connection_get_reason (f->connection), ==, CAIRN_BLOCK_REASON_UNREACHABLE);
  assert_verdict (f, CAIRN_HEALTH_UNHEALTHY);

  shown = expect_shown (1);
  g_assert_cmpstr (shown->title, ==, "Cannot Reach Your Database");
  g_assert_cmpstr (shown->body, ==, cairn_connection_get_error (f->connection)->message);
  assert_incident_buttons (shown);

  /* the probes that keep failing are the same incident */
  fake_clock_advance (f->clock, 30 * 1000);
  g_assert_cmpuint (n_shown (), ==, 1);

  convex_peer_control (peer, "reset", "{}");
  cairn_connection_retry (f->connection);
  g_assert_true (test_util_wait_until (connection_connected, f, 10000));
  g_assert_cmpuint (n_shown (), ==, 1);

  /* whatever the failed attempts did to the numbers, fast requests and time end it */
  fake_clock_advance (f->clock, 16 * MINUTE_MS);
  record_queries (f, 20, 5);
  fake_clock_advance (f->clock, CAIRN_HEALTH_ALERTS_RECOVERY_SECONDS * 1000);
  g_assert_false (cairn_health_alerts_get_incident (f->alerts));
  shown = expect_shown (2);
  g_assert_cmpstr (shown->title, ==, "Your Database Is Healthy Again");
}

/* Bring Your Own Database switched off during an incident: the alert goes,
 * nothing is said about a recovery. */
static void
test_byod_off_ends_it (Fixture       *f,
                       gconstpointer  data)
{
  connect_and_watch (f, FALSE);
  record_queries (f, 10, 700);
  expect_shown (1);

  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), NULL);
  g_assert_false (cairn_health_alerts_get_incident (f->alerts));
  test_util_run_for (200);
  g_assert_cmpuint (server.withdrawn, ==, 1);
  g_assert_cmpuint (n_shown (), ==, 1);
}

/* Without GNOME's service the freedesktop one gets the notification; its
 * Open Database Health button activates app.database-health. */
static void
test_freedesktop_action (Fixture       *f,
                         gconstpointer  data)
{
  Shown *shown;
  guint id;

  connect_and_watch (f, FALSE);
  record_queries (f, 10, 700);
  shown = expect_shown (1);
  g_assert_null (shown->app_id);
  g_assert_cmpstr (shown->title, ==, "Your Database Is Unhealthy");
  g_assert_nonnull (strstr (shown->body, "Queries took"));
  assert_incident_buttons (shown);

  id = (guint) g_ascii_strtoull (shown->id, NULL, 10);
  g_dbus_connection_emit_signal (server.connection, NULL, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "ActionInvoked",
                                 g_variant_new ("(us)", id, "app.database-health"), NULL);
  test_util_run_for (300);
  g_assert_cmpuint (f->opened, ==, 1);

  recover (f);
  shown = expect_shown (2);
  g_assert_cmpstr (shown->title, ==, "Your Database Is Healthy Again");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  gnome = !(argc > 1 && g_str_equal (argv[argc - 1], "--freedesktop"));
  if (!gnome)
    argv[--argc] = NULL;
  g_test_init (&argc, &argv, NULL);
  /* before anything connects to the session bus */
  server_start ();
  peer = convex_peer_start (ADMIN_KEY, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  if (gnome)
    {
      ADD ("/health-alerts/gnome/unhealthy-once", test_unhealthy_once);
      ADD ("/health-alerts/gnome/flapping-is-one-incident", test_flapping_is_one_incident);
      ADD ("/health-alerts/gnome/degraded-after-five-minutes", test_degraded_after_five_minutes);
      ADD ("/health-alerts/gnome/degraded-briefly", test_degraded_briefly);
      ADD ("/health-alerts/gnome/none-while-focused", test_none_while_focused);
      ADD ("/health-alerts/gnome/none-when-switched-off", test_none_when_switched_off);
      ADD ("/health-alerts/gnome/switched-off-withdraws", test_switched_off_withdraws);
      ADD ("/health-alerts/gnome/unreachable", test_unreachable);
      ADD ("/health-alerts/gnome/byod-off-ends-it", test_byod_off_ends_it);
    }
  else
    {
      ADD ("/health-alerts/freedesktop/unhealthy-once", test_unhealthy_once);
      ADD ("/health-alerts/freedesktop/none-while-focused", test_none_while_focused);
      ADD ("/health-alerts/freedesktop/action", test_freedesktop_action);
    }

#undef ADD

  status = g_test_run ();
  convex_peer_free (peer);
  server_stop ();
  return status;
}
