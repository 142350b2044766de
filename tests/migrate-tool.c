/* migrate-tool.c — one CairnMigrator run against a deployment, for test-migrator's kill -9 case
 *
 *   migrate-tool URL OWNER BUNDLE   (the deploy key on standard input, one line)
 *
 * Prints each stage and message as it goes; exits 0 when the deployment is
 * up to date, 1 when the update failed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cairn-convex-client.h"
#include "cairn-migrator.h"
#include "cairn-system-clock.h"
#include "read-key.h"

static void
progress_cb (CairnMigrator *migrator,
             GParamSpec    *pspec,
             gpointer       user_data)
{
  printf ("%u %s\n", cairn_migrator_get_stage (migrator), cairn_migrator_get_message (migrator));
  fflush (stdout);
}

static void
updated_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  int *status = user_data;

  *status = cairn_migrator_update_finish (CAIRN_MIGRATOR (object), result, &error) ? 0 : 1;
  if (error != NULL)
    fprintf (stderr, "%s\n", error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(CairnClock) clock = NULL;
  g_autoptr(CairnMigrator) migrator = NULL;
  g_autoptr(GBytes) bundle = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  char key[512] = "";
  int status = -1;

  if (argc != 4 || !read_key (key, sizeof key))
    {
      fprintf (stderr, "usage: migrate-tool URL OWNER BUNDLE < key\n");
      return 2;
    }

  client = cairn_convex_client_new (argv[1], &error);
  file = g_mapped_file_new (argv[3], FALSE, &error);
  if (client == NULL || file == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  cairn_convex_client_set_admin_key (client, key);
  explicit_bzero (key, sizeof key);

  bundle = g_mapped_file_get_bytes (file);
  clock = cairn_system_clock_new ();
  migrator = cairn_migrator_new (client, clock, argv[2], bundle);
  g_signal_connect (migrator, "notify::message", G_CALLBACK (progress_cb), NULL);
  cairn_migrator_update_async (migrator, NULL, updated_cb, &status);
  while (status < 0)
    g_main_context_iteration (NULL, TRUE);

  return status;
}
