/* test-sync-protocol.c — the sync protocol's frames, parser and chunk joiner, without a socket
 *
 * The vectors come from the reference transcript of the official client
 * and a deployment: T1 = 1764134557000000000 ns is "AOL5ZQh3exg=", T2 =
 * T1 + 250 ms is "gJTgdAh3exg=".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-sync-protocol.h"

#define T1 G_GUINT64_CONSTANT (1764134557000000000)
#define T2 G_GUINT64_CONSTANT (1764134557250000000)

static void
test_ts_codec (void)
{
  static const struct {
    guint64     ts;
    const char *text;
  } vectors[] = {
    { 0, "AAAAAAAAAAA=" },
    { 1, "AQAAAAAAAAA=" },
    { 5, "BQAAAAAAAAA=" },
    { T1, "AOL5ZQh3exg=" },
    { T2, "gJTgdAh3exg=" },
    { G_MAXUINT64, "//////////8=" },
  };
  static const char *const refused[] = {
    "", "AAAAAAAAAAA", "AAAAAAAAAAA==", "AAAAAAAAAA==", "AAAAAAAAAAAA", "AAAAAAAAAAAAAAAA",
    "AAAAAAAAAAB=",   /* padding bits set */
    "AAAA AAAAAA=", "-AAAAAAAAAA=", "_AAAAAAAAAA=", "AAAAAAAAAA=A", "AAAAAAAAA\nA=",
  };

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *encoded = cairn_sync_ts_encode (vectors[i].ts);
      guint64 decoded = 42;

      g_assert_cmpstr (encoded, ==, vectors[i].text);
      g_assert_true (cairn_sync_ts_decode (vectors[i].text, &decoded));
      g_assert_cmpuint (decoded, ==, vectors[i].ts);
    }

  for (guint i = 0; i < 1000; i++)
    {
      guint64 ts = (guint64) g_random_int () << 32 | g_random_int ();
      g_autofree char *encoded = cairn_sync_ts_encode (ts);
      guint64 decoded = 0;

      g_assert_true (cairn_sync_ts_decode (encoded, &decoded));
      g_assert_cmpuint (decoded, ==, ts);
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      guint64 decoded = 42;

      g_test_message ("refused: “%s”", refused[i]);
      g_assert_false (cairn_sync_ts_decode (refused[i], &decoded));
      g_assert_cmpuint (decoded, ==, 42);
    }
  g_assert_false (cairn_sync_ts_decode (NULL, NULL));
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = cairn_json_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

static void
test_connect_frame (void)
{
  g_autofree char *frame = cairn_sync_connect_frame ("0b7e6c1a-3f2d-4c8e-9a51-2d4f6e8b1c30", 0, "InitialConnect",
                                                     1764134556990);
  g_autofree char *again = cairn_sync_connect_frame ("s", 3, "closed with code 1006", 1);

  /* as the official client sends it */
  g_assert_cmpstr (frame, ==,
                   "{\"type\":\"Connect\",\"sessionId\":\"0b7e6c1a-3f2d-4c8e-9a51-2d4f6e8b1c30\","
                   "\"connectionCount\":0,\"lastCloseReason\":\"InitialConnect\",\"clientTs\":1764134556990}");
  g_assert_cmpstr (again, ==,
                   "{\"type\":\"Connect\",\"sessionId\":\"s\",\"connectionCount\":3,"
                   "\"lastCloseReason\":\"closed with code 1006\",\"clientTs\":1}");
}

