/* cairn-wrap-bin.c — a wrapping label, sized without GtkLabel's measuring
 *
 * GtkLabel (GTK 4.8) lays its whole text out for every size it is asked:
 * its minimum width at its width-chars (Pango shapes the rest of a
 * paragraph again at every line break, so the narrower, the dearer), its
 * natural width, its height at every width it is offered, and a widget
 * aligned to one side asks for its width at a height — a binary search of
 * layouts. A page of history asked all of it of 25 new messages: most of
 * the page's time.
 *
 * CairnWrapBin holds one wrapping GtkLabel and answers for it:
 *
 *  - its minimum width: width-chars average characters of its font,
 *    worked out as GtkLabel does, with no layout (a cluster wider than
 *    that would stick out, where GtkLabel would widen);
 *  - its natural width and height: the text laid out max-width-chars
 *    wide, or the label's own unwrapped layout when that fits;
 *  - its height at a width: at that width, or, from its natural width
 *    on, its natural height: the label gets no more than its natural
 *    width, at the start of the bin.
 *
 * The label is measured only for its height at no width (GTK wants a
 * widget measured before it is allocated): one unwrapped layout, as long
 * as its own width-chars and max-width-chars stay unset (-1), its halign
 * and valign fill, and it has no margins, border or padding of its own
 * (sizes here are its text's). Not for ellipsized labels.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cairn-wrap-bin"

#include "config.h"

#include "cairn-wrap-bin.h"

struct _CairnWrapBin
{
  GtkWidget  parent_instance;

  GtkWidget *label;
  int        width_chars;
  int        max_width_chars;

  /* The text's sizes in pixels, from the latest measure of the width:
   * GTK measures it again whenever the label may have changed. */
  int        min_width;
  int        natural_width;
  int        natural_height;
};

G_DEFINE_FINAL_TYPE (CairnWrapBin, cairn_wrap_bin, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LABEL,
  PROP_WIDTH_CHARS,
  PROP_MAX_WIDTH_CHARS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GtkLabel's average character, in Pango units: the wider of a letter and
 * a digit of the font. */
static int
char_width (PangoContext *context)
{
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int width = MAX (pango_font_metrics_get_approximate_char_width (metrics),
                   pango_font_metrics_get_approximate_digit_width (metrics));

  pango_font_metrics_unref (metrics);
  return width;
}

/* The logical size of the label's text laid out @width wide (Pango units,
 * -1: unwrapped), from the label's own layout when it is laid out so. */
static void
text_size (CairnWrapBin   *self,
           int             width,
           PangoRectangle *logical)
{
  PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (self->label));
  g_autoptr(PangoLayout) copy = NULL;

  if (pango_layout_get_width (layout) != width)
    {
      copy = pango_layout_copy (layout);
      pango_layout_set_width (copy, width);
      layout = copy;
    }

  pango_layout_get_extents (layout, NULL, logical);
}

static void
measure_text (CairnWrapBin *self)
{
  PangoLayout *layout;
  PangoRectangle logical;
  int chars;
  int natural_limit = -1;

  gtk_widget_measure (self->label, GTK_ORIENTATION_VERTICAL, -1, NULL, NULL, NULL, NULL);

  layout = gtk_label_get_layout (GTK_LABEL (self->label));
  chars = char_width (pango_layout_get_context (layout));
  if (self->max_width_chars >= 0)
    natural_limit = chars * MAX (self->width_chars, self->max_width_chars);

  /* The label's unwrapped layout, when it is narrow enough, lays out the
   * same at the limit. */
  if (pango_layout_get_width (layout) == -1)
    pango_layout_get_extents (layout, NULL, &logical);
  if (pango_layout_get_width (layout) != -1
      || (natural_limit >= 0 && logical.width > natural_limit))
    text_size (self, natural_limit, &logical);

  self->min_width = PANGO_PIXELS_CEIL (chars * self->width_chars);
  self->natural_width = MAX (PANGO_PIXELS_CEIL (logical.width), self->min_width);
  self->natural_height = PANGO_PIXELS_CEIL (logical.height);
}

/* The sizes measure_text() found, measured again if GTK forgot its own. */
static void
ensure_measured (CairnWrapBin *self)
{
  gtk_widget_measure (GTK_WIDGET (self), GTK_ORIENTATION_HORIZONTAL, -1, NULL, NULL, NULL, NULL);
}

