#!/usr/bin/python3
"""End to end: Bring Your Own Database, on the real cairn binary.

A Convex test peer (tests/peer) stands in for the user's deployment and a
real gnome-keyring-daemon for the system keyring, both in the D-Bus session
tests/run-headless provides. Through AT-SPI and the keyboard, as a person
would:

- a message written on this computer first;
- Preferences → Database, the peer's URL and deploy key, Test Connection
  (all five steps pass), Save, and Move: the conversation goes to the peer
  and leaves the local SQLite file;
- close Preferences, New Conversation, a message, Send: it is on the peer
  and not in the local file; the key is in the keyring and nowhere else (the
  app's output with every debug message, the database, the settings);
- Cairn started again restores the connection from the keyring and shows
  the message from the peer;
- Disconnect, Copy and Disconnect: both messages are on this computer again,
  still on the peer, and the key has left the keyring.

And the other answers: Keep Them Here (this computer keeps its conversation,
not shown while the deployment is used), then Disconnect Only (it is back).

A screenshot of the Database page after Test Connection lands in
<build dir>/screenshots/byod-database-page.png.
"""
import glob
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import count_rows, wait_for  # noqa: E402
from byod_helpers import (SHOTS, CairnWithDeployment, close_preferences, keyring_available,  # noqa: E402
                          open_database_page, peer_available)


