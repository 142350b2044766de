/* cairn-convex-client.c
 *
 * Speaks the Convex HTTP API the way the official client does:
 *
 *   POST <url>/api/{query,mutation,action}
 *   Content-Type: application/json
 *   Convex-Client: cairn-<version>
 *   Authorization: Convex <deploy key>
 *   {"path": "module:function", "args": [{…}], "format": "convex_encoded_json"}
 *
 * and turns every way a call can fail into a classified error. The push
 * routes (/api/deploy2/…, what `npx convex deploy` calls) take plain JSON
 * with the key also in the body's "adminKey" (the backend authenticates that
 * one): cairn_convex_client_post_admin_async(). The deploy key lives only in
 * this object's memory and in the body of such a request, is wiped when
 * replaced, finalized or sent, and is never part of a log line or an error
 * message.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-convex-client"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "cairn-convex-client.h"
#include "cairn-convex-response.h"
#include "cairn-error.h"
#include "cairn-metrics.h"

#define READ_CHUNK 65536
#define CONVEX_CLIENT_ID "cairn-" PACKAGE_VERSION
/* A push analyses every module and checks the schema before it answers; a
 * schema check long-polls for up to 10 s. */
#define ADMIN_TIMEOUT_MS 120000

struct _CairnConvexClient
{
  GObject      parent_instance;

  char        *url;
  char        *authorization;  /* "Convex <key>", wiped on free */
  SoupSession *session;
  GUri        *endpoints[3];   /* /api/query, /api/mutation, /api/action, by CairnConvexKind */
  guint        timeout_ms;
  gsize        max_response_size;
  guint64      next_request_id;
  CairnMetrics *metrics;       /* (nullable) where every request is recorded */
};

