/* cairn-error.h — Cairn's error domains, one per subsystem
 *
 * Every failure is classified into one of these; the domain and code decide
 * whether a request is retried and whether the connection blocks
 * (docs/ARCHITECTURE.md, "Connection states").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CAIRN_STORE_ERROR (cairn_store_error_quark ())

/**
 * CairnStoreError:
 * @CAIRN_STORE_ERROR_INVALID_INPUT: the caller passed something malformed or too large
 *   (table, document, cursor, URL, key), or a deployment refused it as such
 * @CAIRN_STORE_ERROR_NOT_FOUND: the document does not exist
 * @CAIRN_STORE_ERROR_DATABASE: the local database failed (disk full, damaged file, I/O, in use)
 *
 * Errors of a CairnStore, whichever it is.
 */
typedef enum {
  CAIRN_STORE_ERROR_INVALID_INPUT,
  CAIRN_STORE_ERROR_NOT_FOUND,
  CAIRN_STORE_ERROR_DATABASE,
} CairnStoreError;

#define CAIRN_CONVEX_ERROR (cairn_convex_error_quark ())

/**
 * CairnConvexError:
 * @CAIRN_CONVEX_ERROR_CONNECTIVITY: the deployment could not be reached (refused, DNS, TLS, reset)
 * @CAIRN_CONVEX_ERROR_TIMEOUT: the deployment did not answer in time
 * @CAIRN_CONVEX_ERROR_UNAUTHORIZED: the deploy key was refused
 * @CAIRN_CONVEX_ERROR_NOT_SET_UP: the Cairn functions are not deployed on the deployment
 * @CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED: the deployment's Cairn functions are older than this app
 * @CAIRN_CONVEX_ERROR_SCHEMA_NEWER: the deployment's Cairn functions are newer than this app
 * @CAIRN_CONVEX_ERROR_FUNCTION_FAILED: a function ran and failed; the message is the server's
 * @CAIRN_CONVEX_ERROR_BAD_RESPONSE: the answer was malformed, truncated, too large or endless
 * @CAIRN_CONVEX_ERROR_SERVER: a temporary server error (5xx, 409, 429)
 * @CAIRN_CONVEX_ERROR_REDIRECTED: the deployment URL answered with a redirect (never followed)
 * @CAIRN_CONVEX_ERROR_READ_ONLY: the deploy key may read but not write (403 OperationNotPermitted)
 * @CAIRN_CONVEX_ERROR_BAD_REQUEST: the deployment refused this one request (400 BadJsonBody, …)
 * @CAIRN_CONVEX_ERROR_NOT_CONVEX: the address does not answer like a Convex deployment (404 on its API)
 * @CAIRN_CONVEX_ERROR_PUSH_REFUSED: the deployment refused the Cairn functions pushed to it (the
 *   message is the server's: a module or the schema that does not evaluate, a bad configuration)
 * @CAIRN_CONVEX_ERROR_SCHEMA_REJECTED: the pushed schema does not fit documents already stored;
 *   the deployment keeps its functions
 * @CAIRN_CONVEX_ERROR_PUSH_RACE: another push to the same deployment got in between
 * @CAIRN_CONVEX_ERROR_MIGRATION_FAILED: a data migration failed; it is recorded as failed on the
 *   deployment and the chain stopped there
 * @CAIRN_CONVEX_ERROR_LEASE_HELD: another computer holds the lease for migrating the deployment
 * @CAIRN_CONVEX_ERROR_SOCKET_REFUSED: the live connection (WebSocket) was answered with an HTTP
 *   status instead of being accepted: a proxy or the network refuses it; plain requests may still work
 *
 * What went wrong between Cairn and the user's deployment.
 */
typedef enum {
  CAIRN_CONVEX_ERROR_CONNECTIVITY,
  CAIRN_CONVEX_ERROR_TIMEOUT,
  CAIRN_CONVEX_ERROR_UNAUTHORIZED,
  CAIRN_CONVEX_ERROR_NOT_SET_UP,
  CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED,
  CAIRN_CONVEX_ERROR_SCHEMA_NEWER,
  CAIRN_CONVEX_ERROR_FUNCTION_FAILED,
  CAIRN_CONVEX_ERROR_BAD_RESPONSE,
  CAIRN_CONVEX_ERROR_SERVER,
  CAIRN_CONVEX_ERROR_REDIRECTED,
  CAIRN_CONVEX_ERROR_READ_ONLY,
  CAIRN_CONVEX_ERROR_BAD_REQUEST,
  CAIRN_CONVEX_ERROR_NOT_CONVEX,
  CAIRN_CONVEX_ERROR_PUSH_REFUSED,
  CAIRN_CONVEX_ERROR_SCHEMA_REJECTED,
  CAIRN_CONVEX_ERROR_PUSH_RACE,
  CAIRN_CONVEX_ERROR_MIGRATION_FAILED,
  CAIRN_CONVEX_ERROR_LEASE_HELD,
  CAIRN_CONVEX_ERROR_SOCKET_REFUSED,
} CairnConvexError;

#define CAIRN_CREDENTIALS_ERROR (cairn_credentials_error_quark ())

/**
 * CairnCredentialsError:
 * @CAIRN_CREDENTIALS_ERROR_KEYRING: the system keyring is unavailable, locked, refused the
 *   operation or does not hold the key
 */
typedef enum {
  CAIRN_CREDENTIALS_ERROR_KEYRING,
} CairnCredentialsError;

#define CAIRN_CONNECTION_ERROR (cairn_connection_error_quark ())

/**
 * CairnConnectionError:
 * @CAIRN_CONNECTION_ERROR_BLOCKED: the connection to the deployment is blocked; nothing was sent
 */
typedef enum {
  CAIRN_CONNECTION_ERROR_BLOCKED,
} CairnConnectionError;

GQuark   cairn_store_error_quark       (void);
GQuark   cairn_convex_error_quark      (void);
GQuark   cairn_credentials_error_quark (void);
GQuark   cairn_connection_error_quark  (void);
gboolean cairn_error_is_retryable      (const GError *error);

G_END_DECLS
