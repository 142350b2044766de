/* cairn-update-status.h — how an update of the user's deployment goes: its stage, a bar, what went wrong
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_UPDATE_STATUS (cairn_update_status_get_type ())

G_DECLARE_FINAL_TYPE (CairnUpdateStatus, cairn_update_status, CAIRN, UPDATE_STATUS, GtkWidget)

GtkWidget *cairn_update_status_new      (CairnByod         *byod);
CairnByod *cairn_update_status_get_byod (CairnUpdateStatus *self);
void       cairn_update_status_set_byod (CairnUpdateStatus *self,
                                         CairnByod         *byod);

G_END_DECLS
