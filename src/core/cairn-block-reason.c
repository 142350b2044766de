/* cairn-block-reason.c
 *
 * Which errors block the connection, and for what reason: the connection
 * decides with it whether to block, and a store whether a failed write was
 * refused for good (no reason to block) or only cannot be taken now.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "cairn-block-reason.h"
#include "cairn-error.h"

/* Which failures block the connection, and why; NONE for those that don't. */
CairnBlockReason
cairn_block_reason_for_error (const GError *error)
{
  if (g_error_matches (error, CAIRN_CREDENTIALS_ERROR, CAIRN_CREDENTIALS_ERROR_KEYRING))
    return CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE;

  if (error == NULL || error->domain != CAIRN_CONVEX_ERROR)
    return CAIRN_BLOCK_REASON_NONE;

  switch ((CairnConvexError) error->code)
    {
    case CAIRN_CONVEX_ERROR_CONNECTIVITY:
    case CAIRN_CONVEX_ERROR_TIMEOUT:
    case CAIRN_CONVEX_ERROR_SERVER:
    case CAIRN_CONVEX_ERROR_BAD_RESPONSE:
    case CAIRN_CONVEX_ERROR_NOT_CONVEX:
      return CAIRN_BLOCK_REASON_UNREACHABLE;
    case CAIRN_CONVEX_ERROR_UNAUTHORIZED:
      return CAIRN_BLOCK_REASON_UNAUTHORIZED;
    case CAIRN_CONVEX_ERROR_NOT_SET_UP:
      return CAIRN_BLOCK_REASON_NOT_SET_UP;
    case CAIRN_CONVEX_ERROR_SCHEMA_OUTDATED:
      return CAIRN_BLOCK_REASON_SCHEMA_OUTDATED;
    case CAIRN_CONVEX_ERROR_SCHEMA_NEWER:
      return CAIRN_BLOCK_REASON_SCHEMA_NEWER;
    case CAIRN_CONVEX_ERROR_REDIRECTED:
      return CAIRN_BLOCK_REASON_REDIRECTED;
    case CAIRN_CONVEX_ERROR_READ_ONLY:
      return CAIRN_BLOCK_REASON_READ_ONLY;
    case CAIRN_CONVEX_ERROR_BAD_REQUEST:
    case CAIRN_CONVEX_ERROR_FUNCTION_FAILED:
    case CAIRN_CONVEX_ERROR_PUSH_REFUSED:
    case CAIRN_CONVEX_ERROR_SCHEMA_REJECTED:
    case CAIRN_CONVEX_ERROR_PUSH_RACE:
    case CAIRN_CONVEX_ERROR_MIGRATION_FAILED:
    case CAIRN_CONVEX_ERROR_LEASE_HELD:
    /* only the live connection: requests still go through */
    case CAIRN_CONVEX_ERROR_SOCKET_REFUSED:
    default:
      return CAIRN_BLOCK_REASON_NONE;
    }
}
