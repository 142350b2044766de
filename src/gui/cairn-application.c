/* cairn-application.c — the application: opens the workspace, owns the app actions
 *
 * The default workspace's database lives in
 * $XDG_DATA_HOME/cairn/workspaces/default/cairn.db unless --data-dir says
 * otherwise. When it cannot be opened, a window explains why instead of the
 * main window.
 *
 * Before the main window shows, the workspace restores its Bring Your Own
 * Database state (config from the database, key from the keyring): a window
 * shown earlier would list this computer's content and could write there
 * while the user's content lives on their deployment. The restore costs one
 * look-up in the local database when BYOD is off.
 *
 * Database Health (app.database-health) is one window over the main one.
 * While content is on the user's deployment, CairnHealthAlerts sends a
 * desktop notification when it gets into trouble and none of Cairn's
 * windows has the focus. Cairn does not stay in the background: closing its
 * last window quits it (once pending writes are done), and an alert still
 * shown is withdrawn, since nothing watches any more.
 *
 * `cairn --check-health` checks the default workspace's deployment and
 * exits before any window or D-Bus name (cairn-health-command.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-application"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "cairn-application.h"
#include "cairn-byod.h"
#include "cairn-connection.h"
#include "cairn-health.h"
#include "cairn-health-alerts.h"
#include "cairn-health-window.h"
#include "cairn-health-command.h"
#include "cairn-local-store.h"
#include "cairn-preferences-window.h"
#include "cairn-window.h"
#include "cairn-workspace.h"

#define DEFAULT_WORKSPACE "default"
#define DATABASE_NAME     "cairn.db"

struct _CairnApplication
{
  AdwApplication  parent_instance;

  char           *data_dir;     /* (nullable) overrides where the database lives */
  CairnWorkspace *workspace;
  CairnStore     *store;
  GSettings      *settings;
  gboolean        restoring;    /* the main window waits for the BYOD state */
  gboolean        restored;
  CairnHealthAlerts *alerts;    /* (nullable) once the workspace is restored */
  GtkWindow      *health_window; /* (weak) (nullable) Database Health */
};

G_DEFINE_FINAL_TYPE (CairnApplication, cairn_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_DATA_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "version", 'v', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { "data-dir", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, NULL,
    N_("Keep the workspace’s database in DIR"), N_("DIR") },
  { "check-health", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Check your own database now, print how it is doing and exit (see below)"), NULL },
  { "json", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("With --check-health, print JSON"), NULL },
  { NULL }
};

/* Opening the workspace */

static char *
database_dir (CairnApplication *self)
{
  if (self->data_dir != NULL)
    return g_strdup (self->data_dir);

  return g_build_filename (g_get_user_data_dir (), "cairn", "workspaces", DEFAULT_WORKSPACE, NULL);
}

/* The health thresholds' GSettings keys: "health-" and the CairnHealth property. */
static const char * const threshold_properties[] = {
  "query-warning-ms", "query-critical-ms", "mutation-warning", "mutation-critical", "error-warning", "error-critical",
};

/* How often a connected deployment is checked, and how it is judged: the
 * health-check-interval and health-… settings. */
static void
follow_health_settings (CairnApplication *self)
{
  CairnByod *byod = cairn_workspace_get_byod (self->workspace);

  g_set_object (&self->settings, NULL);
  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "health-check-interval", byod, "health-check-interval", G_SETTINGS_BIND_GET);

  for (guint i = 0; i < G_N_ELEMENTS (threshold_properties); i++)
    {
      g_autofree char *key = g_strconcat ("health-", threshold_properties[i], NULL);

      g_settings_bind (self->settings, key, cairn_byod_get_health (byod), threshold_properties[i],
                       G_SETTINGS_BIND_GET);
    }
}