G_DEFINE_FINAL_TYPE (CairnConvexClient, cairn_convex_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A request's own cancellable: cancelled by the caller's, or when its time
 * is up (then timed_out says so). */
typedef struct {
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong        caller_handler;
  GSource      *timeout;
  gboolean      timed_out;
  guint         timeout_ms;
} Deadline;

typedef struct {
  SoupMessage  *message;
  GInputStream *stream;
  GByteArray   *body;
  goffset       expected;       /* the answer's Content-Length, or -1 */
  Deadline      deadline;
  guint64       request_id;
  const char   *route;          /* "query", "mutation", "action" or a push route */
  const char   *function;       /* interned; the function's path, or a push route */
  gboolean      admin;          /* a push route: plain JSON answers */
  CairnMetrics *metrics;        /* (nullable) records the request when it ends */
  gint64        sent;           /* on the metrics' clock */
  CairnRequestKind kind;
} Request;

static gboolean
deadline_timeout_cb (gpointer user_data)
{
  Deadline *deadline = user_data;

  deadline->timed_out = TRUE;
  g_cancellable_cancel (deadline->cancellable);

  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static void
deadline_start (Deadline     *deadline,
                GCancellable *caller,
                guint         timeout_ms)
{
  deadline->cancellable = g_cancellable_new ();
  deadline->timeout_ms = timeout_ms;
  if (caller != NULL)
    {
      deadline->caller_cancellable = g_object_ref (caller);
      deadline->caller_handler = g_cancellable_connect (caller, G_CALLBACK (caller_cancelled_cb),
                                                        deadline->cancellable, NULL);
    }

  deadline->timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (deadline->timeout, deadline_timeout_cb, deadline, NULL);
  g_source_attach (deadline->timeout, g_main_context_get_thread_default ());
}

static void
deadline_clear (Deadline *deadline)
{
  if (deadline->caller_handler != 0)
    g_cancellable_disconnect (deadline->caller_cancellable, deadline->caller_handler);
  if (deadline->timeout != NULL)
    {
      g_source_destroy (deadline->timeout);
      g_source_unref (deadline->timeout);
    }
  g_clear_object (&deadline->caller_cancellable);
  g_clear_object (&deadline->cancellable);
}

static void
request_free (Request *request)
{
  deadline_clear (&request->deadline);
  g_clear_object (&request->metrics);
  g_clear_object (&request->message);
  g_clear_object (&request->stream);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_free (request);
}

static void
wipe_string (char **text)
{
  if (*text == NULL)
    return;

  explicit_bzero (*text, strlen (*text));
  g_clear_pointer (text, g_free);
}

static gboolean
is_loopback_host (const char *host)
{
  return g_strcmp0 (host, "127.0.0.1") == 0 || g_strcmp0 (host, "localhost") == 0 ||
         g_strcmp0 (host, "::1") == 0 || g_strcmp0 (host, "[::1]") == 0;
}

/* Encoding ------------------------------------------------------------------ */

/* The request is written straight into its text (no copy of the arguments
 * as a second tree, no generator): JSON as Convex reads it, with the
 * encoding of convex_encoded_json for the doubles JSON cannot carry. */

static gboolean write_value (GString *out, JsonNode *node, GError **error);

static void
write_string (GString    *out,
              const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;
  const char *p;

  g_string_append_c (out, '"');
  for (p = text; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;
      g_string_append_c (out, '\\');
      switch (c)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '\b': g_string_append_c (out, 'b'); break;
        case '\f': g_string_append_c (out, 'f'); break;
        case '\n': g_string_append_c (out, 'n'); break;
        case '\r': g_string_append_c (out, 'r'); break;
        case '\t': g_string_append_c (out, 't'); break;
        default:
          g_string_append (out, "u00");
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
        }
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

static void
write_double (GString *out,
              double   value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *encoded = NULL;
  guint8 bytes[8];

  if (isfinite (value))
    {
      /* as json-glib writes it: a double keeps its point */
      g_string_append (out, g_ascii_dtostr (text, sizeof text, value));
      if (strpbrk (text, ".e") == NULL)
        g_string_append (out, ".0");
      return;
    }

  /* Convex's encoding of the doubles JSON cannot carry: 8 little-endian bytes */
  memcpy (bytes, &value, sizeof bytes);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (guint i = 0; i < 4; i++)
    {
      guint8 tmp = bytes[i];
      bytes[i] = bytes[7 - i];
      bytes[7 - i] = tmp;
    }
#endif
  encoded = g_base64_encode (bytes, sizeof bytes);
  g_string_append_printf (out, "{\"$float\":\"%s\"}", encoded);
}

static gboolean
write_object (GString     *out,
              JsonObject  *object,
              GError     **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  gboolean first = TRUE;

  g_string_append_c (out, '{');
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (name[0] == '$')
        {
          g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                       _("The field name “%s” cannot start with “$”."), name);
          return FALSE;
        }

      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      write_string (out, name);
      g_string_append_c (out, ':');
      if (!write_value (out, member, error))
        return FALSE;
    }
  g_string_append_c (out, '}');

  return TRUE;
}

static gboolean
write_value (GString   *out,
             JsonNode  *node,
             GError   **error)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return write_object (out, json_node_get_object (node), error);

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint length = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < length; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            if (!write_value (out, json_array_get_element (array, i), error))
              return FALSE;
          }
        g_string_append_c (out, ']');
        return TRUE;
      }

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          write_string (out, json_node_get_string (node));
          return TRUE;
        case G_TYPE_DOUBLE:
          write_double (out, json_node_get_double (node));
          return TRUE;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          return TRUE;
        default:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          return TRUE;
        }

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      return TRUE;
    }
}

/* Error classification --------------------------------------------------------- */

/* No connection could be made, or it broke before an answer: TLS, refused,
 * DNS, reset. */
static GError *
unreachable_error (const GError *error)
{
  if (error->domain == G_TLS_ERROR)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY,
                        _("A secure connection to your database could not be made: %s"), error->message);

  return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY,
                      _("Your database could not be reached: %s"), error->message);
}

static GError *
transport_error (Request      *request,
                 const GError *error)
{
  if (request->deadline.timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT,
                        _("Your database did not answer within %.1f seconds."),
                        request->deadline.timeout_ms / 1000.0);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  /* the answer had begun: it was cut off or garbled, the deployment is there */
  if (request->stream != NULL)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                        _("The answer from your database was cut off: %s"), error->message);

  return unreachable_error (error);
}

/* Whatever the server echoes back, the key never leaves in an error. */
static GError *
scrub_key (CairnConvexClient *self,
           GError            *error)
{
  const char *key;
  char *found;

  if (self->authorization == NULL || error == NULL)
    return error;

  key = self->authorization + strlen ("Convex ");
  while ((found = strstr (error->message, key)) != NULL)
    {
      g_autofree char *head = g_strndup (error->message, found - error->message);
      char *message = g_strconcat (head, "…", found + strlen (key), NULL);

      explicit_bzero (error->message, strlen (error->message));
      g_free (error->message);
      error->message = message;
    }

  return error;
}

