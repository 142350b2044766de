#!/usr/bin/python3
"""End to end: live updates between two computers, on the real cairn binary.

Two Cairn processes, A and B, each with its own HOME (its own database and
settings), both with Bring Your Own Database on to the same Convex test peer
(tests/peer; B started with --data-dir, so that it is a process of its own
on the one session bus), the deploy key in one gnome-keyring-daemon for both. A
conversation X is made in A (New Conversation, a message, Send) and opened
in B (selected in its sidebar). Then, with no action in B:

- a message typed in A's Message and sent with Ctrl+Enter is in B's open
  conversation within 5 s, once; what B had typed in its own Message is
  still there, untouched, and B still shows X;
- New Conversation in A: the conversation is in B's sidebar within 5 s of
  being on the deployment, and B's selection has not moved;
- the peer drops every sync socket (POST /_peer/sync {"drop": true}) while
  B is stopped (SIGSTOP, so that B cannot reconnect before the write), a
  message is written over the peer's HTTP API in that gap, B goes on
  (SIGCONT): the message is in B (and in A) after the reconnect;
- the peer refuses the socket (POST /_peer/sync {"refuse": true}, then a
  drop so that both reconnect and are refused): B's Preferences → Database
  shows the Live Updates row saying it polls, and a message sent in A is in
  B within 5 s (B polls every 3 s).

Screenshots land in <build dir>/screenshots/live-*.png.
"""
import os
import signal
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import Cairn, log, name_of, role_name, walk, wait_for  # noqa: E402
from gi.repository import Atspi, GLib  # noqa: E402  (cairnui loaded gi)
from byod_helpers import (BINARY, CLIENT_DEBUG, SHOTS, CairnWithDeployment, close_preferences,  # noqa: E402
                          connect_byod, keyring_available, open_database_page, peer_available, timed)


DEPLOY_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS1saXZlLWtleSJ9"
LIVE_WITHIN = 5.0      # s from Ctrl+Enter in A to the message in B
POLLED_WITHIN = 5.0    # the same while the socket is refused (B polls every 3 s)
CAUGHT_UP_WITHIN = 10.0  # s from B going on after the gap to the message in B
FIRST = "Where shall we camp on Saturday?"


