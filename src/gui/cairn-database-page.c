/* cairn-database-page.c — Preferences: where content lives, and Bring Your Own Database
 *
 * The page shows a workspace's CairnByod: where content lives now, the
 * connection's status, and what Test Connection, Save and Disconnect
 * (which CairnByod runs) are doing — each step of the checks as a row, the
 * progress of a move, why something did not work. When the checks find the
 * Cairn functions missing or older, their step offers Install (or Update)
 * Cairn Functions, and the update's progress shows below (CairnUpdateStatus);
 * a saved deployment lists its data migrations (CairnMigrationRow). Its
 * buttons only ask; it holds no state of its own beyond what is typed, so a
 * page opened while a switch, a move or an update runs shows it, and closing
 * the page stops nothing.
 *
 * The deploy key is read from its entry when it is asked for and never kept.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-database-page"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-byod.h"
#include "cairn-check-row.h"
#include "cairn-connection.h"
#include "cairn-content-mover.h"
#include "cairn-database-page.h"
#include "cairn-date.h"
#include "cairn-migration-row.h"
#include "cairn-migrator.h"
#include "cairn-preflight.h"
#include "cairn-sync-client.h"
#include "cairn-update-status.h"

/* Room left below what is scrolled into view, as below a page's last group. */
#define REVEAL_MARGIN 24.0
/* How long to wait for the page to grow to what is to be shown. */
#define REVEAL_MAX_FRAMES 10

struct _CairnDatabasePage
{
  AdwPreferencesPage   parent_instance;

  CairnByod           *byod;
  GBindingGroup       *byod_bindings;
  GSignalGroup        *byod_signals;
  GSignalGroup        *preflight_signals;
  CairnContentMover   *mover;          /* (nullable) the move shown, kept once done */
  GSignalGroup        *mover_signals;
  GSignalGroup        *sync_signals;   /* the connection's sync client */
  CairnCheckRow       *check_rows[CAIRN_PREFLIGHT_N_STEPS];
  GtkWidget           *install_button;  /* in the functions' step */
  GtkWidget           *update_button;   /* in the schema's step */
  gboolean             filling_in;     /* the page, not the user, sets the URL */
  gboolean             url_edited;

  AdwActionRow        *location_row;
  GtkImage            *location_icon;
  AdwActionRow        *status_row;
  GtkLabel            *status_label;
  AdwActionRow        *schema_row;
  GtkLabel            *schema_label;
  AdwActionRow        *checked_row;
  GtkLabel            *checked_label;
  AdwActionRow        *live_row;
  GtkLabel            *live_label;
  AdwEntryRow         *url_row;
  AdwEntryRow         *key_row;
  GtkWidget           *disconnect_button;
  GtkSpinner          *spinner;
  GtkWidget           *test_button;
  GtkWidget           *save_button;
  AdwPreferencesGroup *error_group;
  CairnCheckRow       *error_row;
  AdwPreferencesGroup *checks_group;
  AdwPreferencesGroup *move_group;
  GtkLabel            *move_title;
  GtkLabel            *move_label;
  GtkProgressBar      *move_bar;
  GtkLabel            *move_error_label;
  GtkWidget           *resume_button;
  AdwPreferencesGroup *update_group;
  CairnUpdateStatus   *update_status;
  AdwPreferencesGroup *history_group;
  GtkListBox          *history_list;
};

G_DEFINE_FINAL_TYPE (CairnDatabasePage, cairn_database_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_BYOD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers ------------------------------------------------------------------ */

static void
add_toast (CairnDatabasePage *self,
           const char        *title)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);
  g_autofree char *markup = NULL;
  AdwToast *toast;

  if (window == NULL)
    return;

  /* a toast's title is markup; messages are plain text */
  markup = g_markup_escape_text (title, -1);
  toast = adw_toast_new (markup);
  adw_toast_set_timeout (toast, 8);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), toast);
}

/* Scrolls the page so that @widget shows, once it has its size: results
 * that appear below the fold of a small window would go unnoticed. */
