/* cairn-update-status.c — how an update of the user's deployment goes: its stage, a bar, what went wrong
 *
 * Installing or updating the Cairn functions and migrating the data is
 * CairnByod's (cairn_byod_update_database()); this widget shows its
 * :update-* properties in words: the stage (uploading the functions,
 * checking the schema against the data, activating, waiting for another
 * computer, migrating), the runner's own line where it has one, the
 * progress, and once it failed, why. The Database page shows it in a row,
 * the connection overlay under its message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-update-status"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-byod.h"
#include "cairn-migrator.h"
#include "cairn-update-status.h"

struct _CairnUpdateStatus
{
  GtkWidget       parent_instance;

  CairnByod      *byod;
  GSignalGroup   *byod_signals;

  GtkLabel       *stage_label;
  GtkLabel       *detail_label;
  GtkProgressBar *bar;
  GtkLabel       *error_label;
};

G_DEFINE_FINAL_TYPE (CairnUpdateStatus, cairn_update_status, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_BYOD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What the push is doing, in the words of the Database page. */
static const char *
push_stage_text (CairnPushStage stage)
{
  switch (stage)
    {
    case CAIRN_PUSH_STAGE_UPLOADING:
      return _("Uploading the functions…");
    case CAIRN_PUSH_STAGE_CHECKING_SCHEMA:
      return _("Checking the schema against your data…");
    case CAIRN_PUSH_STAGE_ACTIVATING:
    case CAIRN_PUSH_STAGE_DONE:  /* until the runner moves on */
      return _("Activating the new functions…");
    case CAIRN_PUSH_STAGE_IDLE:
    case CAIRN_PUSH_STAGE_FAILED:
    default:
      return _("Installing the functions…");
    }
}

static const char *
stage_text (CairnByod *byod)
{
  switch (cairn_byod_get_update_stage (byod))
    {
    case CAIRN_MIGRATOR_INSTALLING:
      return push_stage_text (cairn_byod_get_update_push_stage (byod));
    case CAIRN_MIGRATOR_WAITING_FOR_LEASE:
      return _("Waiting for another computer…");
    case CAIRN_MIGRATOR_MIGRATING:
      return _("Migrating your data…");
    case CAIRN_MIGRATOR_DONE:
      return _("Your database is up to date");
    case CAIRN_MIGRATOR_FAILED:
      return _("The update did not work");
    case CAIRN_MIGRATOR_IDLE:
    case CAIRN_MIGRATOR_CHECKING:
    default:
      return _("Checking your database…");
    }
}

/* The runner's own line says who holds the lease, or how far a migration
 * is; the other stages say all in their name. */
static const char *
detail_text (CairnByod *byod)
{
  switch (cairn_byod_get_update_stage (byod))
    {
    case CAIRN_MIGRATOR_WAITING_FOR_LEASE:
    case CAIRN_MIGRATOR_MIGRATING:
      return cairn_byod_get_update_message (byod);
    case CAIRN_MIGRATOR_IDLE:
    case CAIRN_MIGRATOR_CHECKING:
    case CAIRN_MIGRATOR_INSTALLING:
    case CAIRN_MIGRATOR_DONE:
    case CAIRN_MIGRATOR_FAILED:
    default:
      return NULL;
    }
}

static void
set_label_shown (GtkLabel   *label,
                 const char *text)
{
  gboolean shown = text != NULL && *text != '\0';

  gtk_widget_set_visible (GTK_WIDGET (label), shown);
  gtk_label_set_text (label, shown ? text : "");
}

static void
update (CairnUpdateStatus *self)
{
  gboolean failed;

  if (self->byod == NULL)
    return;

  failed = !cairn_byod_get_updating (self->byod) && cairn_byod_get_update_error (self->byod) != NULL;

  gtk_label_set_text (self->stage_label, failed ? _("The update did not work") : stage_text (self->byod));
  set_label_shown (self->detail_label, failed ? NULL : detail_text (self->byod));
  set_label_shown (self->error_label, failed ? cairn_byod_get_update_error (self->byod) : NULL);
  /* once done, the words say it all */
  gtk_widget_set_visible (GTK_WIDGET (self->bar),
                          !failed && cairn_byod_get_update_stage (self->byod) != CAIRN_MIGRATOR_DONE);
  gtk_progress_bar_set_fraction (self->bar, cairn_byod_get_update_fraction (self->byod));
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_BUSY,
                               cairn_byod_get_updating (self->byod), -1);
}

/* GObject */

static void
cairn_update_status_dispose (GObject *object)
{
  CairnUpdateStatus *self = CAIRN_UPDATE_STATUS (object);

  g_signal_group_set_target (self->byod_signals, NULL);
  g_clear_object (&self->byod);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_UPDATE_STATUS);

  G_OBJECT_CLASS (cairn_update_status_parent_class)->dispose (object);
}

static void
cairn_update_status_finalize (GObject *object)
{
  CairnUpdateStatus *self = CAIRN_UPDATE_STATUS (object);

  g_object_unref (self->byod_signals);

  G_OBJECT_CLASS (cairn_update_status_parent_class)->finalize (object);
}

static void
cairn_update_status_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnUpdateStatus *self = CAIRN_UPDATE_STATUS (object);

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
cairn_update_status_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CairnUpdateStatus *self = CAIRN_UPDATE_STATUS (object);

  switch (prop_id)
    {
    case PROP_BYOD:
      cairn_update_status_set_byod (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_update_status_class_init (CairnUpdateStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_update_status_dispose;
  object_class->finalize = cairn_update_status_finalize;
  object_class->get_property = cairn_update_status_get_property;
  object_class->set_property = cairn_update_status_set_property;

  /* whose update is shown */
  properties[PROP_BYOD] =
    g_param_spec_object ("byod", NULL, NULL,
                         CAIRN_TYPE_BYOD,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-update-status.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnUpdateStatus, stage_label);
  gtk_widget_class_bind_template_child (widget_class, CairnUpdateStatus, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CairnUpdateStatus, bar);
  gtk_widget_class_bind_template_child (widget_class, CairnUpdateStatus, error_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "cairn-update-status");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cairn_update_status_init (CairnUpdateStatus *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);

  self->byod_signals = g_signal_group_new (CAIRN_TYPE_BYOD);
  g_signal_group_connect_swapped (self->byod_signals, "notify::updating", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-stage", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-push-stage", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-message", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-fraction", G_CALLBACK (update), self);
  g_signal_group_connect_swapped (self->byod_signals, "notify::update-error", G_CALLBACK (update), self);
}

/* Public API */

GtkWidget *
cairn_update_status_new (CairnByod *byod)
{
  g_return_val_if_fail (byod == NULL || CAIRN_IS_BYOD (byod), NULL);

  return g_object_new (CAIRN_TYPE_UPDATE_STATUS, "byod", byod, NULL);
}

CairnByod *
cairn_update_status_get_byod (CairnUpdateStatus *self)
{
  g_return_val_if_fail (CAIRN_IS_UPDATE_STATUS (self), NULL);

  return self->byod;
}

void
cairn_update_status_set_byod (CairnUpdateStatus *self,
                              CairnByod         *byod)
{
  g_return_if_fail (CAIRN_IS_UPDATE_STATUS (self));
  g_return_if_fail (byod == NULL || CAIRN_IS_BYOD (byod));

  if (!g_set_object (&self->byod, byod))
    return;

  g_signal_group_set_target (self->byod_signals, byod);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYOD]);
}
