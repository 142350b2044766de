/* cairn-sync-protocol.c
 *
 * Convex's sync protocol, as the deployment speaks it over the WebSocket
 * at /api/sync: one JSON object per text frame. What the server sends is
 * untrusted: it goes through cairn_json_parse() (depth-bounded, UTF-8
 * checked) and every member the client uses is checked for its type before
 * anything reads it. A message that does not fit is refused as a whole with
 * a CAIRN_CONVEX_ERROR_BAD_RESPONSE naming what was wrong; the client then
 * drops the socket and subscribes again (docs/ARCHITECTURE.md).
 *
 * Timestamps are u64 nanoseconds, on the wire the padded standard base64 of
 * their 8 little-endian bytes ("AAAAAAAAAAA=" is 0). Query values are in
 * Convex's encoded JSON and are decoded as the HTTP client decodes answers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-sync-protocol"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-json.h"
#include "cairn-sync-protocol.h"

/* Timestamps ------------------------------------------------------------------ */

/**
 * cairn_sync_ts_encode:
 * @ts: nanoseconds since the epoch
 *
 * Returns: (transfer full): the wire form, 12 characters of base64
 */
char *
cairn_sync_ts_encode (guint64 ts)
{
  guint8 bytes[8];

  for (guint i = 0; i < 8; i++)
    bytes[i] = (guint8) (ts >> (8 * i));

  return g_base64_encode (bytes, sizeof bytes);
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static gboolean
is_base64_char (char c)
{
  return c != '\0' && strchr (alphabet, c) != NULL;
}

/**
 * cairn_sync_ts_decode:
 * @text: (nullable): the wire form
 * @ts: (out): the timestamp
 *
 * Strict: exactly 8 bytes as padded standard base64 (11 characters and
 * "="), the padding bits zero, nothing else (g_base64_decode() skips what
 * it does not know, which would let garbage through).
 */
gboolean
cairn_sync_ts_decode (const char *text,
                      guint64    *ts)
{
  g_autofree guchar *bytes = NULL;
  gsize len = 0;
  guint64 value = 0;

  if (text == NULL || strlen (text) != 12 || text[11] != '=')
    return FALSE;
  for (guint i = 0; i < 11; i++)
    if (!is_base64_char (text[i]))
      return FALSE;
  /* the last character carries 2 bits of padding, which must be 0 */
  if (((strchr (alphabet, text[10]) - alphabet) & 3) != 0)
    return FALSE;

  bytes = g_base64_decode (text, &len);
  if (len != 8)
    return FALSE;

  for (guint i = 0; i < 8; i++)
    value |= (guint64) bytes[i] << (8 * i);
  *ts = value;

  return TRUE;
}

gboolean
cairn_sync_version_equal (const CairnSyncVersion *a,
                          const CairnSyncVersion *b)
{
  return a->query_set == b->query_set && a->identity == b->identity && a->ts == b->ts;
}

/* Whether @later is @earlier or after it in every part (versions never go back). */
gboolean
cairn_sync_version_follows (const CairnSyncVersion *earlier,
                            const CairnSyncVersion *later)
{
  return later->query_set >= earlier->query_set && later->identity >= earlier->identity && later->ts >= earlier->ts;
}

/**
 * cairn_sync_version_to_string:
 *
 * Returns: (transfer full): "{querySet 1, identity 1, ts 1764134557000000000}", for logs
 */
char *
cairn_sync_version_to_string (const CairnSyncVersion *version)
{
  return g_strdup_printf ("{querySet %u, identity %u, ts %" G_GUINT64_FORMAT "}",
                          version->query_set, version->identity, version->ts);
}

/* Client frames ----------------------------------------------------------------- */

static char *
node_to_text (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, NULL);
}

/**
 * cairn_sync_connect_frame:
 * @session_id: a UUID, the same for the client's life
 * @connection_count: 0 for the first socket, then 1, 2, …
 * @last_close_reason: "InitialConnect", "InactiveServer", "closed with code N", …
 * @client_ts_ms: the wall clock, in milliseconds since the epoch
 *
 * Returns: (transfer full): the Connect frame, the first on every socket
 */
