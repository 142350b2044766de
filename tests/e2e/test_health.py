#!/usr/bin/python3
"""End to end: Database Health, on the real cairn binary.

A Convex test peer stands in for the user's deployment and a real
gnome-keyring-daemon for the keyring. Through AT-SPI and the keyboard, as a
person would:

- Preferences → Database, the peer's URL and deploy key, Save;
- the main menu (F10) → Database Health: the window names the deployment
  and judges it;
- Check Health: the check runs, "Last Check" and "Last Successful Check"
  move on; with the peer answering queries in a second, the next Check
  Health finds them slow and says so;
- Escape closes the window.

And the alerts, with tests/e2e/notification_server.py as the desktop's
notification service: while another window has the focus, the deployment
refusing every connection is told once ("Cannot Reach Your Database", with
Retry and Open Database Health), its return once more; the notification's
Open Database Health, activated as GNOME Shell does (ActivateAction on
Cairn's bus name), opens the window.

A screenshot of the window lands in <build dir>/screenshots/e2e-health.png.
"""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import name_of, role_name, walk, wait_for  # noqa: E402
from gi.repository import Atspi  # noqa: E402  (cairnui loaded gi)
from byod_helpers import (SHOTS, CairnWithDeployment, close_preferences, connect_byod, die_with_parent,  # noqa: E402
                          helper_env, keyring_available, open_database_page, peer_available)

DEPLOY_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS1oZWFsdGgifQ=="
TITLE = "Database Health"


MISSING = object()


def row_value(app, window, title, missing=MISSING):
    """The text shown after the label `title` in its row (the label that
    follows it, in the order the window lists its widgets). While the
    accessibility tree is being rebuilt the row can be briefly absent:
    `missing` is returned then, if given."""
    labels = [node for node in walk(window) if role_name(node) == "label"]
    for i, label in enumerate(labels):
        if name_of(label) == title and i + 1 < len(labels):
            return name_of(labels[i + 1])
    if missing is not MISSING:
        return missing
    raise AssertionError(f"no row {title} in {TITLE}")


def row_changed(app, window, title, before):
    """Whether the row `title` is there and shows something else than `before`."""
    value = row_value(app, window, title, missing=None)
    return value is not None and value != before


def focus_window(app, title):
    """The X input focus to the window called title (Xvfb has no window manager)."""
    ids = wait_for(lambda: subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(app.proc.pid),
                                           "--name", f"^{title}$"], capture_output=True, text=True).stdout.split(),
                   what=f"the window {title}")
    subprocess.run(["xdotool", "windowfocus", "--sync", ids[-1]], capture_output=True, check=True)


def notifications(path):
    """What the notification server got so far."""
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [json.loads(line) for line in log if line.strip()]


