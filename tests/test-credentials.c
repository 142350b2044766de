/* test-credentials.c — the deploy key in a real keyring
 *
 * The session bus that tests/run-headless provides can D-Bus-activate
 * gnome-keyring-daemon (/usr/share/dbus-1/services/org.freedesktop.secrets.service),
 * which would start a keyring with no login collection and try to prompt.
 * So this program runs its own bus (GTestDBus: no service directories, so
 * nothing is ever activated) and, for the tests that need a keyring, its
 * own gnome-keyring-daemon:
 *
 *   gnome-keyring-daemon --foreground --unlock --components=secrets
 *
 * with the login password on stdin and HOME, XDG_DATA_HOME, XDG_CONFIG_HOME
 * and XDG_RUNTIME_DIR in a fresh temporary directory, so the keyring file
 * ($XDG_DATA_HOME/keyrings/login.keyring) and the control socket
 * ($XDG_RUNTIME_DIR/keyring/control) land there. --unlock creates the login
 * collection unlocked and makes it the default one. The test waits until
 * org.freedesktop.secrets answers ReadAlias("default") with a collection,
 * and in teardown drops libsecret's cached service (secret_service_disconnect),
 * stops the daemon and waits until the name is gone. Every such test gets a
 * new daemon and a new, empty keyring.
 *
 * The "absent" tests run with nobody owning org.freedesktop.secrets.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cairn-credentials.h"
#include "cairn-error.h"
#include "test-util.h"

#define SECRETS_NAME       "org.freedesktop.secrets"
#define SECRETS_PATH       "/org/freedesktop/secrets"
#define SECRETS_INTERFACE  "org.freedesktop.Secret.Service"
#define LOGIN_PASSWORD     "cairn-test-login"
#define WAIT_SECONDS       20

#define WORKSPACE_A   "workspace-a"
#define WORKSPACE_B   "workspace-b"
#define DEPLOYMENT_1  "https://happy-otter-123.convex.cloud"
#define DEPLOYMENT_2  "https://sad-badger-456.convex.cloud"
#define KEY_1         "prod:happy-otter-123|eyJ2MiI6ImZpcnN0LWtleSJ9"
#define KEY_2         "prod:happy-otter-123|eyJ2MiI6InNlY29uZC1rZXkifQ=="

static GTestDBus *test_bus;

typedef struct {
  char        *dir;
  GSubprocess *daemon;
} Fixture;

/* The bus ---------------------------------------------------------------- */

static GDBusConnection *
bus_get (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

static gboolean
secrets_name_has_owner (void)
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
static char *
default_collection_path (void)
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

  while (secrets_name_has_owner ())
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s is still owned after %d s", SECRETS_NAME, WAIT_SECONDS);
      g_usleep (20 * 1000);
    }
}

/* The keyring daemon ----------------------------------------------------- */

static void
no_keyring_setup (Fixture       *f,
                  gconstpointer  data)
{
  secret_service_disconnect ();
  g_assert_false (secrets_name_has_owner ());
}

static void
no_keyring_teardown (Fixture       *f,
                     gconstpointer  data)
{
  secret_service_disconnect ();
}

static void
stop_daemon (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  if (f->daemon == NULL)
    return;

  g_subprocess_send_signal (f->daemon, SIGTERM);
  g_subprocess_wait (f->daemon, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&f->daemon);
  wait_for_name_gone ();
}

static void
keyring_setup (Fixture       *f,
               gconstpointer  data)
{
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
      return;
    }

  secret_service_disconnect ();
  g_assert_false (secrets_name_has_owner ());

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
  while ((collection = default_collection_path ()) == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("gnome-keyring-daemon did not offer a default collection within %d s", WAIT_SECONDS);
      g_usleep (20 * 1000);
    }
}

static void
keyring_teardown (Fixture       *f,
                  gconstpointer  data)
{
  secret_service_disconnect ();
  stop_daemon (f);
  if (f->dir != NULL)
    test_util_remove_tree (f->dir);
  g_free (f->dir);
}

/* Synchronous wrappers, so each test reads as a story. ------------------- */

