/* test-credentials.c — the deploy key in a real keyring
 *
 * Runs on a private bus with, for the tests that need a keyring, a real
 * gnome-keyring-daemon of its own (tests/test-keyring.h). Nothing on the test
 * bus can show a prompt, so an unlock prompt fails at once, as if dismissed:
 * that is how /credentials/locked gets a locked keyring that stays locked.
 *
 * /credentials/absent runs with nobody owning org.freedesktop.secrets;
 * /credentials/vanished stops the daemon while libsecret still holds its
 * proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "cairn-credentials.h"
#include "cairn-error.h"
#include "test-keyring.h"
#include "test-util.h"


#define WORKSPACE_A   "workspace-a"
#define WORKSPACE_B   "workspace-b"
#define DEPLOYMENT_1  "https://happy-otter-123.convex.cloud"
#define DEPLOYMENT_2  "https://sad-badger-456.convex.cloud"
#define KEY_1         "prod:happy-otter-123|eyJ2MiI6ImZpcnN0LWtleSJ9"
#define KEY_2         "prod:happy-otter-123|eyJ2MiI6InNlY29uZC1rZXkifQ=="

typedef struct {
  TestKeyring *keyring;
} Fixture;

static void
no_keyring_setup (Fixture       *f,
                  gconstpointer  data)
{
  secret_service_disconnect ();
  g_assert_false (test_keyring_secrets_name_has_owner ());
}

static void
no_keyring_teardown (Fixture       *f,
                     gconstpointer  data)
{
  secret_service_disconnect ();
}

static void
keyring_setup (Fixture       *f,
               gconstpointer  data)
{
  f->keyring = test_keyring_start ();
}

static void
keyring_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_keyring_free (f->keyring);
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
  g_autoptr(GAsyncResult) result = NULL;
  GList *items;

  g_hash_table_insert (attributes, (char *) CAIRN_CREDENTIALS_ATTRIBUTE_WORKSPACE, (char *) workspace);
  if (deployment_url != NULL)
    g_hash_table_insert (attributes, (char *) CAIRN_CREDENTIALS_ATTRIBUTE_DEPLOYMENT, (char *) deployment_url);

  /* Async on the default context: secret_password_searchv_sync() runs
   * the item proxies' initialization in a private context that it frees
   * before GIO is done with it, which LeakSanitizer reports. */
  secret_password_searchv (cairn_credentials_get_schema (), attributes,
                           SECRET_SEARCH_ALL, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  items = secret_password_search_finish (result, &error);
  g_assert_no_error (error);

  return items;
}

