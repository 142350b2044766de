#!/usr/bin/python3
"""End to end: Cairn installs and updates its own functions, on the real
cairn binary, through AT-SPI and the keyboard as a person would.

- A new deployment (the test peer started --empty): Preferences → Database,
  its URL and deploy key, Test Connection finds the Cairn functions missing;
  Install Cairn Functions; every step passes; Save; a message sent is on the
  deployment, and the sidebar counts it.
- A deployment that version 1 of Cairn set up and wrote to (its functions,
  tests/peer/fixtures/cairn-functions-v1.json, and a conversation without a
  message count): Cairn started blocks with Database Update Needed; Update
  Database pushes the new functions and migrates the data; the overlay goes
  by itself, the sidebar shows the conversation's message count, and
  Preferences → Database lists the migration in Database Updates.

Screenshots land in <build dir>/screenshots/update-*.png.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import wait_for  # noqa: E402
from byod_helpers import (SHOTS, SOURCE, Blocker, CairnWithDeployment, Peer, close_preferences,  # noqa: E402
                          connect_byod, keyring_available, open_database_page, peer_available)

DEPLOY_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS11cGRhdGUta2V5In0="
STEPS = 5
VERSION_1 = os.path.join(SOURCE, "tests", "peer", "fixtures", "cairn-functions-v1.json")
# 1 March 2026, 09:30 UTC
WRITTEN_AT = 1772357400000


def steps(app, preferences, state):
    return len(app.find_all(role="image", name=state, root=preferences))


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class InstallFromPreferences(CairnWithDeployment):
    name = "e2e-install"
    deploy_key = DEPLOY_KEY
    debug = "cairn-byod cairn-migrator cairn-functions-push"

    def make_peer(self):
        return Peer(self.deploy_key, empty=True)

    def test_install_save_and_send(self):
        app = self.launch()
        preferences = open_database_page(app)
        app.set_text(app.wait(role="text", name="Deployment URL", root=preferences), self.peer.url)
        app.set_text(app.wait(role="text", name="Deploy Key", root=preferences), DEPLOY_KEY)
        app.click(app.wait(role="push button", name="Test Connection", root=preferences))

        # the functions are missing, and Cairn offers to install them
        install = app.wait(role="push button", name="Install Cairn Functions", root=preferences, timeout=30)
        self.assertEqual(steps(app, preferences, "Failed"), 1)
        app.wait(role="label", name_contains="The Cairn functions are not on this deployment yet", root=preferences)
        app.screenshot(os.path.join(SHOTS, "update-install-offered.png"), title="Preferences")

        app.click(install)
        wait_for(lambda: steps(app, preferences, "Passed") == STEPS, timeout=60, what="every step to pass")
        app.wait(role="label", name="Your database is up to date", root=preferences)
        self.assertIsNone(app.find(role="push button", name="Install Cairn Functions", root=preferences))
        self.assertEqual(self.peer._post("/api/query", {"path": "cairn:ping", "args": {}, "format": "json"})
                         ["value"]["schemaVersion"], 2)

        # Save: the content lives there now
        app.click(app.wait(role="push button", name="Save", root=preferences))
        app.wait(role="label", name="Your Convex Deployment", root=preferences, timeout=30)
        app.wait(role="label", name="Connected", root=preferences, timeout=30)
        app.wait(role="label", name="Database Updates", root=preferences)
        close_preferences(app, preferences)

        text = "Sow the peas after the last frost"
        composer = app.new_conversation()
        app.type_text(text)
        wait_for(lambda: app.text_of(composer) == text, what="the typed text in Message")
        app.click(app.wait(role="push button", name="Send"))
        wait_for(lambda: self.peer.messages(text), timeout=30, what="the message on the peer")
        conversations = self.peer.state()["conversations"]
        self.assertEqual(len(conversations), 1)
        wait_for(lambda: self.peer.state()["conversations"][0].get("messageCount") == 1,
                 what="the deployment to count the message")
        app.wait(role="label", name="1 message", timeout=30)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class UpdateFromOverlay(CairnWithDeployment):
    name = "e2e-update"
    deploy_key = DEPLOY_KEY
    debug = "cairn-byod cairn-migrator cairn-functions-push cairn-connection"

    def write_as_version_1(self):
        """The functions of version 1, and a conversation with three messages written through them."""
        self.peer.push(VERSION_1)
        conversation = "5b0c1f5e-3f7a-4c11-9d2e-7a1b2c3d4e5f"
        self.peer.mutation("documents:insert", {"table": "conversations", "document": {
            "clientId": conversation, "title": "Written by version 1", "pinned": False, "archived": False,
            "createdAt": WRITTEN_AT, "updatedAt": WRITTEN_AT}})
        for i in range(3):
            self.peer.mutation("documents:insert", {"table": "messages", "document": {
                "clientId": f"6c1d2e3f-4a5b-4c6d-8e7f-{i:012d}", "conversationId": conversation, "role": "user",
                "content": f"From before the update {i}", "createdAt": WRITTEN_AT + 1000 * (i + 1)}})
        self.assertNotIn("messageCount", self.peer.state()["conversations"][0])

    def test_update_database_from_the_overlay(self):
        # saved while the deployment was new; then version 1 of Cairn wrote to it
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)
        self.write_as_version_1()

        app = self.launch()
        blocker = Blocker(app)
        wait_for(lambda: blocker.blocked("Database Update Needed"), timeout=30, what="Database Update Needed")
        update = wait_for(lambda: blocker.find(role="push button", name="Update Database"),
                          what="Update Database in the overlay")
        self.assertIsNotNone(blocker.find(role="label", name="Without Cairn, from a terminal:"))
        app.screenshot(os.path.join(SHOTS, "update-overlay.png"), title="Cairn")

        app.click(update)
        wait_for(blocker.gone, timeout=60, what="the overlay to go")
        app.wait(role="label", name="Written by version 1", timeout=30)
        app.wait(role="label", name="3 messages", timeout=30)
        self.assertEqual(self.peer.state()["conversations"][0].get("messageCount"), 3)
        app.screenshot(os.path.join(SHOTS, "update-done.png"), title="Cairn")

        # the migration is in the deployment's history
        preferences = open_database_page(app)
        app.wait(role="label", name="Database Updates", root=preferences)
        app.wait(role="label", name="Count messages", root=preferences, timeout=30)
        app.wait(role="label", name_contains="Version 2 · Completed", root=preferences)
        # the last row of the page: Shift+Tab from the first reaches it, and shows it
        app.key("shift+Tab")
        app.screenshot(os.path.join(SHOTS, "update-history.png"), title="Preferences")
        close_preferences(app, preferences)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