static gboolean
reveal_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  guint *frames = user_data;
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;
  GtkWidget *child;
  graphene_rect_t bounds;
  double bottom;

  /* the frame after a change is laid out with the sizes before it */
  if (++*frames < 2)
    return G_SOURCE_CONTINUE;

  if (scrolled == NULL)
    return G_SOURCE_REMOVE;

  /* where @widget is in what scrolls, not in the part of it shown now */
  child = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));
  if (GTK_IS_VIEWPORT (child))
    child = gtk_viewport_get_child (GTK_VIEWPORT (child));
  if (child == NULL || !gtk_widget_compute_bounds (widget, child, &bounds))
    return G_SOURCE_REMOVE;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  bottom = bounds.origin.y + bounds.size.height + REVEAL_MARGIN;
  gtk_adjustment_clamp_page (adjustment, bounds.origin.y, bottom);

  /* the scrolled area may take its new size a few frames later still */
  return gtk_adjustment_get_upper (adjustment) < bottom && *frames < REVEAL_MAX_FRAMES
         ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
reveal (GtkWidget *widget)
{
  gtk_widget_add_tick_callback (widget, reveal_tick_cb, g_new0 (guint, 1), g_free);
}

static const char *
entered_url (CairnDatabasePage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->url_row));
}

/* (transfer none): the key as entered; read it when needed, keep nothing */
static const char *
entered_key (CairnDatabasePage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->key_row));
}

static gboolean
byod_on (CairnDatabasePage *self)
{
  return cairn_byod_get_enabled (self->byod) || cairn_byod_get_config (self->byod)->enabled;
}

/* Where content lives ------------------------------------------------------ */

static void
update_location (CairnDatabasePage     *self,
                 const CairnByodConfig *config)
{
  const char *path = cairn_byod_get_local_path (self->byod);
  g_autofree char *subtitle = NULL;

  if (byod_on (self))
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->location_row), _("Your Convex Deployment"));
      gtk_image_set_from_icon_name (self->location_icon, "network-server-symbolic");
      subtitle = g_markup_escape_text (config->deployment_url, -1);
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->location_row), _("This Computer"));
      gtk_image_set_from_icon_name (self->location_icon, "computer-symbolic");
      subtitle = path != NULL ? g_markup_escape_text (path, -1) : g_strdup (_("An embedded database"));
    }

  adw_action_row_set_subtitle (self->location_row, subtitle);
}

static void
update_connection (CairnDatabasePage     *self,
                   const CairnByodConfig *config)
{
  GtkWidget *status = GTK_WIDGET (self->status_label);
  g_autofree char *error = NULL;
  g_autofree char *schema = NULL;
  g_autofree char *checked = NULL;
  gboolean on = byod_on (self);

  gtk_widget_remove_css_class (status, "success");
  gtk_widget_remove_css_class (status, "error");
  gtk_widget_remove_css_class (status, "dim-label");

  if (g_strcmp0 (config->status, CAIRN_BYOD_STATUS_CONNECTED) == 0)
    {
      gtk_label_set_text (self->status_label, _("Connected"));
      gtk_widget_add_css_class (status, "success");
    }
  else if (g_strcmp0 (config->status, CAIRN_BYOD_STATUS_ERROR) == 0)
    {
      gtk_label_set_text (self->status_label, _("Error"));
      gtk_widget_add_css_class (status, "error");
      error = g_markup_escape_text (config->last_error, -1);
    }
  else
    {
      gtk_label_set_text (self->status_label, _("Not Checked Yet"));
      gtk_widget_add_css_class (status, "dim-label");
    }
  adw_action_row_set_subtitle (self->status_row, error != NULL ? error : "");

  schema = config->schema_version > 0 ? g_strdup_printf ("%d", config->schema_version) : g_strdup (_("Unknown"));
  gtk_label_set_text (self->schema_label, schema);

  checked = config->last_success > 0 ? cairn_date_format_time (config->last_success, NULL) : g_strdup (_("Never"));
  gtk_label_set_text (self->checked_label, checked);

  gtk_widget_set_visible (GTK_WIDGET (self->status_row), on);
  gtk_widget_set_visible (GTK_WIDGET (self->schema_row), on);
  gtk_widget_set_visible (GTK_WIDGET (self->checked_row), on);
  gtk_widget_set_visible (self->disconnect_button, on);
  gtk_widget_set_visible (GTK_WIDGET (self->history_group), on);
}

