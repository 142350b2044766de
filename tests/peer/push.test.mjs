// SPDX-License-Identifier: GPL-3.0-or-later
//
// The peer's push API, judged by the official CLI (`npx convex deploy` from
// data/convex) and by the replay Cairn makes of the bundle it ships
// (data/convex/push/cairn-functions.json): plain POSTs of start_push,
// wait_for_schema and finish_push with the user's key added. Both must
// reach the same deployed state; refusals leave the deployment as it was;
// the data stays through a push; pushed functions survive --state.
//
//   node --test tests/peer/push.test.mjs
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { brotliCompressSync } from "node:zlib";
import { makeFunctionReference } from "convex/server";
import { KEY, READ_ONLY_KEY, client, control, raw, startPeer } from "./test-util.mjs";

const FUNCTIONS = fileURLToPath(new URL("../../data/convex", import.meta.url));
const CONVEX_CLI = path.join(FUNCTIONS, "node_modules", ".bin", "convex");
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
/** What Cairn ships (v2 or later) and the v1 functions (git 98db576), built alike. */
const BUNDLE = readJson(path.join(FUNCTIONS, "push", "cairn-functions.json"));
const V1 = readJson(fileURLToPath(new URL("./fixtures/cairn-functions-v1.json", import.meta.url)));

const ping = makeFunctionReference("cairn:ping");
const insert = makeFunctionReference("documents:insert");
const list = makeFunctionReference("documents:list");

let counter = 0;
const uuid = () => `00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, "0")}`;
const conversation = () => ({ clientId: uuid(), title: "Talk", pinned: false, archived: false, createdAt: 1, updatedAt: 1 });
const message = (conversationId, createdAt) => ({ clientId: uuid(), conversationId, role: "user", content: "Hi", createdAt });

/** The three requests Cairn makes: start_push, wait_for_schema until it is no longer in progress, finish_push. */
async function replay(url, bundle, key = KEY) {
  const start = await raw(url, "/api/deploy2/start_push", { body: { ...bundle, adminKey: key } });
  if (start.status !== 200) return { start };
  let wait;
  do {
    wait = await raw(url, "/api/deploy2/wait_for_schema", {
      body: { adminKey: key, schemaChange: start.json.schemaChange, timeoutMs: 10_000, dryRun: false },
    });
  } while (wait.status === 200 && wait.json.type === "inProgress");
  if (wait.status !== 200 || wait.json.type !== "complete") return { start, wait };
  const finish = await raw(url, "/api/deploy2/finish_push", { body: { adminKey: key, startPush: start.json, dryRun: false } });
  return { start, wait, finish };
}

async function pushed(url, bundle) {
  const { start, wait, finish } = await replay(url, bundle);
  assert.equal(start.status, 200, start.text);
  assert.deepEqual(wait?.json, { type: "complete" });
  assert.deepEqual([finish.status, finish.json], [200, { authDiff: { added: [], removed: [] }, definitionDiffs: {}, componentDiffs: {} }]);
}

/**
 * `npx convex deploy` of data/convex to the peer at `url`, as a user would
 * run it (the pinned CLI). CI=1 keeps it from reporting to Sentry (the only
 * host it would contact besides the peer).
 */
