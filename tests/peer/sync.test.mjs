// SPDX-License-Identifier: GPL-3.0-or-later
//
// The peer's sync protocol (the WebSocket at /api/<version>/sync, sync.mjs),
// judged by the official client: ConvexClient from the pinned `convex`
// package, in Node, on a `ws` WebSocket that records every frame. Each test
// fails on anything its logger (or console.error/warn) says, and checks the
// versions of every Transition the peer sent (sync-util.mjs checkVersions).
// Raw `ws` sockets check the exact message shapes, the errors and the faults
// a C client is tested with.
//
//   node --test tests/peer/sync.test.mjs
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { KEY, control, raw, startPeer } from "./test-util.mjs";
import {
  allNotes, checkVersions, fn, insertOverHttp, measureLatency, note, officialClient, percentile, subscribeNotes, transitions,
  waitFor,
} from "./sync-util.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let peer;
let url;
const open = []; // the official clients of the running test
const consoleSaid = [];
const savedConsole = { error: console.error, warn: console.warn };

before(async () => {
  peer = await startPeer();
  url = peer.url;
});
after(() => peer.stop());

beforeEach(async () => {
  await control(url, "reset", { data: true });
  consoleSaid.length = 0;
  console.error = (...args) => consoleSaid.push(["console.error", ...args]);
  console.warn = (...args) => consoleSaid.push(["console.warn", ...args]);
});

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  Object.assign(console, savedConsole);
});

/** An official client for this test, closed after it; `expectLogs` is what its log may say. */
function official(options) {
  const c = officialClient(url, options);
  open.push(c);
  return c;
}

/** Nothing was logged, and the versions the peer sent are exactly right. */
function clean(...clients) {
  for (const c of clients) {
    assert.deepEqual(c.logs, [], "the official client logged nothing");
    checkVersions(c.sockets);
  }
  assert.deepEqual(consoleSaid, [], "nothing on console.error/warn");
}

// ---------------------------------------------------------------------------
// A raw sync socket, for exact shapes

