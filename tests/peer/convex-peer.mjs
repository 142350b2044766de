#!/usr/bin/env node
// A Convex deployment in a box, for Cairn's tests.
//
//   node tests/peer/convex-peer.mjs --port 0 --admin-key KEY [--read-only-key KEY] [--state FILE] [--functions DIR | --empty]
//
// Hosts the Cairn functions (data/convex/convex) through convex-test and
// speaks the Convex HTTP API on 127.0.0.1 the way a deployment does: the same
// routes, status codes, bodies and error texts (see README.md for where it
// differs). It takes pushes (`npx convex deploy`, or Cairn's own replay of
// the bundle) on the deployment's push API and serves the pushed functions
// from then on; --empty starts with none, as a new deployment. Prints
// "listening on http://127.0.0.1:PORT" once ready. A control API under
// /_peer/ injects faults and reads the data; SIGTERM saves the data (and the
// last push) to --state (if given) and exits 0.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import http from "node:http";
import { register as registerLoaderHooks } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect, parseArgs } from "node:util";
import { register } from "tsx/esm/api";
import { makeFunctionReference } from "convex/server";
import { convexToJson, getDocumentSize, jsonToConvex } from "convex/values";
import { installIndexedRanges, tableOf } from "./indexed-ranges.mjs";
import {
  FINISH_PUSH_DIFF, HttpError, MAX_PUSH_BYTES, SEMVER, checkBody, checkConfig, decodePushBody, functionsOf, indexCount,
  loadPush, schemaDigest, schemaViolation, startPushResponse,
} from "./push.mjs";
import { installSync } from "./sync.mjs";

// The function modules are TypeScript.
register();
// Index range reads that do not read the whole table (indexed-ranges.mjs).
registerLoaderHooks("./expose-database.mjs", import.meta.url);
const { convexTest, DatabaseFake, getDb } = await import("convex-test");
installIndexedRanges(DatabaseFake);

const HERE = path.dirname(fileURLToPath(import.meta.url));

const USAGE =
  "usage: convex-peer.mjs --port N --admin-key KEY [--read-only-key KEY] [--state FILE] [--functions DIR | --empty] [--refuse-args-containing TEXT]\n";
const { values: options } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "admin-key": { type: "string" },
    "read-only-key": { type: "string" },
    state: { type: "string" },
    functions: { type: "string" },
    empty: { type: "boolean", default: false },
    "refuse-args-containing": { type: "string" },
  },
});
if (!options["admin-key"] || (options.empty && options.functions !== undefined)) {
  process.stderr.write(USAGE);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// The functions

/** Every module of the functions folder, the way `npx convex deploy` picks them. */
function findModules(dir, sub = "") {
  const found = [];
  for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${entry.name}` : entry.name;
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    if (entry.isDirectory()) {
      found.push(...findModules(dir, rel));
    } else if (/\.(m?js|ts)$/.test(entry.name) && entry.name.split(".").length === 2) {
      found.push(rel); // (more than one dot: tests, .d.ts — skipped, as Convex does)
    }
  }
  return found;
}

/** The functions of a source folder (TypeScript), as a push would deploy them. */
async function loadFunctionsDir(dir) {
  const modules = {}; // "./documents.ts" -> loader, as convex-test wants them
  const functions = new Map(); // "documents:list" -> { type, visibility }
  for (const rel of findModules(dir)) {
    const url = pathToFileURL(path.join(dir, rel)).href;
    // Imported once: convex-test asks for the module at every call, and each
    // import() goes through the TypeScript loader's thread.
    let loaded;
    modules[`./${rel}`] = () => (loaded ??= import(url));
    if (rel.startsWith("_generated/") || /^schema\.[jt]s$/.test(rel)) continue;
    functionsOf(rel.replace(/\.[^.]+$/, ""), await modules[`./${rel}`](), functions);
  }
  const schema = (await import(pathToFileURL(path.join(dir, "schema.ts")).href)).default;
  return { schema, modules, functions, push: null };
}

/** A new deployment: no functions, no schema. */
const NOTHING_DEPLOYED = { schema: null, modules: { "./_generated/api.js": async () => ({}) }, functions: new Map(), push: null };

// ---------------------------------------------------------------------------
// The deployment's state

/**
 * What is deployed — `functions` (the registry), `modules` (convex-test's
 * loaders), `schema` (or null), `push` (the request it came from, or null
 * when it was loaded from a folder) — and `t`, the convex-test instance that
 * runs them and holds the data. Replaced as a whole, between two requests.
 */
let deployment;

/** What to deploy, with a new convex-test instance (no data yet) to run it. */
function withInstance(what) {
  return { ...what, t: convexTest(what.schema ?? undefined, what.modules) };
}

/** The database of a convex-test instance (see expose-database.mjs). */
async function databaseOf(t) {
  let db;
  // (not returned from run(): that answer must be a Convex value)
  await t.run(async () => {
    db = getDb();
  });
  return db;
}

const FUNCTIONS_DIR = path.join(HERE, "../../data/convex/convex");
deployment = withInstance(options.empty ? NOTHING_DEPLOYED : await loadFunctionsDir(path.resolve(options.functions ?? FUNCTIONS_DIR)));

// ---------------------------------------------------------------------------
// Convex's limits that convex-test does not enforce

/** A request body larger than this is refused before it is parsed (the backend's public API body limit). */
const MAX_REQUEST_BYTES = (1 << 24) + 2000;

/** The largest document a user table may hold, system fields included. */
const MAX_DOCUMENT_BYTES = 1 << 20;

/**
 * Two decimals, an exact tie going to the even digit as Rust's formatting
 * does (toFixed would round 1.125 up).
 */
function twoDecimals(x) {
  const scaled = x * 100;
  const floor = Math.floor(scaled);
  const hundredths = scaled - floor === 0.5 ? floor + (floor % 2) : Math.round(scaled);
  return (hundredths / 100).toFixed(2);
}

/** A byte count the way the backend prints it: 1024-based units, two decimals unless whole ("1 MiB", "1.05 MiB"). */
function formatBinarySize(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(size) ? size : twoDecimals(size)} ${units[unit]}`;
}

/**
 * Refuses a document over the limit with the backend's own error, which the
 * function sees as an exception thrown by the db.insert/patch/replace call
 * (so it can catch it, and an uncaught one rolls the mutation back).
 * getDocumentSize is the Convex value size (strings and bytes count their
 * UTF-8 bytes plus 2, numbers 9, fields their name plus 1) and, for a
 * document without _id/_creationTime, adds the size those fields will have.
 */
function checkDocumentSize(document) {
  const size = getDocumentSize(document);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new Error(`Value is too large (${formatBinarySize(size)} > maximum size ${formatBinarySize(MAX_DOCUMENT_BYTES)})`);
  }
}

