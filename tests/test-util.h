/* test-util.h — helpers shared by Cairn's GTest suites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

/* the core as the suites use it */
#include "cairn-byod.h"
#include "cairn-connection.h"
#include "cairn-content-mover.h"
#include "cairn-conversation.h"
#include "cairn-conversations.h"
#include "cairn-functions-push.h"
#include "cairn-message.h"
#include "cairn-outbox-delivery.h"
#include "cairn-paged-list.h"
#include "cairn-workspace.h"
#include "cairn-local-store.h"

G_BEGIN_DECLS

/* A GAsyncReadyCallback that stores a reference to the result in
 * *(GAsyncResult **) user_data; pair it with test_util_wait_for_result(). */
void test_util_result_cb       (GObject       *source,
                                GAsyncResult  *result,
                                gpointer       user_data);
/* Iterates the thread-default main context until *result is set. */
void test_util_wait_for_result (GAsyncResult **result);
/* Iterates the thread-default main context until *count drops to zero:
 * for a batch of calls in flight whose callbacks each decrement it. */
void test_util_wait_for_zero   (guint         *count);
/* Iterates the thread-default main context until @condition (@data) holds;
 * FALSE if @timeout_ms passed first. */
gboolean test_util_wait_until  (gboolean     (*condition) (gpointer data),
                                gpointer       data,
                                guint          timeout_ms);
/* Iterates the thread-default main context for @ms: lets pending idles,
 * timeouts and frames run. */
void test_util_run_for         (guint          ms);
/* Counts signal emissions: connect it with g_signal_connect_swapped() and
 * a guint * as data, whatever the signal's arguments. */
void test_util_count_cb        (guint         *count);
/* Call once after g_test_init(): lets g_test_expect_message() see messages
 * logged with G_LOG_USE_STRUCTURED, which GLib 2.74 only matches for g_log(). */
void test_util_route_structured_logs (void);
/* Deletes a directory made by g_dir_make_tmp() and everything in it. */
void test_util_remove_tree     (const char    *path);

/* Synchronous shortcuts over the core, so a test reads as a story: each
 * makes its call and iterates the thread-default main context until the
 * call finishes. */
JsonObject        *test_util_store_ping          (CairnStore        *store,
                                                  GError           **error);
JsonObject        *test_util_store_insert        (CairnStore        *store,
                                                  const char        *table,
                                                  JsonObject        *document,
                                                  GError           **error);
JsonObject        *test_util_store_get           (CairnStore        *store,
                                                  const char        *table,
                                                  const char        *client_id,
                                                  GError           **error);
JsonObject        *test_util_store_patch         (CairnStore        *store,
                                                  const char        *table,
                                                  const char        *client_id,
                                                  JsonObject        *fields,
                                                  GError           **error);
gboolean           test_util_store_remove        (CairnStore        *store,
                                                  const char        *table,
                                                  const char        *client_id,
                                                  GError           **error);
CairnPage         *test_util_store_list          (CairnStore        *store,
                                                  const CairnQuery  *query,
                                                  GError           **error);
/* The same, asserting success. */
guint              test_util_count               (CairnStore     *store,
                                                  const char     *table);
void               test_util_insert              (CairnStore     *store,
                                                  const char     *table,
                                                  JsonObject     *document);
CairnConversation *test_util_create_conversation (CairnWorkspace *workspace,
                                                  const char     *title);
CairnMessage      *test_util_send_message        (CairnWorkspace *workspace,
                                                  const char     *conversation_id,
                                                  const char     *content,
                                                  GError        **error);
gboolean           test_util_save_draft          (CairnWorkspace *workspace,
                                                  const char     *conversation_id,
                                                  const char     *text);
char              *test_util_load_draft          (CairnWorkspace *workspace,
                                                  const char     *conversation_id);

/* A push bundle from the source tree (@path relative to its root), e.g.
 * "tests/peer/fixtures/cairn-functions-v1.json". */
GBytes            *test_util_load_bundle         (const char        *path);
/* @conversations conversations with @messages messages each, inserted
 * into @store 32 at a time. */
void               test_util_seed_conversations  (CairnStore        *store,
                                                  guint              conversations,
                                                  guint              messages);
/* Pushes @bundle with @client's key (CairnFunctionsPush), asserting success. */
void               test_util_push_functions      (CairnConvexClient *client,
                                                  GBytes            *bundle);

/* A new temporary directory named after @tmpl (g_dir_make_tmp), asserting
 * it could be made. */
char              *test_util_make_tmp_dir        (const char        *tmpl);
/* @path as a local store (in @store) and the "default" workspace on it. */
CairnWorkspace    *test_util_open_workspace      (const char        *path,
                                                  CairnLocalStore  **store);
/* Drops @workspace, then closes and drops @store. */
void               test_util_close_workspace     (CairnWorkspace   **workspace,
                                                  CairnLocalStore  **store);
/* Saves BYOD settings for @url in @data_dir's database (made if need be),
 * as the app saves them. */
void               test_util_save_byod_settings  (const char        *data_dir,
                                                  const char        *url,
                                                  gboolean           enabled);
/* Stores @key for @url in the keyring, asserting success. */
void               test_util_store_key           (const char        *url,
                                                  const char        *key);

G_END_DECLS
