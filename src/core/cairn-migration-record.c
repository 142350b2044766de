/* cairn-migration-record.c
 *
 * One entry of migrations:status, read from the deployment's answer member
 * by member: what the Database page's history lists. Immutable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-migration-record"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cairn-convex-response.h"
#include "cairn-json.h"
#include "cairn-migration-record.h"

struct _CairnMigrationRecord
{
  GObject               parent_instance;

  char                 *migration_id;
  int                   version;
  char                 *name;
  char                 *description;
  CairnMigrationStatus  status;
  guint64               processed;
  char                 *error;         /* "" when none */
  gint64                started_at;    /* ms since the epoch, 0 = not yet */
  gint64                completed_at;  /* ms since the epoch, 0 = not yet */
};

G_DEFINE_FINAL_TYPE (CairnMigrationRecord, cairn_migration_record, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MIGRATION_ID,
  PROP_VERSION,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_STATUS,
  PROP_PROCESSED,
  PROP_ERROR,
  PROP_STARTED_AT,
  PROP_COMPLETED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const status_names[] = {
  [CAIRN_MIGRATION_PENDING] = "pending",
  [CAIRN_MIGRATION_RUNNING] = "running",
  [CAIRN_MIGRATION_COMPLETED] = "completed",
  [CAIRN_MIGRATION_FAILED] = "failed",
  [CAIRN_MIGRATION_SKIPPED] = "skipped",
};

/* A status the app does not know (a newer deployment's) counts as not done. */
static CairnMigrationStatus
parse_status (const char *status)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_strcmp0 (status, status_names[i]) == 0)
        return i;
    }

  return CAIRN_MIGRATION_PENDING;
}

/* A whole, non-negative number member; 0 otherwise (or when absent). */
static double
whole_number (JsonObject *object,
              const char *member)
{
  double value = cairn_json_get_number (object, member);

  return value >= 0 && value < (double) G_MAXINT64 ? value : 0;
}

static void
cairn_migration_record_finalize (GObject *object)
{
  CairnMigrationRecord *self = (CairnMigrationRecord *) object;

  g_free (self->migration_id);
  g_free (self->name);
  g_free (self->description);
  g_free (self->error);

  G_OBJECT_CLASS (cairn_migration_record_parent_class)->finalize (object);
}

static void
cairn_migration_record_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  CairnMigrationRecord *self = CAIRN_MIGRATION_RECORD (object);

  switch (prop_id)
    {
    case PROP_MIGRATION_ID:
      g_value_set_string (value, self->migration_id);
      break;
    case PROP_VERSION:
      g_value_set_int (value, self->version);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_STATUS:
      g_value_set_uint (value, self->status);
      break;
    case PROP_PROCESSED:
      g_value_set_uint64 (value, self->processed);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_STARTED_AT:
      g_value_set_int64 (value, self->started_at);
      break;
    case PROP_COMPLETED_AT:
      g_value_set_int64 (value, self->completed_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_migration_record_class_init (CairnMigrationRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cairn_migration_record_finalize;
  object_class->get_property = cairn_migration_record_get_property;

  properties[PROP_MIGRATION_ID] =
    g_param_spec_string ("migration-id", NULL, NULL, NULL, ro);
  /* the schema version that brought it */
  properties[PROP_VERSION] =
    g_param_spec_int ("version", NULL, NULL, 0, G_MAXINT, 0, ro);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL, NULL, ro);
  /* a CairnMigrationStatus */
  properties[PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL, 0, CAIRN_MIGRATION_SKIPPED, CAIRN_MIGRATION_PENDING, ro);
  /* documents done so far */
  properties[PROP_PROCESSED] =
    g_param_spec_uint64 ("processed", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /* why it failed; "" when it did not */
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, ro);
  /* ms since the epoch, 0 = not yet */
  properties[PROP_STARTED_AT] =
    g_param_spec_int64 ("started-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_COMPLETED_AT] =
    g_param_spec_int64 ("completed-at", NULL, NULL, 0, G_MAXINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_migration_record_init (CairnMigrationRecord *self)
{
}

/**
 * cairn_migration_record_new_from_json:
 * @object: one entry of migrations:status's "migrations", as the deployment sent it
 *
 * Returns: (transfer full) (nullable): the record, %NULL when @object has
 *   no migrationId
 */
CairnMigrationRecord *
cairn_migration_record_new_from_json (JsonObject *object)
{
  CairnMigrationRecord *self;
  const char *id = cairn_json_get_string (object, "migrationId");

  if (id == NULL || *id == '\0')
    return NULL;

  self = g_object_new (CAIRN_TYPE_MIGRATION_RECORD, NULL);
  self->migration_id = cairn_convex_server_text (id);
  self->version = (int) MIN (whole_number (object, "version"), G_MAXINT);
  self->name = cairn_convex_server_text (cairn_json_get_string (object, "name"));
  if (*self->name == '\0')
    {
      g_free (self->name);
      self->name = g_strdup (self->migration_id);
    }
  self->description = cairn_convex_server_text (cairn_json_get_string (object, "description"));
  self->status = parse_status (cairn_json_get_string (object, "status"));
  self->processed = (guint64) whole_number (object, "processed");
  self->error = cairn_convex_server_text (cairn_json_get_string (object, "error"));
  self->started_at = (gint64) whole_number (object, "startedAt");
  self->completed_at = (gint64) whole_number (object, "completedAt");

  return self;
}

const char *
cairn_migration_record_get_migration_id (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), NULL);

  return self->migration_id;
}

int
cairn_migration_record_get_version (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), 0);

  return self->version;
}

const char *
cairn_migration_record_get_name (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), NULL);

  return self->name;
}

const char *
cairn_migration_record_get_description (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), NULL);

  return self->description;
}

CairnMigrationStatus
cairn_migration_record_get_status (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), CAIRN_MIGRATION_PENDING);

  return self->status;
}

guint64
cairn_migration_record_get_processed (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), 0);

  return self->processed;
}

/* Why it failed; "" when it did not. */
const char *
cairn_migration_record_get_error (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), NULL);

  return self->error;
}

gint64
cairn_migration_record_get_started_at (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), 0);

  return self->started_at;
}

gint64
cairn_migration_record_get_completed_at (CairnMigrationRecord *self)
{
  g_return_val_if_fail (CAIRN_IS_MIGRATION_RECORD (self), 0);

  return self->completed_at;
}

/* The status in words, for the history. */
const char *
cairn_migration_status_title (CairnMigrationStatus status)
{
  switch (status)
    {
    case CAIRN_MIGRATION_PENDING:
      return _("Pending");
    case CAIRN_MIGRATION_RUNNING:
      return _("Started");
    case CAIRN_MIGRATION_COMPLETED:
      return _("Completed");
    case CAIRN_MIGRATION_FAILED:
      return _("Failed");
    case CAIRN_MIGRATION_SKIPPED:
      return _("Not needed");
    default:
      g_return_val_if_reached (NULL);
    }
}
