/* cairn-migration-row.c — one data migration of the user's deployment, in Preferences' history
 *
 * Its name, what it does, its version, its status as an icon and in words
 * (when it completed), and for one that failed, the error the deployment
 * recorded: wrapped and selectable, to be read in full and copied.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-migration-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-date.h"
#include "cairn-migration-row.h"

struct _CairnMigrationRow
{
  AdwPreferencesRow     parent_instance;

  CairnMigrationRecord *record;

  GtkImage             *icon;
  GtkLabel             *description_label;
  GtkLabel             *detail_label;
  GtkLabel             *error_label;
};

G_DEFINE_FINAL_TYPE (CairnMigrationRow, cairn_migration_row, ADW_TYPE_PREFERENCES_ROW)

enum {
  PROP_0,
  PROP_RECORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  const char *icon_name;
  const char *style;
} StatusLook;

static const StatusLook *
status_look (CairnMigrationStatus status)
{
  static const StatusLook looks[] = {
    [CAIRN_MIGRATION_PENDING] = { "radio-symbolic", "dim-label" },
    [CAIRN_MIGRATION_RUNNING] = { "emblem-synchronizing-symbolic", "warning" },
    [CAIRN_MIGRATION_COMPLETED] = { "emblem-ok-symbolic", "success" },
    [CAIRN_MIGRATION_FAILED] = { "dialog-error-symbolic", "error" },
    [CAIRN_MIGRATION_SKIPPED] = { "action-unavailable-symbolic", "dim-label" },
  };

  g_return_val_if_fail (status < G_N_ELEMENTS (looks), &looks[0]);

  return &looks[status];
}

/* "Version 2 · Completed 14 March 2026, 10:02" */
static char *
detail_text (CairnMigrationRecord *record)
{
  int version = cairn_migration_record_get_version (record);
  gint64 completed = cairn_migration_record_get_completed_at (record);
  gint64 started = cairn_migration_record_get_started_at (record);
  g_autofree char *when = NULL;

  switch (cairn_migration_record_get_status (record))
    {
    case CAIRN_MIGRATION_COMPLETED:
      if (completed > 0)
        {
          when = cairn_date_format_time (completed, NULL);
          /* Translators: a database update's version, then when it completed */
          return g_strdup_printf (_("Version %d · Completed %s"), version, when);
        }
      /* Translators: a database update's version */
      return g_strdup_printf (_("Version %d · Completed"), version);

    case CAIRN_MIGRATION_RUNNING:
      if (started > 0)
        {
          when = cairn_date_format_time (started, NULL);
          /* Translators: a database update's version, then when it started; the next update finishes it */
          return g_strdup_printf (_("Version %d · Started %s, not finished yet"), version, when);
        }
      /* Translators: a database update's version; the next update finishes it */
      return g_strdup_printf (_("Version %d · Started, not finished yet"), version);

    case CAIRN_MIGRATION_FAILED:
      /* Translators: a database update's version */
      return g_strdup_printf (_("Version %d · Failed"), version);

    case CAIRN_MIGRATION_SKIPPED:
      /* Translators: a database update's version; the data did not need it */
      return g_strdup_printf (_("Version %d · Not needed"), version);

    case CAIRN_MIGRATION_PENDING:
    default:
      /* Translators: a database update's version; it has not run */
      return g_strdup_printf (_("Version %d · Not run yet"), version);
    }
}

static void
update (CairnMigrationRow *self)
{
  CairnMigrationRecord *record = self->record;
  CairnMigrationStatus status = cairn_migration_record_get_status (record);
  const StatusLook *look = status_look (status);
  const char *description = cairn_migration_record_get_description (record);
  const char *error = cairn_migration_record_get_error (record);
  g_autofree char *detail = detail_text (record);
  gboolean failed = status == CAIRN_MIGRATION_FAILED && error != NULL && *error != '\0';

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), cairn_migration_record_get_name (record));

  gtk_image_set_from_icon_name (self->icon, look->icon_name);
  gtk_widget_add_css_class (GTK_WIDGET (self->icon), look->style);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, cairn_migration_status_title (status),
                                  -1);

  gtk_label_set_text (self->description_label, description != NULL ? description : "");
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), description != NULL && *description != '\0');
  gtk_label_set_text (self->detail_label, detail);
  gtk_label_set_text (self->error_label, failed ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), failed);
}

/* GObject */

static void
cairn_migration_row_dispose (GObject *object)
{
  CairnMigrationRow *self = CAIRN_MIGRATION_ROW (object);

  g_clear_object (&self->record);
  gtk_widget_dispose_template (GTK_WIDGET (self), CAIRN_TYPE_MIGRATION_ROW);

  G_OBJECT_CLASS (cairn_migration_row_parent_class)->dispose (object);
}

static void
cairn_migration_row_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnMigrationRow *self = CAIRN_MIGRATION_ROW (object);

  switch (prop_id)
    {
    case PROP_RECORD:
      g_value_set_object (value, self->record);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_migration_row_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CairnMigrationRow *self = CAIRN_MIGRATION_ROW (object);

  switch (prop_id)
    {
    case PROP_RECORD:
      self->record = g_value_dup_object (value);
      update (self);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_migration_row_class_init (CairnMigrationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_migration_row_dispose;
  object_class->get_property = cairn_migration_row_get_property;
  object_class->set_property = cairn_migration_row_set_property;

  /* a record is immutable: a newer history makes new rows */
  properties[PROP_RECORD] =
    g_param_spec_object ("record", NULL, NULL,
                         CAIRN_TYPE_MIGRATION_RECORD,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/cairnapp/Cairn/cairn-migration-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CairnMigrationRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CairnMigrationRow, description_label);
  gtk_widget_class_bind_template_child (widget_class, CairnMigrationRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CairnMigrationRow, error_label);
  gtk_widget_class_set_css_name (widget_class, "cairn-migration-row");
}

static void
cairn_migration_row_init (CairnMigrationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API */

GtkWidget *
cairn_migration_row_new (CairnMigrationRecord *record)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (record), NULL);

  return g_object_new (CAIRN_TYPE_MIGRATION_ROW, "record", record, NULL);
}

CairnMigrationRecord *
cairn_migration_row_get_record (CairnMigrationRow *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_ROW (self), NULL);

  return self->record;
}
