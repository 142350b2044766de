/* cairn-database-page.c — Preferences: where content lives, and Bring Your Own Database
 *
 * The page shows where content lives now and lets the user switch it to
 * their own Convex deployment and back:
 *
 *   Test Connection  runs a CairnPreflight on the URL and key as entered and
 *                    shows each of its steps as a row
 *   Save             checks again unless the last check passed for exactly
 *                    these values, then switches the workspace over; when
 *                    this computer holds conversations, asks whether they
 *                    move to the deployment (CairnContentMover)
 *   Disconnect       switches back, after copying the deployment's content
 *                    to this computer if the user wants
 *
 * Every such operation holds the page busy while it lives (an Op). Switching
 * and moving run to their end even when the window closes: stopping half way
 * would leave the user wondering where their content is. Checks stop.
 *
 * The deploy key is read from its entry when it is needed and never kept:
 * to tell whether the last check was for the same key, the page keeps a
 * keyed digest of it (HMAC with a random per-page salt), never the key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-database-page"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-check-row.h"
#include "cairn-database-page.h"
#include "cairn-date.h"
#include "cairn-local-store.h"
#include "cairn-preflight.h"

/* Room left below what is scrolled into view, as below a page's last group. */
#define REVEAL_MARGIN 24.0

struct _CairnDatabasePage
{
  AdwPreferencesPage   parent_instance;

  CairnWorkspace      *workspace;
  GCancellable        *cancellable;    /* checks; cancelled on dispose */
  CairnPreflight      *preflight;
  CairnCheckRow       *check_rows[CAIRN_PREFLIGHT_N_STEPS];
  CairnContentMover   *mover;          /* (nullable) the move shown */
  CairnContentMoveDirection move_direction;
  gboolean             disconnect_after_move;
  guint                busy;           /* operations under way */
  gboolean             disposed;
  gboolean             filling_in;     /* the page, not the user, sets the URL */
  gboolean             url_edited;

  /* What the last check that passed was for: the key only as a digest. */
  char                *passed_url;
  char                *passed_key_digest;
  JsonObject          *passed_ping;
  guint8               salt[32];

  AdwActionRow        *location_row;
  GtkImage            *location_icon;
  AdwActionRow        *status_row;
  GtkLabel            *status_label;
  AdwActionRow        *schema_row;
  GtkLabel            *schema_label;
  AdwActionRow        *checked_row;
  GtkLabel            *checked_label;
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
};

G_DEFINE_FINAL_TYPE (CairnDatabasePage, cairn_database_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_WORKSPACE,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Operations --------------------------------------------------------------- */

/* One thing the page does (a check, a switch, a move); the page is busy
 * while any is alive. */
typedef struct {
  CairnDatabasePage *page;
  CairnWorkspace    *workspace;
  char              *url;
  char              *key_digest;
  JsonObject        *ping;
  gboolean           was_enabled;
} Op;

static void update_sensitivity (CairnDatabasePage *self);

static Op *
op_new (CairnDatabasePage *self)
{
  Op *op = g_new0 (Op, 1);

  op->page = g_object_ref (self);
  op->workspace = g_object_ref (self->workspace);

  if (self->busy++ == 0)
    {
      update_sensitivity (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }

  return op;
}

static void
op_free (Op *op)
{
  CairnDatabasePage *self = op->page;

  if (--self->busy == 0)
    {
      update_sensitivity (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }

  g_clear_object (&op->page);
  g_clear_object (&op->workspace);
  g_free (op->url);
  g_free (op->key_digest);
  g_clear_pointer (&op->ping, json_object_unref);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

/* Helpers ------------------------------------------------------------------ */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static char *
key_digest (CairnDatabasePage *self,
            const char        *key)
{
  return g_compute_hmac_for_data (G_CHECKSUM_SHA256, self->salt, sizeof self->salt,
                                  (const guchar *) key, strlen (key));
}

/* The URL as entered, without the spaces a paste brings along. */
static char *
entered_url (CairnDatabasePage *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
}

/* (transfer none): the key as entered; read it when needed, keep nothing */
static const char *
entered_key (CairnDatabasePage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->key_row));
}

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
  GtkWidget *child;
  graphene_rect_t bounds;

  /* the frame after a change is laid out with the sizes before it */
  if (++*frames < 2)
    return G_SOURCE_CONTINUE;

  if (scrolled == NULL)
    return G_SOURCE_REMOVE;

  child = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));
  if (child != NULL && gtk_widget_compute_bounds (widget, child, &bounds))
    gtk_adjustment_clamp_page (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)),
                               bounds.origin.y, bounds.origin.y + bounds.size.height + REVEAL_MARGIN);

  return G_SOURCE_REMOVE;
}