/* The whole answer has arrived: what does it say? */
static void
finish_request (GTask *task)
{
  CairnConvexClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers = soup_message_get_response_headers (request->message);
  g_autoptr(GError) error = NULL;
  JsonNode *value;

  value = (request->admin ? cairn_convex_admin_response_parse : cairn_convex_response_parse)
          (soup_message_get_status (request->message), (const char *) request->body->data, request->body->len,
           soup_message_headers_get_one (headers, "Location"), &error);
  if (value == NULL)
    {
      g_debug ("request %" G_GUINT64_FORMAT " (%s %s) refused: HTTP %u", request->request_id, request->route,
               request->function, soup_message_get_status (request->message));
      g_task_return_error (task, scrub_key (self, g_steal_pointer (&error)));
      return;
    }

  g_task_return_pointer (task, value, (GDestroyNotify) json_node_unref);
}

/* Callbacks ------------------------------------------------------------------ */

static void
fail_request (GTask        *task,
              const GError *error)
{
  Request *request = g_task_get_task_data (task);

  CairnConvexClient *self = g_task_get_source_object (task);
  GError *classified = scrub_key (self, transport_error (request, error));

  g_debug ("request %" G_GUINT64_FORMAT " (%s %s) failed: %s", request->request_id, request->route, request->function,
           classified->message);
  g_task_return_error (task, classified);
}

/* The end of the answer has been read: closing the stream ends the
 * message, so libsoup hands the connection back to its pool before the
 * caller hears the answer (and, likely, sends the next request). Left to the
 * stream's finalization, the connection would still be busy then. Past the
 * end there is nothing left to skip, so closing does no I/O and need not
 * wait. Takes @task. */
static void
end_of_answer (GTask *task)
{
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* the whole answer is here: a failure to close only costs the connection */
  if (!g_input_stream_close (request->stream, NULL, &error))
    g_debug ("closing an answer's stream: %s", error->message);

  finish_request (task);
  g_object_unref (task);
}

static void read_cb (GObject *object, GAsyncResult *result, gpointer user_data);

/* Makes room for the next part of the answer: as much as the Content-Length
 * says is left (usually all of it, in one allocation), else a chunk. */
static gsize
make_room (Request *request)
{
  guint len = request->body->len;
  gsize want = READ_CHUNK;

  /* past the Content-Length, a byte of room is enough to read the end */
  if (request->expected >= 0)
    want = CLAMP (request->expected - (goffset) len, 1, READ_CHUNK);
  g_byte_array_set_size (request->body, len + want);
  request->body->len = len;

  return want;
}

/* @n more bytes have been read into the body: FALSE when @task has been
 * answered (the answer too large). */
static gboolean
took (GTask *task,
      gssize n)
{
  CairnConvexClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);

  if (request->body->len + (gsize) n > self->max_response_size)
    {
      g_task_return_new_error (task, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                               _("Your database sent an answer larger than %zu MiB."),
                               self->max_response_size / (1024 * 1024));
      return FALSE;
    }

  request->body->len += n;
  return TRUE;
}

/* Reads the answer into the body until its end, then closes the stream:
 * what is already here without waiting (usually all of it, the end
 * included), the rest as it comes. */
static void
read_more (GTask *task)
{
  Request *request = g_task_get_task_data (task);
  GPollableInputStream *pollable = G_IS_POLLABLE_INPUT_STREAM (request->stream) &&
                                   g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (request->stream))
                                   ? G_POLLABLE_INPUT_STREAM (request->stream) : NULL;

  while (pollable != NULL)
    {
      g_autoptr(GError) error = NULL;
      gsize want = make_room (request);
      gssize n = g_pollable_input_stream_read_nonblocking (pollable, request->body->data + request->body->len,
                                                           want, request->deadline.cancellable, &error);

      if (n == 0)
        {
          end_of_answer (task);
          return;
        }
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (n < 0)
        {
          fail_request (task, error);
          g_object_unref (task);
          return;
        }
      if (!took (task, n))
        {
          g_object_unref (task);
          return;
        }
    }

  g_input_stream_read_async (request->stream, request->body->data + request->body->len, make_room (request),
                             G_PRIORITY_DEFAULT, request->deadline.cancellable, read_cb, task);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      fail_request (task, error);
      return;
    }

  if (n == 0)
    {
      end_of_answer (g_steal_pointer (&task));
      return;
    }

  if (took (task, n))
    read_more (g_steal_pointer (&task));
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  CairnConvexClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  request->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (request->stream == NULL)
    {
      fail_request (task, error);
      return;
    }

  /* -1 when the answer is chunked, or compressed (libsoup decodes it) */
  headers = soup_message_get_response_headers (request->message);
  request->expected = soup_message_headers_get_content_length (headers);
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH ||
      soup_message_headers_get_one (headers, "Content-Encoding") != NULL)
    request->expected = -1;
  if (request->expected > 0 && (gsize) request->expected > self->max_response_size)
    {
      g_task_return_new_error (task, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                               _("Your database sent an answer larger than %zu MiB."),
                               self->max_response_size / (1024 * 1024));
      return;
    }

  read_more (g_steal_pointer (&task));
}

