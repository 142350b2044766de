/* test-connection-overlay.c — the connection overlay over the main window
 *
 * A real CairnConnection on a FakeClock (nothing is retried behind the
 * test's back) against a port where nothing listens, a port that never
 * answers, or the Convex test peer set up to refuse in each way. Every
 * state is saved as a screenshot in <build dir>/screenshots/overlay-*.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-connection-overlay.h"
#include "cairn-preflight.h"
#include "cairn-update-status.h"
#include "test-keyring.h"
#include "widget-util.h"

static guint16
url_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return (guint16) g_uri_get_port (uri);
}

static gboolean
connection_settled (gpointer data)
{
  OverlayFixture *f = data;

  return cairn_connection_get_state (f->connection) != CAIRN_CONNECTION_CONNECTING
         && !cairn_connection_get_probing (f->connection);
}

static void
wait_settled (OverlayFixture       *f,
              CairnConnectionState  state,
              CairnBlockReason      reason)
{
  wait_until (connection_settled, f, "the connection's check");
  g_test_message ("state %u reason %u: %s", cairn_connection_get_state (f->connection),
                  cairn_connection_get_reason (f->connection),
                  cairn_connection_get_error (f->connection) != NULL
                  ? cairn_connection_get_error (f->connection)->message : "-");
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, state);
  g_assert_cmpuint (cairn_connection_get_reason (f->connection), ==, reason);
}

static CairnConnectionOverlay *
window_overlay (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_CONNECTION_OVERLAY);
}

static GtkWidget *
overlay_button (OverlayFixture *f,
                const char     *action,
                const char     *label)
{
  GtkWidget *button = find_widget (GTK_WIDGET (window_overlay (f->window)), match_action_button, action);

  g_assert_nonnull (button);
  g_assert_nonnull (find_widget (button, match_visible_label, label));

  return button;
}

/* Install Cairn Functions or Update Database, whichever is shown. */
static GtkWidget *
update_button (OverlayFixture *f)
{
  return find_widget (GTK_WIDGET (window_overlay (f->window)), match_action_button, "connection.update");
}

static gboolean
match_primary_menu_button (GtkWidget     *widget,
                           gconstpointer  data)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_primary (GTK_MENU_BUTTON (widget));
}

/* What the pointer would hit at the middle of @widget. */
static GtkWidget *
pick_middle_of (GtkWidget *window,
                GtkWidget *widget)
{
  graphene_point_t middle = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                 gtk_widget_get_height (widget) / 2.f);
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (widget, window, &middle, &point));

  return gtk_widget_pick (window, point.x, point.y, GTK_PICK_DEFAULT);
}

static gboolean
widget_is_or_inside (GtkWidget *widget,
                     GtkWidget *ancestor)
{
  return widget != NULL && (widget == ancestor || gtk_widget_is_ancestor (widget, ancestor));
}

/* Under the overlay nothing takes a click, the focus or a shortcut; the
 * main menu in the header bar still works. */
static void
assert_content_blocked (OverlayFixture *f)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *overlay = GTK_WIDGET (window_overlay (f->window));
  GtkWidget *list = GTK_WIDGET (window_list (f->window));
  GtkWidget *view = GTK_WIDGET (window_view (f->window));
  GtkWidget *composer = GTK_WIDGET (window_composer (f->window));
  GtkWidget *menu_button = find_widget (window, match_primary_menu_button, NULL);
  GtkWidget *focus;

  wait_for_frame (window);
  g_assert_true (gtk_widget_is_drawable (overlay));
  g_assert_true (cairn_connection_overlay_get_blocking (CAIRN_CONNECTION_OVERLAY (overlay)));

  g_assert_false (gtk_widget_is_sensitive (list));
  g_assert_false (gtk_widget_is_sensitive (view));
  g_assert_false (gtk_widget_is_sensitive (composer));
  g_assert_false (gtk_widget_child_focus (list, GTK_DIR_TAB_FORWARD));
  g_assert_false (gtk_widget_child_focus (view, GTK_DIR_TAB_FORWARD));
  g_assert_false (gtk_widget_grab_focus (composer));
  focus = gtk_window_get_focus (GTK_WINDOW (window));
  g_assert_false (widget_is_or_inside (focus, list));
  g_assert_false (widget_is_or_inside (focus, view));
  g_assert_false (widget_is_or_inside (focus, composer));
  g_assert_false (action_enabled (window, "win.new-conversation"));

  g_assert_true (widget_is_or_inside (pick_middle_of (window, list), overlay));
  g_assert_true (widget_is_or_inside (pick_middle_of (window, view), overlay));

  g_assert_nonnull (menu_button);
  g_assert_true (gtk_widget_is_sensitive (menu_button));
  g_assert_true (widget_is_or_inside (pick_middle_of (window, menu_button), menu_button));
}