static gboolean
open_workspace (CairnApplication  *self,
                GError           **error)
{
  g_autofree char *dir = database_dir (self);
  g_autofree char *path = g_build_filename (dir, DATABASE_NAME, NULL);
  g_autoptr(CairnLocalStore) store = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   /* Translators: %s is a folder, then the reason */
                   _("Could not create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  store = cairn_local_store_new (path, error);
  if (store == NULL)
    return FALSE;

  self->store = CAIRN_STORE (g_steal_pointer (&store));
  /* a network that comes back makes a blocked connection try again at once */
  self->workspace = g_object_new (CAIRN_TYPE_WORKSPACE,
                                  "id", DEFAULT_WORKSPACE,
                                  "main-store", self->store,
                                  "network-monitor", g_network_monitor_get_default (),
                                  NULL);
  follow_health_settings (self);
  return TRUE;
}

static void
show_open_error (CairnApplication *self,
                 const GError     *error)
{
  g_autofree char *escaped = g_markup_escape_text (error->message, -1);
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (self));
  GtkWidget *page = adw_status_page_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Quit"));

  gtk_window_set_title (GTK_WINDOW (window), _("Cairn"));
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 520);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "dialog-error-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Could Not Open Your Conversations"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page), escaped);
  gtk_widget_set_vexpand (page, TRUE);

  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "pill");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.quit");
  adw_status_page_set_child (ADW_STATUS_PAGE (page), button);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), page);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  gtk_window_present (GTK_WINDOW (window));
}

/* Actions */

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  CairnApplication *self = user_data;
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing (rather than quitting outright) lets every window save its
   * drafts and size; the application ends when the last one is gone and
   * the last write is done. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  CairnApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *preferences;

  if (self->workspace == NULL)
    return;

  preferences = cairn_preferences_window_new (self->workspace);
  /* the app's actions (Database Health on the Database page) work in it */
  gtk_window_set_application (GTK_WINDOW (preferences), GTK_APPLICATION (self));
  gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  gtk_window_set_modal (GTK_WINDOW (preferences), TRUE);
  cairn_preferences_window_set_visible_page_name (CAIRN_PREFERENCES_WINDOW (preferences),
                                                  g_variant_get_string (parameter, NULL));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { "The Cairn developers", NULL };

  adw_show_about_window (parent,
                         "application-name", _("Cairn"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Cairn developers"),
                         "developers", developers,
                         "comments", _("Conversations and notes in a store you own"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "website", "https://github.com/cairnapp/cairn",
                         "issue-url", "https://github.com/cairnapp/cairn/issues",
                         "copyright", "© 2026 The Cairn developers",
                         /* Translators: put your name here, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

/* Database Health: one window, over the main window. */
static void
database_health_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  CairnApplication *self = user_data;
  CairnByod *byod;
  GtkWidget *window;

  if (self->workspace == NULL)
    return;

  if (self->health_window != NULL)
    {
      gtk_window_present (self->health_window);
      return;
    }

  byod = cairn_workspace_get_byod (self->workspace);
  window = cairn_health_window_new (cairn_byod_get_health (byod), byod);
  /* over the window it was asked from: the main one, or a modal Preferences */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (CAIRN_IS_WINDOW (l->data) || ADW_IS_PREFERENCES_WINDOW (l->data))
      {
        gtk_window_set_transient_for (GTK_WINDOW (window), l->data);
        gtk_window_set_destroy_with_parent (GTK_WINDOW (window), TRUE);
        break;
      }
  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (self));
  g_set_weak_pointer (&self->health_window, GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (window));
}

/* A notification's Retry: a blocked connection tries again, a connected one is checked again. */
static void
retry_connection_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  CairnApplication *self = user_data;
  CairnByod *byod;
  CairnConnection *connection;

  if (self->workspace == NULL)
    return;

  byod = cairn_workspace_get_byod (self->workspace);
  connection = cairn_byod_get_connection (byod);
  if (connection != NULL && cairn_connection_get_state (connection) == CAIRN_CONNECTION_BLOCKED)
    cairn_connection_retry (connection);
  else
    cairn_health_check_now (cairn_byod_get_health (byod));
}

/* Health alerts */

/* Whether the user is looking at Cairn: one of its windows shows and has the focus. */
static void
update_window_active (CairnApplication *self)
{
  gboolean active = FALSE;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    active |= gtk_widget_get_visible (l->data) && gtk_window_is_active (l->data);

  if (self->alerts != NULL)
    cairn_health_alerts_set_window_active (self->alerts, active);
}

/* Notifications when the deployment is in trouble while Cairn's windows
 * are in the background, unless the health-alerts setting is off
 * (app.health-alerts, the switch in Preferences). */
static void
start_health_alerts (CairnApplication *self)
{
  CairnByod *byod = cairn_workspace_get_byod (self->workspace);
  g_autoptr(GAction) setting = g_settings_create_action (self->settings, "health-alerts");

  self->alerts = cairn_health_alerts_new (G_APPLICATION (self), cairn_byod_get_health (byod),
                                          cairn_workspace_get_clock (self->workspace));
  g_settings_bind (self->settings, "health-alerts", self->alerts, "enabled", G_SETTINGS_BIND_GET);
  g_action_map_add_action (G_ACTION_MAP (self), setting);
  update_window_active (self);
}
static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_action },
  { .name = "preferences", .activate = preferences_action, .parameter_type = "s" },
  { .name = "shortcuts", .activate = shortcuts_action },
  { .name = "about", .activate = about_action },
  { .name = "database-health", .activate = database_health_action },
  { .name = "retry-connection", .activate = retry_connection_action },
};

