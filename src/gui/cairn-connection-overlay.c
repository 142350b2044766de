/* cairn-connection-overlay.c — blocks the window while the user's database is not connected
 *
 * With Bring Your Own Database on, content lives only on the user's
 * deployment; while the workspace's connection is connecting or blocked
 * nothing can be read or written there, and Cairn blocks rather than write
 * anywhere else. This widget is what the user sees meanwhile: a spinner
 * while connecting; when blocked, why (per reason: its own title, icon and
 * possible causes), the error itself, and what to do — Retry Connection,
 * Check Settings, the Convex dashboard. When the Cairn functions are
 * missing or older, or the data needs a migration, the way out is Install
 * Cairn Functions or Update Database (CairnByod's update of the saved
 * deployment), its progress shown in place (CairnUpdateStatus); the command
 * that deploys them from a terminal stays as a small fallback hint. A dim
 * line says when the next automatic attempt is due, when the deployment
 * last answered and how many writes wait in the outbox.
 *
 * It follows the workspace: hidden while BYOD is off (no connection) and
 * once the connection is connected; the window hosts it above its content
 * and makes that content unreachable while :blocking is TRUE.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-connection-overlay"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-byod.h"
#include "cairn-clock.h"
#include "cairn-connection.h"
#include "cairn-connection-overlay.h"
#include "cairn-outbox-delivery.h"
#include "cairn-preflight.h"
#include "cairn-update-status.h"
#include "cairn-workspace.h"

struct _CairnConnectionOverlay
{
  GtkWidget         parent_instance;

  CairnWorkspace   *workspace;
  CairnByod        *byod;           /* the workspace's, for its connection */
  CairnOutboxDelivery *delivery;    /* the workspace's, for the unsent writes */
  CairnConnection  *connection;     /* (nullable) the one followed */
  CairnClock       *clock;          /* the connection's time, for next-attempt */
  gboolean          blocking;
  gboolean          shown_blocked;  /* the blocked page was up at the last update */
  gboolean          focus_pending;  /* the way out takes the focus once it can */
  CairnBlockReason  shown_reason;
  guint             tick_id;

  GtkStack         *stack;
  GtkSpinner       *connecting_spinner;
  GtkLabel         *connecting_label;
  GtkImage         *icon;
  GtkLabel         *title_label;
  GtkLabel         *error_label;
  GtkWidget        *update_box;
  CairnUpdateStatus *update_status;
  GtkWidget        *command_box;
  GtkLabel         *command_label;
  GtkBox           *causes_list;
  GtkBox           *primary_row;
  GtkBox           *secondary_row;
  GtkWidget        *update_button;
  GtkWidget        *retry_button;
  GtkStack         *retry_icon_stack;
  GtkWidget        *retry_icon;
  GtkSpinner       *retry_spinner;
  GtkLabel         *retry_label;
  GtkWidget        *settings_button;
  GtkWidget        *dashboard_button;
  GtkWidget        *hint_label;
  GtkLabel         *next_attempt_label;
  GtkLabel         *last_contact_label;
  GtkLabel         *unsent_label;
};