/** The fields of a stored document, as db.patch would leave them after merging `patch` (encoded JSON). */
function mergedDocument(storedJson, patch) {
  const { _id, _creationTime, ...fields } = storedJson;
  for (const [name, value] of Object.entries(patch)) {
    if (value !== null && typeof value === "object" && "$undefined" in value) delete fields[name];
    else fields[name] = value;
  }
  return jsonToConvex(fields);
}

/** The document a write syscall is about to store, or undefined for anything else. */
async function documentToWrite(op, args, asyncSyscall) {
  if (op === "1.0/insert" || op === "1.0/replace") {
    const { _id, _creationTime, ...fields } = args.value;
    return jsonToConvex(fields);
  }
  if (op === "1.0/shallowMerge") {
    const stored = JSON.parse(await asyncSyscall("1.0/get", JSON.stringify({ table: args.table, id: args.id })));
    return stored === null ? undefined : mergedDocument(stored, args.value);
  }
  return undefined;
}

/**
 * The functions reach the database through the `Convex` global that
 * convex-test installs (once per process, dispatching to the current test
 * instance); wrapping it checks every write, also those of scheduled
 * functions, before convex-test applies it.
 */
function enforceDocumentSize() {
  const runtime = globalThis.Convex;
  globalThis.Convex = {
    get syscall() {
      return runtime.syscall;
    },
    get jsSyscall() {
      return runtime.jsSyscall;
    },
    get asyncSyscall() {
      const asyncSyscall = runtime.asyncSyscall;
      return async (op, json) => {
        const document = await documentToWrite(op, JSON.parse(json), asyncSyscall);
        if (document !== undefined) checkDocumentSize(document);
        return asyncSyscall(op, json);
      };
    },
  };
}
enforceDocumentSize();

const DEFAULT_CONFIG = { schemaVersion: null, functions: true, production: false, schemaValidationMs: 0 };
let config = { ...DEFAULT_CONFIG };
let fault = null; // { mode, ..., until?, remaining? }
const hung = new Set(); // responses held by the "hang" fault
let stats = { requests: 0, byRoute: {}, byFunction: {} };

// One function at a time, as convex-test runs them anyway: it keeps the
// captured log lines apart and lets a save see a consistent state.
let queue = Promise.resolve();
function serially(task) {
  const run = queue.then(task, task);
  queue = run.catch(() => {});
  return run;
}

/** The user tables: the schema's, and any other that holds documents. */
function tablesOf(db) {
  const tables = new Set(deployment.schema === null ? [] : Object.keys(deployment.schema.tables));
  for (const id of Object.keys(db._documents)) {
    const table = tableOf(id);
    if (table !== null && !table.startsWith("_")) tables.add(table);
  }
  return [...tables];
}

/** Every document of every table, oldest first. */
function readAll() {
  return serially(async () => {
    const { t } = deployment;
    const tables = tablesOf(await databaseOf(t));
    return t.run(async (ctx) => {
      const all = {};
      for (const table of tables) {
        all[table] = await ctx.db.query(table).collect();
      }
      return all;
    });
  });
}

function withoutSystemFields({ _id, _creationTime, ...document }) {
  return document;
}

/** The data, and the push that made the functions (if they came from one). */
async function saveState(file) {
  const all = await readAll();
  const tables = {};
  for (const [table, docs] of Object.entries(all)) {
    tables[table] = docs.map((doc) => convexToJson({ ...withoutSystemFields(doc), _creationTime: doc._creationTime }));
  }
  const push = deployment.push ?? undefined;
  writeFileSync(`${file}.tmp`, JSON.stringify({ version: 1, tables, push }));
  renameSync(`${file}.tmp`, file);
}

async function loadState(file) {
  const { tables, push } = JSON.parse(readFileSync(file, "utf8"));
  if (push !== undefined) deployment = withInstance(await loadPush(push, null, DatabaseFake));
  await serially(() =>
    deployment.t.run(async (ctx) => {
      for (const [table, docs] of Object.entries(tables)) {
        const ordered = docs.map(jsonToConvex).sort((a, b) => a._creationTime - b._creationTime);
        for (const { _creationTime, ...document } of ordered) {
          await ctx.db.insert(table, document);
        }
      }
    }),
  );
}