/* GObject ------------------------------------------------------------------ */

static void
cairn_convex_client_dispose (GObject *object)
{
  CairnConvexClient *self = (CairnConvexClient *) object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (cairn_convex_client_parent_class)->dispose (object);
}

/* <the deployment>/api/@route. The URL is only a scheme, a host and a port
 * (cairn_convex_client_new() checks it). */
static GUri *
api_uri (CairnConvexClient *self,
         const char        *route)
{
  g_autofree char *text = g_strconcat (self->url, "/api/", route, NULL);

  return g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
}

static void
cairn_convex_client_constructed (GObject *object)
{
  CairnConvexClient *self = (CairnConvexClient *) object;
  static const char *const kinds[] = { "query", "mutation", "action" };
  g_autoptr(GUri) base = NULL;

  G_OBJECT_CLASS (cairn_convex_client_parent_class)->constructed (object);

  /* parsed once, not for every request */
  base = g_uri_parse (self->url, G_URI_FLAGS_NONE, NULL);
  g_return_if_fail (base != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (self->endpoints); i++)
    self->endpoints[i] = api_uri (self, kinds[i]);

  /* A deployment on this computer is never reached through a proxy: a proxy
   * elsewhere would reach its own loopback, not ours. This also spares every
   * new connection a lookup of the system's proxy settings (libproxy, in a
   * thread). Any other deployment goes through the user's proxy settings. */
  if (is_loopback_host (g_uri_get_host (base)))
    soup_session_set_proxy_resolver (self->session, NULL);
}

static void
cairn_convex_client_finalize (GObject *object)
{
  CairnConvexClient *self = (CairnConvexClient *) object;

  for (guint i = 0; i < G_N_ELEMENTS (self->endpoints); i++)
    g_clear_pointer (&self->endpoints[i], g_uri_unref);

  wipe_string (&self->authorization);
  g_free (self->url);

  G_OBJECT_CLASS (cairn_convex_client_parent_class)->finalize (object);
}

