/* bench-migrate.c — installing the Cairn functions and migrating v1 → v2, timed, against the test peer
 *
 *   bench-migrate [CONVERSATIONS MESSAGES]   (default 200 conversations of 50 messages)
 *
 * 1. Install into an empty peer (`--empty`): one CairnMigrator run that
 *    finds no functions, pushes this app's and finds nothing to migrate.
 *    Target: at most 3 s.
 * 2. Upgrade v1 → v2: the v1 functions (the test fixture) and 10 000
 *    messages written through them (not timed), then one CairnMigrator run:
 *    push, lease, migration 0002 in batches, release, last ping. With the
 *    peer's `slow` fault at 40 ms on every request, target at most 20 s;
 *    beside it the same with no added latency, the peer's own ceiling.
 *
 * Prints a line per measurement, and all of them as JSON into the build
 * directory (bench-migrate.json).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include "cairn-convex-store.h"
#include "cairn-migrator.h"
#include "cairn-system-clock.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY "dev:cairn-bench|migrate-secret"
#define OWNER     "bench-host/0b9f4f3e-58a2-4c2d-9a51-7e0f7c1d2b3a"
#define BUNDLE    "data/convex/push/cairn-functions.json"
#define BUNDLE_V1 "tests/peer/fixtures/cairn-functions-v1.json"

static CairnConvexClient *
client_for (ConvexPeer *peer)
{
  g_autoptr(GError) error = NULL;
  CairnConvexClient *client = cairn_convex_client_new (convex_peer_get_url (peer), &error);

  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);

  return client;
}

/* One whole update, in seconds. */
static double
time_update (CairnConvexClient *client,
             GBytes            *bundle)
{
  g_autoptr(CairnClock) clock = cairn_system_clock_new ();
  g_autoptr(CairnMigrator) migrator = cairn_migrator_new (client, clock, OWNER, bundle);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  cairn_migrator_update_async (migrator, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  if (!cairn_migrator_update_finish (migrator, result, &error))
    g_error ("the update failed: %s", error->message);

  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static double
install (GBytes *bundle)
{
  g_autoptr(ConvexPeer) peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--empty", NULL);
  g_autoptr(CairnConvexClient) client = client_for (peer);

  return time_update (client, bundle);
}

/* v1 with its data, then the update with @latency_ms added to every request. */
static double
upgrade (GBytes *bundle,
         GBytes *v1,
         guint   conversations,
         guint   messages,
         guint   latency_ms)
{
  g_autoptr(ConvexPeer) peer = convex_peer_start_with_args (ADMIN_KEY, NULL, NULL, "--empty", NULL);
  g_autoptr(CairnConvexClient) client = client_for (peer);
  g_autoptr(CairnConvexStore) store = cairn_convex_store_new (client);
  g_autofree char *fault = g_strdup_printf ("{\"mode\": \"slow\", \"ms\": %u}", latency_ms);
  double seconds;

  test_util_push_functions (client, v1);
  test_util_seed_conversations (CAIRN_STORE (store), conversations, messages);
  g_assert_cmpuint (convex_peer_count (peer, "messages"), ==, conversations * messages);

  /* the requests of the update alone from here */
  convex_peer_control (peer, "reset", "{}");
  if (latency_ms > 0)
    convex_peer_control (peer, "fault", fault);
  seconds = time_update (client, bundle);
  g_printerr ("  %u requests, %u steps\n", convex_peer_request_count (peer),
              convex_peer_function_count (peer, "migrations:step"));

  return seconds;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GBytes) bundle = test_util_load_bundle (BUNDLE);
  g_autoptr(GBytes) v1 = test_util_load_bundle (BUNDLE_V1);
  guint conversations = argc > 2 ? (guint) atoi (argv[1]) : 200;
  guint messages = argc > 2 ? (guint) atoi (argv[2]) : 50;
  g_autofree char *json = NULL;
  g_autofree char *json_path = g_build_filename (g_getenv ("CAIRN_BUILD_ROOT"), "bench-migrate.json", NULL);
  g_autoptr(GError) error = NULL;
  double installed, slow, plain;

  installed = install (bundle);
  g_print ("install into an empty peer: %.2f s (target ≤ 3 s)\n", installed);

  slow = upgrade (bundle, v1, conversations, messages, 40);
  g_print ("v1 → v2, %u messages in %u conversations, 40 ms added per request: %.2f s (target ≤ 20 s)\n",
           conversations * messages, conversations, slow);

  plain = upgrade (bundle, v1, conversations, messages, 0);
  g_print ("the same with no added latency (the peer's ceiling): %.2f s\n", plain);

  json = g_strdup_printf ("{\"install_s\": %.3f, \"upgrade_40ms_s\": %.3f, \"upgrade_0ms_s\": %.3f, "
                          "\"conversations\": %u, \"messages\": %u}\n",
                          installed, slow, plain, conversations, conversations * messages);
  g_print ("%s", json);
  if (!g_file_set_contents (json_path, json, -1, &error))
    g_printerr ("%s\n", error->message);

  return installed <= 3 && slow <= 20 ? 0 : 1;
}
