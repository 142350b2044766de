/* widget-util.h — what the widget tests share: GTK set up for tests, a
 * workspace on a SQLite file in a temporary directory, one with BYOD on
 * through a real connection, waiting on the main loop, finding widgets,
 * screenshots
 *
 * Every widget test program runs the widgets the app runs on a real
 * CairnLocalStore, under Xvfb (tests/run-headless) with
 * GSETTINGS_BACKEND=memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cairn-composer.h"
#include "cairn-connection.h"
#include "cairn-conversation-list.h"
#include "cairn-conversation-view.h"
#include "cairn-local-store.h"
#include "cairn-window.h"
#include "convex-peer.h"
#include "failing-store.h"
#include "fake-clock.h"
#include "fake-network-monitor.h"
#include "test-util.h"

G_BEGIN_DECLS

/* Dates and labels in English, GTK and libadwaita initialised for tests,
 * no animations: call first in main(). */
void widget_util_init (int    *argc,
                       char ***argv);
/* The style sheet the application loads, for screenshots as users see them. */
void load_app_style   (void);

/* A workspace on a SQLite file in a temporary directory. */
typedef struct {
  char             *dir;
  char             *path;
  CairnLocalStore  *store;
  TestFailingStore *failing;   /* (nullable) between the workspace and the store */
  CairnWorkspace   *workspace;
} Fixture;

/* @data: GINT_TO_POINTER (TRUE) puts a TestFailingStore in between. */
void fixture_setup    (Fixture       *f,
                       gconstpointer  data);
void fixture_teardown (Fixture       *f,
                       gconstpointer  data);
void open_workspace   (Fixture       *f,
                       gboolean       failing);
/* Lets what was issued finish, then drops the workspace and its store. */
void close_workspace  (Fixture       *f);

/* Waiting */

typedef gboolean (*Condition) (gpointer data);

/* Iterates the main context until @condition holds; fails the test after a while. */
void wait_until (Condition   condition,
                 gpointer    data,
                 const char *what);
/* Lets the window lay out and draw what changed. */
void wait_for_frame (gpointer window);

/* The widget tree */

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

GtkWidget *find_widget          (GtkWidget     *root,
                                 Match          match,
                                 gconstpointer  data);
gboolean   match_visible_label  (GtkWidget     *widget,
                                 gconstpointer  data);
gboolean   match_action_button  (GtkWidget     *widget,
                                 gconstpointer  data);
/* The first widget of @type under @root; asserts there is one. */
gpointer   find_child_of_type   (gpointer       root,
                                 GType          type);
void       wait_for_label       (gpointer       root,
                                 const char    *text);
gboolean   widget_drawable      (gpointer       data);
/* Whether the action @name can be activated from @widget, as a button for it would show. */
gboolean   action_enabled       (GtkWidget     *widget,
                                 const char    *name);
/* The visible AdwMessageDialog, if any. */
AdwMessageDialog *find_message_dialog (void);
/* Renders the window as it is now into <build dir>/screenshots/overlay-@name.png. */
void       save_screenshot      (CairnWindow   *window,
                                 const char    *name);
/* The same for any window, into <build dir>/screenshots/@file_name. */
void       save_window_screenshot (GtkWidget   *window,
                                   const char  *file_name);

/* Parts of a window */

/* The rows of a list view (not a status page that may still fade out). */
GtkWidget             *rows_of         (gpointer     widget);
CairnConversationList *window_list     (CairnWindow *window);
CairnConversationView *window_view     (CairnWindow *window);
CairnComposer         *window_composer (CairnWindow *window);
CairnWindow           *window_new      (Fixture     *f);

gboolean conversation_selected (gpointer     data);
gboolean messages_listed       (gpointer     data);
gboolean not_sending           (gpointer     data);
/* Types @text into the composer's text view, as the keyboard would. */
void     type_text             (CairnWindow *window,
                                const char  *text);
char    *composer_text         (CairnWindow *window);
void     press_send            (CairnWindow *window);
void     select_conversation   (CairnWindow *window,
                                const char  *client_id);

/* BYOD on: a real CairnConnection on a FakeClock (nothing is retried behind
 * the test's back) to a port where nothing listens, a port that never
 * answers, or the Convex test peer. */

#define OVERLAY_ADMIN_KEY "dev:cairn-test|overlay-secret"

typedef struct {
  Fixture             base;
  FakeClock          *clock;
  FakeNetworkMonitor *monitor;
  CairnWorkspace     *workspace;   /* on the fake clock; its user store is the connection */
  CairnConnection    *connection;
  CairnWindow        *window;
  GSocket            *silent;      /* (nullable) listens and never answers */
  char               *preferences; /* the page app.preferences was asked for */
} OverlayFixture;

/* The "default" workspace on @base's store, with @clock (a CairnClock)
 * and @monitor. */
CairnWorkspace *workspace_with_clock  (Fixture             *base,
                                       gpointer             clock,
                                       FakeNetworkMonitor  *monitor);
/* Destroys the window at @window (a GtkWindow **), takes the user store
 * from the workspace's BYOD, then drops the connection, the workspace, the
 * monitor and the clock at @clock (a GObject **). */
void            workspace_parts_clear (gpointer             window,
                                       CairnConnection    **connection,
                                       CairnWorkspace     **workspace,
                                       FakeNetworkMonitor **monitor,
                                       gpointer             clock);

void        overlay_setup        (OverlayFixture *f,
                                  gconstpointer   data);
void        overlay_teardown     (OverlayFixture *f,
                                  gconstpointer   data);
/* The peer, started by the first test that needs it. */
ConvexPeer *overlay_peer_get     (void);
/* Stops the peer, if one was started: after g_test_run(). */
void        overlay_peer_stop    (void);
/* A socket listening on a loopback port (0: any free one) that never accepts. */
GSocket    *listen_silently      (guint16         port);
/* A loopback URL; @keep: its socket stays open and silent, otherwise it is
 * closed and nothing listens there. */
char       *loopback_url         (GSocket       **keep);
/* BYOD on through a connection to @url, in a window, and its first check started. */
void        overlay_connect      (OverlayFixture *f,
                                  const char     *url,
                                  const char     *key);
/* The main window over the fixture's workspace, with app.preferences. */
void        overlay_present_window (OverlayFixture *f);
gboolean    connection_connected (gpointer        data);

/* The Cairn functions of version 1 (tests/peer/fixtures/cairn-functions-v1.json)
 * pushed to @peer as Cairn pushes its own, and a conversation with
 * @n_messages messages written through them: a deployment Cairn must update. */
void        peer_make_version_1  (ConvexPeer     *peer,
                                  const char     *key,
                                  guint           n_messages);

G_END_DECLS