static void
assert_content_reachable (OverlayFixture *f)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *list = GTK_WIDGET (window_list (f->window));

  wait_for_frame (window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window_overlay (f->window))));
  g_assert_false (cairn_connection_overlay_get_blocking (window_overlay (f->window)));
  g_assert_true (gtk_widget_is_sensitive (list));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window_view (f->window))));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window_composer (f->window))));
  g_assert_true (action_enabled (window, "win.new-conversation"));
  g_assert_true (widget_is_or_inside (pick_middle_of (window, list), list));
}

/* A label with exactly @text, shown in the overlay, that wraps and can be copied. */
static void
assert_message_shown (OverlayFixture *f,
                      const char     *text)
{
  GtkWidget *label = find_widget (GTK_WIDGET (window_overlay (f->window)), match_visible_label, text);

  g_assert_nonnull (label);
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (label)));
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (label)));
}

/* What the overlay should say about the next automatic attempt. */
static char *
expected_countdown (OverlayFixture *f)
{
  gint64 next = cairn_connection_get_next_attempt (f->connection);
  gint64 now = cairn_clock_get_time (CAIRN_CLOCK (f->clock));
  guint seconds = (guint) ((next - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

  g_assert_cmpint (next, >, now);
  return g_strdup_printf (seconds == 1 ? "Trying again in %u second" : "Trying again in %u seconds", seconds);
}

/* The blocked overlay for one reason: its title, the seed's description,
 * the error, the three ways out, when the next attempt comes. */
static void
assert_blocked (OverlayFixture *f,
                const char     *title,
                const char     *message)
{
  CairnConnectionOverlay *overlay = window_overlay (f->window);
  g_autofree char *countdown = expected_countdown (f);
  GtkWidget *retry;
  GtkWidget *settings;
  GtkWidget *dashboard;

  wait_for_label (f->window, title);
  wait_for_label (f->window, "Unable to connect to your Convex database. The app is blocked to protect your data.");
  wait_for_label (f->window, "Possible causes:");
  assert_message_shown (f, message != NULL ? message : cairn_connection_get_error (f->connection)->message);
  wait_for_label (f->window, countdown);

  retry = overlay_button (f, "connection.retry", "Retry Connection");
  settings = overlay_button (f, "app.preferences", "Check Settings");
  dashboard = overlay_button (f, "connection.open-dashboard", "Convex Dashboard");
  g_assert_true (gtk_widget_is_sensitive (retry));
  g_assert_true (gtk_widget_is_sensitive (settings));
  g_assert_true (gtk_widget_is_sensitive (dashboard));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (dashboard), ==, "https://dashboard.convex.dev");
  /* the seed's hint, after more than two failed retries */
  g_assert_true ((find_widget (GTK_WIDGET (overlay), match_visible_label,
                               "Still having issues? Try updating your credentials in Settings or contact support.") != NULL)
                 == (cairn_connection_get_failed_retries (f->connection) > 2));

  /* the way out has the focus, and is the suggested action */
  g_assert_true (gtk_widget_has_css_class (gtk_window_get_focus (GTK_WINDOW (f->window)), "suggested-action"));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == retry
                 || gtk_window_get_focus (GTK_WINDOW (f->window)) == settings
                 || gtk_window_get_focus (GTK_WINDOW (f->window)) == update_button (f));

  assert_content_blocked (f);
}

/* BYOD off: no connection, no overlay. */
static void
test_overlay_hidden_without_byod (OverlayFixture *f,
                                  gconstpointer   data)
{
  f->window = cairn_window_new (NULL, f->workspace);
  gtk_window_present (GTK_WINDOW (f->window));
  wait_until (widget_drawable, window_list (f->window), "the window");

  g_assert_null (cairn_byod_get_connection (cairn_workspace_get_byod (f->workspace)));
  assert_content_reachable (f);
}