static void
reveal (GtkWidget *widget)
{
  gtk_widget_add_tick_callback (widget, reveal_tick_cb, g_new0 (guint, 1), g_free);
}

/* Says in the page why something did not work; a toast points there. */
static void
show_error (CairnDatabasePage *self,
            const char        *title,
            const char        *message)
{
  if (self->disposed)
    return;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->error_row), title);
  cairn_check_row_set_message (self->error_row, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_group), TRUE);
  reveal (GTK_WIDGET (self->error_group));
  add_toast (self, title);
}

static void
clear_error (CairnDatabasePage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->error_group), FALSE);
}

static gboolean
byod_on (CairnDatabasePage *self)
{
  return cairn_workspace_get_byod_enabled (self->workspace)
         || cairn_workspace_get_byod_config (self->workspace)->enabled;
}

static void
update_sensitivity (CairnDatabasePage *self)
{
  gboolean idle = self->busy == 0;

  if (self->disposed)
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self->url_row), idle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_row), idle);
  gtk_widget_set_sensitive (self->test_button, idle);
  gtk_widget_set_sensitive (self->save_button, idle);
  gtk_widget_set_sensitive (self->disconnect_button, idle);
  gtk_widget_set_sensitive (self->resume_button, idle);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), !idle);
  gtk_spinner_set_spinning (self->spinner, !idle);
}

/* Where content lives ------------------------------------------------------ */

static void
update_location (CairnDatabasePage     *self,
                 const CairnByodConfig *config)
{
  CairnStore *store = cairn_workspace_get_main_store (self->workspace);
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
      if (CAIRN_IS_LOCAL_STORE (store))
        subtitle = g_markup_escape_text (cairn_local_store_get_path (CAIRN_LOCAL_STORE (store)), -1);
      else
        subtitle = g_strdup (_("An embedded database"));
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
}

static void
update_from_config (CairnDatabasePage *self)
{
  const CairnByodConfig *config;

  if (self->workspace == NULL || self->disposed)
    return;

  config = cairn_workspace_get_byod_config (self->workspace);
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

/* Test Connection ---------------------------------------------------------- */

static void
on_step_changed (CairnDatabasePage *self,
                 guint              step)
{
  g_return_if_fail (step < CAIRN_PREFLIGHT_N_STEPS);

  if (self->disposed)
    return;

  cairn_check_row_set_state (self->check_rows[step], cairn_preflight_get_state (self->preflight, step));
  cairn_check_row_set_message (self->check_rows[step], cairn_preflight_get_message (self->preflight, step));
}

static void
forget_pass (CairnDatabasePage *self)
{
  g_clear_pointer (&self->passed_url, g_free);
  g_clear_pointer (&self->passed_key_digest, g_free);
  g_clear_pointer (&self->passed_ping, json_object_unref);
}

static void
remember_pass (CairnDatabasePage *self,
               Op                *op)
{
  forget_pass (self);
  self->passed_url = g_strdup (op->url);
  self->passed_key_digest = g_strdup (op->key_digest);
  self->passed_ping = json_object_ref (op->ping);
}

static gboolean
passed_for (CairnDatabasePage *self,
            Op                *op)
{
  return self->passed_ping != NULL
         && g_strcmp0 (self->passed_url, op->url) == 0
         && g_strcmp0 (self->passed_key_digest, op->key_digest) == 0;
}

/* An operation on what is entered now. */
static Op *
op_for_entries (CairnDatabasePage *self)
{
  Op *op = op_new (self);

  op->url = entered_url (self);
  op->key_digest = key_digest (self, entered_key (self));
  op->was_enabled = byod_on (self);

  return op;
}

static void
run_preflight (CairnDatabasePage   *self,
               Op                  *op,
               GAsyncReadyCallback  callback)
{
  clear_error (self);
  gtk_widget_set_visible (GTK_WIDGET (self->checks_group), TRUE);

  cairn_preflight_run_async (self->preflight, op->url, entered_key (self), self->cancellable,
                             callback, op);
}

/* The preflight's answer; FALSE when it failed or was cancelled. */
static gboolean
finish_preflight (Op           *op,
                  GAsyncResult *result,
                  GError      **error)
{
  CairnDatabasePage *self = op->page;

  op->ping = cairn_preflight_run_finish (self->preflight, result, error);
  if (op->ping == NULL)
    return FALSE;

  remember_pass (self, op);
  return TRUE;
}

static void
test_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  /* the rows of the steps say how it went */
  if ((finish_preflight (op, result, &error) || !is_cancelled (error)) && !op->page->disposed)
    reveal (GTK_WIDGET (op->page->checks_group));
}

