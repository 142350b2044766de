/* soak-writer.c — one Cairn writer for the chaos soak (tests/soak/soak.py)
 *
 *   soak-writer [--drain] DIR URL NAME RUN   (the deploy key on standard input, one line)
 *
 * The real core as the app runs it: a local store (DIR/cairn.db), a
 * workspace with Bring Your Own Database on — its outbox loaded again as
 * at a restart, then a connection to the deployment at URL as the user
 * store —, and conversations and messages written through
 * CairnConversations, so every content write goes through the outbox and
 * its delivery. Only the keyring is left out: the client is given the key
 * (as enable does) instead of the connection reading it from the keyring.
 *
 * It creates a few conversations and then sends messages into them (one
 * every 60-240 ms, as a brisk user and below what the peer takes; up to 3
 * on their way at once; none while 100 wait in the outbox), now and then a
 * new conversation, until SIGTERM; a few (1 in 40) carry the marker SOAK-REFUSE,
 * which the peer (--refuse-args-containing) refuses for good. Then (and
 * at once with --drain) it stops writing, waits until only failed writes
 * are left in the outbox, and writes DIR/outbox-NAME-RUN.json: what is left.
 *
 * DIR/journal: "I kind token" before a write is asked for, "Q kind token
 * clientId acked|pending" once the core has it (acknowledged by the
 * deployment, or durable in the outbox), "E kind token message" when the
 * core refused it. Each line is on disk (fdatasync) before the next write
 * is asked for. kind is c (a conversation, token in its title) or m (a
 * message, token in its content).
 *
 * On SIGUSR1 it prints "mark rss=KB raw=KB": its RSS after malloc_trim()
 * (and before); the report has the same at the end.
 *
 * Standard output, every 500 ms: "status pending=N failed=M inflight=K rss=KB sent=S connection=STATE".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <glib-unix.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cairn-byod.h"
#include "cairn-connection.h"
#include "cairn-conversation.h"
#include "cairn-conversations.h"
#include "cairn-convex-client.h"
#include "cairn-local-store.h"
#include "cairn-message.h"
#include "cairn-outbox-delivery.h"
#include "cairn-outbox.h"
#include "cairn-workspace.h"
#include "../read-key.h"

#define MARKER          "SOAK-REFUSE"
#define MAX_INFLIGHT    3
#define MAX_BACKLOG     100   /* writes waiting in the outbox before it waits too */
#define DRAIN_SECONDS   180

typedef struct {
  CairnWorkspace  *workspace;
  CairnOutbox     *outbox;
  CairnConnection *connection;
  GPtrArray       *conversations;   /* clientIds */
  char            *name;
  char            *run;
  char            *dir;
  int              journal;
  guint            seq;
  guint            inflight;
  guint            sent;
  gboolean         stopping;
  gint64           drain_deadline;
  int              status;          /* -1 while running */
  GRand           *rand;
} Writer;

typedef struct {
  Writer *writer;
  char   *token;
  char    kind;
} Send;

static void schedule_next (Writer *w);

static void
journal (Writer     *w,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static void
journal (Writer     *w,
         const char *format,
         ...)
{
  g_autofree char *line = NULL;
  va_list args;
  size_t len;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  len = strlen (line);
  if (write (w->journal, line, len) != (ssize_t) len || fdatasync (w->journal) != 0)
    g_error ("Could not write the journal: %s", g_strerror (errno));
}

static long
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + strlen ("VmRSS:"), NULL, 10) : -1;
}

/* The memory in use: what glibc keeps from the largest backlog goes back
 * first, so a write's worth of memory that stays shows, and a high-water
 * mark that was freed does not. Returns the RSS before, in *raw. */
static long
rss_in_use_kb (long *raw)
{
  *raw = rss_kb ();
  malloc_trim (0);
  return rss_kb ();
}

/* SIGUSR1 (the soak's end of warm-up): "mark rss=KB raw=KB" */
static gboolean
sigusr1_cb (gpointer user_data)
{
  long raw;
  long in_use = rss_in_use_kb (&raw);

  printf ("mark rss=%ld raw=%ld\n", in_use, raw);
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

static char *
one_line (const char *text)
{
  char *copy = g_strdup (text);

  g_strdelimit (copy, "\r\n", ' ');
  return copy;
}

/* Sending -------------------------------------------------------------------- */

static void
send_done (Send       *send,
           const char *client_id,
           int         pending,    /* -1: not told */
           GError     *error)
{
  Writer *w = send->writer;

  if (error != NULL)
    {
      g_autofree char *why = one_line (error->message);
      journal (w, "E %c %s %s\n", send->kind, send->token, why);
    }
  else
    journal (w, "Q %c %s %s %s\n", send->kind, send->token, client_id,
             pending < 0 ? "queued" : pending ? "pending" : "acked");

  w->inflight--;
  w->sent++;
  g_free (send->token);
  g_free (send);
  schedule_next (w);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Send *send = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConversation) conversation = NULL;

  conversation = cairn_conversations_create_finish (CAIRN_WORKSPACE (object), result, &error);
  if (conversation != NULL)
    {
      g_ptr_array_add (send->writer->conversations, g_strdup (cairn_conversation_get_client_id (conversation)));
      send_done (send, cairn_conversation_get_client_id (conversation), -1, NULL);
    }
  else
    send_done (send, NULL, 0, error);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Send *send = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnMessage) message = NULL;

  message = cairn_conversations_send_message_finish (CAIRN_WORKSPACE (object), result, &error);
  if (message != NULL)
    send_done (send, cairn_message_get_client_id (message), cairn_message_get_pending (message), NULL);
  else
    send_done (send, NULL, 0, error);
}