static void
assert_keyring_error (const GError *error,
                      const char   *expected_message,
                      const char   *key)
{
  g_assert_error (error, CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING);
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
  if (f->keyring == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  assert_key (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
}

static void
test_replace (Fixture       *f,
              gconstpointer  data)
{
  GList *items;

  if (f->keyring == NULL)
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

  if (f->keyring == NULL)
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
  collection = test_keyring_default_collection_path ();
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
  if (f->keyring == NULL)
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
  if (f->keyring == NULL)
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

  if (f->keyring == NULL)
    return;

  g_assert_false (store (WORKSPACE_A, "not a url", KEY_1, NULL, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
  g_assert_null (strstr (error->message, KEY_1));
  g_clear_error (&error);

  g_assert_false (store (WORKSPACE_A, DEPLOYMENT_1, "", NULL, &error));
  g_assert_error (error, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT);
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

  if (f->keyring == NULL)
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
  if (f->keyring == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  test_keyring_stop_daemon (f->keyring);

  assert_every_call_fails (no_keyring_message ());
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
lock_default_collection (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  GList *objects = NULL;
  GList *locked = NULL;

  service = secret_service_get_sync (SECRET_SERVICE_NONE, NULL, &error);
  g_assert_no_error (error);
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (collection);

  objects = g_list_append (objects, collection);
  secret_service_lock_sync (service, objects, NULL, &locked, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (locked), ==, 1);
  g_list_free (objects);
  g_list_free_full (locked, g_object_unref);
  g_assert_true (secret_collection_get_locked (collection));
}

/* There is no prompter on the test bus (org.gnome.keyring.SystemPrompter
 * cannot be activated), so gnome-keyring-daemon fails the unlock prompt at
 * once, as if the user had dismissed it. Should a prompter ever appear and
 * wait for a user, the cancellable bounds each call to 10 s and the test
 * fails with G_IO_ERROR_CANCELLED instead of hanging. */
static void
test_locked (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_auto(CairnCredentialsKey) key = NULL;
  const char *locked_message = "The keyring is locked. Unlock it and try again.";
  GList *items;
  guint timeout;

  if (f->keyring == NULL)
    return;

  store_ok (WORKSPACE_A, DEPLOYMENT_1, KEY_1);
  lock_default_collection ();
  timeout = g_timeout_add_seconds (10, cancel_cb, cancellable);

  /* Not "nothing stored": the key is there, only locked away. */
  key = lookup (WORKSPACE_A, DEPLOYMENT_1, cancellable, &error);
  assert_keyring_error (error, locked_message, KEY_1);
  g_assert_null (key);
  g_clear_error (&error);

  g_assert_false (store (WORKSPACE_A, DEPLOYMENT_1, KEY_2, cancellable, &error));
  assert_keyring_error (error, locked_message, KEY_2);
  g_clear_error (&error);

  /* A locked key is not silently left behind by a "successful" clear. */
  g_assert_false (clear (WORKSPACE_A, DEPLOYMENT_1, cancellable, &error));
  assert_keyring_error (error, locked_message, KEY_1);
  g_clear_error (&error);

  g_assert_false (clear (WORKSPACE_A, NULL, cancellable, &error));
  assert_keyring_error (error, locked_message, KEY_1);
  g_clear_error (&error);

  /* Lookup of a pair that has no item: nothing is locked, nothing stored. */
  g_clear_pointer (&key, cairn_credentials_free_key);
  key = lookup (WORKSPACE_B, DEPLOYMENT_1, cancellable, &error);
  g_assert_no_error (error);
  g_assert_null (key);

  g_source_remove (timeout);

  /* Still exactly the first item, still locked. */
  items = search_items (WORKSPACE_A, NULL);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_assert_true (secret_item_get_locked (items->data));
  g_list_free_full (items, g_object_unref);
}

/* The key is in memory while used: no core dump may carry it to disk. */
static void
test_protect_process (void)
{
  if (g_test_subprocess ())
    {
      struct rlimit limit;

      g_assert_true (cairn_credentials_protect_process ());
      g_assert_cmpint (getrlimit (RLIMIT_CORE, &limit), ==, 0);
      g_assert_cmpuint (limit.rlim_cur, ==, 0);
      g_assert_cmpuint (limit.rlim_max, ==, 0);
      if (!g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
        g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);
      return;
    }

  /* in a child: the test binary itself stays dumpable for debugging */
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_util_route_structured_logs ();

  test_keyring_bus_up ();

  g_test_add_func ("/credentials/schema", test_schema);
  g_test_add ("/credentials/absent", Fixture, NULL, no_keyring_setup, test_absent, no_keyring_teardown);
  g_test_add ("/credentials/store-lookup", Fixture, NULL, keyring_setup, test_store_lookup, keyring_teardown);
  g_test_add ("/credentials/replace", Fixture, NULL, keyring_setup, test_replace, keyring_teardown);
  g_test_add ("/credentials/label", Fixture, NULL, keyring_setup, test_label_and_collection, keyring_teardown);
  g_test_add ("/credentials/kept-apart", Fixture, NULL, keyring_setup, test_kept_apart, keyring_teardown);
  g_test_add ("/credentials/nothing-stored", Fixture, NULL, keyring_setup, test_nothing_stored, keyring_teardown);
  g_test_add ("/credentials/invalid-input", Fixture, NULL, keyring_setup, test_invalid_input, keyring_teardown);
  g_test_add ("/credentials/cancelled", Fixture, NULL, keyring_setup, test_cancelled, keyring_teardown);
  g_test_add ("/credentials/locked", Fixture, NULL, keyring_setup, test_locked, keyring_teardown);
  g_test_add_func ("/credentials/protect-process", test_protect_process);
  g_test_add ("/credentials/vanished", Fixture, NULL, keyring_setup, test_vanished, keyring_teardown);

  status = g_test_run ();

  test_keyring_bus_stop ();

  return status;
}
