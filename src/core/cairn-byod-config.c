/* cairn-byod-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-byod-config"

#include "cairn-byod-config.h"
#include "cairn-json.h"
#include "cairn-schema.h"

G_DEFINE_BOXED_TYPE (CairnByodConfig, cairn_byod_config, cairn_byod_config_copy, cairn_byod_config_free)

CairnByodConfig *
cairn_byod_config_new (void)
{
  CairnByodConfig *self = g_new0 (CairnByodConfig, 1);

  self->deployment_url = g_strdup ("");
  self->status = g_strdup (CAIRN_BYOD_STATUS_DISCONNECTED);
  self->last_error = g_strdup ("");
  self->runner_id = g_strdup ("");

  return self;
}

CairnByodConfig *
cairn_byod_config_copy (const CairnByodConfig *self)
{
  CairnByodConfig *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->deployment_url = g_strdup (self->deployment_url);
  copy->status = g_strdup (self->status);
  copy->last_error = g_strdup (self->last_error);
  copy->runner_id = g_strdup (self->runner_id);

  return copy;
}

void
cairn_byod_config_free (CairnByodConfig *self)
{
  if (self == NULL)
    return;

  g_free (self->deployment_url);
  g_free (self->status);
  g_free (self->last_error);
  g_free (self->runner_id);
  g_free (self);
}

static char *
string_or_empty (JsonObject *document,
                 const char *member)
{
  const char *value = cairn_json_get_string (document, member);

  return g_strdup (value != NULL ? value : "");
}

CairnByodConfig *
cairn_byod_config_from_document (JsonObject *document)
{
  CairnByodConfig *self = cairn_byod_config_new ();

  g_return_val_if_fail (document != NULL, self);

  g_free (self->deployment_url);
  self->deployment_url = string_or_empty (document, "deploymentUrl");
  self->enabled = cairn_json_get_boolean (document, "enabled");
  g_free (self->status);
  self->status = string_or_empty (document, "status");
  self->schema_version = (int) cairn_json_get_number (document, "schemaVersion");
  self->last_check = (gint64) cairn_json_get_number (document, "lastCheck");
  self->last_success = (gint64) cairn_json_get_number (document, "lastSuccess");
  g_free (self->last_error);
  self->last_error = string_or_empty (document, "lastError");
  g_free (self->runner_id);
  self->runner_id = string_or_empty (document, "runnerId");

  return self;
}

JsonObject *
cairn_byod_config_to_document (const CairnByodConfig *self,
                               const char            *workspace_id)
{
  JsonObject *document = json_object_new ();
  g_autofree char *client_id = cairn_byod_config_client_id (workspace_id);

  json_object_set_string_member (document, "clientId", client_id);
  json_object_set_string_member (document, "workspace", workspace_id);
  json_object_set_string_member (document, "deploymentUrl", self->deployment_url);
  json_object_set_boolean_member (document, "enabled", self->enabled);
  json_object_set_string_member (document, "status", self->status);
  json_object_set_double_member (document, "schemaVersion", self->schema_version);
  json_object_set_double_member (document, "lastCheck", (double) self->last_check);
  json_object_set_double_member (document, "lastSuccess", (double) self->last_success);
  json_object_set_string_member (document, "lastError", self->last_error);
  json_object_set_string_member (document, "runnerId", self->runner_id);

  return document;
}

/* The row of a workspace's config: found by the workspace's id. */
char *
cairn_byod_config_client_id (const char *workspace_id)
{
  g_autofree char *name = g_strconcat ("cairn-byod-config:", workspace_id, NULL);

  return cairn_client_id_for_name (name);
}
