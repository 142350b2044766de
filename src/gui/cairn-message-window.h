/* cairn-message-window.h — the whole text of one message, read-only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_MESSAGE_WINDOW (cairn_message_window_get_type ())

G_DECLARE_FINAL_TYPE (CairnMessageWindow, cairn_message_window, CAIRN, MESSAGE_WINDOW, AdwWindow)

GtkWidget    *cairn_message_window_new         (GtkWindow          *parent,
                                                CairnMessage       *message);
CairnMessage *cairn_message_window_get_message (CairnMessageWindow *self);

G_END_DECLS
