/* convex-peer.h — run tests/peer/convex-peer.mjs, a Convex-protocol server, for a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _ConvexPeer ConvexPeer;

/* Starts the peer on a free loopback port; @state_file may be NULL. */
ConvexPeer *convex_peer_start     (const char *admin_key,
                                   const char *state_file);
/* The same, with a second key that may only read (--read-only-key). */
ConvexPeer *convex_peer_start_full (const char *admin_key,
                                    const char *read_only_key,
                                    const char *state_file);
/* The same, with more command-line options for the peer (e.g. "--empty"),
 * NULL-terminated. */
ConvexPeer *convex_peer_start_with_args (const char *admin_key,
                                         const char *read_only_key,
                                         const char *state_file,
                                         ...) G_GNUC_NULL_TERMINATED;
const char *convex_peer_get_url   (ConvexPeer *self);
/* POST /_peer/<what> with @json_body; asserts a 2xx answer. */
void        convex_peer_control   (ConvexPeer *self,
                                   const char *what,
                                   const char *json_body);
/* GET /_peer/state: {"tables": {"conversations": [...], …}} */
JsonObject *convex_peer_get_state (ConvexPeer *self);
guint       convex_peer_count     (ConvexPeer *self,
                                   const char *table);
/* How many /api/ requests reached the peer since its last reset. */
guint       convex_peer_request_count (ConvexPeer *self);
/* GET /_peer/stats: {"requests": n, "byRoute": {…}, "byFunction": {…}, …} */
JsonObject *convex_peer_get_stats (ConvexPeer *self);
/* How many calls of @function ("module:name") the peer answered since its last reset. */
guint       convex_peer_function_count (ConvexPeer *self,
                                        const char *function);
/* SIGTERM (the peer saves its --state file) and wait for it to exit. */
void        convex_peer_stop      (ConvexPeer *self);
void        convex_peer_free      (ConvexPeer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConvexPeer, convex_peer_free)

G_END_DECLS
