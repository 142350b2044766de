/* fuzz-outbox-entry.c — reading a stored write back from the outbox table
 *
 * Input: a row as JSON text, then optionally a NUL byte and the raw text
 * of its "payload" member (which replaces the row's own: the fuzzer
 * reaches the payload parser without having to escape JSON in JSON). An
 * empty row stands for a well-formed insert, so the payload alone can be
 * fuzzed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-outbox.h"
#include "cairn-schema.h"
#include "fuzz-common.h"

static const char well_formed_row[] =
  "{\"clientId\": \"0b3c0a8e-1f4d-4a57-9c2e-5d6f7a8b9c0d\","
  " \"workspace\": \"local\","
  " \"operation\": \"insert\","
  " \"targetTable\": \"notes\","
  " \"documentId\": \"7e1d2c3b-4a59-4876-8d5e-6f7a8b9c0d1e\","
  " \"payload\": \"{}\","
  " \"createdAt\": 1700000000000}";

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

static JsonObject *
mutable_copy (JsonObject *object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    json_object_set_member (copy, name, json_node_copy (member));

  return copy;
}

static gboolean
same_member (JsonObject *row,
             const char *member,
             const char *value)
{
  return g_strcmp0 (cairn_json_get_string (row, member), value) == 0;
}

/* What the outbox writes for an entry (cairn_outbox_append_async()), it must
 * be able to read back: otherwise the write is lost on the next start. The
 * outbox is only handed payloads that passed validation for their table. */
static void
check_round_trip (JsonObject             *row,
                  const CairnOutboxEntry *entry)
{
  const CairnTableSpec *table = cairn_schema_lookup_table (entry->table);
  g_autoptr(JsonObject) again = json_object_new ();
  g_autoptr(CairnOutboxEntry) reread = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *payload_text = NULL;

  if (table == NULL)
    return;
  if (entry->operation == CAIRN_OUTBOX_INSERT && !cairn_schema_validate_document (table, entry->payload, NULL))
    return;
  if (entry->operation == CAIRN_OUTBOX_PATCH && !cairn_schema_validate_patch (table, entry->payload, NULL))
    return;

  if (entry->payload != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), entry->payload);

      payload_text = json_to_string (node, FALSE);
    }

  json_object_set_string_member (again, "clientId", entry->id);
  json_object_set_string_member (again, "operation", cairn_json_get_string (row, "operation"));
  json_object_set_string_member (again, "targetTable", entry->table);
  json_object_set_string_member (again, "documentId", entry->document_id);
  json_object_set_string_member (again, "payload", payload_text != NULL ? payload_text : "");
  json_object_set_string_member (again, "status", entry->status == CAIRN_OUTBOX_FAILED ? "failed" : "pending");
  json_object_set_string_member (again, "error", entry->error != NULL ? entry->error : "");

  reread = cairn_outbox_entry_from_row (again, &error);
  if (reread == NULL)
    g_printerr ("not read back: %s\n", error->message);
  fuzz_check (reread != NULL);
  fuzz_check (reread->operation == entry->operation);
  fuzz_check (reread->status == entry->status);
  fuzz_check (g_strcmp0 (reread->error, entry->error) == 0);
  fuzz_check ((reread->payload == NULL) == (entry->payload == NULL));
  if (entry->payload != NULL)
    fuzz_check (json_object_get_size (reread->payload) == json_object_get_size (entry->payload));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  const char *nul = memchr (data, '\0', size);
  gsize row_length = nul != NULL ? (gsize) (nul - text) : size;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonObject) row = NULL;
  g_autoptr(CairnOutboxEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  if (row_length == 0)
    root = cairn_json_parse (well_formed_row, strlen (well_formed_row), NULL);
  else
    root = cairn_json_parse (text, row_length, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;

  /* the parser hands out sealed objects; this one may be changed below */
  row = mutable_copy (json_node_get_object (root));

  if (nul != NULL)
    {
      /* a string member is a C string, so it ends at the next NUL */
      g_autofree char *payload = g_strndup (nul + 1, size - row_length - 1);

      json_object_set_string_member (row, "payload", payload);
    }

  entry = cairn_outbox_entry_from_row (row, &error);

  fuzz_check ((entry != NULL) != (error != NULL));
  if (entry == NULL)
    {
      fuzz_check (error->domain == CAIRN_STORE_ERROR && error->code == CAIRN_STORE_ERROR_DATABASE);
      return 0;
    }

  fuzz_check (entry->id != NULL && same_member (row, "clientId", entry->id));
  fuzz_check (entry->table != NULL && same_member (row, "targetTable", entry->table));
  fuzz_check (entry->document_id != NULL && same_member (row, "documentId", entry->document_id));
  fuzz_check (entry->operation <= CAIRN_OUTBOX_REMOVE);
  fuzz_check ((entry->payload == NULL) == (entry->operation == CAIRN_OUTBOX_REMOVE));
  fuzz_check (entry->status <= CAIRN_OUTBOX_FAILED);
  fuzz_check ((entry->error != NULL) == (entry->status == CAIRN_OUTBOX_FAILED));

  check_round_trip (row, entry);

  return 0;
}