static void
cairn_convex_client_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CairnConvexClient *self = CAIRN_CONVEX_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_convex_client_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CairnConvexClient *self = CAIRN_CONVEX_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      /* already in its one spelling: cairn_convex_client_new() normalises it */
      self->url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_convex_client_class_init (CairnConvexClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cairn_convex_client_constructed;
  object_class->dispose = cairn_convex_client_dispose;
  object_class->finalize = cairn_convex_client_finalize;
  object_class->get_property = cairn_convex_client_get_property;
  object_class->set_property = cairn_convex_client_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cairn_convex_client_init (CairnConvexClient *self)
{
  /* Keep-alive connections, enough of them for a burst of parallel calls;
   * the per-request timeout below bounds every call as a whole. One idle
   * for 4 s is closed, as the official client does (undici's default):
   * before the server closes it (after 5 s in Node, the shortest of the
   * common servers, 60 s and more behind most proxies), so a request does
   * not race the server closing the connection it took. */
  self->session = soup_session_new_with_options ("max-conns-per-host", 16,
                                                 "max-conns", 32,
                                                 "idle-timeout", 4,
                                                 "user-agent", CONVEX_CLIENT_ID,
                                                 NULL);
  self->timeout_ms = CAIRN_CONVEX_DEFAULT_TIMEOUT_MS;
  self->max_response_size = CAIRN_CONVEX_DEFAULT_MAX_RESPONSE_SIZE;
}

/* Metrics: every request timed and classified, in these two places ------------ */

/* From when it is sent… */
static void
measure (CairnConvexClient *self,
         GTask             *task,
         CairnRequestKind   kind)
{
  Request *request = g_task_get_task_data (task);

  if (self->metrics == NULL)
    return;

  request->metrics = g_object_ref (self->metrics);
  request->kind = kind;
  request->sent = cairn_metrics_get_time (self->metrics);
}

/* … to when its caller takes the answer. A cancelled request says nothing
 * about the deployment; one never sent has no Request. */
static gpointer
propagate (GAsyncResult  *result,
           GError       **error)
{
  Request *request = g_task_get_task_data (G_TASK (result));
  GError *local_error = NULL;
  gpointer value = g_task_propagate_pointer (G_TASK (result), &local_error);

  if (request != NULL && request->metrics != NULL &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      CairnRequestRecord record = {
        request->kind, request->function,
        local_error == NULL ? CAIRN_REQUEST_SUCCEEDED : CAIRN_REQUEST_FAILED,
        local_error != NULL && local_error->domain == CAIRN_CONVEX_ERROR ? local_error->code : -1,
        cairn_metrics_get_time (request->metrics) - request->sent,
      };

      cairn_metrics_record (request->metrics, &record);
    }

  if (local_error != NULL)
    g_propagate_error (error, local_error);

  return value;
}

/* Public API ----------------------------------------------------------------- */

/**
 * cairn_convex_normalize_url:
 * @url: (nullable): a deployment URL as typed or pasted
 *
 * One spelling per deployment: surrounding white space, a trailing slash and
 * a trailing dot after the host name removed, the scheme and the host in
 * lower case. Anything that is not a URL is returned as it is (trimmed), for
 * cairn_convex_check_url() to refuse.
 *
 * Returns: (transfer full): the normalised URL
 */
char *
cairn_convex_normalize_url (const char *url)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (url != NULL ? url : ""));
  g_autoptr(GUri) uri = g_uri_parse (trimmed, G_URI_FLAGS_NONE, NULL);
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  g_autoptr(GUri) normal = NULL;
  char *text;
  gsize len;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_steal_pointer (&trimmed);

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  len = strlen (host);
  while (len > 0 && host[len - 1] == '.')
    host[--len] = '\0';

  normal = g_uri_build (G_URI_FLAGS_NONE, scheme, g_uri_get_userinfo (uri), host, g_uri_get_port (uri),
                        g_uri_get_path (uri), g_uri_get_query (uri), g_uri_get_fragment (uri));
  text = g_uri_to_string (normal);
  len = strlen (text);
  while (len > 0 && text[len - 1] == '/')
    text[--len] = '\0';

  return text;
}

/* The checks of cairn_convex_check_url(), on a normalised URL. */
static gboolean
check_normal_url (const char  *url,
                  GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;
  const char *path;

  uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("“%s” is not a web address. It looks like https://your-deployment.convex.cloud."),
                   url != NULL ? url : "");
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  path = g_uri_get_path (uri);

  if (g_str_has_suffix (host, ".convex.site"))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("“%s” is the address for HTTP actions. Use the deployment URL ending in .convex.cloud instead."),
                   host);
      return FALSE;
    }

  if (g_strcmp0 (scheme, "https") != 0 && !(g_strcmp0 (scheme, "http") == 0 && is_loopback_host (host)))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The deployment URL must start with https:// (plain http is only allowed for a deployment on this computer)."));
      return FALSE;
    }

  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL ||
      (path != NULL && *path != '\0' && !g_str_equal (path, "/")))
    {
      g_set_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                   _("The deployment URL is only the address of the deployment, like https://your-deployment.convex.cloud."));
      return FALSE;
    }

  return TRUE;
}

/**
 * cairn_convex_check_url:
 *
 * A deployment URL Cairn will talk to: https, or http on loopback for a
 * self-hosted deployment; the deployment itself, not its .convex.site
 * address for HTTP actions; no credentials, query or fragment.
 */
gboolean
cairn_convex_check_url (const char  *url,
                        GError     **error)
{
  g_autofree char *normal = cairn_convex_normalize_url (url);

  return check_normal_url (normal, error);
}

CairnConvexClient *
cairn_convex_client_new (const char  *url,
                         GError     **error)
{
  g_autofree char *normal = cairn_convex_normalize_url (url);

  if (!check_normal_url (normal, error))
    return NULL;

  return g_object_new (CAIRN_TYPE_CONVEX_CLIENT, "url", normal, NULL);
}

const char *
cairn_convex_client_get_url (CairnConvexClient *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (self), NULL);

  return self->url;
}

/**
 * cairn_convex_check_deploy_key:
 *
 * A deploy key is one line of printable ASCII without spaces
 * ("prod:name|secret"); anything else would be dropped from the request
 * header on the way and fail in a misleading way later.
 */
