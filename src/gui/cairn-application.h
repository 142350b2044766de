/* cairn-application.h — the application: opens the workspace, owns the app actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-types.h"

G_BEGIN_DECLS

#define CAIRN_TYPE_APPLICATION (cairn_application_get_type ())

G_DECLARE_FINAL_TYPE (CairnApplication, cairn_application, CAIRN, APPLICATION, AdwApplication)

CairnApplication *cairn_application_new           (void);
const char       *cairn_application_get_data_dir  (CairnApplication *self);
void              cairn_application_set_data_dir  (CairnApplication *self,
                                                   const char       *data_dir);
CairnWorkspace   *cairn_application_get_workspace (CairnApplication *self);

G_END_DECLS
