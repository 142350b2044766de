/* cairn-message-row.h — one message of a conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_MESSAGE_ROW (cairn_message_row_get_type ())

G_DECLARE_FINAL_TYPE (CairnMessageRow, cairn_message_row, CAIRN, MESSAGE_ROW, GtkWidget)

GtkWidget      *cairn_message_row_new           (CairnWorkspace  *workspace);
CairnWorkspace *cairn_message_row_get_workspace (CairnMessageRow *self);
void            cairn_message_row_set_workspace (CairnMessageRow *self,
                                                 CairnWorkspace  *workspace);
CairnMessage   *cairn_message_row_get_message   (CairnMessageRow *self);
void            cairn_message_row_set_message   (CairnMessageRow *self,
                                                 CairnMessage    *message);

G_END_DECLS