gboolean
cairn_convex_check_deploy_key (const char  *key,
                               GError     **error)
{
  if (key == NULL || *key == '\0')
    {
      g_set_error_literal (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                           _("Enter the deploy key from the Convex dashboard (Settings → Deploy Keys)."));
      return FALSE;
    }

  for (const char *p = key; *p != '\0'; p++)
    {
      if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f)
        {
          g_set_error_literal (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                               _("The deploy key contains spaces, line breaks or other characters a deploy key "
                                 "never has. Copy it again from the Convex dashboard."));
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * cairn_convex_client_set_admin_key:
 * @key: (nullable): the deploy key; the caller should wipe its own copy
 */
void
cairn_convex_client_set_admin_key (CairnConvexClient *self,
                                   const char        *key)
{
  g_return_if_fail (CAIRN_IS_CONVEX_CLIENT (self));

  wipe_string (&self->authorization);
  if (key != NULL && *key != '\0')
    self->authorization = g_strconcat ("Convex ", key, NULL);
}

/**
 * cairn_convex_client_set_metrics:
 * @metrics: (nullable): where each request is recorded from now on
 */
void
cairn_convex_client_set_metrics (CairnConvexClient *self,
                                 CairnMetrics      *metrics)
{
  g_return_if_fail (CAIRN_IS_CONVEX_CLIENT (self));
  g_return_if_fail (metrics == NULL || CAIRN_IS_METRICS (metrics));

  g_set_object (&self->metrics, metrics);
}

/**
 * cairn_convex_client_get_metrics:
 *
 * Returns: (transfer none) (nullable): where requests are recorded
 */
CairnMetrics *
cairn_convex_client_get_metrics (CairnConvexClient *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (self), NULL);

  return self->metrics;
}

gboolean
cairn_convex_client_has_admin_key (CairnConvexClient *self)
{
  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (self), FALSE);

  return self->authorization != NULL;
}

void
cairn_convex_client_set_timeout (CairnConvexClient *self,
                                 guint              timeout_ms)
{
  g_return_if_fail (CAIRN_IS_CONVEX_CLIENT (self));
  g_return_if_fail (timeout_ms > 0);

  self->timeout_ms = timeout_ms;
}

/* {"path": …, "args": [{…}], "format": "convex_encoded_json"} */
static GBytes *
request_body (const char  *path,
              JsonObject  *args,
              GError     **error)
{
  g_autoptr(GString) out = g_string_sized_new (128);

  g_string_append (out, "{\"path\":");
  write_string (out, path);
  g_string_append (out, ",\"args\":[");
  if (args == NULL)
    g_string_append (out, "{}");
  else if (!write_object (out, args, error))
    return NULL;
  g_string_append (out, "],\"format\":\"convex_encoded_json\"}");

  return g_string_free_to_bytes (g_steal_pointer (&out));
}

static const char *
endpoint_for_kind (CairnConvexKind kind)
{
  switch (kind)
    {
    case CAIRN_CONVEX_QUERY:
      return "query";
    case CAIRN_CONVEX_MUTATION:
      return "mutation";
    case CAIRN_CONVEX_ACTION:
      return "action";
    default:
      g_return_val_if_reached ("query");
    }
}

/* Sends @body to @uri for @task: the headers every call carries, the
 * timeout, the caller's cancellable; the answer comes back to @task. */
static void
send_request (CairnConvexClient *self,
              GTask             *task,
              GUri              *uri,
              GBytes            *body,
              const char        *route,
              const char        *function,
              gboolean           admin,
              guint              timeout_ms)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  SoupMessageHeaders *headers;
  Request *request;

  request = g_new0 (Request, 1);
  request->request_id = ++self->next_request_id;
  request->route = route;
  request->function = g_intern_string (function);
  request->admin = admin;
  request->body = g_byte_array_new ();
  request->expected = -1;
  request->message = soup_message_new_from_uri ("POST", uri);
  /* A redirect is answered as an error, never followed with or without the
   * key. IDEMPOTENT lets a POST take an idle keep-alive connection (libsoup
   * otherwise opens a new one for every POST); libsoup still never resends a
   * POST by itself, so a connection the server closed under us fails the
   * request as unreachable, as any lost connection does. */
  soup_message_add_flags (request->message, SOUP_MESSAGE_NO_REDIRECT | SOUP_MESSAGE_IDEMPOTENT);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  deadline_start (&request->deadline, cancellable, timeout_ms);

  headers = soup_message_get_request_headers (request->message);
  soup_message_headers_append (headers, "Convex-Client", CONVEX_CLIENT_ID);
  if (self->authorization != NULL)
    soup_message_headers_append (headers, "Authorization", self->authorization);
  soup_message_set_request_body_from_bytes (request->message, "application/json", body);

  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    g_debug ("request %" G_GUINT64_FORMAT ": %s %s", request->request_id, route, function);

  soup_session_send_async (self->session, request->message, G_PRIORITY_DEFAULT, request->deadline.cancellable,
                           send_cb, g_object_ref (task));
}

