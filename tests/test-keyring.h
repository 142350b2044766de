/* test-keyring.h — a private D-Bus session with a real gnome-keyring-daemon, for tests
 *
 * The session bus tests/run-headless provides can D-Bus-activate
 * gnome-keyring-daemon, which would start a keyring with no login
 * collection and try to prompt. So a test that touches the keyring runs its
 * own bus (GTestDBus: no service directories, nothing is ever activated)
 * and, where it needs a keyring, its own daemon:
 *
 *   gnome-keyring-daemon --foreground --unlock --components=secrets
 *
 * with the login password on stdin and HOME, XDG_DATA_HOME, XDG_CONFIG_HOME
 * and XDG_RUNTIME_DIR in a fresh temporary directory. --unlock creates the
 * login collection unlocked and makes it the default one. Starting waits
 * until org.freedesktop.secrets answers ReadAlias("default") with a
 * collection; stopping drops libsecret's cached service, stops the daemon
 * and waits until the name is gone. The daemon does not inherit
 * G_DEBUG=fatal-warnings (it warns on every replaced item).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _TestKeyring TestKeyring;

/* The private bus, for the whole test program. */
void         test_keyring_bus_up                  (void);
void         test_keyring_bus_stop                (void);
gboolean     test_keyring_secrets_name_has_owner  (void);
/* The object path of the default collection, NULL while there is none. */
char        *test_keyring_default_collection_path (void);

/* A new daemon with an empty, unlocked login keyring; NULL (and the test
 * skipped) when gnome-keyring-daemon is not installed. */
TestKeyring *test_keyring_start                   (void);
/* SIGTERM, wait for the name to go; safe on NULL and twice. */
void         test_keyring_stop_daemon             (TestKeyring *self);
/* Stops the daemon and deletes its files. */
void         test_keyring_free                    (TestKeyring *self);
/* The folder that holds the keyring files, as HOME and XDG_DATA_HOME. */
const char  *test_keyring_get_dir                 (TestKeyring *self);

G_END_DECLS
