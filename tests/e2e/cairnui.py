"""Drive the real Cairn binary as a person would: through AT-SPI and the keyboard.

Used by the end-to-end tests. Needs an X display (Xvfb) and a D-Bus session
bus, which tests/run-headless provides; run with the system Python
(/usr/bin/python3), which has gi.
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

# G_DEBUG=fatal-warnings (meson sets it for every test) is meant for the code
# under test, not for libatspi in the test itself, which warns when an
# application it asks about went away or is not ready yet. Dropped before
# GLib is loaded; the app gets its own environment (Cairn.environment()).
os.environ["G_DEBUG"] = ",".join(flag for flag in os.environ.get("G_DEBUG", "").split(",")
                                 if flag and flag != "fatal-warnings")

import gi  # noqa: E402

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

DEFAULT_TIMEOUT = 20.0


def log(text):
    """A line of the test's own output, under the name of the test running."""
    sys.stderr.write(f"    {text}\n")
    sys.stderr.flush()


def database_path(home):
    """Cairn's database for a HOME made by a test (its XDG_DATA_HOME is home/data)."""
    return os.path.join(home, "data", "cairn", "workspaces", "default", "cairn.db")


def count_rows(home, table):
    """Rows of a table of Cairn's database, read beside the running app."""
    with sqlite3.connect(f"file:{database_path(home)}?mode=ro", uri=True) as db:
        return db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


class TimeoutError_(AssertionError):
    pass


