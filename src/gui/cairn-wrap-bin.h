/* cairn-wrap-bin.h — a wrapping label, sized without GtkLabel's measuring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CAIRN_TYPE_WRAP_BIN (cairn_wrap_bin_get_type ())

G_DECLARE_FINAL_TYPE (CairnWrapBin, cairn_wrap_bin, CAIRN, WRAP_BIN, GtkWidget)

G_END_DECLS
