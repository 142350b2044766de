#!/usr/bin/env python3
"""The chaos soak: the real core against the Convex test peer, for MINUTES.

    soak.py --minutes M --writer BUILD/tests/soak/soak-writer --peer tests/peer/convex-peer.mjs [--seed N] [--keep]

Two writer processes (tests/soak/soak-writer.c, each its own data dir and
HOME) write to one deployment (the peer) at once. Meanwhile:

- the peer gets a random fault for a random short spell (1-4 s), then none
  for 1-3 s: refuse, hang, status 500/503, slow, empty body, redirect,
  malformed, truncated;
- writer A is killed with SIGKILL now and then (mostly within 1.5 s after a
  fault ended, as its outbox replays) and started again on the same data
  dir, so its outbox replays at start; writer B lives the whole run;
- 1 in 40 messages carries the marker SOAK-REFUSE, which the peer
  (--refuse-args-containing) refuses for good.

At the end the faults are cleared, both writers stop writing and wait until
only failed writes are left (writer A once more with --drain), and the
invariant is checked:

- the deployment holds every write a writer queued (journal "Q": acked, or
  durable in its outbox) exactly once (by clientId, and by token), none
  missing; a write asked for but never confirmed (the writer killed
  between) is there at most once; nothing unknown;
- every marked write is in an outbox, failed, and not on the deployment;
  the outboxes hold nothing else;
- each conversation's messageCount on the deployment equals its messages;
- writer B's RSS at the end is within 10 % of after warm-up. Warm-up is the
  first 10 % of the run, at least 30 s; it begins with an 18-s outage (the
  peer refuses everything) in which each outbox fills to the writers'
  ceiling (they wait while 100 writes wait in the outbox) and then
  replays, so the largest backlog a writer will ever hold is behind it.
  Both numbers are the memory in use: the writer measures its RSS after
  malloc_trim(0); the untrimmed numbers are printed as well.

Prints a summary; the last line says whether the invariant held, and the
exit status follows it (0 held, 1 broken).
"""

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ADMIN_KEY = "dev:cairn-soak|soak-secret-0123456789"
MARKER = "SOAK-REFUSE"

FAULTS = [
    ("refuse", lambda r: {"mode": "refuse"}),
    ("hang", lambda r: {"mode": "hang"}),
    ("status-500", lambda r: {"mode": "status", "status": 500}),
    ("status-503", lambda r: {"mode": "status", "status": 503}),
    ("slow", lambda r: {"mode": "slow", "ms": r.choice([200, 800, 2500])}),
    ("empty", lambda r: {"mode": "empty", "status": r.choice([200, 502, 504])}),
    ("redirect", lambda r: {"mode": "redirect", "status": r.choice([301, 302, 307, 308])}),
    ("malformed", lambda r: {"mode": "malformed"}),
    ("truncated", lambda r: {"mode": "truncated"}),
]


def log(text):
    print(text, flush=True)


