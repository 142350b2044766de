/* fuzz-schema.c — document and patch validation against every table
 *
 * Input: JSON text; an object is validated as a whole document and as a
 * patch of each table Cairn has, and each of its members on its own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-schema.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

/* What validation lets through is written to a store as JSON text and read
 * back from it later: it must read back, and pass again. */
static void
check_round_trip (const CairnTableSpec *table,
                  JsonNode             *root,
                  gboolean              patch)
{
  g_autofree char *text = json_to_string (root, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) again = cairn_json_parse (text, strlen (text), &error);

  if (again == NULL)
    g_printerr ("%s: not read back: %s\n", text, error->message);
  fuzz_check (again != NULL && JSON_NODE_HOLDS_OBJECT (again));

  if (patch)
    fuzz_check (cairn_schema_validate_patch (table, json_node_get_object (again), NULL));
  else
    fuzz_check (cairn_schema_validate_document (table, json_node_get_object (again), NULL));
}

static void
check_verdict (gboolean  ok,
               GError   *error)
{
  fuzz_check (ok == (error == NULL));
  if (error != NULL)
    {
      fuzz_check (error->domain == CAIRN_STORE_ERROR);
      fuzz_check (g_utf8_validate (error->message, -1, NULL));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) root = cairn_json_parse ((const char *) data, size, NULL);
  const CairnTableSpec **tables;
  JsonObject *object;
  guint n_tables;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;

  object = json_node_get_object (root);
  tables = cairn_schema_list_tables (&n_tables);

  for (guint i = 0; i < n_tables; i++)
    {
      const CairnTableSpec *table = tables[i];
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;
      gboolean ok;

      {
        g_autoptr(GError) error = NULL;

        ok = cairn_schema_validate_document (table, object, &error);
        check_verdict (ok, error);
        if (ok)
          check_round_trip (table, root, FALSE);
      }
      {
        g_autoptr(GError) error = NULL;

        ok = cairn_schema_validate_patch (table, object, &error);
        check_verdict (ok, error);
        /* a patch may never carry the clientId */
        if (ok)
          {
            fuzz_check (!json_object_has_member (object, "clientId"));
            check_round_trip (table, root, TRUE);
          }
      }

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &value))
        {
          const CairnFieldSpec *field = cairn_table_spec_lookup_field (table, name);
          g_autoptr(GError) error = NULL;

          if (field == NULL)
            continue;

          ok = cairn_schema_check_value (field, value, &error);
          check_verdict (ok, error);
        }
    }

  /* every string member as an id handed to a store (they come from
   * documents like this one) */
  {
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;

    json_object_iter_init (&iter, object);
    while (json_object_iter_next (&iter, &name, &value))
      {
        g_autoptr(GError) error = NULL;
        const char *text;
        gboolean ok;

        if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
          continue;

        text = json_node_get_string (value);
        ok = cairn_schema_check_client_id (text, &error);
        check_verdict (ok, error);
        fuzz_check (ok == cairn_is_client_id (text));
      }
  }

  return 0;
}