def shown(path):
    return [n for n in notifications(path) if n["method"] == "AddNotification"]


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class HealthWindow(CairnWithDeployment):
    name = "e2e-health"
    deploy_key = DEPLOY_KEY
    debug = "cairn-health cairn-connection"

    def open_from_menu(self, app):
        """F10 opens the main menu; Database Health is its first item."""
        app.key("F10")
        item = app.wait(role="menu item", name="Database Health")
        app.click(item)
        return wait_for(lambda: app.toplevel(TITLE), what=f"the {TITLE} window")

    def test_check_health(self):
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)

        window = self.open_from_menu(app)
        # judged on the few requests of connecting so far: the peer's first answers can be slow
        wait_for(lambda: any(app.find(role="label", name=verdict, root=window) for verdict in ("Healthy", "Degraded")),
                 what="the verdict")
        app.wait(role="label", name=self.peer.url, root=window)
        self.assertEqual(row_value(app, window, "Schema Version"), "2")
        last_check = row_value(app, window, "Last Check")
        last_success = row_value(app, window, "Last Successful Check")
        self.assertNotEqual(last_success, "Never")

        # the times shown have seconds: one later is another time
        time.sleep(1.1)
        app.click(app.wait(role="push button", name="Check Health", root=window))
        wait_for(lambda: row_changed(app, window, "Last Successful Check", last_success), timeout=30,
                 what="Last Successful Check to change")
        wait_for(lambda: row_changed(app, window, "Last Check", last_check), what="Last Check to change")
        self.assertGreaterEqual(self.peer.stats()["byFunction"].get("cairn:health", 0), 1)

        # queries answered in a second: the next check finds them slow, and says so
        self.peer.fault(mode="slow", ms=1000, path="/api/query")
        app.click(app.wait(role="push button", name="Check Health", root=window))
        wait_for(lambda: any(app.find(role="label", name=verdict, root=window) for verdict in ("Degraded", "Unhealthy")),
                 timeout=30, what="a slow verdict")
        app.wait(role="label", name_contains="Queries took", root=window)
        app.screenshot(os.path.join(SHOTS, "e2e-health.png"), title=TITLE)

        focus_window(app, TITLE)
        subprocess.run(["xdotool", "key", "Escape"], check=True)
        wait_for(lambda: app.toplevel(TITLE) is None, what=f"Escape to close {TITLE}")
        app.quit()

    def test_from_database_page(self):
        """Preferences → Database → Database Health is a live row: the app's
        action reaches the Preferences window (it is one of the app's)."""
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)
        preferences = open_database_page(app)
        row = app.wait(role="list item", name=TITLE, root=preferences)
        wait_for(lambda: row.get_state_set().contains(Atspi.StateType.SENSITIVE),
                 what="the Database Health row to be sensitive")
        close_preferences(app, preferences)
        app.quit()

    def start_notification_server(self):
        log = os.path.join(self.dir, "notifications.jsonl")
        server = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                    "notification_server.py"), log],
                                  stdout=subprocess.PIPE, text=True, env=helper_env(), preexec_fn=die_with_parent)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        self.assertEqual(server.stdout.readline().strip(), "ready")
        return log

    def test_alert_in_the_background(self):
        log = self.start_notification_server()
        # the shortest interval between periodic checks: the outage is found within 30 s
        settings = os.path.join(self.home, "config", "glib-2.0", "settings")
        os.makedirs(settings, exist_ok=True)
        with open(os.path.join(settings, "keyfile"), "w") as keyfile:
            keyfile.write("[io/github/cairnapp/Cairn]\nhealth-check-interval=uint32 30\n")

        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)

        # another window has the focus: Cairn is in the background
        other = subprocess.Popen(["xmessage", "-name", "elsewhere", "-title", "Elsewhere", "Elsewhere"],
                                 preexec_fn=die_with_parent)
        self.addCleanup(other.kill)
        ids = wait_for(lambda: subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Elsewhere$"],
                                              capture_output=True, text=True).stdout.split(), what="another window")
        subprocess.run(["xdotool", "windowfocus", "--sync", ids[-1]], check=True)
        self.assertEqual(shown(log), [])

        self.peer.fault(mode="refuse")
        wait_for(lambda: shown(log), timeout=60, what="the alert")
        alert = shown(log)[0]
        self.assertEqual(alert["app"], "io.github.cairnapp.Cairn")
        self.assertEqual(alert["title"], "Cannot Reach Your Database")
        self.assertIn("could not be reached", alert["body"])
        self.assertEqual([b["label"] for b in alert["buttons"]], ["Retry", "Open Database Health"])
        self.assertEqual([b["action"] for b in alert["buttons"]], ["app.retry-connection", "app.database-health"])

        # the probes go on failing: still one; then it is back, and healthy for a minute
        time.sleep(15)
        self.assertEqual(len(shown(log)), 1)
        self.peer.reset()
        wait_for(lambda: len(shown(log)) >= 2, timeout=120, what="the all-clear")
        self.assertEqual(shown(log)[1]["title"], "Your Database Is Healthy Again")
        self.assertEqual(shown(log)[1]["id"], alert["id"])
        time.sleep(2)
        self.assertEqual(len(shown(log)), 2)

        # Open Database Health, as the shell does it
        subprocess.run(["gdbus", "call", "--session", "--dest", "io.github.cairnapp.Cairn",
                        "--object-path", "/io/github/cairnapp/Cairn",
                        "--method", "org.freedesktop.Application.ActivateAction", "database-health", "[]", "{}"],
                       check=True, capture_output=True, env=helper_env())
        window = wait_for(lambda: app.toplevel(TITLE), what=f"the {TITLE} window")
        app.wait(role="label", name="Healthy", root=window)
        app.quit()


if __name__ == "__main__":
    unittest.main(verbosity=2)
