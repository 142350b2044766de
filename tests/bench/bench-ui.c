/* bench-ui.c — opening a conversation in the real window, timed, and the memory it takes
 *
 *   bench-ui --data-dir=DIR --open=ID [--other=ID] [--reopen=N] [--scroll-pages=N]
 *            [--long-message=KIND] [--wait-timeout=S] [--trace]
 *
 * Runs CairnApplication itself (as src/main.c does, with --data-dir), so the
 * window, its workspace and its store are made exactly as in the app. Then:
 *
 *  1. waits for the window's first painted frame and for the sidebar's first
 *     page to be painted, and lets things settle;
 *  2. opens conversation ID the way a click does — the sidebar list view's
 *     "list.select-item" action, which GtkListView's rows activate on click —
 *     and times (from just before the click):
 *       first_page_ms  the conversation view's message list got its first page
 *       painted_ms     the first frame rendered with message rows laid out in
 *                      the view has been painted (GdkFrameClock::after-paint)
 *       settled_ms     the same, with the view's crossfade over and the view
 *                      pinned to the newest message;
 *  3. after a second, reads VmRSS/VmHWM from /proc/self/status;
 *  4. --reopen times: opens --other, then ID again, timing the second open;
 *  5. --scroll-pages times: scrolls to the top of the history and waits for
 *     the next older page, then reads the memory once more;
 *  6. --long-message sends one long message into the open conversation, as
 *     the composer's Send does, and times (from just before the send):
 *       sent_ms     the workspace saved it (the send's callback)
 *       painted_ms  the first frame with its row laid out has been painted;
 *     then opens it whole (its row's Show Full Message) and times the first
 *     frame of that window painted, and ten more frames drawn while its text
 *     view lays out the rest.
 *     KIND is unbroken-100k (100 000 letters and digits, no space: a pasted
 *     key or blob), spaces-100k (100 000 bytes of words) or unbroken-1m (the
 *     largest message Cairn stores, CAIRN_MAX_MESSAGE_TEXT_SIZE bytes, no
 *     space). The store is written to: give it a copy.
 *
 * Prints one JSON object on stdout. Times are milliseconds, memory kB.
 * --trace prints, on stderr, when each frame started and how long its
 * update, layout and paint phases took: where the time of an open goes.
 * Needs a display (tests/run-headless), GSETTINGS_SCHEMA_DIR and
 * GSETTINGS_BACKEND=memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "bench-ui"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn-application.h"
#include "cairn-conversation.h"
#include "cairn-conversation-list.h"
#include "cairn-conversation-view.h"
#include "cairn-conversations.h"
#include "cairn-message.h"
#include "cairn-message-row.h"
#include "cairn-message-window.h"
#include "cairn-paged-list.h"
#include "cairn-schema.h"
#include "cairn-window.h"
#include "cairn-workspace.h"
#include "test-util.h"
#include "../stats.h"
#include "../widget-tree.h"

#define WAIT_TIMEOUT_MS  30000
#define SETTLE_MS        1000
#define SHORT_SETTLE_MS  300

typedef gboolean (*Condition) (gpointer data);

typedef struct {
  /* options */
  char          *open_id;
  char          *other_id;
  int            reopen;
  int            scroll_pages;
  char          *long_message;     /* KIND, or NULL */
  int            wait_timeout_s;   /* 0: WAIT_TIMEOUT_MS */

  gint64         started;          /* main() */
  GtkApplication *application;
  CairnWindow   *window;

  /* frames painted so far (GdkFrameClock::after-paint) */
  guint          frames;
  gint64         last_frame;
  Condition      shown;            /* what the frame being rendered must show */
  gpointer       shown_data;
  gboolean       shown_rendered;   /* rendered while shown() held … */
  gint64         shown_painted;    /* … and that frame painted at; 0: not yet */

  gint64         first_page;       /* the messages' first page arrived at */
  JsonBuilder   *json;

  gboolean       trace;            /* --trace: every frame's phases on stderr */
  gint64         trace_origin;
  gint64         frame_start;
  gint64         update_start;
  gint64         layout_start;
  gint64         paint_start;
  guint          layout_passes;    /* the frame clock repeats layout while it is asked to */
} Bench;

