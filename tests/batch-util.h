/* batch-util.h — documents and queued writes for the batch tests and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-outbox.h"
#include "cairn-local-store.h"
#include "convex-peer.h"

G_BEGIN_DECLS

/* Resets @peer's data, opens a local store in a new temporary directory
 * (named after @dir_template; @path, if not NULL, gets its file), a store on
 * @peer with @admin_key. */
void batch_stores_setup    (ConvexPeer        *peer,
                            const char        *admin_key,
                            const char        *dir_template,
                            char             **dir,
                            char             **path,
                            CairnLocalStore  **local,
                            CairnStore       **remote);
/* Resets @peer, finalizes the stores, removes @dir and
 * frees its name. */
void batch_stores_teardown (ConvexPeer        *peer,
                            char             **dir,
                            CairnLocalStore  **local,
                            CairnStore       **remote);

JsonObject *batch_conversation (guint       i);
JsonObject *batch_message      (const char *conversation_id,
                                guint       i);
JsonObject *batch_note         (guint       i);

/* What a queue of writes must leave on the deployment. */
typedef struct {
  guint       writes;
  guint       conversations;
  guint       kept;          /* messages kept per conversation */
  GPtrArray  *removed;       /* (element-type utf8) message clientIds removed */
} BatchQueue;

/* Appends to @outbox, per conversation: its insert, @messages message
 * inserts, the removal of the first @removed of them, then a patch of its
 * title ("Renamed <i>"). */
void batch_queue_outbox         (CairnOutbox      *outbox,
                                 guint             conversations,
                                 guint             messages,
                                 guint             removed,
                                 BatchQueue       *queue);
/* Asserts the peer holds exactly what @queue leaves: each document once,
 * the exact messageCounts, the new titles, none of the removed messages. */
void batch_assert_queue_on_peer (ConvexPeer       *peer,
                                 const BatchQueue *queue);
void batch_queue_clear          (BatchQueue       *queue);

G_END_DECLS
