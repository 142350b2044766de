/* bench-batches.c — moving content and replaying the outbox through batches, timed, against the test peer
 *
 *   bench-batches [CONVERSATIONS MESSAGES]   (default 100 conversations of 100 messages)
 *
 * 1. Move 10 000 messages (and their conversations) from the local store to
 *    the deployment: one CairnContentMover run, counting, copying (rounds of
 *    batches in flight together), verifying, removing here. With the peer's
 *    `slow` fault at 40 ms on every request, target at most 15 s.
 * 2. Replay 1 000 queued writes (10 conversations: their insert, 95
 *    messages, 3 of them removed, a rename) from the outbox, in order, in
 *    batches. With 40 ms per request, target at most 5 s.
 *
 * Each beside the same run with no added latency: the peer's own ceiling
 * (it runs one function at a time). Prints a line per measurement with the
 * requests it took, and all of them as JSON into the build directory
 * (bench-batches.json).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch-util.h"
#include "cairn-content-mover.h"
#include "cairn-convex-store.h"
#include "cairn-local-store.h"
#include "cairn-outbox-delivery.h"
#include "cairn-system-clock.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY  "dev:cairn-bench|batch-secret"
#define DEPLOYMENT "https://happy-otter-123.convex.cloud"

typedef struct {
  double seconds;
  guint  requests;
  guint  batches;
  guint  connections;
} Run;

static ConvexPeer *peer;

static CairnStore *
remote_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (peer), &error);

  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);

  return CAIRN_STORE (cairn_convex_store_new (client));
}

static CairnLocalStore *
local_store (const char *dir,
             const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  CairnLocalStore *store = cairn_local_store_new (path, &error);

  g_assert_no_error (error);

  return store;
}

/* The TCP connections open to the peer now (from this process: Cairn's
 * client and the bench's own control requests): requests over kept-alive
 * connections leave this far below the number of requests. */
static guint
connections_to_peer (void)
{
  const char *url = convex_peer_get_url (peer);
  guint port = (guint) atoi (strrchr (url, ':') + 1);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents ("/proc/net/tcp", &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      unsigned local_port, remote_port, state;

      if (sscanf (lines[i], "%*d: %*x:%x %*x:%x %x", &local_port, &remote_port, &state) == 3 &&
          remote_port == port && state == 0x01)
        n++;
    }

  return n;
}

static void
add_latency (guint latency_ms)
{
  g_autofree char *fault = g_strdup_printf ("{\"mode\": \"slow\", \"ms\": %u}", latency_ms);

  convex_peer_control (peer, "reset", "{}");
  if (latency_ms > 0)
    convex_peer_control (peer, "fault", fault);
}

static gint64 phase_start;

static void
phase_cb (CairnContentMover *mover,
          GParamSpec        *pspec,
          gpointer           data)
{
  static const char *names[] = { "counting", "copying", "verifying", "removing", "done" };
  gint64 now = g_get_monotonic_time ();

  g_printerr ("  %.2f s, then %s\n", (now - phase_start) / (double) G_USEC_PER_SEC,
              names[cairn_content_mover_get_phase (mover)]);
  phase_start = now;
}

static Run
move (const char *dir,
      guint       conversations,
      guint       messages,
      guint       latency_ms)
{
  g_autofree char *name = g_strdup_printf ("move-%u.db", latency_ms);
  g_autoptr(CairnLocalStore) local = local_store (dir, name);
  g_autoptr(CairnStore) remote = remote_store ();
  g_autoptr(CairnClock) clock = cairn_system_clock_new ();
  g_autoptr(CairnContentMover) mover = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  Run run;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  test_util_seed_conversations (CAIRN_STORE (local), conversations, messages);

  mover = cairn_content_mover_new (CAIRN_STORE (local), "default", DEPLOYMENT, CAIRN_STORE (local), remote,
                                   CAIRN_CONTENT_MOVE_TO_DEPLOYMENT, clock);
  g_signal_connect (mover, "notify::phase", G_CALLBACK (phase_cb), NULL);
  add_latency (latency_ms);
  start = phase_start = g_get_monotonic_time ();
  cairn_content_mover_run_async (mover, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  if (!cairn_content_mover_run_finish (mover, result, &error))
    g_error ("the move failed: %s", error->message);
  run.seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  run.requests = convex_peer_request_count (peer);
  run.batches = convex_peer_function_count (peer, "documents:apply");
  run.connections = connections_to_peer ();

  convex_peer_control (peer, "reset", "{}");
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, conversations * messages);
  g_assert_cmpuint (convex_peer_count (peer, "conversations"), ==, conversations);
  g_assert_cmpuint (test_util_count (CAIRN_STORE (local), "messages"), ==, 0);

  return run;
}