/* Whether changes made on other computers show at once, and if not, why. */
static void
update_live (CairnDatabasePage *self)
{
  CairnSyncClient *sync = g_signal_group_dup_target (self->sync_signals);
  CairnSyncState state = sync != NULL ? cairn_sync_client_get_state (sync) : CAIRN_SYNC_IDLE;
  const GError *error = sync != NULL ? cairn_sync_client_get_error (sync) : NULL;
  GtkWidget *label = GTK_WIDGET (self->live_label);
  g_autofree char *subtitle = NULL;

  gtk_widget_remove_css_class (label, "success");
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "dim-label");

  switch (state)
    {
    case CAIRN_SYNC_LIVE:
      gtk_label_set_text (self->live_label, _("On"));
      gtk_widget_add_css_class (label, "success");
      subtitle = g_strdup (_("Changes made on your other computers appear at once."));
      break;
    case CAIRN_SYNC_REFUSED:
      gtk_label_set_text (self->live_label, _("Checking Every 3 Seconds"));
      gtk_widget_add_css_class (label, "warning");
      subtitle = g_strdup (_("This network refuses live connections (WebSockets) to your database, so Cairn "
                             "asks for changes every few seconds instead."));
      break;
    case CAIRN_SYNC_LOST:
      gtk_label_set_text (self->live_label, _("Reconnecting…"));
      gtk_widget_add_css_class (label, "warning");
      subtitle = error != NULL ? g_strdup (error->message) : NULL;
      break;
    case CAIRN_SYNC_CONNECTING:
      gtk_label_set_text (self->live_label, _("Connecting…"));
      gtk_widget_add_css_class (label, "dim-label");
      break;
    case CAIRN_SYNC_IDLE:
    default:
      gtk_label_set_text (self->live_label, _("Off"));
      gtk_widget_add_css_class (label, "dim-label");
      subtitle = g_strdup (_("Starts when a conversation from your database is shown."));
      break;
    }

  if (subtitle != NULL)
    {
      g_autofree char *markup = g_markup_escape_text (subtitle, -1);

      adw_action_row_set_subtitle (self->live_row, markup);
    }
  else
    adw_action_row_set_subtitle (self->live_row, "");

  /* shown while content lives on a deployment */
  gtk_widget_set_visible (GTK_WIDGET (self->live_row), sync != NULL);
  g_clear_object (&sync);
}

/* The sync client of the connection in use, when it changes. */
static void
update_sync_client (CairnDatabasePage *self)
{
  CairnConnection *connection = cairn_byod_get_connection (self->byod);

  g_signal_group_set_target (self->sync_signals, connection != NULL ? cairn_connection_get_sync (connection) : NULL);
  update_live (self);
}

static void
update_from_config (CairnDatabasePage *self)
{
  const CairnByodConfig *config = cairn_byod_get_config (self->byod);

  update_location (self, config);
  update_connection (self, config);

  /* the deployment last used, unless the user is typing another one */
  if (!self->url_edited)
    {
      self->filling_in = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->url_row), config->deployment_url);
      self->filling_in = FALSE;
    }
}

/* Why a switch did not work ------------------------------------------------- */

/* The title of the error group for a switch that failed, or NULL. */
static const char *
failure_title (CairnByodPhase failed)
{
  switch (failed)
    {
    case CAIRN_BYOD_SWITCHING_ON:
      return _("Could Not Switch to Your Database");
    case CAIRN_BYOD_SWITCHING_OFF:
      return _("Could Not Disconnect");
    case CAIRN_BYOD_IDLE:
    case CAIRN_BYOD_TESTING:
    case CAIRN_BYOD_CHECKING:
    case CAIRN_BYOD_COUNTING:
    case CAIRN_BYOD_MOVING:
    case CAIRN_BYOD_UPDATING:  /* said in the update's own row */
    default:
      return NULL;
    }
}

static void
update_error (CairnDatabasePage *self)
{
  const char *title = failure_title (cairn_byod_get_failed_phase (self->byod));

  gtk_widget_set_visible (GTK_WIDGET (self->error_group), title != NULL);
  if (title == NULL)
    return;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->error_row), title);
  cairn_check_row_set_message (self->error_row, cairn_byod_get_last_error (self->byod));
}

/* Test Connection ---------------------------------------------------------- */

static void
update_step (CairnDatabasePage *self,
             guint              step)
{
  CairnPreflight *preflight = cairn_byod_get_preflight (self->byod);

  g_return_if_fail (step < CAIRN_PREFLIGHT_N_STEPS);

  cairn_check_row_set_state (self->check_rows[step], cairn_preflight_get_state (preflight, step));
  cairn_check_row_set_message (self->check_rows[step], cairn_preflight_get_message (preflight, step));
}