static void
test_modify_query_set_frame (void)
{
  g_autoptr(JsonObject) args = parse_object ("{\"table\":\"messages\",\"index\":\"by_conversation\","
                                             "\"equal\":[\"c1\"],\"order\":\"asc\","
                                             "\"paginationOpts\":{\"numItems\":50,\"cursor\":null}}");
  CairnSyncQueryChange changes[] = {
    { TRUE, 0, "documents:list", args },
    { TRUE, 7, "notes:list", NULL },
    { FALSE, 3, NULL, NULL },
  };
  g_autofree char *frame = cairn_sync_modify_query_set_frame (0, 1, changes, G_N_ELEMENTS (changes));
  g_autofree char *empty = cairn_sync_modify_query_set_frame (4, 5, NULL, 0);
  g_autofree char *one = cairn_sync_modify_query_set_frame (1, 2, &changes[2], 1);
  g_autoptr(JsonObject) parsed = parse_object (frame);
  JsonArray *modifications;
  JsonObject *add;
  JsonArray *sent_args;

  g_assert_cmpstr (empty, ==, "{\"type\":\"ModifyQuerySet\",\"baseVersion\":4,\"newVersion\":5,\"modifications\":[]}");
  g_assert_cmpstr (one, ==,
                   "{\"type\":\"ModifyQuerySet\",\"baseVersion\":1,\"newVersion\":2,"
                   "\"modifications\":[{\"type\":\"Remove\",\"queryId\":3}]}");

  g_assert_cmpstr (json_object_get_string_member (parsed, "type"), ==, "ModifyQuerySet");
  g_assert_cmpint (json_object_get_int_member (parsed, "baseVersion"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (parsed, "newVersion"), ==, 1);
  modifications = json_object_get_array_member (parsed, "modifications");
  g_assert_cmpuint (json_array_get_length (modifications), ==, 3);

  add = json_array_get_object_element (modifications, 0);
  g_assert_cmpstr (json_object_get_string_member (add, "type"), ==, "Add");
  g_assert_cmpint (json_object_get_int_member (add, "queryId"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (add, "udfPath"), ==, "documents:list");
  /* args: an array of the one object */
  sent_args = json_object_get_array_member (add, "args");
  g_assert_cmpuint (json_array_get_length (sent_args), ==, 1);
  {
    g_autoptr(JsonNode) expected = json_node_init_object (json_node_alloc (), args);

    g_assert_cmpint (cairn_json_compare (json_array_get_element (sent_args, 0), expected), ==, 0);
  }

  add = json_array_get_object_element (modifications, 1);
  g_assert_cmpint (json_object_get_int_member (add, "queryId"), ==, 7);
  sent_args = json_object_get_array_member (add, "args");
  g_assert_cmpuint (json_array_get_length (sent_args), ==, 1);
  g_assert_cmpuint (json_object_get_size (json_array_get_object_element (sent_args, 0)), ==, 0);

  add = json_array_get_object_element (modifications, 2);
  g_assert_cmpstr (json_object_get_string_member (add, "type"), ==, "Remove");
  g_assert_cmpint (json_object_get_int_member (add, "queryId"), ==, 3);
  g_assert_false (json_object_has_member (add, "args"));
}

static CairnSyncMessage *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  CairnSyncMessage *message = cairn_sync_message_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);

  return message;
}