static int
height_for_width (CairnWrapBin *self,
                  int           width)
{
  PangoRectangle logical;

  ensure_measured (self);
  if (width >= self->natural_width)
    return self->natural_height;

  text_size (self, width * PANGO_SCALE, &logical);
  return PANGO_PIXELS_CEIL (logical.height);
}

/* GtkWidget */

static GtkSizeRequestMode
cairn_wrap_bin_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
cairn_wrap_bin_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  CairnWrapBin *self = CAIRN_WRAP_BIN (widget);

  *minimum = *natural = 0;
  if (self->label == NULL || !gtk_widget_should_layout (self->label))
    return;

  /* A width is the same at any height. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL && for_size < 0)
    {
      measure_text (self);
      *minimum = self->min_width;
      *natural = self->natural_width;
    }
  else if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      ensure_measured (self);
      *minimum = self->min_width;
      *natural = self->natural_width;
    }
  else
    *minimum = *natural = height_for_width (self, for_size >= 0 ? for_size : G_MAXINT);
}

static void
cairn_wrap_bin_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  CairnWrapBin *self = CAIRN_WRAP_BIN (widget);
  int label_width;

  if (self->label == NULL || !gtk_widget_should_layout (self->label))
    return;

  ensure_measured (self);
  label_width = MIN (width, self->natural_width);
  gtk_widget_size_allocate (self->label,
                            &(GtkAllocation) {
                              gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL ? width - label_width : 0,
                              0, label_width, height
                            },
                            -1);
}

/* Properties */

static void
set_label (CairnWrapBin *self,
           GtkLabel     *label)
{
  if (self->label == GTK_WIDGET (label))
    return;

  g_clear_pointer (&self->label, gtk_widget_unparent);
  if (label != NULL)
    {
      self->label = GTK_WIDGET (label);
      gtk_widget_set_parent (self->label, GTK_WIDGET (self));
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

static void
set_chars (CairnWrapBin *self,
           int          *field,
           int           n_chars,
           guint         prop_id)
{
  if (*field == n_chars)
    return;

  *field = n_chars;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

/* GObject */

static void
cairn_wrap_bin_dispose (GObject *object)
{
  CairnWrapBin *self = CAIRN_WRAP_BIN (object);

  g_clear_pointer (&self->label, gtk_widget_unparent);

  G_OBJECT_CLASS (cairn_wrap_bin_parent_class)->dispose (object);
}

static void
cairn_wrap_bin_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CairnWrapBin *self = CAIRN_WRAP_BIN (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_object (value, self->label);
      break;

    case PROP_WIDTH_CHARS:
      g_value_set_int (value, self->width_chars);
      break;

    case PROP_MAX_WIDTH_CHARS:
      g_value_set_int (value, self->max_width_chars);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_wrap_bin_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  CairnWrapBin *self = CAIRN_WRAP_BIN (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      set_label (self, g_value_get_object (value));
      break;

    case PROP_WIDTH_CHARS:
      set_chars (self, &self->width_chars, g_value_get_int (value), prop_id);
      break;

    case PROP_MAX_WIDTH_CHARS:
      set_chars (self, &self->max_width_chars, g_value_get_int (value), prop_id);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cairn_wrap_bin_class_init (CairnWrapBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cairn_wrap_bin_dispose;
  object_class->get_property = cairn_wrap_bin_get_property;
  object_class->set_property = cairn_wrap_bin_set_property;

  widget_class->get_request_mode = cairn_wrap_bin_get_request_mode;
  widget_class->measure = cairn_wrap_bin_measure;
  widget_class->size_allocate = cairn_wrap_bin_size_allocate;

  /* the wrapping label it sizes */
  properties[PROP_LABEL] =
    g_param_spec_object ("label", NULL, NULL,
                         GTK_TYPE_LABEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* its minimum width, in average characters (GtkLabel:width-chars) */
  properties[PROP_WIDTH_CHARS] =
    g_param_spec_int ("width-chars", NULL, NULL,
                      0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* its natural width at most, in average characters; -1: its text's
   * unwrapped (GtkLabel:max-width-chars) */
  properties[PROP_MAX_WIDTH_CHARS] =
    g_param_spec_int ("max-width-chars", NULL, NULL,
                      -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "cairn-wrap-bin");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GENERIC);
}

static void
cairn_wrap_bin_init (CairnWrapBin *self)
{
  self->max_width_chars = -1;
}