/* The first check: a spinner until the deployment answers. */
static void
test_overlay_connecting (OverlayFixture *f,
                         gconstpointer   data)
{
  g_autofree char *url = loopback_url (&f->silent);

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_for_label (f->window, "Connecting to your database…");
  g_assert_cmpuint (cairn_connection_get_state (f->connection), ==, CAIRN_CONNECTION_CONNECTING);
  g_assert_true (gtk_spinner_get_spinning (find_child_of_type (window_overlay (f->window), GTK_TYPE_SPINNER)));
  assert_content_blocked (f);
  save_screenshot (f->window, "connecting");
}

/* Nothing listens: the check fails, the app blocks and says so. */
static void
test_overlay_unreachable (OverlayFixture *f,
                          gconstpointer   data)
{
  g_autofree char *url = loopback_url (NULL);
  g_autofree char *countdown = NULL;

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  assert_blocked (f, "Database Connection Error", NULL);
  wait_for_label (f->window, "No contact yet");
  wait_for_label (f->window, "Your Convex deployment is paused or deleted");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == overlay_button (f, "connection.retry", "Retry Connection"));
  save_screenshot (f->window, "unreachable");

  /* Check Settings opens Preferences at the Database page */
  g_signal_emit_by_name (overlay_button (f, "app.preferences", "Check Settings"), "clicked");
  g_assert_cmpstr (f->preferences, ==, "database");

  /* automatic attempts back off; the countdown follows the connection's clock */
  for (guint i = 0; i < 3; i++)
    {
      fake_clock_advance (f->clock, (guint) ((cairn_connection_get_next_attempt (f->connection)
                                              - cairn_clock_get_time (CAIRN_CLOCK (f->clock))) / 1000));
      wait_until (connection_settled, f, "an automatic attempt");
    }
  g_assert_cmpint (cairn_connection_get_next_attempt (f->connection)
                   - cairn_clock_get_time (CAIRN_CLOCK (f->clock)), >, 2 * G_USEC_PER_SEC);
  countdown = expected_countdown (f);
  wait_for_label (f->window, countdown);
  fake_clock_advance (f->clock, 1000);
  g_free (countdown);
  countdown = expected_countdown (f);
  wait_for_label (f->window, countdown);
  g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, 0);
}

/* No network at all: the overlay says the computer is offline. */
static void
test_overlay_offline (OverlayFixture *f,
                      gconstpointer   data)
{
  g_autofree char *url = loopback_url (NULL);

  fake_network_monitor_set_available (f->monitor, FALSE);
  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_OFFLINE);
  assert_blocked (f, "You Are Offline", NULL);
  save_screenshot (f->window, "offline");
}

static gboolean
not_probing (gpointer data)
{
  return !cairn_connection_get_probing (data);
}

/* Retry probes at once; while it runs the button says so and waits; after
 * more than two failed retries comes the seed's hint. */
static void
test_overlay_retries (OverlayFixture *f,
                      gconstpointer   data)
{
  const char *hint = "Still having issues? Try updating your credentials in Settings or contact support.";
  g_autofree char *url = loopback_url (NULL);
  GtkWidget *retry;

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  wait_for_label (f->window, "Database Connection Error");
  retry = overlay_button (f, "connection.retry", "Retry Connection");

  for (guint i = 1; i <= 3; i++)
    {
      /* the first retry waits for an answer until the test closes the port */
      if (i == 1)
        f->silent = listen_silently (url_port (url));

      g_signal_emit_by_name (retry, "clicked");
      g_assert_true (cairn_connection_get_probing (f->connection));
      g_assert_nonnull (find_widget (retry, match_visible_label, "Retrying…"));
      g_assert_false (gtk_widget_is_sensitive (retry));
      g_assert_true (gtk_spinner_get_spinning (find_child_of_type (retry, GTK_TYPE_SPINNER)));
      wait_for_label (f->window, "Trying again…");

      if (i == 1)
        {
          save_screenshot (f->window, "retrying");
          g_assert_true (cairn_connection_get_probing (f->connection));
          g_assert_nonnull (find_widget (retry, match_visible_label, "Retrying…"));
          g_socket_close (f->silent, NULL);
          g_clear_object (&f->silent);
        }

      wait_until (not_probing, f->connection, "the retry");
      g_assert_cmpuint (cairn_connection_get_failed_retries (f->connection), ==, i);
      g_assert_true (gtk_widget_is_sensitive (retry));
      g_assert_nonnull (find_widget (retry, match_visible_label, "Retry Connection"));
      /* the button had the focus, and has it again */
      g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == retry);

      if (i <= 2)
        g_assert_null (find_widget (GTK_WIDGET (f->window), match_visible_label, hint));
    }

  wait_for_label (f->window, hint);
  assert_blocked (f, "Database Connection Error", NULL);
  save_screenshot (f->window, "hint");
}

