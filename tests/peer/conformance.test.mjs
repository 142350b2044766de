// The peer against the official Convex client (ConvexHttpClient from the
// `convex` npm package) and raw HTTP: every Cairn function, the error
// behaviour, the fault modes and the --state save/restore.
//
//   node --test tests/peer/conformance.test.mjs
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { KEY, READ_ONLY_KEY, client, control, raw, startPeer } from "./test-util.mjs";

const fn = {
  ping: makeFunctionReference("cairn:ping"),
  list: makeFunctionReference("documents:list"),
  get: makeFunctionReference("documents:get"),
  insert: makeFunctionReference("documents:insert"),
  patch: makeFunctionReference("documents:patch"),
  remove: makeFunctionReference("documents:remove"),
};

let counter = 0;
function uuid() {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`;
}

const conversation = (fields = {}) => ({
  clientId: uuid(), title: "Talk", pinned: false, archived: false, createdAt: 1, updatedAt: 1, ...fields,
});
const message = (conversationId, fields = {}) => ({
  clientId: uuid(), conversationId, role: "user", content: "Hi", createdAt: 1, ...fields,
});
const note = (fields = {}) => ({
  clientId: uuid(), title: "Note", content: "Text", pinned: false, createdAt: 1, updatedAt: 1, ...fields,
});

const admin = { Authorization: `Convex ${KEY}` };

/** The body of a raw documents:insert of a note. */
const insertNote = (doc) => ({ path: "documents:insert", args: { table: "notes", document: doc }, format: "json" });

/** The note with that clientId as the peer holds it, or undefined. */
async function storedNote(url, clientId) {
  const r = await raw(url, "/_peer/state", { method: "GET" });
  return r.json.tables.notes.find((n) => n.clientId === clientId);
}

/**
 * Sends `bytes` of a request body announced twice as long, and never the
 * rest: resolves with the answer, which must therefore come before the body
 * is complete.
 */
function postUnfinished(url, bytes) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/query`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": String(2 * bytes), ...admin },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        resolve({ status: res.statusCode, headers: res.headers, text });
        req.destroy();
      });
    });
    req.on("error", reject);
    req.write(Buffer.alloc(bytes, " "));
  });
}

