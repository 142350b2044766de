/* minimal-window.c — the least a libadwaita app shows: the UI benchmark's yardstick
 *
 * An AdwApplication (non-unique, as cairn is with --data-dir) whose activate
 * presents an AdwApplicationWindow of Cairn's default size holding a header
 * bar. ui-bench.py times its first frame beside cairn's, with the same
 * LD_PRELOAD probe (first-frame-probe.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "minimal-window"

#include <adwaita.h>

/* Cairn's default window size (data/io.github.cairnapp.Cairn.gschema.xml). */
#define WIDTH  960
#define HEIGHT 640

static void
activate_cb (GtkApplication *application)
{
  GtkWidget *window = adw_application_window_new (application);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *label = gtk_label_new ("Minimal");

  gtk_window_set_title (GTK_WINDOW (window), "Minimal");
  gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, HEIGHT);

  gtk_widget_set_vexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), label);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) application =
    adw_application_new ("io.github.cairnapp.Cairn.BenchMinimal", G_APPLICATION_NON_UNIQUE);

  g_signal_connect (application, "activate", G_CALLBACK (activate_cb), NULL);

  return g_application_run (G_APPLICATION (application), argc, argv);
}
