/* bench-scroll.c — scrolling back through a conversation kept on a deployment
 *
 *   bench-scroll [--phase=scroll|open] [--pages=N] [--latency-ms=MS] [--page-ms=MS]
 *               [--messages=N] [--opens=N]
 *
 * The test peer (tests/peer) as the deployment, holding one conversation of
 * (N + 4) pages of messages written through CairnConvexStore; a window with
 * CairnConversationView on a workspace whose store is that deployment. Then,
 * with the peer's "slow" fault adding MS (40) to every request:
 *
 *   round_trip  one page of messages listed from the deployment (median of 10);
 *   pages       a reader scrolling up steadily, a page of messages' height
 *               (measured on the first page) every --page-ms (1000) — a fast
 *               skim — at every frame, until N older pages have come in. A
 *               page's stall is the time the view sat at the top of what was
 *               loaded, waiting, before that page came in: 0 when the view
 *               asked for it early enough.
 *
 * Prints one JSON object: each page's stall, their median and max, and the
 * target, one round trip + 50 ms a page.
 *
 * --phase=open: one conversation of --messages (10 000) messages; the view
 * is asked to show it, as the window does when its sidebar row is selected
 * (the view's "conversation", bound to the list's selection), --opens (10)
 * times, back from no conversation each time. An open lasts until the first
 * frame painted (the frame clock's after-paint) with rows on screen, the
 * newest message loaded and the view at its bottom. With MS added to every
 * request, then none: the median and max against two round trips + 100 ms,
 * and the median time to the first page's arrival (the rest is the view's).
 *
 * Needs a display (tests/run-headless), node with `npm ci` in tests/peer,
 * GSETTINGS_BACKEND=memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "bench-scroll"

#include <adwaita.h>

#include "cairn-convex-client.h"
#include "cairn-convex-store.h"
#include "cairn-conversation.h"
#include "cairn-conversation-view.h"
#include "cairn-conversations.h"
#include "cairn-message.h"
#include "cairn-query.h"
#include "cairn-store.h"
#include "cairn-workspace.h"
#include "convex-peer.h"
#include "test-util.h"
#include "../stats.h"
#include "../widget-tree.h"

#define ADMIN_KEY       "dev:cairn-bench|scroll-secret"
#define CONVERSATION_ID "00000000-0000-4000-8000-00000000000b"
#define TARGET_EXTRA_MS 50.0
#define OPEN_EXTRA_MS   100.0
#define WAIT_MS         30000

typedef struct {
  GListModel *messages;
  guint       n;
} Growth;

/* One open of the conversation: done with the first frame that shows it. */
typedef struct {
  GtkWidget  *view;
  const char *newest_id;
  gint64      loaded;  /* µs: the first page in; 0 until then */
  gint64      painted; /* µs; 0 until then */
  guint       frames;  /* painted after the first page came in */
} Opening;

typedef struct {
  CairnWorkspace *workspace;
  GtkWindow      *window;
  GtkWidget      *view;
} Bench;

/* The reader: scrolls up at a steady speed, and notes each page's stall. */
typedef struct {
  GtkAdjustment *adj;
  GListModel    *messages;
  double         px_per_ms;
  gint64         last_frame;    /* µs; 0 before the first frame */
  gint64         stalled_since; /* µs; 0 while not at the top */
  double         stalled_ms;    /* at the top since the last page came in */
  guint          n;             /* messages when the last page came in */
  guint          target_n;      /* stop with this many */
  GArray        *stalls;
} Reader;

static void
wait_until (gboolean  (*condition) (gpointer),
            gpointer    data,
            const char *what)
{
  if (!test_util_wait_until (condition, data, WAIT_MS))
    g_error ("Timed out waiting for %s", what);
}

