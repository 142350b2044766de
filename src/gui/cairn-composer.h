/* cairn-composer.h — where a message is written, with its draft kept safe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_COMPOSER (cairn_composer_get_type ())

G_DECLARE_FINAL_TYPE (CairnComposer, cairn_composer, CAIRN, COMPOSER, GtkWidget)

/* How long after the last edit the draft is saved. */
#define CAIRN_COMPOSER_DRAFT_DELAY_MS 400

GtkWidget         *cairn_composer_new              (CairnWorkspace *workspace);
CairnWorkspace    *cairn_composer_get_workspace    (CairnComposer  *self);
void               cairn_composer_set_workspace    (CairnComposer  *self,
                                                    CairnWorkspace *workspace);
CairnConversation *cairn_composer_get_conversation (CairnComposer  *self);
void               cairn_composer_set_conversation (CairnComposer  *self,
                                                    CairnConversation *conversation);
char              *cairn_composer_get_text         (CairnComposer  *self);
void               cairn_composer_set_text         (CairnComposer  *self,
                                                    const char     *text);
gboolean           cairn_composer_get_sending      (CairnComposer  *self);
void               cairn_composer_send             (CairnComposer  *self);
void               cairn_composer_save_draft       (CairnComposer  *self);
void               cairn_composer_expect_conversation (CairnComposer *self);
void               cairn_composer_cancel_expected     (CairnComposer *self);

G_END_DECLS
