#!/usr/bin/env python3
"""Cairn's UI benchmark: a big store, beside a minimal libadwaita window.

With 10 000 conversations and one conversation of 100 000 messages in the
store:

  * launch to first frame of cairn (empty store and big store), beside a
    minimal libadwaita window (tests/bench/minimal-window.c), runs alternating;
    both programs are timed by the same LD_PRELOAD probe
    (first-frame-probe.c): from just before the spawn to the after-paint of
    the first frame their window was rendered in, on CLOCK_MONOTONIC;
  * opening the big conversation in the real window, as a click does
    (bench-ui.c), in fresh processes: until the first page of messages is
    listed, and until a frame showing them has been painted;
  * memory (VmRSS) with the big conversation open, against an empty store with
    one small conversation open;
  * long messages (bench-ui --long-message), each in a fresh process on a
    copy of the small store: 100 000 letters without a space, 100 000 bytes
    of words, and the largest message Cairn stores (about 1 MiB, no space),
    sent into the open conversation as Send does, until a frame showing its
    row has been painted; then Show Full Message, until its window's first
    frame has been painted, and ten frames more while it lays out the rest.

Targets: first frame within 1.5x the minimal window's (median against
median); the big conversation shown in under 200 ms (median); RSS with it
open less than 40 MB above the empty store's (medians); every long message
painted within 1 s of its send (median).

The stores are seeded once (seed-store) and kept in
BUILD_DIR/tests/bench/ui-bench-data. Prints a table and writes
BUILD_DIR/bench-ui.json. Exits non-zero only when something failed to run;
a missed target is reported, not failed. Where the time of an open goes:
bench-ui --trace (see bench-ui.c).

usage: ui-bench.py BUILD_DIR [--runs N] [--ui-runs N] [--long-runs N] [--scroll-pages N]
                  [--reseed] [--seed-method api|sql] [--only-long-messages]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# Bump when seed-store writes different content, so cached stores are redone.
SEED_FORMAT = 1
STORES = {
    # name: seed-store arguments
    "empty": ["--conversations=0", "--big-messages=0", "--small-messages=0"],
    "baseline": ["--conversations=1", "--big-messages=0", "--small-messages=20"],
    "big": ["--conversations=10000", "--big-messages=100000", "--small-messages=20"],
}
FIRST_FRAME_TARGET = 1.5      # x the minimal window's median
OPEN_TARGET_MS = 200.0
RSS_TARGET_MB = 40.0
LONG_MESSAGE_TARGET_MS = 1000.0
SCROLL_PAGE_TARGET_MS = 50.0  # a page of older messages, scrolled back to (median)
LONG_MESSAGES = (("unbroken-100k", "100 000 letters, no space"),
                 ("spaces-100k", "100 000 bytes of words"),
                 ("unbroken-1m", "the largest message (~1 MiB), no space"))
TIMEOUT_S = 120
BUSY_WARNING_PERCENT = 25     # of all CPUs, before the run: others are measuring too


# Statistics -------------------------------------------------------------------

def percentile(values, p):
    """Linear interpolation between closest ranks, as numpy's default."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(values):
    return {"median": percentile(values, 50), "p90": percentile(values, 90),
            "min": min(values), "max": max(values), "n": len(values), "samples": values}


# The machine ------------------------------------------------------------------

def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields), idle


class CpuMeter:
    """How busy every CPU of the machine was (anything running, us included)."""

    def __init__(self):
        self.total, self.idle = cpu_times()

    def busy_percent(self):
        total, idle = cpu_times()
        dt = total - self.total
        return 100.0 * (1 - (idle - self.idle) / dt) if dt > 0 else 0.0


def machine():
    """The CPUs, the load average, and how busy they are while we do nothing (1 s)."""
    meter = CpuMeter()
    time.sleep(1.0)
    return {"cpus": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "busy_percent_idle_1s": meter.busy_percent()}


# Stores -------------------------------------------------------------------------

