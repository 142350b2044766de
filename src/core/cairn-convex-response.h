/* cairn-convex-response.h — what a Convex deployment answered, classified
 *
 * Pure functions over bytes: no I/O, no objects. Everything that comes back
 * from a deployment goes through here before anything trusts it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Server-provided text kept in an error message, at most (in bytes). */
#define CAIRN_CONVEX_MAX_SERVER_TEXT 400

JsonNode *cairn_convex_response_parse (guint        status,
                                       const char  *body,
                                       gsize        length,
                                       const char  *location,
                                       GError     **error);
JsonNode *cairn_convex_value_decode   (JsonNode    *node);
JsonNode *cairn_convex_admin_response_parse (guint        status,
                                             const char  *body,
                                             gsize        length,
                                             const char  *location,
                                             GError     **error);
char     *cairn_convex_server_text    (const char  *text);
GError   *cairn_convex_refusal_new    (JsonObject  *data);

G_END_DECLS