// ---------------------------------------------------------------------------
// The HTTP API

const badRequest = (code, message) => new HttpError(400, code, message);

function requestId() {
  return randomBytes(8).toString("hex");
}

/** Convex-Client: "<client name>-<semver>"; absent is fine. */
function checkClientVersion(value) {
  if (value === undefined) return;
  const parts = value.split("-");
  for (let n = 1; n < parts.length; n++) {
    if (SEMVER.test(parts.slice(n).join("-"))) return;
  }
  throw badRequest(
    "InvalidClientVersion",
    `Failed to parse client version string: '${value}'. Expected format is {client_name}-{semver}, e.g. my-esolang-client-0.0.1`,
  );
}

/** "prod:name|secret" and "name|secret" are the same key; ":<b64>" acts as a user. */
function splitAdminKey(key) {
  const bar = key.indexOf("|");
  if (bar !== -1) {
    const colon = key.lastIndexOf(":", bar);
    if (colon !== -1) key = key.slice(colon + 1);
  }
  const colon = key.indexOf(":");
  return colon === -1 ? { key, actingAs: null } : { key: key.slice(0, colon), actingAs: key.slice(colon + 1) };
}

/** What the Authorization header carries: nothing, an admin key or a user token. */
function authToken(header) {
  if (header === undefined) return { kind: "none" };
  if (header.length < 7) throw badRequest("InvalidHeaderFailure", "Invalid authentication header");
  if (header.slice(0, 7).toLowerCase() === "convex ") return { kind: "admin", ...splitAdminKey(header.slice(7)) };
  const bearer = /^Bearer (.+)$/i.exec(header);
  if (bearer === null) throw badRequest("InvalidAdminKey", "Invalid admin key");
  return { kind: "user", token: bearer[1] };
}

const sameKey = (token, key) => key !== undefined && token.key === splitAdminKey(key).key;

/**
 * Who calls: `admin` sees internal functions; `readOnly` holds the
 * read-only deploy key (queries only); `actingAs` is set when an admin key
 * acts as a user.
 */
function authenticate(token) {
  if (token.kind === "admin") {
    const readOnly = !sameKey(token, options["admin-key"]) && sameKey(token, options["read-only-key"]);
    if (!readOnly && !sameKey(token, options["admin-key"])) {
      throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance");
    }
    return { admin: token.actingAs === null, readOnly, actingAs: token.actingAs };
  }
  if (token.kind === "user") {
    throw new HttpError(
      401,
      "NoAuthProvider",
      "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: []",
    );
  }
  return { admin: false, readOnly: false, actingAs: null };
}

/** What a read-only deploy key lacks, by the kind of internal function it tries to run. */
const READ_ONLY_DENIED = {
  mutation: "deployment:functions:runInternalMutations",
  action: "deployment:functions:runInternalActions",
};

/**
 * The backend checks an admin's permissions once it found the function:
 * acting as a user needs its own permission, and an internal function needs
 * "run internal <kind>" for the kind the route asks for. A read-only key has
 * only the query one, so its mutations and actions get 403 — while public
 * functions are not checked at all.
 */
function checkOperation(caller, fn, kind) {
  if (!caller.readOnly) return;
  let action;
  if (caller.actingAs !== null) action = "deployment:functions:actAsUser";
  else if (fn.visibility === "internal") action = READ_ONLY_DENIED[kind === "any" ? fn.type : kind];
  if (action !== undefined) {
    throw new HttpError(403, "OperationNotPermitted", `You do not have permission to perform this operation (${action}).`);
  }
}

/** "mod:fn", "mod" (the default export), "mod.js:fn" -> its parts. */
function parseFunctionPath(text) {
  const [file, name = "default", ...rest] = String(text).split(":");
  const modulePath = file.replace(/\.js$/, "");
  if (rest.length > 0 || !/^[\w-]+(\/[\w-]+)*$/.test(modulePath) || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw badRequest(
      "BadConvexFunctionIdentifier",
      `${text} is not a valid path to a Convex function. Expected a module path and a function name, e.g. "messages:list".`,
    );
  }
  return { id: `${modulePath}:${name}`, display: name === "default" ? modulePath : `${modulePath}:${name}`, modulePath };
}

const FORMATS = { json: "clean", convex_clean_json: "clean", convex_encoded_json: "encoded", convex_json: "encoded" };

function valueFormat(format) {
  if (format === undefined || format === null) return "clean";
  if (!Object.hasOwn(FORMATS, format)) {
    throw badRequest("BadFormat", `format param must be one of [\`json\`]. Got ${format}`);
  }
  return FORMATS[format];
}

/** A Convex value as JSON: "encoded" keeps every type, "clean" is plain JSON. */
function exportValue(value, format) {
  if (format === "encoded") return convexToJson(value);
  const clean = (v) => {
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (v instanceof ArrayBuffer) return Buffer.from(v).toString("base64");
    if (Array.isArray(v)) return v.map(clean);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, clean(x)]));
    }
    return v;
  };
  return clean(value);
}

const NOT_DEPLOYED = "Did you forget to run `npx convex dev` or `npx convex deploy`?";
const TYPE_NAMES = { query: "Query", mutation: "Mutation", action: "Action" };