static void
on_test_clicked (CairnDatabasePage *self)
{
  run_preflight (self, op_for_entries (self), test_done_cb);
}

/* Save: switch on, then maybe move -------------------------------------- */

static void start_move (CairnDatabasePage         *self,
                        CairnContentMoveDirection  direction,
                        gboolean                   disconnect_after);

static void
on_move_answer (AdwMessageDialog  *dialog,
                const char        *response,
                CairnDatabasePage *self)
{
  if (g_str_equal (response, "move") && !self->disposed)
    start_move (self, CAIRN_CONTENT_MOVE_TO_DEPLOYMENT, FALSE);
}

static void
ask_to_move (CairnDatabasePage *self)
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
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_move_answer), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
local_content_counted_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(CairnPage) page = NULL;
  g_autoptr(GError) error = NULL;

  page = cairn_store_list_finish (CAIRN_STORE (object), result, &error);
  if (page == NULL)
    {
      /* nothing is lost: the content stays where it is */
      g_warning ("Could not tell whether this computer holds conversations: %s", error->message);
      return;
    }

  if (page->documents->len > 0 && !op->page->disposed)
    ask_to_move (op->page);
}

/* Conversations on this computer that the deployment does not show? */
static void
count_local_content (Op *op)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("conversations", "by_clientId");
  CairnStore *main_store = cairn_workspace_get_main_store (op->workspace);

  cairn_query_set_page_size (query, 1);
  cairn_store_list_async (main_store, query, NULL, local_content_counted_cb, op);
}

static void
enable_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  CairnDatabasePage *self = op->page;

  if (!cairn_workspace_enable_byod_finish (CAIRN_WORKSPACE (object), result, &error))
    {
      show_error (self, _("Could Not Switch to Your Database"), error->message);
      return;
    }

  if (!self->disposed)
    {
      /* what the checks said is history now; the status above tells the present */
      gtk_widget_set_visible (GTK_WIDGET (self->checks_group), FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
      self->url_edited = FALSE;
      update_from_config (self);
      add_toast (self, _("Your content now lives in your Convex deployment"));
    }

  if (!op->was_enabled)
    count_local_content (g_steal_pointer (&op));
}

static void
enable (Op *op)
{
  CairnDatabasePage *self = op->page;
  const char *key;
  g_autofree char *digest = NULL;

  /* the key is only in its entry: gone with the window */
  if (self->disposed)
    {
      op_free (op);
      return;
    }

  key = entered_key (self);
  digest = key_digest (self, key);

  /* the entries cannot change while the page is busy; make sure */
  if (g_strcmp0 (digest, op->key_digest) != 0)
    {
      g_critical ("The deploy key changed while it was being checked");
      op_free (op);
      return;
    }

  clear_error (self);
  cairn_workspace_enable_byod_async (op->workspace, op->url, key, op->ping,
                                     NULL, enable_cb, op);
}

static void
save_checked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  /* the row of the step that failed says why; nothing else changes */
  if (!finish_preflight (op, result, &error))
    {
      if (!is_cancelled (error) && !op->page->disposed)
        {
          reveal (GTK_WIDGET (op->page->checks_group));
          add_toast (op->page, _("Could not connect to your database"));
        }
      return;
    }

  enable (g_steal_pointer (&op));
}

