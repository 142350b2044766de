// SPDX-License-Identifier: GPL-3.0-or-later
//
// The push API's requests for convex-peer.mjs: what `npx convex deploy` (and
// Cairn, replaying the bundle it ships) sends to /api/deploy2/*, checked the
// way the backend checks it, and the pushed modules made into something
// convex-test can run.
//
// A push's modules are written into a new temporary folder (ES modules are
// cached by URL, so a folder is never reused), imported from there once, and
// the folder is removed: convex-test is given loaders that return the
// imported modules. The bundles carry their own copy of the `convex`
// package and reach the database through the `Convex` global that
// convex-test installs, like the isolate of a deployment.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import { tableOf } from "./indexed-ranges.mjs";

/** A request refused: its status and the body's {code, message} (code null: no body). */
export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A request body may be this large once decompressed (the backend's limit for the push routes). */
export const MAX_PUSH_BYTES = 200 * 1024 * 1024;

const HIT_AN_ERROR = "Hit an error while pushing:\n";

// ---------------------------------------------------------------------------
// The body

/**
 * The JSON of a push route's body: plain, or brotli-compressed
 * (`Content-Encoding: br`, the deploy2 routes only). Any other encoding gets
 * 415, as the backend's decompression layer answers.
 */
export function decodePushBody(headers, body, { compressed }) {
  if (!/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(headers["content-type"] ?? "")) {
    throw new HttpError(400, "BadJsonBody", "Expected request with `Content-Type: application/json`");
  }
  if (body === null) {
    throw new HttpError(400, "BadJsonBody", "Failed to buffer the request body: length limit exceeded");
  }
  const encoding = (headers["content-encoding"] ?? "identity").trim().toLowerCase();
  let text = body;
  if (compressed && encoding === "br") {
    try {
      text = brotliDecompressSync(body, { maxOutputLength: MAX_PUSH_BYTES });
    } catch (e) {
      throw new HttpError(400, "BadJsonBody", `Failed to buffer the request body: ${e.message}`);
    }
  } else if (compressed && encoding !== "identity") {
    throw new HttpError(415, null, "");
  }
  try {
    return JSON.parse(text.toString("utf8"));
  } catch (e) {
    throw new HttpError(400, "BadJsonBody", `Failed to parse the request body as JSON: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------
// The shapes of the bodies (the backend's serde structs): a missing field or
// one of the wrong type is 400 BadJsonBody, before the key is even looked at.

const TYPES = {
  string: [(v) => typeof v === "string", "a string"],
  boolean: [(v) => typeof v === "boolean", "a boolean"],
  number: [(v) => typeof v === "number" && Number.isFinite(v) && v >= 0, "u64"],
  object: [(v) => v !== null && typeof v === "object" && !Array.isArray(v), "a map"],
};

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "sequence";
  if (typeof value === "object") return "map";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (typeof value === "number") return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  return `${typeof value} \`${value}\``;
}

function shapeError(where, what) {
  const at = where === "" ? "" : `${where}: `;
  return new HttpError(400, "BadJsonBody", `Failed to deserialize the JSON body into the target type: ${at}${what}`);
}

/**
 * Checks `object` against `spec` ({field: "type" | "type?" (absent or null) |
 * [the type or spec of each item] | {nested spec, $nullable?}}) and returns it.
 */
function checkShape(object, spec, where = "") {
  if (!TYPES.object[0](object)) throw shapeError(where, `invalid type: ${describe(object)}, expected a map`);
  for (const [name, want] of Object.entries(spec)) {
    if (name === "$nullable") continue;
    const at = where === "" ? name : `${where}.${name}`;
    const value = object[name];
    if (typeof want === "string") {
      const type = want.replace(/\?$/, "");
      // (an Option: absent or null)
      if ((value === undefined || value === null) && want.endsWith("?")) continue;
      if (value === undefined) throw shapeError(where, `missing field \`${name}\``);
      if (!TYPES[type][0](value)) throw shapeError(at, `invalid type: ${describe(value)}, expected ${TYPES[type][1]}`);
    } else if (Array.isArray(want)) {
      if (value === undefined) throw shapeError(where, `missing field \`${name}\``);
      if (!Array.isArray(value)) throw shapeError(at, `invalid type: ${describe(value)}, expected a sequence`);
      value.forEach((item, i) => (typeof want[0] === "string" ? checkItem(item, want[0], `${at}[${i}]`) : checkShape(item, want[0], `${at}[${i}]`)));
    } else if ((value === undefined || value === null) && want.$nullable) {
      continue;
    } else {
      if (value === undefined) throw shapeError(where, `missing field \`${name}\``);
      checkShape(value, want, at);
    }
  }
  return object;
}

function checkItem(value, type, where) {
  if (!TYPES[type][0](value)) throw shapeError(where, `invalid type: ${describe(value)}, expected ${TYPES[type][1]}`);
}

const MODULE = { path: "string", source: "string", sourceMap: "string?", environment: "string?" };
const NULLABLE_MODULE = { ...MODULE, $nullable: true };

const SHAPES = {
  "/api/get_config_hashes": { adminKey: "string" },
  "/api/deploy2/start_push": {
    adminKey: "string",
    dryRun: "boolean",
    functions: "string",
    appDefinition: {
      definition: NULLABLE_MODULE,
      dependencies: ["string"],
      schema: NULLABLE_MODULE,
      changedModules: [MODULE],
      unchangedModuleHashes: [{ path: "string", environment: "string", sha256: "string" }],
      udfServerVersion: "string",
    },
    componentDefinitions: ["object"],
    nodeDependencies: [{ name: "string", version: "string" }],
    nodeVersion: "string?",
  },
  "/api/deploy2/wait_for_schema": {
    adminKey: "string",
    schemaChange: { allocatedComponentIds: "object", schemaIds: "object" },
    timeoutMs: "number",
    dryRun: "boolean",
  },
  "/api/deploy2/finish_push": { adminKey: "string", startPush: "object", dryRun: "boolean" },
  "/api/deploy2/report_push_completed": { adminKey: "string" },
};
SHAPES["/api/deploy2/evaluate_push"] = SHAPES["/api/deploy2/start_push"];

export function checkBody(route, body) {
  return checkShape(body, SHAPES[route]);
}

// ---------------------------------------------------------------------------
// The configuration (400 InvalidConfig), once the key is known to be good

/** A semantic version (the udfServerVersion, the Convex-Client header's version). */
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const invalidConfig = (message) => new HttpError(400, "InvalidConfig", message);

function checkModulePath(modulePath) {
  const segments = modulePath.split("/");
  const bad =
    !modulePath.endsWith(".js") ? "Module paths must end in .js" :
    segments.some((s) => s === "" || s === "." || s === "..") ? "Module paths must be relative and normalized" :
    null;
  if (bad !== null) throw invalidConfig(`${modulePath} is not a valid path to a Convex module. ${bad}`);
}

export function checkConfig(request) {
  const app = request.appDefinition;
  if (!SEMVER.test(app.udfServerVersion)) {
    throw invalidConfig(`Invalid udfServerVersion ${JSON.stringify(app.udfServerVersion)}: not a semantic version`);
  }
  for (const module of [...app.changedModules, ...app.unchangedModuleHashes]) {
    checkModulePath(module.path);
    const environment = module.environment ?? "isolate";
    if (environment !== "isolate" && environment !== "node") {
      throw invalidConfig(`Invalid module environment ${JSON.stringify(environment)} for ${module.path}`);
    }
    // (what the peer cannot host, refused as clearly as the rest)
    if (environment === "node") throw invalidConfig(`The test peer runs no Node.js actions ("use node" in ${module.path})`);
  }
  if (request.componentDefinitions.length > 0 || app.dependencies.length > 0) {
    throw invalidConfig("The test peer hosts no components");
  }
}

// ---------------------------------------------------------------------------
// The modules

/** The hash the backend keeps for a module: SHA-256 of its source and source map. */
export function moduleHash({ source, sourceMap }) {
  return createHash("sha256").update(source).update(sourceMap ?? "").digest("hex");
}

/**
 * Every module of the push, with those it names by hash
 * (`unchangedModuleHashes`) taken from the deployed push: 409 when the
 * deployment has no such module or one with another hash.
 */
function allModules(app, deployed) {
  const known = new Map((deployed?.appDefinition.changedModules ?? []).map((m) => [m.path, m]));
  const unchanged = app.unchangedModuleHashes.map(({ path: modulePath, sha256 }) => {
    const module = known.get(modulePath);
    if (module === undefined) {
      throw new HttpError(409, "MissingExistingModule", `The deployment has no module ${modulePath} to keep unchanged`);
    }
    if (moduleHash(module) !== sha256) {
      throw new HttpError(409, "ExistingModuleHashConflict", `The deployment's ${modulePath} has another hash than ${sha256}`);
    }
    return module;
  });
  return [...app.changedModules, ...unchanged];
}

function writeModule(dir, modulePath, source) {
  const file = path.join(dir, modulePath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, source);
}

function uncaught(e) {
  return `Uncaught ${e?.name ?? "Error"}: ${e?.message ?? e}`;
}

/** "documents:list" -> {type, visibility} for every function a module exports. */
export function functionsOf(modulePath, exports, into) {
  for (const [name, value] of Object.entries(exports)) {
    const type = value?.isQuery ? "query" : value?.isMutation ? "mutation" : value?.isAction ? "action" : null;
    if (type !== null) into.set(`${modulePath}:${name}`, { type, visibility: value.isPublic ? "public" : "internal" });
  }
}

/**
 * The pushed schema as convex-test takes it (null when the push has none):
 * 400 InvalidSchema when it does not evaluate to a schema or convex-test
 * refuses its names.
 */
async function importSchema(dir, module, DatabaseFake) {
  if (module === null) return null;
  writeModule(dir, "schema.js", module.source);
  let schema;
  try {
    schema = (await import(pathToFileURL(path.join(dir, "schema.js")).href)).default;
    if (typeof schema?.export !== "function" || typeof schema.tables !== "object") {
      throw new Error("schema.js must export default defineSchema({…})");
    }
    new DatabaseFake(schema, "");
  } catch (e) {
    throw new HttpError(400, "InvalidSchema", `${HIT_AN_ERROR}Failed to evaluate schema.js: ${uncaught(e)}`);
  }
  return schema;
}

/**
 * What a push deploys: the modules as convex-test loads them, the function
 * registry, the schema, and the request itself with every module in full
 * (what --state saves). Throws a HttpError the way start_push fails.
 */
export async function loadPush(request, deployed, DatabaseFake) {
  const app = request.appDefinition;
  const moduleList = allModules(app, deployed);
  const dir = mkdtempSync(path.join(tmpdir(), "convex-peer-push-"));
  try {
    writeFileSync(path.join(dir, "package.json"), '{"type": "module"}\n');
    for (const module of moduleList) writeModule(dir, module.path, module.source);
    const schema = await importSchema(dir, app.schema, DatabaseFake);

    // convex-test finds the functions' root folder by a "_generated" key.
    const modules = { "./_generated/api.js": async () => ({}) };
    const functions = new Map();
    for (const module of moduleList) {
      let exports;
      try {
        exports = await import(pathToFileURL(path.join(dir, module.path)).href);
      } catch (e) {
        throw new HttpError(
          400,
          "InvalidModules",
          `${HIT_AN_ERROR}Loading the pushed modules encountered the following error:\nFailed to analyze ${module.path}: ${uncaught(e)}`,
        );
      }
      modules[`./${module.path}`] = async () => exports;
      // (the bundler's shared chunks hold what modules import, functions too, but are no functions of their own)
      if (!module.path.startsWith("_deps/")) functionsOf(module.path.replace(/\.js$/, ""), exports, functions);
    }
    const { adminKey, ...kept } = request;
    const full = { ...kept, appDefinition: { ...app, changedModules: moduleList, unchangedModuleHashes: [] } };
    return { schema, modules, functions, push: full };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// The schema against the data

/**
 * The first stored document that does not fit `schema`, as wait_for_schema
 * reports it ({error, tableName}), or null. System tables (the scheduler's)
 * are not the schema's business.
 */
export function schemaViolation(schema, db, DatabaseFake) {
  if (schema === null) return null;
  const probe = new DatabaseFake(schema, "");
  for (const [id, { _id, _creationTime, ...fields }] of Object.entries(db._documents)) {
    const table = tableOf(id);
    if (table === null || table.startsWith("_")) continue;
    try {
      probe._validate(table, fields);
    } catch (e) {
      const reason = String(e?.message ?? e).replace(/^Validator error:\s*/, "");
      return { error: `Document with ID "${id}" in table "${table}" does not match the schema: ${reason}`, tableName: table };
    }
  }
  return null;
}

/** What identifies a schema: SHA-256 of what the schema exports (tables, fields, indexes). */
export function schemaDigest(schema) {
  return schema === null ? null : createHash("sha256").update(schema.export()).digest("hex");
}

// ---------------------------------------------------------------------------
// The answers

/**
 * start_push's answer (the shape the CLI checks). `token` names the push
 * (the package's storage key: finish_push gets the whole answer back),
 * `schemaId` its schema (wait_for_schema gets schemaChange back), null when
 * the push has no schema.
 */
export function startPushResponse(request, token, schemaId) {
  return {
    environmentVariables: {},
    externalDepsId: null,
    componentDefinitionPackages: { "": { storageKey: token, sha256: moduleHash({ source: JSON.stringify(request.appDefinition) }) } },
    appAuth: [],
    analysis: {
      "": {
        definition: { path: "", definitionType: { type: "app" }, childComponents: [], httpMounts: {}, exports: { type: "branch", branch: [] } },
        schema: null,
        functions: {},
        udfConfig: {
          serverVersion: request.appDefinition.udfServerVersion,
          importPhaseRngSeed: randomBytes(32).toString("base64"),
          importPhaseUnixTimestamp: Date.now(),
        },
      },
    },
    app: {
      definitionPath: "",
      componentPath: "",
      args: {},
      childComponents: {},
      httpRoutes: { httpModuleRoutes: null, mounts: [] },
      exports: {},
    },
    schemaChange: { allocatedComponentIds: {}, schemaIds: { "": schemaId } },
  };
}

/** finish_push's answer: what changed, which the peer does not work out. */
export const FINISH_PUSH_DIFF = { authDiff: { added: [], removed: [] }, definitionDiffs: {}, componentDiffs: {} };

/** The number of indexes a schema defines (wait_for_schema's indexesTotal). */
export function indexCount(schema) {
  return schema === null ? 0 : JSON.parse(schema.export()).tables.reduce((n, table) => n + table.indexes.length, 0);
}