G_DEFINE_FINAL_TYPE (CairnConnectionOverlay, cairn_connection_overlay, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_BLOCKING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* After more than two failed retries, a hint (docs/ARCHITECTURE.md, "Connection states"). */
#define HINT_AFTER_FAILED_RETRIES 2
/* Narrower than this, the buttons below the way out go one under the other. */
#define SIDE_BY_SIDE_WIDTH 460

/* What the overlay says for each reason */

/* The button that comes first, as the suggested action. */
typedef enum {
  WAY_OUT_RETRY,
  WAY_OUT_SETTINGS,  /* only new credentials help */
  WAY_OUT_INSTALL,   /* Cairn installs its functions itself */
  WAY_OUT_UPDATE,    /* Cairn updates its functions and the data itself */
} WayOut;

typedef struct {
  const char *icon_name;
  const char *title;
  const char *causes[4];      /* NULL-terminated */
  WayOut      way_out;
  gboolean    show_command;   /* the command that deploys the Cairn functions, as a fallback */
} ReasonLook;

static const ReasonLook *
reason_look (CairnBlockReason reason)
{
  static const ReasonLook looks[] = {
    [CAIRN_BLOCK_REASON_NONE] = {
      "dialog-warning-symbolic", N_("Database Connection Error"),
      { N_("Your Convex deployment is paused or deleted"),
        N_("Network connectivity issues"),
        N_("A Convex service outage"), NULL },
      WAY_OUT_RETRY, FALSE },
    [CAIRN_BLOCK_REASON_OFFLINE] = {
      "network-offline-symbolic", N_("You Are Offline"),
      { N_("This computer is not connected to a network"),
        N_("The Wi-Fi or network cable was disconnected"),
        N_("A VPN or proxy this computer needs is not running"), NULL },
      WAY_OUT_RETRY, FALSE },
    [CAIRN_BLOCK_REASON_UNREACHABLE] = {
      "dialog-warning-symbolic", N_("Database Connection Error"),
      { N_("Your Convex deployment is paused or deleted"),
        N_("The deployment URL changed"),
        N_("A network or firewall problem"), N_("A Convex service outage") },
      WAY_OUT_RETRY, FALSE },
    [CAIRN_BLOCK_REASON_UNAUTHORIZED] = {
      "dialog-password-symbolic", N_("Deploy Key Refused"),
      { N_("The deploy key was revoked or regenerated in the Convex dashboard"),
        N_("The deploy key belongs to another deployment"),
        N_("The deploy key was entered incompletely"), NULL },
      WAY_OUT_SETTINGS, FALSE },
    [CAIRN_BLOCK_REASON_NOT_SET_UP] = {
      "dialog-warning-symbolic", N_("Cairn Functions Not Deployed"),
      { N_("The Cairn functions were never deployed to this deployment"),
        N_("They were removed, or another project was deployed over them"),
        N_("The deployment URL points to another project"), NULL },
      WAY_OUT_INSTALL, TRUE },
    [CAIRN_BLOCK_REASON_SCHEMA_OUTDATED] = {
      "software-update-available-symbolic", N_("Database Update Needed"),
      { N_("This version of Cairn is newer than the Cairn functions on your deployment"),
        N_("An older version of Cairn deployed its functions again"),
        N_("Another computer’s Cairn started an update of the data that is not finished"), NULL },
      WAY_OUT_UPDATE, TRUE },
    [CAIRN_BLOCK_REASON_SCHEMA_NEWER] = {
      "software-update-available-symbolic", N_("Cairn Update Needed"),
      { N_("A newer version of Cairn on another computer updated your deployment"),
        N_("This version of Cairn is out of date"), NULL },
      WAY_OUT_RETRY, FALSE },
    [CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE] = {
      "dialog-password-symbolic", N_("Keyring Unavailable"),
      { N_("The keyring is locked or its service is not running"),
        N_("The deploy key was removed from the keyring"),
        N_("Cairn is not allowed to use the keyring"), NULL },
      WAY_OUT_RETRY, FALSE },
    [CAIRN_BLOCK_REASON_REDIRECTED] = {
      "dialog-warning-symbolic", N_("Your Database Redirected Elsewhere"),
      { N_("The deployment URL is mistyped or points to a website, not a deployment"),
        N_("A proxy or captive portal on this network redirects requests"),
        N_("The deployment moved to another address"), NULL },
      WAY_OUT_SETTINGS, FALSE },
    [CAIRN_BLOCK_REASON_READ_ONLY] = {
      "dialog-password-symbolic", N_("Deploy Key Can Only Read"),
      { N_("The deploy key was created with read-only access"),
        N_("The key’s permissions were changed in the Convex dashboard"), NULL },
      WAY_OUT_SETTINGS, FALSE },
    [CAIRN_BLOCK_REASON_BAD_CONFIG] = {
      "dialog-warning-symbolic", N_("Database Settings Cannot Be Used"),
      { N_("The saved deployment URL is not a valid Convex deployment address"),
        N_("The settings were changed outside Cairn"), NULL },
      WAY_OUT_SETTINGS, FALSE },
  };

  if (reason >= G_N_ELEMENTS (looks))
    return &looks[CAIRN_BLOCK_REASON_NONE];

  return &looks[reason];
}

/* Helpers */

static gint64
clock_now (CairnConnectionOverlay *self)
{
  return self->clock != NULL ? cairn_clock_get_time (self->clock) : g_get_monotonic_time ();
}

static void
set_label_shown (GtkLabel   *label,
                 const char *text)
{
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL);
  if (text != NULL)
    gtk_label_set_text (label, text);
}

