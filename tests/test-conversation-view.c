/* test-conversation-view.c — the messages of a long conversation: older pages
 * land above what the user reads without moving it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-conversations.h"
#include "cairn-message.h"
#include "cairn-message-row.h"
#include "cairn-paged-list.h"
#include "widget-util.h"

#define N_MESSAGES 120
#define CONVERSATION_ID "00000000-0000-4000-8000-000000000001"

typedef struct {
  Fixture            base;
  GtkWindow         *window;
  CairnConversationView *view;
  GListModel        *messages;
} ViewFixture;

/* Messages of very different heights, so that estimated row heights are wrong. */
static char *
message_text (guint i)
{
  GString *text = g_string_new (NULL);
  guint sentences = 1 + (i * 7) % 11;

  g_string_append_printf (text, "Message %u.", i);
  for (guint s = 0; s < sentences; s++)
    g_string_append (text, s % 4 == 3 ? "\n\nA new paragraph, with a few more words in it."
                                       : " Some words that make the bubble wrap now and then.");

  return g_string_free (text, FALSE);
}

static void
seed_conversation (ViewFixture *f,
                   const char  *conversation_id)
{
  g_autoptr(JsonObject) conversation = json_object_new ();

  json_object_set_string_member (conversation, "clientId", conversation_id);
  json_object_set_string_member (conversation, "title", "Long");
  json_object_set_boolean_member (conversation, "pinned", FALSE);
  json_object_set_boolean_member (conversation, "archived", FALSE);
  json_object_set_double_member (conversation, "createdAt", 1767225600000.0);
  json_object_set_double_member (conversation, "updatedAt", 1767225600000.0);
  test_util_insert (CAIRN_STORE (f->base.store), "conversations", conversation);

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autoptr(JsonObject) message = json_object_new ();
      g_autofree char *client_id = g_strdup_printf ("00000000-0000-4000-9000-%012u", i);
      g_autofree char *content = message_text (i);

      json_object_set_string_member (message, "clientId", client_id);
      json_object_set_string_member (message, "conversationId", conversation_id);
      json_object_set_string_member (message, "role", i % 2 == 0 ? "user" : "assistant");
      json_object_set_string_member (message, "content", content);
      json_object_set_double_member (message, "createdAt", 1767225600000.0 + i * 30000.0);
      test_util_insert (CAIRN_STORE (f->base.store), "messages", message);
    }
}

static void
view_setup (ViewFixture   *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) document = json_object_new ();
  g_autoptr(CairnConversation) conversation = NULL;

  fixture_setup (&f->base, GINT_TO_POINTER (FALSE));
  seed_conversation (f, CONVERSATION_ID);

  json_object_set_string_member (document, "clientId", CONVERSATION_ID);
  json_object_set_string_member (document, "title", "Long");
  conversation = cairn_conversation_new (document);

  f->view = CAIRN_CONVERSATION_VIEW (cairn_conversation_view_new (f->base.workspace));
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 480, 600);
  gtk_window_set_child (f->window, GTK_WIDGET (f->view));
  gtk_window_present (f->window);
  cairn_conversation_view_set_conversation (f->view, conversation);
  f->messages = cairn_conversation_view_get_messages (f->view);
}

static void
view_teardown (ViewFixture   *f,
               gconstpointer  data)
{
  gtk_window_destroy (f->window);
  test_util_run_for (50);
  fixture_teardown (&f->base, data);
}

/* Helpers */

static GtkScrolledWindow *
scrolled_window (ViewFixture *f)
{
  GtkWidget *list_view = find_child_of_type (f->view, GTK_TYPE_LIST_VIEW);

  return GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (list_view, GTK_TYPE_SCROLLED_WINDOW));
}

static GtkAdjustment *
vadjustment (ViewFixture *f)
{
  return gtk_scrolled_window_get_vadjustment (scrolled_window (f));
}

static gboolean
has_messages (gpointer data)
{
  ViewFixture *f = data;

  return f->messages != NULL && g_list_model_get_n_items (f->messages) > 0;
}

typedef struct {
  ViewFixture *f;
  guint        n;
} Growth;