function officialDeploy(url, key = KEY) {
  const env = { ...process.env, CI: "1", CONVEX_SELF_HOSTED_URL: url, CONVEX_SELF_HOSTED_ADMIN_KEY: key };
  delete env.CONVEX_DEPLOY_KEY;
  delete env.CONVEX_DEPLOYMENT;
  return new Promise((resolve, reject) => {
    const proc = spawn(CONVEX_CLI, ["deploy", "--typecheck", "disable", "--codegen", "disable", "-y"], {
      cwd: FUNCTIONS,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    proc.stdout.on("data", (chunk) => (output += chunk));
    proc.stderr.on("data", (chunk) => (output += chunk));
    proc.on("error", reject);
    proc.on("exit", (code) => resolve({ code, output }));
  });
}

const tmp = () => mkdtempSync(path.join(tmpdir(), "convex-peer-push-test-"));

describe("pushes", { timeout: 180_000 }, () => {
  const peers = [];
  const peer = async (...extra) => {
    const started = await startPeer(...extra);
    peers.push(started);
    return started;
  };
  after(async () => {
    for (const p of peers) await p.stop();
  });

  describe("the official CLI and Cairn's replay reach the same deployment", () => {
    let viaCli;
    let viaReplay;

    before(async () => {
      viaCli = await peer("--empty");
      viaReplay = await peer("--empty");
    });

    test("an empty deployment has no functions at all", async () => {
      await assert.rejects(client(viaReplay.url).query(ping, {}), { message: /Could not find function for 'cairn:ping'\./ });
      assert.deepEqual(await control(viaReplay.url, "functions"), { functions: [], schema: null });
    });

    test("npx convex deploy (the pinned CLI) deploys data/convex; cairn:ping answers", async () => {
      const { code, output } = await officialDeploy(viaCli.url);
      assert.equal(code, 0, output);
      assert.match(output, /Deployed Convex functions to/);
      assert.equal((await client(viaCli.url).query(ping, {})).app, "cairn");
      const { byRoute } = await control(viaCli.url, "stats");
      for (const route of ["get_config_hashes", "deploy2/evaluate_schema", "deploy2/start_push", "deploy2/wait_for_schema", "deploy2/finish_push"]) {
        assert.equal(byRoute[`/api/${route}`], 1, route);
      }
    });

    test("replaying the shipped bundle reaches the same functions and schema", async (t) => {
      const started = performance.now();
      await pushed(viaReplay.url, BUNDLE);
      t.diagnostic(`pushing the shipped bundle into an empty peer: ${(performance.now() - started).toFixed(0)} ms (start_push to finish_push)`);
      assert.equal((await client(viaReplay.url).query(ping, {})).app, "cairn");
      const deployed = await control(viaReplay.url, "functions");
      assert.deepEqual(deployed, await control(viaCli.url, "functions"));
      assert.ok(deployed.functions.some((f) => f.path === "documents:insert" && f.type === "mutation" && f.visibility === "internal"));
      assert.deepEqual(deployed.schema.tables, ["conversations", "messages", "meta", "migrations", "notes"]);
    });
  });

  describe("refusals leave the deployment as it was", () => {
    let url;
    let before_;

    before(async () => {
      ({ url } = await peer("--empty", "--read-only-key", READ_ONLY_KEY));
      await pushed(url, V1);
      before_ = await control(url, "functions");
    });

    test("a wrong key: 401 BadAdminKey on every push route", async () => {
      const wrong = "dev:cairn-test-123|wrong";
      for (const [route, body] of [
        ["/api/get_config_hashes", {}],
        ["/api/deploy2/start_push", BUNDLE],
        ["/api/deploy2/wait_for_schema", { schemaChange: { allocatedComponentIds: {}, schemaIds: {} }, timeoutMs: 0, dryRun: false }],
        ["/api/deploy2/finish_push", { startPush: {}, dryRun: false }],
        ["/api/deploy2/report_push_completed", {}],
      ]) {
        const r = await raw(url, route, { body: { ...body, adminKey: wrong } });
        assert.deepEqual([r.status, r.json], [401, { code: "BadAdminKey", message: "The provided admin key was invalid for this instance" }], route);
      }
      assert.deepEqual(await control(url, "functions"), before_);
    });

    test("the read-only key: 403 OperationNotPermitted", async () => {
      const { start } = await replay(url, BUNDLE, READ_ONLY_KEY);
      assert.deepEqual([start.status, start.json.code], [403, "OperationNotPermitted"]);
      assert.deepEqual(await control(url, "functions"), before_);
      assert.equal((await client(url).query(ping, {})).schemaVersion, 1);
    });

    test("the official CLI with the read-only key fails and changes nothing", async () => {
      const { code, output } = await officialDeploy(url, READ_ONLY_KEY);
      assert.notEqual(code, 0);
      assert.match(output, /You do not have permission to perform this operation/);
      assert.deepEqual(await control(url, "functions"), before_);
    });
  });

  describe("schema changes against the data", () => {
    test("v2 over v1 data that breaks its schema: wait_for_schema failed, v1 still live", async () => {
      const dir = tmp();
      try {
        // A v1 deployment holding a v1 migration record (v2 names its id migrationId).
        const file = path.join(dir, "state.json");
        const record = { id: "0001_example", version: 1, name: "Example", status: "completed", _creationTime: 1 };
        writeFileSync(file, JSON.stringify({ version: 1, push: V1, tables: { migrations: [record] } }));
        const { url } = await peer("--empty", "--state", file);
        const v1 = await control(url, "functions");

        const { start, wait } = await replay(url, BUNDLE);
        assert.equal(start.status, 200, start.text);
        assert.equal(wait.json.type, "failed");
        assert.equal(wait.json.tableName, "migrations");
        assert.equal(wait.json.componentPath, "");
        assert.match(wait.json.error, /^Document with ID "[^"]+" in table "migrations" does not match the schema: .*migrationId/);

        const finish = await raw(url, "/api/deploy2/finish_push", { body: { adminKey: KEY, startPush: start.json, dryRun: false } });
        assert.deepEqual([finish.status, finish.json.code], [400, "SchemaAlreadyFailed"]);
        assert.deepEqual(await control(url, "functions"), v1);
        assert.equal((await client(url).query(ping, {})).schemaVersion, 1);
        assert.equal((await control(url, "state")).tables.migrations[0].id, "0001_example");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("v1, then data, then v2: the data is kept as it was, v2 is live", async () => {
      const { url } = await peer("--empty");
      await pushed(url, V1);
      const c = conversation();
      await client(url).mutation(insert, { table: "conversations", document: c });
      for (let i = 0; i < 30; i++) {
        await client(url).mutation(insert, { table: "messages", document: message(c.clientId, i) });
      }
      const stored = await raw(url, "/_peer/state?system=1", { method: "GET" });

      await pushed(url, BUNDLE);
      assert.deepEqual((await raw(url, "/_peer/state?system=1", { method: "GET" })).json, stored.json);
      const v2 = await client(url).query(ping, {});
      assert.equal(v2.schemaVersion, 2);
      // (the v1 conversation has no messageCount yet)
      assert.deepEqual(v2.pendingMigrations, ["0002_message_counts"]);
      // Index ranges page through the carried-over rows (indexed-ranges.mjs on the new instance).
      const seen = [];
      let cursor = null;
      do {
        const page = await client(url).query(list, {
          table: "messages", index: "by_conversation", equal: [c.clientId], order: "desc", paginationOpts: { numItems: 7, cursor },
        });
        seen.push(...page.page.map((m) => m.createdAt));
        cursor = page.isDone ? null : page.continueCursor;
      } while (cursor !== null);
      assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => 29 - i));
    });
  });

  test("--state keeps the pushed functions and the data through a stop", async () => {
    const dir = tmp();
    const file = path.join(dir, "state.json");
    try {
      let started = await startPeer("--empty", "--state", file);
      await pushed(started.url, BUNDLE);
      const deployed = await control(started.url, "functions");
      const c = conversation();
      await client(started.url).mutation(insert, { table: "conversations", document: c });
      assert.equal(await started.stop(), 0);

      started = await startPeer("--empty", "--state", file);
      peers.push(started);
      assert.deepEqual(await control(started.url, "functions"), deployed);
      assert.equal((await client(started.url).query(ping, {})).app, "cairn");
      assert.deepEqual((await control(started.url, "state")).tables.conversations.map((x) => x.clientId), [c.clientId]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("the push API in detail", () => {
    let url;
    before(async () => {
      ({ url } = await peer("--empty"));
    });

    const start = (body, headers) => raw(url, "/api/deploy2/start_push", { body, headers });

    test("evaluate_schema is 404 (the CLI skips it); get_config_hashes and report_push_completed answer", async () => {
      assert.equal((await raw(url, "/api/deploy2/evaluate_schema", { body: { ...BUNDLE, adminKey: KEY } })).status, 404);
      const hashes = await raw(url, "/api/get_config_hashes", { body: { version: "1.48.0", adminKey: KEY } });
      assert.deepEqual(hashes.json, { config: { functions: "convex/" }, moduleHashes: [], udfServerVersion: null, nodeVersion: null });
      const done = await raw(url, "/api/deploy2/report_push_completed", { body: { adminKey: KEY, spans: [] } });
      assert.deepEqual([done.status, done.text], [200, "null"]);
    });

    test("a brotli body is read like a plain one; another encoding is 415", async () => {
      const body = brotliCompressSync(JSON.stringify({ ...V1, adminKey: KEY, dryRun: true }));
      const r = await fetch(`${url}/api/deploy2/start_push`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Encoding": "br" },
        body,
      });
      assert.equal(r.status, 200);
      assert.equal(typeof (await r.json()).schemaChange.schemaIds[""], "string");
      const gzip = await raw(url, "/api/deploy2/start_push", { body: { ...V1, adminKey: KEY }, headers: { "Content-Encoding": "gzip" } });
      assert.deepEqual([gzip.status, gzip.text], [415, ""]);
    });

    test("bodies of the wrong shape: 400 BadJsonBody before the key is looked at", async () => {
      let r = await start("{");
      assert.deepEqual([r.status, r.json.code], [400, "BadJsonBody"]);
      const { appDefinition, ...noApp } = V1;
      r = await start({ ...noApp, adminKey: "wrong" });
      assert.deepEqual(r.json, { code: "BadJsonBody", message: "Failed to deserialize the JSON body into the target type: missing field `appDefinition`" });
      r = await start({ ...V1, adminKey: KEY, appDefinition: { ...V1.appDefinition, changedModules: [{ path: "a.js" }] } });
      assert.equal(r.json.message, "Failed to deserialize the JSON body into the target type: appDefinition.changedModules[0]: missing field `source`");
      r = await raw(url, "/api/deploy2/wait_for_schema", { body: { adminKey: KEY, schemaChange: {}, timeoutMs: 10, dryRun: false } });
      assert.deepEqual([r.status, r.json.code], [400, "BadJsonBody"]);
      r = await raw(url, "/api/deploy2/start_push", { body: { ...V1, adminKey: KEY }, headers: { "Content-Type": "text/plain" } });
      assert.deepEqual([r.status, r.json.code], [400, "BadJsonBody"]);
    });

    test("a bad configuration: 400 InvalidConfig", async () => {
      const app = V1.appDefinition;
      let r = await start({ ...V1, adminKey: KEY, appDefinition: { ...app, udfServerVersion: "one" } });
      assert.deepEqual([r.status, r.json.code], [400, "InvalidConfig"]);
      const badPath = { ...app.changedModules[0], path: "../cairn.js" };
      r = await start({ ...V1, adminKey: KEY, appDefinition: { ...app, changedModules: [badPath] } });
      assert.deepEqual([r.status, r.json.code], [400, "InvalidConfig"]);
      assert.match(r.json.message, /^\.\.\/cairn\.js is not a valid path to a Convex module\./);
    });

    test("a module or schema that fails to load: 400 Hit an error while pushing, nothing deployed", async () => {
      const app = V1.appDefinition;
      const broken = { path: "broken.js", source: 'throw new Error("broken at import");', environment: "isolate" };
      let r = await start({ ...V1, adminKey: KEY, appDefinition: { ...app, changedModules: [...app.changedModules, broken] } });
      assert.equal(r.status, 400);
      assert.equal(r.json.code, "InvalidModules");
      assert.equal(
        r.json.message,
        "Hit an error while pushing:\nLoading the pushed modules encountered the following error:\nFailed to analyze broken.js: Uncaught Error: broken at import",
      );
      r = await start({ ...V1, adminKey: KEY, appDefinition: { ...app, schema: { path: "schema.js", source: "export default 42;" } } });
      assert.deepEqual([r.status, r.json.code], [400, "InvalidSchema"]);
      assert.match(r.json.message, /^Hit an error while pushing:\n/);
      assert.deepEqual(await control(url, "functions"), { functions: [], schema: null });
    });

    test("a push started after another overwrites it: raceDetected, and it cannot finish", async () => {
      const first = await start({ ...V1, adminKey: KEY });
      const second = await start({ ...V1, adminKey: KEY });
      const wait = await raw(url, "/api/deploy2/wait_for_schema", {
        body: { adminKey: KEY, schemaChange: first.json.schemaChange, timeoutMs: 1000, dryRun: false },
      });
      assert.deepEqual(wait.json, { type: "raceDetected" });
      const finish = await raw(url, "/api/deploy2/finish_push", { body: { adminKey: KEY, startPush: first.json, dryRun: false } });
      assert.deepEqual([finish.status, finish.json.code], [400, "SchemaAlreadyOverwritten"]);
      assert.deepEqual(await control(url, "functions"), { functions: [], schema: null });
      const done = await raw(url, "/api/deploy2/finish_push", { body: { adminKey: KEY, startPush: second.json, dryRun: false } });
      assert.equal(done.status, 200);
      assert.equal((await client(url).query(ping, {})).schemaVersion, 1);
    });

    test("wait_for_schema waits at most timeoutMs: inProgress while the check runs", async () => {
      await control(url, "config", { schemaValidationMs: 1500 });
      try {
        const started = await start({ ...BUNDLE, adminKey: KEY });
        const body = { adminKey: KEY, schemaChange: started.json.schemaChange, timeoutMs: 100, dryRun: false };
        const first = await raw(url, "/api/deploy2/wait_for_schema", { body });
        assert.equal(first.json.type, "inProgress");
        assert.equal(first.json.components[""].schemaValidationComplete, false);
        const second = await raw(url, "/api/deploy2/wait_for_schema", { body: { ...body, timeoutMs: 10_000 } });
        assert.deepEqual(second.json, { type: "complete" });
      } finally {
        await control(url, "reset", {});
      }
    });

    test("unchangedModuleHashes: the deployed module by its hash, 409 when there is none", async () => {
      await pushed(url, V1);
      const [kept, ...rest] = V1.appDefinition.changedModules;
      const { createHash } = await import("node:crypto");
      const sha256 = createHash("sha256").update(kept.source).update(kept.sourceMap ?? "").digest("hex");
      const app = { ...V1.appDefinition, changedModules: rest, unchangedModuleHashes: [{ path: kept.path, environment: "isolate", sha256 }] };
      assert.equal((await start({ ...V1, adminKey: KEY, dryRun: true, appDefinition: app })).status, 200);
      const wrong = { ...app, unchangedModuleHashes: [{ path: kept.path, environment: "isolate", sha256: "00" }] };
      const r = await start({ ...V1, adminKey: KEY, dryRun: true, appDefinition: wrong });
      assert.deepEqual([r.status, r.json.code], [409, "ExistingModuleHashConflict"]);
    });

    test("faults and stats cover the push routes", async () => {
      await control(url, "reset", {});
      await control(url, "fault", { mode: "status", status: 503, count: 1, path: "/api/deploy2/" });
      const refused = await start({ ...V1, adminKey: KEY, dryRun: true });
      assert.deepEqual([refused.status, refused.json.code], [503, "ServiceUnavailable"]);
      assert.equal((await start({ ...V1, adminKey: KEY, dryRun: true })).status, 200);
      const stats = await control(url, "stats");
      assert.equal(stats.byRoute["/api/deploy2/start_push"], 2);
    });
  });

  test("function-error: the named function fails N times without running, the others run", async () => {
    const { url } = await peer("--empty");
    await pushed(url, BUNDLE);
    await control(url, "fault", { mode: "function-error", function: "documents:insert", message: "disk on fire", count: 2 });
    const c = conversation();
    const body = { path: "documents:insert", args: { table: "conversations", document: c } };
    const headers = { Authorization: `Convex ${KEY}` };
    for (let i = 0; i < 2; i++) {
      assert.equal((await client(url).query(ping, {})).app, "cairn");
      const r = await raw(url, "/api/mutation", { body, headers });
      assert.equal(r.status, 200);
      assert.match(r.json.errorMessage, /^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught Error: disk on fire\n/);
    }
    assert.deepEqual((await control(url, "state")).tables.conversations, []);
    assert.equal((await raw(url, "/api/mutation", { body, headers })).json.status, "success");
    assert.equal((await control(url, "stats")).fault, null);
    const bad = await raw(url, "/_peer/fault", { body: { mode: "function-error", function: "not a path" } });
    assert.deepEqual([bad.status, bad.json.code], [400, "BadFault"]);
  });
});
