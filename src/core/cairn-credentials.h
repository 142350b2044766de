/* cairn-credentials.h — the deploy key in the system keyring (libsecret)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

/* The schema of a deploy key item and its two attributes. */
#define CAIRN_CREDENTIALS_SCHEMA_NAME          "io.github.cairnapp.Cairn.DeployKey"
#define CAIRN_CREDENTIALS_ATTRIBUTE_WORKSPACE  "workspace"
#define CAIRN_CREDENTIALS_ATTRIBUTE_DEPLOYMENT "deployment"

const SecretSchema *cairn_credentials_get_schema   (void);

/* Stores @key for (@workspace, @deployment_url) in the default collection,
 * replacing a key stored before for the same pair. */
void                cairn_credentials_store_async  (const char           *workspace,
                                                    const char           *deployment_url,
                                                    const char           *key,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean            cairn_credentials_store_finish (GAsyncResult         *result,
                                                    GError              **error);

/* Returns the key, to be freed with cairn_credentials_free_key() (never
 * g_free(): it may live in libsecret's non-pageable memory); NULL with no
 * error set when no key is stored for the pair. A locked keyring is an
 * error, not "nothing stored". */
void                cairn_credentials_lookup_async  (const char           *workspace,
                                                     const char           *deployment_url,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char               *cairn_credentials_lookup_finish (GAsyncResult         *result,
                                                     GError              **error);

/* Removes the key of (@workspace, @deployment_url), or every key of
 * @workspace when @deployment_url is NULL. Removing nothing is a success. */
void                cairn_credentials_clear_async  (const char           *workspace,
                                                    const char           *deployment_url,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean            cairn_credentials_clear_finish (GAsyncResult         *result,
                                                    GError              **error);

/* Wipes @key (from cairn_credentials_lookup_finish()) and frees it. */
void                cairn_credentials_free_key     (char                 *key);
gboolean            cairn_credentials_protect_process (void);

/* g_auto(CairnCredentialsKey) key = cairn_credentials_lookup_finish (...); */
typedef char *CairnCredentialsKey;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CairnCredentialsKey, cairn_credentials_free_key, NULL)

G_END_DECLS
