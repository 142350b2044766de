/* cairn-convex-client.h — the Convex HTTP API over libsoup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_CONVEX_CLIENT (cairn_convex_client_get_type ())

G_DECLARE_FINAL_TYPE (CairnConvexClient, cairn_convex_client, CAIRN, CONVEX_CLIENT, GObject)

typedef enum {
  CAIRN_CONVEX_QUERY,
  CAIRN_CONVEX_MUTATION,
  CAIRN_CONVEX_ACTION,
} CairnConvexKind;

#define CAIRN_CONVEX_DEFAULT_TIMEOUT_MS        30000
#define CAIRN_CONVEX_DEFAULT_MAX_RESPONSE_SIZE (16 * 1024 * 1024)

CairnConvexClient *cairn_convex_client_new            (const char          *url,
                                                       GError             **error);
const char        *cairn_convex_client_get_url        (CairnConvexClient   *self);
void               cairn_convex_client_set_admin_key  (CairnConvexClient   *self,
                                                       const char          *key);
gboolean           cairn_convex_client_has_admin_key  (CairnConvexClient   *self);
void               cairn_convex_client_set_timeout    (CairnConvexClient   *self,
                                                       guint                timeout_ms);
void               cairn_convex_client_set_metrics    (CairnConvexClient   *self,
                                                       CairnMetrics        *metrics);
CairnMetrics      *cairn_convex_client_get_metrics    (CairnConvexClient   *self);
void               cairn_convex_client_call_async     (CairnConvexClient   *self,
                                                       CairnConvexKind      kind,
                                                       const char          *path,
                                                       JsonObject          *args,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
JsonNode          *cairn_convex_client_call_finish    (CairnConvexClient   *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void               cairn_convex_client_post_admin_async  (CairnConvexClient   *self,
                                                          const char          *path,
                                                          JsonObject          *body,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
JsonNode          *cairn_convex_client_post_admin_finish (CairnConvexClient   *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* The sync protocol's WebSocket (cairn-sync-client.c drives it). */
void               cairn_convex_client_connect_sync_async  (CairnConvexClient   *self,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
SoupWebsocketConnection *cairn_convex_client_connect_sync_finish (CairnConvexClient   *self,
                                                                  GAsyncResult        *result,
                                                                  GError             **error);
GBytes            *cairn_convex_client_sync_authenticate   (CairnConvexClient   *self,
                                                            guint                base_version);

gboolean           cairn_convex_check_url             (const char          *url,
                                                       GError             **error);
char              *cairn_convex_normalize_url         (const char          *url);
gboolean           cairn_convex_check_deploy_key      (const char          *key,
                                                       GError             **error);

G_END_DECLS