def live_updates_row_polls(app, root):
    """The Database page's Live Updates row, if one of its labels says that
    Cairn polls (checks for changes every few seconds)."""
    title = app.find(role="label", name="Live Updates", root=root)
    if title is None:
        return None
    for node in walk(root):
        if role_name(node) != "label":
            continue
        text = name_of(node).lower()
        if "poll" in text or "every 3 seconds" in text:
            return name_of(node)
    return None


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class Live(CairnWithDeployment):
    name = "e2e-live"
    deploy_key = DEPLOY_KEY
    debug = f"cairn-sync-client cairn-live-query cairn-connection cairn-paged-list {CLIENT_DEBUG}"

    def setUp(self):
        super().setUp()
        self.home_b = os.path.join(self.dir, "app-b")
        self.log_b = os.path.join(self.dir, "cairn-b.log")
        self.b = None
        self.stopped = False

    def tearDown(self):
        if self.b is not None:
            if self.stopped and self.b.proc.poll() is None:
                os.kill(self.b.proc.pid, signal.SIGCONT)
            self.b.kill()
        if os.path.exists(self.log_b):
            with open(self.log_b, errors="replace") as output:
                sys.stderr.write("--- the end of B's output ---\n" + "".join(output.readlines()[-40:]))
        super().tearDown()

    # helpers

    def launch_b(self):
        # --data-dir (where it would be anyway) makes it an instance of its
        # own: otherwise it would only ask A, on the same session bus, to show
        # its window, and exit
        self.b = Cairn(BINARY, home=self.home_b, log=self.log_b, env={"G_MESSAGES_DEBUG": self.debug})
        self.b.start("--data-dir", os.path.join(self.home_b, "data", "cairn", "workspaces", "default"))
        return self.b

    @staticmethod
    def main_window(app):
        return app.toplevel("Cairn")

    def shows(self, app, text):
        """The message (a label with its text) in app's main window, or None."""
        return app.find(role="label", name=text, root=self.main_window(app))

    def select_conversation(self, app, index):
        """Selects the index-th row of the sidebar, as a click would (the
        list's AT-SPI Selection)."""
        listing = app.wait(role="list", name="Conversations", root=self.main_window(app))
        assert Atspi.Selection.select_child(listing, index), "the row could not be selected"
        wait_for(lambda: app.is_selected(app.conversation_rows()[index]), what="the row to be selected")

    def sync_stats(self):
        return self.peer.stats().get("sync", {})

    def sockets_open(self):
        return self.sync_stats().get("open", 0)

    def conversation_x(self):
        conversations = self.peer.state()["conversations"]
        self.assertEqual(len(conversations), 1)
        return conversations[0]["clientId"]

    def insert_message(self, conversation_id, text):
        """A message written over the deployment's HTTP API (as another
        computer or a script would), acknowledged."""
        self.peer.mutation("documents:insert", {"table": "messages", "document": {
            "clientId": str(uuid.uuid4()), "conversationId": conversation_id, "role": "user",
            "content": text, "createdAt": time.time() * 1000}})

    def send_in_a(self, text):
        """Types text into A's Message and sends it with Ctrl+Enter; returns
        when Ctrl+Enter was pressed (time.monotonic())."""
        a = self.app
        composer = a.wait(role="text", name="Message", root=self.main_window(a))
        if not a.is_focused(composer):
            a.set_text(composer, text)
        else:
            a.type_text(text)
        wait_for(lambda: a.text_of(composer) == text, what="the typed text in A's Message")
        pressed = time.monotonic()
        a.key("ctrl+Return")
        try:
            wait_for(lambda: a.text_of(composer) == "", timeout=3, what="A's Message to be cleared")
        except AssertionError:
            # the keyboard focus was elsewhere in A's window: Send, then
            pressed = time.monotonic()
            a.click(a.wait(role="push button", name="Send", root=self.main_window(a)))
            wait_for(lambda: a.text_of(composer) == "", what="A's Message to be cleared after Send")
        return pressed

    def both_on_x(self):
        """A and B connected to the peer, conversation X (one message) open in both."""
        a = self.launch()
        connect_byod(a, self.peer.url, DEPLOY_KEY)
        composer = a.new_conversation()
        a.type_text(FIRST)
        wait_for(lambda: a.text_of(composer) == FIRST, what="the typed text in A's Message")
        a.key("ctrl+Return")
        wait_for(lambda: self.peer.messages(FIRST), timeout=30, what="the first message on the peer")

        b = self.launch_b()
        connect_byod(b, self.peer.url, DEPLOY_KEY)
        wait_for(lambda: len(b.conversation_rows()) == 1, timeout=30, what="X in B's sidebar")
        self.select_conversation(b, 0)
        b.wait(role="label", name=FIRST, root=self.main_window(b), timeout=30)
        return a, b

    def wait_live(self, sockets=2):
        """Until both apps have their sync socket open (sockets: how many)."""
        try:
            wait_for(lambda: self.sockets_open() >= sockets, timeout=10, what=f"{sockets} sync sockets open")
        except AssertionError as error:
            raise AssertionError(f"{error}: the peer has {self.sync_stats()}") from None

    # the tests

    def test_message_appears_in_the_other_open_conversation(self):
        a, b = self.both_on_x()
        draft = "Half a thought typed in B"
        b_composer = b.wait(role="text", name="Message", root=self.main_window(b))
        b.set_text(b_composer, draft)
        wait_for(lambda: b.text_of(b_composer) == draft, what="the text typed in B's Message")

        text = "Sent in A: the lake site, by the big pine"
        pressed = self.send_in_a(text)
        seen = timed(lambda: self.shows(b, text), pressed, LIVE_WITHIN, what="A's message in B's open conversation")
        log(f"A's message in B {seen:.2f} s after Ctrl+Enter")
        b.screenshot(os.path.join(SHOTS, "live-message.png"), title="Cairn")

        # once, in the conversation that was open, and B's Message untouched
        self.assertEqual(len(b.find_all(role="label", name=text, root=self.main_window(b))), 1)
        self.assertIsNotNone(self.shows(b, FIRST))
        self.assertEqual(b.text_of(b_composer), draft)
        self.assertTrue(b.is_selected(b.conversation_rows()[0]))
        self.assertEqual(self.peer.messages(draft), [])
        self.assertEqual(len(self.peer.messages(text)), 1)

    def test_new_conversation_appears_in_the_other_sidebar(self):
        a, b = self.both_on_x()
        self.assertEqual(len(b.conversation_rows()), 1)

        # A's window gets the keyboard (B's had it), as a click in it would
        a.focus_window()
        pressed = time.monotonic()
        a.new_conversation()
        # timed from the deployment's answer: New Conversation takes A's own
        # time (the button acts 250 ms after an AT-SPI click; A's sidebar and
        # focus are waited for through AT-SPI, slow under load)
        wait_for(lambda: len(self.peer.state()["conversations"]) == 2, timeout=10,
                 what="A's new conversation on the peer", interval=0.02)
        stored = time.monotonic()
        seen = timed(lambda: len(b.conversation_rows()) == 2, stored, LIVE_WITHIN,
                     what="A's new conversation in B's sidebar")
        log(f"A's new conversation in B's sidebar {seen:.2f} s after it was on the deployment, "
            f"{time.monotonic() - pressed:.2f} s after New Conversation")
        b.screenshot(os.path.join(SHOTS, "live-sidebar.png"), title="Cairn")

        self.assertEqual(len(self.peer.state()["conversations"]), 2)
        rows = b.conversation_rows()
        # the newest first; B still shows X, selected
        self.assertIsNotNone(b.find(role="label", name="No messages", root=rows[0]))
        self.assertFalse(b.is_selected(rows[0]))
        self.assertTrue(b.is_selected(rows[1]))
        self.assertIsNotNone(self.shows(b, FIRST))

    def test_dropped_socket_catches_up_after_the_reconnect(self):
        a, b = self.both_on_x()
        x = self.conversation_x()
        self.wait_live()
        connections = self.sync_stats().get("connections", 0)

        # B cannot reconnect before the write: it is stopped from before the
        # drop to after the write
        text = "Written while the socket was down"
        os.kill(b.proc.pid, signal.SIGSTOP)
        self.stopped = True
        try:
            self.peer._call("/_peer/sync", {"drop": True})
            self.insert_message(x, text)
        finally:
            os.kill(b.proc.pid, signal.SIGCONT)
            self.stopped = False
        went_on = time.monotonic()

        seen = timed(lambda: self.shows(b, text), went_on, CAUGHT_UP_WITHIN,
                     what="the message written during the gap, in B")
        log(f"the message written during the gap in B {seen:.2f} s after B went on")
        self.assertIsNotNone(wait_for(lambda: self.shows(a, text), timeout=CAUGHT_UP_WITHIN,
                                      what="the message written during the gap, in A"))
        # both reconnected
        self.wait_live()
        self.assertGreaterEqual(self.sync_stats().get("connections", 0), connections + 2)
        self.assertEqual(len(b.find_all(role="label", name=text, root=self.main_window(b))), 1)

    def test_refused_socket_polls(self):
        a, b = self.both_on_x()
        self.wait_live()

        # a proxy that blocks WebSockets from now on; both reconnect and are refused
        self.peer._call("/_peer/sync", {"refuse": True})
        self.peer._call("/_peer/sync", {"drop": True})
        wait_for(lambda: self.sync_stats().get("refused", 0) >= 2, timeout=15,
                 what="both apps' sockets refused")

        preferences = open_database_page(b)
        try:
            said = wait_for(lambda: live_updates_row_polls(b, preferences), timeout=10,
                            what="the Live Updates row saying that Cairn polls")
        except AssertionError:
            labels = [name_of(n) for n in walk(preferences) if role_name(n) == "label"]
            raise AssertionError(f"no Live Updates row saying it polls; the page's labels: {labels}") from None
        log(f"the Live Updates row: {said!r}")
        b.screenshot(os.path.join(SHOTS, "live-polling.png"), title="Preferences")
        close_preferences(b, preferences)

        text = "Sent in A while the socket is refused"
        pressed = self.send_in_a(text)
        seen = timed(lambda: self.shows(b, text), pressed, POLLED_WITHIN,
                     what="A's message in B, polling")
        log(f"A's message in B (polling) {seen:.2f} s after Ctrl+Enter")
        self.assertEqual(self.sockets_open(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