typedef struct {
  double first_page_ms;
  double painted_ms;
  double settled_ms;
} OpenTimes;

/* Helpers ------------------------------------------------------------------ */

static double
ms_since (gint64 then,
          gint64 now)
{
  return (now - then) / 1000.0;
}

static long
status_kb (const char *field)
{
  g_autofree char *status = NULL;
  size_t length = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;

  for (char *line = status; line != NULL && *line != '\0'; line = strchr (line, '\n'))
    {
      if (*line == '\n')
        line++;
      if (strncmp (line, field, length) == 0 && line[length] == ':')
        return strtol (line + length + 1, NULL, 10);
    }

  return -1;
}

static G_NORETURN void
fail (const char *what)
{
  g_printerr ("bench-ui: %s\n", what);
  exit (EXIT_FAILURE);
}

/* --wait-timeout: a frame that takes minutes (the long messages before rows
 * were bounded) must not count as a hang. */
static guint wait_timeout_ms = WAIT_TIMEOUT_MS;

/* Iterates the main context until @condition holds; gives up after a while. */
static void
wait_until (Condition   condition,
            gpointer    data,
            const char *what)
{
  if (!test_util_wait_until (condition, data, wait_timeout_ms))
    {
      g_autofree char *message = g_strdup_printf ("timed out waiting for %s", what);
      fail (message);
    }
}

/* The widget tree ------------------------------------------------------------ */

static gpointer
window_part (Bench *bench,
             GType  type)
{
  GtkWidget *found = widget_tree_find (GTK_WIDGET (bench->window), type);

  if (found == NULL)
    fail ("the window lacks a part it should have");

  return found;
}

static CairnConversationList *
sidebar (Bench *bench)
{
  return window_part (bench, CAIRN_TYPE_CONVERSATION_LIST);
}

static CairnConversationView *
view (Bench *bench)
{
  return window_part (bench, CAIRN_TYPE_CONVERSATION_VIEW);
}

/* Rows of a list view that are laid out on screen. */
static guint
n_rows_shown (GtkWidget *list_view)
{
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (list_view); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_mapped (row) && gtk_widget_get_height (row) > 0)
      n++;

  return n;
}

static gboolean
stack_shows (GtkWidget  *root,
             const char *page)
{
  GtkStack *stack = GTK_STACK (widget_tree_find (root, GTK_TYPE_STACK));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), page) == 0;
}

static gboolean
stack_settled (GtkWidget *root)
{
  return !gtk_stack_get_transition_running (GTK_STACK (widget_tree_find (root, GTK_TYPE_STACK)));
}

/* Conditions ------------------------------------------------------------------ */

static gboolean
has_frames (gpointer data)
{
  return ((Bench *) data)->frames > 0;
}

static gboolean
shown_painted (gpointer data)
{
  return ((Bench *) data)->shown_painted != 0;
}

static gboolean
sidebar_shows_rows (gpointer data)
{
  GtkWidget *list = GTK_WIDGET (sidebar (data));

  return stack_shows (list, "list") && n_rows_shown (widget_tree_find (list, GTK_TYPE_LIST_VIEW)) > 0;
}

static gboolean
is_target_shown (Bench *bench)
{
  CairnConversationView *v = view (bench);
  CairnConversation *conversation = cairn_conversation_view_get_conversation (v);
  GListModel *messages = cairn_conversation_view_get_messages (v);

  return conversation != NULL
         && g_strcmp0 (cairn_conversation_get_client_id (conversation), bench->shown_data) == 0
         && messages != NULL && g_list_model_get_n_items (messages) > 0
         && stack_shows (GTK_WIDGET (v), "messages")
         && n_rows_shown (widget_tree_find (GTK_WIDGET (v), GTK_TYPE_LIST_VIEW)) > 0;
}

static gboolean
messages_shown (gpointer data)
{
  return is_target_shown (data);
}

