/* first-frame-probe.c — reports when a program's first window has been painted
 *
 * An LD_PRELOAD module for the UI benchmark (ui-bench.py). It wraps
 * gtk_window_present(): the first time a window is presented, it watches
 * that window's surface, and after the first frame in which the surface was
 * rendered (GdkSurface::render emitted, then GdkFrameClock::after-paint) it
 * writes
 *
 *   first-frame <CLOCK_MONOTONIC µs> <VmRSS kB> <VmHWM kB>
 *
 * on stdout. With CAIRN_BENCH_PROBE_QUIT=1 it then quits the default
 * GApplication, so the program ends the way it always does.
 *
 * The same module measures the real cairn binary and the minimal libadwaita
 * window, so both are timed by the same code, and cairn itself carries no
 * benchmark hook.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "first-frame-probe"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gtk/gtk.h>

typedef struct {
  GtkWindow *window;
  gulong     hook_id;
  gboolean   rendered;
} Probe;

static gboolean watching;

/* A field of /proc/self/status in kB, or -1. */
static long
status_kb (const char *field)
{
  g_autofree char *status = NULL;
  size_t length = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;

  for (char *line = status; line != NULL && *line != '\0'; line = strchr (line, '\n'))
    {
      if (*line == '\n')
        line++;
      if (strncmp (line, field, length) == 0 && line[length] == ':')
        return strtol (line + length + 1, NULL, 10);
    }

  return -1;
}

static gboolean
quit_cb (gpointer user_data)
{
  GApplication *application = g_application_get_default ();

  if (application != NULL)
    g_application_quit (application);

  return G_SOURCE_REMOVE;
}

static void
report (void)
{
  char line[128];
  int n = g_snprintf (line, sizeof line, "first-frame %" G_GINT64_FORMAT " %ld %ld\n",
                      g_get_monotonic_time (), status_kb ("VmRSS"), status_kb ("VmHWM"));

  /* straight to the file descriptor: stdout may be fully buffered */
  if (write (STDOUT_FILENO, line, n) != n)
    g_warning ("Could not report the first frame");

  if (g_strcmp0 (g_getenv ("CAIRN_BENCH_PROBE_QUIT"), "1") == 0)
    g_idle_add (quit_cb, NULL);
}

/* An emission hook, not a handler: GTK's own handler ends the emission of
 * GdkSurface::render (it returns TRUE), so a handler of ours would not run. */
static gboolean
render_hook (GSignalInvocationHint *hint,
             guint                  n_params,
             const GValue          *params,
             gpointer               user_data)
{
  Probe *probe = user_data;

  if (g_value_get_object (&params[0]) == gtk_native_get_surface (GTK_NATIVE (probe->window)))
    probe->rendered = TRUE;

  return TRUE;
}

static void
on_after_paint (GdkFrameClock *clock,
                Probe         *probe)
{
  if (!probe->rendered)
    return;

  g_signal_handlers_disconnect_by_data (clock, probe);
  g_signal_remove_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), probe->hook_id);
  report ();
  g_free (probe);
}

static void
watch (GtkWindow *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  Probe *probe;

  if (surface == NULL)
    {
      g_warning ("The first window presented has no surface; nothing to watch");
      return;
    }

  probe = g_new0 (Probe, 1);
  probe->window = window;
  probe->hook_id = g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0,
                                               render_hook, probe, NULL);
  g_signal_connect (gdk_surface_get_frame_clock (surface), "after-paint",
                    G_CALLBACK (on_after_paint), probe);
}

/* Exported (gtk.h declares it), to take the place of GTK's. */
void
gtk_window_present (GtkWindow *window)
{
  static void (*real_present) (GtkWindow *window);

  if (real_present == NULL)
    real_present = (void (*) (GtkWindow *)) dlsym (RTLD_NEXT, "gtk_window_present");

  real_present (window);

  if (!watching)
    {
      watching = TRUE;
      watch (window);
    }
}