static gboolean
store (const char    *workspace,
       const char    *deployment_url,
       const char    *key,
       GCancellable  *cancellable,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_credentials_store_async (workspace, deployment_url, key, cancellable,
                                 test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_credentials_store_finish (result, error);
}

static char *
lookup (const char    *workspace,
        const char    *deployment_url,
        GCancellable  *cancellable,
        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_credentials_lookup_async (workspace, deployment_url, cancellable,
                                  test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_credentials_lookup_finish (result, error);
}

static gboolean
clear (const char    *workspace,
       const char    *deployment_url,
       GCancellable  *cancellable,
       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cairn_credentials_clear_async (workspace, deployment_url, cancellable,
                                 test_util_result_cb, &result);
  test_util_wait_for_result (&result);

  return cairn_credentials_clear_finish (result, error);
}

static void
store_ok (const char *workspace,
          const char *deployment_url,
          const char *key)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (store (workspace, deployment_url, key, NULL, &error));
  g_assert_no_error (error);
}

static void
clear_ok (const char *workspace,
          const char *deployment_url)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (clear (workspace, deployment_url, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_key (const char *workspace,
            const char *deployment_url,
            const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = lookup (workspace, deployment_url, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, expected);
}

/* The items libsecret finds for the attributes, straight from the service. */
static GList *
search_items (const char *workspace,
              const char *deployment_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  GList *items;

  g_hash_table_insert (attributes, (char *) CAIRN_CREDENTIALS_ATTRIBUTE_WORKSPACE, (char *) workspace);
  if (deployment_url != NULL)
    g_hash_table_insert (attributes, (char *) CAIRN_CREDENTIALS_ATTRIBUTE_DEPLOYMENT, (char *) deployment_url);

  items = secret_password_searchv_sync (cairn_credentials_get_schema (), attributes,
                                        SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);

  return items;
}

static void
assert_keyring_error (const GError *error,
                      const char   *expected_message,
                      const char   *key)
{
  g_assert_error (error, CAIRN_ERROR, CAIRN_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "keyring"));
  if (expected_message != NULL)
    g_assert_cmpstr (error->message, ==, expected_message);
  if (key != NULL)
    g_assert_null (strstr (error->message, key));
}

/* Tests ------------------------------------------------------------------ */

static void
test_schema (void)
{
  const SecretSchema *schema = cairn_credentials_get_schema ();

  g_assert_true (schema == cairn_credentials_get_schema ());
  g_assert_cmpstr (schema->name, ==, "io.github.cairnapp.Cairn.DeployKey");
  g_assert_cmpint (schema->flags, ==, SECRET_SCHEMA_NONE);
  g_assert_cmpstr (schema->attributes[0].name, ==, "workspace");
  g_assert_cmpint (schema->attributes[0].type, ==, SECRET_SCHEMA_ATTRIBUTE_STRING);
  g_assert_cmpstr (schema->attributes[1].name, ==, "deployment");
  g_assert_cmpint (schema->attributes[1].type, ==, SECRET_SCHEMA_ATTRIBUTE_STRING);
  g_assert_null (schema->attributes[2].name);
}

static void
test_store_lookup (Fixture       *f,
                   gconstpointer  data)
{
  if (f->daemon == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  assert_key (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
}

static void
test_replace (Fixture       *f,
              gconstpointer  data)
{
  GList *items;

  if (f->daemon == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_2);
  assert_key (WORKSPACE_A, DEPLOYMENT_1, KEY_2);

  items = search_items (WORKSPACE_A, DEPLOYMENT_1);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);

  /* Nothing else of ours in the keyring either. */
  items = search_items (WORKSPACE_A, NULL);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);
}

static void
test_label_and_collection (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *collection = NULL;
  g_autofree char *label = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  GList *items;
  SecretRetrievable *item;

  if (f->daemon == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);

  items = search_items (WORKSPACE_A, DEPLOYMENT_1);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  item = items->data;

  label = secret_retrievable_get_label (item);
  g_assert_cmpstr (label, ==, "Cairn deploy key for happy-otter-123.convex.cloud");

  attributes = secret_retrievable_get_attributes (item);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "workspace"), ==, WORKSPACE_A);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "deployment"), ==, DEPLOYMENT_1);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==, CAIRN_CREDENTIALS_SCHEMA_NAME);

  /* In the default collection. */
  collection = default_collection_path ();
  g_assert_nonnull (collection);
  prefix = g_strconcat (collection, "/", NULL);
  g_assert_true (SECRET_IS_ITEM (item));
  g_assert_true (g_str_has_prefix (g_dbus_proxy_get_object_path (G_DBUS_PROXY (item)), prefix));

  g_list_free_full (items, g_object_unref);
}

static void
test_kept_apart (Fixture       *f,
                 gconstpointer  data)
{
  if (f->daemon == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, "a1");
  store_ok (WORKSPACE_A, DEPLOYMENT_2, "a2");
  store_ok (WORKSPACE_B, DEPLOYMENT_1, "b1");
  store_ok (WORKSPACE_B, DEPLOYMENT_2, "b2");

  assert_key (WORKSPACE_A, DEPLOYMENT_1, "a1");
  assert_key (WORKSPACE_A, DEPLOYMENT_2, "a2");
  assert_key (WORKSPACE_B, DEPLOYMENT_1, "b1");
  assert_key (WORKSPACE_B, DEPLOYMENT_2, "b2");

  /* One deployment of one workspace. */
  clear_ok (WORKSPACE_A, DEPLOYMENT_1);
  assert_key (WORKSPACE_A, DEPLOYMENT_1, NULL);
  assert_key (WORKSPACE_A, DEPLOYMENT_2, "a2");
  assert_key (WORKSPACE_B, DEPLOYMENT_1, "b1");
  assert_key (WORKSPACE_B, DEPLOYMENT_2, "b2");

  /* Every deployment of a workspace. */
  clear_ok (WORKSPACE_B, NULL);
  assert_key (WORKSPACE_B, DEPLOYMENT_1, NULL);
  assert_key (WORKSPACE_B, DEPLOYMENT_2, NULL);
  assert_key (WORKSPACE_A, DEPLOYMENT_2, "a2");
}