/** The answer to a function that threw `e` (`head` is the "[Request ID: …] Server Error" line). */
function thrownAnswer(e, fnPath, head) {
  const failure = (message) => ({ status: "error", errorMessage: `${head}\n${message}` });
  const frame = `\n    at handler (../convex/${fnPath.modulePath}.ts)`;
  if (typeof e === "object" && e !== null && Symbol.for("ConvexError") in e) {
    return { ...failure(`Uncaught ConvexError: ${e.message}${frame}`), errorData: e.data };
  }
  const message = String(e?.message ?? e);
  if (message.startsWith("Validator error")) {
    return failure(`ArgumentValidationError: ${message.replace(/^Validator error:?\s*/, "")}`);
  }
  // A production deployment hides what a developer error says.
  return config.production ? { status: "error", errorMessage: head } : failure(`Uncaught Error: ${message}${frame}`);
}

/**
 * Runs a function the way a deployment does and returns the HTTP API's
 * answer. The function is looked up and run in one go, one function at a
 * time: a push replaces the deployment between two functions, never during
 * one.
 */
function runFunction(kind, fnPath, rawArgs, caller, id, active) {
  const head = `[Request ID: ${id}] Server Error`;
  const failure = (message) => ({ status: "error", errorMessage: `${head}\n${message}` });

  return serially(async () => {
    const { functions, t } = deployment;
    const fn = config.functions ? functions.get(fnPath.id) : undefined;
    if (fn !== undefined) checkOperation(caller, fn, kind);
    if (fn === undefined || (!caller.admin && fn.visibility !== "public")) {
      return { answer: failure(`Could not find ${caller.admin ? "" : "public "}function for '${fnPath.display}'. ${NOT_DEPLOYED}`) };
    }
    stats.byFunction[fnPath.display] = (stats.byFunction[fnPath.display] ?? 0) + 1;
    if (kind !== "any" && fn.type !== kind) {
      return { answer: failure(`Trying to execute ${fnPath.display} as ${TYPE_NAMES[kind]}, but it is defined as ${TYPE_NAMES[fn.type]}.`) };
    }
    if (takeFunctionError(active, fnPath)) {
      return { answer: thrownAnswer(new Error(active.message), fnPath, head) };
    }
    // a write the deployment refuses for good, under any fault and after any reset (the chaos soak's marker)
    const refuse = options["refuse-args-containing"];
    if (refuse !== undefined && refuse !== "" && JSON.stringify(rawArgs).includes(refuse)) {
      return { answer: thrownAnswer(new Error(`Refused: the arguments contain ${refuse}`), fnPath, head) };
    }

    let args = rawArgs;
    if (Array.isArray(args)) {
      if (args.length > 1) return { answer: failure(`ArgumentValidationError: Expected one argument object, got ${args.length}.`) };
      args = args[0] ?? {};
    }
    const logLines = [];
    const run = () => {
      const reference = makeFunctionReference(fnPath.id);
      if (fn.type === "query") return t.query(reference, args);
      if (fn.type === "mutation") return t.mutation(reference, args);
      return t.action(reference, args);
    };
    try {
      args = jsonToConvex(args);
      let value = await withLogsTo(logLines, run);
      if (fnPath.id === "cairn:ping" && config.schemaVersion !== null && value !== null && typeof value === "object") {
        value = { ...value, schemaVersion: config.schemaVersion };
      }
      return { answer: { status: "success", value }, logLines };
    } catch (e) {
      return { answer: thrownAnswer(e, fnPath, head), logLines };
    }
  });
}

/** console.* of the functions, as a deployment reports them in logLines. */
async function withLogsTo(lines, task) {
  const saved = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    saved[level] = console[level];
    console[level] = (...args) =>
      lines.push(`[${level.toUpperCase()}] ${args.map((a) => (typeof a === "string" ? `'${a}'` : inspect(a))).join(" ")}`);
  }
  try {
    return await task();
  } finally {
    Object.assign(console, saved);
  }
}

const ROUTES = { "/api/query": "query", "/api/mutation": "mutation", "/api/action": "action", "/api/function": "any" };

/** One /api/* request: its status and JSON body (body is null when it was over the size limit). */
async function api(req, url, body, active) {
  if (Object.hasOwn(PUSH_ROUTES, url.pathname)) return pushApi(req, url, body);
  const kind = ROUTES[url.pathname] ?? (url.pathname.startsWith("/api/run/") ? "any" : undefined);
  if (kind === undefined) return { status: 404 };
  if (req.method !== "POST") return { status: 405 };

  checkClientVersion(req.headers["convex-client"]);
  const token = authToken(req.headers.authorization);

  const contentType = req.headers["content-type"] ?? "";
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw badRequest("BadJsonBody", "Expected request with `Content-Type: application/json`");
  }
  if (body === null) {
    // The backend's body extractor gives up at its limit with this text.
    throw badRequest("BadJsonBody", "Failed to buffer the request body: length limit exceeded");
  }
  let request;
  try {
    request = JSON.parse(body.toString("utf8"));
  } catch (e) {
    throw badRequest("BadJsonBody", `Failed to parse the request body as JSON: ${e.message}`);
  }
  const runPath = url.pathname.startsWith("/api/run/");
  const required = runPath ? ["args"] : ["path", "args"];
  const missing = required.find((field) => request === null || typeof request !== "object" || !(field in request));
  if (missing !== undefined) {
    throw badRequest("BadJsonBody", `Failed to deserialize the JSON body into the target type: missing field \`${missing}\``);
  }

  let pathText = request.path;
  if (runPath) {
    const parts = url.pathname.slice("/api/run/".length).split("/").map(decodeURIComponent);
    if (parts.length < 2 || parts.some((p) => p === "")) {
      throw badRequest("MissingIdentifier", "Path or function name not provided in path, e.g. /api/run/messages/list");
    }
    pathText = `${parts.slice(0, -1).join("/")}:${parts.at(-1)}`;
  }
  const fnPath = parseFunctionPath(pathText);
  const caller = authenticate(token);
  const id = requestId();
  const cursors = restoreCursor(request.args);
  const { answer, logLines = [] } = await runFunction(kind, fnPath, request.args, caller, id, active);
  if (active?.mode === "endless-cursor" && cursors !== undefined && answer.status === "success" && isPage(answer.value)) {
    answer.value = endlessPage(active.variant, cursors, answer.value);
  }
  const format = valueFormat(request.format ?? undefined);
  if (answer.status === "success") answer.value = exportValue(answer.value, format);
  if (answer.errorData !== undefined) answer.errorData = exportValue(answer.errorData, format);
  if (logLines.length > 0) answer.logLines = logLines;
  return { status: 200, json: answer };
}

