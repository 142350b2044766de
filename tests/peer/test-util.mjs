// SPDX-License-Identifier: GPL-3.0-or-later
//
// What the peer's tests share: starting and stopping a peer, the official
// client on it, raw requests and the control API.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";

export const PEER = fileURLToPath(new URL("./convex-peer.mjs", import.meta.url));
export const KEY = "dev:cairn-test-123|0123456789abcdef";
export const READ_ONLY_KEY = "dev:cairn-test-123|fedcba9876543210";

/** Starts a peer and waits for its one line on stdout. */
export function startPeer(...extra) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const proc = spawn(process.execPath, [PEER, "--port", "0", "--admin-key", KEY, ...extra], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (match) resolve({ url: match[1], proc, stdout: () => stdout, startMs: Date.now() - started, stop: () => stopPeer(proc) });
    });
    proc.on("exit", (code) => reject(new Error(`peer exited with ${code} before listening: ${stdout}`)));
  });
}

export function stopPeer(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.once("exit", (code) => resolve(code));
    proc.kill("SIGTERM");
  });
}

export function client(url, key = KEY) {
  const c = new ConvexHttpClient(url, { skipConvexDeploymentUrlCheck: true, logger: false });
  if (key !== null) c.setAdminAuth(key);
  return c;
}

/** A raw request to the peer: status, headers and body (parsed when JSON). */
export async function raw(url, route, { body, headers = {}, method = "POST", signal, redirect } = {}) {
  const response = await fetch(url + route, {
    method,
    signal,
    redirect,
    headers: { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function control(url, route, body) {
  const r = await raw(url, `/_peer/${route}`, body === undefined ? { method: "GET" } : { body });
  assert.equal(r.status, 200, r.text);
  return r.json;
}
