/* test-wrap-bin.c — a wrapping label sized as GtkLabel sizes it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-wrap-bin.h"
#include "widget-util.h"

static const char *texts[] = {
  "",
  "Hi",
  "The garden needs water before we leave for the mountains tomorrow morning.",
  "Remember that the hut closes early in October, so booking matters more than the weather "
  "forecast, which looks fine anyway. Could you send me the recipe with lentils and lemon?\n\n"
  "Meeting moved to Thursday because of the train strike again.",
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz"
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
};

static GtkWidget *
wrapping_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);

  return label;
}

static int
height_at (GtkWidget *widget,
           int        width)
{
  int height;

  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, width, &height, NULL, NULL, NULL);
  return height;
}

/* The bin's sizes are those of a label with the same width-chars and
 * max-width-chars, and its label gets no more than its natural width. */
static void
test_sizes_as_a_label (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      GtkWidget *window = gtk_window_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *reference = wrapping_label (texts[i]);
      GtkWidget *label = wrapping_label (texts[i]);
      GtkWidget *bin = g_object_new (CAIRN_TYPE_WRAP_BIN,
                                     "width-chars", 8, "max-width-chars", 60, "label", label, NULL);
      int min, nat, ref_min, ref_nat;
      int widths[] = { 0, 100, 250, 400, 0, 0, 0 };

      gtk_label_set_width_chars (GTK_LABEL (reference), 8);
      gtk_label_set_max_width_chars (GTK_LABEL (reference), 60);
      gtk_box_append (GTK_BOX (box), reference);
      gtk_box_append (GTK_BOX (box), bin);
      gtk_window_set_child (GTK_WINDOW (window), box);
      gtk_window_present (GTK_WINDOW (window));
      wait_for_frame (window);

      gtk_widget_measure (bin, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      gtk_widget_measure (reference, GTK_ORIENTATION_HORIZONTAL, -1, &ref_min, &ref_nat, NULL, NULL);
      g_assert_cmpint (min, ==, ref_min);
      g_assert_cmpint (nat, ==, ref_nat);

      widths[0] = min;
      widths[4] = nat - 1;
      widths[5] = nat;
      widths[6] = nat + 200;
      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          int width = CLAMP (widths[w], min, nat + 200);

          g_assert_cmpint (height_at (bin, width), ==, height_at (reference, MIN (width, nat)));
        }

      gtk_widget_size_allocate (bin, &(GtkAllocation) { 0, 0, nat + 200, height_at (bin, nat + 200) }, -1);
      g_assert_cmpint (gtk_widget_get_width (label), ==, nat);
      gtk_widget_size_allocate (bin, &(GtkAllocation) { 0, 0, min, height_at (bin, min) }, -1);
      g_assert_cmpint (gtk_widget_get_width (label), ==, min);

      gtk_window_destroy (GTK_WINDOW (window));
    }
}

/* A new text is measured anew. */
static void
test_text_changes (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *label = wrapping_label ("Hi");
  GtkWidget *bin = g_object_new (CAIRN_TYPE_WRAP_BIN,
                                 "width-chars", 8, "max-width-chars", 60, "label", label, NULL);
  int short_nat, nat, short_height;

  gtk_window_set_child (GTK_WINDOW (window), bin);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_frame (window);
  gtk_widget_measure (bin, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &short_nat, NULL, NULL);
  short_height = height_at (bin, short_nat);

  gtk_label_set_label (GTK_LABEL (label), texts[3]);
  gtk_widget_measure (bin, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &nat, NULL, NULL);
  g_assert_cmpint (nat, >, short_nat);
  g_assert_cmpint (height_at (bin, nat), >, short_height);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  widget_util_init (&argc, &argv);

  g_test_add_func ("/widgets/wrap-bin/sizes-as-a-label", test_sizes_as_a_label);
  g_test_add_func ("/widgets/wrap-bin/text-changes", test_text_changes);

  return g_test_run ();
}