/* The scrolled window around the view's messages (a status page has one too). */
static GtkAdjustment *
messages_adjustment (GtkWidget *view_widget)
{
  GtkWidget *list_view = widget_tree_find (view_widget, GTK_TYPE_LIST_VIEW);
  GtkWidget *scrolled = gtk_widget_get_ancestor (list_view, GTK_TYPE_SCROLLED_WINDOW);

  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
}

static gboolean
at_bottom (GtkWidget *root)
{
  GtkAdjustment *adj = messages_adjustment (root);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - 1.0;
}

static gboolean
messages_settled (gpointer data)
{
  Bench *bench = data;
  GtkWidget *v = GTK_WIDGET (view (bench));

  return is_target_shown (bench) && stack_settled (v) && at_bottom (v);
}

/* Frames ---------------------------------------------------------------------- */

/* An emission hook, not a handler: GTK's own handler ends the emission of
 * GdkSurface::render (it returns TRUE), so a handler of ours would not run.
 * The hook runs as the frame is about to be drawn, after its layout. */
static gboolean
render_hook (GSignalInvocationHint *hint,
             guint                  n_params,
             const GValue          *params,
             gpointer               user_data)
{
  Bench *bench = user_data;

  if (bench->window == NULL
      || g_value_get_object (&params[0]) != gtk_native_get_surface (GTK_NATIVE (bench->window)))
    return TRUE;

  if (bench->shown != NULL && !bench->shown_rendered && bench->shown (bench))
    bench->shown_rendered = TRUE;

  return TRUE;
}

static void
trace_frame (Bench  *bench,
             gint64  now)
{
  GtkWidget *list_view = widget_tree_find (GTK_WIDGET (view (bench)), GTK_TYPE_LIST_VIEW);
  guint n_children = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n_children++;

  g_printerr ("frame %4u at %8.1f ms: before %5.1f, update %6.1f, layout %6.1f (%u×), paint %6.1f ms;"
              " message rows %u (%u shown)%s\n",
              bench->frames, ms_since (bench->trace_origin, bench->frame_start),
              ms_since (bench->frame_start, bench->update_start),
              ms_since (bench->update_start, bench->layout_start),
              ms_since (bench->layout_start, bench->paint_start), bench->layout_passes,
              ms_since (bench->paint_start, now),
              n_children, n_rows_shown (list_view),
              bench->shown != NULL && bench->shown_rendered ? ", shows what is awaited" : "");
}

static void
on_after_paint (GdkFrameClock *clock,
                Bench         *bench)
{
  gint64 now = g_get_monotonic_time ();

  bench->frames++;
  bench->last_frame = now;

  if (bench->shown_rendered && bench->shown_painted == 0)
    bench->shown_painted = now;

  /* what follows a click (or the start), not the idle frames after it */
  if (bench->trace && ms_since (bench->trace_origin, now) < 1500)
    trace_frame (bench, now);
}

/* --trace: when each phase of a frame starts. Emission hooks run before
 * any handler, GTK's own layout and paint handlers included. */
static gboolean
phase_hook (GSignalInvocationHint *hint,
            guint                  n_params,
            const GValue          *params,
            gpointer               user_data)
{
  Bench *bench = user_data;
  const char *phase = g_signal_name (hint->signal_id);
  gint64 now = g_get_monotonic_time ();

  if (g_str_equal (phase, "before-paint"))
    {
      bench->frame_start = bench->update_start = bench->layout_start = bench->paint_start = now;
      bench->layout_passes = 0;
    }
  else if (g_str_equal (phase, "update"))
    bench->update_start = bench->layout_start = bench->paint_start = now;
  else if (g_str_equal (phase, "layout") && bench->layout_passes++ == 0)
    bench->layout_start = bench->paint_start = now;
  else if (g_str_equal (phase, "paint"))
    bench->paint_start = now;

  return TRUE;
}

static void
trace_phases (Bench *bench)
{
  const char *phases[] = { "before-paint", "update", "layout", "paint" };

  for (guint i = 0; i < G_N_ELEMENTS (phases); i++)
    g_signal_add_emission_hook (g_signal_lookup (phases[i], GDK_TYPE_FRAME_CLOCK), 0,
                                phase_hook, bench, NULL);
}

