/* test-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>

#include "test-keyring.h"
#include "test-util.h"

#define SECRETS_NAME       "org.freedesktop.secrets"
#define SECRETS_PATH       "/org/freedesktop/secrets"
#define SECRETS_INTERFACE  "org.freedesktop.Secret.Service"
#define LOGIN_PASSWORD     "cairn-test-login"
#define WAIT_SECONDS       20

struct _TestKeyring
{
  char        *dir;
  GSubprocess *daemon;
};

static GTestDBus *test_bus;

/* The bus ---------------------------------------------------------------- */

static GDBusConnection *
bus_get (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

gboolean
test_keyring_secrets_name_has_owner (void)
{
  g_autoptr(GDBusConnection) bus = bus_get ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", SECRETS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &has_owner);

  return has_owner;
}

/* The object path of the default collection, or NULL while the daemon is
 * not (yet) there or has no default collection. */
char *
test_keyring_default_collection_path (void)
{
  g_autoptr(GDBusConnection) bus = bus_get ();
  g_autoptr(GVariant) reply = NULL;
  const char *path = NULL;

  reply = g_dbus_connection_call_sync (bus, SECRETS_NAME, SECRETS_PATH, SECRETS_INTERFACE,
                                       "ReadAlias", g_variant_new ("(s)", "default"),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                       1000, NULL, NULL);
  if (reply == NULL)
    return NULL;

  g_variant_get (reply, "(&o)", &path);
  if (g_str_equal (path, "/"))
    return NULL;

  return g_strdup (path);
}

static void
wait_for_name_gone (void)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (test_keyring_secrets_name_has_owner ())
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s is still owned after %d s", SECRETS_NAME, WAIT_SECONDS);
      g_usleep (20 * 1000);
    }
}

/* The keyring daemon ----------------------------------------------------- */

void
test_keyring_stop_daemon (TestKeyring *f)
{
  g_autoptr(GError) error = NULL;

  if (f == NULL || f->daemon == NULL)
    return;

  g_subprocess_send_signal (f->daemon, SIGTERM);
  g_subprocess_wait (f->daemon, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&f->daemon);
  wait_for_name_gone ();
}

TestKeyring *
test_keyring_start (void)
{
  TestKeyring *f;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *collection = NULL;
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  GOutputStream *input;
  gint64 deadline;

  if (program == NULL)
    {
      g_test_skip ("gnome-keyring-daemon is not installed");
      return NULL;
    }

  secret_service_disconnect ();
  g_assert_false (test_keyring_secrets_name_has_owner ());

  f = g_new0 (TestKeyring, 1);
  f->dir = g_dir_make_tmp ("cairn-credentials-XXXXXX", &error);
  g_assert_no_error (error);
  home = g_build_filename (f->dir, "home", NULL);
  runtime = g_build_filename (f->dir, "runtime", NULL);
  g_assert_cmpint (g_mkdir_with_parents (home, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);

  /* The environment already names the test bus (g_test_dbus_up). */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  /* gnome-keyring-daemon 42 warns "asked to register item ..., but it's
   * already registered" when an item is replaced; with the tests'
   * G_DEBUG=fatal-warnings that would abort the daemon. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  f->daemon = g_subprocess_launcher_spawn (launcher, &error,
                                           "gnome-keyring-daemon", "--foreground", "--unlock",
                                           "--components=secrets", NULL);
  g_assert_no_error (error);

  input = g_subprocess_get_stdin_pipe (f->daemon);
  g_output_stream_write_all (input, LOGIN_PASSWORD, strlen (LOGIN_PASSWORD), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, &error);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while ((collection = test_keyring_default_collection_path ()) == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("gnome-keyring-daemon did not offer a default collection within %d s", WAIT_SECONDS);
      g_usleep (20 * 1000);
    }

  return f;
}

void
test_keyring_free (TestKeyring *f)
{
  if (f == NULL)
    return;

  secret_service_disconnect ();
  test_keyring_stop_daemon (f);
  if (f->dir != NULL)
    test_util_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f);
}

const char *
test_keyring_get_dir (TestKeyring *self)
{
  return self->dir;
}

void
test_keyring_bus_up (void)
{
  /* Always the Secret Service, never a file backend picked by the environment. */
  g_unsetenv ("SECRET_BACKEND");
  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);
}

/* Not g_test_dbus_down(): it waits for the session bus connection to be
 * finalized, which never happens because libsecret 0.20.5 keeps a reference
 * to its SecretService (and so to the connection) for every
 * secret_password_clear(). test_bus stays referenced until exit. */
void
test_keyring_bus_stop (void)
{
  secret_service_disconnect ();
  g_test_dbus_stop (test_bus);
}