char *
cairn_sync_connect_frame (const char *session_id,
                          guint       connection_count,
                          const char *last_close_reason,
                          gint64      client_ts_ms)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (session_id != NULL, NULL);
  g_return_val_if_fail (last_close_reason != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "Connect");
  json_builder_set_member_name (builder, "sessionId");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "connectionCount");
  json_builder_add_int_value (builder, connection_count);
  json_builder_set_member_name (builder, "lastCloseReason");
  json_builder_add_string_value (builder, last_close_reason);
  json_builder_set_member_name (builder, "clientTs");
  json_builder_add_int_value (builder, client_ts_ms);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);

  return node_to_text (root);
}

/**
 * cairn_sync_modify_query_set_frame:
 * @base_version: the query set version the server has (0 on a new socket)
 * @new_version: the version after these changes, greater than @base_version
 * @changes: (array length=n_changes): Add and Remove, in order
 *
 * Returns: (transfer full): the ModifyQuerySet frame; args go as
 *   `"args":[{…}]`, an array of the one object, as Convex expects them
 */
char *
cairn_sync_modify_query_set_frame (guint                       base_version,
                                   guint                       new_version,
                                   const CairnSyncQueryChange *changes,
                                   guint                       n_changes)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (new_version > base_version, NULL);
  g_return_val_if_fail (changes != NULL || n_changes == 0, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "ModifyQuerySet");
  json_builder_set_member_name (builder, "baseVersion");
  json_builder_add_int_value (builder, base_version);
  json_builder_set_member_name (builder, "newVersion");
  json_builder_add_int_value (builder, new_version);
  json_builder_set_member_name (builder, "modifications");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_changes; i++)
    {
      const CairnSyncQueryChange *change = &changes[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, change->add ? "Add" : "Remove");
      json_builder_set_member_name (builder, "queryId");
      json_builder_add_int_value (builder, change->query_id);
      if (change->add)
        {
          g_autoptr(JsonObject) empty = NULL;
          JsonObject *args = change->args;

          if (args == NULL)
            args = empty = json_object_new ();

          json_builder_set_member_name (builder, "udfPath");
          json_builder_add_string_value (builder, change->udf_path);
          json_builder_set_member_name (builder, "args");
          json_builder_begin_array (builder);
          json_builder_add_value (builder, json_node_init_object (json_node_alloc (), args));
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);

  return node_to_text (root);
}

/* Server messages ---------------------------------------------------------------- */

static void
modification_free (gpointer data)
{
  CairnSyncModification *modification = data;

  g_clear_pointer (&modification->value, json_node_unref);
  g_free (modification->error_message);
  g_free (modification);
}

void
cairn_sync_message_free (CairnSyncMessage *message)
{
  if (message == NULL)
    return;

  g_clear_pointer (&message->modifications, g_ptr_array_unref);
  g_free (message->chunk);
  g_free (message->transition_id);
  g_free (message->error);
  g_free (message);
}

G_GNUC_PRINTF (2, 3)
static gboolean
malformed (GError     **error,
           const char  *format,
           ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
               _("Your database sent a live update Cairn cannot read: %s"), detail);

  return FALSE;
}

/* The member as an integer in [0, @max], else FALSE (with @error). */
static gboolean
get_uint (JsonObject  *object,
          const char  *context,
          const char  *member,
          guint64      max,
          guint64     *out,
          GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return malformed (error, _("%s has no whole number “%s”."), context, member);

  value = json_node_get_int (node);
  if (value < 0 || (guint64) value > max)
    return malformed (error, _("%s has “%s” out of range."), context, member);

  *out = (guint64) value;
  return TRUE;
}

static gboolean
get_u32 (JsonObject  *object,
         const char  *context,
         const char  *member,
         guint32     *out,
         GError     **error)
{
  guint64 value;

  if (!get_uint (object, context, member, G_MAXUINT32, &value, error))
    return FALSE;

  *out = (guint32) value;
  return TRUE;
}

static const char *
get_string (JsonObject  *object,
            const char  *context,
            const char  *member,
            GError     **error)
{
  const char *value = cairn_json_get_string (object, member);

  if (value == NULL)
    malformed (error, _("%s has no text “%s”."), context, member);

  return value;
}

/* An optional member: absent, null or of @type. */
static gboolean
check_optional (JsonObject  *object,
                const char  *context,
                const char  *member,
                JsonNodeType type,
                GType        value_type,
                GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (json_node_get_node_type (node) == type &&
      (type != JSON_NODE_VALUE || value_type == G_TYPE_INVALID || json_node_get_value_type (node) == value_type ||
       (value_type == G_TYPE_DOUBLE && json_node_get_value_type (node) == G_TYPE_INT64)))
    return TRUE;

  return malformed (error, _("%s has “%s” of the wrong type."), context, member);
}

