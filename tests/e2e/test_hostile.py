#!/usr/bin/python3
"""End to end: whatever answers at the deployment's address, Cairn keeps running.

The real binary against the Convex test peer (tests/peer) with its fault
modes, a real gnome-keyring-daemon, driven through AT-SPI as a person would:

- Test Connection against an address that answers every request with an
  empty 404, 408 or 502 (a wrong URL, a proxy, a deployment timing out):
  Cairn keeps running and the failed step says why;
- BYOD on, and such an address when Cairn starts: the blocking overlay,
  not a crash, and Cairn still running seconds later;
- the deployment starts redirecting (a captive portal, a moved address):
  blocked with "Your Database Redirected Elsewhere", the message sent
  meanwhile stays pending in the outbox, and is delivered exactly once when
  the redirect is gone;
- saved settings whose URL Cairn refuses (edited outside Cairn): blocked with
  "Database Settings Cannot Be Used" and nothing written to this computer;
- the running process writes no core file (it holds the deploy key).
"""
import os
import sqlite3
import sys
import time
import unittest


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import count_rows, database_path, log, name_of, role_name, walk, wait_for  # noqa: E402
from byod_helpers import (SHOTS, UNREACHABLE, Blocker, CairnWithDeployment, close_preferences,  # noqa: E402
                          connect_byod, keyring_available, open_database_page, peer_available)


DEPLOY_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS1ob3N0aWxlIn0="
REDIRECTED = "Your Database Redirected Elsewhere"
BAD_CONFIG = "Database Settings Cannot Be Used"

# what the failed step of Test Connection says for each empty answer
EMPTY_ANSWERS = {
    404: "does not answer like a Convex deployment",
    408: "gave up waiting",
    502: "having trouble",
}


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class Hostile(CairnWithDeployment):
    name = "e2e-hostile"
    deploy_key = DEPLOY_KEY
    debug = "cairn-connection cairn-workspace"

    def alive(self):
        return self.app.proc.poll() is None

    def labels(self, root):
        """Every label under root, for a failure's message."""
        return [name_of(node) for node in walk(root) if role_name(node) == "label"]

    def send_in_new_conversation(self, app, text):
        composer = app.new_conversation()
        app.type_text(text)
        wait_for(lambda: app.text_of(composer) == text, what="the typed text in Message")
        app.click(app.wait(role="push button", name="Send"))
        app.wait(role="label", name=text)

    def test_test_connection_survives_empty_answers(self):
        app = self.launch()
        preferences = open_database_page(app)
        app.set_text(app.wait(role="text", name="Deployment URL", root=preferences), self.peer.url)
        app.set_text(app.wait(role="text", name="Deploy Key", root=preferences), DEPLOY_KEY)
        for status, says in EMPTY_ANSWERS.items():
            self.peer.fault(mode="empty", status=status)
            app.click(app.wait(role="push button", name="Test Connection", root=preferences))
            app.wait(role="image", name="Failed", root=preferences, timeout=15)
            try:
                explanation = app.wait(role="label", name_contains=says, root=preferences, timeout=15)
            except AssertionError as e:
                raise AssertionError(f"{e}; the page says {self.labels(preferences)}") from e
            log(f"empty {status}: {explanation.get_name()!r}")
            self.assertTrue(self.alive(), f"Cairn stopped after an empty {status}")
            # nothing was saved: content stays on this computer
            app.wait(role="label", name="This Computer", root=preferences)
        app.screenshot(os.path.join(SHOTS, "e2e-hostile-test-connection.png"), title="Preferences")

        # the same fields pass once the address answers like a deployment
        self.peer.reset()
        app.click(app.wait(role="push button", name="Test Connection", root=preferences))
        wait_for(lambda: len(app.find_all(role="image", name="Passed", root=preferences)) == 5,
                 what="every step to pass", timeout=20)
        close_preferences(app, preferences)

    def test_start_against_empty_answers_blocks(self):
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)
        app.quit()

        self.peer.fault(mode="empty", status=502)
        app = self.launch()
        blocker = Blocker(app)
        wait_for(lambda: blocker.blocked(UNREACHABLE), what="the overlay", timeout=20)
        blocker.find(role="label", name_contains="having trouble")
        time.sleep(3)
        self.assertTrue(self.alive(), "Cairn stopped while the deployment answered empty 502s")
        self.assertTrue(blocker.blocked(UNREACHABLE))

        # the process that holds the key writes no core file
        with open(f"/proc/{app.proc.pid}/limits") as limits:
            core = [line for line in limits if line.startswith("Max core file size")][0].split()
        self.assertEqual(core[4:6], ["0", "0"], f"core file size limit: {core}")

        self.peer.reset()
        wait_for(blocker.gone, what="the overlay to go once the deployment answers", timeout=20)

    def test_redirect_blocks_and_keeps_the_message(self):
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)
        blocker = Blocker(app)
        self.send_in_new_conversation(app, "Before the redirect")
        wait_for(lambda: len(self.peer.messages("Before the redirect")) == 1, what="the first message delivered")

        self.peer.fault(mode="redirect", status=302, location="http://login.portal.example/")
        text = "Sent while the address redirects"
        composer = app.wait(role="text", name="Message")
        app.set_text(composer, text)
        app.click(app.wait(role="push button", name="Send"))
        wait_for(lambda: blocker.blocked(REDIRECTED), what="the redirected overlay", timeout=15)
        try:
            wait_for(lambda: blocker.find(role="label", name_contains="login.portal.example"),
                     what="the overlay to name where it was sent")
        except AssertionError as e:
            raise AssertionError(f"{e}; the overlay says {self.labels(blocker.overlay())}") from e
        app.screenshot(os.path.join(SHOTS, "e2e-hostile-redirected.png"), title="Cairn")
        # kept safe, pending, not delivered anywhere
        app.wait(role="label", name=text)
        self.assertGreater(count_rows(self.home, "outbox"), 0)
        self.assertEqual(self.peer.messages(text), [])
        self.assertTrue(self.alive())

        self.peer.reset()
        wait_for(blocker.gone, what="the overlay to go once the redirect is gone", timeout=20)
        wait_for(lambda: len(self.peer.messages(text)) == 1, what="the message delivered", timeout=20)
        time.sleep(1)
        self.assertEqual(len(self.peer.messages(text)), 1)
        wait_for(lambda: count_rows(self.home, "outbox") == 0, what="the outbox to empty")

    def test_unusable_saved_settings_block(self):
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)
        app.quit()
        messages_here = count_rows(self.home, "messages")
        self.peer.reset()

        # edited outside Cairn: a URL the checks refuse (plain http, not loopback)
        with sqlite3.connect(database_path(self.home)) as db:
            db.execute('UPDATE "userDatabaseConfig" SET "deploymentUrl" = ?', ("http://example.com",))

        app = self.launch()
        blocker = Blocker(app)
        wait_for(lambda: blocker.blocked(BAD_CONFIG), what="the unusable-settings overlay", timeout=20)
        self.assertIsNotNone(blocker.find(role="push button", name="Check Settings"))
        time.sleep(2)
        self.assertTrue(self.alive())
        # no fallback: nothing was written to this computer meanwhile
        self.assertEqual(count_rows(self.home, "messages"), messages_here)
        self.assertEqual(self.peer.stats()["requests"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
