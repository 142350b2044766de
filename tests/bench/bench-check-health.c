/* bench-check-health.c — `cairn --check-health` against the peer, wall time
 *
 * The built cairn, its own data folder with BYOD on, the key in a private
 * gnome-keyring-daemon (test-keyring.h), the Convex test peer on loopback:
 * RUNS runs of the whole process, from spawn to exit. Prints one JSON line:
 * median and slowest wall time against the 0.5 s target.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include "cairn-byod-config.h"
#include "cairn-credentials.h"
#include "cairn-local-store.h"
#include "convex-peer.h"
#include "test-keyring.h"
#include "test-util.h"
#include "../stats.h"

#define RUNS      20
#define TARGET_MS 500
#define ADMIN_KEY "dev:cairn-bench|check-health-secret"

static void
set_up (const char *data_dir,
        const char *url)
{
  test_util_save_byod_settings (data_dir, url, TRUE);
  test_util_store_key (url, ADMIN_KEY);
}

static double
run_once (const char *binary,
          const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) cairn = NULL;
  gint64 started = g_get_monotonic_time ();

  cairn = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                            binary, "--data-dir", data_dir, "--check-health", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait (cairn, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (cairn), ==, 0);

  return (g_get_monotonic_time () - started) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *binary = g_build_filename (g_getenv ("CAIRN_BUILD_ROOT"), "src", "cairn", NULL);
  ConvexPeer *peer;
  TestKeyring *keyring;
  double times[RUNS];

  test_keyring_bus_up ();
  keyring = test_keyring_start ();
  if (keyring == NULL)
    {
      printf ("{\"benchmark\": \"check-health\", \"skipped\": \"no gnome-keyring-daemon\"}\n");
      return 0;
    }
  peer = convex_peer_start (ADMIN_KEY, NULL);
  dir = g_dir_make_tmp ("cairn-bench-check-health-XXXXXX", &error);
  g_assert_no_error (error);
  set_up (dir, convex_peer_get_url (peer));

  /* once to warm the peer's modules, not counted */
  run_once (binary, dir);
  for (guint i = 0; i < RUNS; i++)
    times[i] = run_once (binary, dir);
  qsort (times, RUNS, sizeof times[0], (int (*) (const void *, const void *)) stats_compare_doubles);

  printf ("{\"benchmark\": \"check-health\", \"runs\": %d, \"median_ms\": %.0f, \"max_ms\": %.0f, "
          "\"target_ms\": %d, \"within_target\": %s}\n",
          RUNS, times[RUNS / 2], times[RUNS - 1], TARGET_MS, times[RUNS - 1] <= TARGET_MS ? "true" : "false");

  convex_peer_free (peer);
  test_keyring_free (keyring);
  test_keyring_bus_stop ();
  test_util_remove_tree (dir);
  return 0;
}
