/* cairn-types.h — forward declarations shared by the core layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _CairnStore          CairnStore;
typedef struct _CairnLocalStore     CairnLocalStore;
typedef struct _CairnWorkspace      CairnWorkspace;
typedef struct _CairnByod           CairnByod;
typedef struct _CairnOutbox         CairnOutbox;
typedef struct _CairnOutboxDelivery CairnOutboxDelivery;
typedef struct _CairnClock          CairnClock;
typedef struct _CairnConnection     CairnConnection;
typedef struct _CairnConvexClient   CairnConvexClient;
typedef struct _CairnContentMover   CairnContentMover;
typedef struct _CairnPreflight      CairnPreflight;
typedef struct _CairnConversation   CairnConversation;
typedef struct _CairnMessage        CairnMessage;
typedef struct _CairnDrafts         CairnDrafts;
typedef struct _CairnPagedList      CairnPagedList;
typedef struct _CairnQuery          CairnQuery;
typedef struct _CairnPage           CairnPage;
typedef struct _CairnMetrics        CairnMetrics;
typedef struct _CairnHealth         CairnHealth;
typedef struct _CairnSyncClient     CairnSyncClient;
typedef struct _CairnLiveQuery      CairnLiveQuery;

/* Set (TRUE) on documents the workspace reports while they still wait in the
 * outbox for the user's deployment. */
#define CAIRN_PENDING_MEMBER "_pending"

/* Set (to the reason, a string) on documents the workspace reports while their
 * write waits in the outbox after the deployment refused it for good: it is
 * not sent again until the user retries it, and not lost until they discard it. */
#define CAIRN_FAILED_MEMBER "_failed"

G_END_DECLS
