/* cairn-convex-response.c — what a Convex deployment answered, classified
 *
 * A deployment answers a function call with HTTP 200 (or 560) and
 *   {"status": "success", "value": …}  or
 *   {"status": "error", "errorMessage": "…", "errorData"?: …};
 * failures before the function runs come as {"code": "…", "message": "…"}
 * with a 4xx/5xx status — or with an empty body (unknown routes, request
 * timeouts, errors without a code). The push routes (/api/deploy2/…) answer
 * plain JSON with 200 and the same {"code", "message"} otherwise. Proxies and wrong addresses answer
 * anything at all. Every answer is classified into an error code, so
 * the caller can decide whether to retry, block or give up; no member is
 * read without checking its type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-convex-response"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"

/* Decoding ------------------------------------------------------------------ */

static gboolean
decode_le64 (const char *base64,
             guint8      out[8])
{
  g_autofree guchar *bytes = NULL;
  gsize len = 0;

  if (base64 == NULL)
    return FALSE;

  bytes = g_base64_decode (base64, &len);
  if (len != 8)
    return FALSE;

  memcpy (out, bytes, 8);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (guint i = 0; i < 4; i++)
    {
      guint8 tmp = out[i];
      out[i] = out[7 - i];
      out[7 - i] = tmp;
    }
#endif
  return TRUE;
}

/* {"$integer": …} and {"$float": …} as plain numbers, {"$bytes": …} as its
 * base64 string; NULL when @object is none of them (or a malformed one). */
static JsonNode *
decode_special (JsonObject *object)
{
  guint8 raw[8];

  if (json_object_get_size (object) != 1)
    return NULL;

  if (decode_le64 (cairn_json_get_string (object, "$integer"), raw))
    {
      gint64 value;

      memcpy (&value, raw, 8);
      return json_node_init_int (json_node_alloc (), value);
    }
  if (decode_le64 (cairn_json_get_string (object, "$float"), raw))
    {
      double value;

      memcpy (&value, raw, 8);
      return json_node_init_double (json_node_alloc (), value);
    }
  if (cairn_json_get_string (object, "$bytes") != NULL)
    return json_node_copy (json_object_get_member (object, "$bytes"));

  return NULL;
}

/**
 * cairn_convex_value_decode:
 * @node: a value in Convex's encoded JSON
 *
 * Replaces {"$integer": …} and {"$float": …} by plain numbers; {"$bytes": …}
 * stays a base64 string. Recurses once per level: @node must come from
 * cairn_json_parse(), which bounds the depth.
 *
 * Returns: (transfer full): the plain JSON value
 */
JsonNode *
cairn_convex_value_decode (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(JsonObject) out = NULL;
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      JsonNode *special = decode_special (object);

      if (special != NULL)
        return special;

      out = json_object_new ();
      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &member))
        json_object_set_member (out, name, cairn_convex_value_decode (member));

      return json_node_init_object (json_node_alloc (), out);
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(JsonArray) out = json_array_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (out, cairn_convex_value_decode (json_array_get_element (array, i)));

      return json_node_init_array (json_node_alloc (), out);
    }

  return json_node_copy (node);
}

/* Server text --------------------------------------------------------------- */

/**
 * cairn_convex_server_text:
 * @text: (nullable): what a server said
 *
 * What the server said, fit for an error message: no control characters
 * but newlines, at most CAIRN_CONVEX_MAX_SERVER_TEXT bytes.
 *
 * Returns: (transfer full): the text, "" for %NULL
 */
char *
cairn_convex_server_text (const char *text)
{
  GString *out;
  const char *p;

  if (text == NULL)
    return g_strdup ("");

  out = g_string_new (NULL);
  for (p = text; *p != '\0' && out->len < CAIRN_CONVEX_MAX_SERVER_TEXT; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || !g_unichar_iscntrl (c))
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}

