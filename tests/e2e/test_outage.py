#!/usr/bin/python3
"""End to end: the user's deployment goes away and comes back, on the real binary.

A Convex test peer (tests/peer) on a fixed port with a --state file stands in
for the user's deployment, so it can be stopped (SIGTERM saves its tables)
and started again at the same URL with the same data; a real
gnome-keyring-daemon holds the deploy key. Every test connects through
Preferences → Database first, as a person would, then through AT-SPI:

- the deployment stops answering requests (its live connection still open);
  Send → "Database Connection Error" covers the window within 2 s of that
  request; the message is listed and the overlay says it is kept safe; Retry Connection while it is down keeps it blocked, and after
  the third failed retry the "Still having issues?" hint shows; the
  deployment comes back → the overlay is gone within 10 s, untouched; the
  message is on the deployment exactly once. A screenshot of the blocked
  window: <build dir>/screenshots/e2e-outage-blocked.png;
- the deployment stops while nothing is sent: the live connection notices,
  and the overlay covers the window by itself within 5 s; what was typed
  stays in Message; back → the overlay goes, Send delivers it once;
- a message whose mutation the deployment committed but never answered (it
  stopped while the answer was on its way) is there exactly once after the
  outbox replayed it;
- Cairn killed (SIGKILL) while a message waits in the outbox, the deployment
  back, Cairn started again → the message is delivered exactly once;
- the deployment started with another admin key → "Deploy Key Refused", by
  itself (the live connection's key is refused), what was typed kept;
  the Cairn functions gone (/_peer/config functions: false) → "Cairn
  Functions Not Deployed" with the `npx convex deploy` command; each time
  Retry Connection after the fix lifts it.
"""
import os
import sys
import time
import unittest


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import count_rows, log, wait_for  # noqa: E402
from gi.repository import GLib  # noqa: E402  (cairnui loaded gi)
from byod_helpers import (CLIENT_DEBUG, NOT_SET_UP, SHOTS, UNAUTHORIZED, UNREACHABLE, Blocker, CairnWithDeployment, Peer,  # noqa: E402
                          connect_byod, first_request, free_port, keyring_available, peer_available, timed)


DEPLOY_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS1vdXRhZ2Uta2V5In0="
OTHER_KEY = "dev:cairn-e2e|eyJ2MiI6ImNhaXJuLWUyZS1yZWdlbmVyYXRlZCJ9"
HINT = "Still having issues?"
SHOWN_WITHIN = 2.0     # s from the request that fails to the overlay
GONE_WITHIN = 10.0     # s from the deployment's return to the overlay gone


