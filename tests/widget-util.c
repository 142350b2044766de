/* widget-util.c — what the widget tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "cairn-convex-store.h"
#include "cairn-functions-push.h"
#include "widget-util.h"

#define WAIT_TIMEOUT_S 10

void
widget_util_init (int    *argc,
                  char ***argv)
{
  /* Dates and labels in English, whatever the machine's locale. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);

  gtk_test_init (argc, argv, NULL);
  adw_init ();
  /* No transitions: what is shown is shown at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

void
load_app_style (void)
{
  static GtkCssProvider *style;

  if (style != NULL)
    return;

  style = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (style, "/io/github/cairnapp/Cairn/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (style),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

/* Fixture */

void
open_workspace (Fixture  *f,
                gboolean  failing)
{
  g_autoptr(GError) error = NULL;

  f->store = cairn_local_store_new (f->path, &error);
  g_assert_no_error (error);

  if (failing)
    {
      f->failing = test_failing_store_new (CAIRN_STORE (f->store));
      f->workspace = cairn_workspace_new ("default", CAIRN_STORE (f->failing));
    }
  else
    f->workspace = cairn_workspace_new ("default", CAIRN_STORE (f->store));
}

/* Lets what was issued finish, then drops the workspace and its store. */
void
close_workspace (Fixture *f)
{
  cairn_local_store_close (f->store);
  g_clear_object (&f->workspace);
  g_clear_object (&f->failing);
  g_clear_object (&f->store);
}

void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.cairnapp.Cairn");

  /* The memory backend lives as long as the process: start afresh. */
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "window-maximized");
  g_settings_reset (settings, "selected-conversation");

  f->dir = g_dir_make_tmp ("cairn-widgets-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "cairn.db", NULL);
  open_workspace (f, GPOINTER_TO_INT (data));
}

void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_workspace (f);
  test_util_remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* Waiting */

/* Iterates the main context until @condition holds; fails the test after a while. */
void
wait_until (Condition   condition,
            gpointer    data,
            const char *what)
{
  if (!test_util_wait_until (condition, data, WAIT_TIMEOUT_S * 1000))
    g_error ("Timed out waiting for %s", what);
}

static gboolean
frame_drawn_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;

  return G_SOURCE_REMOVE;
}

/* Lets the window lay out and draw what changed. */
void
wait_for_frame (gpointer window)
{
  gboolean drawn = FALSE;

  gtk_widget_queue_draw (GTK_WIDGET (window));
  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_drawn_cb, &drawn, NULL);
  while (!drawn)
    g_main_context_iteration (NULL, TRUE);
  test_util_run_for (50);
}

/* The widget tree */

GtkWidget *
find_widget (GtkWidget     *root,
             Match          match,
             gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
match_type (GtkWidget     *widget,
            gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

gboolean
match_visible_label (GtkWidget     *widget,
                     gconstpointer  data)
{
  return GTK_IS_LABEL (widget)
         && gtk_widget_is_drawable (widget)
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), data) == 0;
}

gboolean
match_action_button (GtkWidget     *widget,
                     gconstpointer  data)
{
  return GTK_IS_BUTTON (widget)
         && gtk_widget_is_drawable (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0;
}

gpointer
find_child_of_type (gpointer root,
                    GType    type)
{
  GtkWidget *found = find_widget (GTK_WIDGET (root), match_type, GSIZE_TO_POINTER (type));

  g_assert_nonnull (found);
  return found;
}

typedef struct {
  GtkWidget  *root;
  const char *text;
} LabelSearch;

static gboolean
label_shown (gpointer data)
{
  LabelSearch *search = data;

  return find_widget (search->root, match_visible_label, search->text) != NULL;
}

void
wait_for_label (gpointer    root,
                const char *text)
{
  LabelSearch search = { GTK_WIDGET (root), text };
  g_autofree char *what = g_strdup_printf ("a label “%s”", text);

  wait_until (label_shown, &search, what);
}

gboolean
widget_drawable (gpointer data)
{
  return gtk_widget_is_drawable (data);
}

gboolean
action_enabled (GtkWidget  *widget,
                const char *name)
{
  GtkWidget *probe = gtk_button_new ();
  gboolean enabled;

  gtk_actionable_set_action_name (GTK_ACTIONABLE (probe), name);
  gtk_widget_set_parent (probe, widget);
  enabled = gtk_widget_get_sensitive (probe);
  gtk_widget_unparent (probe);

  return enabled;
}

AdwMessageDialog *
find_message_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

/* Renders the window as it is now into <build dir>/screenshots/overlay-@name.png. */
void
save_screenshot (CairnWindow *window,
                 const char  *name)
{
  g_autofree char *file = g_strdup_printf ("overlay-%s.png", name);

  save_window_screenshot (GTK_WIDGET (window), file);
}

void
save_window_screenshot (GtkWidget  *window,
                        const char *file)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  const char *root = g_getenv ("CAIRN_BUILD_ROOT");
  int width, height;

  /* a frame with everything laid out and styled */
  wait_for_frame (window);

  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));

  if (root != NULL)
    dir = g_build_filename (root, "screenshots", NULL);
  else
    dir = g_test_build_filename (G_TEST_BUILT, "..", "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* Parts of a window */

/* The rows of a list view (not a status page that may still fade out). */
GtkWidget *
rows_of (gpointer widget)
{
  return find_child_of_type (widget, GTK_TYPE_LIST_VIEW);
}

CairnConversationList *
window_list (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_CONVERSATION_LIST);
}