describe("the peer", { timeout: 120_000 }, () => {
  let peer;
  let url;
  let convex;

  before(async () => {
    peer = await startPeer("--read-only-key", READ_ONLY_KEY);
    url = peer.url;
    convex = client(url);
  });

  after(async () => {
    assert.equal(await peer.stop(), 0);
  });

  test("prints exactly one line when ready", () => {
    assert.match(peer.stdout(), /^listening on http:\/\/127\.0\.0\.1:\d+\n$/);
  });

  describe("the Cairn functions through ConvexHttpClient", () => {
    test("cairn:ping", async () => {
      assert.deepEqual(await convex.query(fn.ping, {}), {
        app: "cairn",
        schemaVersion: 2,
        tables: ["conversations", "messages", "notes"],
        pendingMigrations: [],
      });
    });

    test("insert, get, patch, remove", async () => {
      const doc = note({ title: "Shopping" });
      assert.deepEqual(await convex.mutation(fn.insert, { table: "notes", document: doc }), doc);
      assert.deepEqual(await convex.query(fn.get, { table: "notes", clientId: doc.clientId }), doc);
      const patched = await convex.mutation(fn.patch, { table: "notes", clientId: doc.clientId, fields: { pinned: true, updatedAt: 5 } });
      assert.deepEqual(patched, { ...doc, pinned: true, updatedAt: 5 });
      assert.equal(await convex.mutation(fn.remove, { table: "notes", clientId: doc.clientId }), null);
      assert.equal(await convex.query(fn.get, { table: "notes", clientId: doc.clientId }), null);
      assert.equal(await convex.mutation(fn.remove, { table: "notes", clientId: doc.clientId }), null);
    });

    test("insert is idempotent, also when replayed concurrently", async () => {
      const doc = note({ title: "Once" });
      const replays = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          convex.mutation(fn.insert, { table: "notes", document: { ...doc, title: i === 0 ? "Once" : `Again ${i}` } }, { skipQueue: true })),
      );
      const stored = await convex.query(fn.get, { table: "notes", clientId: doc.clientId });
      for (const replay of replays) assert.deepEqual(replay, stored);
      const { tables } = await control(url, "state");
      assert.equal(tables.notes.filter((n) => n.clientId === doc.clientId).length, 1);
    });

    test("removing a conversation removes its messages", async () => {
      const c = conversation();
      await convex.mutation(fn.insert, { table: "conversations", document: c });
      for (let i = 0; i < 3; i++) {
        await convex.mutation(fn.insert, { table: "messages", document: message(c.clientId, { createdAt: i }) });
      }
      await convex.mutation(fn.remove, { table: "conversations", clientId: c.clientId });
      const { tables } = await control(url, "state");
      assert.equal(tables.messages.filter((m) => m.conversationId === c.clientId).length, 0);
    });

    test("a cascade larger than one transaction finishes in the background", async () => {
      const c = conversation();
      await convex.mutation(fn.insert, { table: "conversations", document: c });
      const total = 1000 + 25; // documents.ts removes 1000 per transaction
      for (let i = 0; i < total; i += 25) {
        await Promise.all(Array.from({ length: 25 }, (_, j) =>
          convex.mutation(fn.insert, { table: "messages", document: message(c.clientId, { createdAt: i + j }) }, { skipQueue: true })));
      }
      await convex.mutation(fn.remove, { table: "conversations", clientId: c.clientId });
      const left = async () => (await control(url, "state")).tables.messages.filter((m) => m.conversationId === c.clientId).length;
      for (let tries = 0; (await left()) > 0; tries++) {
        assert.ok(tries < 50, "the scheduled rest of the cascade never ran");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });

    test("list pages through an index range in both orders", async () => {
      const c = conversation();
      await convex.mutation(fn.insert, { table: "conversations", document: c });
      for (let i = 0; i < 11; i++) {
        await convex.mutation(fn.insert, { table: "messages", document: message(c.clientId, { createdAt: 100 + i, content: `m${i}` }) });
      }
      for (const order of ["asc", "desc"]) {
        const seen = [];
        let cursor = null;
        let pages = 0;
        for (;;) {
          const result = await convex.query(fn.list, {
            table: "messages", index: "by_conversation", equal: [c.clientId],
            lower: { value: 102, inclusive: true }, upper: { value: 109, inclusive: false },
            order, paginationOpts: { numItems: 3, cursor },
          });
          seen.push(...result.page.map((m) => m.createdAt));
          pages += 1;
          assert.equal(result.page.some((m) => "_id" in m || "_creationTime" in m), false);
          if (result.isDone) break;
          cursor = result.continueCursor;
        }
        const expected = [102, 103, 104, 105, 106, 107, 108];
        assert.deepEqual(seen, order === "asc" ? expected : expected.reverse());
        assert.ok(pages >= 3);
      }
    });

    test("a function's refusal is a ConvexError with {code, message}", async () => {
      const clientId = uuid();
      await assert.rejects(convex.mutation(fn.patch, { table: "notes", clientId, fields: { title: "x" } }), (e) => {
        assert.ok(e instanceof ConvexError);
        assert.deepEqual(e.data, { code: "NotFound", message: `No document with clientId ${clientId} in notes.` });
        assert.match(e.message, /^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: /);
        return true;
      });
      await assert.rejects(convex.mutation(fn.insert, { table: "notes", document: note({ pinned: "no" }) }), (e) => {
        assert.deepEqual(e.data, { code: "InvalidDocument", message: "The field “pinned” of “notes” must be a boolean." });
        return true;
      });
      await assert.rejects(convex.query(fn.get, { table: "meta", clientId }), (e) => e.data?.code === "UnknownTable");
    });

    test("encoded values arrive as what they are (an int64 is not a number)", async () => {
      await assert.rejects(
        convex.mutation(fn.insert, { table: "notes", document: note({ createdAt: 5n }) }),
        (e) => e.data?.message === "The field “createdAt” of “notes” must be a number.",
      );
    });

    test("argument validation fails before the function runs", async () => {
      await assert.rejects(convex.query(fn.get, { table: "notes" }), (e) => {
        assert.ok(!(e instanceof ConvexError));
        assert.match(e.message, /Server Error\nArgumentValidationError: .*clientId/);
        return true;
      });
    });

    test("a wrong key is refused with BadAdminKey", async () => {
      await assert.rejects(client(url, "dev:cairn-test-123|wrong").query(fn.ping, {}), (e) => {
        assert.deepEqual(JSON.parse(e.message), { code: "BadAdminKey", message: "The provided admin key was invalid for this instance" });
        return true;
      });
    });

    test("the key without its deployment-type prefix is the same key", async () => {
      assert.equal((await client(url, "cairn-test-123|0123456789abcdef").query(fn.ping, {})).app, "cairn");
    });

    test("without a key the internal functions are invisible", async () => {
      await assert.rejects(client(url, null).query(fn.ping, {}), {
        message: /Server Error\nCould not find public function for 'cairn:ping'\. Did you forget to run `npx convex dev` or `npx convex deploy`\?$/,
      });
      await assert.rejects(client(url, null).mutation(fn.insert, { table: "notes", document: note() }), {
        message: /Could not find public function for 'documents:insert'/,
      });
    });

    test("an unknown function, and a function of another kind", async () => {
      await assert.rejects(convex.query(makeFunctionReference("documents:nope"), {}), {
        message: /Could not find function for 'documents:nope'\./,
      });
      await assert.rejects(convex.query(fn.insert, { table: "notes", document: note() }), {
        message: /Trying to execute documents:insert as Query, but it is defined as Mutation\./,
      });
    });

    test("function() runs any kind (POST /api/function)", async () => {
      assert.equal((await convex.function(fn.ping, undefined, {})).app, "cairn");
    });
  });

  describe("raw HTTP", () => {
    const ping = { path: "cairn:ping", args: {}, format: "json" };

    test("a success answer", async () => {
      const r = await raw(url, "/api/query", { body: ping, headers: admin });
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type"), /^application\/json/);
      assert.deepEqual(r.json, { status: "success", value: { app: "cairn", schemaVersion: 2, tables: ["conversations", "messages", "notes"], pendingMigrations: [] } });
    });

    test("args as [object], no format, /api/run and /api/function", async () => {
      assert.equal((await raw(url, "/api/query", { body: { path: "cairn:ping", args: [{}] }, headers: admin })).json.value.app, "cairn");
      assert.equal((await raw(url, "/api/run/cairn/ping", { body: { args: {} }, headers: admin })).json.value.app, "cairn");
      assert.equal((await raw(url, "/api/function", { body: ping, headers: admin })).json.value.app, "cairn");
      assert.equal((await raw(url, "/api/query", { body: { path: "cairn.js:ping", args: {} }, headers: admin })).json.value.app, "cairn");
      const r = await raw(url, "/api/run/cairn", { body: { args: {} }, headers: admin });
      assert.deepEqual([r.status, r.json.code], [400, "MissingIdentifier"]);
    });

    test("the Convex-Client header: absent or <name>-<semver>", async () => {
      for (const value of ["cairn-0.1.0", "npm-1.48.0", "my-own-client-1.2.3-beta.1"]) {
        assert.equal((await raw(url, "/api/query", { body: ping, headers: { ...admin, "Convex-Client": value } })).status, 200, value);
      }
      for (const value of ["cairn", "cairn-1.2", "1.2.3"]) {
        const r = await raw(url, "/api/query", { body: ping, headers: { ...admin, "Convex-Client": value } });
        assert.equal(r.status, 400, value);
        assert.equal(r.json.code, "InvalidClientVersion");
        assert.match(r.json.message, /Expected format is \{client_name\}-\{semver\}/);
      }
    });

    test("bodies that are not JSON, or not the right JSON", async () => {
      let r = await raw(url, "/api/query", { body: "{not json", headers: admin });
      assert.deepEqual([r.status, r.json.code], [400, "BadJsonBody"]);
      r = await raw(url, "/api/query", { body: ping, headers: { ...admin, "Content-Type": "text/plain" } });
      assert.deepEqual(r.json, { code: "BadJsonBody", message: "Expected request with `Content-Type: application/json`" });
      r = await raw(url, "/api/query", { body: { args: {} }, headers: admin });
      assert.deepEqual([r.status, r.json.code], [400, "BadJsonBody"]);
      assert.match(r.json.message, /missing field `path`/);
      r = await raw(url, "/api/query", { body: { ...ping, path: "not a path!" }, headers: admin });
      assert.deepEqual([r.status, r.json.code], [400, "BadConvexFunctionIdentifier"]);
      r = await raw(url, "/api/query", { body: { ...ping, format: "xml" }, headers: admin });
      assert.deepEqual(r.json, { code: "BadFormat", message: "format param must be one of [`json`]. Got xml" });
    });

    test("authorization headers", async () => {
      let r = await raw(url, "/api/query", { body: ping, headers: { Authorization: "Convex nope" } });
      assert.deepEqual([r.status, r.json.code], [401, "BadAdminKey"]);
      r = await raw(url, "/api/query", { body: ping, headers: { Authorization: "convex " + KEY } });
      assert.equal(r.status, 200);
      r = await raw(url, "/api/query", { body: ping, headers: { Authorization: "Basic abcdef" } });
      assert.deepEqual([r.status, r.json.code], [400, "InvalidAdminKey"]);
      r = await raw(url, "/api/query", { body: ping, headers: { Authorization: "Bad" } });
      assert.deepEqual([r.status, r.json.code], [400, "InvalidHeaderFailure"]);
      r = await raw(url, "/api/query", { body: ping, headers: { Authorization: "Bearer eyJhbGciOi" } });
      assert.deepEqual([r.status, r.json.code], [401, "NoAuthProvider"]);
      r = await raw(url, "/api/query", { body: ping });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, "error");
      assert.match(r.json.errorMessage, /^\[Request ID: [0-9a-f]{16}\] Server Error\nCould not find public function for 'cairn:ping'\./);
    });

    test("encoded and clean JSON answers", async () => {
      const doc = note({ createdAt: 1.5 });
      const insert = { path: "documents:insert", args: { table: "notes", document: doc } };
      const encoded = await raw(url, "/api/mutation", { body: { ...insert, format: "convex_encoded_json" }, headers: admin });
      assert.deepEqual(encoded.json.value, doc);
      const r = await raw(url, "/api/mutation", { body: { path: "documents:patch", args: { table: "notes", clientId: uuid(), fields: { title: "t" } }, format: "json" }, headers: admin });
      assert.equal(r.json.status, "error");
      assert.equal(r.json.errorData.code, "NotFound");
    });

    test("unknown routes and methods", async () => {
      assert.equal((await raw(url, "/api/nothing", { body: ping })).status, 404);
      assert.equal((await raw(url, "/api/query", { method: "GET" })).status, 405);
    });
  });

  describe("faults", () => {
    const ping = { path: "cairn:ping", args: {}, format: "json" };
    const reset = () => control(url, "reset", {});

    test("status: the given status with a Convex-like body, count times", async () => {
      await control(url, "fault", { mode: "status", status: 503, count: 2 });
      for (let i = 0; i < 2; i++) {
        const r = await raw(url, "/api/query", { body: ping, headers: admin });
        assert.equal(r.status, 503);
        assert.equal(r.json.code, "ServiceUnavailable");
      }
      assert.equal((await raw(url, "/api/query", { body: ping, headers: admin })).status, 200);
      for (const status of [500, 429]) {
        await control(url, "fault", { mode: "status", status });
        const r = await raw(url, "/api/mutation", { body: ping, headers: admin });
        assert.equal(r.status, status);
        assert.equal(typeof r.json.code, "string");
        await assert.rejects(convex.query(fn.ping, {}), { message: new RegExp(r.json.code) });
      }
      await reset();
    });

    test("a fault can be limited to a route, and never touches /_peer", async () => {
      await control(url, "fault", { mode: "status", status: 500, path: "/api/mutation" });
      assert.equal((await raw(url, "/api/query", { body: ping, headers: admin })).status, 200);
      assert.equal((await raw(url, "/api/mutation", { body: ping, headers: admin })).status, 500);
      assert.equal((await control(url, "config")).functions, true);
      await reset();
    });

    test("refuse: connections closed without an answer, for some seconds", async () => {
      await control(url, "fault", { mode: "refuse", seconds: 1 });
      const started = Date.now();
      await assert.rejects(fetch(url + "/api/query", { method: "POST", headers: { "Content-Type": "application/json", ...admin }, body: JSON.stringify(ping) }));
      await assert.rejects(convex.query(fn.ping, {}));
      assert.ok((await control(url, "stats")).fault !== null);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1100 - (Date.now() - started))));
      assert.equal((await convex.query(fn.ping, {})).app, "cairn");
    });

    test("hang: no answer until reset", async () => {
      await control(url, "fault", { mode: "hang" });
      const hung = raw(url, "/api/query", { body: ping, headers: admin }).then(() => "answered", (e) => e);
      await assert.rejects(raw(url, "/api/query", { body: ping, headers: admin, signal: AbortSignal.timeout(300) }), { name: "TimeoutError" });
      await reset();
      assert.ok((await hung) instanceof Error); // the held connection is closed by the reset
      assert.equal((await raw(url, "/api/query", { body: ping, headers: admin })).status, 200);
    });

    test("malformed: 200 with a body that is not JSON", async () => {
      await control(url, "fault", { mode: "malformed", count: 1 });
      const r = await raw(url, "/api/query", { body: ping, headers: admin });
      assert.equal(r.status, 200);
      assert.equal(r.json, undefined);
      assert.throws(() => JSON.parse(r.text));
    });

    test("truncated: the body ends before its Content-Length, after the function ran", async () => {
      const doc = note();
      await control(url, "fault", { mode: "truncated", count: 1 });
      await assert.rejects(raw(url, "/api/mutation", { body: { path: "documents:insert", args: { table: "notes", document: doc } }, headers: admin }));
      // The write happened: a replay gets the stored document back.
      assert.deepEqual(await convex.mutation(fn.insert, { table: "notes", document: doc }), doc);
    });

    test("slow: every answer delayed", async () => {
      await control(url, "fault", { mode: "slow", ms: 300 });
      const started = Date.now();
      assert.equal((await convex.query(fn.ping, {})).app, "cairn");
      assert.ok(Date.now() - started >= 290);
      await reset();
    });

    test("bad fault requests are refused", async () => {
      const r = await raw(url, "/_peer/fault", { body: { mode: "explode" } });
      assert.deepEqual([r.status, r.json.code], [400, "BadFault"]);
      for (const spec of [
        { mode: "empty" },
        { mode: "empty", status: 99 },
        { mode: "redirect", status: 300 },
        { mode: "redirect", status: 302, location: 5 },
        { mode: "wrong-types", variant: "number" },
        { mode: "deep", depth: 0 },
        { mode: "deep", depth: 1.5 },
        { mode: "endless-cursor", variant: "stuck" },
      ]) {
        const bad = await raw(url, "/_peer/fault", { body: spec });
        assert.deepEqual([bad.status, bad.json.code], [400, "BadFault"], JSON.stringify(spec));
      }
    });

    test("empty: the status with no body at all, and the function does not run", async () => {
      // 404 (unknown route), 408 (request timeout): what a deployment sends without a body.
      for (const status of [404, 408, 502]) {
        const doc = note();
        await control(url, "fault", { mode: "empty", status, count: 1 });
        const r = await raw(url, "/api/mutation", { body: insertNote(doc), headers: admin });
        assert.equal(r.status, status);
        assert.equal(r.text, "");
        assert.equal(r.headers.get("content-length"), "0");
        assert.equal(r.headers.get("content-type"), null);
        assert.equal(await storedNote(url, doc.clientId), undefined);
      }
      assert.equal((await raw(url, "/api/query", { body: ping, headers: admin })).status, 200);
    });

    test("empty: the official client fails with an empty message, or on the JSON of an empty 200", async () => {
      const doc = note();
      await control(url, "fault", { mode: "empty", status: 502, count: 1 });
      await assert.rejects(convex.mutation(fn.insert, { table: "notes", document: doc }), (e) => {
        assert.ok(!(e instanceof ConvexError));
        assert.equal(e.message, "");
        return true;
      });
      assert.equal(await storedNote(url, doc.clientId), undefined);
      await control(url, "fault", { mode: "empty", status: 200, count: 1 });
      await assert.rejects(convex.query(fn.ping, {}), SyntaxError);
      assert.equal((await convex.query(fn.ping, {})).app, "cairn");
    });

    test("redirect: the status, a Location and no body; the function does not run", async () => {
      for (const status of [301, 302, 303, 307, 308]) {
        const doc = note();
        await control(url, "fault", { mode: "redirect", status, count: 1 });
        const r = await raw(url, "/api/mutation", { body: insertNote(doc), headers: admin, redirect: "manual" });
        assert.equal(r.status, status);
        assert.equal(r.headers.get("location"), "http://127.0.0.1:1/elsewhere");
        assert.equal(r.text, "");
        assert.equal(r.headers.get("content-length"), "0");
        assert.equal(r.headers.get("content-type"), null);
        assert.equal(await storedNote(url, doc.clientId), undefined);
      }
      await control(url, "fault", { mode: "redirect", status: 302, location: "https://example.invalid/x", count: 1 });
      const r = await raw(url, "/api/query", { body: ping, headers: admin, redirect: "manual" });
      assert.equal(r.headers.get("location"), "https://example.invalid/x");
    });

    test("redirect: the official client follows it (fetch's rules), and fails where it leads nowhere", async () => {
      await control(url, "fault", { mode: "redirect", status: 308, count: 1 });
      // (fetch will not even try port 1, a "bad port"; other clients get a refused connection.)
      await assert.rejects(convex.query(fn.ping, {}), (e) => {
        assert.ok(e instanceof TypeError);
        assert.equal(e.message, "fetch failed");
        return true;
      });
      // 307 keeps the method and body: the mutation runs once, at the new place.
      const doc = note();
      await control(url, "fault", { mode: "redirect", status: 307, location: `${url}/api/mutation`, count: 1 });
      assert.deepEqual(await convex.mutation(fn.insert, { table: "notes", document: doc }), doc);
      // 303 turns it into a GET: 405 with an empty body, nothing written.
      const other = note();
      await control(url, "fault", { mode: "redirect", status: 303, location: `${url}/api/mutation`, count: 1 });
      await assert.rejects(convex.mutation(fn.insert, { table: "notes", document: other }), { message: "" });
      assert.equal(await storedNote(url, other.clientId), undefined);
    });

    // variant -> [status, body, what the official client throws]
    const WRONG_TYPES = {
      status: [200, { status: 1 }, { message: 'Invalid response: {"status":1}' }],
      value: [200, { status: "success" }, { message: "Unexpected type of undefined" }],
      "error-data": [
        200,
        { status: "error", errorMessage: 5, errorData: { code: 5, message: [] } },
        (e) => e instanceof ConvexError && e.data.code === 5 && Array.isArray(e.data.message),
      ],
      "error-body": [503, { code: null, message: 5 }, { message: '{"code":null,"message":5}' }],
      unauthorized: [401, { code: 7 }, { message: '{"code":7}' }],
      array: [200, [], { message: "Invalid response: []" }],
      string: [200, "success", { message: 'Invalid response: "success"' }],
    };

    test("wrong-types: JSON of the wrong types, after the function ran", async () => {
      for (const [variant, [status, body]] of Object.entries(WRONG_TYPES)) {
        const doc = note();
        await control(url, "fault", { mode: "wrong-types", variant, count: 1 });
        const r = await raw(url, "/api/mutation", { body: insertNote(doc), headers: admin });
        assert.equal(r.status, status, variant);
        assert.match(r.headers.get("content-type"), /^application\/json/);
        assert.deepEqual(r.json, body, variant);
        assert.deepEqual(await storedNote(url, doc.clientId), doc, variant);
      }
      await control(url, "fault", { mode: "wrong-types", count: 1 });
      assert.deepEqual((await raw(url, "/api/query", { body: ping, headers: admin })).json, { status: 1 });
    });

    test("wrong-types: what the official client makes of each", async () => {
      for (const [variant, [, , expected]] of Object.entries(WRONG_TYPES)) {
        const doc = note();
        await control(url, "fault", { mode: "wrong-types", variant, count: 1 });
        await assert.rejects(convex.mutation(fn.insert, { table: "notes", document: doc }), expected, variant);
        assert.deepEqual(await storedNote(url, doc.clientId), doc, variant);
      }
    });

    test("deep: 100000 nested arrays by default, without running the function", async () => {
      const doc = note();
      await control(url, "fault", { mode: "deep", count: 1 });
      const r = await raw(url, "/api/mutation", { body: insertNote(doc), headers: admin });
      assert.equal(r.status, 200);
      const head = '{"status":"success","value":';
      assert.equal(r.text.length, head.length + 2 * 100_000 + 1);
      assert.ok(r.text.startsWith(`${head}[[[`) && r.text.endsWith("]]]}"));
      let depth = 0;
      for (let v = r.json.value; Array.isArray(v); v = v[0]) depth += 1;
      assert.equal(depth, 100_000);
      assert.equal(await storedNote(url, doc.clientId), undefined);
      await control(url, "fault", { mode: "deep", depth: 3, count: 1 });
      assert.equal((await raw(url, "/api/query", { body: ping, headers: admin })).text, `${head}[[[]]]}`);
    });

    test("deep: the official client overflows its stack decoding it", async () => {
      await control(url, "fault", { mode: "deep", count: 1 });
      await assert.rejects(convex.query(fn.ping, {}), RangeError);
      assert.equal((await convex.query(fn.ping, {})).app, "cairn");
    });

    describe("endless-cursor", () => {
      let c;
      const listing = (cursor) => ({
        table: "messages", index: "by_conversation", equal: [c.clientId], order: "asc",
        paginationOpts: { numItems: 2, cursor },
      });
      const times = (page) => page.page.map((m) => m.createdAt);

      before(async () => {
        c = conversation();
        await convex.mutation(fn.insert, { table: "conversations", document: c });
        for (let i = 0; i < 5; i++) {
          await convex.mutation(fn.insert, { table: "messages", document: message(c.clientId, { createdAt: i }) });
        }
      });
      after(reset);

      test("repeat: the same page and the same cursor, never done", async () => {
        await control(url, "fault", { mode: "endless-cursor", variant: "repeat" });
        let cursor = null;
        for (let i = 0; i < 4; i++) {
          const page = await convex.query(fn.list, listing(cursor));
          assert.equal(page.isDone, false);
          assert.deepEqual(times(page), [0, 1]);
          if (cursor !== null) assert.equal(page.continueCursor, cursor);
          assert.equal(typeof page.continueCursor, "string");
          cursor = page.continueCursor;
        }
        // From a real cursor: that cursor comes back.
        await reset();
        const first = await convex.query(fn.list, listing(null));
        await control(url, "fault", { mode: "endless-cursor" });
        for (let i = 0; i < 2; i++) {
          const page = await convex.query(fn.list, listing(first.continueCursor));
          assert.deepEqual([times(page), page.isDone, page.continueCursor], [[2, 3], false, first.continueCursor]);
        }
      });

      test("changing: a new cursor every time, through the real pages and on past the end", async () => {
        await control(url, "fault", { mode: "endless-cursor", variant: "changing" });
        const seen = [];
        const cursors = new Set();
        let cursor = null;
        for (let i = 0; i < 6; i++) {
          const page = await convex.query(fn.list, listing(cursor));
          assert.equal(page.isDone, false);
          assert.ok(!cursors.has(page.continueCursor));
          cursors.add(page.continueCursor);
          seen.push(...times(page));
          cursor = page.continueCursor;
        }
        assert.deepEqual(seen, [0, 1, 2, 3, 4]);
      });

      test("a made-up cursor still leads on once the fault is over", async () => {
        await control(url, "fault", { mode: "endless-cursor", variant: "changing", count: 1 });
        let page = await convex.query(fn.list, listing(null));
        const seen = times(page);
        while (!page.isDone) {
          page = await convex.query(fn.list, listing(page.continueCursor));
          seen.push(...times(page));
        }
        assert.deepEqual(seen, [0, 1, 2, 3, 4]);
        await control(url, "fault", { mode: "endless-cursor", variant: "repeat", count: 1 });
        const first = await convex.query(fn.list, listing(null));
        assert.deepEqual(times(await convex.query(fn.list, listing(first.continueCursor))), [0, 1]);
      });

      test("other requests are answered normally, and the listing ends again after a reset", async () => {
        await control(url, "fault", { mode: "endless-cursor", variant: "changing" });
        assert.equal((await convex.query(fn.ping, {})).app, "cairn");
        const r = await raw(url, "/api/query", { body: { path: "documents:get", args: [{ table: "notes", clientId: uuid() }], format: "json" }, headers: admin });
        assert.deepEqual(r.json, { status: "success", value: null });
        const wire = await raw(url, "/api/query", { body: { path: "documents:list", args: [listing(null)], format: "json" }, headers: admin });
        assert.equal(wire.json.value.isDone, false);
        await reset();
        let page = { isDone: false, continueCursor: null };
        let pages = 0;
        while (!page.isDone) {
          page = await convex.query(fn.list, listing(page.continueCursor));
          pages += 1;
        }
        assert.equal(pages, 3);
      });
    });
  });

  describe("limits", () => {
    const LIMIT = (1 << 24) + 2000;
    const pingText = JSON.stringify({ path: "cairn:ping", args: {}, format: "json" });
    const TOO_LARGE = { code: "BadJsonBody", message: "Failed to buffer the request body: length limit exceeded" };

    test("a request body of 16 MiB + 2000 bytes is read; one byte more is refused with BadJsonBody", async () => {
      const atLimit = pingText + " ".repeat(LIMIT - pingText.length);
      let r = await raw(url, "/api/query", { body: atLimit, headers: admin });
      assert.equal(r.status, 200);
      assert.equal(r.json.value.app, "cairn");
      r = await raw(url, "/api/query", { body: `${atLimit} `, headers: admin });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json, TOO_LARGE);
      assert.equal(r.headers.get("connection"), "close");
      assert.equal((await convex.query(fn.ping, {})).app, "cairn");
    });

    test("the answer comes without waiting for the rest of a body that is too large", { timeout: 20_000 }, async () => {
      const r = await postUnfinished(url, LIMIT + 1);
      assert.equal(r.status, 400);
      assert.deepEqual(JSON.parse(r.text), TOO_LARGE);
    });

    test("the official client gets BadJsonBody for a mutation too large to send", async () => {
      const doc = note({ content: "x".repeat(LIMIT) });
      await assert.rejects(convex.mutation(fn.insert, { table: "notes", document: doc }), (e) => {
        assert.deepEqual(JSON.parse(e.message), TOO_LARGE);
        return true;
      });
      assert.equal(await storedNote(url, doc.clientId), undefined);
    });

    test("a document over 1 MiB is a function error and is not stored; 900 KiB is fine", async () => {
      const big = note({ content: "x".repeat(1_100_000) });
      await assert.rejects(convex.mutation(fn.insert, { table: "notes", document: big }), (e) => {
        assert.ok(!(e instanceof ConvexError));
        assert.match(e.message, /^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught Error: Value is too large \(1\.05 MiB > maximum size 1 MiB\)\n/);
        return true;
      });
      assert.equal(await storedNote(url, big.clientId), undefined);
      const fine = note({ content: "x".repeat(900 * 1024) });
      assert.deepEqual(await convex.mutation(fn.insert, { table: "notes", document: fine }), fine);
      assert.deepEqual(await storedNote(url, fine.clientId), fine);
    });

    test("a patch that makes a document too large is refused and leaves it as it was", async () => {
      const doc = note({ content: "x".repeat(900 * 1024) });
      await convex.mutation(fn.insert, { table: "notes", document: doc });
      // 600 000 characters, but 1.2 MB of UTF-8: the size counts bytes.
      const change = { table: "notes", clientId: doc.clientId, fields: { content: "é".repeat(600_000), pinned: true } };
      await assert.rejects(convex.mutation(fn.patch, change), {
        message: /Server Error\nUncaught Error: Value is too large \(1\.14 MiB > maximum size 1 MiB\)/,
      });
      assert.deepEqual(await storedNote(url, doc.clientId), doc);
      const r = await raw(url, "/api/mutation", { body: { path: "documents:patch", args: change, format: "json" }, headers: admin });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, "error");
      assert.equal(r.json.errorData, undefined);
    });
  });

  describe("the read-only deploy key", () => {
    const denied = (action) => ({
      code: "OperationNotPermitted",
      message: `You do not have permission to perform this operation (deployment:functions:${action}).`,
    });
    const readOnly = { Authorization: `Convex ${READ_ONLY_KEY}` };
    const ping = { path: "cairn:ping", args: {}, format: "json" };

    test("runs queries, internal ones included, with or without its prefix", async () => {
      const doc = note();
      await convex.mutation(fn.insert, { table: "notes", document: doc });
      assert.equal((await client(url, READ_ONLY_KEY).query(fn.ping, {})).app, "cairn");
      assert.deepEqual(await client(url, "cairn-test-123|fedcba9876543210").query(fn.get, { table: "notes", clientId: doc.clientId }), doc);
    });

    test("a mutation gets 403 OperationNotPermitted and writes nothing", async () => {
      const doc = note();
      const r = await raw(url, "/api/mutation", { body: insertNote(doc), headers: readOnly });
      assert.equal(r.status, 403);
      assert.deepEqual(r.json, denied("runInternalMutations"));
      await assert.rejects(client(url, READ_ONLY_KEY).mutation(fn.insert, { table: "notes", document: doc }), (e) => {
        assert.deepEqual(JSON.parse(e.message), denied("runInternalMutations"));
        return true;
      });
      for (const route of ["/api/function", "/api/run/documents/insert"]) {
        const other = await raw(url, route, { body: insertNote(doc), headers: readOnly });
        assert.deepEqual([other.status, other.json], [403, denied("runInternalMutations")], route);
      }
      assert.equal(await storedNote(url, doc.clientId), undefined);
    });

    test("the route decides what is asked for, once the function is found", async () => {
      let r = await raw(url, "/api/mutation", { body: { path: "cairn:ping", args: {} }, headers: readOnly });
      assert.deepEqual([r.status, r.json], [403, denied("runInternalMutations")]);
      r = await raw(url, "/api/action", { body: { path: "cairn:ping", args: {} }, headers: readOnly });
      assert.deepEqual([r.status, r.json], [403, denied("runInternalActions")]);
      r = await raw(url, "/api/query", { body: insertNote(note()), headers: readOnly });
      assert.equal(r.status, 200);
      assert.match(r.json.errorMessage, /Trying to execute documents:insert as Query, but it is defined as Mutation\./);
      r = await raw(url, "/api/mutation", { body: { path: "documents:nope", args: {} }, headers: readOnly });
      assert.equal(r.status, 200);
      assert.match(r.json.errorMessage, /Could not find function for 'documents:nope'\./);
    });

    test("acting as a user is not permitted either", async () => {
      const r = await raw(url, "/api/query", { body: ping, headers: { Authorization: `Convex ${READ_ONLY_KEY}:eyJzdWJqZWN0IjoidSJ9` } });
      assert.deepEqual([r.status, r.json], [403, denied("actAsUser")]);
    });
  });

  describe("configuration", () => {
    test("the reported schema version", async () => {
      await control(url, "config", { schemaVersion: 2 });
      assert.equal((await convex.query(fn.ping, {})).schemaVersion, 2);
      await control(url, "config", { schemaVersion: 0 });
      assert.equal((await convex.query(fn.ping, {})).schemaVersion, 0);
      await control(url, "reset", {});
      assert.equal((await convex.query(fn.ping, {})).schemaVersion, 2);
    });

    test("functions missing", async () => {
      await control(url, "config", { functions: false });
      await assert.rejects(convex.query(fn.ping, {}), { message: /Could not find function for 'cairn:ping'\./ });
      await assert.rejects(client(url, null).query(fn.ping, {}), { message: /Could not find public function for 'cairn:ping'\./ });
      await control(url, "reset", {});
      assert.equal((await convex.query(fn.ping, {})).app, "cairn");
    });

    test("production: uncaught errors say only Server Error", async () => {
      const bad = { path: "documents:get", args: { table: "notes", clientId: uuid(), $weird: 1 } };
      const dev = await raw(url, "/api/query", { body: bad, headers: admin });
      assert.match(dev.json.errorMessage, /Server Error\nUncaught Error: /);
      await control(url, "config", { production: true });
      const prod = await raw(url, "/api/query", { body: bad, headers: admin });
      assert.match(prod.json.errorMessage, /^\[Request ID: [0-9a-f]{16}\] Server Error$/);
      await control(url, "reset", {});
    });

    test("reset with data empties every table; stats count requests", async () => {
      await convex.mutation(fn.insert, { table: "notes", document: note() });
      await control(url, "reset", { data: true });
      await convex.query(fn.ping, {});
      const stats = await control(url, "stats");
      assert.equal(stats.requests, 1);
      assert.deepEqual(stats.byFunction, { "cairn:ping": 1 });
      const { tables } = await control(url, "state");
      assert.deepEqual(tables, { conversations: [], messages: [], meta: [], migrations: [], notes: [] });
    });
  });
});