static JsonObject *
seed_message (guint i)
{
  JsonObject *message = json_object_new ();
  g_autofree char *client_id = g_strdup_printf ("00000000-0000-4000-9000-%012u", i);
  g_autoptr(GString) content = g_string_new (NULL);

  /* one to three sentences, now and then a few paragraphs, as seed-store */
  for (guint s = 0; s < (i % 20 == 0 ? 8 : 1 + i % 3); s++)
    g_string_append (content, s % 4 == 3 ? "\n\nAnother thought, a little longer than the others were."
                                          : " Some words of a message that wrap now and then.");
  json_object_set_string_member (message, "clientId", client_id);
  json_object_set_string_member (message, "conversationId", CONVERSATION_ID);
  json_object_set_string_member (message, "role", i % 2 == 0 ? "user" : "assistant");
  json_object_set_string_member (message, "content", content->str);
  json_object_set_double_member (message, "createdAt", 1767225600000.0 + i * 30000.0);

  return message;
}

/* The conversation, then its messages in batches (as the content mover
 * writes them): seconds for 10 000, where one request each took minutes. */
static void
seed (CairnStore *store,
      guint       n_messages)
{
  g_autoptr(JsonObject) conversation = json_object_new ();
  g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) cairn_store_write_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (conversation, "clientId", CONVERSATION_ID);
  json_object_set_string_member (conversation, "title", "Scrolling back");
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", 1767225600000.0);
  json_object_set_double_member (conversation, "updatedAt", 1767225600000.0);
  test_util_insert (store, "conversations", conversation);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autoptr(JsonObject) message = seed_message (i);
      const char *id = json_object_get_string_member (message, "clientId");

      g_ptr_array_add (writes, cairn_store_write_new (CAIRN_STORE_WRITE_INSERT, "messages", id, message));
    }
  cairn_store_apply_async (store, writes, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  g_assert_true (cairn_store_apply_finish (store, result, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < writes->len; i++)
    g_assert_no_error (((CairnStoreWrite *) g_ptr_array_index (writes, i))->error);
}

/* The time of listing one page of the conversation, in ms. */
static double
round_trip (CairnWorkspace *workspace)
{
  g_autoptr(CairnQuery) query = cairn_query_new ("messages", "by_conversation");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CairnPage) page = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  cairn_query_add_equal_string (query, CONVERSATION_ID);
  cairn_query_set_descending (query, TRUE);
  cairn_query_set_page_size (query, CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);
  cairn_workspace_list_async (workspace, query, NULL, test_util_result_cb, &result);
  test_util_wait_for_result (&result);
  page = cairn_workspace_list_finish (workspace, result, &error);
  g_assert_no_error (error);

  return (g_get_monotonic_time () - started) / 1000.0;
}

/* The peer's latency set to @latency_ms (none: 0), and the round trip then:
 * the median of 10. */
static double
set_latency (ConvexPeer     *peer,
             CairnWorkspace *workspace,
             int             latency_ms)
{
  g_autofree char *fault = g_strdup_printf ("{\"mode\": \"slow\", \"ms\": %d}", latency_ms);
  g_autoptr(GArray) trips = g_array_new (FALSE, FALSE, sizeof (double));

  convex_peer_control (peer, "reset", "{}");
  if (latency_ms > 0)
    convex_peer_control (peer, "fault", fault);
  for (int i = 0; i < 10; i++)
    {
      double ms = round_trip (workspace);

      g_array_append_val (trips, ms);
    }

  return stats_percentile (trips, 0.5);
}

static gboolean
grew (gpointer data)
{
  Growth *growth = data;

  return g_list_model_get_n_items (growth->messages) > growth->n;
}

/* A frame: note a page that came in, then scroll on (or wait at the top). */
static gboolean
read_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  Reader *reader = data;
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  guint n = g_list_model_get_n_items (reader->messages);
  double value = gtk_adjustment_get_value (reader->adj);

  if (n > reader->n)
    {
      /* the stall ends with the frame that showed the page (the view keeps
       * the row being read where it was, so the value moved down) */
      if (reader->stalled_since != 0)
        reader->stalled_ms += (now - reader->stalled_since) / 1000.0;
      reader->stalled_since = 0;
      g_array_append_val (reader->stalls, reader->stalled_ms);
      reader->stalled_ms = 0;
      reader->n = n;
    }

  if (reader->n >= reader->target_n)
    return G_SOURCE_REMOVE;

  if (reader->last_frame != 0)
    value -= reader->px_per_ms * (now - reader->last_frame) / 1000.0;
  reader->last_frame = now;

  if (value <= 0)
    {
      if (reader->stalled_since == 0)
        reader->stalled_since = now;
      value = 0;
    }
  else if (reader->stalled_since != 0)
    {
      reader->stalled_ms += (now - reader->stalled_since) / 1000.0;
      reader->stalled_since = 0;
    }

  gtk_adjustment_set_value (reader->adj, value);
  return G_SOURCE_CONTINUE;
}

