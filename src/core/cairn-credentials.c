/* cairn-credentials.c
 *
 * The deploy key of a deployment lives only in the system keyring (the
 * Secret Service, through libsecret) and in memory while it is used. There
 * is no other store and no plaintext fallback: when the keyring cannot be
 * used, every call fails with CAIRN_CREDENTIALS_ERROR_KEYRING and the user is told what
 * to do.
 *
 * One item per (workspace, deployment URL), in the default collection.
 * Storing again for the same pair replaces the item: libsecret updates an
 * item whose attributes match instead of adding a second one.
 *
 * Key material: libsecret copies the key handed to store into its own
 * non-pageable memory (a SecretValue) before store_async returns, and wipes
 * that copy when it is done, so this file keeps no copy of its own. A key
 * from lookup is libsecret's non-pageable buffer, handed through to the
 * caller unchanged; cairn_credentials_free_key() wipes it and gives it back
 * with secret_password_free().
 *
 * Errors: libsecret's and GDBus's messages are for developers (and never
 * contain the key, but may name D-Bus objects); they go to g_debug() only.
 * The caller gets CAIRN_CREDENTIALS_ERROR_KEYRING with a sentence a user can act on,
 * except for cancellation, which stays G_IO_ERROR_CANCELLED.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-credentials"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <glib/gi18n-lib.h>

#include "cairn-credentials.h"
#include "cairn-error.h"

typedef enum {
  OPERATION_STORE,
  OPERATION_LOOKUP,
  OPERATION_CLEAR,
} Operation;

/**
 * cairn_credentials_get_schema:
 *
 * The libsecret schema of a deploy key item: its name is
 * %CAIRN_CREDENTIALS_SCHEMA_NAME and it has two string attributes, the
 * workspace id and the deployment URL.
 *
 * Returns: (transfer none): the schema
 */