static void
test_parse_transcript (void)
{
  g_autoptr(CairnSyncMessage) first = parse_ok (
    "{\"type\":\"Transition\",\"startVersion\":{\"querySet\":0,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"},"
    "\"endVersion\":{\"querySet\":1,\"identity\":1,\"ts\":\"AOL5ZQh3exg=\"},"
    "\"modifications\":[{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":[],\"logLines\":[],\"journal\":null}]}");
  g_autoptr(CairnSyncMessage) second = parse_ok (
    "{\"type\":\"Transition\",\"startVersion\":{\"querySet\":1,\"identity\":1,\"ts\":\"AOL5ZQh3exg=\"},"
    "\"endVersion\":{\"querySet\":1,\"identity\":1,\"ts\":\"gJTgdAh3exg=\"},"
    "\"modifications\":[{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":[{\"_id\":\"k57a\",\"folder\":\"inbox\","
    "\"n\":{\"$integer\":\"BQAAAAAAAAA=\"}}],\"logLines\":[\"a line\"],\"journal\":\"j\"}],"
    "\"serverTs\":1764134557250000000,\"clientClockSkew\":null}");
  g_autoptr(CairnSyncMessage) removed = parse_ok (
    "{\"type\":\"Transition\",\"startVersion\":{\"querySet\":1,\"identity\":1,\"ts\":\"gJTgdAh3exg=\"},"
    "\"endVersion\":{\"querySet\":2,\"identity\":1,\"ts\":\"gJTgdAh3exg=\"},"
    "\"modifications\":[{\"type\":\"QueryRemoved\",\"queryId\":0}]}");
  g_autoptr(CairnSyncMessage) ping = parse_ok ("{\"type\":\"Ping\"}");
  g_autoptr(CairnSyncMessage) mutation = parse_ok (
    "{\"type\":\"MutationResponse\",\"requestId\":0,\"success\":true,\"result\":null,\"ts\":\"gJTgdAh3exg=\",\"logLines\":[]}");
  CairnSyncModification *modification;
  JsonObject *document;

  g_assert_cmpint (first->type, ==, CAIRN_SYNC_MESSAGE_TRANSITION);
  g_assert_cmpuint (first->start_version.query_set, ==, 0);
  g_assert_cmpuint (first->start_version.identity, ==, 0);
  g_assert_cmpuint (first->start_version.ts, ==, 0);
  g_assert_cmpuint (first->end_version.query_set, ==, 1);
  g_assert_cmpuint (first->end_version.identity, ==, 1);
  g_assert_cmpuint (first->end_version.ts, ==, T1);
  g_assert_cmpuint (first->modifications->len, ==, 1);
  modification = g_ptr_array_index (first->modifications, 0);
  g_assert_cmpint (modification->kind, ==, CAIRN_SYNC_QUERY_UPDATED);
  g_assert_cmpuint (modification->query_id, ==, 0);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (modification->value));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (modification->value)), ==, 0);

  /* each Transition starts where the last ended */
  g_assert_true (cairn_sync_version_equal (&second->start_version, &first->end_version));
  g_assert_true (cairn_sync_version_equal (&removed->start_version, &second->end_version));
  g_assert_false (cairn_sync_version_equal (&removed->start_version, &first->end_version));
  g_assert_false (cairn_sync_version_equal (&second->start_version, &first->start_version));
  g_assert_cmpuint (second->end_version.ts, ==, T2);

  /* versions never go back: the client checks that each one follows */
  g_assert_true (cairn_sync_version_follows (&first->start_version, &first->end_version));
  g_assert_true (cairn_sync_version_follows (&first->end_version, &second->end_version));
  g_assert_true (cairn_sync_version_follows (&second->end_version, &second->end_version));
  g_assert_false (cairn_sync_version_follows (&second->end_version, &first->end_version));
  g_assert_false (cairn_sync_version_follows (&removed->end_version, &second->end_version));
  {
    CairnSyncVersion identity_back = first->end_version;

    identity_back.identity = 0;
    g_assert_false (cairn_sync_version_follows (&first->end_version, &identity_back));
  }

  /* values decoded as the HTTP client decodes them */
  modification = g_ptr_array_index (second->modifications, 0);
  document = json_array_get_object_element (json_node_get_array (modification->value), 0);
  g_assert_cmpstr (json_object_get_string_member (document, "folder"), ==, "inbox");
  g_assert_cmpint (json_object_get_int_member (document, "n"), ==, 5);

  modification = g_ptr_array_index (removed->modifications, 0);
  g_assert_cmpint (modification->kind, ==, CAIRN_SYNC_QUERY_REMOVED);
  g_assert_null (modification->value);

  g_assert_cmpint (ping->type, ==, CAIRN_SYNC_MESSAGE_PING);
  g_assert_cmpint (mutation->type, ==, CAIRN_SYNC_MESSAGE_OTHER);

  {
    g_autofree char *shown = cairn_sync_version_to_string (&first->end_version);

    g_assert_cmpstr (shown, ==, "{querySet 1, identity 1, ts 1764134557000000000}");
  }
}