// ---------------------------------------------------------------------------
// The push API (/api/get_config_hashes, /api/deploy2/*)
//
// start_push loads the pushed modules and schema (refusing them as the
// backend does) and starts checking the stored documents against the schema;
// wait_for_schema reports that check; finish_push runs it once more and, if
// the data still fits, moves the data into a new convex-test instance that
// runs the pushed functions, and makes that the deployment. Nothing of a
// push is live before finish_push; a failed or abandoned push changes
// nothing.

/**
 * The pushes started, by their token and by their schema id. `state`:
 * pending (the check runs) -> validated | failed; validated -> finished;
 * pending or validated -> overwritten when another push (not a dry run)
 * starts. A dry run is checked like the rest and never finishes.
 */
const pushes = new Map();
const pushesBySchema = new Map();

const PUSH_DENIED = "You do not have permission to perform this operation (deployment:deploy).";

/** The push routes take the key in the body (not the header): the admin key pushes, the read-only key may not. */
function authenticatePush(adminKey) {
  const token = splitAdminKey(adminKey);
  if (sameKey(token, options["admin-key"]) && token.actingAs === null) return;
  if (sameKey(token, options["admin-key"]) || sameKey(token, options["read-only-key"])) {
    throw new HttpError(403, "OperationNotPermitted", PUSH_DENIED);
  }
  throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance");
}

