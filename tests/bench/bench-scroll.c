/* bench-scroll.c — scrolling back through a conversation kept on a deployment
 *
 *   bench-scroll [--pages=N] [--latency-ms=MS]
 *
 * The test peer (tests/peer) as the deployment, holding one conversation of
 * (N + 2) pages of messages written through CairnConvexStore; a window with
 * CairnConversationView on a workspace whose store is that deployment. Then,
 * with the peer's "slow" fault adding MS (40) to every request:
 *
 *   round_trip  one page of messages listed from the deployment (median of 10);
 *   pages       N times: scroll to the top of the history, until the next
 *               older page is listed and two frames have been painted with
 *               it (as bench-ui does with the local store).
 *
 * Prints one JSON object: each page's time, their median and max, and the
 * target, one round trip + 50 ms a page. Needs a display (tests/run-headless),
 * node with `npm ci` in tests/peer, GSETTINGS_BACKEND=memory.
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
#include "cairn-query.h"
#include "cairn-store.h"
#include "cairn-workspace.h"
#include "convex-peer.h"
#include "test-util.h"

#define ADMIN_KEY       "dev:cairn-bench|scroll-secret"
#define CONVERSATION_ID "00000000-0000-4000-8000-00000000000b"
#define TARGET_EXTRA_MS 50.0
#define WAIT_MS         30000

typedef struct {
  GListModel *messages;
  guint       n;
} Growth;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  g_autoptr(GArray) sorted = g_array_copy (values);

  g_array_sort (sorted, compare_doubles);
  return g_array_index (sorted, double, sorted->len / 2);
}

static double
maximum (GArray *values)
{
  double max = 0;

  for (guint i = 0; i < values->len; i++)
    max = MAX (max, g_array_index (values, double, i));
  return max;
}

static void
wait_until (gboolean  (*condition) (gpointer),
            gpointer    data,
            const char *what)
{
  if (!test_util_wait_until (condition, data, WAIT_MS))
    g_error ("Timed out waiting for %s", what);
}

static void
seed (CairnStore *store,
      guint       n_messages)
{
  g_autoptr(JsonObject) conversation = json_object_new ();

  json_object_set_string_member (conversation, "clientId", CONVERSATION_ID);
  json_object_set_string_member (conversation, "title", "Scrolling back");
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", 1767225600000.0);
  json_object_set_double_member (conversation, "updatedAt", 1767225600000.0);
  test_util_insert (store, "conversations", conversation);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autoptr(JsonObject) message = json_object_new ();
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
      test_util_insert (store, "messages", message);
    }
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

static gboolean
grew (gpointer data)
{
  Growth *growth = data;

  return g_list_model_get_n_items (growth->messages) > growth->n;
}

static gboolean
frame_drawn_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
frames_reached (gpointer data)
{
  guint *frames = data;

  return frames[0] >= frames[1];
}

static GtkAdjustment *
vadjustment (GtkWidget *view)
{
  GtkWidget *child = gtk_widget_get_first_child (view);

  /* the view's stack, its messages page: a scrolled window */
  for (GtkWidget *w = child; w != NULL; w = gtk_widget_get_first_child (w))
    for (GtkWidget *s = w; s != NULL; s = gtk_widget_get_next_sibling (s))
      if (GTK_IS_SCROLLED_WINDOW (s))
        return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (s));

  g_error ("the view has no scrolled window");
}

int
main (int   argc,
      char *argv[])
{
  int pages = 20;
  int latency_ms = 40;
  const GOptionEntry entries[] = {
    { "pages", 0, 0, G_OPTION_ARG_INT, &pages, "Scroll back N older pages (20)", "N" },
    { "latency-ms", 0, 0, G_OPTION_ARG_INT, &latency_ms, "The peer's added latency (40)", "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(CairnStore) store = NULL;
  g_autoptr(CairnWorkspace) workspace = NULL;
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(CairnConversation) conversation = NULL;
  g_autoptr(GArray) trips = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *fault = NULL;
  ConvexPeer *peer;
  GtkWindow *window;
  GtkWidget *view;
  GListModel *messages;
  Growth growth;
  guint frames[2] = { 0, 0 };
  double rtt;
  guint requests;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || pages < 1)
    {
      g_printerr ("usage: bench-scroll [--pages=N] [--latency-ms=MS]\n");
      return 2;
    }

  gtk_init ();
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  peer = convex_peer_start (ADMIN_KEY, NULL);
  client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, ADMIN_KEY);
  store = CAIRN_STORE (cairn_convex_store_new (client));
  workspace = cairn_workspace_new ("default", store);
  seed (store, (pages + 2) * CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);

  fault = g_strdup_printf ("{\"mode\": \"slow\", \"ms\": %d}", latency_ms);
  convex_peer_control (peer, "fault", fault);
  for (int i = 0; i < 10; i++)
    {
      double ms = round_trip (workspace);

      g_array_append_val (trips, ms);
    }
  rtt = median (trips);

  json_object_set_string_member (document, "clientId", CONVERSATION_ID);
  json_object_set_string_member (document, "title", "Scrolling back");
  conversation = cairn_conversation_new (document);
  view = cairn_conversation_view_new (workspace);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 600);
  gtk_window_set_child (window, view);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_drawn_cb, &frames[0], NULL);
  gtk_window_present (window);
  cairn_conversation_view_set_conversation (CAIRN_CONVERSATION_VIEW (view), conversation);
  messages = cairn_conversation_view_get_messages (CAIRN_CONVERSATION_VIEW (view));
  growth.messages = messages;
  growth.n = 0;
  wait_until (grew, &growth, "the first page");
  test_util_run_for (1000);

  requests = convex_peer_request_count (peer);
  for (int i = 0; i < pages; i++)
    {
      gint64 started = g_get_monotonic_time ();
      double ms;

      growth.n = g_list_model_get_n_items (messages);
      gtk_adjustment_set_value (vadjustment (view), 0);
      wait_until (grew, &growth, "an older page");
      frames[1] = frames[0] + 2;
      gtk_widget_queue_draw (GTK_WIDGET (window));
      wait_until (frames_reached, frames, "frames");
      ms = (g_get_monotonic_time () - started) / 1000.0;
      g_array_append_val (times, ms);
    }

  requests = convex_peer_request_count (peer) - requests;
  g_print ("{\"latency_ms\": %d, \"round_trip_ms\": %.1f, \"pages\": %d, \"requests\": %u, \"scroll_page_median_ms\": %.1f, "
           "\"scroll_page_max_ms\": %.1f, \"target_ms\": %.1f, \"scroll_page_ms\": [",
           latency_ms, rtt, pages, requests, median (times), maximum (times), rtt + TARGET_EXTRA_MS);
  for (guint i = 0; i < times->len; i++)
    g_print ("%s%.1f", i > 0 ? ", " : "", g_array_index (times, double, i));
  g_print ("]}\n");

  gtk_window_destroy (window);
  g_clear_object (&workspace);
  convex_peer_free (peer);

  return 0;
}