static void
test_parse_other_messages (void)
{
  g_autoptr(CairnSyncMessage) failed = parse_ok (
    "{\"type\":\"Transition\",\"startVersion\":{\"querySet\":0,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"},"
    "\"endVersion\":{\"querySet\":1,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"},\"modifications\":["
    "{\"type\":\"QueryFailed\",\"queryId\":4,\"errorMessage\":\"[Request ID: 1a2b] Server Error\\nUncaught Error: "
    "boom\\n    at handler (../convex/documents.ts:12:3)\",\"logLines\":[],\"journal\":null},"
    "{\"type\":\"QueryFailed\",\"queryId\":5,\"errorMessage\":\"[Request ID: 1a2b] Server Error\\nUncaught "
    "ConvexError: {}\",\"errorData\":{\"code\":\"UnknownIndex\",\"message\":\"The table has no index \\u201cx\\u201d.\"}},"
    "{\"type\":\"QueryFailed\",\"queryId\":6,\"errorMessage\":\"\"},"
    "{\"type\":\"QueryUpdated\",\"queryId\":7}]}");
  g_autoptr(CairnSyncMessage) chunk = parse_ok (
    "{\"type\":\"TransitionChunk\",\"chunk\":\"{\\\"type\\\"\",\"partNumber\":1,\"totalParts\":3,\"transitionId\":\"812\"}");
  g_autoptr(CairnSyncMessage) auth = parse_ok (
    "{\"type\":\"AuthError\",\"error\":\"The provided admin key was invalid for this instance\",\"baseVersion\":0,"
    "\"authUpdateAttempted\":true}");
  g_autoptr(CairnSyncMessage) fatal = parse_ok (
    "{\"type\":\"FatalError\",\"error\":\"Base version 3 passed up doesn't match the current version 1\\u0007\"}");
  g_autoptr(CairnSyncMessage) newer = parse_ok ("{\"type\":\"SomethingNew\",\"x\":[1]}");
  CairnSyncModification *modification;

  modification = g_ptr_array_index (failed->modifications, 0);
  g_assert_cmpint (modification->kind, ==, CAIRN_SYNC_QUERY_FAILED);
  g_assert_cmpuint (modification->query_id, ==, 4);
  g_assert_cmpstr (modification->error_message, ==, "boom");
  modification = g_ptr_array_index (failed->modifications, 1);
  g_assert_cmpstr (modification->error_message, ==, "The table has no index “x”.");
  modification = g_ptr_array_index (failed->modifications, 2);
  g_assert_cmpstr (modification->error_message, !=, "");
  /* a missing value is null */
  modification = g_ptr_array_index (failed->modifications, 3);
  g_assert_true (JSON_NODE_HOLDS_NULL (modification->value));

  g_assert_cmpint (chunk->type, ==, CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK);
  g_assert_cmpstr (chunk->chunk, ==, "{\"type\"");
  g_assert_cmpuint (chunk->part_number, ==, 1);
  g_assert_cmpuint (chunk->total_parts, ==, 3);
  g_assert_cmpstr (chunk->transition_id, ==, "812");

  g_assert_cmpint (auth->type, ==, CAIRN_SYNC_MESSAGE_AUTH_ERROR);
  g_assert_cmpstr (auth->error, ==, "The provided admin key was invalid for this instance");
  g_assert_cmpint (fatal->type, ==, CAIRN_SYNC_MESSAGE_FATAL_ERROR);
  /* control characters dropped */
  g_assert_cmpstr (fatal->error, ==, "Base version 3 passed up doesn't match the current version 1");
  g_assert_cmpint (newer->type, ==, CAIRN_SYNC_MESSAGE_OTHER);
}

#define V0 "{\"querySet\":0,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"}"
#define V1 "{\"querySet\":1,\"identity\":1,\"ts\":\"AOL5ZQh3exg=\"}"
#define TRANSITION(start, end, mods) \
  "{\"type\":\"Transition\",\"startVersion\":" start ",\"endVersion\":" end ",\"modifications\":" mods "}"
#define WITH_MOD(mod) TRANSITION (V0, V1, "[" mod "]")