const SecretSchema *
cairn_credentials_get_schema (void)
{
  static const SecretSchema schema = {
    CAIRN_CREDENTIALS_SCHEMA_NAME,
    SECRET_SCHEMA_NONE,
    {
      { CAIRN_CREDENTIALS_ATTRIBUTE_WORKSPACE, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { CAIRN_CREDENTIALS_ATTRIBUTE_DEPLOYMENT, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static const char *
operation_to_string (Operation operation)
{
  switch (operation)
    {
    case OPERATION_STORE:
      return "store";
    case OPERATION_LOOKUP:
      return "lookup";
    case OPERATION_CLEAR:
      return "clear";
    default:
      g_return_val_if_reached ("unknown");
    }
}

/* Nobody owns org.freedesktop.secrets and the bus cannot start anyone. */
static const GDBusError service_missing_codes[] = {
  G_DBUS_ERROR_SERVICE_UNKNOWN,
  G_DBUS_ERROR_NAME_HAS_NO_OWNER,
  G_DBUS_ERROR_NO_SERVER,
  G_DBUS_ERROR_SPAWN_EXEC_FAILED,
  G_DBUS_ERROR_SPAWN_FORK_FAILED,
  G_DBUS_ERROR_SPAWN_CHILD_EXITED,
  G_DBUS_ERROR_SPAWN_CHILD_SIGNALED,
  G_DBUS_ERROR_SPAWN_FAILED,
  G_DBUS_ERROR_SPAWN_SETUP_FAILED,
  G_DBUS_ERROR_SPAWN_CONFIG_INVALID,
  G_DBUS_ERROR_SPAWN_SERVICE_INVALID,
  G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND,
  G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID,
  G_DBUS_ERROR_SPAWN_FILE_INVALID,
  G_DBUS_ERROR_SPAWN_NO_MEMORY,
};

static gboolean
is_service_missing (const GError *error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (service_missing_codes); i++)
    if (g_error_matches (error, G_DBUS_ERROR, service_missing_codes[i]))
      return TRUE;

  /* No session bus at all, or it went away under us. */
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static gboolean
is_timeout (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* Turns a libsecret failure into the error the caller sees. Takes @error. */
static GError *
keyring_error_new (GError    *error,
                   Operation  operation)
{
  g_autoptr(GError) owned = error;
  const char *message;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_steal_pointer (&owned);

  g_debug ("Keyring %s failed: %s (%s, %d)",
           operation_to_string (operation), error->message,
           g_quark_to_string (error->domain), error->code);

  if (is_service_missing (error))
    message = _("No keyring is available. Install and start GNOME Keyring "
                "(or another Secret Service), then try again.");
  else if (is_timeout (error))
    message = _("The keyring did not answer. Make sure GNOME Keyring (or another "
                "Secret Service) is running, then try again.");
  else if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    message = _("The keyring is locked. Unlock it and try again.");
  else if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT))
    message = _("There is no default keyring to keep the deploy key in. Create one "
                "or choose a default keyring (for example in Passwords and Keys), "
                "then try again.");
  else if (operation == OPERATION_STORE)
    message = _("The keyring could not save the deploy key. Try again; if it keeps "
                "failing, check the keyring in Passwords and Keys.");
  else if (operation == OPERATION_LOOKUP)
    message = _("The keyring could not read the deploy key. Try again; if it keeps "
                "failing, check the keyring in Passwords and Keys.");
  else
    message = _("The keyring could not remove the deploy key. Try again; if it keeps "
                "failing, check the keyring in Passwords and Keys.");

  return g_error_new_literal (CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING, message);
}

static GHashTable *
attributes_new (const char *workspace,
                const char *deployment_url)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (char *) CAIRN_CREDENTIALS_ATTRIBUTE_WORKSPACE,
                       g_strdup (workspace));
  if (deployment_url != NULL)
    g_hash_table_insert (attributes, (char *) CAIRN_CREDENTIALS_ATTRIBUTE_DEPLOYMENT,
                         g_strdup (deployment_url));

  return attributes;
}

/* The host of @deployment_url, for the item's label; NULL if it has none. */
static char *
deployment_host (const char *deployment_url)
{
  g_autoptr(GUri) uri = g_uri_parse (deployment_url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (host == NULL || *host == '\0')
    return NULL;

  return g_strdup (host);
}

/* Store ------------------------------------------------------------------ */

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, keyring_error_new (error, OPERATION_STORE));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * cairn_credentials_store_async:
 * @workspace: the workspace id
 * @deployment_url: the deployment's URL, exactly as it is looked up later
 * @key: the deploy key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is stored or storing failed
 * @user_data: data for @callback
 *
 * Stores @key in the default collection of the keyring, labelled
 * "Cairn deploy key for <host>", replacing any key stored before for
 * @workspace and @deployment_url. @key is copied before this returns; the
 * caller may wipe its own buffer at once.
 */
void
cairn_credentials_store_async (const char          *workspace,
                               const char          *deployment_url,
                               const char          *key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *host = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (workspace != NULL && *workspace != '\0');
  g_return_if_fail (deployment_url != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_credentials_store_async);

  host = deployment_host (deployment_url);
  if (host == NULL)
    {
      g_task_return_new_error (task, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                               _("The deployment URL is not valid."));
      return;
    }

  if (*key == '\0')
    {
      g_task_return_new_error (task, CAIRN_STORE_ERROR, CAIRN_STORE_ERROR_INVALID_INPUT,
                               _("The deploy key is empty."));
      return;
    }

  attributes = attributes_new (workspace, deployment_url);
  /* Translators: %s is the host name of a deployment, e.g. happy-otter-123.convex.cloud */
  label = g_strdup_printf (_("Cairn deploy key for %s"), host);

  secret_password_storev (cairn_credentials_get_schema (), attributes,
                          SECRET_COLLECTION_DEFAULT, label, key,
                          cancellable, store_cb, g_steal_pointer (&task));
}

/**
 * cairn_credentials_store_finish:
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE if the key is in the keyring
 */
gboolean
cairn_credentials_store_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cairn_credentials_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Whether any of the items a search found is still locked. Items of
 * libsecret's file backend (in a sandbox) are not SecretItems and are never
 * locked. */
static gboolean
any_locked (GList *items)
{
  for (GList *l = items; l != NULL; l = l->next)
    if (SECRET_IS_ITEM (l->data) && secret_item_get_locked (SECRET_ITEM (l->data)))
      return TRUE;

  return FALSE;
}

static GError *
locked_error_new (Operation operation)
{
  return keyring_error_new (g_error_new_literal (SECRET_ERROR, SECRET_ERROR_IS_LOCKED,
                                                 "A matching item is locked"),
                            operation);
}

/* Lookup ----------------------------------------------------------------- */

static void
lookup_search_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error_new (error, OPERATION_LOOKUP));
  else if (any_locked (items))
    g_task_return_error (task, locked_error_new (OPERATION_LOOKUP));
  else
    g_task_return_pointer (task, NULL, NULL);

  g_list_free_full (items, g_object_unref);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *key;

  key = secret_password_lookup_nonpageable_finish (result, &error);
  if (error != NULL)
    {
      secret_password_free (key);
      g_task_return_error (task, keyring_error_new (error, OPERATION_LOOKUP));
      return;
    }

  if (key != NULL)
    {
      g_task_return_pointer (task, key, (GDestroyNotify) secret_password_free);
      return;
    }

  /* libsecret also answers NULL when the item exists but stays locked (the
   * unlock prompt was dismissed or could not be shown). Only an item that
   * is not there at all is "nothing stored". */
  secret_password_searchv (cairn_credentials_get_schema (), g_task_get_task_data (task),
                           SECRET_SEARCH_ALL, g_task_get_cancellable (task),
                           lookup_search_cb, g_object_ref (task));
}