def wait_for(predicate, timeout=DEFAULT_TIMEOUT, what="condition", interval=0.1):
    """Poll predicate until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError_(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def walk(node, depth=0, max_depth=60):
    """Every accessible below node (node included), depth first."""
    if node is None or depth > max_depth:
        return
    yield node
    try:
        count = node.get_child_count()
    except gi.repository.GLib.Error:
        return
    for i in range(count):
        try:
            child = node.get_child_at_index(i)
        except gi.repository.GLib.Error:
            continue
        yield from walk(child, depth + 1, max_depth)


def role_name(node):
    try:
        return node.get_role_name()
    except gi.repository.GLib.Error:
        return ""


def name_of(node):
    try:
        return node.get_name() or ""
    except gi.repository.GLib.Error:
        return ""


class Cairn:
    """One running Cairn process with its own HOME and data dirs."""

    def __init__(self, binary, home=None, env=None, log=None):
        self.binary = binary
        self.own_home = home is None
        self.home = home or tempfile.mkdtemp(prefix="cairn-e2e-")
        self.extra_env = env or {}
        self.log = log          # (optional) a file that gets the app's stdout and stderr
        self.proc = None
        self.app = None

    def environment(self):
        env = dict(os.environ)
        env.update({
            "HOME": self.home,
            "XDG_DATA_HOME": os.path.join(self.home, "data"),
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
            "XDG_CACHE_HOME": os.path.join(self.home, "cache"),
            "GDK_BACKEND": "x11",
            "GSK_RENDERER": env.get("GSK_RENDERER", "cairo"),
            "NO_AT_BRIDGE": "0",
            "GTK_A11Y": "atspi",
            # settings must outlive the process, as on a real desktop
            "GSETTINGS_BACKEND": "keyfile",
        })
        env.pop("G_DEBUG", None)
        env.update(self.extra_env)
        return env

    def start(self, *args):
        output = open(self.log, "ab") if self.log else None
        try:
            self.proc = subprocess.Popen([self.binary, *args], env=self.environment(),
                                         stdout=output, stderr=output)
        finally:
            if output is not None:
                output.close()
        self.app = wait_for(self._find_app, what="Cairn on the accessibility bus")
        self.window = wait_for(lambda: self.find(role="frame"), what="the main window")
        return self

    def _find_app(self):
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            try:
                if app is not None and app.get_process_id() == self.proc.pid:
                    return app
            except gi.repository.GLib.Error:
                continue
        if self.proc.poll() is not None:
            raise AssertionError(f"cairn exited with {self.proc.returncode} before showing a window")
        return None

    def find_all(self, role=None, name=None, name_contains=None, root=None):
        found = []
        for node in walk(root or self.app):
            if role is not None and role_name(node) != role:
                continue
            n = name_of(node)
            if name is not None and n != name:
                continue
            if name_contains is not None and name_contains not in n:
                continue
            found.append(node)
        return found

    def find(self, role=None, name=None, name_contains=None, root=None):
        nodes = self.find_all(role, name, name_contains, root)
        return nodes[0] if nodes else None

    def wait(self, role=None, name=None, name_contains=None, timeout=DEFAULT_TIMEOUT, root=None):
        what = f"{role or 'widget'} {name or name_contains or ''}".strip()
        return wait_for(lambda: self.find(role, name, name_contains, root), timeout=timeout, what=what)

    def toplevel(self, title):
        """The top-level window (frame) called title, or None."""
        for i in range(self.app.get_child_count()):
            child = self.app.get_child_at_index(i)
            if child is not None and name_of(child) == title:
                return child
        return None

    def set_text(self, node, text):
        """Replaces the text of an entry through AT-SPI EditableText (GTK 4.8
        has it; entries cannot be focused through AT-SPI, so typing would go
        elsewhere)."""
        editable = node.get_editable_text_iface()
        assert editable is not None, f"{name_of(node)} is not editable"
        assert editable.set_text_contents(text), f"could not set the text of {name_of(node)}"

    def wait_gone(self, role=None, name=None, name_contains=None, timeout=DEFAULT_TIMEOUT):
        what = f"{role or 'widget'} {name or name_contains or ''} to go away"
        return wait_for(lambda: self.find(role, name, name_contains) is None, timeout=timeout, what=what)

    def click(self, node):
        action = node.get_action_iface()
        assert action is not None, f"{name_of(node)} has no actions"
        for i in range(action.get_n_actions()):
            if action.get_action_name(i) in ("click", "activate", "press"):
                action.do_action(i)
                return
        action.do_action(0)

    def conversation_rows(self):
        """The rows of the sidebar's Conversations list, newest first."""
        listing = self.find(role="list", name="Conversations", root=self.toplevel("Cairn"))
        if listing is None:
            return []
        rows = []
        for i in range(listing.get_child_count()):
            try:
                rows.append(listing.get_child_at_index(i))
            except gi.repository.GLib.Error:
                continue
        return rows

    def is_selected(self, node):
        try:
            return node.get_state_set().contains(Atspi.StateType.SELECTED)
        except gi.repository.GLib.Error:
            return False

    def new_conversation(self):
        """Clicks New Conversation and returns Message once the new conversation
        is the one shown, with the keyboard focus in Message.

        Message having the focus is not enough: a button clicked through
        AT-SPI, like one pressed with the keyboard, acts 250 ms later (GTK
        shows it pressed meanwhile), and the conversation takes a moment more
        to exist. Until then the conversation shown before, if any, is still
        there with its Message in focus. The new one is the newest: the first
        row, selected, in a list one row longer."""
        before = len(self.conversation_rows())

        def new_one_shown():
            rows = self.conversation_rows()
            return len(rows) > before and self.is_selected(rows[0])

        self.click(self.wait(role="push button", name="New Conversation", root=self.toplevel("Cairn")))
        wait_for(new_one_shown, what="the new conversation to be shown")
        composer = self.wait(role="text", name="Message")
        wait_for(lambda: self.is_focused(composer), what="Message to have the focus")
        return composer

    def is_focused(self, node):
        try:
            return node.get_state_set().contains(Atspi.StateType.FOCUSED)
        except gi.repository.GLib.Error:
            return False

    def type_text(self, text):
        """Types into whatever has the keyboard focus, as a person would."""
        self.focus_window()
        subprocess.run(["xdotool", "type", "--delay", "5", text], check=True)

    def key(self, *keys):
        self.focus_window()
        subprocess.run(["xdotool", "key", *keys], check=True)

    def focus_window(self):
        """Gives the app's window the X input focus (Xvfb has no window manager)."""
        ids = wait_for(lambda: subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(self.proc.pid)],
                                              capture_output=True, text=True).stdout.split(),
                       what="the X window")
        subprocess.run(["xdotool", "windowfocus", "--sync", ids[-1]], capture_output=True)

    def text_of(self, node):
        text = node.get_text_iface()
        if text is None:
            return name_of(node)
        return text.get_text(0, text.get_character_count())

    def screenshot(self, path, title=None):
        """The whole screen, or only the window called title."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        target = "root"
        if title is not None:
            ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(self.proc.pid), "--name", f"^{title}$"],
                                 capture_output=True, text=True).stdout.split()
            assert ids, f"no window called {title}"
            target = ids[-1]
        subprocess.run(["import", "-window", target, path], check=True)
        return path

    def quit(self, timeout=10):
        """Ctrl+Q, as a person would; then wait for the process to end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.key("ctrl+q")
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
            raise AssertionError("Ctrl+Q did not quit Cairn")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if self.own_home:
            shutil.rmtree(self.home, ignore_errors=True)