static void
test_parse_malformed (void)
{
  static const char *const refused[] = {
    /* not a message */
    "", "   ", "{\"type\":\"Transition\",\"startVersion\":{\"querySet\":", "[]", "\"Ping\"", "null", "42",
    "{\"type\":\"Ping\",}", "{'type':'Ping'}", "{\"type\":\"Ping\"/*x*/}",
    "{}", "{\"type\":null}", "{\"type\":5}", "{\"type\":[\"Ping\"]}",
    "{\"type\":\"Ping\",\"x\":\"\\u0000\"}",
    /* Transition: the versions */
    "{\"type\":\"Transition\",\"endVersion\":" V1 ",\"modifications\":[]}",
    "{\"type\":\"Transition\",\"startVersion\":" V0 ",\"modifications\":[]}",
    TRANSITION ("null", V1, "[]"),
    TRANSITION ("[]", V1, "[]"),
    TRANSITION ("{\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":0}", V1, "[]"),
    TRANSITION ("{\"querySet\":-1,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0.5,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":\"0\",\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":4294967296,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":true,\"ts\":\"AAAAAAAAAAA=\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":0,\"ts\":0}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":0,\"ts\":\"AAAAAAAAAA==\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":0,\"ts\":\"not base64!\"}", V1, "[]"),
    TRANSITION ("{\"querySet\":0,\"identity\":0,\"ts\":null}", V1, "[]"),
    /* the modifications */
    "{\"type\":\"Transition\",\"startVersion\":" V0 ",\"endVersion\":" V1 "}",
    TRANSITION (V0, V1, "null"),
    TRANSITION (V0, V1, "{}"),
    TRANSITION (V0, V1, "\"[]\""),
    WITH_MOD ("1"),
    WITH_MOD ("[]"),
    WITH_MOD ("{}"),
    WITH_MOD ("{\"queryId\":0}"),
    WITH_MOD ("{\"type\":\"QueryChanged\",\"queryId\":0}"),
    WITH_MOD ("{\"type\":7,\"queryId\":0}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"value\":1}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":\"0\",\"value\":1}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":-3,\"value\":1}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":1e3,\"value\":1}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":1,\"logLines\":\"x\"}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":1,\"logLines\":[1]}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":1,\"journal\":5}"),
    WITH_MOD ("{\"type\":\"QueryFailed\",\"queryId\":0}"),
    WITH_MOD ("{\"type\":\"QueryFailed\",\"queryId\":0,\"errorMessage\":null}"),
    WITH_MOD ("{\"type\":\"QueryFailed\",\"queryId\":0,\"errorMessage\":[\"x\"]}"),
    WITH_MOD ("{\"type\":\"QueryFailed\",\"queryId\":0,\"errorMessage\":\"x\",\"logLines\":{}}"),
    WITH_MOD ("{\"type\":\"QueryRemoved\"}"),
    WITH_MOD ("{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":1},{\"type\":\"QueryRemoved\",\"queryId\":true}"),
    "{\"type\":\"Transition\",\"startVersion\":" V0 ",\"endVersion\":" V1 ",\"modifications\":[],\"serverTs\":\"1\"}",
    "{\"type\":\"Transition\",\"startVersion\":" V0 ",\"endVersion\":" V1 ",\"modifications\":[],\"clientClockSkew\":[]}",
    /* TransitionChunk */
    "{\"type\":\"TransitionChunk\",\"partNumber\":0,\"totalParts\":1,\"transitionId\":\"1\"}",
    "{\"type\":\"TransitionChunk\",\"chunk\":5,\"partNumber\":0,\"totalParts\":1,\"transitionId\":\"1\"}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"totalParts\":1,\"transitionId\":\"1\"}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"partNumber\":0,\"transitionId\":\"1\"}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"partNumber\":0,\"totalParts\":1}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"partNumber\":0,\"totalParts\":1,\"transitionId\":1}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"partNumber\":1,\"totalParts\":1,\"transitionId\":\"1\"}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"partNumber\":0,\"totalParts\":0,\"transitionId\":\"1\"}",
    "{\"type\":\"TransitionChunk\",\"chunk\":\"x\",\"partNumber\":-1,\"totalParts\":2,\"transitionId\":\"1\"}",
    /* AuthError, FatalError */
    "{\"type\":\"AuthError\",\"baseVersion\":0}",
    "{\"type\":\"AuthError\",\"error\":\"x\"}",
    "{\"type\":\"AuthError\",\"error\":\"x\",\"baseVersion\":\"0\"}",
    "{\"type\":\"AuthError\",\"error\":\"x\",\"baseVersion\":0,\"authUpdateAttempted\":\"yes\"}",
    "{\"type\":\"FatalError\"}",
    "{\"type\":\"FatalError\",\"error\":{\"message\":\"x\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CairnSyncMessage) message = NULL;

      message = cairn_sync_message_parse (refused[i], strlen (refused[i]), &error);
      g_test_message ("%s → %s", refused[i], error != NULL ? error->message : "(accepted)");
      g_assert_null (message);
      g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }

  /* not UTF-8, a NUL inside, too deep, not NUL-terminated */
  {
    static const char invalid[] = "{\"type\":\"Ping\",\"x\":\"\xff\"}";
    static const char nul[] = "{\"type\":\"Ping\"}\0{}";
    g_autoptr(GString) deep = g_string_new ("{\"type\":\"Transition\",\"x\":");
    g_autoptr(GError) error = NULL;
    g_autofree char *exact = g_strdup ("{\"type\":\"Ping\"}XXXX");

    for (guint i = 0; i < 100; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 100; i++)
      g_string_append_c (deep, ']');
    g_string_append_c (deep, '}');

    g_assert_null (cairn_sync_message_parse (invalid, sizeof invalid - 1, &error));
    g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
    g_clear_error (&error);
    g_assert_null (cairn_sync_message_parse (nul, sizeof nul - 1, &error));
    g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
    g_clear_error (&error);
    g_assert_null (cairn_sync_message_parse (deep->str, deep->len, &error));
    g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
    g_clear_error (&error);
    /* only the given length is read */
    {
      g_autoptr(CairnSyncMessage) ping = cairn_sync_message_parse (exact, strlen ("{\"type\":\"Ping\"}"), &error);

      g_assert_no_error (error);
      g_assert_cmpint (ping->type, ==, CAIRN_SYNC_MESSAGE_PING);
    }
  }
}

