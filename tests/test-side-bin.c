/* test-side-bin.c — a child at its natural width, on one side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-side-bin.h"
#include "widget-util.h"

#define TEXT "Remember that the hut closes early in October, so booking matters more than the weather " \
             "forecast, which looks fine anyway."

static int
height_at (GtkWidget *widget,
           int        width)
{
  int height;

  gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, width, &height, NULL, NULL, NULL);
  return height;
}

static double
child_x (GtkWidget *child,
         GtkWidget *bin)
{
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (child, bin, &GRAPHENE_POINT_INIT (0, 0), &point));
  return point.x;
}

/* Its width is the child's; its height at a width is the child's at the
 * width the child gets: no more than its natural width, at the start or
 * at the end. */
static void
test_sizes_and_sides (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *child = gtk_label_new (TEXT);
  GtkWidget *bin = g_object_new (CAIRN_TYPE_SIDE_BIN, "child", child, NULL);
  int min, nat, child_min, child_nat;

  gtk_label_set_wrap (GTK_LABEL (child), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (child), 30);
  gtk_window_set_child (GTK_WINDOW (window), bin);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_frame (window);

  gtk_widget_measure (bin, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &child_min, &child_nat, NULL, NULL);
  g_assert_cmpint (min, ==, child_min);
  g_assert_cmpint (nat, ==, child_nat);
  g_assert_cmpint (height_at (bin, min), ==, height_at (child, min));
  g_assert_cmpint (height_at (bin, nat + 300), ==, height_at (child, nat));
  /* halign measured the child at the whole width: fewer lines than it shows */
  g_assert_cmpint (height_at (bin, nat + 300), >, height_at (child, nat + 300));

  gtk_widget_size_allocate (bin, &(GtkAllocation) { 0, 0, nat + 300, height_at (bin, nat + 300) }, -1);
  g_assert_cmpint (gtk_widget_get_width (child), ==, nat);
  g_assert_cmpfloat (child_x (child, bin), ==, 0);

  g_object_set (bin, "end", TRUE, NULL);
  gtk_widget_size_allocate (bin, &(GtkAllocation) { 0, 0, nat + 300, height_at (bin, nat + 300) }, -1);
  g_assert_cmpfloat (child_x (child, bin), ==, 300);

  gtk_widget_set_direction (bin, GTK_TEXT_DIR_RTL);
  gtk_widget_size_allocate (bin, &(GtkAllocation) { 0, 0, nat + 300, height_at (bin, nat + 300) }, -1);
  g_assert_cmpfloat (child_x (child, bin), ==, 0);

  gtk_widget_size_allocate (bin, &(GtkAllocation) { 0, 0, min, height_at (bin, min) }, -1);
  g_assert_cmpint (gtk_widget_get_width (child), ==, min);

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  widget_util_init (&argc, &argv);

  g_test_add_func ("/widgets/side-bin/sizes-and-sides", test_sizes_and_sides);

  return g_test_run ();
}