/* Installing and updating the functions --------------------------------------- */

/* Shown while an update runs, and after one that failed, with why; one
 * that worked is said by a toast and the checks that pass. */
static void
update_update_group (CairnDatabasePage *self)
{
  gboolean shown = cairn_byod_get_updating (self->byod) || cairn_byod_get_update_error (self->byod) != NULL;

  gboolean appears = shown && !gtk_widget_get_visible (GTK_WIDGET (self->update_group));

  gtk_widget_set_visible (GTK_WIDGET (self->update_group), shown);
  if (appears)
    reveal (GTK_WIDGET (self->update_group));
}

static GtkWidget *
create_migration_row (gpointer item,
                      gpointer user_data)
{
  return cairn_migration_row_new (item);
}

/* Moving content ----------------------------------------------------------- */

static void
update_move (CairnDatabasePage *self)
{
  CairnContentMover *mover = self->mover;
  gboolean up, stopped;
  guint copied, total;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->move_group), mover != NULL);
  if (mover == NULL)
    return;

  up = cairn_content_mover_get_direction (mover) == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT;
  stopped = mover == cairn_byod_get_mover (self->byod) && cairn_byod_get_failed_phase (self->byod) == CAIRN_BYOD_MOVING;
  copied = cairn_content_mover_get_copied (mover);
  total = cairn_content_mover_get_total (mover);

  gtk_label_set_text (self->move_title, up ? _("Moving Your Conversations to Your Deployment")
                                           : _("Copying Your Conversations to This Computer"));

  switch (cairn_content_mover_get_phase (mover))
    {
    case CAIRN_CONTENT_MOVE_COUNTING:
      text = g_strdup (_("Counting…"));
      break;
    case CAIRN_CONTENT_MOVE_COPYING:
      /* Translators: progress of a move, in documents (conversations, messages, notes) */
      text = g_strdup_printf (up ? _("Moved %u of %u") : _("Copied %u of %u"), copied, total);
      break;
    case CAIRN_CONTENT_MOVE_VERIFYING:
      text = g_strdup (_("Checking that everything arrived…"));
      break;
    case CAIRN_CONTENT_MOVE_REMOVING:
      text = g_strdup (_("Removing the copies on this computer…"));
      break;
    case CAIRN_CONTENT_MOVE_DONE:
    default:
      gtk_label_set_text (self->move_title, up ? _("Your Conversations Moved to Your Deployment")
                                               : _("Your Conversations Copied to This Computer"));
      if (up)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Done: %u item moved", "Done: %u items moved", total),
                                total);
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Done: %u item copied", "Done: %u items copied", total),
                                total);
      break;
    }

  /* the move's own row says why, next to Resume */
  if (stopped)
    gtk_label_set_text (self->move_title, _("The Move Stopped"));
  gtk_label_set_text (self->move_error_label, stopped ? cairn_byod_get_last_error (self->byod) : "");
  gtk_widget_set_visible (GTK_WIDGET (self->move_error_label), stopped);
  gtk_widget_set_visible (self->resume_button, stopped);

  gtk_label_set_text (self->move_label, text);
  gtk_progress_bar_set_fraction (self->move_bar, cairn_content_mover_get_fraction (mover));
}

/* A new move shows; one that is done stays shown after CairnByod lets it go. */
static void
on_mover_changed (CairnDatabasePage *self)
{
  CairnContentMover *mover = cairn_byod_get_mover (self->byod);

  if (mover != NULL && g_set_object (&self->mover, mover))
    {
      g_signal_group_set_target (self->mover_signals, mover);
      reveal (GTK_WIDGET (self->move_group));
    }

  update_move (self);
}

/* What CairnByod does ------------------------------------------------------- */

static void
on_phase_changed (CairnDatabasePage *self)
{
  CairnByodPhase phase = cairn_byod_get_phase (self->byod);

  if (phase == CAIRN_BYOD_TESTING || phase == CAIRN_BYOD_CHECKING)
    gtk_widget_set_visible (GTK_WIDGET (self->checks_group), TRUE);
}

static void
on_failed_phase_changed (CairnDatabasePage *self)
{
  update_error (self);
  update_move (self);
}

