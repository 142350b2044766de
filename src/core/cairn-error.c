/* cairn-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-error"

#include "cairn-error.h"

G_DEFINE_QUARK (cairn-error-quark, cairn_error)

/**
 * cairn_error_is_retryable:
 * @error: (nullable): an error
 *
 * Whether trying the same request again a moment later may succeed.
 * Transport failures and temporary server errors are; a refused key,
 * missing functions, bad input or a failing function are not.
 */
gboolean
cairn_error_is_retryable (const GError *error)
{
  if (error == NULL || error->domain != CAIRN_ERROR)
    return FALSE;

  switch ((CairnErrorCode) error->code)
    {
    case CAIRN_ERROR_CONNECTIVITY:
    case CAIRN_ERROR_TIMEOUT:
    case CAIRN_ERROR_SERVER:
    case CAIRN_ERROR_BAD_RESPONSE:
      return TRUE;

    case CAIRN_ERROR_UNAUTHORIZED:
    case CAIRN_ERROR_NOT_SET_UP:
    case CAIRN_ERROR_SCHEMA_OUTDATED:
    case CAIRN_ERROR_SCHEMA_NEWER:
    case CAIRN_ERROR_FUNCTION_FAILED:
    case CAIRN_ERROR_KEYRING:
    case CAIRN_ERROR_INVALID_INPUT:
    case CAIRN_ERROR_NOT_FOUND:
    case CAIRN_ERROR_STORAGE:
    case CAIRN_ERROR_BLOCKED:
    case CAIRN_ERROR_REDIRECTED:
    case CAIRN_ERROR_READ_ONLY:
    case CAIRN_ERROR_BAD_REQUEST:
    case CAIRN_ERROR_NOT_CONVEX:
    default:
      return FALSE;
    }
}
