#!/usr/bin/env node
// A Convex deployment in a box, for Cairn's tests.
//
//   node tests/peer/convex-peer.mjs --port 0 --admin-key KEY [--state FILE] [--functions DIR]
//
// Hosts the Cairn functions (data/convex/convex) through convex-test and
// speaks the Convex HTTP API on 127.0.0.1 the way a deployment does: the same
// routes, status codes, bodies and error texts (see README.md for where it
// differs). Prints "listening on http://127.0.0.1:PORT" once ready. A control
// API under /_peer/ injects faults and reads the data; SIGTERM saves the data
// to --state (if given) and exits 0.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect, parseArgs } from "node:util";
import { register } from "tsx/esm/api";
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { convexToJson, jsonToConvex } from "convex/values";

// The function modules are TypeScript.
register();

const HERE = path.dirname(fileURLToPath(import.meta.url));

const { values: options } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "admin-key": { type: "string" },
    state: { type: "string" },
    functions: { type: "string", default: path.join(HERE, "../../data/convex/convex") },
  },
});
if (!options["admin-key"]) {
  process.stderr.write("usage: convex-peer.mjs --port N --admin-key KEY [--state FILE] [--functions DIR]\n");
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

const functionsDir = path.resolve(options.functions);
const modules = {}; // "./documents.ts" -> loader, as convex-test wants them
const functions = new Map(); // "documents:list" -> { type, visibility }
for (const rel of findModules(functionsDir)) {
  const url = pathToFileURL(path.join(functionsDir, rel)).href;
  modules[`./${rel}`] = () => import(url);
  if (rel.startsWith("_generated/") || /^schema\.[jt]s$/.test(rel)) continue;
  const exports = await import(url);
  for (const [name, value] of Object.entries(exports)) {
    const type = value?.isQuery ? "query" : value?.isMutation ? "mutation" : value?.isAction ? "action" : null;
    if (type !== null) {
      const modulePath = rel.replace(/\.[^.]+$/, "");
      functions.set(`${modulePath}:${name}`, { type, visibility: value.isPublic ? "public" : "internal" });
    }
  }
}
const schema = (await import(pathToFileURL(path.join(functionsDir, "schema.ts")).href)).default;
const tableNames = Object.keys(schema.tables);

// ---------------------------------------------------------------------------
// The deployment's state

let t = convexTest(schema, modules);

const DEFAULT_CONFIG = { schemaVersion: null, functions: true, production: false };
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

/** Every document of every table, oldest first. */
function readAll() {
  return serially(() =>
    t.run(async (ctx) => {
      const all = {};
      for (const table of tableNames) {
        all[table] = await ctx.db.query(table).collect();
      }
      return all;
    }),
  );
}

function withoutSystemFields({ _id, _creationTime, ...document }) {
  return document;
}

async function saveState(file) {
  const all = await readAll();
  const tables = {};
  for (const [table, docs] of Object.entries(all)) {
    tables[table] = docs.map((doc) => convexToJson({ ...withoutSystemFields(doc), _creationTime: doc._creationTime }));
  }
  writeFileSync(`${file}.tmp`, JSON.stringify({ version: 1, tables }));
  renameSync(`${file}.tmp`, file);
}

async function loadState(file) {
  const { tables } = JSON.parse(readFileSync(file, "utf8"));
  await serially(() =>
    t.run(async (ctx) => {
      for (const [table, docs] of Object.entries(tables)) {
        if (!tableNames.includes(table)) {
          process.stderr.write(`convex-peer: ignoring table ${table} from ${file}: not in the schema\n`);
          continue;
        }
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

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const badRequest = (code, message) => new HttpError(400, code, message);

function requestId() {
  return randomBytes(8).toString("hex");
}

/** Convex-Client: "<client name>-<semver>"; absent is fine. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
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

/** Whether the caller is the deployment's admin (internal functions visible). */
function authenticate(token) {
  if (token.kind === "admin") {
    if (token.key !== splitAdminKey(options["admin-key"]).key) {
      throw new HttpError(401, "BadAdminKey", "The provided admin key was invalid for this instance");
    }
    return token.actingAs === null;
  }
  if (token.kind === "user") {
    throw new HttpError(
      401,
      "NoAuthProvider",
      "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: []",
    );
  }
  return false;
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

/** Runs a function the way a deployment does and returns the HTTP API's answer. */
async function runFunction(kind, fnPath, rawArgs, admin, id) {
  const head = `[Request ID: ${id}] Server Error`;
  const failure = (message) => ({ status: "error", errorMessage: `${head}\n${message}` });

  const fn = config.functions ? functions.get(fnPath.id) : undefined;
  if (fn === undefined || (!admin && fn.visibility !== "public")) {
    return { answer: failure(`Could not find ${admin ? "" : "public "}function for '${fnPath.display}'. ${NOT_DEPLOYED}`) };
  }
  stats.byFunction[fnPath.display] = (stats.byFunction[fnPath.display] ?? 0) + 1;
  if (kind !== "any" && fn.type !== kind) {
    return { answer: failure(`Trying to execute ${fnPath.display} as ${TYPE_NAMES[kind]}, but it is defined as ${TYPE_NAMES[fn.type]}.`) };
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
    let value = await serially(() => withLogsTo(logLines, run));
    if (fnPath.id === "cairn:ping" && config.schemaVersion !== null && value !== null && typeof value === "object") {
      value = { ...value, schemaVersion: config.schemaVersion };
    }
    return { answer: { status: "success", value }, logLines };
  } catch (e) {
    const frame = `\n    at handler (../convex/${fnPath.modulePath}.ts)`;
    if (typeof e === "object" && e !== null && Symbol.for("ConvexError") in e) {
      return { answer: { ...failure(`Uncaught ConvexError: ${e.message}${frame}`), errorData: e.data }, logLines };
    }
    const message = String(e?.message ?? e);
    if (message.startsWith("Validator error")) {
      return { answer: failure(`ArgumentValidationError: ${message.replace(/^Validator error:?\s*/, "")}`), logLines };
    }
    // A production deployment hides what a developer error says.
    return { answer: config.production ? { status: "error", errorMessage: head } : failure(`Uncaught Error: ${message}${frame}`), logLines };
  }
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

/** One /api/* request: its status and JSON body. */
async function api(req, url, body) {
  const kind = ROUTES[url.pathname] ?? (url.pathname.startsWith("/api/run/") ? "any" : undefined);
  if (kind === undefined) return { status: 404 };
  if (req.method !== "POST") return { status: 405 };

  checkClientVersion(req.headers["convex-client"]);
  const token = authToken(req.headers.authorization);

  const contentType = req.headers["content-type"] ?? "";
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw badRequest("BadJsonBody", "Expected request with `Content-Type: application/json`");
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
  const admin = authenticate(token);
  const id = requestId();
  const { answer, logLines = [] } = await runFunction(kind, fnPath, request.args, admin, id);
  const format = valueFormat(request.format ?? undefined);
  if (answer.status === "success") answer.value = exportValue(answer.value, format);
  if (answer.errorData !== undefined) answer.errorData = exportValue(answer.errorData, format);
  if (logLines.length > 0) answer.logLines = logLines;
  return { status: 200, json: answer };
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
  if (current.remaining !== undefined && --current.remaining <= 0) fault = null;
  return current;
}

function setFault(spec) {
  const modes = ["refuse", "hang", "status", "malformed", "truncated", "slow"];
  if (!modes.includes(spec.mode)) throw badRequest("BadFault", `mode must be one of ${modes.join(", ")}`);
  if (spec.mode === "status" && !Number.isInteger(spec.status)) throw badRequest("BadFault", "status needs an HTTP status");
  if (spec.mode === "slow" && !(spec.ms >= 0)) throw badRequest("BadFault", "slow needs ms");
  fault = { ...spec };
  if (spec.seconds !== undefined) fault.until = Date.now() + spec.seconds * 1000;
  if (spec.count !== undefined) fault.remaining = spec.count;
}

function releaseHung() {
  for (const res of hung) res.socket?.destroy();
  hung.clear();
}

// ---------------------------------------------------------------------------
// The control API (/_peer/*)

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
      if (data) await serially(() => (t = convexTest(schema, modules)));
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
    case "GET /_peer/stats":
      return { status: 200, json: { ...stats, fault } };
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

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res, { status, json, raw }) {
  const text = raw ?? (json === undefined ? "" : JSON.stringify(json));
  const headers = { "Content-Length": Buffer.byteLength(text) };
  if (text !== "") headers["Content-Type"] = "application/json";
  res.writeHead(status, headers);
  res.end(text);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
  const body = await readBody(req);
  stats.requests += 1;
  stats.byRoute[url.pathname] = (stats.byRoute[url.pathname] ?? 0) + 1;
  if (active?.mode === "hang") {
    hung.add(res);
    res.on("close", () => hung.delete(res));
    return;
  }
  if (active?.mode === "status") {
    const fallback = { code: "PeerFault", message: `Injected HTTP ${active.status}` };
    return send(res, { status: active.status, json: active.body ?? FAULT_BODIES[active.status] ?? fallback });
  }

  let answer;
  try {
    answer = await api(req, url, body);
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    answer = { status: e.status, json: { code: e.code, message: e.message } };
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
  send(res, answer);
}

const server = http.createServer((req, res) => {
  const loopback = ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress);
  if (!loopback) {
    req.socket.destroy();
    return;
  }
  handle(req, res).catch((e) => {
    if (e instanceof HttpError) return send(res, { status: e.status, json: { code: e.code, message: e.message } });
    if (e instanceof SyntaxError) return send(res, { status: 400, json: { code: "BadJsonBody", message: e.message } });
    process.stderr.write(`convex-peer: ${e?.stack ?? e}\n`);
    if (!res.headersSent) send(res, { status: 500, json: { code: "InternalServerError", message: String(e?.message ?? e) } });
  });
});
server.keepAliveTimeout = 30_000;

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
