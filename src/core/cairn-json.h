/* cairn-json.h — small typed readers for JSON documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Deeper JSON than this is refused before it is parsed: json-glib's parser
 * recurses once per level, and a hostile answer could exhaust the stack. */
#define CAIRN_JSON_MAX_DEPTH 64

const char *cairn_json_get_string  (JsonObject *object,
                                    const char *member);
gboolean    cairn_json_get_boolean (JsonObject *object,
                                    const char *member);
double      cairn_json_get_number  (JsonObject *object,
                                    const char *member);
JsonObject *cairn_json_get_object  (JsonObject *object,
                                    const char *member);
JsonArray  *cairn_json_get_array   (JsonObject *object,
                                    const char *member);
int         cairn_json_compare     (JsonNode   *a,
                                    JsonNode   *b);
JsonNode   *cairn_json_scalar_copy (JsonNode   *value);
JsonNode   *cairn_json_parse       (const char *text,
                                    gsize       length,
                                    GError    **error);

G_END_DECLS