/* What waits in the outbox is counted, and said to be safe. */
static void
test_overlay_unsent_items (OverlayFixture *f,
                           gconstpointer   data)
{
  g_autofree char *url = loopback_url (NULL);
  const char *one = "1 unsent item is kept safe on this computer and will be sent when the connection is back";
  const char *two = "2 unsent items are kept safe on this computer and will be sent when the connection is back";

  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  wait_for_label (f->window, "Database Connection Error");
  g_assert_null (find_widget (GTK_WIDGET (f->window), match_visible_label, one));

  g_object_unref (test_util_create_conversation (f->workspace, "Packing list"));
  wait_for_label (f->window, one);
  g_object_unref (test_util_create_conversation (f->workspace, "Route"));
  wait_for_label (f->window, two);
  assert_blocked (f, "Database Connection Error", NULL);
  save_screenshot (f->window, "unsent");
}

static gboolean
leaflet_folded (gpointer data)
{
  return adw_leaflet_get_folded (find_child_of_type (data, ADW_TYPE_LEAFLET));
}

/* In a narrow window (one pane shown) and in the dark style, the overlay
 * still lies below the header bar and the main menu stays in reach. */
static void
test_overlay_narrow_and_dark (OverlayFixture *f,
                              gconstpointer   data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.cairnapp.Cairn");
  g_autofree char *url = loopback_url (NULL);
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWidget *overlay;
  GtkWidget *menu_button;
  graphene_rect_t bounds;

  g_settings_set_int (settings, "window-width", 360);
  g_settings_set_int (settings, "window-height", 700);
  overlay_connect (f, url, OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_UNREACHABLE);
  wait_until (leaflet_folded, f->window, "the window to fold");
  wait_for_label (f->window, "Database Connection Error");
  wait_for_frame (f->window);

  overlay = GTK_WIDGET (window_overlay (f->window));
  menu_button = find_widget (GTK_WIDGET (f->window), match_primary_menu_button, NULL);
  g_assert_true (gtk_widget_is_sensitive (menu_button));
  g_assert_true (widget_is_or_inside (pick_middle_of (GTK_WIDGET (f->window), menu_button), menu_button));
  g_assert_true (gtk_widget_compute_bounds (overlay, GTK_WIDGET (f->window), &bounds));
  g_assert_cmpfloat (bounds.size.width, >=, 360);
  save_screenshot (f->window, "narrow");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  save_screenshot (f->window, "dark");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

typedef struct {
  const char       *name;
  const char       *config;     /* (nullable) for the peer */
  const char       *key;
  CairnBlockReason  reason;
  const char       *title;
  const char       *cause;      /* one of the possible causes shown */
  gboolean          command;    /* the deploy command is shown, as a fallback */
  const char       *contact;    /* an answer from the deployment is contact, a refusal is not */
  const char       *fix;        /* (nullable) the way out when Cairn can fix it itself */
} ReasonCase;

#define NO_CONTACT "No contact yet"
#define CONTACT    "Last contact with your database: less than a minute ago"

static const ReasonCase reason_cases[] = {
  { "unauthorized", NULL, "dev:cairn-test|revoked", CAIRN_BLOCK_REASON_UNAUTHORIZED,
    "Deploy Key Refused", "The deploy key was revoked or regenerated in the Convex dashboard", FALSE, NO_CONTACT,
    NULL },
  { "not-set-up", "{\"functions\": false}", OVERLAY_ADMIN_KEY, CAIRN_BLOCK_REASON_NOT_SET_UP,
    "Cairn Functions Not Deployed", "The Cairn functions were never deployed to this deployment", TRUE, NO_CONTACT,
    "Install Cairn Functions" },
  { "schema-outdated", "{\"schemaVersion\": 0}", OVERLAY_ADMIN_KEY, CAIRN_BLOCK_REASON_SCHEMA_OUTDATED,
    "Database Update Needed", "This version of Cairn is newer than the Cairn functions on your deployment", TRUE, CONTACT,
    "Update Database" },
  { "schema-newer", "{\"schemaVersion\": 1000}", OVERLAY_ADMIN_KEY, CAIRN_BLOCK_REASON_SCHEMA_NEWER,
    "Cairn Update Needed", "This version of Cairn is out of date", FALSE, CONTACT, NULL },
};

/* Each way the deployment can refuse Cairn has its own title, causes and way out. */
static void
test_overlay_reason (OverlayFixture *f,
                     gconstpointer   data)
{
  const ReasonCase *c = data;
  ConvexPeer *peer = overlay_peer_get ();
  g_autofree char *command = cairn_preflight_deploy_command ();
  GtkWidget *command_label;
  const char *message;

  if (c->config != NULL)
    convex_peer_control (peer, "config", c->config);
  overlay_connect (f, convex_peer_get_url (peer), c->key);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, c->reason);

  /* the command is a hint of its own, not repeated in the message: the
   * message ends before the line that gives it */
  message = cairn_connection_get_error (f->connection)->message;
  if (c->command)
    {
      g_autofree char *without = NULL;
      const char *at = strstr (message, command);

      while (at != NULL && at > message && at[-1] != '\n')
        at--;
      without = at != NULL ? g_strstrip (g_strndup (message, at - message)) : g_strdup (message);
      assert_blocked (f, c->title, without);
      command_label = find_widget (GTK_WIDGET (f->window), match_visible_label, command);
      g_assert_nonnull (command_label);
      g_assert_true (gtk_label_get_selectable (GTK_LABEL (command_label)));
      g_assert_true (gtk_widget_has_css_class (command_label, "monospace"));
      wait_for_label (f->window, "Without Cairn, from a terminal:");
    }
  else
    {
      assert_blocked (f, c->title, NULL);
      g_assert_null (find_widget (GTK_WIDGET (f->window), match_visible_label, command));
    }

  wait_for_label (f->window, c->cause);
  wait_for_label (f->window, c->contact);

  /* a refused key is fixed in Settings, functions Cairn can install or
   * update by Cairn: that comes first */
  if (c->fix != NULL)
    {
      GtkWidget *fix = overlay_button (f, "connection.update", c->fix);

      g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (fix)), ==, c->fix);
      g_assert_true (gtk_widget_has_css_class (fix, "suggested-action"));
      g_assert_true (gtk_widget_is_sensitive (fix));
      g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == fix);
    }
  else
    {
      g_assert_null (update_button (f));
      if (c->reason == CAIRN_BLOCK_REASON_UNAUTHORIZED)
        g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window))
                       == overlay_button (f, "app.preferences", "Check Settings"));
      else
        g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window))
                       == overlay_button (f, "connection.retry", "Retry Connection"));
    }

  save_screenshot (f->window, c->name);
}

