/* widget-tree.h — finding a widget in a tree, for programs without widget-util's fixtures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

/* @root if it is of @type, else the first widget of @type under it, depth
 * first; NULL when there is none. */
static inline GtkWidget *
widget_tree_find (GtkWidget *root,
                  GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = widget_tree_find (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}
