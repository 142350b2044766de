/* batch-util.h — documents and queued writes for the batch tests and benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cairn-outbox.h"
#include "convex-peer.h"

G_BEGIN_DECLS

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
