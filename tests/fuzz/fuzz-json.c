/* fuzz-json.c — the depth-bounded JSON parser and Convex's value decoder
 *
 * Input: the text, as it would come from the network or a database row.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

/* How deep @node nests: a scalar is 0, [] is 1, [[]] 2 — as the parser counts. */
static guint
tree_depth (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          guint depth = tree_depth (json_array_get_element (array, i));

          deepest = MAX (deepest, depth);
        }
      return deepest + 1;
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          guint depth = tree_depth (member);

          deepest = MAX (deepest, depth);
        }
      return deepest + 1;
    }

  return 0;
}

/* Whether every string and member name in @node is UTF-8, as the text was. */
static gboolean
tree_is_utf8 (JsonNode *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!tree_is_utf8 (json_array_get_element (array, i)))
          return FALSE;
      return TRUE;
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, NULL) || !tree_is_utf8 (member))
          return FALSE;
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_utf8_validate (json_node_get_string (node), -1, NULL);

  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = cairn_json_parse ((const char *) data, size, &error);
  g_autoptr(JsonNode) decoded = NULL;

  fuzz_check ((root != NULL) != (error != NULL));

  if (root == NULL)
    {
      fuzz_check (error->domain == CAIRN_CONVEX_ERROR && error->code == CAIRN_CONVEX_ERROR_BAD_RESPONSE);
      fuzz_check (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  /* the bound that keeps json-glib's recursion off the end of the stack
   * (and that cairn_convex_value_decode() relies on) */
  fuzz_check (tree_depth (root) <= CAIRN_JSON_MAX_DEPTH);
  /* text that is UTF-8 must give strings that are */
  fuzz_check (tree_is_utf8 (root));

  decoded = cairn_convex_value_decode (root);
  fuzz_check (decoded != NULL);

  /* the stores sort with this; a value must sort equal to itself */
  fuzz_check (cairn_json_compare (decoded, decoded) == 0);
  fuzz_check (cairn_json_compare (root, root) == 0);

  return 0;
}