/* "[Request ID: 1a2b] Server Error\nUncaught Error: boom\n    at …" → "boom" */
static char *
function_error_message (const char *raw)
{
  const char *text = raw != NULL ? raw : "";
  const char *newline;
  g_autofree char *message = NULL;

  if (g_str_has_prefix (text, "[Request ID:") && (newline = strchr (text, '\n')) != NULL)
    text = newline + 1;
  if (g_str_has_prefix (text, "Uncaught ") && (newline = strstr (text, ": ")) != NULL)
    text = newline + 2;

  newline = strstr (text, "\n    at ");
  message = newline != NULL ? g_strndup (text, newline - text) : g_strdup (text);
  g_strchomp (message);

  return cairn_convex_server_text (message);
}

/* Function errors ------------------------------------------------------------ */

/* The Cairn functions refuse bad input with ConvexError({code, message}),
 * which reaches us as errorData; the code says whose fault it was. */
static GError *
cairn_function_error (JsonObject *data)
{
  const char *code = cairn_json_get_string (data, "code");
  g_autofree char *message = cairn_convex_server_text (cairn_json_get_string (data, "message"));

  if (code == NULL)
    code = "";

  /* "", or nothing left once control characters are dropped: the error
   * still needs words for the UI */
  if (*message == '\0')
    {
      g_free (message);
      message = g_strdup (_("A Cairn function failed on your database without saying why."));
    }

  if (g_str_equal (code, "NotFound"))
    return g_error_new_literal (CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_NOT_FOUND, message);
  if (g_str_has_prefix (code, "Invalid") || g_str_has_prefix (code, "Unknown"))
    return g_error_new_literal (CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT, message);

  return g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED, message);
}

/**
 * cairn_convex_refusal_new:
 * @data: a Cairn function's refusal, {code, message} (as errorData, or one
 *   write's outcome in a documents:apply answer)
 *
 * Returns: (transfer full): the error it stands for
 */
GError *
cairn_convex_refusal_new (JsonObject *data)
{
  return cairn_function_error (data);
}

static GError *
function_error (JsonObject *response)
{
  const char *raw = cairn_json_get_string (response, "errorMessage");
  JsonNode *data = json_object_get_member (response, "errorData");
  g_autofree char *message = NULL;

  if (data != NULL && JSON_NODE_HOLDS_OBJECT (data) &&
      cairn_json_get_string (json_node_get_object (data), "message") != NULL)
    return cairn_function_error (json_node_get_object (data));

  message = function_error_message (raw);

  /* What a deployment without the Cairn functions (or a caller without the
   * key, to whom internal functions are invisible) answers. */
  if (raw != NULL && (strstr (raw, "Could not find public function") != NULL ||
                      strstr (raw, "Could not find function") != NULL))
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_SET_UP,
                        _("The Cairn functions are not deployed on your database (%s)."), message);

  /* a document over the deployment's 1 MiB limit: this write can never go */
  if (raw != NULL && strstr (raw, "Value is too large") != NULL)
    return g_error_new (CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                        _("Your database refused it as too large (%s)."), message);

  if (*message == '\0')
    return g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED,
                                _("A Cairn function failed on your database without saying why."));

  return g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_FUNCTION_FAILED, message);
}

/* Failures before the function ran ---------------------------------------------- */

static GError *
refused_error (guint       status,
               const char *code,
               const char *message)
{
  if (g_str_equal (code, "OperationNotPermitted"))
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_READ_ONLY,
                        _("The deploy key may read but not change your database (%s). "
                          "Create a deploy key with full access in the Convex dashboard."),
                        code);

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_UNAUTHORIZED,
                        _("Your database refused the deploy key (%s). Check the key in Preferences."),
                        *code != '\0' ? code : soup_status_get_phrase (status));

  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_REQUEST,
                      _("Your database refused Cairn’s request (HTTP %u %s%s%s)."),
                      status, *code != '\0' ? code : soup_status_get_phrase (status),
                      *message != '\0' ? ": " : "", message);
}