DEPLOY_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS1kZXBsb3kta2V5In0="
STEPS = ["Deployment URL", "Deployment reachable", "Deploy key accepted",
         "Cairn functions deployed", "Schema version compatible"]


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class ByodFlow(CairnWithDeployment):
    name = "e2e-byod"
    deploy_key = DEPLOY_KEY
    # every debug message, so the check for the key sees all the app says
    debug = "all"

    def steps_passed(self, app, preferences):
        return len(app.find_all(role="image", name="Passed", root=preferences)) == len(STEPS)

    def open_database_page(self, app):
        return open_database_page(app)

    def close_preferences(self, app, preferences):
        close_preferences(app, preferences)

    def send_in_new_conversation(self, app, text):
        # not only Message in focus: the conversation shown before has that too
        composer = app.new_conversation()
        app.type_text(text)
        wait_for(lambda: app.text_of(composer) == text, what="the typed text in Message")
        app.click(app.wait(role="push button", name="Send"))
        app.wait(role="label", name=text)
        wait_for(lambda: app.text_of(composer) == "", what="Message to be cleared after sending")

    def peer_messages(self):
        return sorted(m["content"] for m in self.peer.state()["messages"])

    def test_connect_move_write_and_disconnect(self):
        app = self.launch()
        before = "Written on this computer first"
        self.send_in_new_conversation(app, before)
        self.assertEqual(count_rows(self.home, "messages"), 1)

        # Preferences → Database: the peer's URL and key, Test Connection
        preferences = self.open_database_page(app)
        app.wait(role="label", name="This Computer", root=preferences)
        app.set_text(app.wait(role="text", name="Deployment URL", root=preferences), self.peer.url)
        app.set_text(app.wait(role="text", name="Deploy Key", root=preferences), DEPLOY_KEY)

        app.click(app.wait(role="push button", name="Test Connection", root=preferences))
        wait_for(lambda: self.steps_passed(app, preferences), what="all five steps to pass")
        for step in STEPS:
            app.wait(role="label", name=step, root=preferences)
        self.assertEqual(app.find_all(role="image", name="Failed", root=preferences), [])
        # a check changes nothing
        app.wait(role="label", name="This Computer", root=preferences)
        app.screenshot(os.path.join(SHOTS, "byod-database-page.png"), title="Preferences")

        # Save; this computer holds a conversation: move it
        app.click(app.wait(role="push button", name="Save", root=preferences))
        app.wait(role="label", name="Move Your Conversations to Your Database?")
        app.click(app.wait(role="push button", name_contains="Move Move"))
        app.wait(role="label", name_contains="items moved", root=preferences, timeout=60)
        app.wait(role="label", name="Your Convex Deployment", root=preferences)
        app.wait(role="label", name=self.peer.url, root=preferences)
        app.wait(role="label", name="Connected", root=preferences)
        app.wait(role="push button", name="Disconnect", root=preferences)
        # the key field is emptied once the key is in the keyring
        wait_for(lambda: app.text_of(app.find(role="text", name="Deploy Key", root=preferences)) == "",
                 what="the Deploy Key field to be emptied")
        app.screenshot(os.path.join(SHOTS, "byod-database-page-connected.png"), title="Preferences")
        self.assertEqual(self.peer_messages(), [before])
        self.assertEqual(count_rows(self.home, "messages"), 0)
        self.assertEqual(count_rows(self.home, "conversations"), 0)
        self.close_preferences(app, preferences)

        # what is written now goes to the deployment, not to this computer
        text = "The tent pegs are in the blue bag"
        self.send_in_new_conversation(app, text)
        wait_for(lambda: text in self.peer_messages(), what="the message on the peer")
        self.assertEqual(len(self.peer.state()["conversations"]), 2)
        self.assertEqual(count_rows(self.home, "messages"), 0)
        self.assertEqual(count_rows(self.home, "conversations"), 0)

        # the key is in the keyring, and only there
        self.assertEqual(self.keyring.lookup(workspace="default"), DEPLOY_KEY)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)
        self.assert_key_nowhere_else()

        # started again: the connection comes back from the keyring
        app = self.launch()
        app.wait(role="label", name=text, timeout=30)
        preferences = self.open_database_page(app)
        app.wait(role="label", name="Your Convex Deployment", root=preferences)
        self.assertEqual(app.text_of(app.find(role="text", name="Deployment URL", root=preferences)), self.peer.url)
        self.assertEqual(app.text_of(app.find(role="text", name="Deploy Key", root=preferences)), "")

        # Disconnect, copying the deployment's content back first
        app.click(app.wait(role="push button", name="Disconnect", root=preferences))
        app.wait(role="label", name="Disconnect from Your Database?")
        app.click(app.wait(role="push button", name_contains="Copy and Disconnect"))
        app.wait(role="label", name_contains="items copied", root=preferences, timeout=60)
        app.wait(role="label", name="This Computer", root=preferences)
        wait_for(lambda: self.keyring.lookup(workspace="default") is None, what="the key to leave the keyring")
        self.assertEqual(count_rows(self.home, "messages"), 2)
        self.assertEqual(count_rows(self.home, "conversations"), 2)
        # what is on the deployment stays there
        self.assertEqual(self.peer_messages(), sorted([before, text]))
        self.close_preferences(app, preferences)
        app.wait(role="label", name=text)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)
        self.assert_key_nowhere_else()

    def test_keep_here_then_disconnect_only(self):
        app = self.launch()
        before = "Only on this computer"
        self.send_in_new_conversation(app, before)

        preferences = self.open_database_page(app)
        app.set_text(app.wait(role="text", name="Deployment URL", root=preferences), self.peer.url)
        app.set_text(app.wait(role="text", name="Deploy Key", root=preferences), DEPLOY_KEY)
        # Save without Test Connection: it checks first by itself
        app.click(app.wait(role="push button", name="Save", root=preferences))
        app.wait(role="label", name="Move Your Conversations to Your Database?")
        app.click(app.wait(role="push button", name_contains="Keep Them Here"))
        app.wait(role="label", name="Your Convex Deployment", root=preferences)
        app.wait(role="label", name="Connected", root=preferences)

        # the deployment's (empty) content is shown; this computer keeps its own
        self.close_preferences(app, preferences)
        app.wait(role="label", name="No Conversations")
        app.wait_gone(role="label", name=before)
        self.assertEqual(self.peer_messages(), [])
        self.assertEqual(count_rows(self.home, "messages"), 1)

        preferences = self.open_database_page(app)
        app.click(app.wait(role="push button", name="Disconnect", root=preferences))
        app.wait(role="label", name="Disconnect from Your Database?")
        app.click(app.wait(role="push button", name_contains="Disconnect Only"))
        app.wait(role="label", name="This Computer", root=preferences)
        wait_for(lambda: self.keyring.lookup(workspace="default") is None, what="the key to leave the keyring")
        self.assertIsNone(app.find(role="push button", name="Disconnect", root=preferences))
        self.close_preferences(app, preferences)

        # this computer's content is back
        app.click(app.wait(role="label", name="New Conversation"))
        app.wait(role="label", name=before)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)
        self.assert_key_nowhere_else()

    def assert_key_nowhere_else(self):
        secret = DEPLOY_KEY.split("|", 1)[1].encode()
        with open(self.log, "rb") as log:
            output = log.read()
        self.assertIn(b"cairn", output.lower(), "the app's output was not captured")
        self.assertNotIn(secret, output, "the deploy key is in the app's output")
        # the database (and its journal), the settings, whatever else the app wrote
        for path in glob.glob(os.path.join(self.home, "**"), recursive=True):
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    self.assertNotIn(secret, f.read(), f"the deploy key is in {path}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