static gboolean
grew (gpointer data)
{
  Growth *growth = data;

  return g_list_model_get_n_items (growth->f->messages) > growth->n;
}

static void
wait_for_frames (ViewFixture *f,
                 guint        n)
{
  for (guint i = 0; i < n; i++)
    wait_for_frame (f->window);
}

/* The row showing @client_id, if it has one that is laid out. */
static GtkWidget *
row_of (ViewFixture *f,
        const char  *client_id)
{
  GtkWidget *list_view = find_child_of_type (f->view, GTK_TYPE_LIST_VIEW);

  for (GtkWidget *item = gtk_widget_get_first_child (list_view); item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = find_child_of_type (item, CAIRN_TYPE_MESSAGE_ROW);
      CairnMessage *message;

      if (row == NULL || !gtk_widget_get_mapped (row))
        continue;
      message = cairn_message_row_get_message (CAIRN_MESSAGE_ROW (row));
      if (message != NULL && g_strcmp0 (cairn_message_get_client_id (message), client_id) == 0)
        return row;
    }

  return NULL;
}

/* Where the top of @client_id's row is on screen (in the scrolled window). */
static double
screen_y (ViewFixture *f,
          const char  *client_id)
{
  GtkWidget *row = row_of (f, client_id);
  graphene_point_t point;

  if (row == NULL)
    g_error ("no row shows %s (%u messages, value %.0f of %.0f)", client_id,
             g_list_model_get_n_items (f->messages), gtk_adjustment_get_value (vadjustment (f)),
             gtk_adjustment_get_upper (vadjustment (f)));
  g_assert_true (gtk_widget_compute_point (row, GTK_WIDGET (scrolled_window (f)),
                                           &GRAPHENE_POINT_INIT (0, 0), &point));
  return point.y;
}

/* The message of the first row whose top is on screen. */
static char *
first_visible_message (ViewFixture *f)
{
  GtkWidget *list_view = find_child_of_type (f->view, GTK_TYPE_LIST_VIEW);
  g_autofree char *best = NULL;
  double best_y = G_MAXDOUBLE;

  for (GtkWidget *item = gtk_widget_get_first_child (list_view); item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = find_child_of_type (item, CAIRN_TYPE_MESSAGE_ROW);
      graphene_point_t point;

      if (row == NULL || !gtk_widget_get_mapped (row)
          || !gtk_widget_compute_point (row, GTK_WIDGET (scrolled_window (f)),
                                        &GRAPHENE_POINT_INIT (0, 0), &point))
        continue;
      if (point.y >= 0 && point.y < best_y)
        {
          best_y = point.y;
          g_free (best);
          best = g_strdup (cairn_message_get_client_id (cairn_message_row_get_message (CAIRN_MESSAGE_ROW (row))));
        }
    }

  g_assert_nonnull (best);
  return g_steal_pointer (&best);
}

static void
open_conversation (ViewFixture *f)
{
  wait_until (has_messages, f, "the first page of messages");
  wait_for_frames (f, 5);
  /* the newest page is taller than the view: nothing more is loaded yet */
  g_assert_cmpuint (g_list_model_get_n_items (f->messages), ==, CAIRN_CONVERSATIONS_MESSAGES_PAGE_SIZE);
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadjustment (f)), >, gtk_adjustment_get_page_size (vadjustment (f)));
}

/* Tests */

/* Scrolled to the very top: the next older page is loaded and lands above;
 * the message that was at the top stays where it was on screen, at the top.
 * (Where exactly cannot be read before the page lands: it may land before
 * the frame that would show the top. It is the same place every time, the
 * top of the first row, a few pixels of padding down.) */
static void
test_prepend_at_top_keeps_position (ViewFixture   *f,
                                    gconstpointer  data)
{
  Growth growth = { f, 0 };
  double first_y = -1;

  open_conversation (f);

  for (guint page = 0; page < 3; page++)
    {
      g_autoptr(CairnMessage) oldest = g_list_model_get_item (f->messages, 0);
      g_autofree char *top = g_strdup (cairn_message_get_client_id (oldest));
      double y;

      growth.n = g_list_model_get_n_items (f->messages);
      gtk_adjustment_set_value (vadjustment (f), 0);
      wait_until (grew, &growth, "an older page");
      wait_for_frames (f, 3);

      /* the new page is above, out of sight; what was on top still is */
      g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment (f)), >, 0);
      y = screen_y (f, top);
      g_assert_cmpfloat (y, >=, 0);
      g_assert_cmpfloat (y, <, 40);
      if (first_y >= 0)
        g_assert_cmpfloat_with_epsilon (y, first_y, 1.0);
      first_y = y;
    }
}