static void
set_blocking (CairnConnectionOverlay *self,
              gboolean                blocking)
{
  if (self->blocking == blocking)
    return;

  self->blocking = blocking;
  gtk_widget_set_visible (GTK_WIDGET (self), blocking);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BLOCKING]);
}

/* The error without the line that gives the deploy command, which has a
 * hint of its own. */
static char *
error_text (const GError *error,
            const char   *command)
{
  const char *found;
  const char *line;
  GString *text;

  if (error == NULL)
    return NULL;

  found = command != NULL ? strstr (error->message, command) : NULL;
  if (found == NULL)
    return g_strdup (error->message);

  for (line = found; line > error->message && line[-1] != '\n'; line--)
    ;

  text = g_string_new_len (error->message, line - error->message);
  g_string_append (text, found + strlen (command));

  return g_strstrip (g_string_free (text, FALSE));
}

static GtkWidget *
cause_row_new (const char *cause)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *bullet = g_object_new (GTK_TYPE_LABEL,
                                    "label", "•",
                                    "valign", GTK_ALIGN_START,
                                    "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                    NULL);
  GtkWidget *label = gtk_label_new (cause);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);

  gtk_box_append (GTK_BOX (row), bullet);
  gtk_box_append (GTK_BOX (row), label);

  return row;
}

static void
update_causes (CairnConnectionOverlay *self,
               const ReasonLook       *look)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->causes_list))) != NULL)
    gtk_box_remove (self->causes_list, child);

  for (guint i = 0; i < G_N_ELEMENTS (look->causes) && look->causes[i] != NULL; i++)
    gtk_box_append (self->causes_list, cause_row_new (_(look->causes[i])));
}

static GtkWidget *
way_out_button (CairnConnectionOverlay *self,
                const ReasonLook       *look)
{
  switch (look->way_out)
    {
    case WAY_OUT_SETTINGS:
      return self->settings_button;
    case WAY_OUT_INSTALL:
    case WAY_OUT_UPDATE:
      return self->update_button;
    case WAY_OUT_RETRY:
    default:
      return self->retry_button;
    }
}

/* The way out comes first and is the suggested action. */
static GtkWidget *
primary_button (CairnConnectionOverlay *self)
{
  return way_out_button (self, reason_look (self->shown_reason));
}

/* Puts @button first in @row. */
static void
move_button (GtkWidget *button,
             GtkBox    *row)
{
  GtkWidget *parent = gtk_widget_get_parent (button);

  if (parent == GTK_WIDGET (row))
    {
      gtk_box_reorder_child_after (row, button, NULL);
      return;
    }

  g_object_ref (button);
  gtk_box_remove (GTK_BOX (parent), button);
  gtk_box_insert_child_after (row, button, NULL);
  g_object_unref (button);
}

/* The way out is a suggested pill on a row of its own; the other buttons
 * sit side by side below it: Retry Connection, Check Settings, the Convex
 * dashboard. Install and Update are shown only when they are the way out. */
static void
update_primary (CairnConnectionOverlay *self,
                const ReasonLook       *look)
{
  GtkWidget *primary = way_out_button (self, look);
  /* each is put first in its row: the order below is the reverse */
  GtkWidget *movable[] = { self->settings_button, self->retry_button, self->update_button };

  /* a button that moves loses the focus: it comes back */
  for (guint i = 0; i < G_N_ELEMENTS (movable); i++)
    if (gtk_widget_has_focus (movable[i]))
      self->focus_pending = TRUE;

  gtk_widget_set_visible (self->update_button, look->way_out == WAY_OUT_INSTALL || look->way_out == WAY_OUT_UPDATE);
  gtk_button_set_label (GTK_BUTTON (self->update_button),
                        look->way_out == WAY_OUT_INSTALL ? _("Install Cairn Functions") : _("Update Database"));

  for (guint i = 0; i < G_N_ELEMENTS (movable); i++)
    {
      if (movable[i] == primary)
        continue;
      move_button (movable[i], movable[i] == self->update_button ? self->primary_row : self->secondary_row);
      gtk_widget_remove_css_class (movable[i], "pill");
      gtk_widget_remove_css_class (movable[i], "suggested-action");
    }
  move_button (primary, self->primary_row);
  gtk_widget_add_css_class (primary, "pill");
  gtk_widget_add_css_class (primary, "suggested-action");
}