/* Pre-function failures come as {"code": "…", "message": "…"} — or empty. */
static GError *
http_error (guint       status,
            JsonObject *body)
{
  const char *code = cairn_json_get_string (body, "code");
  g_autofree char *message = cairn_convex_server_text (cairn_json_get_string (body, "message"));
  g_autofree char *safe_code = cairn_convex_server_text (code);

  switch (status)
    {
    case SOUP_STATUS_NOT_FOUND:
      /* a deployment knows its API routes: this is some other server */
      return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_NOT_CONVEX,
                          _("This address does not answer like a Convex deployment (HTTP %u). Check the deployment URL."),
                          status);
    case SOUP_STATUS_REQUEST_TIMEOUT:
      return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT,
                          _("Your database gave up waiting for the request (HTTP %u)."), status);
    case SOUP_STATUS_CONFLICT:
    case 429: /* Too Many Requests */
      return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER,
                          _("Your database is having trouble (HTTP %u%s%s)."),
                          status, *message != '\0' ? ": " : "", message);
    default:
      break;
    }

  if (status >= 500)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER,
                        _("Your database is having trouble (HTTP %u%s%s)."),
                        status, *message != '\0' ? ": " : "", message);
  if (status >= 400)
    return refused_error (status, safe_code, message);

  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                      _("Your database answered with an unexpected HTTP status %u."), status);
}

static GError *
redirect_error (guint       status,
                const char *location)
{
  g_autoptr(GUri) target = location != NULL ? g_uri_parse (location, G_URI_FLAGS_NONE, NULL) : NULL;
  g_autofree char *host = cairn_convex_server_text (target != NULL ? g_uri_get_host (target) : NULL);

  if (*host != '\0')
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_REDIRECTED,
                        _("The deployment URL redirected elsewhere (HTTP %u to %s). "
                          "Cairn does not follow redirects: check the deployment URL."),
                        status, host);

  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_REDIRECTED,
                      _("The deployment URL redirected elsewhere (HTTP %u). "
                        "Cairn does not follow redirects: check the deployment URL."),
                      status);
}

/* Public API ----------------------------------------------------------------- */

/* The body as a JSON object, or NULL when it is empty or anything else. */
static JsonObject *
body_object (const char *body,
             gsize       length)
{
  g_autoptr(JsonNode) root = cairn_json_parse (body, length, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
function_result (const char  *body,
                 gsize        length,
                 GError     **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonNode) root = cairn_json_parse (body, length, &parse_error);
  JsonObject *response;
  const char *outcome;

  if (root == NULL)
    {
      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                   _("Your database sent an answer Cairn cannot read: %s"), parse_error->message);
      return NULL;
    }

  response = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  outcome = cairn_json_get_string (response, "status");

  if (g_strcmp0 (outcome, "success") == 0 && json_object_has_member (response, "value"))
    return cairn_convex_value_decode (json_object_get_member (response, "value"));

  if (g_strcmp0 (outcome, "error") == 0)
    {
      g_propagate_error (error, function_error (response));
      return NULL;
    }

  g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                       _("Your database sent an answer of the wrong shape."));
  return NULL;
}

/**
 * cairn_convex_response_parse:
 * @status: the HTTP status
 * @body: (array length=length) (nullable): the whole body, as received
 * @location: (nullable): the Location header, for a redirect
 *
 * Classifies a deployment's answer to /api/query, /api/mutation or
 * /api/action. Redirects are never followed: they are errors.
 *
 * Returns: (transfer full): the function's value decoded to plain JSON, or
 *   %NULL with a classified error (%CAIRN_CONVEX_ERROR, or
 *   %CAIRN_STORE_ERROR for input the deployment refuses)
 */
