/* cairn-router.h — which store a table lives in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CAIRN_TABLE_LOCATION_MAIN,  /* app data: always the embedded store */
  CAIRN_TABLE_LOCATION_USER,  /* content: the user's deployment when BYOD is on */
} CairnTableLocation;

CairnTableLocation cairn_router_get_location (const char *table);
gboolean           cairn_router_is_user_table (const char *table);

G_END_DECLS