static void
on_window_realize (GtkWidget *window,
                   Bench     *bench)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0, render_hook, bench, NULL);
  g_signal_connect (gdk_surface_get_frame_clock (surface), "after-paint",
                    G_CALLBACK (on_after_paint), bench);

  if (bench->trace)
    trace_phases (bench);
}

/* Returns when a frame rendered while @shown held has been painted. */
static gint64
wait_for_frame_showing (Bench      *bench,
                        Condition   shown,
                        gpointer    data,
                        const char *what)
{
  gint64 painted;

  bench->shown = shown;
  bench->shown_data = data;
  bench->shown_rendered = FALSE;
  bench->shown_painted = 0;
  gtk_widget_queue_draw (GTK_WIDGET (bench->window));

  wait_until (shown_painted, bench, what);

  painted = bench->shown_painted;
  bench->shown = NULL;
  return painted;
}

/* Opening a conversation ------------------------------------------------------ */

static void
on_messages_changed (GListModel *messages,
                     guint       position,
                     guint       removed,
                     guint       added,
                     Bench      *bench)
{
  if (bench->first_page == 0 && g_list_model_get_n_items (messages) > 0)
    {
      bench->first_page = g_get_monotonic_time ();
      if (bench->trace)
        g_printerr ("first page at %.1f ms\n", ms_since (bench->trace_origin, bench->first_page));
    }
}

/* What a click on the conversation's row in the sidebar does. */
static void
click_conversation (Bench      *bench,
                    const char *client_id)
{
  CairnConversationList *list = sidebar (bench);
  GListModel *model = cairn_conversation_list_get_model (list);
  GtkWidget *list_view = widget_tree_find (GTK_WIDGET (list), GTK_TYPE_LIST_VIEW);
  guint position;

  if (cairn_paged_list_find (CAIRN_PAGED_LIST (model), client_id, &position) == NULL)
    fail ("the conversation to open is not in the sidebar's first page");

  gtk_widget_activate_action (list_view, "list.select-item", "(ubb)", position, FALSE, FALSE);
}

static OpenTimes
open_conversation (Bench      *bench,
                   const char *client_id)
{
  OpenTimes times = { 0 };
  GListModel *messages;
  gint64 clicked = g_get_monotonic_time ();
  gint64 painted, settled;

  bench->first_page = 0;
  bench->trace_origin = clicked;
  if (bench->trace)
    g_printerr ("click: open %s\n", client_id);
  click_conversation (bench, client_id);

  /* The view made its (empty) message list while the click was handled. */
  messages = cairn_conversation_view_get_messages (view (bench));
  if (messages == NULL)
    fail ("the click did not open the conversation");
  if (g_list_model_get_n_items (messages) > 0)
    bench->first_page = g_get_monotonic_time ();
  else
    g_signal_connect (messages, "items-changed", G_CALLBACK (on_messages_changed), bench);

  painted = wait_for_frame_showing (bench, messages_shown, (gpointer) client_id,
                                    "a frame showing the messages");
  settled = wait_for_frame_showing (bench, messages_settled, (gpointer) client_id,
                                    "the messages at rest");
  g_signal_handlers_disconnect_by_func (messages, on_messages_changed, bench);

  times.first_page_ms = ms_since (clicked, bench->first_page);
  times.painted_ms = ms_since (clicked, painted);
  times.settled_ms = ms_since (clicked, settled);
  return times;
}

/* Scrolling back through the history ------------------------------------------ */

typedef struct {
  GListModel *messages;
  guint       n;
} Growth;

static gboolean
grew (gpointer data)
{
  Growth *growth = data;

  return g_list_model_get_n_items (growth->messages) > growth->n;
}

static void
scroll_to_top (Bench *bench)
{
  gtk_adjustment_set_value (messages_adjustment (GTK_WIDGET (view (bench))), 0);
}

static gboolean
frames_beyond (gpointer data)
{
  Bench *bench = ((gpointer *) data)[0];
  guint n = GPOINTER_TO_UINT (((gpointer *) data)[1]);

  return bench->frames > n;
}