JsonNode *
cairn_convex_response_parse (guint        status,
                             const char  *body,
                             gsize        length,
                             const char  *location,
                             GError     **error)
{
  g_autoptr(JsonObject) object = NULL;

  if (status >= 300 && status < 400)
    {
      g_propagate_error (error, redirect_error (status, location));
      return NULL;
    }

  if (status == SOUP_STATUS_OK || status == 560)
    return function_result (body, length, error);

  object = body_object (body, length);
  g_propagate_error (error, http_error (status, object));
  return NULL;
}

/* The push routes ------------------------------------------------------------- */

/* A push refused before anything changed: 400 and 409 with {"code", "message"}. */
static GError *
push_refused_error (guint       status,
                    JsonObject *body)
{
  const char *code = cairn_json_get_string (body, "code");
  g_autofree char *safe_code = cairn_convex_server_text (code);
  g_autofree char *message = cairn_convex_server_text (cairn_json_get_string (body, "message"));

  if (g_strcmp0 (code, "ConcurrentPush") == 0 || g_strcmp0 (code, "RaceDetected") == 0)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_PUSH_RACE,
                        _("Someone else changed the functions on your database at the same time (%s). "
                          "Try again."), safe_code);

  /* Cairn's own request was wrong: not something the user can fix */
  if (g_strcmp0 (code, "BadJsonBody") == 0 || g_strcmp0 (code, "InvalidClientVersion") == 0 ||
      g_strcmp0 (code, "ClientVersionUnsupported") == 0)
    return refused_error (status, safe_code, message);

  if (*message == '\0')
    {
      g_free (message);
      message = g_strdup (*safe_code != '\0' ? safe_code : soup_status_get_phrase (status));
    }

  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_PUSH_REFUSED,
                      _("Your database refused Cairn’s functions: %s"), message);
}

static GError *
admin_http_error (guint       status,
                  JsonObject *body)
{
  g_autofree char *code = cairn_convex_server_text (cairn_json_get_string (body, "code"));

  switch (status)
    {
    case SOUP_STATUS_BAD_REQUEST:
    case SOUP_STATUS_CONFLICT:
      return push_refused_error (status, body);
    case SOUP_STATUS_FORBIDDEN:
      /* any 403 here: the key may not deploy */
      return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_READ_ONLY,
                          _("The deploy key may not change the functions on your database (%s). "
                            "Create a deploy key with full access in the Convex dashboard."),
                          *code != '\0' ? code : soup_status_get_phrase (status));
    default:
      return http_error (status, body);
    }
}

/**
 * cairn_convex_admin_response_parse:
 * @status: the HTTP status
 * @body: (array length=length) (nullable): the whole body, as received
 * @location: (nullable): the Location header, for a redirect
 *
 * Classifies a deployment's answer to one of its push routes
 * (/api/deploy2/…): plain JSON with a 2xx status; 400 and 409 are a push the
 * deployment refused (%CAIRN_CONVEX_ERROR_PUSH_REFUSED with the server's
 * message, %CAIRN_CONVEX_ERROR_PUSH_RACE for a concurrent push), 401 a wrong
 * key, 403 a key that may not deploy (%CAIRN_CONVEX_ERROR_READ_ONLY); the
 * rest as for function calls.
 *
 * Returns: (transfer full): the answer, any JSON value, or %NULL with a
 *   classified error
 */
JsonNode *
cairn_convex_admin_response_parse (guint        status,
                                   const char  *body,
                                   gsize        length,
                                   const char  *location,
                                   GError     **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonObject) object = NULL;
  JsonNode *root;

  if (status >= 300 && status < 400)
    {
      g_propagate_error (error, redirect_error (status, location));
      return NULL;
    }

  if (status < 200 || status >= 300)
    {
      object = body_object (body, length);
      g_propagate_error (error, admin_http_error (status, object));
      return NULL;
    }

  root = cairn_json_parse (body, length, &parse_error);
  if (root == NULL)
    g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                 _("Your database sent an answer Cairn cannot read: %s"), parse_error->message);

  return root;
}