static void
set_accels (GtkApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences('')", { "<Control>comma", NULL } },
    { "win.new-conversation", { "<Control>n", NULL } },
    { "win.rename-conversation", { "F2", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

/* --check-health: the user's thresholds, the check, the report; no window. */
static int
check_health (CairnApplication *self,
              gboolean          json)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *dir = database_dir (self);
  g_autofree char *path = g_build_filename (dir, DATABASE_NAME, NULL);
  g_autoptr(GString) report = g_string_new (NULL);
  CairnHealthThresholds thresholds = {
    g_settings_get_uint (settings, "health-query-warning-ms"),
    g_settings_get_uint (settings, "health-query-critical-ms"),
    g_settings_get_double (settings, "health-mutation-warning"),
    g_settings_get_double (settings, "health-mutation-critical"),
    g_settings_get_double (settings, "health-error-warning"),
    g_settings_get_double (settings, "health-error-critical"),
  };
  int status = cairn_health_command_run (path, DEFAULT_WORKSPACE, &thresholds, json, report);

  /* as UTF-8 whatever the locale: JSON is, and g_print() would turn a
   * server's message into question marks under LANG=C (cron) */
  fputs (report->str, stdout);
  return status;
}

/* GApplication */

static int
cairn_application_handle_local_options (GApplication *application,
                                        GVariantDict *options)
{
  CairnApplication *self = CAIRN_APPLICATION (application);
  g_autofree char *data_dir = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("cairn %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  /* A separate database is a separate instance (tests, benchmarks). */
  if (g_variant_dict_lookup (options, "data-dir", "^ay", &data_dir))
    {
      cairn_application_set_data_dir (self, data_dir);
      g_application_set_flags (application,
                               g_application_get_flags (application) | G_APPLICATION_NON_UNIQUE);
    }

  if (g_variant_dict_contains (options, "check-health"))
    return check_health (self, g_variant_dict_contains (options, "json"));
  if (g_variant_dict_contains (options, "json"))
    {
      g_printerr ("%s\n", _("--json goes with --check-health."));
      return EXIT_FAILURE;
    }

  return -1;
}

static void
cairn_application_startup (GApplication *application)
{
  CairnApplication *self = CAIRN_APPLICATION (application);

  G_APPLICATION_CLASS (cairn_application_parent_class)->startup (application);

  gtk_window_set_default_icon_name (APP_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  set_accels (GTK_APPLICATION (self));
}

static void
restore_byod_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(CairnApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  CairnWindow *window;

  self->restoring = FALSE;
  self->restored = TRUE;
  g_application_release (G_APPLICATION (self));
  start_health_alerts (self);

  /* Content is routed as the config says even when this failed (a key the
   * keyring cannot give still means the deployment): show the window and say
   * what went wrong. */
  cairn_byod_restore_finish (CAIRN_BYOD (object), result, &error);

  window = cairn_window_new (GTK_APPLICATION (self), self->workspace);
  gtk_window_present (GTK_WINDOW (window));

  if (error != NULL)
    {
      g_autofree char *message = NULL;

      g_warning ("Could not restore the connection to the user’s database: %s", error->message);
      /* Translators: %s is the reason */
      message = g_strdup_printf (_("Could not connect to your database: %s"), error->message);
      cairn_window_add_toast (window, message);
    }
}

static void
cairn_application_activate (GApplication *application)
{
  CairnApplication *self = CAIRN_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GError) error = NULL;

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  /* the window comes once the restore is done */
  if (self->restoring)
    return;

  if (self->workspace == NULL && !open_workspace (self, &error))
    {
      g_warning ("Could not open the workspace: %s", error->message);
      show_open_error (self, error);
      return;
    }

  if (self->restored)
    {
      gtk_window_present (GTK_WINDOW (cairn_window_new (GTK_APPLICATION (self), self->workspace)));
      return;
    }

  self->restoring = TRUE;
  g_application_hold (application);
  cairn_byod_restore_async (cairn_workspace_get_byod (self->workspace), NULL, restore_byod_cb, g_object_ref (self));
}

static void
cairn_application_shutdown (GApplication *application)
{
  CairnApplication *self = CAIRN_APPLICATION (application);

  /* withdraws an alert still shown while the application can */
  g_clear_object (&self->alerts);

  G_APPLICATION_CLASS (cairn_application_parent_class)->shutdown (application);

  g_clear_object (&self->settings);
  g_clear_object (&self->workspace);
  if (CAIRN_IS_LOCAL_STORE (self->store))
    cairn_local_store_close (CAIRN_LOCAL_STORE (self->store));
  g_clear_object (&self->store);
}

/* GtkApplication */

static void
cairn_application_window_added (GtkApplication *application,
                                GtkWindow      *window)
{
  CairnApplication *self = CAIRN_APPLICATION (application);

  GTK_APPLICATION_CLASS (cairn_application_parent_class)->window_added (application, window);

  g_signal_connect_object (window, "notify::is-active", G_CALLBACK (update_window_active), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (window, "notify::visible", G_CALLBACK (update_window_active), self, G_CONNECT_SWAPPED);
  update_window_active (self);
}

static void
cairn_application_window_removed (GtkApplication *application,
                                  GtkWindow      *window)
{
  CairnApplication *self = CAIRN_APPLICATION (application);

  g_signal_handlers_disconnect_by_func (window, update_window_active, self);
  GTK_APPLICATION_CLASS (cairn_application_parent_class)->window_removed (application, window);
  update_window_active (self);
}

/* GObject */

static void
cairn_application_dispose (GObject *object)
{
  CairnApplication *self = CAIRN_APPLICATION (object);

  g_clear_object (&self->alerts);
  g_clear_object (&self->workspace);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (cairn_application_parent_class)->dispose (object);
}

static void
cairn_application_finalize (GObject *object)
{
  CairnApplication *self = CAIRN_APPLICATION (object);

  g_free (self->data_dir);

  G_OBJECT_CLASS (cairn_application_parent_class)->finalize (object);
}

static void
cairn_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CairnApplication *self = CAIRN_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_application_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CairnApplication *self = CAIRN_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      cairn_application_set_data_dir (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_application_class_init (CairnApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GtkApplicationClass *gtk_app_class = GTK_APPLICATION_CLASS (klass);

  object_class->dispose = cairn_application_dispose;
  object_class->finalize = cairn_application_finalize;
  object_class->get_property = cairn_application_get_property;
  object_class->set_property = cairn_application_set_property;

  app_class->handle_local_options = cairn_application_handle_local_options;
  app_class->startup = cairn_application_startup;
  app_class->activate = cairn_application_activate;
  app_class->shutdown = cairn_application_shutdown;
  gtk_app_class->window_added = cairn_application_window_added;
  gtk_app_class->window_removed = cairn_application_window_removed;

  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_application_init (CairnApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Conversations and notes in a store you own."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("--check-health checks the database you connected with Bring Your "
                                                  "Own Database: a few timed reads and writes, judged by the health "
                                                  "thresholds in Cairn’s settings. It never prints the deploy key.\n"
                                                  "Exit status: 0 healthy, 1 degraded, 2 unhealthy or unreachable, "
                                                  "3 not set up (content is stored on this computer), "
                                                  "4 keyring unavailable."));
}

/* Public API */

CairnApplication *
cairn_application_new (void)
{
  return g_object_new (CAIRN_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/cairnapp/Cairn",
                       NULL);
}

const char *
cairn_application_get_data_dir (CairnApplication *self)
{
  g_return_val_if_fail (CAIRN_IS_APPLICATION (self), NULL);

  return self->data_dir;
}

/* Where the database lives; only before the workspace is opened. */
void
cairn_application_set_data_dir (CairnApplication *self,
                                const char       *data_dir)
{
  g_return_if_fail (CAIRN_IS_APPLICATION (self));
  g_return_if_fail (self->workspace == NULL);

  if (g_strcmp0 (self->data_dir, data_dir) == 0)
    return;

  g_free (self->data_dir);
  self->data_dir = g_strdup (data_dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA_DIR]);
}

/**
 * cairn_application_get_workspace:
 *
 * Returns: (transfer none) (nullable): the workspace, once opened
 */
CairnWorkspace *
cairn_application_get_workspace (CairnApplication *self)
{
  g_return_val_if_fail (CAIRN_IS_APPLICATION (self), NULL);

  return self->workspace;
}
