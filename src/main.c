/* main.c — Cairn's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "cairn-application.h"
#include "cairn-credentials.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CairnApplication) app = NULL;

  /* before anything can hold the deploy key */
  cairn_credentials_protect_process ();

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = cairn_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