/* No key in memory and none to be had from the keyring. Runs in a process
 * of its own (see main()): on a private bus where no keyring can be started,
 * so that none is left running on the session bus the other suites share. */
#define KEYRING_SUBPROCESS "/widgets/overlay/keyring-unavailable/subprocess"

static void
test_overlay_keyring_unavailable_in_subprocess (void)
{
  g_test_trap_subprocess (KEYRING_SUBPROCESS, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Updating the saved deployment needs its key from a keyring: a process of
 * its own too, on a private bus with a keyring of its own. */
#define UPDATE_SUBPROCESS "/widgets/overlay/update-database/subprocess"

static void
test_overlay_update_database_in_subprocess (void)
{
  g_test_trap_subprocess (UPDATE_SUBPROCESS, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* One of the tests that run on a private bus. */
static gboolean
is_keyring_subprocess (int    argc,
                       char **argv)
{
  gboolean subprocess = FALSE;
  gboolean keyring = FALSE;

  for (int i = 1; i < argc; i++)
    {
      subprocess |= g_str_equal (argv[i], "--GTestSubprocess");
      keyring |= g_str_equal (argv[i], KEYRING_SUBPROCESS) || g_str_equal (argv[i], UPDATE_SUBPROCESS);
    }

  return subprocess && keyring;
}

static void
test_overlay_keyring_unavailable (OverlayFixture *f,
                                  gconstpointer   data)
{
  /* silent: a list request sent before the block must not fail and
   * replace the reason with its own (unreachable) */
  g_autofree char *url = loopback_url (&f->silent);

  overlay_connect (f, url, NULL);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE);
  assert_blocked (f, "Keyring Unavailable", NULL);
  save_screenshot (f->window, "keyring-unavailable");
}

static gboolean
match_status_stage (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && gtk_widget_get_ancestor (widget, CAIRN_TYPE_UPDATE_STATUS) != NULL
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), data) == 0;
}

static gboolean
stage_shown (gpointer data)
{
  OverlayFixture *f = ((gpointer *) data)[0];

  return find_widget (GTK_WIDGET (window_overlay (f->window)), match_status_stage, ((gpointer *) data)[1]) != NULL;
}

static void
wait_for_stage (OverlayFixture *f,
                const char     *stage)
{
  gpointer data[2] = { f, (gpointer) stage };

  wait_until (stage_shown, data, stage);
}

static gboolean
update_failed (gpointer data)
{
  CairnByod *byod = data;

  return !cairn_byod_get_updating (byod) && cairn_byod_get_update_error (byod) != NULL;
}

static gboolean
match_failure_text (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && gtk_widget_get_ancestor (widget, CAIRN_TYPE_UPDATE_STATUS) != NULL
         && strstr (gtk_label_get_text (GTK_LABEL (widget)), data) != NULL;
}

static gboolean
failure_shown (gpointer data)
{
  OverlayFixture *f = data;

  return find_widget (GTK_WIDGET (window_overlay (f->window)), match_failure_text, "The disk is on fire") != NULL;
}

/* The saved deployment has the functions of version 1 and their data:
 * a first Update Database whose migration fails says why and loses nothing;
 * the next pushes the new ones and migrates the data, with its
 * progress in the overlay, which then goes by itself; the sidebar counts
 * the messages the migration counted. */
static void
test_overlay_update_database (OverlayFixture *f,
                              gconstpointer   data)
{
  TestKeyring *keyring = test_keyring_start ();
  g_autoptr(ConvexPeer) peer = convex_peer_start_with_args (OVERLAY_ADMIN_KEY, NULL, NULL, "--empty", NULL);
  CairnByod *byod = cairn_workspace_get_byod (f->workspace);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *update;

  peer_make_version_1 (peer, OVERLAY_ADMIN_KEY, 3);

  /* switched on as Save does it: the key in the keyring, the settings saved */
  cairn_byod_enable_async (byod, convex_peer_get_url (peer), OVERLAY_ADMIN_KEY, NULL, NULL,
                           test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_byod_enable_finish (byod, result, &error));
  g_assert_no_error (error);
  f->connection = g_object_ref (cairn_byod_get_connection (byod));
  overlay_present_window (f);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_SCHEMA_OUTDATED);
  wait_for_label (f->window, "Database Update Needed");
  wait_for_label (f->window, "Without Cairn, from a terminal:");

  update = overlay_button (f, "connection.update", "Update Database");
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (f->window)) == update);
  g_assert_true (gtk_widget_has_css_class (update, "suggested-action"));
  save_screenshot (f->window, "update-needed");

  /* a migration that fails: the overlay stays, says which one and why,
   * the button stays to try again, nothing is lost */
  convex_peer_control (peer, "fault",
                       "{\"mode\": \"function-error\", \"function\": \"migrations:step\", "
                       "\"message\": \"The disk is on fire\", \"count\": 1}");
  g_signal_emit_by_name (update, "clicked");
  wait_until (update_failed, byod, "the failed update");
  g_assert_nonnull (strstr (cairn_byod_get_update_error (byod), "Count messages"));
  wait_until (failure_shown, f, "the update's error in the overlay");
  wait_for_stage (f, "The update did not work");
  g_assert_cmpint (cairn_connection_get_reason (f->connection), ==, CAIRN_BLOCK_REASON_SCHEMA_OUTDATED);
  wait_for_label (f->window, "Database Update Needed");
  g_assert_true (gtk_widget_is_sensitive (update));
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, 3);
  save_screenshot (f->window, "update-failed");

  /* slow enough to see it work */
  convex_peer_control (peer, "fault", "{\"mode\": \"slow\", \"ms\": 300}");
  g_signal_emit_by_name (update, "clicked");
  g_assert_true (cairn_byod_get_updating (byod));
  /* the functions went on in the first try: this one only migrates */
  wait_for_stage (f, "Migrating your data…");
  g_assert_false (gtk_widget_is_sensitive (update));
  save_screenshot (f->window, "updating");

  wait_until (connection_connected, f->connection, "the connection after the update");
  assert_content_reachable (f);
  g_assert_null (cairn_byod_get_update_error (byod));
  wait_for_label (rows_of (window_list (f->window)), "Written by version 1");
  wait_for_label (rows_of (window_list (f->window)), "3 messages");
  save_screenshot (f->window, "updated");

  test_keyring_free (keyring);
}