static void
on_save_clicked (CairnDatabasePage *self)
{
  Op *op = op_for_entries (self);

  if (passed_for (self, op))
    {
      op->ping = json_object_ref (self->passed_ping);
      enable (op);
      return;
    }

  run_preflight (self, op, save_checked_cb);
}

/* Moving content ----------------------------------------------------------- */

static void
update_move (CairnDatabasePage *self)
{
  CairnContentMover *mover = self->mover;
  gboolean up = self->move_direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT;
  guint copied, total;
  g_autofree char *text = NULL;

  if (mover == NULL || self->disposed)
    return;

  copied = cairn_content_mover_get_copied (mover);
  total = cairn_content_mover_get_total (mover);

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

  gtk_label_set_text (self->move_label, text);
  gtk_progress_bar_set_fraction (self->move_bar, cairn_content_mover_get_fraction (mover));
}

static void
disable_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  if (!cairn_workspace_disable_byod_finish (CAIRN_WORKSPACE (object), result, &error))
    {
      show_error (op->page, _("Could Not Disconnect"), error->message);
      return;
    }

  if (!op->page->disposed)
    gtk_widget_set_visible (GTK_WIDGET (op->page->checks_group), FALSE);

  add_toast (op->page, _("Your content is back on this computer"));
}

static void
disable (Op *op)
{
  clear_error (op->page);
  cairn_workspace_disable_byod_async (op->workspace, NULL, disable_cb, op);
}

static void
move_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  CairnDatabasePage *self = op->page;

  if (!cairn_content_mover_run_finish (CAIRN_CONTENT_MOVER (object), result, &error))
    {
      if (self->disposed)
        return;

      /* the move's own row says why, next to Resume */
      gtk_label_set_text (self->move_title, _("The Move Stopped"));
      gtk_label_set_text (self->move_error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->move_error_label), TRUE);
      gtk_widget_set_visible (self->resume_button, TRUE);
      add_toast (self, _("The move stopped before the end"));
      return;
    }

  /* a move to this computer was the first half of Disconnect */
  if (self->disconnect_after_move)
    {
      disable (g_steal_pointer (&op));
      return;
    }

  add_toast (self, _("Your conversations are in your database now"));
}

static void
run_move (CairnDatabasePage *self)
{
  Op *op = op_new (self);

  gtk_label_set_text (self->move_title,
                      self->move_direction == CAIRN_CONTENT_MOVE_TO_DEPLOYMENT
                      ? _("Moving Your Conversations to Your Deployment")
                      : _("Copying Your Conversations to This Computer"));
  gtk_widget_set_visible (GTK_WIDGET (self->move_error_label), FALSE);
  gtk_widget_set_visible (self->resume_button, FALSE);
  clear_error (self);
  update_move (self);

  /* not cancelled with the page: a move stopped half way must be resumed */
  cairn_content_mover_run_async (self->mover, NULL, move_cb, op);
}

static void
start_move (CairnDatabasePage         *self,
            CairnContentMoveDirection  direction,
            gboolean                   disconnect_after)
{
  if (self->mover != NULL)
    g_signal_handlers_disconnect_by_data (self->mover, self);
  g_clear_object (&self->mover);

  self->mover = cairn_workspace_new_content_mover (self->workspace, direction);
  self->move_direction = direction;
  self->disconnect_after_move = disconnect_after;
  g_signal_connect_object (self->mover, "notify", G_CALLBACK (update_move), self, G_CONNECT_SWAPPED);

  gtk_widget_set_visible (GTK_WIDGET (self->move_group), TRUE);
  reveal (GTK_WIDGET (self->move_group));

  run_move (self);
}

static void
on_resume_clicked (CairnDatabasePage *self)
{
  g_return_if_fail (self->mover != NULL);

  run_move (self);
}

/* Disconnect --------------------------------------------------------------- */

static void
on_disconnect_answer (AdwMessageDialog  *dialog,
                      const char        *response,
                      CairnDatabasePage *self)
{
  if (self->disposed)
    return;

  if (g_str_equal (response, "copy"))
    start_move (self, CAIRN_CONTENT_MOVE_TO_LOCAL, TRUE);
  else if (g_str_equal (response, "disconnect"))
    disable (op_new (self));
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
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_disconnect_answer), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

