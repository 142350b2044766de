#!/usr/bin/python3
"""End to end: a message too long to store is refused where it is written.

The real binary, driven through AT-SPI and the keyboard. 2 MiB put into
Message (through AT-SPI EditableText, as an assistive tool or a paste
would): the line under it says it is too long and what to do, Send cannot
be pressed, Ctrl+Enter sends nothing, the text stays whole, and nothing new
is in the conversation or the database. After a restart the text is still
there, kept as the conversation's draft, and still refused.
"""
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import Cairn, database_path, log, name_of, wait_for  # noqa: E402

import gi  # noqa: E402

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

BUILD = os.environ.get("CAIRN_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(BUILD, "src", "cairn")
SHOTS = os.path.join(BUILD, "screenshots")

TOO_LONG = "This message is too long to send ("
WHAT_TO_DO = "Shorten it or split it into several messages."
# laying out megabytes of text in one paragraph takes the app seconds
SLOW = 120


def character_count(node):
    return node.get_text_iface().get_character_count()


def is_sensitive(node):
    return node.get_state_set().contains(Atspi.StateType.SENSITIVE)


class MessageLimits(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="cairn-e2e-home-")
        self.app = None

    def tearDown(self):
        if self.app is not None:
            self.app.kill()
        shutil.rmtree(self.home, ignore_errors=True)

    def launch(self):
        self.app = Cairn(BINARY, home=self.home).start()
        return self.app

    def stored_messages(self):
        with sqlite3.connect(f"file:{database_path(self.home)}?mode=ro", uri=True) as db:
            return [row[0] for row in db.execute("SELECT content FROM messages")]

    def assert_refused(self, app, composer, text):
        """text in Message, whole; the line under it says why it cannot go;
        Send cannot be pressed."""
        wait_for(lambda: character_count(composer) == len(text), timeout=SLOW,
                 what="the whole text in Message")
        hint = app.wait(role="label", name_contains=TOO_LONG, timeout=SLOW)
        log(f"shown: {name_of(hint)}")
        self.assertIn("2.1\u00a0MB", name_of(hint))
        self.assertIn(WHAT_TO_DO, name_of(hint))
        self.assertFalse(is_sensitive(app.find(role="push button", name="Send")))
        self.assertEqual(app.text_of(composer), text)

    def test_too_long_message_refused_and_kept(self):
        app = self.launch()
        composer = app.new_conversation()

        # one message that goes, so "nothing new" has something to compare with
        app.type_text("Short enough")
        wait_for(lambda: app.text_of(composer) == "Short enough", what="the typed text in Message")
        app.click(app.wait(role="push button", name="Send"))
        app.wait(role="label", name="Short enough")
        wait_for(lambda: app.text_of(composer) == "", what="Message to be cleared after sending")
        self.assertEqual(self.stored_messages(), ["Short enough"])

        # 2 MiB: a pasted log
        line = "2024-05-01 06:00:00 INFO served /api/v1/items in 5 ms (cache hit)\n"
        text = (line * (2 * 1024 * 1024 // len(line) + 1))[:2 * 1024 * 1024]
        started = time.monotonic()
        app.set_text(composer, text)
        self.assert_refused(app, composer, text)
        log(f"refused {len(text)} bytes after {time.monotonic() - started:.1f} s")

        # Ctrl+Enter, as a person would try next: nothing goes, nothing is lost
        app.key("ctrl+Return")
        time.sleep(2)
        self.assertEqual(app.text_of(composer), text)
        self.assertEqual(self.stored_messages(), ["Short enough"])
        self.assertIsNone(app.find(role="label", name_contains="served /api/v1/items"))
        app.screenshot(os.path.join(SHOTS, "e2e-limits.png"))

        # quit and start again: the text is the conversation's draft, whole
        started = time.monotonic()
        app.quit()
        self.assertEqual(app.proc.returncode, 0)
        log(f"quit after {time.monotonic() - started:.1f} s")
        app = self.launch()
        composer = app.wait(role="text", name="Message")
        log(f"shown again after {time.monotonic() - started:.1f} s")
        self.assert_refused(app, composer, text)
        log(f"refused again after {time.monotonic() - started:.1f} s")
        self.assertEqual(self.stored_messages(), ["Short enough"])
        app.quit()


if __name__ == "__main__":
    unittest.main(verbosity=2)