static void
on_finished (CairnDatabasePage *self,
             guint              phase,
             const GError      *error)
{
  const char *title = failure_title (phase);

  if (error != NULL && title != NULL)
    {
      /* said in the page, and a toast points there */
      reveal (GTK_WIDGET (self->error_group));
      add_toast (self, title);
      return;
    }

  switch ((CairnByodPhase) phase)
    {
    case CAIRN_BYOD_TESTING:
      /* the rows of the steps say how it went */
      reveal (GTK_WIDGET (self->checks_group));
      break;

    case CAIRN_BYOD_CHECKING:
      reveal (GTK_WIDGET (self->checks_group));
      add_toast (self, _("Could not connect to your database"));
      break;

    case CAIRN_BYOD_SWITCHING_ON:
      /* what the checks said is history now; the status above tells the present */
      gtk_widget_set_visible (GTK_WIDGET (self->checks_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->update_group), FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
      self->url_edited = FALSE;
      update_from_config (self);
      cairn_byod_load_migration_history (self->byod);
      add_toast (self, _("Your content now lives in your Convex deployment"));
      break;

    case CAIRN_BYOD_MOVING:
      if (error != NULL)
        add_toast (self, _("The move stopped before the end"));
      else if (cairn_content_mover_get_direction (self->mover) == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT)
        add_toast (self, _("Your conversations are in your database now"));
      break;

    case CAIRN_BYOD_SWITCHING_OFF:
      gtk_widget_set_visible (GTK_WIDGET (self->checks_group), FALSE);
      add_toast (self, _("Your content is back on this computer"));
      break;

    case CAIRN_BYOD_UPDATING:
      /* why it did not work is said in the update's row; after it worked
       * the checks run again by themselves and go green */
      if (error != NULL)
        {
          reveal (GTK_WIDGET (self->update_group));
          add_toast (self, _("The update of your database did not work"));
        }
      else
        add_toast (self, _("Your database is up to date"));
      break;

    case CAIRN_BYOD_IDLE:
    case CAIRN_BYOD_COUNTING:
    default:
      break;
    }
}

static void
on_move_answer (AdwMessageDialog *dialog,
                const char       *response,
                CairnByod        *byod)
{
  if (g_str_equal (response, "move"))
    cairn_byod_move_local_content (byod);
}

static void
on_move_offered (CairnDatabasePage *self)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, _("Move Your Conversations to Your Database?"), NULL));
  adw_message_dialog_set_body (dialog,
                               _("This computer holds conversations. Move them to your deployment to keep "
                                 "working with them there. If you keep them here, Cairn starts with what "
                                 "your deployment holds: they stay on this computer, but are not shown "
                                 "while you use your own database."));
  adw_message_dialog_add_responses (dialog,
                                    "keep", _("_Keep Them Here"),
                                    "move", _("_Move"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "move", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "move");
  adw_message_dialog_set_close_response (dialog, "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_move_answer), self->byod, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

/* Buttons and entries ------------------------------------------------------ */

static void
on_test_clicked (CairnDatabasePage *self)
{
  cairn_byod_test_connection (self->byod, entered_url (self), entered_key (self));
}

static void
on_save_clicked (CairnDatabasePage *self)
{
  cairn_byod_save (self->byod, entered_url (self), entered_key (self));
}

static void
on_resume_clicked (CairnDatabasePage *self)
{
  cairn_byod_resume_move (self->byod);
}

/* Install or Update Cairn Functions: on the deployment that was checked. */
static void
on_install_clicked (CairnDatabasePage *self)
{
  cairn_byod_update_database (self->byod, entered_url (self), entered_key (self));
}

/* A button in a step of the checks that fixes what it found. */
static GtkWidget *
fix_button_new (CairnDatabasePage *self,
                const char        *label)
{
  /* a plain label: its text is the button's accessible name */
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_visible (button, FALSE);
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_install_clicked), self, G_CONNECT_SWAPPED);

  return button;
}

static void
on_disconnect_answer (AdwMessageDialog *dialog,
                      const char       *response,
                      CairnByod        *byod)
{
  if (g_str_equal (response, "copy"))
    cairn_byod_disconnect (byod, TRUE);
  else if (g_str_equal (response, "disconnect"))
    cairn_byod_disconnect (byod, FALSE);
}