/* Once the deployment answers, the overlay goes by itself and the content is back. */
static void
test_overlay_goes_when_connected (OverlayFixture *f,
                                  gconstpointer   data)
{
  ConvexPeer *peer = overlay_peer_get ();
  GtkWidget *overlay;

  convex_peer_control (peer, "config", "{\"functions\": false}");
  overlay_connect (f, convex_peer_get_url (peer), OVERLAY_ADMIN_KEY);
  wait_settled (f, CAIRN_CONNECTION_BLOCKED, CAIRN_BLOCK_REASON_NOT_SET_UP);
  wait_for_label (f->window, "Cairn Functions Not Deployed");
  overlay = GTK_WIDGET (window_overlay (f->window));
  g_assert_true (gtk_widget_get_visible (overlay));

  /* the user deployed the functions, and retries */
  convex_peer_control (peer, "config", "{\"functions\": true}");
  g_signal_emit_by_name (overlay_button (f, "connection.retry", "Retry Connection"), "clicked");
  wait_until (connection_connected, f->connection, "the connection");
  assert_content_reachable (f);

  /* a workspace that made the connection itself (use_deployment) tells
   * the lists to load again; this one was handed it */
  g_signal_emit_by_name (f->workspace, "storage-changed");
  wait_for_label (f->window, "No Conversations");
  save_screenshot (f->window, "connected");
}

