/* cairn-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-error"

#include "cairn-error.h"

G_DEFINE_QUARK (cairn-store-error-quark, cairn_store_error)
G_DEFINE_QUARK (cairn-convex-error-quark, cairn_convex_error)
G_DEFINE_QUARK (cairn-credentials-error-quark, cairn_credentials_error)
G_DEFINE_QUARK (cairn-connection-error-quark, cairn_connection_error)

/**
 * cairn_error_is_retryable:
 * @error: (nullable): an error
 *
 * Whether trying the same request again a moment later may succeed.
 * Transport failures, unreadable answers and temporary server errors are;
 * a refused key, missing functions, bad input or a failing function are not,
 * and neither is anything outside the Convex domain.
 */
gboolean
cairn_error_is_retryable (const GError *error)
{
  if (error == NULL || error->domain != CAIRN_CONVEX_ERROR)
    return FALSE;

  switch ((CairnConvexError) error->code)
    {
    case CAIRN_CONVEX_ERROR_CONNECTIVITY:
    case CAIRN_CONVEX_ERROR_TIMEOUT:
    case CAIRN_CONVEX_ERROR_SERVER:
    case CAIRN_CONVEX_ERROR_BAD_RESPONSE:
      return TRUE;

    case CAIRN_CONVEX_ERROR_UNAUTHORIZED:
    case CAIRN_CONVEX_ERROR_NOT_SET_UP:
    case CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED:
    case CAIRN_CONVEX_ERROR_SCHEMA_NEWER:
    case CAIRN_CONVEX_ERROR_FUNCTION_FAILED:
    case CAIRN_CONVEX_ERROR_REDIRECTED:
    case CAIRN_CONVEX_ERROR_READ_ONLY:
    case CAIRN_CONVEX_ERROR_BAD_REQUEST:
    case CAIRN_CONVEX_ERROR_NOT_CONVEX:
    case CAIRN_CONVEX_ERROR_PUSH_REFUSED:
    case CAIRN_CONVEX_ERROR_SCHEMA_REJECTED:
    case CAIRN_CONVEX_ERROR_PUSH_RACE:
    case CAIRN_CONVEX_ERROR_MIGRATION_FAILED:
    case CAIRN_CONVEX_ERROR_LEASE_HELD:
    /* not until something changes (cairn_sync_client_resync()) */
    case CAIRN_CONVEX_ERROR_SOCKET_REFUSED:
    default:
      return FALSE;
    }
}