/* While CairnByod updates the deployment its progress shows here, and why
 * it did not work once it failed; the update cannot be asked for again
 * while CairnByod is busy. */
static void
update_update (CairnConnectionOverlay *self)
{
  const ReasonLook *look = reason_look (self->shown_reason);
  gboolean busy = self->byod != NULL && cairn_byod_get_busy (self->byod);
  gboolean fixable = look->way_out == WAY_OUT_INSTALL || look->way_out == WAY_OUT_UPDATE;
  gboolean shown = self->byod != NULL && fixable
                   && (cairn_byod_get_updating (self->byod) || cairn_byod_get_update_error (self->byod) != NULL);

  /* a disabled button loses the focus; it gets it back when enabled again */
  if (busy && gtk_widget_has_focus (self->update_button))
    self->focus_pending = TRUE;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connection.update", !busy);
  gtk_widget_set_visible (self->update_box, shown);
}

static void
update_reason (CairnConnectionOverlay *self)
{
  const GError *error = cairn_connection_get_error (self->connection);
  const ReasonLook *look;
  g_autofree char *command = NULL;
  g_autofree char *message = NULL;
  CairnBlockReason reason = cairn_connection_get_reason (self->connection);

  look = reason_look (reason);
  if (look->show_command)
    command = cairn_preflight_deploy_command ();
  message = error_text (error, command);

  gtk_image_set_from_icon_name (self->icon, look->icon_name);
  gtk_label_set_text (self->title_label, _(look->title));
  set_label_shown (self->error_label, message != NULL && *message != '\0' ? message : NULL);
  gtk_widget_set_visible (self->command_box, command != NULL);
  gtk_label_set_text (self->command_label, command != NULL ? command : "");

  if (reason != self->shown_reason || !self->shown_blocked)
    {
      self->shown_reason = reason;
      update_causes (self, look);
      update_primary (self, look);
    }

  update_update (self);
}

static void
update_retry (CairnConnectionOverlay *self)
{
  gboolean probing = cairn_connection_get_probing (self->connection);

  /* a disabled button loses the focus; it gets it back when enabled again */
  if (probing && gtk_widget_has_focus (self->retry_button))
    self->focus_pending = TRUE;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connection.retry", !probing);
  gtk_spinner_set_spinning (self->retry_spinner, probing);
  gtk_stack_set_visible_child (self->retry_icon_stack,
                               probing ? GTK_WIDGET (self->retry_spinner) : self->retry_icon);
  gtk_label_set_text (self->retry_label, probing ? _("Retrying…") : _("Retry Connection"));
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->retry_button), GTK_ACCESSIBLE_STATE_BUSY, probing, -1);
}

static char *
next_attempt_text (CairnConnectionOverlay *self)
{
  gint64 next = cairn_connection_get_next_attempt (self->connection);
  gint64 seconds;

  if (cairn_connection_get_probing (self->connection))
    return g_strdup (_("Trying again…"));
  if (next == 0)
    return NULL;

  /* rounded up: "in 1 second" until it happens, never "in 0 seconds" */
  seconds = (next - clock_now (self) + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  if (seconds <= 0)
    return g_strdup (_("Trying again…"));

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Trying again in %u second", "Trying again in %u seconds",
                                       (gulong) seconds),
                          (guint) seconds);
}

static char *
last_contact_text (CairnConnectionOverlay *self)
{
  gint64 last = cairn_connection_get_last_success (self->connection);
  gint64 ago;

  if (last == 0)
    return g_strdup (_("No contact yet"));

  ago = MAX (0, cairn_clock_get_real_time_ms (self->clock) - last) / 1000;
  if (ago < 60)
    return g_strdup (_("Last contact with your database: less than a minute ago"));

  if (ago < 60 * 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Last contact with your database: %u minute ago",
                                         "Last contact with your database: %u minutes ago",
                                         (gulong) (ago / 60)),
                            (guint) (ago / 60));

  if (ago < 24 * 60 * 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Last contact with your database: %u hour ago",
                                         "Last contact with your database: %u hours ago",
                                         (gulong) (ago / 3600)),
                            (guint) (ago / 3600));

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Last contact with your database: %u day ago",
                                       "Last contact with your database: %u days ago",
                                       (gulong) (ago / 86400)),
                          (guint) (ago / 86400));
}