/* Cuts @text into parts of at most @size bytes as TransitionChunk messages. */
static GPtrArray *
chunks_of (const char *text,
           gsize       size,
           const char *transition_id)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_sync_message_free);
  gsize len = strlen (text);
  guint total = (len + size - 1) / size;

  for (guint i = 0; i < total; i++)
    {
      CairnSyncMessage *chunk = g_new0 (CairnSyncMessage, 1);

      chunk->type = CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK;
      chunk->chunk = g_strndup (text + i * size, size);
      chunk->part_number = i;
      chunk->total_parts = total;
      chunk->transition_id = g_strdup (transition_id);
      g_ptr_array_add (parts, chunk);
    }

  return parts;
}

#define BIG_TRANSITION \
  TRANSITION (V0, V1, "[{\"type\":\"QueryUpdated\",\"queryId\":0,\"value\":[{\"text\":\"a longer value, cut into parts\"}]}]")

static void
test_chunks_join (void)
{
  g_autoptr(CairnSyncChunks) chunks = cairn_sync_chunks_new ();
  g_autoptr(GPtrArray) parts = chunks_of (BIG_TRANSITION, 20, "177");
  g_autoptr(GPtrArray) single = chunks_of (BIG_TRANSITION, 1000, "177");
  g_autoptr(GString) joined = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (parts->len, >, 3);
  for (guint i = 0; i < parts->len; i++)
    {
      g_assert_true (cairn_sync_chunks_add (chunks, g_ptr_array_index (parts, i), &joined, &error));
      g_assert_no_error (error);
      if (i + 1 < parts->len)
        {
          g_assert_null (joined);
          g_assert_true (cairn_sync_chunks_is_pending (chunks));
        }
    }
  g_assert_nonnull (joined);
  g_assert_false (cairn_sync_chunks_is_pending (chunks));
  g_assert_cmpstr (joined->str, ==, BIG_TRANSITION);
  {
    g_autoptr(CairnSyncMessage) transition = cairn_sync_message_parse (joined->str, joined->len, &error);

    g_assert_no_error (error);
    g_assert_cmpint (transition->type, ==, CAIRN_SYNC_MESSAGE_TRANSITION);
    g_assert_cmpuint (transition->modifications->len, ==, 1);
  }
  g_string_free (g_steal_pointer (&joined), TRUE);

  /* one part is a whole */
  g_assert_cmpuint (single->len, ==, 1);
  g_assert_true (cairn_sync_chunks_add (chunks, g_ptr_array_index (single, 0), &joined, &error));
  g_assert_cmpstr (joined->str, ==, BIG_TRANSITION);
}