def ensure_store(build, data_root, name, method, reseed):
    """The seeded store NAME: its folder and the seed manifest. Reused when cached."""
    directory = os.path.join(data_root, name)
    manifest_path = os.path.join(directory, "manifest.json")
    wanted = {"format": SEED_FORMAT, "args": STORES[name] + [f"--method={method}"]}
    if not reseed and os.path.exists(os.path.join(directory, "cairn.db")):
        try:
            with open(manifest_path) as f:
                manifest = json.load(f)
            if {k: manifest.get(k) for k in wanted} == wanted:
                manifest["cached"] = True
                return directory, manifest
        except (OSError, ValueError):
            pass

    shutil.rmtree(directory, ignore_errors=True)
    scratch = directory + ".tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    print(f"seeding the {name} store …", flush=True)
    seed = subprocess.run([os.path.join(build, "tests", "bench", "seed-store")] + wanted["args"]
                          + [os.path.join(scratch, "cairn.db")],
                          capture_output=True, text=True)
    if seed.returncode != 0:
        raise RuntimeError(f"seeding the {name} store failed:\n{seed.stderr}")
    manifest = dict(wanted, seed=json.loads(seed.stdout.strip().splitlines()[-1]))
    with open(os.path.join(scratch, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    os.rename(scratch, directory)
    manifest["cached"] = False
    return directory, manifest


# Running the programs -------------------------------------------------------------

def program_env(build, probe=False):
    env = dict(os.environ)
    env.setdefault("GSK_RENDERER", "cairo")
    env["GSETTINGS_SCHEMA_DIR"] = os.path.join(build, "data")
    env["GSETTINGS_BACKEND"] = "memory"
    if probe:
        env["LD_PRELOAD"] = os.path.join(build, "tests", "bench", "first-frame-probe.so")
        env["CAIRN_BENCH_PROBE_QUIT"] = "1"
    return env


def first_frame(command, env):
    """ms from just before the spawn to the first painted frame, and kB of memory then."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"{command[0]} did not paint and quit within {TIMEOUT_S} s")
    lines = [line for line in out.splitlines() if line.startswith("first-frame ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode} "
                           f"without a first frame:\n{err}")
    _, us, rss, hwm = lines[0].split()
    return {"ms": (int(us) / 1e6 - started) * 1000.0, "rss_kb": int(rss), "hwm_kb": int(hwm)}


def bench_ui(build, directory, arguments, env):
    command = [os.path.join(build, "tests", "bench", "bench-ui"), f"--data-dir={directory}"] + arguments
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT_S * 3)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# The measurements -----------------------------------------------------------------

def measure_first_frames(build, stores, runs):
    minimal = [os.path.join(build, "tests", "bench", "minimal-window")]
    cairn = os.path.join(build, "src", "cairn")
    programs = {
        "minimal": minimal,
        "cairn-empty": [cairn, f"--data-dir={stores['empty']}"],
        "cairn-big": [cairn, f"--data-dir={stores['big']}"],
    }
    env = program_env(build, probe=True)
    # one unmeasured launch each: the files in the page cache, as on a used desktop
    for command in programs.values():
        first_frame(command, env)
    samples = {name: [] for name in programs}
    for _ in range(runs):
        for name, command in programs.items():
            samples[name].append(first_frame(command, env))
    return samples


def measure_opens(build, stores, manifests, runs, scroll_pages):
    env = program_env(build)
    big = manifests["big"]["seed"]
    baseline = manifests["baseline"]["seed"]
    results = {"big": [], "baseline": []}
    for i in range(runs):
        results["big"].append(bench_ui(build, stores["big"], [
            f"--open={big['bigId']}", f"--other={big['smallId']}", "--reopen=3",
            f"--scroll-pages={scroll_pages if i == 0 else 0}"], env))
        results["baseline"].append(bench_ui(build, stores["baseline"], [
            f"--open={baseline['smallId']}"], env))
    return results


def measure_long_messages(build, stores, manifests, runs):
    """Each long message in its own process, on a copy of the small store (it is written to)."""
    env = program_env(build)
    small = manifests["baseline"]["seed"]["smallId"]
    results = {kind: [] for kind, _ in LONG_MESSAGES}
    for _ in range(runs):
        for kind, _ in LONG_MESSAGES:
            with tempfile.TemporaryDirectory(prefix="ui-bench-long-") as scratch:
                shutil.copy(os.path.join(stores["baseline"], "cairn.db"), scratch)
                results[kind].append(bench_ui(build, scratch, [f"--open={small}", f"--long-message={kind}"], env))
    return results


def report_long_messages(result, long_messages):
    print()
    print(f"long messages, ms from the send to …        (median of {len(next(iter(long_messages.values())))})"
          f"   saved   painted   next 10 frames   whole: painted   next 10 frames")
    result["long_message_ms"] = {}
    for kind, label in LONG_MESSAGES:
        runs = long_messages[kind]
        sent = summary([r["long_message"]["sent_ms"] for r in runs])
        painted = summary([r["long_message"]["painted_ms"] for r in runs])
        frames = summary([r["long_message_next_10_frames_ms"] for r in runs])
        full = summary([r["full_message_painted_ms"] for r in runs])
        full_frames = summary([r["full_message_next_10_frames_ms"] for r in runs])
        met = painted["median"] < LONG_MESSAGE_TARGET_MS
        result["long_message_ms"][kind] = {"bytes": runs[0]["long_message"]["bytes"], "sent_ms": sent,
                                           "painted_ms": painted, "next_10_frames_ms": frames,
                                           "full_painted_ms": full, "full_next_10_frames_ms": full_frames}
        result["targets"][f"long_message_{kind}"] = {"median_ms": painted["median"],
                                                     "target_ms": LONG_MESSAGE_TARGET_MS, "met": met}
        print(f"  {label:52} {sent['median']:7.1f} {painted['median']:9.1f} {frames['median']:12.1f}"
              f"   {full['median']:14.1f} {full_frames['median']:16.1f}"
              f"   target < {LONG_MESSAGE_TARGET_MS:.0f} ms: {verdict(met)}")


# Report ----------------------------------------------------------------------------

def verdict(met):
    return "MET" if met else "MISSED"


def mb(kb):
    return kb / 1024.0


def report(context, frames, opens):
    result = {"context": context, "targets": {}}

    ff = {name: summary([s["ms"] for s in samples]) for name, samples in frames.items()}
    ff_rss = {name: summary([s["rss_kb"] for s in samples]) for name, samples in frames.items()}
    result["first_frame_ms"] = ff
    result["first_frame_rss_kb"] = ff_rss
    runs = ff["minimal"]["n"]

    print()
    print(f"launch to first frame, ms ({runs} runs each, alternating)   median      p90   ×minimal  RSS MB")
    for name, label in (("minimal", "minimal libadwaita window"), ("cairn-empty", "cairn, empty store"),
                        ("cairn-big", "cairn, 10 000 + 100 000 store")):
        ratio = ff[name]["median"] / ff["minimal"]["median"]
        line = (f"  {label:52} {ff[name]['median']:8.1f} {ff[name]['p90']:8.1f}"
                f"   {ratio:6.2f}x  {mb(ff_rss[name]['median']):6.1f}")
        if name != "minimal":
            met = ratio <= FIRST_FRAME_TARGET
            result["targets"][f"first_frame_{name}"] = {"ratio": ratio, "target": FIRST_FRAME_TARGET, "met": met}
            line += f"   target <= {FIRST_FRAME_TARGET}x: {verdict(met)}"
        print(line)

    big, base = opens["big"], opens["baseline"]
    open_keys = ("first_page_ms", "painted_ms", "settled_ms")
    op = {k: summary([r["open"][k] for r in big]) for k in open_keys}
    reop = {k: summary([x[k] for r in big for x in r["reopen"]]) for k in open_keys}
    base_op = {k: summary([r["open"][k] for r in base]) for k in open_keys}
    result["open_big_ms"] = op
    result["reopen_big_ms"] = reop
    result["open_small_ms"] = base_op
    print()
    print(f"open the big conversation, ms (click to …)         fresh process (n={len(big)})   "
          f"again (n={reop['painted_ms']['n']})   small one (n={len(base)})")
    print(f"  {'':48} median    p90    median    p90    median")
    for key, label in (("first_page_ms", "its first page of messages listed"),
                       ("painted_ms", "a frame showing them painted"),
                       ("settled_ms", "crossfade over, at the newest message")):
        line = (f"  {label:48} {op[key]['median']:6.1f} {op[key]['p90']:6.1f}    "
                f"{reop[key]['median']:6.1f} {reop[key]['p90']:6.1f}    {base_op[key]['median']:6.1f}")
        if key == "painted_ms":
            met = op[key]["median"] < OPEN_TARGET_MS
            result["targets"]["open_big"] = {"median_ms": op[key]["median"], "target_ms": OPEN_TARGET_MS,
                                             "met": met}
            line += f"   target < {OPEN_TARGET_MS:.0f} ms: {verdict(met)}"
        print(line)

    def mem(runs, phase, field):
        return summary([r[phase][field] for r in runs])

    big_open = mem(big, "memory_open", "VmRSS")
    base_open = mem(base, "memory_open", "VmRSS")
    big_hwm = mem(big, "memory_open", "VmHWM")
    base_hwm = mem(base, "memory_open", "VmHWM")
    delta = mb(big_open["median"] - base_open["median"])
    met = delta < RSS_TARGET_MB
    result["memory_kb"] = {
        "big_before_open": mem(big, "memory_before_open", "VmRSS"),
        "big_open": big_open, "big_open_hwm": big_hwm,
        "big_open_anon": mem(big, "memory_open", "RssAnon"),
        "baseline_before_open": mem(base, "memory_before_open", "VmRSS"),
        "baseline_open": base_open, "baseline_open_hwm": base_hwm,
        "baseline_open_anon": mem(base, "memory_open", "RssAnon"),
    }
    result["targets"]["rss_big_open"] = {"delta_mb": delta, "target_mb": RSS_TARGET_MB, "met": met}
    mk = result["memory_kb"]
    print()
    print(f"memory, MB (median of {len(big)} processes)                 VmRSS before open  with it open"
          f"  (anon)  VmHWM")
    print(f"  {'empty store, a conversation of 20 messages':54} {mb(mk['baseline_before_open']['median']):8.1f}"
          f"  {mb(base_open['median']):12.1f}  {mb(mk['baseline_open_anon']['median']):6.1f}"
          f"  {mb(base_hwm['median']):5.1f}")
    print(f"  {'big store, the 100 000-message conversation':54} {mb(mk['big_before_open']['median']):8.1f}"
          f"  {mb(big_open['median']):12.1f}  {mb(mk['big_open_anon']['median']):6.1f}"
          f"  {mb(big_hwm['median']):5.1f}")
    print(f"  {'difference with the conversation open':54} {'':8}  {delta:12.1f}"
          f"   target < {RSS_TARGET_MB:.0f} MB: {verdict(met)}")

    loaded = [r["messages_loaded"] for r in big]
    sidebar = [r["sidebar_conversations"] for r in big]
    result["messages_loaded_after_open"] = loaded
    result["sidebar_conversations_loaded"] = sidebar
    result["sidebar_rows_painted_ms"] = {"big": summary([r["sidebar_ms"] for r in big]),
                                         "baseline": summary([r["sidebar_ms"] for r in base])}
    total = context["stores"]["big"]["seed"]
    print()
    print(f"page by page: {max(loaded)} of {total['bigMessages']} messages loaded with the big conversation open; "
          f"the sidebar holds {max(sidebar)} of {total['conversations']} conversations")
    print(f"sidebar rows painted (bench-ui, from its main()): median "
          f"{result['sidebar_rows_painted_ms']['big']['median']:.0f} ms with the big store, "
          f"{result['sidebar_rows_painted_ms']['baseline']['median']:.0f} ms with the small one")
    scrolled = [r for r in big if "scroll_ms" in r]
    if scrolled:
        s = scrolled[0]
        grown = mb(s["memory_after_scroll"]["VmRSS"] - s["memory_open"]["VmRSS"])
        result["scroll_back"] = {k: s[k] for k in ("scroll_pages", "scroll_ms", "scroll_page_median_ms",
                                                  "scroll_page_max_ms", "scroll_page_ms",
                                                  "scroll_page_cpu_median_ms", "scroll_page_cpu_max_ms",
                                                  "messages_loaded_after_scroll", "memory_after_scroll")}
        met = s["scroll_page_median_ms"] <= SCROLL_PAGE_TARGET_MS
        result["targets"]["scroll_back_page"] = {"median_ms": s["scroll_page_median_ms"],
                                                 "target_ms": SCROLL_PAGE_TARGET_MS, "met": met}
        print(f"scrolling back {s['scroll_pages']} pages: {s['scroll_ms']:.0f} ms, a page "
              f"{s['scroll_page_median_ms']:.1f} ms (median), {s['scroll_page_max_ms']:.1f} ms (max) "
              f"[target <= {SCROLL_PAGE_TARGET_MS:.0f} ms: {verdict(met)}], CPU a page "
              f"{s['scroll_page_cpu_median_ms']:.1f} ms (median), {s['scroll_page_cpu_max_ms']:.1f} ms (max), "
              f"{s['messages_loaded_after_scroll']} messages loaded, VmRSS {grown:+.1f} MB")

    print()
    for name, target in result["targets"].items():
        print(f"  {name:28} {verdict(target['met'])}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build")
    parser.add_argument("--runs", type=int, default=10, help="first-frame launches of each program")
    parser.add_argument("--ui-runs", type=int, default=5, help="bench-ui processes for each store")
    parser.add_argument("--long-runs", type=int, default=3, help="bench-ui processes for each long message")
    parser.add_argument("--only-long-messages", action="store_true",
                        help="measure the long messages only (and seed only the small store)")
    parser.add_argument("--scroll-pages", type=int, default=20)
    parser.add_argument("--reseed", action="store_true", help="seed the stores again")
    parser.add_argument("--seed-method", choices=("api", "sql"), default="api",
                        help="seed through the store API (minutes on real disks, once) or SQLite directly")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    data_root = os.path.join(build, "tests", "bench", "ui-bench-data")

    context = {"machine_start": machine()}
    stores, manifests = {}, {}
    for name in STORES:
        if args.only_long_messages and name != "baseline":
            continue
        stores[name], manifests[name] = ensure_store(build, data_root, name, args.seed_method, args.reseed)

    if args.only_long_messages:
        meter = CpuMeter()
        long_messages = measure_long_messages(build, stores, manifests, args.long_runs)
        context["cpu_busy_percent_long_messages"] = meter.busy_percent()
        result = {"context": context, "targets": {}}
        report_long_messages(result, long_messages)
        result["raw"] = {"long_messages": long_messages}
        print()
        print(f"machine: CPU busy {context['cpu_busy_percent_long_messages']:.0f}% (all CPUs, anything running)")
        with open(os.path.join(build, "bench-ui-long-messages.json"), "w") as f:
            json.dump(result, f, indent=2)
        print(f"written: {os.path.join(build, 'bench-ui-long-messages.json')}")
        return 0

    seed = manifests["big"]["seed"]
    cached = "cached" if manifests["big"]["cached"] else "just seeded"
    print(f"big store: {seed['conversations']} conversations, {seed['messages']} messages, "
          f"{seed['bytes'] / 2**20:.1f} MB ({cached}; seeding took {seed['seconds']:.1f} s, {seed['method']})")
    print(f"machine: {context['machine_start']['cpus']} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in context['machine_start']['loadavg'])}, "
          f"{context['machine_start']['busy_percent_idle_1s']:.0f}% busy before we start", flush=True)
    if context["machine_start"]["busy_percent_idle_1s"] > BUSY_WARNING_PERCENT:
        print("warning: something else keeps the CPUs busy; the times below are inflated and noisy", flush=True)

    meter = CpuMeter()
    frames = measure_first_frames(build, stores, args.runs)
    context["cpu_busy_percent_first_frames"] = meter.busy_percent()
    meter = CpuMeter()
    opens = measure_opens(build, stores, manifests, args.ui_runs, args.scroll_pages)
    context["cpu_busy_percent_opens"] = meter.busy_percent()
    meter = CpuMeter()
    long_messages = measure_long_messages(build, stores, manifests, args.long_runs)
    context["cpu_busy_percent_long_messages"] = meter.busy_percent()
    context["machine_end"] = machine()
    context["stores"] = manifests
    context["gsk_renderer"] = program_env(build)["GSK_RENDERER"]

    result = report(context, frames, opens)
    report_long_messages(result, long_messages)
    result["raw"] = {"first_frames": frames, "opens": opens, "long_messages": long_messages}
    print()
    print(f"machine: CPU busy {context['cpu_busy_percent_first_frames']:.0f}% (all CPUs, anything running) "
          f"during the launches, {context['cpu_busy_percent_opens']:.0f}% during the opens; at the end: load average "
          f"{' '.join(f'{x:.2f}' for x in context['machine_end']['loadavg'])}, "
          f"{context['machine_end']['busy_percent_idle_1s']:.0f}% busy without us")
    with open(os.path.join(build, "bench-ui.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"written: {os.path.join(build, 'bench-ui.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
