/* cairn-sync-client.c
 *
 * Live query results from the user's deployment over Convex's sync
 * protocol: one WebSocket (cairn_convex_client_connect_sync_async()), on
 * which every subscribed query's result comes, and comes again whenever a
 * write changes it.
 *
 * On each new socket the client sends, in order: Connect (the same session
 * id for the client's life, the socket's number, why the last one closed),
 * Authenticate with the deploy key (baseVersion 0; the frame is built and
 * wiped by the Convex client), and ModifyQuerySet 0 → 1 adding every live
 * query again with its own id. So after any gap each query gets a fresh
 * result and nothing written meanwhile is missed. Subscribing and
 * unsubscribing while a socket is open send one ModifyQuerySet each.
 *
 * Every Transition must start where the previous one ended (the versions of
 * the socket start at {0, 0, 0}); one that does not, a message that does not
 * parse, chunks that do not join, a FatalError: the socket is dropped, the
 * failure counted and a new socket subscribes from scratch. The state:
 *
 *   IDLE → CONNECTING → LIVE (the server has taken the query set: its first
 *   Transition at query set version ≥ 1, and identity ≥ 1 once authenticated)
 *   failures in a row (connect error, drop before LIVE, protocol error) →
 *   reconnect after 100 ms doubling to 10 s, with jitter; CAIRN_SYNC_RETRIES
 *   of them → LOST, still retrying; LIVE resets the count.
 *   An HTTP status instead of the upgrade → REFUSED, no retry until resync().
 *   AuthError → LOST with an unauthorized error, retrying at the cap.
 *   No frame for the inactivity timeout (60 s; the server sends a Ping after
 *   15 s of quiet) → reconnect.
 *
 * Timers come from the CairnClock. The key never appears in a log line or
 * an error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-sync-client"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "cairn-backoff.h"
#include "cairn-error.h"
#include "cairn-sync-client.h"
#include "cairn-sync-protocol.h"

typedef struct {
  guint       id;
  char       *udf_path;
  JsonObject *args;
} Query;

struct _CairnSyncClient
{
  GObject                  parent_instance;

  CairnConvexClient       *client;
  CairnClock              *clock;
  GRand                   *rand;
  char                    *session_id;
  guint                    connection_count;   /* sockets opened so far */
  char                    *last_close_reason;

  gboolean                 started;
  CairnSyncState           state;
  GError                  *error;
  guint                    failures;           /* in a row */

  GHashTable              *queries;            /* id → Query */
  guint                    next_query_id;

  GCancellable            *connecting;         /* while an upgrade is under way */
  SoupWebsocketConnection *socket;
  guint                    query_set_version;  /* the last newVersion sent on this socket */
  CairnSyncVersion         version;            /* the last endVersion received on it */
  gboolean                 authenticated;      /* an Authenticate went on this socket */
  gboolean                 socket_live;        /* the server has taken this socket's query set */
  CairnSyncChunks         *chunks;

  guint                    retry_id;
  guint                    inactivity_id;
  guint                    inactivity_timeout_ms;
};