/* Entries ------------------------------------------------------------------ */

static void
on_entry_changed (CairnDatabasePage *self,
                  GtkEditable       *editable)
{
  if (!self->filling_in && editable == GTK_EDITABLE (self->url_row))
    self->url_edited = TRUE;
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_database_page_dispose (GObject *object)
{
  CairnDatabasePage *self = CAIRN_DATABASE_PAGE (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  cairn_database_page_set_workspace (self, NULL);
  if (self->mover != NULL)
    g_signal_handlers_disconnect_by_data (self->mover, self);
  g_clear_object (&self->mover);
  if (self->preflight != NULL)
    g_signal_handlers_disconnect_by_data (self->preflight, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_DATABASE_PAGE);

  G_OBJECT_CLASS (cairn_database_page_parent_class)->dispose (object);
}

static void
cairn_database_page_finalize (GObject *object)
{
  CairnDatabasePage *self = CAIRN_DATABASE_PAGE (object);

  forget_pass (self);
  g_clear_object (&self->preflight);
  g_clear_object (&self->cancellable);

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
    case PROP_WORKSPACE:
      g_value_set_object (value, self->workspace);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, self->busy > 0);
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
    case PROP_WORKSPACE:
      cairn_database_page_set_workspace (self, g_value_get_object (value));
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

  properties[PROP_WORKSPACE] =
    g_param_spec_object ("workspace", NULL, NULL,
                         CAIRN_TYPE_WORKSPACE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* a check, a switch or a move is under way */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CAIRN_TYPE_CHECK_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-database-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, location_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, location_icon);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, status_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, status_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, schema_row);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, schema_label);
  gtk_widget_class_bind_template_child (widget_class, CairnDatabasePage, checked_row);
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
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_test_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_disconnect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resume_clicked);
}

static void
cairn_database_page_init (CairnDatabasePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->preflight = cairn_preflight_new ();
  g_signal_connect_swapped (self->preflight, "step-changed", G_CALLBACK (on_step_changed), self);

  for (guint i = 0; i < G_N_ELEMENTS (self->salt); i++)
    self->salt[i] = (guint8) g_random_int_range (0, 256);

  for (guint step = 0; step < CAIRN_PREFLIGHT_N_STEPS; step++)
    {
      self->check_rows[step] = CAIRN_CHECK_ROW (cairn_check_row_new (cairn_preflight_step_title (step)));
      adw_preferences_group_add (self->checks_group, GTK_WIDGET (self->check_rows[step]));
    }

  update_sensitivity (self);
}

/* Public API --------------------------------------------------------------- */

GtkWidget *
cairn_database_page_new (CairnWorkspace *workspace)
{
  g_return_val_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace), NULL);

  return g_object_new (CAIRN_TYPE_DATABASE_PAGE, "workspace", workspace, NULL);
}

CairnWorkspace *
cairn_database_page_get_workspace (CairnDatabasePage *self)
{
  g_return_val_if_fail (CAIRN_IS_DATABASE_PAGE (self), NULL);

  return self->workspace;
}

void
cairn_database_page_set_workspace (CairnDatabasePage *self,
                                   CairnWorkspace    *workspace)
{
  g_return_if_fail (CAIRN_IS_DATABASE_PAGE (self));
  g_return_if_fail (workspace == NULL || CAIRN_IS_WORKSPACE (workspace));

  if (self->workspace == workspace)
    return;

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);

  g_set_object (&self->workspace, workspace);
  forget_pass (self);

  if (workspace != NULL)
    {
      g_signal_connect_object (workspace, "notify::byod-config",
                               G_CALLBACK (update_from_config), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (workspace, "notify::byod-enabled",
                               G_CALLBACK (update_from_config), self, G_CONNECT_SWAPPED);
      update_from_config (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKSPACE]);
}

/* A check, a switch or a move is under way. */
gboolean
cairn_database_page_get_busy (CairnDatabasePage *self)
{
  g_return_val_if_fail (CAIRN_IS_DATABASE_PAGE (self), FALSE);

  return self->busy > 0;
}
