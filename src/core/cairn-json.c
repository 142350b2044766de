/* cairn-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-json"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-error.h"
#include "cairn-json.h"

static JsonNode *
get_value (JsonObject *object,
           const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? node : NULL;
}

/* The member as a string, or NULL when absent or of another type. */
const char *
cairn_json_get_string (JsonObject *object,
                       const char *member)
{
  JsonNode *node = get_value (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

gboolean
cairn_json_get_boolean (JsonObject *object,
                        const char *member)
{
  JsonNode *node = get_value (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;

  return json_node_get_boolean (node);
}

double
cairn_json_get_number (JsonObject *object,
                       const char *member)
{
  JsonNode *node = get_value (object, member);

  if (node == NULL)
    return 0;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_DOUBLE:
      return json_node_get_double (node);
    case G_TYPE_INT64:
      return (double) json_node_get_int (node);
    default:
      return 0;
    }
}

/* The member as an object, or NULL when absent or of another type. */
JsonObject *
cairn_json_get_object (JsonObject *object,
                       const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* The member as an array, or NULL when absent or of another type. */
JsonArray *
cairn_json_get_array (JsonObject *object,
                      const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static int
type_rank (JsonNode *node)
{
  GType type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return 0;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return 4;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    return 1;
  if (type == G_TYPE_BOOLEAN)
    return 2;

  return 3;
}

/**
 * cairn_json_compare:
 *
 * Orders two scalar values the way the stores sort index fields: null,
 * then numbers, then booleans (false before true), then strings by bytes.
 */
int
cairn_json_compare (JsonNode *a,
                    JsonNode *b)
{
  int ra = type_rank (a);
  int rb = type_rank (b);

  if (ra != rb)
    return ra < rb ? -1 : 1;

  switch (ra)
    {
    case 1:
      {
        double da = json_node_get_value_type (a) == G_TYPE_DOUBLE ? json_node_get_double (a) : json_node_get_int (a);
        double db = json_node_get_value_type (b) == G_TYPE_DOUBLE ? json_node_get_double (b) : json_node_get_int (b);
        return da < db ? -1 : da > db ? 1 : 0;
      }
    case 2:
      return (int) json_node_get_boolean (a) - (int) json_node_get_boolean (b);
    case 3:
      return g_strcmp0 (json_node_get_string (a), json_node_get_string (b));
    default:
      return 0;
    }
}

/**
 * cairn_json_scalar_copy:
 * @value: a string, boolean or number
 *
 * A fresh node with the value of @value, sharing nothing with it:
 * json_node_copy() shares the underlying JsonValue, which must not cross to
 * another thread while its owner may still change it.
 *
 * Returns: (transfer full): the copy
 */
JsonNode *
cairn_json_scalar_copy (JsonNode *value)
{
  JsonNode *node = json_node_alloc ();
  GType type = json_node_get_value_type (value);

  if (type == G_TYPE_STRING)
    json_node_init_string (node, json_node_get_string (value));
  else if (type == G_TYPE_BOOLEAN)
    json_node_init_boolean (node, json_node_get_boolean (value));
  else if (type == G_TYPE_INT64)
    json_node_init_int (node, json_node_get_int (value));
  else
    json_node_init_double (node, json_node_get_double (value));

  return node;
}

/* Returned by nesting_depth() for text with a comment or a '…' string. */
#define NOT_JSON G_MAXUINT
/* Returned by nesting_depth() for a string with the escape \u0000, which
 * json-glib would silently cut the string at. */
#define NUL_ESCAPE (G_MAXUINT - 1)

/* How deep @text nests arrays and objects, counting no further than @limit + 1.
 * Brackets inside strings do not count; the text need not be valid JSON.
 *
 * json-glib also accepts C comments and 'single-quoted' strings, which this
 * count does not follow: a " inside one of them would hide every bracket
 * after it from the count but not from the parser, whose recursion could
 * then exhaust the stack. Neither is JSON, so a / or ' outside a string
 * gives %NOT_JSON instead. */
static guint
nesting_depth (const char *text,
               gsize       length,
               guint       limit)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  guint deepest = 0;

  for (gsize i = 0; i < length && deepest <= limit; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\' && length - i > 5 && memcmp (text + i + 1, "u0000", 5) == 0)
            return NUL_ESCAPE;
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          depth++;
          deepest = MAX (deepest, depth);
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        case '/':
        case '\'':
          return NOT_JSON;
        default:
          break;
        }
    }

  return deepest;
}

/* json-glib's message quotes the token it stopped at as the bytes it
 * decoded, which need not be UTF-8 (a lone surrogate escape comes out as
 * CESU-8) and may be as long as the token: it goes into an error message
 * the UI shows, so it is made valid, stripped of control characters and cut. */
#define MAX_PARSER_MESSAGE 200

static char *
parser_message (const char *message)
{
  g_autofree char *valid = g_utf8_make_valid (message, -1);
  GString *out = g_string_new (NULL);
  const char *p;
  guint n = 0;

  for (p = valid; *p != '\0' && n < MAX_PARSER_MESSAGE; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_iscntrl (c))
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}

/* json-glib turns a lone surrogate escape ("\udc00") into bytes that are
 * not UTF-8 (and drops the character after it), so UTF-8 text can still
 * give strings that are not: each one is checked. Recurses once per level,
 * no deeper than the bound checked before parsing. */
static gboolean
strings_are_utf8 (JsonNode *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!strings_are_utf8 (json_array_get_element (array, i)))
          return FALSE;
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, NULL) || !strings_are_utf8 (member))
          return FALSE;
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      return g_utf8_validate (json_node_get_string (node), -1, NULL);
    }

  return TRUE;
}

/**
 * cairn_json_parse:
 * @text: (array length=length): JSON text, not necessarily NUL-terminated
 *
 * Parses JSON from anywhere outside this process (the network, a file, a
 * database row): refuses it when it is empty, not UTF-8, contains a NUL, is
 * not JSON or nests deeper than %CAIRN_JSON_MAX_DEPTH.
 *
 * Returns: (transfer full): the root node, or %NULL with a
 *   %CAIRN_CONVEX_ERROR_BAD_RESPONSE error
 */
JsonNode *
cairn_json_parse (const char  *text,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;
  guint depth;

  if (text == NULL || length == 0)
    {
      g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE, _("The answer was empty."));
      return NULL;
    }

  if (memchr (text, '\0', length) != NULL || !g_utf8_validate_len (text, length, NULL))
    {
      g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE, _("The answer is not valid UTF-8 text."));
      return NULL;
    }

  depth = nesting_depth (text, length, CAIRN_JSON_MAX_DEPTH);
  if (depth == NOT_JSON)
    {
      g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                           _("The answer is not valid JSON: it has a comment or a single-quoted string."));
      return NULL;
    }
  if (depth == NUL_ESCAPE)
    {
      g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                           _("The answer contains a NUL character (\\u0000), which Cairn cannot keep."));
      return NULL;
    }
  if (depth > CAIRN_JSON_MAX_DEPTH)
    {
      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                   _("The answer nests more than %d levels deep."), CAIRN_JSON_MAX_DEPTH);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) length, &parse_error))
    {
      g_autofree char *reason = parser_message (parse_error->message);

      g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                   _("The answer is not valid JSON: %s"), reason);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE, _("The answer was empty."));
      return NULL;
    }

  if (!strings_are_utf8 (root))
    {
      g_set_error_literal (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                           _("The answer is not valid JSON: it has a lone surrogate escape (\\uD800–\\uDFFF)."));
      return NULL;
    }

  return json_node_ref (root);
}
