/* cairn-error.h — the CAIRN_ERROR domain
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CAIRN_ERROR (cairn_error_quark ())

/**
 * CairnErrorCode:
 * @CAIRN_ERROR_CONNECTIVITY: the deployment could not be reached (refused, DNS, TLS, reset)
 * @CAIRN_ERROR_TIMEOUT: the deployment did not answer in time
 * @CAIRN_ERROR_UNAUTHORIZED: the deploy key was refused
 * @CAIRN_ERROR_NOT_SET_UP: the Cairn functions are not deployed on the deployment
 * @CAIRN_ERROR_SCHEMA_OUTDATED: the deployment's Cairn functions are older than this app
 * @CAIRN_ERROR_SCHEMA_NEWER: the deployment's Cairn functions are newer than this app
 * @CAIRN_ERROR_FUNCTION_FAILED: a function ran and failed; the message is the server's
 * @CAIRN_ERROR_BAD_RESPONSE: the answer was malformed, truncated or too large
 * @CAIRN_ERROR_KEYRING: the system keyring is unavailable or refused the operation
 * @CAIRN_ERROR_INVALID_INPUT: the caller passed something malformed (table, document, URL)
 * @CAIRN_ERROR_NOT_FOUND: the document does not exist
 * @CAIRN_ERROR_STORAGE: the local database failed (disk full, corrupt file, I/O)
 * @CAIRN_ERROR_SERVER: the deployment answered with a temporary server error (5xx, 429)
 * @CAIRN_ERROR_BLOCKED: the connection to the deployment is blocked; nothing was sent
 * @CAIRN_ERROR_REDIRECTED: the deployment URL answered with a redirect (never followed)
 * @CAIRN_ERROR_READ_ONLY: the deploy key may read but not write (403 OperationNotPermitted)
 * @CAIRN_ERROR_BAD_REQUEST: the deployment refused this one request (400 BadJsonBody, …)
 * @CAIRN_ERROR_NOT_CONVEX: the address does not answer like a Convex deployment (404 on its API)
 *
 * Every failure in Cairn is classified into one of these codes; the class
 * decides whether a request is retried and whether the connection blocks.
 */
typedef enum {
  CAIRN_ERROR_CONNECTIVITY,
  CAIRN_ERROR_TIMEOUT,
  CAIRN_ERROR_UNAUTHORIZED,
  CAIRN_ERROR_NOT_SET_UP,
  CAIRN_ERROR_SCHEMA_OUTDATED,
  CAIRN_ERROR_SCHEMA_NEWER,
  CAIRN_ERROR_FUNCTION_FAILED,
  CAIRN_ERROR_BAD_RESPONSE,
  CAIRN_ERROR_KEYRING,
  CAIRN_ERROR_INVALID_INPUT,
  CAIRN_ERROR_NOT_FOUND,
  CAIRN_ERROR_STORAGE,
  CAIRN_ERROR_SERVER,
  CAIRN_ERROR_BLOCKED,
  CAIRN_ERROR_REDIRECTED,
  CAIRN_ERROR_READ_ONLY,
  CAIRN_ERROR_BAD_REQUEST,
  CAIRN_ERROR_NOT_CONVEX,
} CairnErrorCode;

GQuark   cairn_error_quark        (void);
gboolean cairn_error_is_retryable (const GError *error);

G_END_DECLS
