"""What the Bring Your Own Database end-to-end tests and benchmarks share.

- Keyring: a real gnome-keyring-daemon with an unlocked login collection,
  in the D-Bus session tests/run-headless provides;
- Peer: tests/peer/convex-peer.mjs as the user's deployment, optionally on a
  fixed port and with a --state file, so that it can be stopped (SIGTERM
  saves its tables) and started again at the same URL with the same data;
  and its control API (/_peer/fault, /_peer/config, /_peer/state, ...);
- connect_byod(): Preferences → Database, URL and deploy key, Save, as a
  person would (through AT-SPI, on a cairnui.Cairn);
- Blocker: the window's connection overlay (Database Connection Error, ...)
  watched cheaply enough to time it at 10 ms resolution;
- first_request(): when Cairn sent its first request after a moment, from
  its debug output (G_MESSAGES_DEBUG=cairn-convex-client).

Use the system Python (/usr/bin/python3).
"""
import ctypes
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

# first: it keeps G_DEBUG=fatal-warnings away from this process's GLib
from cairnui import Cairn, name_of, role_name, walk, wait_for  # noqa: E402

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

SOURCE = os.environ.get("CAIRN_SOURCE_ROOT", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("CAIRN_BUILD_ROOT", os.path.join(SOURCE, "_build"))
BINARY = os.path.join(BUILD, "src", "cairn")
SHOTS = os.path.join(BUILD, "screenshots")
PEER_SCRIPT = os.path.join(SOURCE, "tests", "peer", "convex-peer.mjs")
KEYRING_PASSWORD = "cairn-e2e-login"
KEY_SCHEMA = "io.github.cairnapp.Cairn.DeployKey"


def peer_available():
    """node and `npm ci` in tests/peer (build-aux/dev does it)."""
    return bool(shutil.which("node")) and os.path.isdir(os.path.join(SOURCE, "tests", "peer", "node_modules"))


def keyring_available():
    return bool(shutil.which("gnome-keyring-daemon")) and bool(shutil.which("secret-tool"))


def die_with_parent():
    """A test that dies must not leave its helpers behind (meson would wait
    for their output pipes)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def helper_env(**overrides):
    env = dict(os.environ)
    # gnome-keyring-daemon warns when an item is replaced; fatal-warnings would end it
    env.pop("G_DEBUG", None)
    env.update(overrides)
    return env


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Keyring:
    """gnome-keyring-daemon with an unlocked login collection, in its own dirs."""

    def __init__(self, directory):
        self.dir = directory
        home = os.path.join(directory, "home")
        runtime = os.path.join(directory, "runtime")
        os.makedirs(home, mode=0o700)
        os.makedirs(runtime, mode=0o700)
        self.proc = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=helper_env(HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, XDG_RUNTIME_DIR=runtime),
            preexec_fn=die_with_parent)
        self.proc.stdin.write(KEYRING_PASSWORD.encode())
        self.proc.stdin.close()
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        wait_for(self._default_collection, what="the keyring's default collection")

    def _default_collection(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"gnome-keyring-daemon exited with {self.proc.returncode}")
        try:
            reply = self.bus.call_sync("org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "ReadAlias",
                                       GLib.Variant("(s)", ("default",)), GLib.VariantType("(o)"),
                                       Gio.DBusCallFlags.NO_AUTO_START, 1000, None)
        except GLib.Error:
            return None
        path = reply.unpack()[0]
        return path if path != "/" else None

    def lookup(self, **attributes):
        """The secret stored under attributes, as secret-tool finds it."""
        args = ["secret-tool", "lookup", "xdg:schema", KEY_SCHEMA]
        for name, value in attributes.items():
            args += [name, value]
        result = subprocess.run(args, capture_output=True, text=True, env=helper_env())
        return result.stdout if result.returncode == 0 else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Peer:
    """tests/peer/convex-peer.mjs: a Convex deployment with the Cairn functions.

    port=0 picks a free port at every start; a fixed port (free_port()) and a
    state file let stop() and start() take the deployment down and bring it
    back at the same URL with the same documents, as an outage would.
    empty=True starts it as a new deployment, without any functions."""

    def __init__(self, admin_key, port=0, state=None, start=True, empty=False):
        self.admin_key = admin_key
        self.port = port
        self.state_file = state
        self.empty = empty
        self.proc = None
        self.url = f"http://127.0.0.1:{port}" if port else None
        if start:
            self.start()

    def start(self, admin_key=None):
        """Starts it (again), with admin_key instead of the last one if given."""
        assert not self.running(), "the peer is already running"
        if admin_key is not None:
            self.admin_key = admin_key
        args = ["node", PEER_SCRIPT, "--port", str(self.port), "--admin-key", self.admin_key]
        if self.state_file is not None:
            args += ["--state", self.state_file]
        if self.empty:
            args.append("--empty")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=helper_env(), preexec_fn=die_with_parent)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.kill()
            raise AssertionError(f"the peer did not start: {line!r}")
        url = line[len("listening on "):]
        assert self.url is None or self.port == 0 or url == self.url, f"the peer moved from {self.url} to {url}"
        self.url = url
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM: with --state it writes its tables, then exits."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def kill(self):
        """SIGKILL: what was written since the last save is lost."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    # the control API (/_peer/*, never faulted)

    def _call(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method="POST" if data is not None else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def state(self):
        return self._call("/_peer/state")["tables"]

    def fault(self, **fault):
        """fault(mode="refuse", seconds=5, path="/api/mutation", count=N)"""
        return self._call("/_peer/fault", fault)

    def config(self, **settings):
        """config(functions=False), config(schemaVersion=N), ..."""
        return self._call("/_peer/config", settings)

    def reset(self, data=False):
        return self._call("/_peer/reset", {"data": True} if data else {})

    def stats(self):
        return self._call("/_peer/stats")

    # the deployment's own API, with the deploy key

    def _post(self, path, body):
        request = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Convex {self.admin_key}"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.load(answer)

    def push(self, bundle):
        """Pushes a bundle (a StartPushRequest without its adminKey, as
        build-aux/convex-bundle writes it) the way `npx convex deploy` does."""
        with open(bundle) as f:
            request = json.load(f)
        request["adminKey"] = self.admin_key
        started = self._post("/api/deploy2/start_push", request)
        while True:
            waited = self._post("/api/deploy2/wait_for_schema",
                                {"adminKey": self.admin_key, "schemaChange": started["schemaChange"],
                                 "timeoutMs": 10000, "dryRun": False})
            if waited["type"] != "inProgress":
                break
        assert waited["type"] == "complete", f"the push failed: {waited}"
        self._post("/api/deploy2/finish_push",
                   {"adminKey": self.admin_key, "startPush": started, "dryRun": False, "message": None})

    def mutation(self, path, args):
        answer = self._post("/api/mutation", {"path": path, "args": args, "format": "json"})
        assert answer["status"] == "success", f"{path}: {answer}"
        return answer["value"]

    def messages(self, content=None):
        """The messages on the deployment (only those with content, if given)."""
        found = self.state()["messages"]
        if content is not None:
            found = [m for m in found if m.get("content") == content]
        return found


class CairnWithDeployment(unittest.TestCase):
    """A test of the real binary with a deployment: its own folder, a real
    keyring, a test peer, and — when the test ends — the last screen and the
    end of Cairn's output, for when it failed.

    Subclasses set name (the folder's prefix and the last screenshot's
    name), deploy_key and debug (Cairn's G_MESSAGES_DEBUG), and may override
    make_peer()."""
    name = "e2e"
    deploy_key = None
    debug = "all"

    def make_peer(self):
        return Peer(self.deploy_key)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=f"cairn-{self.name}-")
        self.home = os.path.join(self.dir, "app")
        self.log = os.path.join(self.dir, "cairn.log")
        self.app = None
        self.keyring = Keyring(os.path.join(self.dir, "keyring"))
        self.addCleanup(self.keyring.stop)
        self.peer = self.make_peer()
        self.addCleanup(self.peer.stop)

    def tearDown(self):
        if self.app is not None:
            if self.app.proc is not None and self.app.proc.poll() is None:
                subprocess.run(["import", "-window", "root", os.path.join(SHOTS, f"{self.name}-last.png")],
                               capture_output=True)
            self.app.kill()
        if os.path.exists(self.log):
            with open(self.log, errors="replace") as output:
                sys.stderr.write("--- the end of cairn's output ---\n" + "".join(output.readlines()[-40:]))
        shutil.rmtree(self.dir, ignore_errors=True)

    def launch(self):
        self.app = Cairn(BINARY, home=self.home, log=self.log, env={"G_MESSAGES_DEBUG": self.debug}).start()
        return self.app


def open_database_page(app):
    """Preferences (Ctrl+,) at its Database page."""
    app.key("ctrl+comma")
    preferences = wait_for(lambda: app.toplevel("Preferences"), what="Preferences")
    app.wait(role="text", name="Deployment URL", root=preferences)
    return preferences


def close_preferences(app, preferences):
    app.click(app.wait(role="push button", name="Close", root=preferences))
    wait_for(lambda: app.toplevel("Preferences") is None, what="Preferences to close")


def connect_byod(app, url, key, move=None):
    """Preferences → Database: the deployment's URL and deploy key, Save
    (which checks them first), until it says Connected; then closes
    Preferences. move: the answer when this computer holds conversations
    ("Move" or "Keep Them Here"); None when it holds none."""
    preferences = open_database_page(app)
    app.set_text(app.wait(role="text", name="Deployment URL", root=preferences), url)
    app.set_text(app.wait(role="text", name="Deploy Key", root=preferences), key)
    app.click(app.wait(role="push button", name="Save", root=preferences))
    if move is not None:
        app.wait(role="label", name="Move Your Conversations to Your Database?")
        app.click(app.wait(role="push button", name_contains=move))
    app.wait(role="label", name="Your Convex Deployment", root=preferences, timeout=30)
    app.wait(role="label", name="Connected", root=preferences, timeout=30)
    close_preferences(app, preferences)


# The titles of the blocking overlay (src/gui/cairn-connection-overlay.c)
UNREACHABLE = "Database Connection Error"
UNAUTHORIZED = "Deploy Key Refused"
NOT_SET_UP = "Cairn Functions Not Deployed"
BLOCKED_TITLES = (UNREACHABLE, "You Are Offline", UNAUTHORIZED, NOT_SET_UP, "Database Update Needed",
                  "Cairn Update Needed", "Keyring Unavailable")


class Blocker:
    """The connection overlay of the main window, watched cheaply.

    GTK 4.8 exports a widget on the accessibility bus only while it is
    visible, and the overlay is hidden unless the connection is connecting or
    blocked; when blocked it is a panel named after its title (labelled by
    it). So its host, the window's content GtkOverlay (the one that holds the
    AdwLeaflet), has it as a child exactly while it is up. Asking the host for
    its children is a handful of D-Bus round trips (about a millisecond),
    where a walk over the window's ~200 accessibles takes ~100 ms: cheap
    enough to poll every 10 ms. (The states don't help: SHOWING is never set
    on 4.8 and VISIBLE stays set on a removed node.)"""

    def __init__(self, app):
        self.app = app
        self.host = wait_for(self._find_host, what="the window's content overlay")

    def _find_host(self):
        window = self.app.toplevel("Cairn")
        if window is None:
            return None
        for node in walk(window):
            if role_name(node) != "filler" or name_of(node) != "GtkOverlay":
                continue
            for i in range(node.get_child_count()):
                if name_of(node.get_child_at_index(i)) == "AdwLeaflet":
                    return node
        return None

    def overlay(self):
        """The overlay's accessible while it is shown, else None."""
        try:
            count = self.host.get_child_count()
            for i in range(count):
                child = self.host.get_child_at_index(i)
                if child is not None and role_name(child) == "panel":
                    return child
        except GLib.Error:
            pass
        return None

    def title(self):
        """The title shown (e.g. "Database Connection Error") while blocked;
        "" while connecting; None while the overlay is not shown."""
        overlay = self.overlay()
        return name_of(overlay) if overlay is not None else None

    def blocked(self, title=None):
        shown = self.title()
        return shown in BLOCKED_TITLES if title is None else shown == title

    def gone(self):
        return self.overlay() is None

    def find(self, role=None, name=None, name_contains=None):
        """Something in the overlay (a walk of the overlay only)."""
        overlay = self.overlay()
        return self.app.find(role, name, name_contains, root=overlay) if overlay is not None else None


def timed(predicate, since, timeout, what="condition", interval=0.01):
    """Polls predicate every interval seconds until it is truthy; returns
    the seconds from since (a time.monotonic()) to the end of the poll that
    saw it (an upper bound: it happened after the poll before)."""
    deadline = since + timeout
    while True:
        seen = predicate()
        now = time.monotonic()
        if seen:
            return now - since
        if now > deadline:
            raise AssertionError(f"{what}: not after {now - since:.1f} s")
        time.sleep(interval)


# Cairn's debug output (G_MESSAGES_DEBUG): "(cairn:PID): DOMAIN-DEBUG: HH:MM:SS.mmm: message"
DEBUG_LINE = re.compile(r"^\(cairn:\d+\): (?P<domain>[\w-]+)-DEBUG: (?P<time>\d\d:\d\d:\d\d\.\d{3}): (?P<message>.*)$")
# cairn-convex-client, as a request goes out: "request 13: mutation documents:insert"
REQUEST_MESSAGE = re.compile(r"^request \d+: \w+ \S+$")
# The Convex client's debug output: every request it sends, with its time
CLIENT_DEBUG = "cairn-convex-client"


def debug_lines(path, domain=None):
    """(time.time() seconds, message) of each debug line of domain in the
    app's output at path. The output says the local time of day to the
    millisecond; the date is today's (or yesterday's, just after midnight)."""
    now = time.time()
    today = datetime.datetime.fromtimestamp(now).date()
    with open(path, errors="replace") as output:
        for line in output:
            found = DEBUG_LINE.match(line.rstrip("\n"))
            if found is None or (domain is not None and found["domain"] != domain):
                continue
            clock = datetime.datetime.strptime(found["time"], "%H:%M:%S.%f").time()
            when = datetime.datetime.combine(today, clock).timestamp()
            if when > now + 60:
                when -= 24 * 3600
            yield when, found["message"]


def first_request(path, since):
    """time.time() of the first request Cairn sent at or after since (a
    time.time()), from its debug output; None if there is none yet. Its
    clock says milliseconds: since is rounded down to them."""
    since = int(since * 1000) / 1000.0
    for when, message in debug_lines(path, CLIENT_DEBUG):
        if when >= since and REQUEST_MESSAGE.match(message):
            return when
    return None