static char *
unsent_text (CairnConnectionOverlay *self)
{
  guint count = self->delivery != NULL ? cairn_outbox_delivery_get_count (self->delivery) : 0;

  if (count == 0)
    return NULL;

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u unsent item is kept safe on this computer and will be sent when the connection is back",
                                       "%u unsent items are kept safe on this computer and will be sent when the connection is back",
                                       count),
                          count);
}

static void
update_status (CairnConnectionOverlay *self)
{
  g_autofree char *next = NULL;
  g_autofree char *last = NULL;
  g_autofree char *unsent = NULL;

  if (self->connection == NULL)
    return;

  next = next_attempt_text (self);
  last = last_contact_text (self);
  unsent = unsent_text (self);

  set_label_shown (self->next_attempt_label, next);
  set_label_shown (self->last_contact_label, last);
  set_label_shown (self->unsent_label, unsent);
}

static gboolean
tick_cb (gpointer user_data)
{
  update_status (user_data);

  return G_SOURCE_CONTINUE;
}

/* The countdown moves every second, and only while it is shown. */
static void
set_ticking (CairnConnectionOverlay *self,
             gboolean                ticking)
{
  if (ticking && self->tick_id == 0)
    self->tick_id = g_timeout_add (1000, tick_cb, self);
  else if (!ticking)
    g_clear_handle_id (&self->tick_id, g_source_remove);
}

static void
show_connecting (CairnConnectionOverlay *self)
{
  self->shown_blocked = FALSE;
  self->focus_pending = FALSE;
  set_ticking (self, FALSE);
  gtk_spinner_set_spinning (self->connecting_spinner, TRUE);
  gtk_stack_set_visible_child_name (self->stack, "connecting");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->connecting_label, NULL,
                                  -1);
}

static void
show_blocked (CairnConnectionOverlay *self)
{
  gboolean entering = !self->shown_blocked;

  gtk_spinner_set_spinning (self->connecting_spinner, FALSE);
  update_reason (self);
  self->shown_blocked = TRUE;
  update_retry (self);
  gtk_widget_set_visible (self->hint_label,
                          cairn_connection_get_failed_retries (self->connection) > HINT_AFTER_FAILED_RETRIES);
  update_status (self);
  set_ticking (self, TRUE);

  gtk_stack_set_visible_child_name (self->stack, "blocked");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->title_label, NULL,
                                  -1);

  /* the content underneath cannot have the focus now: the way out takes
   * it, or will once a probe under way is over */
  if (entering)
    self->focus_pending = TRUE;
  if (self->focus_pending && gtk_widget_grab_focus (primary_button (self)))
    self->focus_pending = FALSE;
}

static void
update (CairnConnectionOverlay *self)
{
  CairnConnectionState state = CAIRN_CONNECTION_CONNECTED;

  if (self->connection != NULL)
    state = cairn_connection_get_state (self->connection);

  /* shown first, so that what is in it can take the focus */
  set_blocking (self, state != CAIRN_CONNECTION_CONNECTED);

  switch (state)
    {
    case CAIRN_CONNECTION_CONNECTING:
      show_connecting (self);
      break;
    case CAIRN_CONNECTION_BLOCKED:
      show_blocked (self);
      break;
    case CAIRN_CONNECTION_CONNECTED:
    default:
      self->shown_blocked = FALSE;
      self->focus_pending = FALSE;
      set_ticking (self, FALSE);
      gtk_spinner_set_spinning (self->connecting_spinner, FALSE);
      gtk_spinner_set_spinning (self->retry_spinner, FALSE);
      break;
    }
}

/* Following the workspace's connection */

static void
on_connection_notify (CairnConnectionOverlay *self)
{
  update (self);
}

static void
follow_connection (CairnConnectionOverlay *self)
{
  CairnConnection *connection = NULL;

  if (self->byod != NULL)
    connection = cairn_byod_get_connection (self->byod);

  if (connection != self->connection)
    {
      if (self->connection != NULL)
        g_signal_handlers_disconnect_by_func (self->connection, on_connection_notify, self);

      g_set_object (&self->connection, connection);
      self->shown_blocked = FALSE;

      if (connection != NULL)
        g_signal_connect_object (connection, "notify", G_CALLBACK (on_connection_notify), self,
                                 G_CONNECT_SWAPPED);
    }

  update (self);
}