static gboolean
read_enough (gpointer data)
{
  Reader *reader = data;

  return reader->n >= reader->target_n;
}

/* The messages' list view (the status pages hold scrolled windows too) */
static GtkWidget *
list_view (GtkWidget *view)
{
  GtkWidget *list = widget_tree_find (view, GTK_TYPE_LIST_VIEW);

  if (list == NULL)
    g_error ("the view has no list view");

  return list;
}

static GtkAdjustment *
vadjustment (GtkWidget *view)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list_view (view)));
}

/* Rows on screen, the newest message among the loaded, the view at its
 * bottom (where it opens): the newest messages are visible. */
static gboolean
shows_newest (Opening *opening)
{
  GListModel *messages = cairn_conversation_view_get_messages (CAIRN_CONVERSATION_VIEW (opening->view));
  GtkWidget *row = gtk_widget_get_first_child (list_view (opening->view));
  g_autoptr(CairnMessage) last = NULL;
  GtkAdjustment *adj;
  guint n;

  /* the rows scrolled out of sight are kept, unmapped */
  while (row != NULL && !gtk_widget_get_mapped (row))
    row = gtk_widget_get_next_sibling (row);
  if (messages == NULL || (n = g_list_model_get_n_items (messages)) == 0 || row == NULL)
    return FALSE;
  last = g_list_model_get_item (messages, n - 1);
  if (g_strcmp0 (cairn_message_get_client_id (last), opening->newest_id) != 0)
    return FALSE;
  adj = vadjustment (opening->view);

  return gtk_adjustment_get_upper (adj) > 0 &&
         gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - 1.0;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  Opening *opening = data;

  if (opening->painted == 0 && opening->loaded != 0)
    opening->frames++;
  if (opening->painted == 0 && shows_newest (opening))
    opening->painted = g_get_monotonic_time ();
}

static void
loaded_cb (GListModel *messages,
           guint       position,
           guint       removed,
           guint       added,
           gpointer    data)
{
  Opening *opening = data;

  if (opening->loaded == 0 && added > 0)
    opening->loaded = g_get_monotonic_time ();
}

static gboolean
painted (gpointer data)
{
  return ((Opening *) data)->painted != 0;
}

/* Opens the conversation @opens times in the view, from no conversation each time; the ms each took
 * into @times, of which the first page's request took @loads, the frames
 * painted from then on into @frames; the requests they made returned. */
static guint
open_times (Bench             *bench,
            ConvexPeer        *peer,
            CairnConversation *conversation,
            const char        *newest_id,
            int                opens,
            GArray            *times,
            GArray            *loads,
            GArray            *frames)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (bench->window));
  guint requests = 0;

  for (int i = 0; i < opens; i++)
    {
      Opening opening = { NULL, newest_id, 0, 0, 0 };
      gint64 started;
      gulong handler;
      guint before;
      double ms;

      /* the view back to no conversation, shown and idle, as the window's
       * before a selection */
      opening.view = bench->view;
      cairn_conversation_view_set_conversation (CAIRN_CONVERSATION_VIEW (opening.view), NULL);
      test_util_run_for (300);

      before = convex_peer_request_count (peer);
      handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &opening);
      started = g_get_monotonic_time ();
      cairn_conversation_view_set_conversation (CAIRN_CONVERSATION_VIEW (opening.view), conversation);
      g_signal_connect (cairn_conversation_view_get_messages (CAIRN_CONVERSATION_VIEW (opening.view)),
                        "items-changed", G_CALLBACK (loaded_cb), &opening);
      wait_until (painted, &opening, "the conversation, painted");
      g_signal_handler_disconnect (clock, handler);
      g_signal_handlers_disconnect_by_data (cairn_conversation_view_get_messages (CAIRN_CONVERSATION_VIEW (opening.view)),
                                           &opening);
      requests += convex_peer_request_count (peer) - before;

      ms = (opening.painted - started) / 1000.0;
      g_array_append_val (times, ms);
      ms = (opening.loaded - started) / 1000.0;
      g_array_append_val (loads, ms);
      ms = opening.frames;
      g_array_append_val (frames, ms);
    }

  return requests;
}

