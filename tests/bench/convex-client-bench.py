#!/usr/bin/env python3
"""Cairn's C Convex client beside the official Node ConvexHttpClient.

10 000 small queries (cairn:ping) at concurrency 1 and 16, against the Convex
test peer and against a static canned-response server (nginx), all on
loopback, both clients in the same run; wrk against the canned server (the
same POST, 16 connections) shows what the server and the loopback allow.

Target: at concurrency 16 against the canned server, the C client reaches at
least 3x the official client's throughput at no more than 0.3x its CPU time
per request. CPU time per request is the measure to trust on a busy machine;
the load average at the start and the end is printed beside it.

usage: convex-client-bench.py BUILD_DIR [REQUESTS]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY = "dev:cairn-bench|bench-secret"
PING = {"app": "cairn", "schemaVersion": 2, "tables": ["conversations", "messages", "notes"]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_peer():
    proc = subprocess.Popen(["node", os.path.join(SOURCE, "tests", "peer", "convex-peer.mjs"),
                             "--port", "0", "--admin-key", KEY],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, line[len("listening on "):]


def start_nginx(scratch):
    port = free_port()
    body = json.dumps({"status": "success", "value": PING, "logLines": []})
    conf = os.path.join(scratch, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {scratch}/nginx.pid;
error_log {scratch}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {scratch}/body;
  proxy_temp_path {scratch}/proxy;
  fastcgi_temp_path {scratch}/fastcgi;
  uwsgi_temp_path {scratch}/uwsgi;
  scgi_temp_path {scratch}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location = /api/query {{
      default_type application/json;
      return 200 '{body}';
    }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-c", conf, "-p", scratch])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, url
        except OSError:
            import time
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"path":"cairn:ping","args":[{}],"format":"convex_encoded_json"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Convex-Client"] = "wrk"
wrk.headers["Authorization"] = "Convex %s"
"""


def run_wrk(scratch, url, concurrency, seconds=5):
    """requests/s of wrk (one thread, CONCURRENCY connections), or None without wrk"""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = os.path.join(scratch, "post.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT % KEY)
    out = subprocess.run([wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", script, url + "/api/query"],
                         capture_output=True, text=True, check=True).stdout
    rps = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec:"))
    non2xx = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
    return {"client": "wrk", "server": "canned", "concurrency": concurrency, "rps": rps, "failed": non2xx}


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(command):
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    build = sys.argv[1]
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    scratch = tempfile.mkdtemp(prefix="cairn-bench-")
    c_client = os.path.join(build, "tests", "bench", "bench-convex-client")
    node_client = os.path.join(SOURCE, "tests", "peer", "bench-official-client.mjs")
    peer, peer_url = start_peer()
    nginx, nginx_url = start_nginx(scratch)
    results = []
    print(f"load average at the start: {load()} ({os.cpu_count()} CPUs)", flush=True)
    try:
        for server, url in (("peer", peer_url), ("canned", nginx_url)):
            for concurrency in (1, 16):
                for name, command in (("cairn-c", [c_client]), ("convex-node", ["node", node_client])):
                    r = run(command + [url, KEY, str(requests), str(concurrency)])
                    r["server"] = server
                    results.append(r)
                    print(f"{server:7} c={concurrency:<3} {name:12} {r['rps']:9.0f} req/s  "
                          f"p50 {r['p50_ms']:7.3f} ms  p99 {r['p99_ms']:7.3f} ms  "
                          f"cpu {r['cpu_us_per_request']:7.1f} us/req  failed {r['failed']}", flush=True)
        w = run_wrk(scratch, nginx_url, 16)
        if w is not None:
            results.append(w)
            print(f"canned  c=16  {'wrk':12} {w['rps']:9.0f} req/s  (the server's ceiling on this machine)",
                  flush=True)
    finally:
        peer.terminate()
        nginx.terminate()
        peer.wait()
        nginx.wait()
        shutil.rmtree(scratch, ignore_errors=True)

    def pick(client):
        return next(r for r in results if r["server"] == "canned" and r["concurrency"] == 16 and r["client"] == client)

    c, node = pick("cairn-c"), pick("convex-node")
    speedup = c["rps"] / node["rps"]
    cpu_ratio = c["cpu_us_per_request"] / node["cpu_us_per_request"]
    met = speedup >= 3.0 and cpu_ratio <= 0.3
    print(f"load average at the end: {load()}")
    print(f"target (canned, c=16): throughput {speedup:.2f}x the official client (>= 3x), "
          f"CPU per request {cpu_ratio:.2f}x (<= 0.3x): {'MET' if met else 'MISSED'}")
    with open(os.path.join(build, "bench-convex-client.json"), "w") as f:
        json.dump({"results": results, "speedup": speedup, "cpu_ratio": cpu_ratio, "met": met,
                   "load": os.getloadavg()}, f, indent=2)
    return 0 if all(r["failed"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