void
cairn_convex_client_call_async (CairnConvexClient   *self,
                                CairnConvexKind      kind,
                                const char          *path,
                                JsonObject          *args,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CAIRN_IS_CONVEX_CLIENT (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (kind <= CAIRN_CONVEX_ACTION);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_convex_client_call_async);

  body = request_body (path, args, &error);
  if (body == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  send_request (self, task, self->endpoints[kind], body, endpoint_for_kind (kind), path, FALSE, self->timeout_ms);
  measure (self, task, (CairnRequestKind) kind);
}

/**
 * cairn_convex_client_call_finish:
 *
 * Returns: (transfer full): the function's value, decoded to plain JSON
 */
JsonNode *
cairn_convex_client_call_finish (CairnConvexClient  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return propagate (result, error);
}

static void
wipe_body (gpointer text)
{
  explicit_bzero (text, strlen (text));
  g_free (text);
}

/* A copy of @body with "adminKey" first, serialized. The key's one other
 * copy, in the copy's member, is wiped at once; the text is wiped when the
 * request lets go of it. */
static GBytes *
admin_body (CairnConvexClient *self,
            JsonObject        *body)
{
  const char *key = self->authorization + strlen ("Convex ");
  g_autoptr(JsonObject) copy = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  char *text;

  json_object_set_string_member (copy, "adminKey", key);
  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, &member))
    json_object_set_member (copy, name, json_node_copy (member));

  root = json_node_init_object (json_node_alloc (), copy);
  text = json_to_string (root, FALSE);

  member = json_object_get_member (copy, "adminKey");
  explicit_bzero ((char *) json_node_get_string (member), strlen (key));

  return g_bytes_new_with_free_func (text, strlen (text), wipe_body, text);
}

/**
 * cairn_convex_client_post_admin_async:
 * @path: the route after /api/, e.g. "deploy2/start_push"
 * @body: the request without "adminKey"; not changed
 *
 * POSTs @body as plain JSON to one of the deployment's push routes, with
 * the deploy key in the Authorization header and in a copy of the body's
 * "adminKey". The answer is classified by
 * cairn_convex_admin_response_parse().
 */
void
cairn_convex_client_post_admin_async (CairnConvexClient   *self,
                                      const char          *path,
                                      JsonObject          *body,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_if_fail (CAIRN_IS_CONVEX_CLIENT (self));
  g_return_if_fail (path != NULL && *path != '/');
  g_return_if_fail (body != NULL && !json_object_has_member (body, "adminKey"));

  uri = api_uri (self, path);
  g_return_if_fail (uri != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_convex_client_post_admin_async);

  if (self->authorization == NULL)
    {
      g_task_return_new_error (task, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_UNAUTHORIZED,
                               _("Cairn has no deploy key for your database. Enter it in Preferences."));
      return;
    }

  bytes = admin_body (self, body);
  send_request (self, task, uri, bytes, "push", path, TRUE, MAX (self->timeout_ms, ADMIN_TIMEOUT_MS));
  measure (self, task, CAIRN_REQUEST_PUSH);
}

/**
 * cairn_convex_client_post_admin_finish:
 *
 * Returns: (transfer full): the deployment's answer, any JSON value
 */
JsonNode *
cairn_convex_client_post_admin_finish (CairnConvexClient  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return propagate (result, error);
}

/* The sync socket ------------------------------------------------------------ */

/* Transitions can be megabytes; a bound still, against a hostile server. */
#define SYNC_MAX_INCOMING_PAYLOAD (64 * 1024 * 1024)

typedef struct {
  SoupMessage  *message;
  Deadline      deadline;
} SyncConnect;

static void
sync_connect_free (SyncConnect *connect)
{
  deadline_clear (&connect->deadline);
  g_clear_object (&connect->message);
  g_free (connect);
}

/* Why the upgrade failed, classified like a call's failure; an HTTP answer
 * other than 101 is a refusal of the live connection itself (a proxy that
 * does not pass WebSockets, a server that refuses them), except for the
 * statuses that say "later". */
