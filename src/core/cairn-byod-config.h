/* cairn-byod-config.h — a workspace's Bring Your Own Database settings
 *
 * What the main store keeps about the user's deployment. Never the key:
 * that lives in the keyring only (cairn-credentials.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CAIRN_TYPE_BYOD_CONFIG (cairn_byod_config_get_type ())

#define CAIRN_BYOD_STATUS_DISCONNECTED "disconnected"
#define CAIRN_BYOD_STATUS_CONNECTED    "connected"
#define CAIRN_BYOD_STATUS_ERROR        "error"

typedef struct {
  char     *deployment_url;  /* "" when none */
  gboolean  enabled;
  char     *status;          /* one of CAIRN_BYOD_STATUS_* */
  int       schema_version;  /* the deployment's, 0 when unknown */
  gint64    last_check;      /* ms since the epoch, 0 = never */
  gint64    last_success;    /* ms since the epoch, 0 = never */
  char     *last_error;      /* "" when none */
  char     *runner_id;       /* this computer's id in the deployment's migration lease, "" until needed */
} CairnByodConfig;

GType            cairn_byod_config_get_type      (void) G_GNUC_CONST;
CairnByodConfig *cairn_byod_config_new           (void);
CairnByodConfig *cairn_byod_config_copy          (const CairnByodConfig *self);
void             cairn_byod_config_free          (CairnByodConfig       *self);
CairnByodConfig *cairn_byod_config_from_document (JsonObject            *document);
JsonObject      *cairn_byod_config_to_document   (const CairnByodConfig *self,
                                                  const char            *workspace_id);
char            *cairn_byod_config_client_id     (const char            *workspace_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnByodConfig, cairn_byod_config_free)

G_END_DECLS
