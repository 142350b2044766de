/* cairn-block-reason.h — why the connection to a deployment blocks, read off an error
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CAIRN_BLOCK_REASON_NONE,
  CAIRN_BLOCK_REASON_OFFLINE,
  CAIRN_BLOCK_REASON_UNREACHABLE,
  CAIRN_BLOCK_REASON_UNAUTHORIZED,
  CAIRN_BLOCK_REASON_NOT_SET_UP,
  CAIRN_BLOCK_REASON_SCHEMA_OUTDATED,
  CAIRN_BLOCK_REASON_SCHEMA_NEWER,
  CAIRN_BLOCK_REASON_KEYRING_UNAVAILABLE,
  CAIRN_BLOCK_REASON_REDIRECTED,
  CAIRN_BLOCK_REASON_READ_ONLY,
  CAIRN_BLOCK_REASON_BAD_CONFIG,
} CairnBlockReason;

CairnBlockReason cairn_block_reason_for_error (const GError *error);

G_END_DECLS