/* Waits until @n more frames have been painted. */
static void
wait_for_frames (Bench *bench,
                 guint  n)
{
  gpointer data[2] = { bench, GUINT_TO_POINTER (bench->frames + n - 1) };

  gtk_widget_queue_draw (GTK_WIDGET (bench->window));
  wait_until (frames_beyond, data, "frames");
}

/* CPU time of the whole process (every thread), in ms: what a page costs
 * whatever else the machine runs. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Each page's time, in ms: from the scroll to the top until the older page
 * is listed and two frames have been painted with it; and the CPU time that
 * took in @cpu_times. */
static GArray *
scroll_back (Bench   *bench,
             int      pages,
             GArray **cpu_times)
{
  Growth growth = { cairn_conversation_view_get_messages (view (bench)), 0 };
  GArray *times = g_array_new (FALSE, FALSE, sizeof (double));

  *cpu_times = g_array_new (FALSE, FALSE, sizeof (double));
  for (int i = 0; i < pages; i++)
    {
      gint64 started = g_get_monotonic_time ();
      double cpu_started = cpu_ms ();
      double ms, cpu;

      growth.n = g_list_model_get_n_items (growth.messages);
      bench->trace_origin = started;
      if (bench->trace)
        g_printerr ("scroll to the top for page %d (%u messages)\n", i + 1, growth.n);
      scroll_to_top (bench);
      wait_until (grew, &growth, "an older page of messages");
      /* let the list view lay the new rows out before scrolling again */
      wait_for_frames (bench, 2);
      ms = ms_since (started, g_get_monotonic_time ());
      cpu = cpu_ms () - cpu_started;
      g_array_append_val (times, ms);
      g_array_append_val (*cpu_times, cpu);
    }

  return times;
}

/* Output ------------------------------------------------------------------------ */

static void
add_number (Bench      *bench,
            const char *name,
            double      value)
{
  json_builder_set_member_name (bench->json, name);
  json_builder_add_double_value (bench->json, value);
}

static void
add_int (Bench      *bench,
         const char *name,
         gint64      value)
{
  json_builder_set_member_name (bench->json, name);
  json_builder_add_int_value (bench->json, value);
}

static void
add_memory (Bench      *bench,
            const char *name)
{
  json_builder_set_member_name (bench->json, name);
  json_builder_begin_object (bench->json);
  add_int (bench, "VmRSS", status_kb ("VmRSS"));
  add_int (bench, "RssAnon", status_kb ("RssAnon"));
  add_int (bench, "RssFile", status_kb ("RssFile"));
  add_int (bench, "VmHWM", status_kb ("VmHWM"));
  json_builder_end_object (bench->json);
}

static void
add_open_times (Bench     *bench,
                OpenTimes *times)
{
  json_builder_begin_object (bench->json);
  add_number (bench, "first_page_ms", times->first_page_ms);
  add_number (bench, "painted_ms", times->painted_ms);
  add_number (bench, "settled_ms", times->settled_ms);
  json_builder_end_object (bench->json);
}

static void
print_json (Bench *bench)
{
  g_autoptr(JsonNode) root = json_builder_get_root (bench->json);
  g_autofree char *text = json_to_string (root, FALSE);

  g_print ("%s\n", text);
}

/* A long message ------------------------------------------------------------------ */

/* Deterministic text: letters and digits, with a space every 3 to 10
 * characters when @spaces. */
static char *
long_text (gsize    length,
           gboolean spaces)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  char *text = g_malloc (length + 1);
  guint word = 0;
  guint word_length = 3 + g_rand_int_range (rand, 0, 8);

  for (gsize i = 0; i < length; i++)
    {
      if (spaces && word == word_length && i + 1 < length)
        {
          text[i] = ' ';
          word = 0;
          word_length = 3 + g_rand_int_range (rand, 0, 8);
          continue;
        }
      text[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      word++;
    }
  text[length] = '\0';

  return text;
}

