// SPDX-License-Identifier: GPL-3.0-or-later
//
// What the sync tests and the sync benchmark share: the official
// ConvexClient on the peer with its log captured and every frame it sends
// and receives recorded (a `ws` WebSocket that keeps copies), a strict check
// of the versions the peer sent, and the HTTP writes.
import assert from "node:assert/strict";
import { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import WebSocket from "ws";
import { KEY, raw } from "./test-util.mjs";

export const fn = {
  list: makeFunctionReference("documents:list"),
  insert: makeFunctionReference("documents:insert"),
};

let counter = 0;
export const uuid = () => `00000000-0000-4000-9000-${(++counter).toString(16).padStart(12, "0")}`;
export const note = (fields = {}) => ({
  clientId: uuid(), title: "Note", content: "Text", pinned: false, createdAt: 1, updatedAt: 1, ...fields,
});
/** Every note, oldest first (one page). */
export const allNotes = { table: "notes", index: "by_updatedAt", equal: [], order: "asc", paginationOpts: { numItems: 1000, cursor: null } };

/** A `ws` WebSocket that records each socket's frames, in and out, parsed. */
function recordingWebSocket(sockets) {
  return class RecordingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args);
      const frames = { in: [], out: [], raw: [] };
      sockets.push(frames);
      this._frames = frames;
      this.on("message", (data) => {
        const text = data.toString("utf8");
        frames.raw.push(text);
        try {
          frames.in.push(JSON.parse(text));
        } catch {
          frames.in.push({ type: "<not JSON>", text });
        }
      });
    }

    send(data, ...rest) {
      this._frames.out.push(JSON.parse(data));
      return super.send(data, ...rest);
    }
  };
}

/**
 * The official client on `url` (admin auth with `key` unless null): `logs`
 * collects what its logger said (and console.error/warn while it lives),
 * `sockets` the frames of each WebSocket it opened.
 */
export function officialClient(url, { key = KEY } = {}) {
  const logs = [];
  const sockets = [];
  const logger = {
    logVerbose() {},
    log: () => {},
    warn: (...args) => logs.push(["warn", ...args]),
    error: (...args) => logs.push(["error", ...args]),
  };
  const client = new ConvexClient(url, {
    skipConvexDeploymentUrlCheck: true,
    logger,
    webSocketConstructor: recordingWebSocket(sockets),
  });
  if (key !== null) client.setAdminAuth(key);
  return { client, logs, sockets, close: () => client.close() };
}

/** The Transitions a socket received (TransitionChunks joined), in order. */
export function transitions(frames) {
  const out = [];
  let parts = [];
  for (const m of frames.in) {
    if (m.type === "TransitionChunk") {
      parts.push(m.chunk);
      if (m.partNumber === m.totalParts - 1) {
        out.push(JSON.parse(parts.join("")));
        parts = [];
      }
    } else if (m.type === "Transition") {
      out.push(m);
    }
  }
  return out;
}

const tsOf = (text) => {
  const b = Buffer.from(text, "base64");
  assert.equal(b.length, 8, `a ts is 8 bytes: ${text}`);
  assert.equal(b.toString("base64"), text, `a ts is padded standard base64: ${text}`);
  return b.readBigUInt64LE();
};

/**
 * Every Transition on every socket starts where the previous one ended
 * (from {0, 0, ts 0} on each socket), versions never go back, the query
 * set version is one the client asked for, the identity version counts the
 * Authenticates, and MutationResponse ts are followed by a Transition that
 * reaches them.
 */
export function checkVersions(sockets) {
  for (const frames of sockets) {
    let previous = { querySet: 0, identity: 0, ts: "AAAAAAAAAAA=" };
    const asked = new Set([0, ...frames.out.filter((m) => m.type === "ModifyQuerySet").map((m) => m.newVersion)]);
    const authenticates = frames.out.filter((m) => m.type === "Authenticate").length;
    for (const t of transitions(frames)) {
      assert.deepEqual(t.startVersion, previous, "a Transition starts where the last one ended");
      assert.ok(t.endVersion.querySet >= previous.querySet && asked.has(t.endVersion.querySet), JSON.stringify(t.endVersion));
      assert.ok(t.endVersion.identity >= previous.identity && t.endVersion.identity <= authenticates, JSON.stringify(t.endVersion));
      assert.ok(tsOf(t.endVersion.ts) >= tsOf(previous.ts), "ts never goes back");
      assert.ok(Array.isArray(t.modifications));
      previous = t.endVersion;
    }
    const lastTs = tsOf(previous.ts);
    for (const m of frames.in.filter((m) => m.type === "MutationResponse" && m.success)) {
      assert.ok(tsOf(m.ts) <= lastTs, "a mutation's ts is reached by a later Transition");
    }
  }
}

/** Polls `condition` until it is truthy (then returns it) or `ms` pass. */
export async function waitFor(condition, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A note inserted over HTTP (documents:insert as the admin), acknowledged. */
export async function insertOverHttp(url, doc) {
  const r = await raw(url, "/api/mutation", {
    body: { path: "documents:insert", args: { table: "notes", document: doc }, format: "json" },
    headers: { Authorization: `Convex ${KEY}` },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, "success", r.text);
  return r.json.value;
}

/** A subscription to every note: `latest()` is the last page the callback got. */
export function subscribeNotes(client) {
  const state = { pages: [], errors: [], times: [] };
  state.unsubscribe = client.onUpdate(
    fn.list,
    allNotes,
    (value) => {
      state.times.push(performance.now());
      state.pages.push(value.page);
    },
    (error) => state.errors.push(error),
  );
  state.latest = () => state.pages.at(-1);
  state.has = (clientId) => state.latest()?.some((n) => n.clientId === clientId) ?? false;
  return state;
}

/** p-th percentile (nearest rank) of numbers. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Insert over HTTP → the official client's callback with it, `writes` times
 * one after the other: the latencies in ms from just before the POST
 * (`latencies`) and from its answer (`afterAck`).
 */
export async function measureLatency(url, client, writes) {
  const sub = subscribeNotes(client);
  await waitFor(() => sub.latest() !== undefined, 5000, "the first result");
  const latencies = [];
  const afterAck = [];
  for (let i = 0; i < writes; i++) {
    const doc = note({ createdAt: 1000 + i, updatedAt: 1000 + i });
    const start = performance.now();
    await insertOverHttp(url, doc);
    const ack = performance.now();
    await waitFor(() => sub.has(doc.clientId), 5000, `write ${i}`);
    const index = sub.pages.findIndex((page) => page.some((n) => n.clientId === doc.clientId));
    latencies.push(sub.times[index] - start);
    afterAck.push(sub.times[index] - ack);
  }
  sub.unsubscribe();
  return { latencies, afterAck };
}