static void
test_nothing_stored (Fixture       *f,
                     gconstpointer  data)
{
  if (f->daemon == NULL)
    return;

  assert_key (WORKSPACE_A, DEPLOYMENT_1, NULL);
  /* Removing what is not there is not a failure. */
  clear_ok (WORKSPACE_A, DEPLOYMENT_1);
  clear_ok (WORKSPACE_A, NULL);

  /* A prefix of a stored URL is another deployment. */
  store_ok (WORKSPACE_A, DEPLOYMENT_1 "/x", KEY_1);
  assert_key (WORKSPACE_A, DEPLOYMENT_1, NULL);
}

static void
test_invalid_input (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (f->daemon == NULL)
    return;

  g_assert_false (store (WORKSPACE_A, "not a url", KEY_1, NULL, &error));
  g_assert_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT);
  g_assert_null (strstr (error->message, KEY_1));
  g_clear_error (&error);

  g_assert_false (store (WORKSPACE_A, DEPLOYMENT_1, "", NULL, &error));
  g_assert_error (error, CAIRN_ERROR, CAIRN_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  assert_key (WORKSPACE_A, DEPLOYMENT_1, NULL);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = NULL;

  if (f->daemon == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  g_cancellable_cancel (cancellable);

  g_assert_false (store (WORKSPACE_A, DEPLOYMENT_1, KEY_2, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  key = lookup (WORKSPACE_A, DEPLOYMENT_1, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (key);
  g_clear_error (&error);

  g_assert_false (clear (WORKSPACE_A, DEPLOYMENT_1, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  assert_key (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
}

static const char *
no_keyring_message (void)
{
  return "No keyring is available. Install and start GNOME Keyring "
         "(or another Secret Service), then try again.";
}

static void
assert_every_call_fails (const char *expected_message)
{
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = NULL;

  g_assert_false (store (WORKSPACE_A, DEPLOYMENT_1, KEY_1, NULL, &error));
  assert_keyring_error (error, expected_message, KEY_1);
  g_clear_error (&error);

  key = lookup (WORKSPACE_A, DEPLOYMENT_1, NULL, &error);
  assert_keyring_error (error, expected_message, KEY_1);
  g_assert_null (key);
  g_clear_error (&error);

  g_assert_false (clear (WORKSPACE_A, DEPLOYMENT_1, NULL, &error));
  assert_keyring_error (error, expected_message, KEY_1);
  g_clear_error (&error);

  g_assert_false (clear (WORKSPACE_A, NULL, NULL, &error));
  assert_keyring_error (error, expected_message, KEY_1);
  g_clear_error (&error);
}

static void
test_absent (Fixture       *f,
             gconstpointer  data)
{
  assert_every_call_fails (no_keyring_message ());
  /* Still failing, not hanging, on a second round (libsecret caches). */
  assert_every_call_fails (no_keyring_message ());
}

/* The daemon goes away while libsecret still holds its service proxy. */
static void
test_vanished (Fixture       *f,
               gconstpointer  data)
{
  if (f->daemon == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  stop_daemon (f);

  assert_every_call_fails (no_keyring_message ());
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_util_route_structured_logs ();

  /* Always the Secret Service, never a file backend picked by the environment. */
  g_unsetenv ("SECRET_BACKEND");

  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);

  g_test_add_func ("/credentials/schema", test_schema);
  g_test_add ("/credentials/absent", Fixture, NULL, no_keyring_setup, test_absent, no_keyring_teardown);
  g_test_add ("/credentials/store-lookup", Fixture, NULL, keyring_setup, test_store_lookup, keyring_teardown);
  g_test_add ("/credentials/replace", Fixture, NULL, keyring_setup, test_replace, keyring_teardown);
  g_test_add ("/credentials/label", Fixture, NULL, keyring_setup, test_label_and_collection, keyring_teardown);
  g_test_add ("/credentials/kept-apart", Fixture, NULL, keyring_setup, test_kept_apart, keyring_teardown);
  g_test_add ("/credentials/nothing-stored", Fixture, NULL, keyring_setup, test_nothing_stored, keyring_teardown);
  g_test_add ("/credentials/invalid-input", Fixture, NULL, keyring_setup, test_invalid_input, keyring_teardown);
  g_test_add ("/credentials/cancelled", Fixture, NULL, keyring_setup, test_cancelled, keyring_teardown);
  g_test_add ("/credentials/vanished", Fixture, NULL, keyring_setup, test_vanished, keyring_teardown);

  status = g_test_run ();

  secret_service_disconnect ();
  g_test_dbus_down (test_bus);
  g_object_unref (test_bus);

  return status;
}