/* logLines: absent, or an array of strings */
static gboolean
check_log_lines (JsonObject  *object,
                 const char  *context,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (object, "logLines");
  JsonArray *lines;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return malformed (error, _("%s has “%s” of the wrong type."), context, "logLines");

  lines = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonNode *line = json_array_get_element (lines, i);

      if (!JSON_NODE_HOLDS_VALUE (line) || json_node_get_value_type (line) != G_TYPE_STRING)
        return malformed (error, _("%s has “%s” of the wrong type."), context, "logLines");
    }

  return TRUE;
}

static gboolean
parse_version (JsonObject       *transition,
               const char       *member,
               CairnSyncVersion *version,
               GError          **error)
{
  JsonObject *object = cairn_json_get_object (transition, member);
  const char *ts;

  if (object == NULL)
    return malformed (error, _("A Transition has no “%s”."), member);

  if (!get_u32 (object, member, "querySet", &version->query_set, error) ||
      !get_u32 (object, member, "identity", &version->identity, error))
    return FALSE;

  ts = get_string (object, member, "ts", error);
  if (ts == NULL)
    return FALSE;
  if (!cairn_sync_ts_decode (ts, &version->ts))
    return malformed (error, _("%s has a timestamp that is not 8 bytes of base64."), member);

  return TRUE;
}

/* "[Request ID: 1a2b] Server Error\nUncaught Error: boom\n    at …" → "boom";
 * a Cairn function's ConvexError says it in errorData.message. */
static char *
query_error_message (JsonObject *modification)
{
  const char *raw = cairn_json_get_string (modification, "errorMessage");
  JsonObject *data = cairn_json_get_object (modification, "errorData");
  const char *data_message = cairn_json_get_string (data, "message");
  const char *newline;
  g_autofree char *cut = NULL;
  char *message;

  if (data_message != NULL)
    raw = data_message;

  if (g_str_has_prefix (raw, "[Request ID:") && (newline = strchr (raw, '\n')) != NULL)
    raw = newline + 1;
  if (g_str_has_prefix (raw, "Uncaught ") && (newline = strstr (raw, ": ")) != NULL)
    raw = newline + 2;
  newline = strstr (raw, "\n    at ");
  cut = newline != NULL ? g_strndup (raw, newline - raw) : g_strdup (raw);
  g_strchomp (cut);

  message = cairn_convex_server_text (cut);
  if (*message == '\0')
    {
      g_free (message);
      message = g_strdup (_("The query failed on your database without saying why."));
    }

  return message;
}

static CairnSyncModification *
parse_modification (JsonNode  *node,
                    GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  CairnSyncModification *modification;
  JsonObject *object;
  const char *type;
  guint32 query_id;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      malformed (error, _("A Transition has a modification that is not an object."));
      return NULL;
    }
  object = json_node_get_object (node);

  type = get_string (object, "A modification", "type", error);
  if (type == NULL)
    return NULL;
  if (!g_str_equal (type, "QueryUpdated") && !g_str_equal (type, "QueryFailed") && !g_str_equal (type, "QueryRemoved"))
    {
      g_autofree char *shown = cairn_convex_server_text (type);

      malformed (error, _("A Transition has a modification of the unknown type “%s”."), shown);
      return NULL;
    }
  if (!get_u32 (object, type, "queryId", &query_id, error))
    return NULL;

  modification = g_new0 (CairnSyncModification, 1);
  modification->query_id = query_id;

  if (g_str_equal (type, "QueryUpdated"))
    {
      JsonNode *value = json_object_get_member (object, "value");

      modification->kind = CAIRN_SYNC_QUERY_UPDATED;
      if (!check_log_lines (object, type, &local_error) ||
          !check_optional (object, type, "journal", JSON_NODE_VALUE, G_TYPE_STRING, &local_error))
        goto fail;
      /* a missing value is null, as the official client reads it */
      modification->value = value != NULL ? cairn_convex_value_decode (value) : json_node_new (JSON_NODE_NULL);
    }
  else if (g_str_equal (type, "QueryFailed"))
    {
      modification->kind = CAIRN_SYNC_QUERY_FAILED;
      if (get_string (object, type, "errorMessage", &local_error) == NULL ||
          !check_log_lines (object, type, &local_error) ||
          !check_optional (object, type, "journal", JSON_NODE_VALUE, G_TYPE_STRING, &local_error))
        goto fail;
      modification->error_message = query_error_message (object);
    }
  else
    {
      modification->kind = CAIRN_SYNC_QUERY_REMOVED;
    }

  return modification;

