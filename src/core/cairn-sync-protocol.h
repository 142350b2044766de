/* cairn-sync-protocol.h — Convex's sync protocol (WebSocket) as pure functions
 *
 * The frames Cairn sends (Connect, ModifyQuerySet; Authenticate, which holds
 * the key, is built in cairn-convex-client.c) and what a deployment sends
 * back, parsed into typed structs with every member's type checked. No I/O,
 * no objects: cairn-sync-client.c drives the socket.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The most a chunked Transition may add up to, joined (in bytes). */
#define CAIRN_SYNC_MAX_MESSAGE_SIZE (64 * 1024 * 1024)

/* A state version: {querySet, identity, ts}; ts in nanoseconds. */
typedef struct {
  guint32 query_set;
  guint32 identity;
  guint64 ts;
} CairnSyncVersion;

typedef enum {
  CAIRN_SYNC_QUERY_UPDATED,
  CAIRN_SYNC_QUERY_FAILED,
  CAIRN_SYNC_QUERY_REMOVED,
} CairnSyncModificationKind;

typedef struct {
  CairnSyncModificationKind kind;
  guint32                   query_id;
  JsonNode                 *value;          /* UPDATED: the result, decoded to plain JSON */
  char                     *error_message;  /* FAILED: the reason, fit for the UI */
} CairnSyncModification;

typedef enum {
  CAIRN_SYNC_MESSAGE_TRANSITION,
  CAIRN_SYNC_MESSAGE_TRANSITION_CHUNK,
  CAIRN_SYNC_MESSAGE_PING,
  CAIRN_SYNC_MESSAGE_AUTH_ERROR,
  CAIRN_SYNC_MESSAGE_FATAL_ERROR,
  CAIRN_SYNC_MESSAGE_OTHER,         /* MutationResponse, ActionResponse, a newer type: ignored */
} CairnSyncMessageType;

typedef struct {
  CairnSyncMessageType type;

  /* TRANSITION */
  CairnSyncVersion start_version;
  CairnSyncVersion end_version;
  GPtrArray       *modifications;   /* (element-type CairnSyncModification) */

  /* TRANSITION_CHUNK */
  char            *chunk;
  guint            part_number;
  guint            total_parts;
  char            *transition_id;

  /* AUTH_ERROR, FATAL_ERROR: the server's words, fit for the UI */
  char            *error;
} CairnSyncMessage;

/* One change of the query set, for cairn_sync_modify_query_set_frame(). */
typedef struct {
  gboolean    add;        /* Add, else Remove */
  guint32     query_id;
  const char *udf_path;   /* Add only */
  JsonObject *args;       /* Add only; (nullable) for {} */
} CairnSyncQueryChange;

char             *cairn_sync_ts_encode              (guint64                     ts);
gboolean          cairn_sync_ts_decode              (const char                 *text,
                                                     guint64                    *ts);
gboolean          cairn_sync_version_equal          (const CairnSyncVersion     *a,
                                                     const CairnSyncVersion     *b);
gboolean          cairn_sync_version_follows        (const CairnSyncVersion     *earlier,
                                                     const CairnSyncVersion     *later);
char             *cairn_sync_version_to_string      (const CairnSyncVersion     *version);

char             *cairn_sync_connect_frame          (const char                 *session_id,
                                                     guint                       connection_count,
                                                     const char                 *last_close_reason,
                                                     gint64                      client_ts_ms);
char             *cairn_sync_modify_query_set_frame (guint                       base_version,
                                                     guint                       new_version,
                                                     const CairnSyncQueryChange *changes,
                                                     guint                       n_changes);

CairnSyncMessage *cairn_sync_message_parse          (const char                 *text,
                                                     gsize                       length,
                                                     GError                    **error);
void              cairn_sync_message_free           (CairnSyncMessage           *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnSyncMessage, cairn_sync_message_free)

/* Joins the parts of a chunked Transition: consecutive, from 0, all of the
 * same transition; anything else is an error (and empties the joiner). */
typedef struct _CairnSyncChunks CairnSyncChunks;

CairnSyncChunks  *cairn_sync_chunks_new             (void);
void              cairn_sync_chunks_free            (CairnSyncChunks            *self);
void              cairn_sync_chunks_reset           (CairnSyncChunks            *self);
gboolean          cairn_sync_chunks_is_pending      (CairnSyncChunks            *self);
gboolean          cairn_sync_chunks_add             (CairnSyncChunks            *self,
                                                     const CairnSyncMessage     *chunk,
                                                     GString                   **joined,
                                                     GError                    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CairnSyncChunks, cairn_sync_chunks_free)

G_END_DECLS