/* The row of the view showing the message whose text is the awaited one. */
static GtkWidget *
long_row (Bench *bench)
{
  GtkWidget *list_view = widget_tree_find (GTK_WIDGET (view (bench)), GTK_TYPE_LIST_VIEW);

  for (GtkWidget *child = gtk_widget_get_first_child (list_view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *widget = widget_tree_find (child, CAIRN_TYPE_MESSAGE_ROW);
      CairnMessage *message;

      if (widget == NULL || !gtk_widget_get_mapped (widget) || gtk_widget_get_height (widget) <= 0)
        continue;

      message = cairn_message_row_get_message (CAIRN_MESSAGE_ROW (widget));
      if (message != NULL && g_strcmp0 (cairn_message_get_content (message), bench->shown_data) == 0)
        return widget;
    }

  return NULL;
}

static gboolean
long_row_shown (gpointer data)
{
  return long_row (data) != NULL;
}

typedef struct {
  gint64 first_painted;
  guint  painted;
} FullFrames;

static void
on_full_after_paint (GdkFrameClock *clock,
                     FullFrames    *frames)
{
  if (frames->painted++ == 0)
    frames->first_painted = g_get_monotonic_time ();
}

static gboolean
full_painted (gpointer data)
{
  return ((FullFrames *) data)->painted > 0;
}

static gboolean
full_painted_ten_more (gpointer data)
{
  return ((FullFrames *) data)->painted > 10;
}

/* Draws a frame at every tick: the frames a user scrolling would get. */
static gboolean
redraw_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

/* The long message's row, Show Full Message: its window's first frames. */
static void
measure_full_message (Bench *bench,
                      char  *text)
{
  FullFrames frames = { 0 };
  g_autoptr(GList) toplevels = NULL;
  GtkWidget *full = NULL;
  GdkFrameClock *clock;
  gint64 started;
  guint tick;

  bench->shown_data = text;
  started = g_get_monotonic_time ();
  if (!gtk_widget_activate_action (long_row (bench), "row.show-full", NULL))
    fail ("the long message's row offers no Show Full Message");

  toplevels = gtk_window_list_toplevels ();
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (CAIRN_IS_MESSAGE_WINDOW (l->data))
      full = l->data;
  if (full == NULL || !gtk_widget_get_realized (full))
    fail ("Show Full Message showed no window");

  clock = gdk_surface_get_frame_clock (gtk_native_get_surface (GTK_NATIVE (full)));
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_full_after_paint), &frames);
  wait_until (full_painted, &frames, "the whole message's window painted");
  add_number (bench, "full_message_painted_ms", ms_since (started, frames.first_painted));

  started = g_get_monotonic_time ();
  tick = gtk_widget_add_tick_callback (full, redraw_tick, NULL, NULL);
  wait_until (full_painted_ten_more, &frames, "ten more frames of the whole message");
  add_number (bench, "full_message_next_10_frames_ms", ms_since (started, g_get_monotonic_time ()));

  gtk_widget_remove_tick_callback (full, tick);
  g_signal_handlers_disconnect_by_func (clock, on_full_after_paint, &frames);
  gtk_window_destroy (GTK_WINDOW (full));
}

static void
long_message_sent_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  gint64 *sent = user_data;
  g_autoptr(CairnMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = cairn_conversations_send_message_finish (CAIRN_WORKSPACE (object), result, &error);
  if (message == NULL)
    {
      g_printerr ("bench-ui: the long message was not saved: %s\n", error->message);
      exit (EXIT_FAILURE);
    }

  *sent = g_get_monotonic_time ();
}

