/* cairn-side-bin.h — a child at its natural width, on one side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CAIRN_TYPE_SIDE_BIN (cairn_side_bin_get_type ())

G_DECLARE_FINAL_TYPE (CairnSideBin, cairn_side_bin, CAIRN, SIDE_BIN, GtkWidget)

void cairn_side_bin_set_end (CairnSideBin *self,
                             gboolean      end);

G_END_DECLS