fail:
  g_propagate_error (error, g_steal_pointer (&local_error));
  modification_free (modification);
  return NULL;
}

static gboolean
parse_transition (JsonObject        *object,
                  CairnSyncMessage  *message,
                  GError           **error)
{
  JsonArray *modifications;

  if (!parse_version (object, "startVersion", &message->start_version, error) ||
      !parse_version (object, "endVersion", &message->end_version, error))
    return FALSE;

  if (!check_optional (object, "A Transition", "serverTs", JSON_NODE_VALUE, G_TYPE_DOUBLE, error) ||
      !check_optional (object, "A Transition", "clientClockSkew", JSON_NODE_VALUE, G_TYPE_DOUBLE, error))
    return FALSE;

  modifications = cairn_json_get_array (object, "modifications");
  if (modifications == NULL)
    return malformed (error, _("A Transition has no list of modifications."));

  message->modifications = g_ptr_array_new_full (json_array_get_length (modifications), modification_free);
  for (guint i = 0; i < json_array_get_length (modifications); i++)
    {
      CairnSyncModification *modification = parse_modification (json_array_get_element (modifications, i), error);

      if (modification == NULL)
        return FALSE;
      g_ptr_array_add (message->modifications, modification);
    }

  return TRUE;
}

static gboolean
parse_chunk (JsonObject        *object,
             CairnSyncMessage  *message,
             GError           **error)
{
  const char *chunk;
  const char *transition_id;
  guint32 part_number;
  guint32 total_parts;

  if ((chunk = get_string (object, "A TransitionChunk", "chunk", error)) == NULL ||
      !get_u32 (object, "A TransitionChunk", "partNumber", &part_number, error) ||
      !get_u32 (object, "A TransitionChunk", "totalParts", &total_parts, error) ||
      (transition_id = get_string (object, "A TransitionChunk", "transitionId", error)) == NULL)
    return FALSE;

  if (total_parts == 0 || part_number >= total_parts)
    return malformed (error, _("A TransitionChunk says it is part %u of %u."), part_number, total_parts);

  message->chunk = g_strdup (chunk);
  message->part_number = part_number;
  message->total_parts = total_parts;
  message->transition_id = g_strdup (transition_id);

  return TRUE;
}

/* The server's words for AuthError and FatalError. */
static gboolean
parse_server_error (JsonObject        *object,
                    const char        *type,
                    CairnSyncMessage  *message,
                    GError           **error)
{
  const char *text = get_string (object, type, "error", error);

  if (text == NULL)
    return FALSE;

  if (message->type == CAIRN_SYNC_MESSAGE_AUTH_ERROR)
    {
      guint32 base_version;

      if (!get_u32 (object, type, "baseVersion", &base_version, error) ||
          !check_optional (object, type, "authUpdateAttempted", JSON_NODE_VALUE, G_TYPE_BOOLEAN, error))
        return FALSE;
    }

  message->error = cairn_convex_server_text (text);
  return TRUE;
}

/**
 * cairn_sync_message_parse:
 * @text: (array length=length): one text frame from the server
 *
 * Returns: (transfer full): the message, or %NULL with a
 *   %CAIRN_CONVEX_ERROR_BAD_RESPONSE error saying what did not fit
 */