G_DEFINE_FINAL_TYPE (CairnSyncClient, cairn_sync_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_ERROR,
  PROP_FAILURES,
  PROP_INACTIVITY_TIMEOUT_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_QUERY_UPDATED,
  SIGNAL_QUERY_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_now (CairnSyncClient *self);

static void
query_free (gpointer data)
{
  Query *query = data;

  g_free (query->udf_path);
  g_clear_pointer (&query->args, json_object_unref);
  g_free (query);
}

/* State -------------------------------------------------------------------------- */

static void
set_state (CairnSyncClient *self,
           CairnSyncState   state)
{
  if (self->state == state)
    return;

  g_debug ("state %u → %u", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Takes @error (nullable). */
static void
set_error (CairnSyncClient *self,
           GError          *error)
{
  if (self->error == NULL && error == NULL)
    return;

  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_failures (CairnSyncClient *self,
              guint            failures)
{
  if (self->failures == failures)
    return;

  self->failures = failures;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURES]);
}

/* The socket ----------------------------------------------------------------------- */

static void
stop_inactivity_timer (CairnSyncClient *self)
{
  if (self->inactivity_id != 0)
    cairn_clock_remove (self->clock, self->inactivity_id);
  self->inactivity_id = 0;
}

static void
cancel_retry (CairnSyncClient *self)
{
  if (self->retry_id != 0)
    cairn_clock_remove (self->clock, self->retry_id);
  self->retry_id = 0;
}

static void
cancel_connecting (CairnSyncClient *self)
{
  if (self->connecting == NULL)
    return;

  g_cancellable_cancel (self->connecting);
  g_clear_object (&self->connecting);
}

/* Lets go of the socket, closing it if it is still open; @reason is what
 * the next Connect says about it. */
static void
drop_socket (CairnSyncClient *self,
             const char      *reason)
{
  SoupWebsocketConnection *socket = g_steal_pointer (&self->socket);

  stop_inactivity_timer (self);
  cairn_sync_chunks_reset (self->chunks);
  self->socket_live = FALSE;

  if (reason != NULL)
    {
      g_free (self->last_close_reason);
      self->last_close_reason = g_strdup (reason);
    }

  if (socket == NULL)
    return;

  g_signal_handlers_disconnect_by_data (socket, self);
  if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  /* let go of it once its signal (this may run in one) is over; libsoup
   * keeps it until its stream is closed */
  g_idle_add_once ((GSourceOnceFunc) g_object_unref, socket);
}

static gboolean
retry_cb (gpointer user_data)
{
  CairnSyncClient *self = user_data;

  self->retry_id = 0;
  connect_now (self);

  return G_SOURCE_REMOVE;
}

/* The next attempt, after the backoff for the failures so far. */
static void
retry_later (CairnSyncClient *self,
             gboolean         at_cap)
{
  guint attempt = self->failures > 0 ? self->failures - 1 : 0;
  guint delay;

  if (!self->started)
    return;

  delay = at_cap ? cairn_backoff_delay_ms (self->rand, CAIRN_SYNC_BACKOFF_CAP_MS, 0, CAIRN_SYNC_BACKOFF_CAP_MS)
                 : cairn_backoff_delay_ms (self->rand, CAIRN_SYNC_BACKOFF_BASE_MS, attempt, CAIRN_SYNC_BACKOFF_CAP_MS);

  g_debug ("reconnecting in %u ms (%u failures in a row)", delay, self->failures);
  cancel_retry (self);
  self->retry_id = cairn_clock_add_timeout (self->clock, delay, retry_cb, self, NULL);
}

/* The socket (or the attempt to open one) ended with @error (taken). A
 * protocol error always counts as a failure; a socket that ends once live
 * does not (it worked: the next one starts the count again). */
static void
connection_failed (CairnSyncClient *self,
                   GError          *error,
                   const char      *close_reason,
                   gboolean         protocol_error)
{
  gboolean counted = protocol_error || !self->socket_live;

  g_message ("Live connection to the deployment %s: %s",
             protocol_error ? "dropped after a protocol error" : "ended", error->message);

  /* the notifications go out once all is said, the retry scheduled: a
   * handler may stop or resync from there */
  g_object_freeze_notify (G_OBJECT (self));
  drop_socket (self, close_reason);
  set_error (self, error);
  if (counted)
    set_failures (self, self->failures + 1);
  set_state (self, self->failures >= CAIRN_SYNC_RETRIES ? CAIRN_SYNC_LOST : CAIRN_SYNC_CONNECTING);
  retry_later (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
socket_is_open (CairnSyncClient *self)
{
  return self->socket != NULL && soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Sends @text (taken) if the socket is still open; if not, its "closed"
 * signal is on its way. */
static void
send_text (CairnSyncClient *self,
           char            *text)
{
  if (socket_is_open (self))
    soup_websocket_connection_send_text (self->socket, text);
  g_free (text);
}

static gboolean
inactivity_cb (gpointer user_data)
{
  CairnSyncClient *self = user_data;

  self->inactivity_id = 0;
  connection_failed (self,
                     g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_TIMEOUT,
                                  _("Your database sent nothing on the live connection for %.1f seconds."),
                                  self->inactivity_timeout_ms / 1000.0),
                     "InactiveServer", FALSE);

  return G_SOURCE_REMOVE;
}

static void
restart_inactivity_timer (CairnSyncClient *self)
{
  stop_inactivity_timer (self);
  self->inactivity_id = cairn_clock_add_timeout (self->clock, self->inactivity_timeout_ms, inactivity_cb, self, NULL);
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  const Query *qa = *(const Query **) a;
  const Query *qb = *(const Query **) b;

  return qa->id < qb->id ? -1 : qa->id > qb->id;
}

/* ModifyQuerySet 0 → 1 with every live query, in the order they came. */
static void
send_query_set (CairnSyncClient *self)
{
  g_autoptr(GPtrArray) queries = g_ptr_array_sized_new (g_hash_table_size (self->queries));
  g_autofree CairnSyncQueryChange *changes = g_new0 (CairnSyncQueryChange, MAX (g_hash_table_size (self->queries), 1));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->queries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (queries, value);
  g_ptr_array_sort (queries, compare_ids);
  for (guint i = 0; i < queries->len; i++)
    {
      Query *query = g_ptr_array_index (queries, i);

      changes[i].add = TRUE;
      changes[i].query_id = query->id;
      changes[i].udf_path = query->udf_path;
      changes[i].args = query->args;
    }

  send_text (self, cairn_sync_modify_query_set_frame (0, 1, changes, queries->len));
  self->query_set_version = 1;
}

static void
send_change (CairnSyncClient            *self,
             const CairnSyncQueryChange *change)
{
  if (!socket_is_open (self))
    return;

  send_text (self, cairn_sync_modify_query_set_frame (self->query_set_version, self->query_set_version + 1,
                                                      change, 1));
  self->query_set_version++;
}

/* Messages ----------------------------------------------------------------------- */

static void
handle_transition (CairnSyncClient  *self,
                   CairnSyncMessage *message)
{
  SoupWebsocketConnection *socket = self->socket;

  if (!cairn_sync_version_equal (&message->start_version, &self->version))
    {
      g_autofree char *start = cairn_sync_version_to_string (&message->start_version);
      g_autofree char *last = cairn_sync_version_to_string (&self->version);

      connection_failed (self,
                         g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                                      _("Your database sent a live update that does not follow the last one "
                                        "(wrong start version %s, the last one ended at %s)."),
                                      start, last),
                         "ProtocolError", TRUE);
      return;
    }
  if (!cairn_sync_version_follows (&message->start_version, &message->end_version))
    {
      g_autofree char *start = cairn_sync_version_to_string (&message->start_version);
      g_autofree char *end = cairn_sync_version_to_string (&message->end_version);

      connection_failed (self,
                         g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                                      _("Your database sent a live update that goes back (from %s to %s)."),
                                      start, end),
                         "ProtocolError", TRUE);
      return;
    }
  self->version = message->end_version;

  for (guint i = 0; i < message->modifications->len; i++)
    {
      CairnSyncModification *modification = g_ptr_array_index (message->modifications, i);

      /* a result for a query unsubscribed meanwhile is nobody's */
      if (!g_hash_table_contains (self->queries, GUINT_TO_POINTER (modification->query_id)))
        continue;

      switch (modification->kind)
        {
        case CAIRN_SYNC_QUERY_UPDATED:
          g_signal_emit (self, signals[SIGNAL_QUERY_UPDATED], 0, (guint) modification->query_id, modification->value);
          break;
        case CAIRN_SYNC_QUERY_FAILED:
          g_signal_emit (self, signals[SIGNAL_QUERY_FAILED], 0, (guint) modification->query_id,
                         modification->error_message);
          break;
        case CAIRN_SYNC_QUERY_REMOVED:
        default:
          break;
        }

      /* a handler stopped the client, or started over */
      if (self->socket != socket)
        return;
    }

  if (!self->socket_live && self->version.query_set >= 1 && (!self->authenticated || self->version.identity >= 1))
    {
      self->socket_live = TRUE;
      g_object_freeze_notify (G_OBJECT (self));
      set_failures (self, 0);
      set_error (self, NULL);
      set_state (self, CAIRN_SYNC_LIVE);
      g_object_thaw_notify (G_OBJECT (self));
    }
}

static void
handle_message (CairnSyncClient *self,
                const char      *text,
                gsize            length)
{
  g_autoptr(CairnSyncMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = cairn_sync_message_parse (text, length, &error);
  if (message == NULL)
    {
      connection_failed (self, g_steal_pointer (&error), "ProtocolError", TRUE);
      return;
    }

  if (cairn_sync_chunks_is_pending (self->chunks) &&
      message->type != CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK && message->type != CAIRN_SYNC_MESSAGE_PING)
    {
      connection_failed (self,
                         g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                                              _("Your database sent another message in the middle of a "
                                                "live update in parts.")),
                         "ProtocolError", TRUE);
      return;
    }

  switch (message->type)
    {
    case CAIRN_SYNC_MESSAGE_TRANSITION:
      handle_transition (self, message);
      break;

    case CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK:
      {
        g_autoptr(GString) joined = NULL;
        g_autoptr(CairnSyncMessage) transition = NULL;

        if (!cairn_sync_chunks_add (self->chunks, message, &joined, &error))
          {
            connection_failed (self, g_steal_pointer (&error), "ProtocolError", TRUE);
            return;
          }
        if (joined == NULL)
          return;

        transition = cairn_sync_message_parse (joined->str, joined->len, &error);
        if (transition != NULL && transition->type != CAIRN_SYNC_MESSAGE_TRANSITION)
          g_set_error_literal (&error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                               _("Your database sent a live update in parts that is not a Transition."));
        if (error != NULL)
          {
            connection_failed (self, g_steal_pointer (&error), "ProtocolError", TRUE);
            return;
          }
        handle_transition (self, transition);
      }
      break;

    case CAIRN_SYNC_MESSAGE_AUTH_ERROR:
      /* the server's words are not repeated: nothing of the key may end up in an error */
      g_message ("Live connection to the deployment: the deploy key was refused");
      g_object_freeze_notify (G_OBJECT (self));
      drop_socket (self, "AuthError");
      set_error (self, g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_UNAUTHORIZED,
                                            _("Your database refused the deploy key for the live connection.")));
      set_failures (self, MAX (self->failures + 1, CAIRN_SYNC_RETRIES));
      set_state (self, CAIRN_SYNC_LOST);
      retry_later (self, TRUE);
      g_object_thaw_notify (G_OBJECT (self));
      break;

    case CAIRN_SYNC_MESSAGE_FATAL_ERROR:
      connection_failed (self,
                         g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SERVER,
                                      _("Your database ended the live connection: %s"), message->error),
                         "FatalError", TRUE);
      break;

    case CAIRN_SYNC_MESSAGE_PING:
    case CAIRN_SYNC_MESSAGE_OTHER:
    default:
      break;
    }
}

