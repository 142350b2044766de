/* cairn-message-failure.h — why a message was not saved, and what to do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CAIRN_TYPE_MESSAGE_FAILURE (cairn_message_failure_get_type ())

G_DECLARE_FINAL_TYPE (CairnMessageFailure, cairn_message_failure, CAIRN, MESSAGE_FAILURE, GtkWidget)

GtkWidget *cairn_message_failure_new        (void);
void       cairn_message_failure_set_reason (CairnMessageFailure *self,
                                             const char          *reason);
void       cairn_message_failure_set_copied (CairnMessageFailure *self,
                                             gboolean             copied);

G_END_DECLS
