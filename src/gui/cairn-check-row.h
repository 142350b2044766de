/* cairn-check-row.h — one step of a connection check: a state and what went wrong
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-preflight.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_CHECK_ROW (cairn_check_row_get_type ())

G_DECLARE_FINAL_TYPE (CairnCheckRow, cairn_check_row, CAIRN, CHECK_ROW, AdwPreferencesRow)

GtkWidget           *cairn_check_row_new         (const char          *title);
CairnPreflightState  cairn_check_row_get_state   (CairnCheckRow       *self);
void                 cairn_check_row_set_state   (CairnCheckRow       *self,
                                                  CairnPreflightState  state);
const char          *cairn_check_row_get_message (CairnCheckRow       *self);
void                 cairn_check_row_set_message (CairnCheckRow       *self,
                                                  const char          *message);
void                 cairn_check_row_add_action  (CairnCheckRow       *self,
                                                  GtkWidget           *widget);

G_END_DECLS