/* what the official client throws on, an error here; the joiner is empty after */
static void
test_chunks_mismatch (void)
{
  g_autoptr(CairnSyncChunks) chunks = cairn_sync_chunks_new ();
  g_autoptr(GPtrArray) parts = chunks_of (BIG_TRANSITION, 20, "177");
  g_autoptr(GPtrArray) other = chunks_of (BIG_TRANSITION, 30, "177");
  g_autoptr(GPtrArray) renamed = chunks_of (BIG_TRANSITION, 20, "178");
  struct {
    const char *what;
    GPtrArray  *first;
    GPtrArray  *then;
    guint       then_part;
  } cases[] = {
    { "a part skipped", parts, parts, 2 },
    { "a part twice", parts, parts, 0 },
    { "another total", parts, other, 1 },
    { "another transition", parts, renamed, 1 },
  };

  /* a later part first */
  for (guint part = 1; part < 3; part++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) joined = NULL;

      g_assert_false (cairn_sync_chunks_add (chunks, g_ptr_array_index (parts, part), &joined, &error));
      g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
      g_assert_null (joined);
      g_assert_false (cairn_sync_chunks_is_pending (chunks));
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) joined = NULL;

      g_test_message ("%s", cases[i].what);
      g_assert_true (cairn_sync_chunks_add (chunks, g_ptr_array_index (cases[i].first, 0), &joined, &error));
      g_assert_no_error (error);
      g_assert_false (cairn_sync_chunks_add (chunks, g_ptr_array_index (cases[i].then, cases[i].then_part),
                                             &joined, &error));
      g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
      g_assert_null (joined);
      g_assert_false (cairn_sync_chunks_is_pending (chunks));
    }

  /* and after all that, a whole sequence still joins */
  {
    g_autoptr(GString) joined = NULL;

    for (guint i = 0; i < parts->len; i++)
      g_assert_true (cairn_sync_chunks_add (chunks, g_ptr_array_index (parts, i), &joined, NULL));
    g_assert_cmpstr (joined->str, ==, BIG_TRANSITION);
  }

  /* a reset drops the parts so far */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (cairn_sync_chunks_add (chunks, g_ptr_array_index (parts, 0), NULL, NULL));
    cairn_sync_chunks_reset (chunks);
    g_assert_false (cairn_sync_chunks_is_pending (chunks));
    g_assert_false (cairn_sync_chunks_add (chunks, g_ptr_array_index (parts, 1), NULL, &error));
    g_assert_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sync-protocol/ts-codec", test_ts_codec);
  g_test_add_func ("/sync-protocol/connect-frame", test_connect_frame);
  g_test_add_func ("/sync-protocol/modify-query-set-frame", test_modify_query_set_frame);
  g_test_add_func ("/sync-protocol/parse/transcript", test_parse_transcript);
  g_test_add_func ("/sync-protocol/parse/other-messages", test_parse_other_messages);
  g_test_add_func ("/sync-protocol/parse/malformed", test_parse_malformed);
  g_test_add_func ("/sync-protocol/chunks/join", test_chunks_join);
  g_test_add_func ("/sync-protocol/chunks/mismatch", test_chunks_mismatch);

  return g_test_run ();
}