/** Waits for `promise`, or `ms`, whichever comes first. */
function waitAtMost(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function failPush(push, violation) {
  push.state = "failed";
  push.failure = violation;
  push.loaded = null;
}

/** The schema worker: every stored document against the push's schema (one function at a time, like the rest). */
async function checkSchema(push) {
  if (config.schemaValidationMs > 0) await sleep(config.schemaValidationMs);
  await serially(async () => {
    if (push.state !== "pending") return;
    const violation = schemaViolation(push.loaded.schema, await databaseOf(deployment.t), DatabaseFake);
    if (violation === null) push.state = "validated";
    else failPush(push, violation);
  });
}

/** Every user document as it is (same _id and _creationTime) into another instance's database. */
function copyDocuments(from, to) {
  for (const [id, document] of Object.entries(from._documents)) {
    const table = tableOf(id);
    if (table !== null && !table.startsWith("_")) to._documents[id] = document;
  }
  to._nextDocId = from._nextDocId;
  to._lastCreationTime = from._lastCreationTime;
}

/**
 * finish_push's commit, between two functions: the data as it is now is
 * checked once more (it may have changed since wait_for_schema), then
 * carried into the new instance, which becomes the deployment.
 */
function activate(push) {
  return serially(async () => {
    const data = await databaseOf(deployment.t);
    const violation = schemaViolation(push.loaded.schema, data, DatabaseFake);
    if (violation !== null) return failPush(push, violation);
    const next = withInstance(push.loaded);
    copyDocuments(data, await databaseOf(next.t));
    deployment = next;
    sync.invalidateAll();
    push.state = "finished";
    push.loaded = null;
  });
}

function getConfigHashes() {
  return {
    config: { functions: deployment.push?.functions ?? "convex/" },
    // (none: the CLI then sends every module, and keeps unchangedModuleHashes empty)
    moduleHashes: [],
    udfServerVersion: deployment.push?.appDefinition.udfServerVersion ?? null,
    nodeVersion: null,
  };
}

async function evaluatePush(request) {
  checkConfig(request);
  await loadPush(request, deployment.push, DatabaseFake);
  return { schemaChange: { allocatedComponentIds: {}, schemaIds: {}, indexDiffs: {} } };
}

async function startPush(request) {
  checkConfig(request);
  const loaded = await loadPush(request, deployment.push, DatabaseFake);
  const token = randomBytes(16).toString("hex");
  const schemaId = loaded.schema === null ? null : randomBytes(16).toString("hex");
  if (!request.dryRun) {
    for (const other of pushes.values()) {
      if (other.state === "pending" || other.state === "validated") {
        other.state = "overwritten";
        other.loaded = null;
      }
    }
  }
  const push = { state: "pending", loaded, failure: null, dryRun: request.dryRun };
  push.checked = checkSchema(push).catch((e) => failPush(push, { error: String(e?.message ?? e), tableName: null }));
  pushes.set(token, push);
  if (schemaId !== null) pushesBySchema.set(schemaId, push);
  return startPushResponse(request, token, schemaId);
}

async function waitForSchema(request) {
  const schemaId = request.schemaChange.schemaIds[""] ?? null;
  if (schemaId === null) return { type: "complete" };
  const push = pushesBySchema.get(schemaId);
  if (push === undefined) throw new HttpError(500, "InternalServerError", "Missing schema document");
  await waitAtMost(push.checked, request.timeoutMs);
  switch (push.state) {
    case "pending":
      return {
        type: "inProgress",
        components: { "": { schemaValidationComplete: false, indexesComplete: 0, indexesTotal: indexCount(push.loaded.schema) } },
      };
    case "failed":
      return { type: "failed", error: push.failure.error, componentPath: "", tableName: push.failure.tableName };
    case "overwritten":
      return { type: "raceDetected" };
    default:
      return { type: "complete" };
  }
}

async function finishPush(request) {
  const push = pushes.get(request.startPush.componentDefinitionPackages?.[""]?.storageKey);
  if (push === undefined) {
    throw new HttpError(500, "InternalServerError", "Missing source package: this startPush does not come from this deployment");
  }
  if (request.dryRun || push.dryRun) return FINISH_PUSH_DIFF;
  await push.checked;
  if (push.state === "validated") await activate(push);
  switch (push.state) {
    case "failed":
      throw new HttpError(400, "SchemaAlreadyFailed", `Schema has already been failed with error: ${push.failure.error}`);
    case "overwritten":
      throw new HttpError(400, "SchemaAlreadyOverwritten", "Schema has already been overwritten.");
    default:
      return FINISH_PUSH_DIFF;
  }
}

const PUSH_ROUTES = {
  "/api/get_config_hashes": getConfigHashes,
  "/api/deploy2/evaluate_push": evaluatePush,
  "/api/deploy2/start_push": startPush,
  "/api/deploy2/wait_for_schema": waitForSchema,
  "/api/deploy2/finish_push": finishPush,
  "/api/deploy2/report_push_completed": () => null,
};

/**
 * One push route: the body (br or plain, for deploy2) of the right shape,
 * then its adminKey, then the route's own work. (/api/deploy2/evaluate_schema
 * is not a route here, as on the open-source backend: 404, which the CLI
 * takes as "skip it".)
 */
async function pushApi(req, url, body) {
  if (req.method !== "POST") return { status: 405 };
  checkClientVersion(req.headers["convex-client"]);
  const compressed = url.pathname.startsWith("/api/deploy2/");
  const request = checkBody(url.pathname, decodePushBody(req.headers, body, { compressed }));
  authenticatePush(request.adminKey);
  return { status: 200, json: await PUSH_ROUTES[url.pathname](request) };
}

// ---------------------------------------------------------------------------
// Faults (on /api/* only)

const FAULT_BODIES = {
  429: { code: "RateLimited", message: "Too many requests. Try again later." },
  500: { code: "InternalServerError", message: "Your request couldn't be completed. Try again later." },
  503: { code: "ServiceUnavailable", message: "The service is temporarily unavailable. Try again later." },
};

/** The fault that applies to this request, if any (and count it). */
function takeFault(pathname) {
  if (fault === null) return null;
  if (fault.until !== undefined && Date.now() >= fault.until) {
    fault = null;
    return null;
  }
  if (fault.path !== undefined && !pathname.startsWith(fault.path)) return null;
  const current = fault;
  // ("function-error" counts only the calls of its function: takeFunctionError)
  if (current.mode !== "function-error") countFault(current);
  return current;
}

function countFault(current) {
  if (current.remaining !== undefined && --current.remaining <= 0 && fault === current) fault = null;
}

/** Whether the "function-error" fault stands in for this call of the function (and count it). */
function takeFunctionError(active, fnPath) {
  if (active?.mode !== "function-error" || parseFunctionPath(active.function).id !== fnPath.id) return false;
  countFault(active);
  return true;
}

const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

/** "wrong-types": well-formed JSON whose types a careful client must not trust. */
const WRONG_TYPES = {
  status: { status: 200, json: { status: 1 } },
  value: { status: 200, json: { status: "success" } },
  "error-data": { status: 200, json: { status: "error", errorMessage: 5, errorData: { code: 5, message: [] } } },
  "error-body": { status: 503, json: { code: null, message: 5 } },
  unauthorized: { status: 401, json: { code: 7 } },
  array: { status: 200, json: [] },
  string: { status: 200, json: "success" },
};

/** "deep" answers at most this deep (20 MB): enough to overflow any recursive parser. */
const MAX_DEPTH = 10_000_000;

function isFunctionPath(text) {
  try {
    return typeof text === "string" && parseFunctionPath(text) !== null;
  } catch {
    return false;
  }
}

function requireSetting(ok, message) {
  if (!ok) throw badRequest("BadFault", message);
}

/** Each mode's settings, checked, with their defaults filled in. */
const FAULT_MODES = {
  refuse: (spec) => spec,
  hang: (spec) => spec,
  status: (spec) => {
    requireSetting(Number.isInteger(spec.status), "status needs an HTTP status");
    return spec;
  },
  malformed: (spec) => spec,
  truncated: (spec) => spec,
  slow: (spec) => {
    requireSetting(spec.ms >= 0, "slow needs ms");
    return spec;
  },
  empty: (spec) => {
    requireSetting(Number.isInteger(spec.status) && spec.status >= 200 && spec.status <= 599, "empty needs a status from 200 to 599");
    return spec;
  },
  redirect: ({ location = "http://127.0.0.1:1/elsewhere", ...spec }) => {
    requireSetting(REDIRECT_STATUSES.includes(spec.status), `redirect needs a status among ${REDIRECT_STATUSES.join(", ")}`);
    requireSetting(typeof location === "string" && location !== "", "location must be a URL");
    return { ...spec, location };
  },
  "wrong-types": ({ variant = "status", ...spec }) => {
    requireSetting(Object.hasOwn(WRONG_TYPES, variant), `variant must be one of ${Object.keys(WRONG_TYPES).join(", ")}`);
    return { ...spec, variant };
  },
  deep: ({ depth = 100_000, ...spec }) => {
    requireSetting(Number.isInteger(depth) && depth >= 1 && depth <= MAX_DEPTH, `depth must be a whole number from 1 to ${MAX_DEPTH}`);
    return { ...spec, depth };
  },
  "function-error": ({ message = "Injected failure", ...spec }) => {
    requireSetting(isFunctionPath(spec.function), 'function-error needs a function ("module:name")');
    requireSetting(typeof message === "string", "message must be a string");
    return { ...spec, message };
  },
  "endless-cursor": ({ variant = "repeat", ...spec }) => {
    requireSetting(variant === "repeat" || variant === "changing", "variant must be repeat or changing");
    return { ...spec, variant };
  },
};

function setFault(spec) {
  const modes = Object.keys(FAULT_MODES);
  if (!Object.hasOwn(FAULT_MODES, spec.mode)) throw badRequest("BadFault", `mode must be one of ${modes.join(", ")}`);
  fault = FAULT_MODES[spec.mode]({ ...spec });
  if (spec.seconds !== undefined) fault.until = Date.now() + spec.seconds * 1000;
  if (spec.count !== undefined) fault.remaining = spec.count;
}

/** '{"status":"success","value":[[[…]]]}', built flat: the point is to break recursive parsers, not this one. */
function deepAnswer(depth) {
  return `{"status":"success","value":${"[".repeat(depth)}${"]".repeat(depth)}}`;
}

/** The answer of a fault that stands in for the function's (which then does not run), or null. */
function answerInstead(active) {
  switch (active?.mode) {
    case "status": {
      const fallback = { code: "PeerFault", message: `Injected HTTP ${active.status}` };
      return { status: active.status, json: active.body ?? FAULT_BODIES[active.status] ?? fallback };
    }
    case "empty":
      return { status: active.status };
    case "redirect":
      return { status: active.status, headers: { Location: active.location } };
    case "deep":
      return { status: 200, raw: deepAnswer(active.depth) };
    default:
      return null;
  }
}

// "endless-cursor": a listing that never says it is done. The cursors the
// peer makes up stand for real ones, also once the fault is over, so
// following them keeps working (the same page again for "repeat", the next
// real pages and then empty ones for "changing") instead of failing on a
// cursor convex-test cannot read.
const madeUpCursors = new Map(); // made-up cursor -> the real one (null: the first page)
const FIRST_PAGE_AGAIN = "peer-endless-first-page";

/** paginationOpts of a request's args ({…} or [{…}]), if it has any. */
function paginationOpts(args) {
  const first = Array.isArray(args) ? args[0] : args;
  const opts = first !== null && typeof first === "object" ? first.paginationOpts : undefined;
  return opts !== null && typeof opts === "object" && "cursor" in opts ? opts : undefined;
}

function isPage(value) {
  return (
    value !== null && typeof value === "object" && Array.isArray(value.page) &&
    typeof value.isDone === "boolean" && typeof value.continueCursor === "string"
  );
}

/**
 * Puts the real cursor back into the request's args in place of one the
 * peer made up. Returns the cursor as asked and the real one (undefined
 * when the request is not paginated).
 */
function restoreCursor(args) {
  const opts = paginationOpts(args);
  if (opts === undefined) return undefined;
  const asked = opts.cursor;
  if (madeUpCursors.has(asked)) opts.cursor = madeUpCursors.get(asked);
  return { asked, real: opts.cursor };
}

/** The real page made endless: never done, and a made-up cursor that leads back here or on. */
function endlessPage(variant, { asked, real }, page) {
  const repeat = variant === "repeat";
  const cursor = repeat ? (asked ?? FIRST_PAGE_AGAIN) : randomBytes(18).toString("base64url");
  const standsFor = repeat ? real : page.continueCursor;
  if (cursor !== standsFor) madeUpCursors.set(cursor, standsFor);
  return { ...page, isDone: false, continueCursor: cursor };
}

function releaseHung() {
  for (const res of hung) res.socket?.destroy();
  hung.clear();
}

// ---------------------------------------------------------------------------
// The control API (/_peer/*)

/** What is deployed: every function (path, type, visibility) in path order, and the schema's digest and tables. */
function deployedFunctions() {
  const functions = [...deployment.functions]
    .map(([id, { type, visibility }]) => ({ path: id.endsWith(":default") ? id.slice(0, -8) : id, type, visibility }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const { schema } = deployment;
  return {
    functions,
    schema: schema === null ? null : { digest: schemaDigest(schema), tables: Object.keys(schema.tables).sort() },
  };
}

async function control(req, url, body) {
  const json = () => (body.length === 0 ? {} : JSON.parse(body.toString("utf8")));
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case "POST /_peer/fault":
      setFault(json());
      return { status: 200, json: { ok: true, fault } };
    case "POST /_peer/reset": {
      const { data = false } = json();
      fault = null;
      releaseHung();
      config = { ...DEFAULT_CONFIG };
      stats = { requests: 0, byRoute: {}, byFunction: {} };
      if (data) {
        await serially(() => (deployment = withInstance(deployment)));
        madeUpCursors.clear(); // what they stood for is gone
      }
      sync.reset({ data });
      return { status: 200, json: { ok: true } };
    }
    case "GET /_peer/config":
      return { status: 200, json: config };
    case "POST /_peer/config": {
      const change = json();
      for (const key of Object.keys(change)) {
        if (!Object.hasOwn(DEFAULT_CONFIG, key)) throw badRequest("BadConfig", `unknown setting ${key}`);
      }
      config = { ...config, ...change };
      return { status: 200, json: config };
    }
    case "GET /_peer/state": {
      const all = await readAll();
      const system = url.searchParams.get("system") === "1";
      const tables = Object.fromEntries(
        Object.entries(all).map(([table, docs]) => [
          table,
          docs.map((doc) => exportValue(system ? doc : withoutSystemFields(doc), "clean")),
        ]),
      );
      return { status: 200, json: { tables } };
    }
    case "GET /_peer/functions":
      return { status: 200, json: deployedFunctions() };
    case "GET /_peer/stats":
      return { status: 200, json: { ...stats, fault, sync: sync.stats() } };
    case "POST /_peer/sync":
      return { status: 200, json: sync.control(json()) };
    case "POST /_peer/save":
      if (!options.state) throw badRequest("NoStateFile", "the peer was started without --state");
      await saveState(options.state);
      return { status: 200, json: { ok: true } };
    default:
      return { status: 404, json: { code: "NotFound", message: `no control route ${route}` } };
  }
}

// ---------------------------------------------------------------------------
// The server

/**
 * The request body, or null as soon as it grows past `limit`: from then on
 * the rest is read and dropped (not kept), so that the client, still
 * sending, gets to read the answer; send() then closes the connection.
 */
function readBody(req, limit = Infinity) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      if (req.overLimit) return;
      size += chunk.length;
      if (size > limit) {
        req.overLimit = true;
        chunks.length = 0;
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res, { status, json, raw, headers: extra = {} }) {
  const text = raw ?? (json === undefined ? "" : JSON.stringify(json));
  const headers = { ...extra, "Content-Length": Buffer.byteLength(text) };
  if (text !== "") headers["Content-Type"] = "application/json";
  // A body cut off at the limit leaves the connection mid-request: close it, as the backend does.
  if (res.req?.overLimit) headers.Connection = "close";
  res.writeHead(status, headers);
  res.end(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A refusal as the backend sends it: {code, message}, or no body at all where it has none. */
function errorAnswer(e) {
  return e.code === null ? { status: e.status } : { status: e.status, json: { code: e.code, message: e.message } };
}

async function handle(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");

  if (url.pathname.startsWith("/_peer/")) {
    const body = await readBody(req);
    return send(res, await control(req, url, body));
  }

  const active = url.pathname.startsWith("/api/") ? takeFault(url.pathname) : null;
  if (active?.mode === "refuse") {
    req.socket.destroy();
    return;
  }
  const body = await readBody(req, url.pathname.startsWith("/api/deploy2/") ? MAX_PUSH_BYTES : MAX_REQUEST_BYTES);
  stats.requests += 1;
  stats.byRoute[url.pathname] = (stats.byRoute[url.pathname] ?? 0) + 1;
  if (active?.mode === "hang") {
    hung.add(res);
    res.on("close", () => hung.delete(res));
    return;
  }
  const instead = answerInstead(active);
  if (instead !== null) return send(res, instead);

  let answer;
  try {
    answer = await api(req, url, body, active);
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    answer = errorAnswer(e);
  }

  if (active?.mode === "slow") await sleep(active.ms);
  if (active?.mode === "malformed") {
    return send(res, { status: 200, raw: '{"status":"success","value":{"page":[' });
  }
  if (active?.mode === "truncated") {
    const text = JSON.stringify(answer.json ?? {});
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) + 100 });
    res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (active?.mode === "wrong-types") return send(res, WRONG_TYPES[active.variant]);
  send(res, answer);
}

const server = http.createServer((req, res) => {
  const loopback = ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress);
  if (!loopback) {
    req.socket.destroy();
    return;
  }
  handle(req, res).catch((e) => {
    if (e instanceof HttpError) return send(res, errorAnswer(e));
    if (e instanceof SyntaxError) return send(res, { status: 400, json: { code: "BadJsonBody", message: e.message } });
    process.stderr.write(`convex-peer: ${e?.stack ?? e}\n`);
    if (!res.headersSent) send(res, { status: 500, json: { code: "InternalServerError", message: String(e?.message ?? e) } });
  });
});
server.keepAliveTimeout = 30_000;

// The sync protocol's WebSocket on the same port (sync.mjs).
const NO_CALLER = { admin: false, readOnly: false, actingAs: null };
const sync = installSync(server, {
  DatabaseFake, tableOf, runFunction, parseFunctionPath, requestId, exportValue,
  noCaller: NO_CALLER,
  adminCaller: (key, impersonating) => {
    const caller = authenticate({ kind: "admin", ...splitAdminKey(key) });
    return impersonating === null ? caller : { ...NO_CALLER, actingAs: JSON.stringify(impersonating) };
  },
  isLoopback: (socket) => ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(socket.remoteAddress),
});

if (options.state && existsSync(options.state)) {
  await loadState(options.state);
}

async function shutDown(signal) {
  try {
    if (options.state) await saveState(options.state);
  } catch (e) {
    process.stderr.write(`convex-peer: could not save ${options.state}: ${e?.stack ?? e}\n`);
    process.exit(1);
  }
  releaseHung();
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.on("SIGTERM", shutDown);
process.on("SIGINT", shutDown);

server.listen(Number(options.port), "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
