/* cairn-health-command.h — `cairn --check-health`: check a workspace's deployment now, from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "cairn-health.h"

G_BEGIN_DECLS

/* The exit status of `cairn --check-health`. */
typedef enum {
  CAIRN_HEALTH_EXIT_HEALTHY = 0,
  CAIRN_HEALTH_EXIT_DEGRADED = 1,
  CAIRN_HEALTH_EXIT_UNHEALTHY = 2,   /* unhealthy or unreachable */
  CAIRN_HEALTH_EXIT_NOT_SET_UP = 3,  /* Bring Your Own Database is off: content stays on this computer */
  CAIRN_HEALTH_EXIT_KEYRING = 4,     /* the keyring is unavailable or lacks the deploy key */
} CairnHealthExit;

int cairn_health_command_run (const char                  *database_path,
                              const char                  *workspace_id,
                              const CairnHealthThresholds *thresholds,
                              gboolean                     json,
                              GString                     *output);

G_END_DECLS