CairnConversationView *
window_view (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_CONVERSATION_VIEW);
}

CairnComposer *
window_composer (CairnWindow *window)
{
  return find_child_of_type (window, CAIRN_TYPE_COMPOSER);
}

CairnWindow *
window_new (Fixture *f)
{
  CairnWindow *window = cairn_window_new (NULL, f->workspace);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

gboolean
conversation_selected (gpointer data)
{
  CairnWindow *window = data;

  return cairn_conversation_list_get_selected_conversation (window_list (window)) != NULL
         && cairn_composer_get_conversation (window_composer (window)) != NULL;
}

gboolean
messages_listed (gpointer data)
{
  CairnConversationView *view = data;

  return cairn_conversation_view_get_messages (view) != NULL
         && g_list_model_get_n_items (cairn_conversation_view_get_messages (view)) > 0;
}

gboolean
not_sending (gpointer data)
{
  return !cairn_composer_get_sending (data);
}

/* Types @text into the composer's text view, as the keyboard would. */
void
type_text (CairnWindow *window,
           const char  *text)
{
  GtkTextView *view = find_child_of_type (window_composer (window), GTK_TYPE_TEXT_VIEW);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);

  gtk_text_buffer_insert_interactive_at_cursor (buffer, text, -1, TRUE);
}

char *
composer_text (CairnWindow *window)
{
  return cairn_composer_get_text (window_composer (window));
}

void
press_send (CairnWindow *window)
{
  GtkWidget *button = find_widget (GTK_WIDGET (window_composer (window)),
                                   match_action_button, "composer.send");

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  gtk_widget_activate (button);
}

void
select_conversation (CairnWindow *window,
                     const char  *client_id)
{
  cairn_conversation_list_select (window_list (window), client_id);
  wait_until (conversation_selected, window, "a conversation to be selected");
  g_assert_cmpstr (cairn_conversation_get_client_id (cairn_composer_get_conversation (window_composer (window))),
                   ==, client_id);
}

/* BYOD on, through a real connection */

static ConvexPeer *overlay_peer;

CairnWorkspace *
workspace_with_clock (Fixture            *base,
                      gpointer            clock,
                      FakeNetworkMonitor *monitor)
{
  return g_object_new (CAIRN_TYPE_WORKSPACE,
                       "id", "default",
                       "main-store", base->store,
                       "clock", clock,
                       "network-monitor", monitor,
                       NULL);
}

void
workspace_parts_clear (gpointer             window,
                       CairnConnection    **connection,
                       CairnWorkspace     **workspace,
                       FakeNetworkMonitor **monitor,
                       gpointer             clock)
{
  g_clear_pointer ((GtkWindow **) window, gtk_window_destroy);
  cairn_byod_set_user_store (cairn_workspace_get_byod (*workspace), NULL);
  g_clear_object (connection);
  g_clear_object (workspace);
  g_clear_object (monitor);
  g_clear_object ((GObject **) clock);
}

void
overlay_setup (OverlayFixture *f,
               gconstpointer   data)
{
  load_app_style ();
  fixture_setup (&f->base, GINT_TO_POINTER (FALSE));
  f->clock = fake_clock_new ();
  f->monitor = fake_network_monitor_new ();
  f->workspace = workspace_with_clock (&f->base, f->clock, f->monitor);
}

void
overlay_teardown (OverlayFixture *f,
                  gconstpointer   data)
{
  workspace_parts_clear (&f->window, &f->connection, &f->workspace, &f->monitor, &f->clock);
  if (f->silent != NULL)
    g_socket_close (f->silent, NULL);
  g_clear_object (&f->silent);
  g_free (f->preferences);
  if (overlay_peer != NULL)
    convex_peer_control (overlay_peer, "reset", "{}");
  fixture_teardown (&f->base, GINT_TO_POINTER (FALSE));
}

ConvexPeer *
overlay_peer_get (void)
{
  if (overlay_peer == NULL)
    overlay_peer = convex_peer_start (OVERLAY_ADMIN_KEY, NULL);

  return overlay_peer;
}

void
overlay_peer_stop (void)
{
  g_clear_pointer (&overlay_peer, convex_peer_free);
}