static void
on_user_store_changed (CairnConnectionOverlay *self)
{
  follow_connection (self);
}

/* An update started or ended: the way out is usable again, or not. */
static void
on_byod_update_changed (CairnConnectionOverlay *self)
{
  if (self->blocking)
    update (self);
}

static void
on_outbox_count_changed (CairnConnectionOverlay *self)
{
  if (self->blocking)
    update_status (self);
}

static void
unfollow_workspace (CairnConnectionOverlay *self)
{
  if (self->connection != NULL)
    g_signal_handlers_disconnect_by_func (self->connection, on_connection_notify, self);
  g_clear_object (&self->connection);

  if (self->byod != NULL)
    g_signal_handlers_disconnect_by_data (self->byod, self);
  if (self->delivery != NULL)
    g_signal_handlers_disconnect_by_data (self->delivery, self);
  g_clear_object (&self->byod);
  g_clear_object (&self->delivery);
  cairn_update_status_set_byod (self->update_status, NULL);
  g_clear_object (&self->workspace);
  g_clear_object (&self->clock);
}

static void
follow_workspace (CairnConnectionOverlay *self,
                  CairnWorkspace         *workspace)
{
  self->workspace = g_object_ref (workspace);
  self->byod = g_object_ref (cairn_workspace_get_byod (workspace));
  self->delivery = g_object_ref (cairn_workspace_get_delivery (workspace));
  g_object_get (workspace, "clock", &self->clock, NULL);

  g_signal_connect_object (self->byod, "notify::user-store",
                           G_CALLBACK (on_user_store_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->byod, "notify::busy",
                           G_CALLBACK (on_byod_update_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->byod, "notify::update-error",
                           G_CALLBACK (on_byod_update_changed), self, G_CONNECT_SWAPPED);
  cairn_update_status_set_byod (self->update_status, self->byod);
  g_signal_connect_object (self->delivery, "notify::count",
                           G_CALLBACK (on_outbox_count_changed), self, G_CONNECT_SWAPPED);
}

/* Actions */

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (widget);

  if (self->connection != NULL)
    cairn_connection_retry (self->connection);
}

/* Install Cairn Functions, Update Database: the saved deployment, with the key in the keyring. */
static void
update_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (widget);

  if (self->byod != NULL)
    cairn_byod_update_database (self->byod, NULL, NULL);
}

static void
open_dashboard_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                CAIRN_CONNECTION_OVERLAY_DASHBOARD_URL, GDK_CURRENT_TIME);
}

static void
copy_command_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  g_autofree char *command = cairn_preflight_deploy_command ();

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), command);
}

/* GObject and GtkWidget */

static void
cairn_connection_overlay_measure (GtkWidget      *widget,
                                  GtkOrientation  orientation,
                                  int             for_size,
                                  int            *minimum,
                                  int            *natural,
                                  int            *minimum_baseline,
                                  int            *natural_baseline)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (widget);

  gtk_widget_measure (GTK_WIDGET (self->stack), orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

/* The secondary buttons sit side by side when there is room, one under
 * the other in a narrow window; the width alone decides, so the layout
 * settles in one more pass. */
static void
cairn_connection_overlay_size_allocate (GtkWidget *widget,
                                        int        width,
                                        int        height,
                                        int        baseline)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (widget);
  GtkOrientation orientation = width < SIDE_BY_SIDE_WIDTH ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;

  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->secondary_row)) != orientation)
    {
      gtk_orientable_set_orientation (GTK_ORIENTABLE (self->secondary_row), orientation);
      /* one under the other, they are as wide as the way out above them */
      gtk_widget_set_halign (GTK_WIDGET (self->secondary_row),
                             orientation == GTK_ORIENTATION_VERTICAL ? GTK_ALIGN_FILL : GTK_ALIGN_CENTER);
    }

  gtk_widget_allocate (GTK_WIDGET (self->stack), width, height, baseline, NULL);
}

/* A window shown while blocked would give the focus to its first button
 * (the main menu): the way out takes it instead. */