describe("--state", { timeout: 120_000 }, () => {
  test("the data survives a stop (SIGTERM) and a start", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "convex-peer-"));
    const file = path.join(dir, "state.json");
    try {
      let peer = await startPeer("--state", file);
      const c = conversation({ title: "Kept" });
      const m = message(c.clientId, { content: "Still here" });
      const n = note();
      await client(peer.url).mutation(fn.insert, { table: "conversations", document: c });
      await client(peer.url).mutation(fn.insert, { table: "messages", document: m });
      await client(peer.url).mutation(fn.insert, { table: "notes", document: n });
      assert.equal(await peer.stop(), 0);
      assert.ok(existsSync(file));
      assert.equal(JSON.parse(readFileSync(file, "utf8")).tables.notes.length, 1);

      peer = await startPeer("--state", file);
      const again = client(peer.url);
      assert.deepEqual(await again.query(fn.get, { table: "conversations", clientId: c.clientId }), { ...c, messageCount: 1 });
      assert.deepEqual(await again.query(fn.get, { table: "notes", clientId: n.clientId }), n);
      const listed = await again.query(fn.list, {
        table: "messages", index: "by_conversation", equal: [c.clientId], order: "asc", paginationOpts: { numItems: 10, cursor: null },
      });
      assert.deepEqual(listed.page, [m]);
      // Still idempotent after the restart.
      assert.deepEqual(await again.mutation(fn.insert, { table: "notes", document: { ...n, title: "Changed" } }), n);
      assert.equal(await peer.stop(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("starts empty when the file does not exist yet", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "convex-peer-"));
    try {
      const peer = await startPeer("--state", path.join(dir, "new.json"));
      const { tables } = await control(peer.url, "state");
      assert.deepEqual(tables.notes, []);
      assert.equal(await peer.stop(), 0);
      assert.ok(existsSync(path.join(dir, "new.json")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Functions of our own (--functions DIR) for what the Cairn functions cannot
// show: a write at exactly the limit, several writes in one mutation, a
// caught refusal, db.replace, a public mutation, an action and a query with
// paginationOpts that does not answer a page.
const TEST_FUNCTIONS = {
  "schema.ts": `
    import { defineSchema, defineTable } from "convex/server";
    import { v } from "convex/values";
    export default defineSchema({ items: defineTable({ s: v.string() }) });
  `,
  "_generated/server.ts": `
    export {
      internalActionGeneric as internalAction,
      internalMutationGeneric as internalMutation,
      internalQueryGeneric as internalQuery,
      mutationGeneric as mutation,
    } from "convex/server";
  `,
  "items.ts": `
    import { v } from "convex/values";
    import { internalAction, internalMutation, internalQuery, mutation } from "./_generated/server";

    export const put = internalMutation({
      args: { s: v.array(v.string()) },
      handler: async (ctx, args) => {
        for (const s of args.s) await ctx.db.insert("items", { s });
        return null;
      },
    });

    export const putOrFallBack = internalMutation({
      args: { big: v.string(), small: v.string() },
      handler: async (ctx, args) => {
        try {
          await ctx.db.insert("items", { s: args.big });
          return "stored";
        } catch (e) {
          await ctx.db.insert("items", { s: args.small });
          return e.message;
        }
      },
    });

    export const replaceOrKeep = internalMutation({
      args: { big: v.string() },
      handler: async (ctx, args) => {
        const id = await ctx.db.insert("items", { s: "kept" });
        try {
          await ctx.db.replace(id, { s: args.big });
          return "replaced";
        } catch (e) {
          return e.message;
        }
      },
    });

    export const publicPut = mutation({
      args: { s: v.string() },
      handler: async (ctx, args) => {
        await ctx.db.insert("items", { s: args.s });
        return null;
      },
    });

    export const act = internalAction({ args: {}, handler: async () => "acted" });

    // Takes paginationOpts but answers something else than a page.
    export const count = internalQuery({
      args: { paginationOpts: v.any() },
      handler: async (ctx) => (await ctx.db.query("items").collect()).length,
    });
  `,
};

describe("functions of our own", { timeout: 120_000 }, () => {
  let dir;
  let peer;
  let admin;
  // A document {s} counts 2 (the object) + 2 ("s" and its separator) + 2 +
  // the string's bytes, plus 61 for _id and _creationTime.
  const ofSize = (bytes) => "x".repeat(bytes - 67);
  const items = async () => (await control(peer.url, "state")).tables.items.map((i) => i.s.length);
  const TOO_LARGE_BY_ONE = "Value is too large (1.00 MiB > maximum size 1 MiB)";

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "convex-peer-functions-"));
    // The functions import "convex/…": let them find the peer's packages.
    symlinkSync(fileURLToPath(new URL("./node_modules", import.meta.url)), path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, "package.json"), '{"type": "module"}');
    const functionsDir = path.join(dir, "convex");
    for (const [file, text] of Object.entries(TEST_FUNCTIONS)) {
      mkdirSync(path.dirname(path.join(functionsDir, file)), { recursive: true });
      writeFileSync(path.join(functionsDir, file), text);
    }
    peer = await startPeer("--functions", functionsDir, "--read-only-key", READ_ONLY_KEY);
    admin = client(peer.url);
  });

  after(async () => {
    if (peer) assert.equal(await peer.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  });

  test("exactly 1 MiB is stored, one byte more is refused", async () => {
    await control(peer.url, "reset", { data: true });
    assert.equal(await admin.mutation(makeFunctionReference("items:put"), { s: [ofSize(1 << 20)] }), null);
    await assert.rejects(admin.mutation(makeFunctionReference("items:put"), { s: [ofSize((1 << 20) + 1)] }), {
      message: new RegExp(`Server Error\\nUncaught Error: ${TOO_LARGE_BY_ONE.replace(/[().]/g, "\\$&")}`),
    });
    assert.deepEqual(await items(), [(1 << 20) - 67]);
  });

  test("a refused write rolls back the mutation's earlier writes", async () => {
    await control(peer.url, "reset", { data: true });
    // (A whole number of MiB is printed without decimals.)
    await assert.rejects(admin.mutation(makeFunctionReference("items:put"), { s: ["first", "second", ofSize(2 << 20)] }), {
      message: /Value is too large \(2 MiB > maximum size 1 MiB\)\n/,
    });
    assert.deepEqual(await items(), []);
  });

  test("the refusal is an exception the function can catch; the refused write never happened", async () => {
    await control(peer.url, "reset", { data: true });
    const put = makeFunctionReference("items:putOrFallBack");
    assert.equal(await admin.mutation(put, { big: ofSize((1 << 20) + 1), small: "small" }), TOO_LARGE_BY_ONE);
    assert.deepEqual(await items(), [5]);
    const replace = makeFunctionReference("items:replaceOrKeep");
    assert.equal(await admin.mutation(replace, { big: ofSize((1 << 20) + 1) }), TOO_LARGE_BY_ONE);
    assert.equal(await admin.mutation(replace, { big: ofSize(1 << 20) }), "replaced");
    assert.deepEqual(await items(), [5, 4, (1 << 20) - 67]);
  });

  test("sizes are printed as the backend prints them: two decimals, a tie to the even one", async () => {
    const put = makeFunctionReference("items:putOrFallBack");
    const refusal = (bytes) => admin.mutation(put, { big: ofSize(bytes), small: "" });
    assert.equal(await refusal(1_100_000), "Value is too large (1.05 MiB > maximum size 1 MiB)");
    assert.equal(await refusal(1.125 * (1 << 20)), "Value is too large (1.12 MiB > maximum size 1 MiB)");
    assert.equal(await refusal(1.375 * (1 << 20)), "Value is too large (1.38 MiB > maximum size 1 MiB)");
  });

  test("the read-only key: public mutations are not checked, internal actions are", async () => {
    await control(peer.url, "reset", { data: true });
    const readOnly = client(peer.url, READ_ONLY_KEY);
    assert.equal(await readOnly.mutation(makeFunctionReference("items:publicPut"), { s: "public" }), null);
    assert.deepEqual(await items(), [6]);
    await assert.rejects(readOnly.action(makeFunctionReference("items:act"), {}), (e) => {
      assert.deepEqual(JSON.parse(e.message), {
        code: "OperationNotPermitted",
        message: "You do not have permission to perform this operation (deployment:functions:runInternalActions).",
      });
      return true;
    });
    assert.equal(await admin.action(makeFunctionReference("items:act"), {}), "acted");
  });

  test("endless-cursor leaves an answer alone that is not a page", async () => {
    await control(peer.url, "reset", { data: true });
    await control(peer.url, "fault", { mode: "endless-cursor", variant: "changing" });
    assert.equal(await admin.query(makeFunctionReference("items:count"), { paginationOpts: { numItems: 1, cursor: null } }), 0);
    await control(peer.url, "reset", {});
  });
});