static void
measure_long_message (Bench *bench)
{
  g_autofree char *text = NULL;
  CairnConversation *conversation = cairn_conversation_view_get_conversation (view (bench));
  gint64 started, painted;
  gint64 sent = 0;

  if (bench->long_message == NULL)
    return;

  if (g_str_equal (bench->long_message, "unbroken-100k"))
    text = long_text (100000, FALSE);
  else if (g_str_equal (bench->long_message, "spaces-100k"))
    text = long_text (100000, TRUE);
  else if (g_str_equal (bench->long_message, "unbroken-1m"))
    text = long_text (CAIRN_MAX_MESSAGE_TEXT_SIZE, FALSE);
  else
    fail ("--long-message is one of unbroken-100k, spaces-100k, unbroken-1m");

  cairn_conversation_view_scroll_to_end (view (bench));
  test_util_run_for (SHORT_SETTLE_MS);

  started = g_get_monotonic_time ();
  bench->trace_origin = started;
  cairn_conversations_send_message_async (cairn_window_get_workspace (bench->window),
                                      cairn_conversation_get_client_id (conversation), text,
                                      NULL, long_message_sent_cb, &sent);
  painted = wait_for_frame_showing (bench, long_row_shown, text, "a frame showing the long message");

  json_builder_set_member_name (bench->json, "long_message");
  json_builder_begin_object (bench->json);
  json_builder_set_member_name (bench->json, "kind");
  json_builder_add_string_value (bench->json, bench->long_message);
  add_int (bench, "bytes", strlen (text));
  add_number (bench, "sent_ms", sent != 0 ? ms_since (started, sent) : -1);
  add_number (bench, "painted_ms", ms_since (started, painted));
  json_builder_end_object (bench->json);

  /* what the frames after it cost: the window must stay usable */
  started = g_get_monotonic_time ();
  wait_for_frames (bench, 10);
  add_number (bench, "long_message_next_10_frames_ms", ms_since (started, g_get_monotonic_time ()));

  measure_full_message (bench, text);
}

/* The scenario ------------------------------------------------------------------ */

static guint
n_messages_loaded (Bench *bench)
{
  return g_list_model_get_n_items (cairn_conversation_view_get_messages (view (bench)));
}

static void
measure_start (Bench *bench)
{
  gint64 now;

  wait_until (has_frames, bench, "the first frame");
  add_number (bench, "first_frame_ms", ms_since (bench->started, bench->last_frame));

  now = wait_for_frame_showing (bench, sidebar_shows_rows, NULL, "the sidebar's rows");
  add_number (bench, "sidebar_ms", ms_since (bench->started, now));

  test_util_run_for (SETTLE_MS);
  add_int (bench, "sidebar_conversations",
              g_list_model_get_n_items (cairn_conversation_list_get_model (sidebar (bench))));
  add_memory (bench, "memory_before_open");
}

static void
measure_open (Bench *bench)
{
  OpenTimes times = open_conversation (bench, bench->open_id);

  json_builder_set_member_name (bench->json, "open");
  add_open_times (bench, &times);

  test_util_run_for (SETTLE_MS);
  add_int (bench, "messages_loaded", n_messages_loaded (bench));
  add_memory (bench, "memory_open");
}

static void
measure_reopen (Bench *bench)
{
  json_builder_set_member_name (bench->json, "reopen");
  json_builder_begin_array (bench->json);

  for (int i = 0; i < bench->reopen && bench->other_id != NULL; i++)
    {
      OpenTimes times;

      open_conversation (bench, bench->other_id);
      test_util_run_for (SHORT_SETTLE_MS);
      times = open_conversation (bench, bench->open_id);
      add_open_times (bench, &times);
      test_util_run_for (SHORT_SETTLE_MS);
    }

  json_builder_end_array (bench->json);
  add_memory (bench, "memory_after_reopen");
}

static void
add_times (Bench      *bench,
           const char *name,
           GArray     *times)
{
  g_autoptr(GArray) sorted = g_array_copy (times);
  g_autofree char *median = g_strconcat (name, "_median_ms", NULL);
  g_autofree char *max = g_strconcat (name, "_max_ms", NULL);
  g_autofree char *all = g_strconcat (name, "_ms", NULL);

  g_array_sort (sorted, stats_compare_doubles);
  add_number (bench, median, g_array_index (sorted, double, sorted->len / 2));
  add_number (bench, max, g_array_index (sorted, double, sorted->len - 1));
  json_builder_set_member_name (bench->json, all);
  json_builder_begin_array (bench->json);
  for (guint i = 0; i < times->len; i++)
    json_builder_add_double_value (bench->json, g_array_index (times, double, i));
  json_builder_end_array (bench->json);
}