static void
message_cb (SoupWebsocketConnection *socket,
            gint                     type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  g_autoptr(CairnSyncClient) self = g_object_ref (user_data);
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  restart_inactivity_timer (self);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      connection_failed (self,
                         g_error_new_literal (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_BAD_RESPONSE,
                                              _("Your database sent a binary message on the live connection.")),
                         "ProtocolError", TRUE);
      return;
    }

  handle_message (self, data, length);
}

static void
closed_cb (SoupWebsocketConnection *socket,
           gpointer                 user_data)
{
  CairnSyncClient *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (socket);
  g_autofree char *reason = NULL;

  if (code == 0)
    code = SOUP_WEBSOCKET_CLOSE_ABNORMAL;
  reason = g_strdup_printf ("closed with code %u", code);

  connection_failed (self,
                     g_error_new (CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_CONNECTIVITY,
                                  _("The live connection to your database was closed (code %u)."), code),
                     reason, FALSE);
}

static void
error_cb (SoupWebsocketConnection *socket,
          GError                  *error,
          gpointer                 user_data)
{
  /* "closed" follows */
  g_debug ("socket error: %s", error->message);
}

static void
socket_opened (CairnSyncClient         *self,
               SoupWebsocketConnection *socket)
{
  g_autoptr(GBytes) authenticate = NULL;

  self->socket = socket;
  self->version = (CairnSyncVersion) { 0, 0, 0 };
  self->query_set_version = 0;
  self->socket_live = FALSE;
  cairn_sync_chunks_reset (self->chunks);

  g_signal_connect (socket, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (socket, "closed", G_CALLBACK (closed_cb), self);
  g_signal_connect (socket, "error", G_CALLBACK (error_cb), self);

  send_text (self, cairn_sync_connect_frame (self->session_id, self->connection_count, self->last_close_reason,
                                             cairn_clock_get_real_time_ms (self->clock)));
  self->connection_count++;

  authenticate = cairn_convex_client_sync_authenticate (self->client, 0);
  self->authenticated = authenticate != NULL;
  if (authenticate != NULL && socket_is_open (self))
    soup_websocket_connection_send_message (socket, SOUP_WEBSOCKET_DATA_TEXT, authenticate);

  send_query_set (self);
  restart_inactivity_timer (self);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *socket;
  CairnSyncClient *self;

  socket = cairn_convex_client_connect_sync_finish (CAIRN_CONVEX_CLIENT (object), result, &error);
  /* stopped, started over or finalized meanwhile: not ours any more */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  g_clear_object (&self->connecting);

  if (socket == NULL && g_error_matches (error, CAIRN_CONVEX_ERROR, CAIRN_CONVEX_ERROR_SOCKET_REFUSED))
    {
      g_message ("Live connection to the deployment refused: %s", error->message);
      g_object_freeze_notify (G_OBJECT (self));
      set_error (self, g_steal_pointer (&error));
      set_state (self, CAIRN_SYNC_REFUSED);
      g_object_thaw_notify (G_OBJECT (self));
      return;
    }
  if (socket == NULL)
    {
      connection_failed (self, g_steal_pointer (&error), NULL, FALSE);
      return;
    }

  socket_opened (self, socket);
}

static void
connect_now (CairnSyncClient *self)
{
  cancel_retry (self);
  /* a handler started over already */
  if (self->socket != NULL || self->connecting != NULL)
    return;

  self->connecting = g_cancellable_new ();
  cairn_convex_client_connect_sync_async (self->client, self->connecting, connect_cb, self);
}

/* Public API ---------------------------------------------------------------------- */

/**
 * cairn_sync_client_new:
 * @client: the deployment, and the key (used only for the Authenticate frame)
 * @clock: where the reconnect and inactivity timers come from
 */
CairnSyncClient *
cairn_sync_client_new (CairnConvexClient *client,
                       CairnClock        *clock)
{
  CairnSyncClient *self;

  g_return_val_if_fail (CAIRN_IS_CONVEX_CLIENT (client), NULL);
  g_return_val_if_fail (CAIRN_IS_CLOCK (clock), NULL);

  self = g_object_new (CAIRN_TYPE_SYNC_CLIENT, NULL);
  self->client = g_object_ref (client);
  self->clock = g_object_ref (clock);

  return self;
}

/* Connects, unless started already. */
void
cairn_sync_client_start (CairnSyncClient *self)
{
  g_return_if_fail (CAIRN_IS_SYNC_CLIENT (self));

  if (self->started)
    return;

  self->started = TRUE;
  g_object_freeze_notify (G_OBJECT (self));
  connect_now (self);
  set_failures (self, 0);
  set_state (self, CAIRN_SYNC_CONNECTING);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Closes the socket, stops every timer: IDLE. The subscriptions stay, for
 * the next start. */
void
cairn_sync_client_stop (CairnSyncClient *self)
{
  g_return_if_fail (CAIRN_IS_SYNC_CLIENT (self));

  self->started = FALSE;
  cancel_connecting (self);
  cancel_retry (self);
  drop_socket (self, "Stopped");
  g_object_freeze_notify (G_OBJECT (self));
  set_failures (self, 0);
  set_error (self, NULL);
  set_state (self, CAIRN_SYNC_IDLE);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * cairn_sync_client_resync:
 *
 * Drops the socket (if any) and connects again at once, the backoff reset;
 * also leaves REFUSED. For a network change, a wake from suspend, the user's
 * Retry. Nothing while stopped.
 */
void
cairn_sync_client_resync (CairnSyncClient *self)
{
  g_return_if_fail (CAIRN_IS_SYNC_CLIENT (self));

  if (!self->started)
    return;

  cancel_connecting (self);
  cancel_retry (self);
  drop_socket (self, "Resync");
  g_object_freeze_notify (G_OBJECT (self));
  connect_now (self);
  set_failures (self, 0);
  set_state (self, CAIRN_SYNC_CONNECTING);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * cairn_sync_client_subscribe:
 * @udf_path: the query, "module:function"
 * @args: (nullable): its arguments; referenced, so not to be changed afterwards
 *
 * Follows a query: "query-updated" with each new result (the first as soon
 * as the socket is live), "query-failed" when it fails.
 *
 * Returns: the query's id, never reused
 */
guint
cairn_sync_client_subscribe (CairnSyncClient *self,
                             const char      *udf_path,
                             JsonObject      *args)
{
  Query *query;
  CairnSyncQueryChange change = { TRUE, 0, NULL, NULL };

  g_return_val_if_fail (CAIRN_IS_SYNC_CLIENT (self), 0);
  g_return_val_if_fail (udf_path != NULL, 0);

  query = g_new0 (Query, 1);
  query->id = self->next_query_id++;
  query->udf_path = g_strdup (udf_path);
  query->args = args != NULL ? json_object_ref (args) : json_object_new ();
  g_hash_table_insert (self->queries, GUINT_TO_POINTER (query->id), query);

  change.query_id = query->id;
  change.udf_path = query->udf_path;
  change.args = query->args;
  send_change (self, &change);

  return query->id;
}

/* No more results for @query_id (the ones on their way are dropped). */
void
cairn_sync_client_unsubscribe (CairnSyncClient *self,
                               guint            query_id)
{
  CairnSyncQueryChange change = { FALSE, query_id, NULL, NULL };

  g_return_if_fail (CAIRN_IS_SYNC_CLIENT (self));

  if (!g_hash_table_remove (self->queries, GUINT_TO_POINTER (query_id)))
    return;

  send_change (self, &change);
}

CairnSyncState
cairn_sync_client_get_state (CairnSyncClient *self)
{
  g_return_val_if_fail (CAIRN_IS_SYNC_CLIENT (self), CAIRN_SYNC_IDLE);

  return self->state;
}

/**
 * cairn_sync_client_get_error:
 *
 * Returns: (nullable) (transfer none): why the last attempt failed; %NULL once live
 */
const GError *
cairn_sync_client_get_error (CairnSyncClient *self)
{
  g_return_val_if_fail (CAIRN_IS_SYNC_CLIENT (self), NULL);

  return self->error;
}

/* GObject ---------------------------------------------------------------------------- */

static void
cairn_sync_client_dispose (GObject *object)
{
  CairnSyncClient *self = (CairnSyncClient *) object;

  cancel_connecting (self);
  if (self->clock != NULL)
    {
      cancel_retry (self);
      drop_socket (self, NULL);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (cairn_sync_client_parent_class)->dispose (object);
}

static void
cairn_sync_client_finalize (GObject *object)
{
  CairnSyncClient *self = (CairnSyncClient *) object;

  g_clear_error (&self->error);
  g_hash_table_unref (self->queries);
  cairn_sync_chunks_free (self->chunks);
  g_rand_free (self->rand);
  g_free (self->session_id);
  g_free (self->last_close_reason);

  G_OBJECT_CLASS (cairn_sync_client_parent_class)->finalize (object);
}

static void
cairn_sync_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CairnSyncClient *self = CAIRN_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_uint (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_FAILURES:
      g_value_set_uint (value, self->failures);
      break;
    case PROP_INACTIVITY_TIMEOUT_MS:
      g_value_set_uint (value, self->inactivity_timeout_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_sync_client_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CairnSyncClient *self = CAIRN_SYNC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_INACTIVITY_TIMEOUT_MS:
      self->inactivity_timeout_ms = g_value_get_uint (value);
      /* from the next frame on */
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_sync_client_class_init (CairnSyncClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cairn_sync_client_dispose;
  object_class->finalize = cairn_sync_client_finalize;
  object_class->get_property = cairn_sync_client_get_property;
  object_class->set_property = cairn_sync_client_set_property;

  properties[PROP_STATE] =
    g_param_spec_uint ("state", NULL, NULL, 0, CAIRN_SYNC_REFUSED, CAIRN_SYNC_IDLE, ro);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_FAILURES] =
    g_param_spec_uint ("failures", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_INACTIVITY_TIMEOUT_MS] =
    g_param_spec_uint ("inactivity-timeout-ms", NULL, NULL, 1, G_MAXUINT, CAIRN_SYNC_DEFAULT_INACTIVITY_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CairnSyncClient::query-updated:
   * @query_id: the subscription
   * @value: its new result, plain JSON
   */
  signals[SIGNAL_QUERY_UPDATED] =
    g_signal_new ("query-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, JSON_TYPE_NODE);

  /**
   * CairnSyncClient::query-failed:
   * @query_id: the subscription
   * @message: why, fit for the UI
   */
  signals[SIGNAL_QUERY_FAILED] =
    g_signal_new ("query-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
cairn_sync_client_init (CairnSyncClient *self)
{
  self->rand = g_rand_new ();
  self->session_id = g_uuid_string_random ();
  self->last_close_reason = g_strdup ("InitialConnect");
  self->queries = g_hash_table_new_full (NULL, NULL, NULL, query_free);
  self->chunks = cairn_sync_chunks_new ();
  self->inactivity_timeout_ms = CAIRN_SYNC_DEFAULT_INACTIVITY_TIMEOUT_MS;
}
