/* cairn-side-bin.c — a child at its natural width, on one side
 *
 * What GtkWidget:halign start or end does, without its cost: GTK (4.8)
 * allocates a widget aligned so by asking its width for the height it is
 * given, and a vertical box answers that with a binary search of its
 * wrapping children's heights at widths from their minimum up — a text
 * laid out anew at each. A message bubble paid it on every new row.
 *
 * CairnSideBin gives its child its natural width (or all there is, when
 * that is less) at the start or at the end, and asks its height at that
 * width: the height it will have, where halign measured it at the whole
 * width. Its width is the child's at any height. The child's own halign
 * stays fill.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-side-bin"

#include "config.h"

#include "cairn-side-bin.h"

struct _CairnSideBin
{
  GtkWidget  parent_instance;

  GtkWidget *child;
  gboolean   end;
};

G_DEFINE_FINAL_TYPE (CairnSideBin, cairn_side_bin, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHILD,
  PROP_END,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static int
child_natural_width (CairnSideBin *self)
{
  int natural;

  gtk_widget_measure (self->child, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  return natural;
}

/* GtkWidget */

static GtkSizeRequestMode
cairn_side_bin_get_request_mode (GtkWidget *widget)
{
  CairnSideBin *self = CAIRN_SIDE_BIN (widget);

  return self->child != NULL ? gtk_widget_get_request_mode (self->child) : GTK_SIZE_REQUEST_CONSTANT_SIZE;
}

static void
cairn_side_bin_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  CairnSideBin *self = CAIRN_SIDE_BIN (widget);

  *minimum = *natural = 0;
  if (self->child == NULL || !gtk_widget_should_layout (self->child))
    return;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    gtk_widget_measure (self->child, orientation, -1, minimum, natural, NULL, NULL);
  else
    gtk_widget_measure (self->child, orientation,
                        for_size >= 0 ? MIN (for_size, child_natural_width (self)) : -1,
                        minimum, natural, NULL, NULL);
}

static void
cairn_side_bin_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  CairnSideBin *self = CAIRN_SIDE_BIN (widget);
  gboolean right;
  int child_width;

  if (self->child == NULL || !gtk_widget_should_layout (self->child))
    return;

  right = self->end == (gtk_widget_get_direction (widget) != GTK_TEXT_DIR_RTL);
  child_width = MIN (width, child_natural_width (self));
  gtk_widget_size_allocate (self->child,
                            &(GtkAllocation) { right ? width - child_width : 0, 0, child_width, height },
                            -1);
}

/* Properties */

static void
set_child (CairnSideBin *self,
           GtkWidget    *child)
{
  if (self->child == child)
    return;

  g_clear_pointer (&self->child, gtk_widget_unparent);
  if (child != NULL)
    {
      self->child = child;
      gtk_widget_set_parent (child, GTK_WIDGET (self));
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

void
cairn_side_bin_set_end (CairnSideBin *self,
                        gboolean      end)
{
  g_return_if_fail (CAIRN_IS_SIDE_BIN (self));

  end = !!end;
  if (self->end == end)
    return;

  self->end = end;
  gtk_widget_queue_allocate (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END]);
}

/* GObject */

static void
cairn_side_bin_dispose (GObject *object)
{
  CairnSideBin *self = CAIRN_SIDE_BIN (object);

  g_clear_pointer (&self->child, gtk_widget_unparent);

  G_OBJECT_CLASS (cairn_side_bin_parent_class)->dispose (object);
}

static void
cairn_side_bin_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CairnSideBin *self = CAIRN_SIDE_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;

    case PROP_END:
      g_value_set_boolean (value, self->end);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_side_bin_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CairnSideBin *self = CAIRN_SIDE_BIN (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      set_child (self, g_value_get_object (value));
      break;

    case PROP_END:
      cairn_side_bin_set_end (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_side_bin_class_init (CairnSideBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_side_bin_dispose;
  object_class->get_property = cairn_side_bin_get_property;
  object_class->set_property = cairn_side_bin_set_property;

  widget_class->get_request_mode = cairn_side_bin_get_request_mode;
  widget_class->measure = cairn_side_bin_measure;
  widget_class->size_allocate = cairn_side_bin_size_allocate;

  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL,
                         GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* at the end (the right in left-to-right text), not at the start */
  properties[PROP_END] =
    g_param_spec_boolean ("end", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "cairn-side-bin");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GENERIC);
}

static void
cairn_side_bin_init (CairnSideBin *self)
{
}