static void
measure_scroll (Bench *bench)
{
  g_autoptr(GArray) times = NULL;
  g_autoptr(GArray) cpu_times = NULL;
  double total = 0;

  if (bench->scroll_pages <= 0)
    return;

  times = scroll_back (bench, bench->scroll_pages, &cpu_times);
  for (guint i = 0; i < times->len; i++)
    total += g_array_index (times, double, i);

  add_int (bench, "scroll_pages", bench->scroll_pages);
  add_number (bench, "scroll_ms", total);
  add_times (bench, "scroll_page", times);
  add_times (bench, "scroll_page_cpu", cpu_times);
  test_util_run_for (SETTLE_MS);
  add_int (bench, "messages_loaded_after_scroll", n_messages_loaded (bench));
  add_memory (bench, "memory_after_scroll");
}

static gboolean
scenario_cb (gpointer user_data)
{
  Bench *bench = user_data;

  json_builder_begin_object (bench->json);
  measure_start (bench);
  measure_open (bench);
  measure_reopen (bench);
  measure_scroll (bench);
  measure_long_message (bench);
  json_builder_end_object (bench->json);

  print_json (bench);
  g_application_quit (G_APPLICATION (bench->application));

  return G_SOURCE_REMOVE;
}

static void
on_window_added (GtkApplication *application,
                 GtkWindow      *window,
                 Bench          *bench)
{
  if (!CAIRN_IS_WINDOW (window) || bench->window != NULL)
    fail ("the application did not open its main window (could the store be opened?)");

  bench->window = CAIRN_WINDOW (window);
  g_signal_connect_after (window, "realize", G_CALLBACK (on_window_realize), bench);
  g_idle_add (scenario_cb, bench);
}

int
main (int   argc,
      char *argv[])
{
  Bench bench = { .started = g_get_monotonic_time (), .json = json_builder_new () };
  g_autofree char *data_dir = NULL;
  g_autofree char *data_dir_arg = NULL;
  const GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "The workspace's folder (holds cairn.db)", "DIR" },
    { "open", 0, 0, G_OPTION_ARG_STRING, &bench.open_id, "The conversation to open", "ID" },
    { "other", 0, 0, G_OPTION_ARG_STRING, &bench.other_id, "A conversation to open in between", "ID" },
    { "reopen", 0, 0, G_OPTION_ARG_INT, &bench.reopen, "Open --other then --open again N times", "N" },
    { "scroll-pages", 0, 0, G_OPTION_ARG_INT, &bench.scroll_pages, "Then scroll back N older pages", "N" },
    { "long-message", 0, 0, G_OPTION_ARG_STRING, &bench.long_message,
      "Then send a long message: unbroken-100k, spaces-100k or unbroken-1m", "KIND" },
    { "wait-timeout", 0, 0, G_OPTION_ARG_INT, &bench.wait_timeout_s, "Give up waiting after S seconds (30)", "S" },
    { "trace", 0, 0, G_OPTION_ARG_NONE, &bench.trace, "Print every frame's phases on stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnApplication) application = NULL;
  char *app_argv[3];
  int status;

  bench.trace_origin = bench.started;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || data_dir == NULL || bench.open_id == NULL)
    {
      g_printerr ("usage: bench-ui --data-dir=DIR --open=ID [--other=ID] [--reopen=N] [--scroll-pages=N] "
                  "[--long-message=KIND] [--wait-timeout=S] [--trace]%s%s\n",
                  error != NULL ? ": " : "", error != NULL ? error->message : "");
      return 2;
    }

  if (bench.wait_timeout_s > 0)
    wait_timeout_ms = bench.wait_timeout_s * 1000;

  /* As cairn is started: --data-dir also makes the instance non-unique. */
  application = cairn_application_new ();
  bench.application = GTK_APPLICATION (application);
  g_signal_connect (application, "window-added", G_CALLBACK (on_window_added), &bench);

  data_dir_arg = g_strconcat ("--data-dir=", data_dir, NULL);
  app_argv[0] = argv[0];
  app_argv[1] = data_dir_arg;
  app_argv[2] = NULL;
  status = g_application_run (G_APPLICATION (application), 2, app_argv);

  g_object_unref (bench.json);
  g_free (bench.open_id);
  g_free (bench.other_id);
  g_free (bench.long_message);

  return status;
}