/**
 * cairn_credentials_lookup_async:
 * @workspace: the workspace id
 * @deployment_url: the deployment's URL, exactly as it was stored
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * Looks up the deploy key of @workspace and @deployment_url. If the keyring
 * is locked, the Secret Service asks the user to unlock it; if it stays
 * locked, the lookup fails (it does not report "nothing stored").
 */
void
cairn_credentials_lookup_async (const char          *workspace,
                                const char          *deployment_url,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GHashTable *attributes;
  GTask *task;

  g_return_if_fail (workspace != NULL && *workspace != '\0');
  g_return_if_fail (deployment_url != NULL && *deployment_url != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_credentials_lookup_async);

  attributes = attributes_new (workspace, deployment_url);
  g_task_set_task_data (task, attributes, (GDestroyNotify) g_hash_table_unref);
  secret_password_lookupv (cairn_credentials_get_schema (), attributes,
                           cancellable, lookup_cb, task);
}

/**
 * cairn_credentials_lookup_finish:
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the key, to be freed with
 *   cairn_credentials_free_key(); %NULL with @error unset if no key is
 *   stored, %NULL with @error set if the keyring failed or is locked
 */
char *
cairn_credentials_lookup_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cairn_credentials_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clear ------------------------------------------------------------------ */

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: there was nothing (left) to remove. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_task_return_error (task, keyring_error_new (error, OPERATION_CLEAR));
  else
    g_task_return_boolean (task, TRUE);
}

static void
clear_search_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, keyring_error_new (error, OPERATION_CLEAR));
    }
  else if (any_locked (items))
    {
      /* libsecret's clear skips locked items and reports success. */
      g_task_return_error (task, locked_error_new (OPERATION_CLEAR));
    }
  else if (items == NULL)
    {
      g_task_return_boolean (task, TRUE);
    }
  else
    {
      secret_password_clearv (cairn_credentials_get_schema (), g_task_get_task_data (task),
                              g_task_get_cancellable (task), clear_cb, g_object_ref (task));
    }

  g_list_free_full (items, g_object_unref);
}

/**
 * cairn_credentials_clear_async:
 * @workspace: the workspace id
 * @deployment_url: (nullable): the deployment's URL, or %NULL for every
 *   deployment of @workspace
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the keys are removed or removing failed
 * @user_data: data for @callback
 *
 * Removes the deploy key of @workspace and @deployment_url from the keyring,
 * or all of @workspace's keys. If the keyring is locked, the Secret Service
 * asks the user to unlock it first; if it stays locked, nothing is removed
 * and the call fails.
 */
void
cairn_credentials_clear_async (const char          *workspace,
                               const char          *deployment_url,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GHashTable *attributes;
  GTask *task;

  g_return_if_fail (workspace != NULL && *workspace != '\0');
  g_return_if_fail (deployment_url == NULL || *deployment_url != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cairn_credentials_clear_async);

  attributes = attributes_new (workspace, deployment_url);
  g_task_set_task_data (task, attributes, (GDestroyNotify) g_hash_table_unref);
  secret_password_searchv (cairn_credentials_get_schema (), attributes,
                           SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK, cancellable,
                           clear_search_cb, task);
}

/**
 * cairn_credentials_clear_finish:
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE if no matching key is left in the keyring (also when there
 *   was none to begin with)
 */
gboolean
cairn_credentials_clear_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cairn_credentials_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * cairn_credentials_free_key:
 * @key: (nullable) (transfer full): a key from cairn_credentials_lookup_finish()
 *
 * Overwrites @key with zeros and frees it.
 */
void
cairn_credentials_free_key (char *key)
{
  if (key == NULL)
    return;

  /* secret_password_free() wipes too; this does not depend on it. */
  explicit_bzero (key, strlen (key));
  secret_password_free (key);
}

/**
 * cairn_credentials_protect_process:
 *
 * The deploy key is in this process's memory while it is used: a core dump
 * (a crash report, `gcore`) would write it to disk, and a debugger attached
 * by another program of the same user could read it. No core file is
 * written for this process (RLIMIT_CORE 0), and outside a Flatpak sandbox
 * the process is not dumpable either (no core file through a pipe handler,
 * ptrace only for root). Inside the sandbox it stays dumpable: the desktop
 * portals identify the app through /proc/PID/root, which a non-dumpable
 * process hides from them. Called once, first thing in main().
 *
 * Returns: whether the process is protected that way
 */
gboolean
cairn_credentials_protect_process (void)
{
  struct rlimit none = { 0, 0 };

  if (setrlimit (RLIMIT_CORE, &none) != 0)
    {
      g_warning ("Could not keep the deploy key out of core dumps: %s", g_strerror (errno));
      return FALSE;
    }

#ifdef __linux__
  if (!g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    {
      g_warning ("Could not make the process non-dumpable: %s", g_strerror (errno));
      return FALSE;
    }
#endif

  return TRUE;
}