static void
send_one (Writer *w)
{
  Send *send = g_new0 (Send, 1);
  gboolean conversation = w->conversations->len < 3 || g_rand_int_range (w->rand, 0, 100) == 0;

  send->writer = w;
  send->kind = conversation ? 'c' : 'm';
  send->token = g_strdup_printf ("%s.r%s.%c%u", w->name, w->run, send->kind, w->seq++);
  w->inflight++;

  if (conversation)
    {
      g_autofree char *title = g_strdup_printf ("soak %s", send->token);

      journal (w, "I c %s\n", send->token);
      cairn_conversations_create_async (w->workspace, title, NULL, created_cb, send);
    }
  else
    {
      gboolean refused = g_rand_int_range (w->rand, 0, 40) == 0;
      const char *to = g_ptr_array_index (w->conversations, g_rand_int_range (w->rand, 0, w->conversations->len));
      g_autofree char *content = NULL;

      if (refused)
        {
          g_free (send->token);
          send->token = g_strdup_printf ("%s.r%s.m%u.%s", w->name, w->run, w->seq - 1, MARKER);
        }
      content = g_strdup_printf ("soak message %s", send->token);
      journal (w, "I m %s\n", send->token);
      cairn_conversations_send_message_async (w->workspace, to, content, NULL, sent_cb, send);
    }
}

static gboolean
send_timeout_cb (gpointer user_data)
{
  Writer *w = user_data;

  if (w->stopping)
    return G_SOURCE_REMOVE;
  /* a writer far ahead of its deployment waits for it, so its memory
   * has a ceiling the soak's warm-up reaches */
  if (cairn_outbox_get_count (w->outbox) >= MAX_BACKLOG)
    {
      g_timeout_add (200, send_timeout_cb, w);
      return G_SOURCE_REMOVE;
    }
  if (w->inflight < MAX_INFLIGHT)
    send_one (w);

  return G_SOURCE_REMOVE;
}

static void
schedule_next (Writer *w)
{
  if (w->stopping)
    return;
  /* the first conversations one after the other, so messages have somewhere to go */
  if (w->conversations->len < 3 && w->inflight > 0)
    return;
  g_timeout_add (g_rand_int_range (w->rand, 60, 240), send_timeout_cb, w);
}

/* Draining and the report ------------------------------------------------------ */

static void
write_report (Writer *w)
{
  static const char *tables[] = { "conversations", "messages" };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_strdup_printf ("outbox-%s-%s.json", w->name, w->run);
  g_autofree char *path = g_build_filename (w->dir, file, NULL);
  long raw;
  long in_use = rss_in_use_kb (&raw);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rssKb");
  json_builder_add_int_value (builder, in_use);
  json_builder_set_member_name (builder, "rssRawKb");
  json_builder_add_int_value (builder, raw);
  json_builder_set_member_name (builder, "pending");
  json_builder_add_int_value (builder, cairn_outbox_get_count (w->outbox));
  json_builder_set_member_name (builder, "failed");
  json_builder_add_int_value (builder, cairn_outbox_get_failed_count (w->outbox));
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autoptr(GPtrArray) entries = cairn_outbox_list_inserts (w->outbox, tables[t]);

      for (guint i = 0; i < entries->len; i++)
        {
          const CairnOutboxEntry *entry = g_ptr_array_index (entries, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "table");
          json_builder_add_string_value (builder, entry->table);
          json_builder_set_member_name (builder, "clientId");
          json_builder_add_string_value (builder, entry->document_id);
          json_builder_set_member_name (builder, "status");
          json_builder_add_string_value (builder, entry->status == CAIRN_OUTBOX_FAILED ? "failed" : "pending");
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, entry->error);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  if (!json_generator_to_file (generator, path, &error))
    g_error ("Could not write %s: %s", path, error->message);
}