CairnSyncMessage *
cairn_sync_message_parse (const char  *text,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(CairnSyncMessage) message = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonObject *object;
  const char *type;
  gboolean ok = TRUE;

  root = cairn_json_parse (text, length, &parse_error);
  if (root == NULL)
    {
      malformed (error, "%s", parse_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      malformed (error, _("The message is not a JSON object."));
      return NULL;
    }
  object = json_node_get_object (root);

  type = get_string (object, _("The message"), "type", error);
  if (type == NULL)
    return NULL;

  message = g_new0 (CairnSyncMessage, 1);

  if (g_str_equal (type, "Transition"))
    {
      message->type = CAIRN_SYNC_MESSAGE_TRANSITION;
      ok = parse_transition (object, message, error);
    }
  else if (g_str_equal (type, "TransitionChunk"))
    {
      message->type = CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK;
      ok = parse_chunk (object, message, error);
    }
  else if (g_str_equal (type, "Ping"))
    {
      message->type = CAIRN_SYNC_MESSAGE_PING;
    }
  else if (g_str_equal (type, "AuthError"))
    {
      message->type = CAIRN_SYNC_MESSAGE_AUTH_ERROR;
      ok = parse_server_error (object, type, message, error);
    }
  else if (g_str_equal (type, "FatalError"))
    {
      message->type = CAIRN_SYNC_MESSAGE_FATAL_ERROR;
      ok = parse_server_error (object, type, message, error);
    }
  else
    {
      /* MutationResponse, ActionResponse (Cairn sends neither), or a type
       * newer than this client: nothing here depends on it */
      message->type = CAIRN_SYNC_MESSAGE_OTHER;
    }

  if (!ok)
    return NULL;

  return g_steal_pointer (&message);
}

/* Chunks --------------------------------------------------------------------------- */

struct _CairnSyncChunks
{
  GString *text;           /* NULL when no chunked Transition is under way */
  guint    next_part;
  guint    total_parts;
  char    *transition_id;
};

CairnSyncChunks *
cairn_sync_chunks_new (void)
{
  return g_new0 (CairnSyncChunks, 1);
}

void
cairn_sync_chunks_reset (CairnSyncChunks *self)
{
  g_return_if_fail (self != NULL);

  if (self->text != NULL)
    g_string_free (g_steal_pointer (&self->text), TRUE);
  g_clear_pointer (&self->transition_id, g_free);
  self->next_part = 0;
  self->total_parts = 0;
}

void
cairn_sync_chunks_free (CairnSyncChunks *self)
{
  if (self == NULL)
    return;

  cairn_sync_chunks_reset (self);
  g_free (self);
}

/* Whether parts have come and the last has not. */
gboolean
cairn_sync_chunks_is_pending (CairnSyncChunks *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->text != NULL;
}

/**
 * cairn_sync_chunks_add:
 * @chunk: a parsed %CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK
 * @joined: (out) (transfer full) (optional): the whole Transition's text once
 *   its last part is in, else %NULL
 *
 * Parts must come in order, from 0, with the same total and transition id,
 * and add up to at most %CAIRN_SYNC_MAX_MESSAGE_SIZE bytes. A part that
 * does not fit is an error, and the parts so far are dropped.
 *
 * Returns: %FALSE with @error for a part that does not fit
 */
gboolean
cairn_sync_chunks_add (CairnSyncChunks         *self,
                       const CairnSyncMessage  *chunk,
                       GString                **joined,
                       GError                 **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (chunk != NULL && chunk->type == CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK, FALSE);

  if (joined != NULL)
    *joined = NULL;

  if (self->text == NULL)
    {
      if (chunk->part_number != 0)
        {
          malformed (error, _("Part %u of a chunked Transition came first."), chunk->part_number);
          return FALSE;
        }
      self->text = g_string_new (NULL);
      self->total_parts = chunk->total_parts;
      self->transition_id = g_strdup (chunk->transition_id);
      self->next_part = 0;
    }
  else if (chunk->part_number != self->next_part || chunk->total_parts != self->total_parts ||
           g_strcmp0 (chunk->transition_id, self->transition_id) != 0)
    {
      malformed (error, _("Part %u of %u of a chunked Transition came where part %u of %u was expected."),
                 chunk->part_number, chunk->total_parts, self->next_part, self->total_parts);
      cairn_sync_chunks_reset (self);
      return FALSE;
    }

  if (self->text->len + strlen (chunk->chunk) > CAIRN_SYNC_MAX_MESSAGE_SIZE)
    {
      malformed (error, _("A chunked Transition is larger than %d MiB."), CAIRN_SYNC_MAX_MESSAGE_SIZE / (1024 * 1024));
      cairn_sync_chunks_reset (self);
      return FALSE;
    }

  g_string_append (self->text, chunk->chunk);
  self->next_part++;

  if (self->next_part == self->total_parts)
    {
      GString *text = g_steal_pointer (&self->text);

      cairn_sync_chunks_reset (self);
      if (joined != NULL)
        *joined = text;
      else
        g_string_free (text, TRUE);
    }

  return TRUE;
}