class Peer:
    def __init__(self, script, workdir):
        self.out = open(os.path.join(workdir, "peer.log"), "w")
        self.process = subprocess.Popen(
            ["node", script, "--port", "0", "--admin-key", ADMIN_KEY, "--refuse-args-containing", MARKER],
            stdout=subprocess.PIPE, stderr=self.out, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the peer did not start: {line!r}")
        self.url = line[len("listening on "):]

    def control(self, method, what, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_peer/{what}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            return json.loads(answer.read())

    def reset(self):
        """Clears the fault (and what "hang" held); returns the requests since the last reset."""
        requests = self.control("GET", "stats")["requests"]
        self.control("POST", "reset", {})
        return requests

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Writer:
    """One soak-writer on its own data dir and HOME; started again after a kill."""

    def __init__(self, binary, name, workdir, url):
        self.binary = binary
        self.name = name
        self.url = url
        self.dir = os.path.join(workdir, name)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.runs = 0
        self.process = None
        self.status_path = None
        self.kills = 0
        self.kills_replaying = 0
        self.exits = []

    def start(self, drain=False):
        self.runs += 1
        env = dict(os.environ, HOME=self.home, XDG_DATA_HOME=os.path.join(self.home, ".local/share"),
                   XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                   XDG_CACHE_HOME=os.path.join(self.home, ".cache"))
        # the writer's own warnings (a refused write) are expected here, not fatal
        env.pop("G_DEBUG", None)
        self.status_path = os.path.join(self.dir, f"status-{self.runs}.log")
        argv = [self.binary] + (["--drain"] if drain else []) + [self.dir, self.url, self.name, str(self.runs)]
        with open(self.status_path, "w") as out, open(os.path.join(self.dir, f"stderr-{self.runs}.log"), "w") as err:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=err, env=env, text=True)
        self.process.stdin.write(ADMIN_KEY + "\n")
        self.process.stdin.close()

    def last_status(self):
        try:
            with open(self.status_path) as f:
                lines = [l for l in f.read().splitlines() if l.startswith("status ")]
        except OSError:
            return {}
        if not lines:
            return {}
        return dict(part.split("=", 1) for part in lines[-1].split()[1:])

    def rss_kb(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def mark(self):
        """The writer's RSS in use (after malloc_trim) and before, in KB, now."""
        seen = len(self._marks())
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            marks = self._marks()
            if len(marks) > seen:
                return marks[-1]
            time.sleep(0.05)
        return None, None

    def _marks(self):
        with open(self.status_path) as f:
            return [tuple(int(part.split("=", 1)[1]) for part in line.split()[1:3])
                    for line in f.read().splitlines() if line.startswith("mark ")]

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill9(self):
        status = self.last_status()
        if int(status.get("pending", "0")) > 0:
            self.kills_replaying += 1
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self, timeout):
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = "timeout"
        self.exits.append(code)
        return code

    def wait(self, timeout):
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = "timeout"
        self.exits.append(code)
        return code

    def journal(self):
        intended, queued, errors = {}, {}, {}
        with open(os.path.join(self.dir, "journal")) as f:
            for line in f:
                if not line.endswith("\n"):
                    continue  # cut off by a kill -9 before its fdatasync returned
                parts = line.rstrip("\n").split(" ", 4)
                if parts[0] == "I":
                    intended[parts[2]] = parts[1]
                elif parts[0] == "Q":
                    queued[parts[2]] = (parts[1], parts[3], parts[4])
                elif parts[0] == "E":
                    errors[parts[2]] = parts[3] if len(parts) > 3 else ""
        return intended, queued, errors

    def outbox(self):
        with open(os.path.join(self.dir, f"outbox-{self.name}-{self.runs}.json")) as f:
            return json.load(f)


def token_of(table, document):
    text = document.get("title", "") if table == "conversations" else document.get("content", "")
    for word in text.split():
        if word.count(".") >= 2 and word[:1] in "AB":
            return word
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--writer", required=True)
    parser.add_argument("--peer", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    duration = args.minutes * 60
    warmup = max(30.0, duration * 0.10)
    workdir = tempfile.mkdtemp(prefix="cairn-soak-")
    log(f"soak: {args.minutes:g} min, seed {seed}, work dir {workdir}")

    peer = Peer(args.peer, workdir)
    a = Writer(args.writer, "A", workdir, peer.url)
    b = Writer(args.writer, "B", workdir, peer.url)
    faults = collections.Counter()
    requests = 0
    problems = []
    rss_warm = rss_warm_raw = None
    rss_samples = []
    broken = None

    try:
        a.start()
        b.start()
        start = time.monotonic()
        # warm-up begins with an outage long enough for both outboxes to fill
        # to the writers' ceiling (100 waiting) and replay: the most memory a
        # writer needs, before the mark RSS is compared with at the end
        time.sleep(2)
        peer.control("POST", "fault", {"mode": "refuse"})
        faults["refuse (warm-up, 18 s)"] += 1
        time.sleep(18)
        requests += peer.reset()
        next_kill = start + rng.uniform(5, 15)
        restart_at = None
        while time.monotonic() - start < duration:
            now = time.monotonic()
            if rss_warm is None and now - start >= warmup:
                rss_warm, rss_warm_raw = b.mark()
                log(f"soak: warm-up over after {warmup:.0f} s, writer B RSS {rss_warm} KB in use ({rss_warm_raw} KB before trimming)")
            if not b.alive():
                broken = f"writer B exited with {b.process.returncode} during the run"
                break
            if not a.alive() and restart_at is None:
                broken = f"writer A exited with {a.process.returncode} during the run"
                break

            # a fault for a short spell
            name, make = rng.choice(FAULTS)
            spec = make(rng)
            spell = rng.uniform(1, 4)
            peer.control("POST", "fault", spec)
            faults[name] += 1
            spell_end = time.monotonic() + spell
            while time.monotonic() < spell_end:
                time.sleep(0.1)
                if restart_at is not None and time.monotonic() >= restart_at:
                    a.start()
                    restart_at = None
            # over: reset closes what "hang" held; the marker is a peer option, it stays
            requests += peer.reset()

            # calm, and now and then a kill -9 of A as it replays
            calm_end = time.monotonic() + rng.uniform(1, 3)
            kill_at = time.monotonic() + rng.uniform(0.1, 1.5)
            while time.monotonic() < calm_end:
                time.sleep(0.05)
                now = time.monotonic()
                if restart_at is not None and now >= restart_at:
                    a.start()
                    restart_at = None
                if restart_at is None and a.alive() and now >= next_kill and now >= kill_at:
                    a.kill9()
                    restart_at = now + rng.uniform(0.2, 2)
                    next_kill = now + rng.uniform(5, 15)
            if b.alive():
                sample = b.rss_kb()
                if sample is not None:
                    rss_samples.append(sample)

        # the end: no faults, writers drain and stop
        requests += peer.reset()
        if broken is None:
            log("soak: faults cleared; the writers drain and stop")
            if restart_at is not None or not a.alive():
                a.start(drain=True)
                code_a = a.wait(240)
            else:
                code_a = a.stop(240)
            code_b = b.stop(240)
            for writer, code in ((a, code_a), (b, code_b)):
                if code != 0:
                    problems.append(f"writer {writer.name} ended with {code} (3: writes still pending)")
    finally:
        for writer in (a, b):
            if writer.alive():
                writer.process.kill()
                writer.process.wait()

    try:
        state = peer.control("GET", "state")["tables"]
        requests += peer.control("GET", "stats")["requests"]
    finally:
        peer.stop()

    if broken is not None:
        problems.append(broken)

    # --- the check ---------------------------------------------------------
    intended, queued, errors = {}, {}, {}
    for writer in (a, b):
        i, q, e = writer.journal()
        intended.update(i)
        queued.update(q)
        errors.update(e)

    on_deployment = collections.defaultdict(list)   # token -> [(table, clientId)]
    by_client_id = collections.Counter()
    unknown = []
    for table in ("conversations", "messages"):
        for document in state.get(table, []):
            by_client_id[(table, document["clientId"])] += 1
            token = token_of(table, document)
            if token is None or token not in intended:
                unknown.append((table, document["clientId"], token))
            else:
                on_deployment[token].append((table, document["clientId"]))

    duplicates = [key for key, n in by_client_id.items() if n > 1]
    duplicates += [(token, places) for token, places in on_deployment.items()
                   if len({cid for _, cid in places}) > 1]
    missing, wrong_id = [], []
    refused_on_deployment, refused_not_failed = [], []
    failed_entries = {}
    pending_left = []
    for writer in (a, b):
        try:
            report = writer.outbox()
        except OSError:
            problems.append(f"writer {writer.name} left no outbox report")
            continue
        writer.rss_end = report["rssKb"]
        writer.rss_end_raw = report.get("rssRawKb")
        for entry in report["entries"]:
            if entry["status"] == "failed":
                failed_entries[(entry["table"], entry["clientId"])] = entry["error"]
            else:
                pending_left.append(entry)

    queued_refused = 0
    for token, (kind, client_id, how) in queued.items():
        table = "conversations" if kind == "c" else "messages"
        if MARKER in token:
            queued_refused += 1
            if token in on_deployment:
                refused_on_deployment.append(token)
            if (table, client_id) not in failed_entries:
                refused_not_failed.append(token)
            continue
        places = on_deployment.get(token, [])
        if not places:
            missing.append(token)
        elif places[0][1] != client_id:
            wrong_id.append(token)
    for token in intended:
        if MARKER in token and token not in queued and token in on_deployment:
            refused_on_deployment.append(token)

    # the peer refuses only what carries the marker (its reason names it)
    wrongly_failed = [(key, why) for key, why in failed_entries.items() if MARKER not in (why or "")]

    counts = collections.Counter(m.get("conversationId") for m in state.get("messages", []))
    bad_counts = [(c["clientId"], c.get("messageCount"), counts.get(c["clientId"], 0))
                  for c in state.get("conversations", [])
                  if c.get("messageCount") != counts.get(c["clientId"], 0)]

    if duplicates:
        problems.append(f"{len(duplicates)} duplicated on the deployment: {duplicates[:5]}")
    if missing:
        problems.append(f"{len(missing)} queued writes missing on the deployment: {missing[:5]}")
    if wrong_id:
        problems.append(f"{len(wrong_id)} on the deployment under another clientId: {wrong_id[:5]}")
    if unknown:
        problems.append(f"{len(unknown)} unknown documents on the deployment: {unknown[:5]}")
    if refused_on_deployment:
        problems.append(f"{len(refused_on_deployment)} refused writes on the deployment: {refused_on_deployment[:5]}")
    if refused_not_failed:
        problems.append(f"{len(refused_not_failed)} refused writes not failed in an outbox: {refused_not_failed[:5]}")
    if wrongly_failed:
        problems.append(f"{len(wrongly_failed)} writes failed that the deployment never refused: {wrongly_failed[:3]}")
    if pending_left:
        problems.append(f"{len(pending_left)} writes still pending in the outboxes: {pending_left[:3]}")
    if bad_counts:
        problems.append(f"{len(bad_counts)} conversations whose messageCount is wrong: {bad_counts[:5]}")
    if errors:
        problems.append(f"{len(errors)} writes the core refused at once: {list(errors.items())[:3]}")

    rss_end = getattr(b, "rss_end", None)
    rss_end_raw = getattr(b, "rss_end_raw", None)
    if rss_warm is None:
        problems.append("the run ended before warm-up did")
    elif rss_end is None or rss_end > rss_warm * 1.10:
        problems.append(f"writer B's RSS grew from {rss_warm} KB after warm-up to {rss_end} KB at the end (> 10 %)")

    acked = sum(1 for (_, _, how) in queued.values() if how == "acked")
    log("")
    log("soak summary")
    log(f"  duration          {args.minutes:g} min (seed {seed})")
    log(f"  writes asked for  {len(intended)} (A: {a.runs} runs, B: 1 run)")
    log(f"  writes queued     {len(queued)}: {acked} acknowledged at once, {len(queued) - acked} kept in the outbox first"
        f" ({sum(1 for t in queued if t.startswith('A'))} by A, {sum(1 for t in queued if t.startswith('B'))} by B)")
    log(f"  unconfirmed       {len(intended) - len(queued) - len(errors)} (writer killed between asking and the journal line)")
    log(f"  on the deployment {len(state.get('conversations', []))} conversations, {len(state.get('messages', []))} messages")
    log(f"  kills (-9)        {a.kills} ({a.kills_replaying} with writes pending in the outbox)")
    log(f"  faults            {sum(faults.values())}: " + ", ".join(f"{k} {v}" for k, v in sorted(faults.items())))
    log(f"  peer requests     {requests}")
    log(f"  duplicates        {len(duplicates)}")
    log(f"  missing           {len(missing)}")
    log(f"  unknown           {len(unknown)}")
    log(f"  refused (marked)  {queued_refused} queued, {len(failed_entries)} failed in the outboxes, "
        f"{len(refused_on_deployment)} on the deployment")
    log(f"  pending at end    {len(pending_left)}")
    log(f"  messageCount      {len(state.get('conversations', [])) - len(bad_counts)} of "
        f"{len(state.get('conversations', []))} conversations right")
    if rss_samples:
        log(f"  RSS writer B      in use after warm-up {rss_warm} KB, at the end {rss_end} KB"
            + (f" ({100.0 * (rss_end - rss_warm) / rss_warm:+.1f} %, limit +10 %)" if rss_warm and rss_end else ""))
        log(f"                    before trimming {rss_warm_raw} KB and {rss_end_raw} KB; "
            f"sampled during the run {min(rss_samples)}-{max(rss_samples)} KB")
    for problem in problems:
        log(f"  PROBLEM: {problem}")

    if not args.keep and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    elif problems:
        log(f"  (work dir kept: {workdir})")

    if problems:
        log(f"soak: INVARIANT BROKEN: {problems[0]}")
        return 1
    log("soak: invariant held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