@unittest.skipUnless(peer_available(), "the test peer needs node and `npm ci` in tests/peer")
@unittest.skipUnless(keyring_available(), "needs gnome-keyring-daemon and secret-tool")
class Outage(CairnWithDeployment):
    name = "e2e-outage"
    deploy_key = DEPLOY_KEY
    debug = f"cairn-connection cairn-workspace cairn-outbox {CLIENT_DEBUG}"

    def make_peer(self):
        # a fixed port and a state file: stopped and started again, it is the
        # same deployment at the same URL
        return Peer(DEPLOY_KEY, port=free_port(), state=os.path.join(self.dir, "peer-state.json"))

    # helpers

    def connected_app(self):
        """Cairn with BYOD on, through Preferences → Database."""
        app = self.launch()
        connect_byod(app, self.peer.url, DEPLOY_KEY)
        return app, Blocker(app)

    def type_message(self, app, text, new_conversation=False):
        """Types text into Message (a new conversation's, if asked), without sending it."""
        if new_conversation:
            app.click(app.wait(role="push button", name="New Conversation", root=app.toplevel("Cairn")))
        composer = app.wait(role="text", name="Message")
        try:
            wait_for(lambda: app.is_focused(composer), timeout=2, what="Message to have the focus")
            app.type_text(text)
        except AssertionError:
            # after the overlay went, the focus stays where Retry was, and
            # AT-SPI cannot move it into a text view on GTK 4.8: the text
            # goes in through EditableText instead
            app.set_text(composer, text)
        wait_for(lambda: app.text_of(composer) == text, what="the typed text in Message")
        return composer

    def send(self, app):
        """Presses Send; returns when it was pressed (time.monotonic(), time.time())."""
        send = app.wait(role="push button", name="Send")
        pressed = time.monotonic(), time.time()
        app.click(send)
        return pressed

    def settle(self, quiet=1.0, timeout=15):
        """Until the app sent the deployment nothing for quiet seconds (the
        lists reload after a reconnection): what comes next then meets the
        request the test makes, not one of those."""
        deadline = time.monotonic() + timeout
        last = self.peer.stats()["requests"]
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.peer.stats()["requests"]
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
        raise AssertionError("Cairn kept talking to the deployment")

    def delivered(self, text):
        return len(self.peer.messages(text))

    def outbox_rows(self):
        return count_rows(self.home, "outbox")

    def assert_blocked_within(self, blocker, pressed, title, limit=SHOWN_WITHIN):
        """The overlay says title within limit seconds of the request that
        failed: the first one Cairn sent after Send was pressed (its debug
        output says when). From the press as well, which is later by the
        250 ms a button activated through AT-SPI (like one pressed with the
        keyboard) shows itself pressed before it acts."""
        pressed_monotonic, pressed_wall = pressed
        from_press = timed(lambda: blocker.blocked(title), pressed_monotonic, timeout=15, what=f"the overlay {title!r}")
        seen = pressed_wall + from_press
        request = wait_for(lambda: first_request(self.log, pressed_wall), timeout=5, what="the request in the log")
        from_request = seen - request
        log(f"{title!r} shown {from_request * 1000:.0f} ms after the request "
            f"({from_press * 1000:.0f} ms after Send was pressed)")
        self.assertLessEqual(from_request, limit, f"{title!r} took {from_request:.2f} s to show")
        self.assertLessEqual(from_press, limit, f"{title!r} took {from_press:.2f} s from the press")
        return from_request

    def retry_ready(self, blocker):
        """Retry Connection can be pressed: no probe is under way (the
        overlay then says when the next one is due, not "Trying again…")."""
        return blocker.find(role="label", name_contains="Trying again in") is not None

    def next_attempt_far(self, blocker):
        """No probe under way and the next automatic one more than a second
        away ("Trying again in N seconds" is rounded up): a Retry pressed now
        is not swallowed by an automatic probe."""
        label = blocker.find(role="label", name_contains="Trying again in")
        if label is None:
            return False
        words = label.get_name().split()  # Trying again in N seconds
        return len(words) >= 4 and words[3].isdigit() and int(words[3]) >= 2

    def retry_until_gone(self, app, blocker):
        """The cause is fixed: Retry Connection (unless an automatic probe
        was quicker), and the overlay goes."""
        wait_for(lambda: self.retry_ready(blocker) or blocker.gone(), what="Retry Connection to be ready")
        retry = blocker.find(role="push button", name="Retry Connection")
        if retry is not None:
            try:
                app.click(retry)
            except GLib.Error:
                pass  # gone in the meantime: a probe was quicker
        wait_for(blocker.gone, what="the overlay to go after Retry")

    def failed_probes(self):
        """How many probes (or requests) failed so far, from the app's debug
        output (cairn-connection logs each "blocked (reason): …")."""
        with open(self.log, errors="replace") as output:
            return sum(1 for line in output if "cairn-connection-DEBUG" in line and ": blocked (" in line)

    def press_retry(self, app, blocker):
        """Retry Connection, once the next automatic probe is far enough
        away, and until its probe failed. (Pressing it through AT-SPI returns
        before the app has acted on it, so the overlay cannot tell yet.)"""
        wait_for(lambda: self.next_attempt_far(blocker), what="Retry Connection to be ready")
        before = self.failed_probes()
        app.click(blocker.find(role="push button", name="Retry Connection"))
        wait_for(lambda: self.failed_probes() > before, what="the retry to fail", interval=0.02)
        wait_for(lambda: self.retry_ready(blocker), what="the retry to end")

    # tests

    def test_outage_blocks_retry_hint_and_recovers(self):
        app, blocker = self.connected_app()
        first = "Before the outage"
        self.type_message(app, first, new_conversation=True)
        self.send(app)
        wait_for(lambda: self.delivered(first) == 1, what="the first message on the deployment")
        self.assertTrue(blocker.gone())

        # the deployment stops answering requests; the next one finds out (a
        # stopped deployment is noticed sooner, by the live connection: below)
        text = "Sent while the deployment is down"
        self.type_message(app, text)
        self.peer.fault(mode="refuse")
        pressed = self.send(app)
        self.assert_blocked_within(blocker, pressed, UNREACHABLE)
        # nothing typed is lost: listed, and the overlay says it is kept safe
        app.wait(role="label", name=text)
        wait_for(lambda: blocker.find(role="label", name_contains="kept safe on this computer"),
                 what="the unsent line in the overlay")
        self.assertGreater(self.outbox_rows(), 0)
        for button in ("Retry Connection", "Check Settings", "Convex Dashboard"):
            self.assertIsNotNone(blocker.find(role="push button", name=button), button)
        self.assertIsNone(blocker.find(role="label", name_contains=HINT))

        # Retry while it is down: still blocked; the hint after the third failure
        for attempt in (1, 2, 3):
            self.press_retry(app, blocker)
            self.assertEqual(blocker.title(), UNREACHABLE, f"after retry {attempt}")
            if attempt < 3:
                self.assertIsNone(blocker.find(role="label", name_contains=HINT), f"the hint after {attempt} retries")
        wait_for(lambda: blocker.find(role="label", name_contains=HINT), what="the hint after three failed retries")
        app.screenshot(os.path.join(SHOTS, "e2e-outage-blocked.png"), title="Cairn")

        # the deployment is back: the overlay goes by itself
        self.peer.reset()
        back = time.monotonic()
        gone = timed(blocker.gone, back, timeout=30, what="the overlay to go")
        log(f"overlay gone {gone * 1000:.0f} ms after the deployment's return")
        self.assertLessEqual(gone, GONE_WITHIN)

        # what waited is delivered, once; what was there stays once
        wait_for(lambda: self.delivered(text) >= 1, what="the message on the deployment")
        wait_for(lambda: self.outbox_rows() == 0, what="the outbox to empty")
        time.sleep(1)  # room for a duplicate to arrive
        self.assertEqual(self.delivered(text), 1)
        self.assertEqual(self.delivered(first), 1)
        self.assertTrue(blocker.gone())
        app.quit()
        self.assertEqual(app.proc.returncode, 0)

    def test_outage_noticed_without_a_request(self):
        app, blocker = self.connected_app()
        self.type_message(app, "Hello", new_conversation=True)
        self.send(app)
        wait_for(lambda: self.delivered("Hello") == 1, what="the first message on the deployment")

        # nothing is sent: the live connection notices the deployment gone
        text = "Typed while the deployment is gone"
        self.type_message(app, text)
        self.peer.stop()
        stopped = time.monotonic()
        shown = timed(lambda: blocker.blocked(UNREACHABLE), stopped, timeout=30, what="the overlay")
        log(f"overlay shown {shown * 1000:.0f} ms after the deployment stopped, with no request")
        self.assertLessEqual(shown, 5.0)
        self.assertEqual(app.text_of(app.wait(role="text", name="Message")), text)

        self.peer.start()
        wait_for(blocker.gone, timeout=30, what="the overlay to go")
        self.send(app)
        wait_for(lambda: self.delivered(text) == 1, what="the message on the deployment")
        time.sleep(1)
        self.assertEqual(self.delivered(text), 1)
        app.quit()

    def test_message_sent_as_the_deployment_fails_is_delivered_once(self):
        app, blocker = self.connected_app()
        self.type_message(app, "Hello", new_conversation=True)
        self.send(app)
        wait_for(lambda: self.delivered("Hello") == 1, what="the first message on the deployment")

        # the deployment runs the next mutation, then stops before answering:
        # committed there, never acknowledged here
        text = "Sent just as the deployment fails"
        self.type_message(app, text)
        self.peer.fault(mode="slow", ms=3000, path="/api/mutation")
        pressed = self.send(app)
        wait_for(lambda: self.delivered(text) == 1, what="the mutation to commit on the deployment", interval=0.02)
        self.peer.stop()
        self.assert_blocked_within(blocker, pressed, UNREACHABLE)
        app.wait(role="label", name=text)

        # back (the fault with it gone): the outbox sends it again; its clientId makes that harmless
        self.peer.start()
        back = time.monotonic()
        gone = timed(blocker.gone, back, timeout=30, what="the overlay to go")
        log(f"overlay gone {gone * 1000:.0f} ms after the deployment's return")
        self.assertLessEqual(gone, GONE_WITHIN)
        wait_for(lambda: self.outbox_rows() == 0, what="the outbox to empty")
        time.sleep(1)
        self.assertEqual(self.delivered(text), 1)
        self.assertEqual(self.delivered("Hello"), 1)
        app.quit()

    def test_crash_with_unsent_message_then_relaunch(self):
        app, blocker = self.connected_app()
        self.type_message(app, "Before the crash", new_conversation=True)
        self.send(app)
        wait_for(lambda: self.delivered("Before the crash") == 1, what="the first message on the deployment")

        text = "Waiting in the outbox when Cairn died"
        self.type_message(app, text)
        self.peer.fault(mode="refuse")
        pressed = self.send(app)
        self.assert_blocked_within(blocker, pressed, UNREACHABLE)
        app.wait(role="label", name=text)
        wait_for(lambda: blocker.find(role="label", name_contains="kept safe on this computer"),
                 what="the unsent line in the overlay")
        self.assertGreater(self.outbox_rows(), 0)

        app.kill()  # SIGKILL
        self.assertEqual(app.proc.returncode, -9)
        self.assertGreater(self.outbox_rows(), 0, "the outbox did not survive the crash")

        self.peer.reset()
        app = self.launch()
        # the connection comes back from the keyring; the outbox goes out
        wait_for(lambda: self.delivered(text) >= 1, timeout=30, what="the message on the deployment")
        wait_for(lambda: self.outbox_rows() == 0, what="the outbox to empty")
        app.wait(role="label", name=text)
        blocker = Blocker(app)
        wait_for(blocker.gone, what="no overlay")
        time.sleep(1)
        self.assertEqual(self.delivered(text), 1)
        self.assertEqual(self.delivered("Before the crash"), 1)
        app.quit()
        self.assertEqual(app.proc.returncode, 0)

    def test_revoked_key_and_missing_functions(self):
        app, blocker = self.connected_app()
        self.type_message(app, "Hello", new_conversation=True)
        self.send(app)
        wait_for(lambda: self.delivered("Hello") == 1, what="the first message on the deployment")

        # the deploy key was regenerated: the deployment refuses ours, and the
        # live connection finds out before anything is sent
        self.type_message(app, "After the key changed")
        self.peer.stop()
        self.peer.start(admin_key=OTHER_KEY)
        wait_for(lambda: blocker.blocked(UNAUTHORIZED), timeout=15, what="the overlay “Deploy Key Refused”")
        self.assertEqual(app.text_of(app.wait(role="text", name="Message")), "After the key changed")
        # the way out is new credentials; Retry is still there
        self.assertIsNotNone(blocker.find(role="push button", name="Check Settings"))
        self.assertIsNotNone(blocker.find(role="push button", name="Retry Connection"))
        self.assertIsNotNone(blocker.find(role="label", name_contains="The deploy key was revoked"))

        # our key is valid again (the one in the keyring): Retry lifts it
        self.peer.stop()
        self.peer.start(admin_key=DEPLOY_KEY)
        self.retry_until_gone(app, blocker)
        self.send(app)
        wait_for(lambda: self.delivered("After the key changed") == 1, what="the message")
        self.settle()

        # the Cairn functions are gone from the deployment
        self.peer.config(functions=False)
        self.type_message(app, "After the functions went")
        pressed = self.send(app)
        self.assert_blocked_within(blocker, pressed, NOT_SET_UP)
        # the command in a box of its own (the error text may name `npx convex deploy` as well)
        command = wait_for(lambda: blocker.find(role="label", name_contains="CONVEX_DEPLOY_KEY="),
                           what="the deploy command")
        log(f"deploy command shown: {app.text_of(command)!r}")
        self.assertIn("npx convex deploy", app.text_of(command))
        self.assertIsNotNone(blocker.find(role="push button", name="Copy Command"))
        app.screenshot(os.path.join(SHOTS, "e2e-outage-not-set-up.png"), title="Cairn")

        self.peer.config(functions=True)
        self.retry_until_gone(app, blocker)
        wait_for(lambda: self.delivered("After the functions went") == 1, what="the waiting message")
        time.sleep(1)
        for text in ("Hello", "After the key changed", "After the functions went"):
            self.assertEqual(self.delivered(text), 1, text)
        app.quit()


if __name__ == "__main__":
    unittest.main(verbosity=2)