int
main (int   argc,
      char *argv[])
{
  int ret;
  gboolean keyring_bus = is_keyring_subprocess (argc, argv);

  /* before anything connects to the session bus; the private one has no
   * accessibility bus either */
  if (keyring_bus)
    {
      g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

      g_setenv ("GTK_A11Y", "none", TRUE);
      test_keyring_bus_up ();
      /* GTestDBus unsets it, as if for a test without a display */
      if (display != NULL)
        g_setenv ("DISPLAY", display, TRUE);
    }

  widget_util_init (&argc, &argv);

#define ADD_OVERLAY(path, data, func) \
  g_test_add (path, OverlayFixture, data, overlay_setup, func, overlay_teardown)

  ADD_OVERLAY ("/widgets/overlay/hidden-without-byod", NULL, test_overlay_hidden_without_byod);
  ADD_OVERLAY ("/widgets/overlay/connecting", NULL, test_overlay_connecting);
  ADD_OVERLAY ("/widgets/overlay/unreachable", NULL, test_overlay_unreachable);
  ADD_OVERLAY ("/widgets/overlay/offline", NULL, test_overlay_offline);
  ADD_OVERLAY ("/widgets/overlay/retries", NULL, test_overlay_retries);
  ADD_OVERLAY ("/widgets/overlay/narrow-and-dark", NULL, test_overlay_narrow_and_dark);
  ADD_OVERLAY ("/widgets/overlay/unsent-items", NULL, test_overlay_unsent_items);
  for (guint i = 0; i < G_N_ELEMENTS (reason_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/widgets/overlay/%s", reason_cases[i].name);

      ADD_OVERLAY (path, &reason_cases[i], test_overlay_reason);
    }
  g_test_add_func ("/widgets/overlay/keyring-unavailable", test_overlay_keyring_unavailable_in_subprocess);
  ADD_OVERLAY (KEYRING_SUBPROCESS, NULL, test_overlay_keyring_unavailable);
  g_test_add_func ("/widgets/overlay/update-database", test_overlay_update_database_in_subprocess);
  ADD_OVERLAY (UPDATE_SUBPROCESS, NULL, test_overlay_update_database);
  ADD_OVERLAY ("/widgets/overlay/goes-when-connected", NULL, test_overlay_goes_when_connected);

#undef ADD_OVERLAY

  ret = g_test_run ();
  overlay_peer_stop ();
  if (keyring_bus)
    test_keyring_bus_stop ();

  return ret;
}