/* Halfway up, an older page asked for (as the view does ahead of the top):
 * whatever row the user reads stays where it is. */
static void
test_prepend_mid_scroll_keeps_position (ViewFixture   *f,
                                        gconstpointer  data)
{
  Growth growth = { f, 0 };
  g_autofree char *top = NULL;
  GtkAdjustment *adj;
  double before, value;

  open_conversation (f);
  adj = vadjustment (f);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 2);
  wait_for_frames (f, 3);

  top = first_visible_message (f);
  before = screen_y (f, top);
  value = gtk_adjustment_get_value (adj);
  growth.n = g_list_model_get_n_items (f->messages);
  cairn_paged_list_load_more (CAIRN_PAGED_LIST (f->messages));
  wait_until (grew, &growth, "an older page");
  wait_for_frames (f, 3);

  g_assert_cmpfloat_with_epsilon (screen_y (f, top), before, 1.0);
  /* the rows above it made the content taller by as much as it scrolled */
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, value);
}

/* The history stops at its oldest message; the view keeps working there. */
static void
test_scroll_to_the_beginning (ViewFixture   *f,
                              gconstpointer  data)
{
  open_conversation (f);

  for (guint i = 0; i < 20 && g_list_model_get_n_items (f->messages) < N_MESSAGES; i++)
    {
      gtk_adjustment_set_value (vadjustment (f), 0);
      wait_for_frames (f, 3);
    }

  g_assert_cmpuint (g_list_model_get_n_items (f->messages), ==, N_MESSAGES);
  g_assert_true (cairn_paged_list_get_done (CAIRN_PAGED_LIST (f->messages)));
}

static gboolean
at_bottom (ViewFixture *f)
{
  GtkAdjustment *adj = vadjustment (f);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - 1.0;
}

/* To no conversation and back, scrolled up before: the view opens at its
 * end again, and GtkListView is never asked to scroll an empty list (it
 * warns, and warnings fail the test). */
static void
test_back_from_none (ViewFixture   *f,
                     gconstpointer  data)
{
  g_autoptr(CairnConversation) conversation = g_object_ref (cairn_conversation_view_get_conversation (f->view));

  open_conversation (f);
  g_assert_true (at_bottom (f));
  gtk_adjustment_set_value (vadjustment (f), gtk_adjustment_get_upper (vadjustment (f)) / 3);
  wait_for_frames (f, 3);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CairnMessage) last = NULL;

      cairn_conversation_view_set_conversation (f->view, NULL);
      wait_for_frames (f, 3);
      cairn_conversation_view_set_conversation (f->view, conversation);
      f->messages = cairn_conversation_view_get_messages (f->view);
      wait_until (has_messages, f, "the first page of messages");
      wait_for_frames (f, 2);

      g_assert_true (at_bottom (f));
      last = g_list_model_get_item (f->messages, g_list_model_get_n_items (f->messages) - 1);
      g_assert_nonnull (row_of (f, cairn_message_get_client_id (last)));
    }
}

int
main (int   argc,
      char *argv[])
{
  widget_util_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add (path, ViewFixture, NULL, view_setup, func, view_teardown)
  ADD ("/widgets/conversation-view/prepend-at-top-keeps-position", test_prepend_at_top_keeps_position);
  ADD ("/widgets/conversation-view/prepend-mid-scroll-keeps-position", test_prepend_mid_scroll_keeps_position);
  ADD ("/widgets/conversation-view/scroll-to-the-beginning", test_scroll_to_the_beginning);
  ADD ("/widgets/conversation-view/back-from-none", test_back_from_none);
#undef ADD

  return g_test_run ();
}