static void
on_disconnect_clicked (CairnDatabasePage *self)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, _("Disconnect from Your Database?"), NULL));
  adw_message_dialog_set_body (dialog,
                               _("Cairn will keep your content on this computer again, and the deploy key "
                                 "is removed from the keyring. What is on your deployment stays there. "
                                 "Copy it to this computer first to keep working with it here."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "disconnect", _("_Disconnect Only"),
                                    "copy", _("C_opy and Disconnect"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "disconnect", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "copy", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_disconnect_answer), self->byod, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_entry_changed (CairnDatabasePage *self,
                  GtkEditable       *editable)
{
  if (!self->filling_in && editable == GTK_EDITABLE (self->url_row))
    self->url_edited = TRUE;
}

/* Following a CairnByod ----------------------------------------------------- */

/* Everything shown, as @byod has it now. */
static void
sync_with_byod (CairnDatabasePage *self)
{
  g_clear_object (&self->mover);
  g_signal_group_set_target (self->mover_signals, NULL);
  self->url_edited = FALSE;

  if (self->byod == NULL)
    return;

  update_from_config (self);
  update_error (self);
  for (guint step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    update_step (self, step);
  on_phase_changed (self);
  on_mover_changed (self);
  update_update_group (self);
  if (byod_on (self))
    cairn_byod_load_migration_history (self->byod);
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_database_page_dispose (GObject *object)
{
  CairnDatabasePage *self = CAIRN_DATABASE_PAGE (object);

  g_binding_group_set_source (self->byod_bindings, NULL);
  g_signal_group_set_target (self->byod_signals, NULL);
  g_signal_group_set_target (self->preflight_signals, NULL);
  g_signal_group_set_target (self->mover_signals, NULL);
  g_signal_group_set_target (self->sync_signals, NULL);
  g_clear_object (&self->byod);
  g_clear_object (&self->mover);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_DATABASE_PAGE);

  G_OBJECT_CLASS (cairn_database_page_parent_class)->dispose (object);
}

static void
cairn_database_page_finalize (GObject *object)
{
  CairnDatabasePage *self = CAIRN_DATABASE_PAGE (object);

  g_object_unref (self->byod_bindings);
  g_object_unref (self->byod_signals);
  g_object_unref (self->preflight_signals);
  g_object_unref (self->mover_signals);
  g_object_unref (self->sync_signals);

  G_OBJECT_CLASS (cairn_database_page_parent_class)->finalize (object);
}

static void
cairn_database_page_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnDatabasePage *self = CAIRN_DATABASE_PAGE (object);

  switch (prop_id)
    {
    case PROP_BYOD:
      g_value_set_object (value, self->byod);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_database_page_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CairnDatabasePage *self = CAIRN_DATABASE_PAGE (object);

  switch (prop_id)
    {
    case PROP_BYOD:
      cairn_database_page_set_byod (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_database_page_class_init (CairnDatabasePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_database_page_dispose;
  object_class->finalize = cairn_database_page_finalize;
  object_class->get_property = cairn_database_page_get_property;
  object_class->set_property = cairn_database_page_set_property;

  /* what is shown, and what the buttons ask */
  properties[PROP_BYOD] =
    g_param_spec_object ("byod", NULL, NULL,
                         CAIRN_TYPE_BYOD,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CAIRN_TYPE_CHECK_ROW);
  g_type_ensure (CAIRN_TYPE_UPDATE_STATUS);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-database-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, location_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, location_icon);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, status_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, status_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, schema_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, schema_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, checked_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, live_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, live_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, checked_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, url_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, key_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, disconnect_button);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, test_button);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, save_button);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, error_group);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, error_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, checks_group);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, move_group);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, move_title);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, move_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, move_bar);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, move_error_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, resume_button);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, update_group);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, update_status);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, history_group);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, history_list);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_test_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_disconnect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resume_clicked);
}