function rawSocket(path = "/api/1.48.0/sync", headers = {}) {
  const ws = new WebSocket(url.replace("http", "ws") + path, { headers });
  const received = [];
  const waiters = [];
  ws.on("message", (data) => {
    const text = data.toString("utf8");
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      message = { type: "<not JSON>", text };
    }
    received.push(message);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => {
    ws.on("open", resolve);
    ws.on("error", reject);
    ws.on("unexpected-response", (req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
  });
  return {
    ws,
    received,
    opened,
    closed,
    send: (m) => ws.send(JSON.stringify(m)),
    /** The next message (of that type) not yet taken. */
    async next(type) {
      for (;;) {
        const i = received.findIndex((m) => type === undefined || m.type === type);
        if (i !== -1) return received.splice(i, 1)[0];
        await Promise.race([new Promise((resolve) => waiters.push(resolve)), sleep(5000).then(() => {
          throw new Error(`no ${type ?? "message"} in 5 s`);
        })]);
      }
    },
  };
}

const connect = (sessionId = "6f1f8f5e-2c1b-4a7e-9d3e-1a2b3c4d5e6f", connectionCount = 0) => ({
  type: "Connect", sessionId, connectionCount, lastCloseReason: "InitialConnect", clientTs: Date.now(),
});
const authenticate = (value = KEY, baseVersion = 0) => ({ type: "Authenticate", tokenType: "Admin", value, baseVersion });
const addNotes = (queryId, baseVersion = 0) => ({
  type: "ModifyQuerySet", baseVersion, newVersion: baseVersion + 1,
  modifications: [{ type: "Add", queryId, udfPath: "documents:list", args: [allNotes] }],
});
const TS_ZERO = "AAAAAAAAAAA=";

describe("the official ConvexClient", () => {
  test("subscribes to documents:list as the admin and sees an insert made over HTTP within a second", async () => {
    const c = official();
    const sub = subscribeNotes(c.client);
    await waitFor(() => sub.latest() !== undefined, 5000, "the first result");
    assert.deepEqual(sub.latest(), []);
    const doc = note();
    const start = Date.now();
    await insertOverHttp(url, doc);
    await waitFor(() => sub.has(doc.clientId), 1000, "the insert in the subscription");
    assert.ok(Date.now() - start < 1000);
    assert.deepEqual(sub.errors, []);
    const [socket] = c.sockets;
    assert.deepEqual(socket.out.map((m) => m.type).slice(0, 3), ["Connect", "Authenticate", "ModifyQuerySet"]);
    clean(c);
  });

  test("a mutation through ConvexClient.mutation resolves, with its write already in the subscription", async () => {
    const c = official();
    const sub = subscribeNotes(c.client);
    await waitFor(() => sub.latest() !== undefined, 5000, "the first result");
    const doc = note({ title: "over the socket" });
    const result = await c.client.mutation(fn.insert, { table: "notes", document: doc });
    assert.equal(result.clientId, doc.clientId);
    // resolved only once a Transition reached its ts: the query result has it (read-your-writes)
    assert.ok(c.client.client.localQueryResult("documents:list", allNotes).page.some((n) => n.clientId === doc.clientId));
    const response = c.sockets[0].in.find((m) => m.type === "MutationResponse");
    assert.equal(response.success, true);
    assert.equal(response.requestId, 0);
    assert.match(response.ts, /^[A-Za-z0-9+/]{11}=$/);
    assert.deepEqual(response.logLines, []);
    clean(c);
  });

  test("a failing mutation rejects with the function's error", async () => {
    const c = official();
    await assert.rejects(c.client.mutation(fn.insert, { table: "nope", document: note() }), /UnknownTable/);
    // the client logs a failed mutation's error itself
    assert.equal(c.logs.length, 1);
    assert.match(c.logs[0][1], /^\[CONVEX M\(documents:insert\)\] \[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: /);
    c.logs.length = 0;
    clean(c);
  });

  test("after /_peer/sync {drop} the client reconnects by itself and a write made during the gap arrives", async () => {
    const c = official();
    const sub = subscribeNotes(c.client);
    await waitFor(() => sub.latest() !== undefined, 5000, "the first result");
    const r = await control(url, "sync", { drop: true });
    assert.equal(r.ok, true);
    const doc = note({ title: "during the gap" });
    await insertOverHttp(url, doc); // the socket is gone, the client not yet back
    await waitFor(() => sub.has(doc.clientId), 5000, "the gap's write after the reconnect");
    assert.ok(c.sockets.length >= 2, "a new socket");
    const again = c.sockets[1].out;
    assert.equal(again[0].type, "Connect");
    assert.equal(again[0].connectionCount, 1);
    assert.equal(again[0].sessionId, c.sockets[0].out[0].sessionId);
    assert.deepEqual(again.slice(1, 3).map((m) => [m.type, m.baseVersion]), [["Authenticate", 0], ["ModifyQuerySet", 0]]);
    const stats = await control(url, "stats");
    assert.equal(stats.sync.connections, 2);
    clean(c);
  });

  test("two clients see each other's writes", async () => {
    const a = official();
    const b = official();
    const subA = subscribeNotes(a.client);
    const subB = subscribeNotes(b.client);
    await waitFor(() => subA.latest() !== undefined && subB.latest() !== undefined, 5000, "the first results");
    const fromA = note({ title: "from A" });
    const fromB = note({ title: "from B" });
    await a.client.mutation(fn.insert, { table: "notes", document: fromA });
    await waitFor(() => subB.has(fromA.clientId), 1000, "A's write in B");
    await b.client.mutation(fn.insert, { table: "notes", document: fromB });
    await waitFor(() => subA.has(fromB.clientId), 1000, "B's write in A");
    clean(a, b);
  });

  test("unsubscribing sends QueryRemoved, and a write to the table then sends nothing more to it", async () => {
    const c = official();
    const sub = subscribeNotes(c.client);
    await waitFor(() => sub.latest() !== undefined, 5000, "the first result");
    sub.unsubscribe();
    const socket = c.sockets[0];
    const removed = await waitFor(
      () => transitions(socket).flatMap((t) => t.modifications).find((m) => m.type === "QueryRemoved"),
      2000,
      "QueryRemoved",
    );
    const remove = socket.out.find((m) => m.type === "ModifyQuerySet" && m.modifications.some((x) => x.type === "Remove"));
    assert.equal(removed.queryId, remove.modifications[0].queryId);
    const before = transitions(socket).length;
    await insertOverHttp(url, note());
    await sleep(200);
    assert.equal(transitions(socket).length, before, "no Transition for a query no longer subscribed");
    clean(c);
  });

  test("a query that does not read the written table is not sent again", async () => {
    const c = official();
    const sub = subscribeNotes(c.client);
    const conversations = [];
    c.client.onUpdate(fn.list, { ...allNotes, table: "conversations" }, (v) => conversations.push(v));
    await waitFor(() => sub.latest() !== undefined && conversations.length === 1, 5000, "the first results");
    await insertOverHttp(url, note());
    await waitFor(() => sub.latest().length === 1, 1000, "the note");
    await sleep(100);
    assert.equal(conversations.length, 1);
    const updated = transitions(c.sockets[0]).flatMap((t) => t.modifications).filter((m) => m.type === "QueryUpdated");
    assert.equal(updated.length, 3, "two first results and the notes' new one");
    clean(c);
  });

  test("a wrong admin key: the client logs the auth error, drops the key and the internal query fails", async () => {
    const c = official({ key: "dev:cairn-test-123|not-the-secret" });
    const sub = subscribeNotes(c.client);
    await waitFor(() => sub.errors.length > 0, 5000, "the query's error");
    assert.match(sub.errors[0].message, /Could not find public function for 'documents:list'/);
    const authError = c.sockets[0].in.find((m) => m.type === "AuthError");
    assert.deepEqual(authError, {
      type: "AuthError", error: "The provided admin key was invalid for this instance", baseVersion: 0, authUpdateAttempted: true,
    });
    assert.deepEqual(c.logs, [
      ["error", 'Failed to authenticate: "The provided admin key was invalid for this instance", check your server auth config'],
    ]);
    c.logs.length = 0;
    clean(c);
  });

  test("Transitions split into TransitionChunks (/_peer/sync {chunk}) are joined by the client", async () => {
    await control(url, "sync", { chunk: 64 });
    const c = official();
    const sub = subscribeNotes(c.client);
    await waitFor(() => sub.latest() !== undefined, 5000, "the first result");
    const doc = note({ content: "é".repeat(100) }); // cuts between characters, never inside one
    await insertOverHttp(url, doc);
    await waitFor(() => sub.has(doc.clientId), 1000, "the chunked result");
    assert.equal(sub.latest()[0].content, doc.content);
    const chunks = c.sockets[0].in.filter((m) => m.type === "TransitionChunk");
    assert.ok(chunks.length > 4);
    assert.ok(chunks.every((m) => Buffer.byteLength(m.chunk) <= 64));
    assert.equal(c.sockets[0].in.filter((m) => m.type === "Transition").length, 0);
    const stats = await control(url, "stats");
    assert.ok(stats.sync.sent.TransitionChunk >= chunks.length);
    clean(c);
  });

  test("upgrades refused (/_peer/sync {refuse}) until reset: HTTP still works, then the client connects and catches up", async () => {
    await control(url, "sync", { refuse: true });
    const c = official();
    const sub = subscribeNotes(c.client);
    const doc = note();
    await insertOverHttp(url, doc);
    await sleep(300);
    assert.equal(sub.latest(), undefined, "no socket, no result");
    await assert.rejects(rawSocket().opened, { status: 403 });
    await control(url, "sync", { reset: true });
    await waitFor(() => sub.has(doc.clientId), 5000, "the result once upgrades pass");
    assert.ok((await control(url, "stats")).sync.refused >= 2);
    c.logs.length = 0; // the client may warn about the failed connections
    clean(c);
  });

  test("the official client rejects a Transition with a wrong startVersion (the test-only fault): the checks can fail", async () => {
    // in a child process: the client throws from its message handler (an uncaught exception in Node)
    const script = `
      import { officialClient, subscribeNotes, insertOverHttp, note, waitFor } from "./sync-util.mjs";
      const url = process.argv[1];
      process.on("uncaughtException", (e) => { console.log(JSON.stringify({ uncaught: e.message })); process.exit(0); });
      const c = officialClient(url);
      const sub = subscribeNotes(c.client);
      await waitFor(() => sub.latest() !== undefined);
      await fetch(url + "/_peer/sync", { method: "POST", body: JSON.stringify({ wrongStartVersion: true }) });
      await insertOverHttp(url, note());
      setTimeout(() => { console.log(JSON.stringify({ uncaught: null })); process.exit(0); }, 3000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, url], { cwd: HERE, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    await new Promise((resolve) => child.on("exit", resolve));
    const { uncaught } = JSON.parse(out.trim().split("\n").at(-1));
    assert.match(uncaught ?? "", /^Invalid start version: /);
  });
});

// ---------------------------------------------------------------------------
// The exact messages, as a C client sees them

describe("the sync protocol on a raw socket", () => {
  test("Connect, Authenticate, ModifyQuerySet, Mutation: the messages the peer sends, exactly", async () => {
    const s = rawSocket();
    await s.opened;
    s.send(connect());
    s.send(authenticate());
    const auth = await s.next("Transition");
    assert.deepEqual(auth.startVersion, { querySet: 0, identity: 0, ts: TS_ZERO });
    assert.deepEqual({ ...auth.endVersion, ts: undefined }, { querySet: 0, identity: 1, ts: undefined });
    assert.deepEqual(auth.modifications, []);
    s.send(addNotes(0));
    const added = await s.next("Transition");
    assert.deepEqual(added.startVersion, auth.endVersion);
    assert.equal(added.endVersion.querySet, 1);
    assert.deepEqual(added.modifications, [{ type: "QueryUpdated", queryId: 0, value: { page: [], isDone: true, continueCursor: "_end_cursor", splitCursor: null, pageStatus: null }, logLines: [], journal: null }].map((m) => ({ ...m, value: added.modifications[0].value })));
    assert.deepEqual(added.modifications[0].value.page, []);

    const doc = note();
    s.send({ type: "Mutation", requestId: 0, udfPath: "documents:insert", args: [{ table: "notes", document: doc }] });
    const response = await s.next("MutationResponse");
    assert.deepEqual(Object.keys(response).sort(), ["logLines", "requestId", "result", "success", "ts", "type"]);
    assert.equal(response.result.clientId, doc.clientId);
    const after = await s.next("Transition");
    assert.deepEqual(after.startVersion, added.endVersion);
    assert.equal(after.endVersion.ts >= response.ts || Buffer.from(after.endVersion.ts, "base64").readBigUInt64LE() >= Buffer.from(response.ts, "base64").readBigUInt64LE(), true);
    assert.equal(after.modifications[0].type, "QueryUpdated");
    assert.equal(after.modifications[0].value.page[0].clientId, doc.clientId);

    s.send({ type: "ModifyQuerySet", baseVersion: 1, newVersion: 2, modifications: [{ type: "Remove", queryId: 0 }] });
    const removed = await s.next("Transition");
    assert.deepEqual(removed.modifications, [{ type: "QueryRemoved", queryId: 0 }]);
    assert.equal(removed.endVersion.querySet, 2);
    assert.equal(removed.endVersion.ts, after.endVersion.ts);

    s.send({ type: "Action", requestId: 1, udfPath: "cairn:nope", args: [{}] });
    const action = await s.next("ActionResponse");
    assert.equal(action.success, false);
    assert.match(action.result, /Could not find function for 'cairn:nope'/);
    s.ws.close();
  });

  test("a query failure is QueryFailed; without auth internal functions are not found", async () => {
    const s = rawSocket("/api/sync");
    await s.opened;
    s.send(connect());
    s.send(addNotes(3));
    const t = await s.next("Transition");
    assert.equal(t.endVersion.identity, 0);
    assert.equal(t.modifications[0].type, "QueryFailed");
    assert.equal(t.modifications[0].queryId, 3);
    assert.match(t.modifications[0].errorMessage, /^\[Request ID: [0-9a-f]{16}\] Server Error\nCould not find public function for 'documents:list'/);
    assert.deepEqual(t.modifications[0].logLines, []);
    s.ws.close();
  });

  test("a query-set version mismatch is a FatalError, then the socket closes", async () => {
    const s = rawSocket();
    await s.opened;
    s.send(connect());
    s.send(addNotes(0, 5));
    const error = await s.next("FatalError");
    assert.match(error.error, /Base version 5 passed up doesn't match the current version 0/);
    const closed = await s.closed;
    assert.equal(closed.code, 1011);
  });

  test("a wrong admin key: AuthError, then the socket closes", async () => {
    const s = rawSocket();
    await s.opened;
    s.send(connect());
    s.send(authenticate("dev:cairn-test-123|wrong"));
    assert.deepEqual(await s.next("AuthError"), {
      type: "AuthError", error: "The provided admin key was invalid for this instance", baseVersion: 0, authUpdateAttempted: true,
    });
    assert.equal((await s.closed).code, 1011);
  });

  test("a mutation resent on a new socket of the same session (same requestId) runs once", async () => {
    const session = "11111111-2222-4333-8444-555555555555";
    const doc = note();
    const mutation = { type: "Mutation", requestId: 7, udfPath: "documents:insert", args: [{ table: "notes", document: doc }] };
    const first = rawSocket();
    await first.opened;
    first.send(connect(session));
    first.send(authenticate());
    first.send(mutation);
    const a = await first.next("MutationResponse");
    first.ws.terminate();
    const second = rawSocket();
    await second.opened;
    second.send(connect(session, 1));
    second.send(authenticate());
    second.send(mutation);
    const b = await second.next("MutationResponse");
    assert.deepEqual(b, a);
    const state = await control(url, "state");
    assert.equal(state.tables.notes.filter((n) => n.clientId === doc.clientId).length, 1);
    second.ws.close();
  });

  test("/_peer/sync {malformed} sends one frame that is not JSON; then the socket goes on", async () => {
    const s = rawSocket();
    await s.opened;
    s.send(connect());
    s.send(authenticate());
    await s.next("Transition");
    await control(url, "sync", { malformed: true });
    const bad = await s.next("<not JSON>");
    assert.throws(() => JSON.parse(bad.text));
    s.send(addNotes(0));
    assert.equal((await s.next("Transition")).endVersion.querySet, 1);
    const stats = await control(url, "stats");
    assert.equal(stats.sync.sent.malformed, 1, JSON.stringify(stats.sync));
    assert.equal(stats.sync.received.Connect, 1, JSON.stringify(stats.sync));
    s.ws.close();
  });

  test("a quiet socket gets {\"type\":\"Ping\"} (after idlePingMs, 15 s unless set) and WebSocket pings", async () => {
    await control(url, "sync", { idlePingMs: 100 });
    const s = rawSocket();
    await s.opened;
    s.send(connect());
    s.send(authenticate());
    await s.next("Transition");
    const start = Date.now();
    assert.deepEqual(await s.next("Ping"), { type: "Ping" });
    assert.ok(Date.now() - start >= 90);
    s.ws.close();
  });

  test("/_peer/sync refuses what it does not know", async () => {
    for (const body of [{ chunk: -1 }, { chunk: "64" }, { idlePingMs: 1 }, { dorp: true }]) {
      const r = await raw(url, "/_peer/sync", { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.code, "BadSyncFault");
    }
  });

  test("a bad client version in the path is refused; an unknown path is 404", async () => {
    await assert.rejects(rawSocket("/api/not-a-version/sync").opened, { status: 400 });
    await assert.rejects(rawSocket("/api/1.48.0/elsewhere").opened, { status: 404 });
    const ok = rawSocket("/api/not-a-version/sync", { "Convex-Client": "cairn-0.1.0" });
    await ok.opened;
    ok.ws.close();
  });
});

describe("latency", () => {
  test("insert over HTTP → the official client's callback, 200 writes on loopback", async (t) => {
    const c = official();
    const { latencies, afterAck } = await measureLatency(url, c.client, 200);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    t.diagnostic(
      `insert over HTTP → ConvexClient callback: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, ` +
        `max ${Math.max(...latencies).toFixed(1)} ms; from the HTTP answer: p50 ${percentile(afterAck, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(afterAck, 95).toFixed(1)} ms (200 writes)`,
    );
    assert.ok(p50 < 150 && p95 < 400, `p50 ${p50}, p95 ${p95}`);
    clean(c);
  });
});