/* One latency's opens, as a JSON object; whether they met the target. */
static gboolean
print_opens (int     latency_ms,
             double  rtt,
             guint   requests,
             GArray *times,
             GArray *loads,
             GArray *frames)
{
  double target = 2 * rtt + OPEN_EXTRA_MS;
  gboolean met = stats_percentile (times, 0.5) <= target;

  g_print ("{\"latency_ms\": %d, \"round_trip_ms\": %.1f, \"target_ms\": %.1f, "
           "\"open_median_ms\": %.1f, \"open_max_ms\": %.1f, \"loaded_median_ms\": %.1f, "
           "\"frames_after_load_median\": %.0f, \"requests_per_open\": %.1f, \"met\": %s, \"open_ms\": [",
           latency_ms, rtt, target, stats_percentile (times, 0.5), stats_max (times), stats_percentile (loads, 0.5), stats_percentile (frames, 0.5),
           (double) requests / times->len, met ? "true" : "false");
  for (guint i = 0; i < times->len; i++)
    g_print ("%s%.1f", i > 0 ? ", " : "", g_array_index (times, double, i));
  g_print ("]}");

  return met;
}

/* Opening the conversation at @latency_ms added, then at none. */
static void
run_open (Bench             *bench,
          ConvexPeer        *peer,
          CairnConversation *conversation,
          guint              n_messages,
          int                latency_ms,
          int                opens)
{
  g_autoptr(JsonObject) newest = seed_message (n_messages - 1);
  const char *newest_id = json_object_get_string_member (newest, "clientId");
  const int latencies[] = { latency_ms, 0 };
  gboolean met = TRUE;

  g_print ("{\"phase\": \"open\", \"messages\": %u, \"opens\": %d, \"runs\": [", n_messages, opens);
  for (guint l = 0; l < G_N_ELEMENTS (latencies); l++)
    {
      g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) loads = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (double));
      double rtt = set_latency (peer, bench->workspace, latencies[l]);
      guint requests = open_times (bench, peer, conversation, newest_id, opens, times, loads, frames);

      g_print ("%s", l > 0 ? ", " : "");
      met = print_opens (latencies[l], rtt, requests, times, loads, frames) && met;
    }
  g_print ("], \"met\": %s}\n", met ? "true" : "false");
}