/* A socket listening on a loopback port (0: any free one) that never accepts:
 * a request sent there waits for an answer that never comes. */
GSocket *
listen_silently (guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);

  g_assert_no_error (error);
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&socket);
}

/* A loopback URL; @keep: its socket stays open and silent, otherwise it is
 * closed and nothing listens there. */
char *
loopback_url (GSocket **keep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = listen_silently (0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  if (keep != NULL)
    *keep = g_steal_pointer (&socket);
  else
    g_socket_close (socket, NULL);

  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  OverlayFixture *f = user_data;

  g_free (f->preferences);
  f->preferences = g_variant_dup_string (parameter, NULL);
}

/* BYOD on through a connection to @url, in a window, and its first check started. */
void
overlay_connect (OverlayFixture *f,
                 const char     *url,
                 const char     *key)
{
  g_autoptr(CairnConvexClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = cairn_convex_client_new (url, &error);
  g_assert_no_error (error);
  if (key != NULL)
    cairn_convex_client_set_admin_key (client, key);

  f->connection = cairn_connection_new ("default", client, CAIRN_CLOCK (f->clock), G_NETWORK_MONITOR (f->monitor));
  cairn_byod_set_user_store (cairn_workspace_get_byod (f->workspace), CAIRN_STORE (f->connection));

  overlay_present_window (f);
  cairn_connection_start (f->connection);
}

/* The main window over the fixture's workspace, with app.preferences. */
void
overlay_present_window (OverlayFixture *f)
{
  g_autoptr(GSimpleActionGroup) app = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) preferences = g_simple_action_new ("preferences", G_VARIANT_TYPE_STRING);

  f->window = cairn_window_new (NULL, f->workspace);
  /* what the application would do with Check Settings */
  g_signal_connect (preferences, "activate", G_CALLBACK (preferences_activated), f);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (preferences));
  gtk_widget_insert_action_group (GTK_WIDGET (f->window), "app", G_ACTION_GROUP (app));
  gtk_window_present (GTK_WINDOW (f->window));
}

gboolean
connection_connected (gpointer data)
{
  return cairn_connection_get_state (data) == CAIRN_CONNECTION_CONNECTED;
}

/* A deployment as version 1 of Cairn left it */

/* 1 March 2026, 09:30 UTC: when version 1 wrote it */
#define VERSION_1_TIME 1772357400000.0

static void
pushed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  cairn_functions_push_run_finish (CAIRN_FUNCTIONS_PUSH (object), result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

void
peer_make_version_1 (ConvexPeer *peer,
                     const char *key,
                     guint       n_messages)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("CAIRN_SOURCE_ROOT"), "tests", "peer", "fixtures",
                                            "cairn-functions-v1.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bundle = NULL;
  g_autoptr(CairnConvexClient) client = cairn_convex_client_new (convex_peer_get_url (peer), &error);
  g_autoptr(CairnFunctionsPush) push = NULL;
  g_autoptr(CairnConvexStore) store = NULL;
  g_autoptr(JsonObject) document = json_object_new ();
  g_autofree char *conversation_id = g_uuid_string_random ();
  gboolean pushed = FALSE;
  gsize length;

  g_assert_no_error (error);
  cairn_convex_client_set_admin_key (client, key);
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  bundle = g_bytes_new_take (g_steal_pointer (&contents), length);

  push = cairn_functions_push_new (client, bundle);
  cairn_functions_push_run_async (push, NULL, pushed_cb, &pushed);
  wait_until (is_true, &pushed, "the push of the version 1 functions");

  /* what version 1 wrote: a conversation without messageCount */
  store = cairn_convex_store_new (client);
  json_object_set_string_member (document, "clientId", conversation_id);
  json_object_set_string_member (document, "title", "Written by version 1");
  json_object_set_boolean_member (document, "pinned", FALSE);
  json_object_set_boolean_member (document, "archived", FALSE);
  json_object_set_double_member (document, "createdAt", VERSION_1_TIME);
  json_object_set_double_member (document, "updatedAt", VERSION_1_TIME);
  json_object_unref (test_util_store_insert (CAIRN_STORE (store), "conversations", document, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < n_messages; i++)
    {
      g_autoptr(JsonObject) message = json_object_new ();
      g_autofree char *message_id = g_uuid_string_random ();

      json_object_set_string_member (message, "clientId", message_id);
      json_object_set_string_member (message, "conversationId", conversation_id);
      json_object_set_string_member (message, "role", "user");
      json_object_set_string_member (message, "content", "From before the update");
      json_object_set_double_member (message, "createdAt", VERSION_1_TIME + 1000 * (i + 1));
      json_object_unref (test_util_store_insert (CAIRN_STORE (store), "messages", message, &error));
      g_assert_no_error (error);
    }
}