static gboolean
status_cb (gpointer user_data)
{
  Writer *w = user_data;
  guint pending = cairn_outbox_get_count (w->outbox);

  printf ("status pending=%u failed=%u inflight=%u rss=%ld sent=%u connection=%d\n", pending,
          cairn_outbox_get_failed_count (w->outbox), w->inflight, rss_kb (), w->sent,
          cairn_connection_get_state (w->connection));
  fflush (stdout);

  if (!w->stopping)
    return G_SOURCE_CONTINUE;

  if (w->inflight == 0 && pending == 0)
    {
      write_report (w);
      w->status = 0;
      return G_SOURCE_REMOVE;
    }
  if (g_get_monotonic_time () > w->drain_deadline)
    {
      fprintf (stderr, "soak-writer %s: %u writes still pending after %d s\n", w->name, pending, DRAIN_SECONDS);
      write_report (w);
      w->status = 3;
      return G_SOURCE_REMOVE;
    }
  /* the user's Retry Connection: whatever the backoff says, try now */
  if (cairn_connection_get_state (w->connection) == CAIRN_CONNECTION_BLOCKED &&
      !cairn_connection_get_probing (w->connection))
    cairn_connection_retry (w->connection);

  return G_SOURCE_CONTINUE;
}

static void
stop (Writer *w)
{
  w->stopping = TRUE;
  w->drain_deadline = g_get_monotonic_time () + DRAIN_SECONDS * G_USEC_PER_SEC;
}

static gboolean
sigterm_cb (gpointer user_data)
{
  stop (user_data);
  return G_SOURCE_REMOVE;
}

/* Start ---------------------------------------------------------------------- */

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  int *status = user_data;

  *status = cairn_outbox_load_finish (CAIRN_OUTBOX (object), result, &error) ? 0 : 1;
  if (error != NULL)
    fprintf (stderr, "Could not load the outbox: %s\n", error->message);
}

/* What CairnByod's restore does once the config said BYOD is on. */
static void
connection_state_cb (CairnConnection *connection,
                     GParamSpec      *pspec,
                     CairnByod       *byod)
{
  if (cairn_connection_get_state (connection) == CAIRN_CONNECTION_CONNECTED)
    g_signal_emit_by_name (byod, "storage-changed");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CairnLocalStore) store = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *journal_path = NULL;
  CairnOutboxDelivery *delivery;
  CairnByod *byod;
  Writer w = { 0 };
  gboolean drain = FALSE;
  char key[512] = "";
  int loaded = -1;

  if (argc > 1 && g_str_equal (argv[1], "--drain"))
    {
      drain = TRUE;
      argv++;
      argc--;
    }
  if (argc != 5 || !read_key (key, sizeof key))
    {
      fprintf (stderr, "usage: soak-writer [--drain] DIR URL NAME RUN < key\n");
      return 2;
    }

  w.dir = argv[1];
  w.name = argv[3];
  w.run = argv[4];
  w.status = -1;
  w.rand = g_rand_new ();
  w.conversations = g_ptr_array_new_with_free_func (g_free);

  journal_path = g_build_filename (w.dir, "journal", NULL);
  w.journal = open (journal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (w.journal < 0)
    {
      fprintf (stderr, "Could not open %s: %s\n", journal_path, g_strerror (errno));
      return 2;
    }

  db_path = g_build_filename (w.dir, "cairn.db", NULL);
  store = cairn_local_store_new (db_path, &error);
  client = cairn_convex_client_new (argv[2], &error);
  if (store == NULL || client == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  cairn_convex_client_set_admin_key (client, key);
  explicit_bzero (key, sizeof key);

  w.workspace = cairn_workspace_new ("default", CAIRN_STORE (store));
  delivery = cairn_workspace_get_delivery (w.workspace);
  byod = cairn_workspace_get_byod (w.workspace);
  g_object_get (delivery, "outbox", &w.outbox, NULL);

  /* the writes that waited when it was last killed go out once connected */
  cairn_outbox_load_async (w.outbox, NULL, loaded_cb, &loaded);
  while (loaded < 0)
    g_main_context_iteration (NULL, TRUE);
  if (loaded != 0)
    return 2;

  w.connection = cairn_connection_new ("default", client, cairn_workspace_get_clock (w.workspace), NULL);
  g_signal_connect_object (w.connection, "notify::state", G_CALLBACK (connection_state_cb), byod, 0);
  cairn_byod_set_user_store (byod, CAIRN_STORE (w.connection));
  cairn_connection_start (w.connection);

  g_unix_signal_add (SIGTERM, sigterm_cb, &w);
  g_unix_signal_add (SIGUSR1, sigusr1_cb, &w);
  g_timeout_add (500, status_cb, &w);
  if (drain)
    stop (&w);
  else
    schedule_next (&w);

  while (w.status < 0)
    g_main_context_iteration (NULL, TRUE);

  /* let what is on its way settle before the store closes */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&w.workspace);
  g_clear_object (&w.connection);
  g_clear_object (&w.outbox);
  cairn_local_store_close (store);
  close (w.journal);
  g_ptr_array_unref (w.conversations);
  g_rand_free (w.rand);

  return w.status;
}