static void
cairn_connection_overlay_map (GtkWidget *widget)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (widget);
  GtkRoot *root;
  GtkWidget *focus;

  GTK_WIDGET_CLASS (cairn_connection_overlay_parent_class)->map (widget);

  root = gtk_widget_get_root (widget);
  focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (self->shown_blocked && (focus == NULL || !gtk_widget_is_ancestor (focus, widget)))
    gtk_widget_grab_focus (primary_button (self));
}

static void
cairn_connection_overlay_dispose (GObject *object)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (object);

  set_ticking (self, FALSE);
  unfollow_workspace (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_CONNECTION_OVERLAY);

  G_OBJECT_CLASS (cairn_connection_overlay_parent_class)->dispose (object);
}

static void
cairn_connection_overlay_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;
    case PROP_BLOCKING:
      g_value_set_boolean (value, self->blocking);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_connection_overlay_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  CairnConnectionOverlay *self = CAIRN_CONNECTION_OVERLAY (object);

  switch (prop_id)
    {
    case PROP_WORKSPACE:
      cairn_connection_overlay_set_workspace (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_connection_overlay_class_init (CairnConnectionOverlayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_connection_overlay_dispose;
  object_class->get_property = cairn_connection_overlay_get_property;
  object_class->set_property = cairn_connection_overlay_set_property;

  widget_class->map = cairn_connection_overlay_map;
  widget_class->measure = cairn_connection_overlay_measure;
  widget_class->size_allocate = cairn_connection_overlay_size_allocate;

  /* A workspace set later (a template binding) is followed as well. */
  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* TRUE while the connection is connecting or blocked: the content under
   * the overlay must then be out of reach. */
  properties[PROP_BLOCKING] =
    g_param_spec_boolean ("blocking", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "connection.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "connection.update", NULL, update_action);
  gtk_widget_class_install_action (widget_class, "connection.open-dashboard", NULL, open_dashboard_action);
  gtk_widget_class_install_action (widget_class, "connection.copy-command", NULL, copy_command_action);

  gtk_widget_class_set_css_name (widget_class, "cairn-connection-overlay");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/cairnapp/Cairn/cairn-connection-overlay.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, stack);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, connecting_spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, connecting_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, icon);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, title_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, error_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, update_box);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, update_status);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, command_box);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, command_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, causes_list);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, primary_row);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, secondary_row);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, update_button);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, retry_button);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, retry_icon_stack);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, retry_icon);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, retry_spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, retry_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, settings_button);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, dashboard_button);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, hint_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, next_attempt_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, last_contact_label);
  gtk_widget_class_bind_template_child (widget_class, CairnConnectionOverlay, unsent_label);
}

static void
cairn_connection_overlay_init (CairnConnectionOverlay *self)
{
  g_autoptr(PangoAttrList) attributes = pango_attr_list_new ();

  self->shown_reason = CAIRN_BLOCK_REASON_NONE;

  g_type_ensure (CAIRN_TYPE_UPDATE_STATUS);
  gtk_widget_init_template (GTK_WIDGET (self));

  /* a command is copied as it is: a line break must not add a hyphen */
  pango_attr_list_insert (attributes, pango_attr_insert_hyphens_new (FALSE));
  gtk_label_set_attributes (self->command_label, attributes);
}

/* Public API */

GtkWidget *
cairn_connection_overlay_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_CONNECTION_OVERLAY, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_connection_overlay_get_workspace (CairnConnectionOverlay *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION_OVERLAY (self), NULL);

  return self->workspace;
}

/**
 * cairn_connection_overlay_set_workspace:
 * @workspace: (nullable): the workspace whose connection to follow
 */
void
cairn_connection_overlay_set_workspace (CairnConnectionOverlay *self,
                                        CairnWorkspace         *workspace)
{
  g_return_if_fail (CAIRN_IS_CONNECTION_OVERLAY (self));
  g_return_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace));

  if (self->workspace == workspace)
    return;

  unfollow_workspace (self);
  if (workspace != NULL)
    follow_workspace (self, workspace);
  follow_connection (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

/* TRUE while the workspace's connection is connecting or blocked. */
gboolean
cairn_connection_overlay_get_blocking (CairnConnectionOverlay *self)
{
  g_return_val_if_fail (CAIRN_IS_CONNECTION_OVERLAY (self), FALSE);

  return self->blocking;
}