static gboolean
outbox_empty (gpointer data)
{
  return cairn_outbox_delivery_get_count (data) == 0;
}

static Run
replay (const char *dir,
        guint       latency_ms)
{
  g_autofree char *name = g_strdup_printf ("replay-%u.db", latency_ms);
  g_autoptr(CairnLocalStore) local = local_store (dir, name);
  g_autoptr(CairnStore) remote = remote_store ();
  g_autoptr(CairnClock) clock = cairn_system_clock_new ();
  g_autoptr(CairnOutbox) outbox = cairn_outbox_new (CAIRN_STORE (local), "default", clock);
  g_autoptr(CairnOutboxDelivery) delivery = NULL;
  BatchQueue queue = { 0 };
  gint64 start;
  Run run;

  convex_peer_control (peer, "reset", "{\"data\": true}");
  batch_queue_outbox (outbox, 10, 95, 3, &queue);
  g_assert_cmpuint (queue.writes, ==, 1000);

  delivery = cairn_outbox_delivery_new (outbox);
  add_latency (latency_ms);
  start = g_get_monotonic_time ();
  cairn_outbox_delivery_set_store (delivery, remote);
  cairn_outbox_delivery_flush (delivery);
  if (!test_util_wait_until (outbox_empty, delivery, 120000))
    g_error ("the outbox was not empty after 120 s");
  /* until the last acknowledged rows left the outbox table too */
  while (test_util_count (CAIRN_STORE (local), "outbox") > 0)
    g_main_context_iteration (NULL, TRUE);
  run.seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  run.requests = convex_peer_request_count (peer);
  run.batches = convex_peer_function_count (peer, "documents:apply");
  run.connections = connections_to_peer ();

  convex_peer_control (peer, "reset", "{}");
  batch_assert_queue_on_peer (peer, &queue);
  batch_queue_clear (&queue);

  return run;
}

int
main (int   argc,
      char *argv[])
{
  guint conversations = argc > 2 ? (guint) atoi (argv[1]) : 100;
  guint messages = argc > 2 ? (guint) atoi (argv[2]) : 100;
  g_autofree char *json = NULL;
  g_autofree char *json_path = g_build_filename (g_getenv ("CAIRN_BUILD_ROOT"), "bench-batches.json", NULL);
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;
  Run move_slow, move_plain, replay_slow, replay_plain;

  dir = g_dir_make_tmp ("cairn-bench-batches-XXXXXX", &error);
  g_assert_no_error (error);
  peer = convex_peer_start (ADMIN_KEY, NULL);

  move_slow = move (dir, conversations, messages, 40);
  g_print ("move %u messages in %u conversations to the deployment, 40 ms added per request: %.2f s "
           "(target ≤ 15 s; %u requests, %u batches, %u connections open)\n",
           conversations * messages, conversations, move_slow.seconds, move_slow.requests, move_slow.batches,
           move_slow.connections);
  move_plain = move (dir, conversations, messages, 0);
  g_print ("the same with no added latency (the peer's ceiling): %.2f s (%u requests, %u batches, %u connections open)\n",
           move_plain.seconds, move_plain.requests, move_plain.batches, move_plain.connections);

  replay_plain = replay (dir, 0);
  replay_slow = replay (dir, 40);
  g_print ("replay 1000 queued writes, 40 ms added per request: %.2f s (target ≤ 5 s; %u requests, %u batches, "
           "%u connections open)\n",
           replay_slow.seconds, replay_slow.requests, replay_slow.batches, replay_slow.connections);
  g_print ("the same with no added latency (the peer's ceiling): %.2f s (%u requests, %u batches, %u connections open)\n",
           replay_plain.seconds, replay_plain.requests, replay_plain.batches, replay_plain.connections);

  json = g_strdup_printf ("{\"move_40ms_s\": %.3f, \"move_0ms_s\": %.3f, \"move_requests\": %u, "
                          "\"replay_40ms_s\": %.3f, \"replay_0ms_s\": %.3f, \"replay_requests\": %u, "
                          "\"messages\": %u}\n",
                          move_slow.seconds, move_plain.seconds, move_slow.requests,
                          replay_slow.seconds, replay_plain.seconds, replay_slow.requests,
                          conversations * messages);
  g_print ("%s", json);
  if (!g_file_set_contents (json_path, json, -1, &error))
    g_printerr ("%s\n", error->message);

  convex_peer_free (peer);
  test_util_remove_tree (dir);

  return move_slow.seconds <= 15 && replay_slow.seconds <= 5 ? 0 : 1;
}