static GError *
sync_connect_error (SyncConnect  *connect,
                    const GError *error)
{
  guint status = soup_message_get_status (connect->message);

  if (connect->deadline.timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT,
                        _("Your database did not open the live connection within %.1f seconds."),
                        connect->deadline.timeout_ms / 1000.0);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (status >= 500 || status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER,
                        _("Your database could not open the live connection now (HTTP %u)."), status);

  if (status >= 100 && status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SOCKET_REFUSED,
                        _("The network or a proxy refuses the live connection to your database (HTTP %u). "
                          "Changes made elsewhere appear only when Cairn loads them again."),
                        status);

  /* 101, but not a WebSocket handshake Cairn can accept */
  if (status == SOUP_STATUS_SWITCHING_PROTOCOLS)
    return g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                        _("Your database answered the live connection in a way Cairn cannot use: %s"),
                        error->message);

  return unreachable_error (error);
}

static void
sync_connect_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SyncConnect *connect = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *socket;

  socket = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (socket == NULL)
    {
      GError *classified = sync_connect_error (connect, error);

      g_debug ("live connection failed: %s", classified->message);
      g_task_return_error (task, classified);
      return;
    }

  soup_websocket_connection_set_max_incoming_payload_size (socket, SYNC_MAX_INCOMING_PAYLOAD);
  /* the server pings every 5 s and libsoup answers; the client's own
   * inactivity timer (a JSON Ping comes after 15 s of quiet) notices a dead one */
  soup_websocket_connection_set_keepalive_interval (socket, 0);

  g_task_return_pointer (task, socket, g_object_unref);
}

/**
 * cairn_convex_client_connect_sync_async:
 *
 * Opens the sync protocol's WebSocket, ws(s)://<deployment>/api/sync, on this
 * client's session (loopback without a proxy), with the Convex-Client
 * header. The key is not sent here: it goes in-band, in the Authenticate
 * frame (cairn_convex_client_sync_authenticate()). Bounded by the client's
 * timeout.
 */
void
cairn_convex_client_connect_sync_async (CairnConvexClient   *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  SyncConnect *connect;

  g_return_if_fail (CAIRN_IS_CONVEX_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_convex_client_connect_sync_async);

  /* the upgrade is a GET on the http(s) URL; libsoup speaks ws(s) over it */
  uri = api_uri (self, "sync");
  g_return_if_fail (uri != NULL);

  connect = g_new0 (SyncConnect, 1);
  connect->message = soup_message_new_from_uri ("GET", uri);
  soup_message_add_flags (connect->message, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_append (soup_message_get_request_headers (connect->message),
                               "Convex-Client", CONVEX_CLIENT_ID);
  g_task_set_task_data (task, connect, (GDestroyNotify) sync_connect_free);
  deadline_start (&connect->deadline, cancellable, self->timeout_ms);

  soup_session_websocket_connect_async (self->session, connect->message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        connect->deadline.cancellable, sync_connect_cb, g_steal_pointer (&task));
}

/**
 * cairn_convex_client_connect_sync_finish:
 *
 * Returns: (transfer full): the open socket, or %NULL with a classified
 *   error; %CAIRN_CONVEX_ERROR_SOCKET_REFUSED when an HTTP status came back
 *   instead of the upgrade
 */
SoupWebsocketConnection *
cairn_convex_client_connect_sync_finish (CairnConvexClient  *self,
                                         GAsyncResult       *result,
                                         GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * cairn_convex_client_sync_authenticate:
 * @base_version: how many Authenticate frames this socket has taken (0 first)
 *
 * The sync protocol's Authenticate frame with the deploy key as admin:
 * `{"type":"Authenticate","tokenType":"Admin","value":KEY,"baseVersion":N}`.
 * Its text is wiped when the bytes are freed; send it and let go of it.
 *
 * Returns: (transfer full) (nullable): the frame, %NULL without a key
 */
GBytes *
cairn_convex_client_sync_authenticate (CairnConvexClient *self,
                                       guint              base_version)
{
  g_autoptr(GString) out = NULL;
  gsize len;
  char *text;

  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (self), NULL);

  if (self->authorization == NULL)
    return NULL;

  /* room for the key even if every byte were escaped (\u00XX): the
   * GString never reallocates, so no copy of the key is left behind */
  out = g_string_sized_new (128 + 6 * strlen (self->authorization));
  g_string_append (out, "{\"type\":\"Authenticate\",\"tokenType\":\"Admin\",\"value\":");
  write_string (out, self->authorization + strlen ("Convex "));
  g_string_append_printf (out, ",\"baseVersion\":%u}", base_version);

  len = out->len;
  text = g_string_free (g_steal_pointer (&out), FALSE);

  return g_bytes_new_with_free_func (text, len, wipe_body, text);
}