/* While CairnByod is busy, nothing else can be asked; a spinner says it works. */
static void
bind_busy (CairnDatabasePage *self)
{
  GtkWidget *controls[] = {
    GTK_WIDGET (self->url_row), GTK_WIDGET (self->key_row), self->test_button,
    self->save_button, self->disconnect_button, self->resume_button,
    self->install_button, self->update_button,
  };

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    g_binding_group_bind (self->byod_bindings, "busy", controls[i], "sensitive",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  g_binding_group_bind (self->byod_bindings, "busy", self->spinner, "visible", G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->byod_bindings, "busy", self->spinner, "spinning", G_BINDING_SYNC_CREATE);
}

static void
cairn_database_page_init (CairnDatabasePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    {
      self->check_rows[step] = CAIRN_CHECK_ROW (cairn_check_row_new (cairn_preflight_step_title (step)));
      adw_preferences_group_add (self->checks_group, GTK_WIDGET (self->check_rows[step]));
    }

  /* missing functions fail the functions' step, older ones (or data to
   * migrate) the schema's: each offers its fix */
  self->install_button = fix_button_new (self, _("Install Cairn Functions"));
  cairn_check_row_add_action (self->check_rows[CAIRN_PREFLIGHT_STEP_FUNCTIONS], self->install_button);
  self->update_button = fix_button_new (self, _("Update Cairn Functions"));
  cairn_check_row_add_action (self->check_rows[CAIRN_PREFLIGHT_STEP_SCHEMA], self->update_button);

  gtk_list_box_set_placeholder (self->history_list,
                                g_object_new (GTK_TYPE_LABEL,
                                              "label", _("No updates yet: the data on your deployment has "
                                                         "needed none."),
                                              "wrap", TRUE,
                                              "margin-top", 12, "margin-bottom", 12,
                                              "margin-start", 12, "margin-end", 12,
                                              "css-classes", (const char *[]) { "dim-label", NULL },
                                              NULL));

  self->byod_bindings = g_binding_group_new ();
  bind_busy (self);
  g_binding_group_bind (self->byod_bindings, "can-install", self->install_button, "visible", G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->byod_bindings, "can-update", self->update_button, "visible", G_BINDING_SYNC_CREATE);

  self->byod_signals = g_signal_group_new (CAIRN_TYPE_BYOD);
  g_signal_group_connect_swapped (self->byod_signals, "notify::config", G_CALLBACK (update_from_config), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::enabled", G_CALLBACK (update_from_config), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::phase", G_CALLBACK (on_phase_changed), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::failed-phase",
                                  G_CALLBACK (on_failed_phase_changed), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::mover", G_CALLBACK (on_mover_changed), self);
  g_signal_group_connect_swapped (self->byod_signals, "finished", G_CALLBACK (on_finished), self);
  g_signal_group_connect_swapped (self->byod_signals, "move-offered", G_CALLBACK (on_move_offered), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::updating", G_CALLBACK (update_update_group), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-stage", G_CALLBACK (update_update_group), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-error", G_CALLBACK (update_update_group), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::user-store", G_CALLBACK (update_sync_client), self);

  self->sync_signals = g_signal_group_new (CAIRN_TYPE_SYNC_CLIENT);
  g_signal_group_connect_swapped (self->sync_signals, "notify::state", G_CALLBACK (update_live), self);

  self->preflight_signals = g_signal_group_new (CAIRN_TYPE_PREFLIGHT);
  g_signal_group_connect_swapped (self->preflight_signals, "step-changed", G_CALLBACK (update_step), self);

  self->mover_signals = g_signal_group_new (CAIRN_TYPE_CONTENT_MOVER);
  g_signal_group_connect_swapped (self->mover_signals, "notify", G_CALLBACK (update_move), self);
}

/* Public API --------------------------------------------------------------- */

GtkWidget *
cairn_database_page_new (CairnByod *byod)
{
  g_return_val_if_fail (byod == NULL || CAIRN_IS_BYOD (byod), NULL);

  return g_object_new (CAIRN_TYPE_DATABASE_PAGE, "byod", byod, NULL);
}

CairnByod *
cairn_database_page_get_byod (CairnDatabasePage *self)
{
  g_return_val_if_fail (CAIRN_IS_DATABASE_PAGE (self), NULL);

  return self->byod;
}

void
cairn_database_page_set_byod (CairnDatabasePage *self,
                              CairnByod         *byod)
{
  g_return_if_fail (CAIRN_IS_DATABASE_PAGE (self));
  g_return_if_fail (byod == NULL || CAIRN_IS_BYOD (byod));

  if (!g_set_object (&self->byod, byod))
    return;

  g_binding_group_set_source (self->byod_bindings, byod);
  g_signal_group_set_target (self->byod_signals, byod);
  g_signal_group_set_target (self->preflight_signals, byod != NULL ? cairn_byod_get_preflight (byod) : NULL);
  cairn_update_status_set_byod (self->update_status, byod);
  gtk_list_box_bind_model (self->history_list, byod != NULL ? cairn_byod_get_migration_history (byod) : NULL,
                           create_migration_row, NULL, NULL);
  sync_with_byod (self);
  if (byod != NULL)
    update_sync_client (self);
  else
    g_signal_group_set_target (self->sync_signals, NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYOD]);
}