/* Scrolling back at @latency_ms added, steadily, @pages older pages. */
static void
run_scroll (Bench             *bench,
            ConvexPeer        *peer,
            CairnConversation *conversation,
            int                latency_ms,
            int                pages,
            int                page_ms)
{
  g_autoptr(GArray) stalls = g_array_new (FALSE, FALSE, sizeof (double));
  GtkWidget *view = bench->view;
  GListModel *messages;
  Growth growth;
  Reader reader = { 0 };
  double rtt, page_height, stalled = 0;
  gint64 started;
  guint requests;

  rtt = set_latency (peer, bench->workspace, latency_ms);
  cairn_conversation_view_set_conversation (CAIRN_CONVERSATION_VIEW (view), conversation);
  messages = cairn_conversation_view_get_messages (CAIRN_CONVERSATION_VIEW (view));
  growth.messages = messages;
  growth.n = 0;
  wait_until (grew, &growth, "the first page");
  test_util_run_for (1000);

  /* the view may have asked for older pages already: the reader starts
   * from what is loaded now, at the bottom */
  reader.adj = vadjustment (view);
  reader.messages = messages;
  reader.n = g_list_model_get_n_items (messages);
  reader.target_n = reader.n + pages * CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE;
  page_height = gtk_adjustment_get_upper (reader.adj) * CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE / reader.n;
  reader.px_per_ms = page_height / page_ms;
  reader.stalls = stalls;

  requests = convex_peer_request_count (peer);
  started = g_get_monotonic_time ();
  gtk_widget_add_tick_callback (GTK_WIDGET (bench->window), read_cb, &reader, NULL);
  wait_until (read_enough, &reader, "the older pages, read");
  requests = convex_peer_request_count (peer) - requests;
  for (guint i = 0; i < stalls->len; i++)
    stalled += g_array_index (stalls, double, i);

  g_print ("{\"latency_ms\": %d, \"round_trip_ms\": %.1f, \"pages\": %u, \"requests\": %u, "
           "\"page_height_px\": %.0f, \"page_ms\": %d, \"read_ms\": %.0f, \"stalled_ms\": %.1f, "
           "\"stall_median_ms\": %.1f, \"stall_max_ms\": %.1f, \"target_ms\": %.1f, \"met\": %s, \"stall_ms\": [",
           latency_ms, rtt, stalls->len, requests, page_height, page_ms,
           (g_get_monotonic_time () - started) / 1000.0, stalled,
           stats_percentile (stalls, 0.5), stats_max (stalls), rtt + TARGET_EXTRA_MS,
           stats_percentile (stalls, 0.5) <= rtt + TARGET_EXTRA_MS ? "true" : "false");
  for (guint i = 0; i < stalls->len; i++)
    g_print ("%s%.1f", i > 0 ? ", " : "", g_array_index (stalls, double, i));
  g_print ("]}\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *phase = NULL;
  int pages = 20;
  int latency_ms = 40;
  int page_ms = 1000;
  int n_messages = 10000;
  int opens = 10;
  const GOptionEntry entries[] = {
    { "phase", 0, 0, G_OPTION_ARG_STRING, &phase, "scroll (the default) or open", "PHASE" },
    { "pages", 0, 0, G_OPTION_ARG_INT, &pages, "Scroll back N older pages (20)", "N" },
    { "latency-ms", 0, 0, G_OPTION_ARG_INT, &latency_ms, "The peer's added latency (40)", "MS" },
    { "page-ms", 0, 0, G_OPTION_ARG_INT, &page_ms, "Scroll up a page's height every MS (1000)", "MS" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "open: the conversation's messages (10 000)", "N" },
    { "opens", 0, 0, G_OPTION_ARG_INT, &opens, "open: times per latency (10)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(CairnStore) store = NULL;
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(CairnConversation) conversation = NULL;
  gboolean open;
  ConvexPeer *peer;
  Bench bench;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || pages < 1 || page_ms < 1 ||
      n_messages < 1 || opens < 1 || (phase != NULL && !g_str_equal (phase, "scroll") && !g_str_equal (phase, "open")))
    {
      g_printerr ("usage: bench-scroll [--phase=scroll|open] [--pages=N] [--latency-ms=MS] [--page-ms=MS] "
                  "[--messages=N] [--opens=N]\n");
      return 2;
    }
  open = g_strcmp0 (phase, "open") == 0;

  gtk_init ();
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  peer = convex_peer_start (ADMIN_KEY, NULL);
  client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  store = CAIRN_STORE (cairn_convex_store_new (client));
  bench.workspace = cairn_workspace_new ("default", store);
  seed (store, open ? (guint) n_messages : (guint) (pages + 4) * CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);

  json_object_set_string_member (document, "clientId", CONVERSATION_ID);
  json_object_set_string_member (document, "title", "Scrolling back");
  conversation = cairn_conversation_new (document);
  bench.view = cairn_conversation_view_new (bench.workspace);
  bench.window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (bench.window, 800, 600);
  gtk_window_set_child (bench.window, bench.view);
  gtk_window_present (bench.window);

  if (open)
    run_open (&bench, peer, conversation, n_messages, latency_ms, opens);
  else
    run_scroll (&bench, peer, conversation, latency_ms, pages, page_ms);

  gtk_window_destroy (bench.window);
  g_clear_object (&bench.workspace);
  convex_peer_free (peer);

  return 0;
}
