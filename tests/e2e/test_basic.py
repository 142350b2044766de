#!/usr/bin/python3
"""End to end: the real cairn binary, driven through AT-SPI and the keyboard.

New Conversation, type into Message, Send, the message is listed; F2
renames the conversation; quit, relaunch, it is still there. A screenshot lands in the build dir.
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cairnui import Cairn, wait_for  # noqa: E402

BUILD = os.environ.get("CAIRN_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "..", "..", "_build"))
BINARY = os.path.join(BUILD, "src", "cairn")
SHOTS = os.path.join(BUILD, "screenshots")


class BasicFlow(unittest.TestCase):
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

    def test_send_message_and_relaunch(self):
        app = self.launch()

        app.click(app.wait(role="push button", name="New Conversation"))
        composer = app.wait(role="text", name="Message")
        # a new conversation puts the keyboard focus in the composer
        wait_for(lambda: app.is_focused(composer), what="Message to have the focus")
        text = "Pack the tent and the stove"
        app.type_text(text)
        wait_for(lambda: app.text_of(composer) == text, what="the typed text in Message")

        send = app.wait(role="push button", name="Send")
        app.click(send)
        app.wait(name=text, role="label")
        wait_for(lambda: app.text_of(composer) == "", what="Message to be cleared after sending")
        app.screenshot(os.path.join(SHOTS, "e2e-basic.png"))

        # F2 renames the open conversation (GNOME's key for renaming)
        app.key("F2")
        dialog_entry = app.wait(role="text", name="Title")
        app.set_text(dialog_entry, "Camping trip")
        app.click(app.wait(role="push button", name_contains="Rename"))
        app.wait(role="label", name="Camping trip", root=app.toplevel("Cairn"))

        app.quit()
        self.assertEqual(app.proc.returncode, 0)

        app = self.launch()
        # the conversation is listed and opens with its message
        app.wait(name=text, role="label")


if __name__ == "__main__":
    unittest.main(verbosity=2)
