// SPDX-License-Identifier: GPL-3.0-or-later
//
// The Convex sync protocol (the WebSocket at /api/<version>/sync) for the
// test peer, as the official client in the pinned `convex` package speaks it
// (dist/esm/browser/sync/): Connect, Authenticate (admin key in-band), ModifyQuerySet, Mutation,
// Action, Event from the client; Transition (QueryUpdated / QueryFailed /
// QueryRemoved), TransitionChunk, MutationResponse, ActionResponse,
// AuthError, FatalError, Ping from the server.
//
// Subscriptions are re-run when a commit writes a table they read (the
// tables a query reads are recorded through convex-test's DatabaseFake while
// it runs); every socket whose queries changed gets one Transition with the
// new results. Functions run through the peer's own runFunction, so they are
// serialized with the HTTP API's and see the same faults-free deployment.
//
// convex-peer.mjs calls installSync() once with what it needs; the control
// route POST /_peer/sync sets the sync faults (see README.md).
import { AsyncLocalStorage } from "node:async_hooks";
import { WebSocketServer } from "ws";
import { HttpError } from "./push.mjs";

/** A u64 timestamp (BigInt ns) as the wire has it: base64 of its 8 little-endian bytes. */
export function encodeTs(ts) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, ts));
  return b.toString("base64");
}

export function decodeTs(text) {
  const b = Buffer.from(text, "base64");
  if (b.length !== 8) throw new Error(`bad timestamp ${text}`);
  return b.readBigUInt64LE();
}

const SYNC_PATH = /^\/api\/(?:([^/]+)\/)?sync$/;
const SEMVER_LIKE = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/;
const MAX_U32 = 0xffffffff;
const MAX_REMEMBERED_MUTATIONS = 1000; // answers kept per session, for resends after a reconnect

const PING_FRAME_MS = 5_000; // WebSocket ping frames
const IDLE_PING_MS = 15_000; // {"type":"Ping"} after this long without another message
const DEAD_AFTER_MS = 120_000; // nothing received for this long: drop the socket

const DEFAULT_FAULTS = { refuse: false, chunk: 0, wrongStartVersion: false, idlePingMs: IDLE_PING_MS };

/**
 * Installs the sync endpoint on `server` (node:http). `peer` gives:
 * DatabaseFake (convex-test's class), tableOf(id), runFunction(kind, fnPath,
 * rawArgs, caller, id, active), parseFunctionPath(text), adminCaller(key)
 * (throws an HttpError for a key that is not this deployment's),
 * requestId(), exportValue(value, "encoded"), isLoopback(socket).
 */
export function installSync(server, peer) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 0, perMessageDeflate: false });
  const sockets = new Set();
  const sessions = new Map(); // sessionId -> Map(requestId -> Promise<MutationResponse>)
  let faults = { ...DEFAULT_FAULTS };
  let pendingMalformed = false;
  let stats = newStats();

  // ---- the clock: commit timestamps in ns, never going back
  let latestTs = BigInt(Date.now()) * 1_000_000n;
  function nextTs() {
    const now = BigInt(Date.now()) * 1_000_000n;
    latestTs = now > latestTs ? now : latestTs + 1n;
    return latestTs;
  }

  // ---- reads and writes, through convex-test's database
  const reads = new AsyncLocalStorage(); // the Set of tables the running subscription query reads
  const proto = peer.DatabaseFake.prototype;
  const { commit, get, _resolveQuerySource: resolveQuerySource } = proto;
  const noteRead = (table) => {
    const tables = reads.getStore();
    if (tables !== undefined && table) tables.add(table);
  };
  proto.get = function (tableName, id) {
    noteRead(peer.tableOf(String(id)) ?? tableName);
    return get.call(this, tableName, id);
  };
  proto._resolveQuerySource = function (query) {
    const source = query.source;
    noteRead(source.type === "FullTableScan" ? source.tableName : String(source.indexName).split(".")[0]);
    return resolveQuerySource.call(this, query);
  };
  proto.commit = function (commitTs) {
    const outermost = this._writes.length === 1;
    const written = outermost ? Object.keys(this._writes[0]) : [];
    commit.call(this, commitTs);
    if (written.length > 0) {
      nextTs();
      wrote(new Set(written.map((id) => peer.tableOf(id)).filter((t) => t !== null)));
    }
  };

  // ---- invalidation: table level
  let dirtyTables = new Set();
  let flushScheduled = false;
  function wrote(tables) {
    for (const t of tables) dirtyTables.add(t);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
  function flush() {
    flushScheduled = false;
    if (dirtyTables.size === 0) return;
    const tables = dirtyTables;
    dirtyTables = new Set();
    for (const s of sockets) {
      let any = false;
      for (const [queryId, q] of s.queries) {
        if (q.tables === null || [...q.tables].some((t) => tables.has(t))) {
          s.dirty.add(queryId);
          any = true;
        }
      }
      if (any) enqueue(s, () => update(s));
    }
  }
  /** Every subscription runs again (the data was replaced: a reset with data, a push). */
  function invalidateAll() {
    nextTs();
    for (const s of sockets) {
      for (const queryId of s.queries.keys()) s.dirty.add(queryId);
      enqueue(s, () => update(s));
    }
  }

  // ---- sending
  function count(map, type) {
    map[type] = (map[type] ?? 0) + 1;
  }
  function sendRaw(s, text, type) {
    if (s.ws.readyState !== s.ws.OPEN) return;
    if (pendingMalformed) {
      pendingMalformed = false;
      sendMalformed(s);
    }
    s.ws.send(text);
    s.lastSent = Date.now();
    count(stats.sent, type);
  }
  function sendMalformed(s) {
    s.ws.send('{"type":"Transition","startVersion":{"querySet":');
    count(stats.sent, "malformed");
  }
  function send(s, message) {
    const text = JSON.stringify(message);
    if (message.type === "Transition" && faults.chunk > 0 && Buffer.byteLength(text) > faults.chunk) {
      const parts = chunksOf(text, faults.chunk);
      parts.forEach((chunk, partNumber) =>
        sendRaw(
          s,
          JSON.stringify({ type: "TransitionChunk", chunk, partNumber, totalParts: parts.length, transitionId: String(text.length) }),
          "TransitionChunk",
        ),
      );
      return;
    }
    sendRaw(s, text, message.type);
  }

  const version = (v) => ({ querySet: v.querySet, identity: v.identity, ts: encodeTs(v.ts) });
  const sameVersion = (a, b) => a.querySet === b.querySet && a.identity === b.identity && a.ts === b.ts;

  /** One Transition with what changed since the last one (nothing sent when nothing did). */
  async function update(s) {
    // Every commit so far has marked what it invalidates (on every socket),
    // so the results below are at least as new as this ts: a client that
    // waits for it (a mutation's ts) sees its write.
    flush();
    const ts = latestTs;
    const modifications = s.pending;
    s.pending = [];
    const ids = [...s.dirty];
    s.dirty.clear();
    for (const queryId of ids) {
      const q = s.queries.get(queryId);
      if (q === undefined) continue;
      const modification = await runQuery(s, queryId, q);
      if (!s.queries.has(queryId)) continue; // removed meanwhile: its QueryRemoved is pending
      const hash = JSON.stringify([modification.value, modification.errorMessage, modification.errorData, modification.logLines]);
      if (hash === q.hash) continue;
      q.hash = hash;
      modifications.push(modification);
    }
    const end = { querySet: s.querySet, identity: s.identity, ts: ts > s.sent.ts ? ts : s.sent.ts };
    if (modifications.length === 0 && sameVersion(end, s.sent)) return;
    let start = version(s.sent);
    if (faults.wrongStartVersion) {
      faults.wrongStartVersion = false;
      start = { ...start, querySet: start.querySet + 1000 };
    }
    send(s, { type: "Transition", startVersion: start, endVersion: version(end), modifications });
    s.sent = end;
  }

  async function runQuery(s, queryId, q) {
    const tables = new Set();
    let result;
    try {
      const fnPath = peer.parseFunctionPath(q.udfPath);
      result = await reads.run(tables, () => peer.runFunction("query", fnPath, q.args, s.caller, peer.requestId(), null));
    } catch (e) {
      result = { answer: { status: "error", errorMessage: String(e?.message ?? e) } };
    }
    q.tables = tables;
    const { answer, logLines = [] } = result;
    if (answer.status === "success") {
      return { type: "QueryUpdated", queryId, value: peer.exportValue(answer.value ?? null, "encoded"), logLines, journal: null };
    }
    const failed = { type: "QueryFailed", queryId, errorMessage: answer.errorMessage, logLines, journal: null };
    if (answer.errorData !== undefined) failed.errorData = peer.exportValue(answer.errorData, "encoded");
    return failed;
  }

  /** A mutation or action: its response message (MutationResponse / ActionResponse). */
  async function runRequest(s, kind, message) {
    const type = kind === "mutation" ? "MutationResponse" : "ActionResponse";
    let result;
    try {
      const fnPath = peer.parseFunctionPath(message.udfPath);
      result = await peer.runFunction(kind, fnPath, message.args, s.caller, peer.requestId(), null);
    } catch (e) {
      result = { answer: { status: "error", errorMessage: String(e?.message ?? e) } };
    }
    const { answer, logLines = [] } = result;
    const response = { type, requestId: message.requestId, success: answer.status === "success" };
    if (answer.status === "success") {
      response.result = peer.exportValue(answer.value ?? null, "encoded");
      if (kind === "mutation") response.ts = encodeTs(latestTs);
    } else {
      response.result = answer.errorMessage;
      if (kind === "mutation") response.ts = null;
      if (answer.errorData !== undefined) response.errorData = peer.exportValue(answer.errorData, "encoded");
    }
    response.logLines = logLines;
    return response;
  }

  // ---- one socket
  function enqueue(s, task) {
    s.chain = s.chain.then(task).catch((e) => {
      process.stderr.write(`convex-peer sync: ${e?.stack ?? e}\n`);
      s.ws.close(1011, "InternalServerError");
    });
    return s.chain;
  }

  /** A protocol error the backend answers with FatalError, then a close. */
  function fatal(s, message) {
    send(s, { type: "FatalError", error: message });
    s.closing = true;
    s.ws.close(1011, message.slice(0, 100));
  }

  async function handleMessage(s, message) {
    if (s.closing) return;
    switch (message.type) {
      case "Connect":
        s.sessionId = String(message.sessionId);
        s.connectionCount = message.connectionCount;
        if (typeof message.maxObservedTimestamp === "string") {
          // a client that saw a newer ts (another peer before this one): keep the clock past it
          const seen = decodeTs(message.maxObservedTimestamp);
          if (seen > latestTs) latestTs = seen;
        }
        return;
      case "Authenticate": {
        if (message.baseVersion !== s.identity) {
          s.closing = true;
          s.ws.close(1011, "InternalServerError");
          return;
        }
        if (message.tokenType === "Admin") {
          try {
            s.caller = peer.adminCaller(String(message.value), message.impersonating ?? null);
          } catch (e) {
            send(s, { type: "AuthError", error: e.message, baseVersion: s.identity, authUpdateAttempted: true });
            s.closing = true;
            s.ws.close(1011, "BadAdminKey");
            return;
          }
        } else if (message.tokenType === "User") {
          send(s, {
            type: "AuthError",
            error:
              "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: []",
            baseVersion: s.identity,
            authUpdateAttempted: true,
          });
          s.closing = true;
          s.ws.close(1011, "NoAuthProvider");
          return;
        } else {
          s.caller = peer.noCaller;
        }
        s.identity += 1;
        for (const queryId of s.queries.keys()) s.dirty.add(queryId); // a new identity re-runs every query
        return update(s);
      }
      case "ModifyQuerySet": {
        const { baseVersion, newVersion, modifications } = message;
        if (baseVersion !== s.querySet || !(newVersion > baseVersion) || newVersion > MAX_U32) {
          return fatal(s, `Base version ${baseVersion} passed up doesn't match the current version ${s.querySet}`);
        }
        for (const m of modifications ?? []) {
          if (m.type === "Add") {
            if (s.queries.has(m.queryId)) return fatal(s, `Duplicate query id ${m.queryId}`);
            s.queries.set(m.queryId, { udfPath: m.udfPath, args: m.args ?? [{}], tables: null, hash: undefined });
            s.dirty.add(m.queryId);
          } else if (m.type === "Remove") {
            if (!s.queries.delete(m.queryId)) return fatal(s, `Query ${m.queryId} not found`);
            s.dirty.delete(m.queryId);
            s.pending.push({ type: "QueryRemoved", queryId: m.queryId });
          }
        }
        s.querySet = newVersion;
        return update(s);
      }
      case "Mutation": {
        const session = sessions.get(s.sessionId) ?? new Map();
        sessions.set(s.sessionId, session);
        // a resend after a reconnect (same session, same requestId) answers the first run's result
        let response = session.get(message.requestId);
        if (response === undefined) {
          response = runRequest(s, "mutation", message);
          session.set(message.requestId, response);
          // a client resends only its unfinished mutations: the last ones are enough
          if (session.size > MAX_REMEMBERED_MUTATIONS) session.delete(session.keys().next().value);
        }
        send(s, await response);
        return update(s); // a Transition with ts ≥ the mutation's: the client resolves it
      }
      case "Action":
        // actions may take long: answer out of order, as the backend does
        runRequest(s, "action", message).then((response) => send(s, response));
        return;
      case "Event":
        return;
      default:
        return fatal(s, `Unknown message type ${JSON.stringify(message.type)}`);
    }
  }

  function onConnection(ws) {
    const s = {
      ws,
      chain: Promise.resolve(),
      caller: peer.noCaller,
      sessionId: null,
      querySet: 0,
      identity: 0,
      sent: { querySet: 0, identity: 0, ts: 0n },
      queries: new Map(),
      dirty: new Set(),
      pending: [],
      lastSent: Date.now(),
      lastReceived: Date.now(),
      closing: false,
    };
    sockets.add(s);
    stats.connections += 1;
    let lastPingFrame = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - s.lastReceived > DEAD_AFTER_MS) return ws.terminate();
      if (now - lastPingFrame >= PING_FRAME_MS) {
        lastPingFrame = now;
        ws.ping();
      }
      if (now - s.lastSent >= faults.idlePingMs) enqueue(s, () => send(s, { type: "Ping" }));
    }, Math.min(PING_FRAME_MS, faults.idlePingMs));
    timer.unref();
    ws.on("pong", () => (s.lastReceived = Date.now()));
    ws.on("message", (data, isBinary) => {
      s.lastReceived = Date.now();
      if (isBinary) {
        s.closing = true;
        ws.close(1011, "InternalServerError: binary message");
        return;
      }
      let message;
      try {
        message = JSON.parse(data.toString("utf8"));
      } catch {
        s.closing = true;
        ws.close(1011, "InternalServerError: not JSON");
        return;
      }
      count(stats.received, String(message?.type));
      enqueue(s, () => handleMessage(s, message));
    });
    ws.on("close", () => {
      clearInterval(timer);
      sockets.delete(s);
    });
    ws.on("error", () => {});
  }

  function refuseUpgrade(socket, status, text) {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    void text;
  }

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => {});
    if (!peer.isLoopback(socket)) return socket.destroy();
    const url = new URL(req.url, "http://127.0.0.1");
    const match = SYNC_PATH.exec(url.pathname);
    if (match === null || (req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
      return refuseUpgrade(socket, "404 Not Found");
    }
    if (match[1] !== undefined && req.headers["convex-client"] === undefined && !SEMVER_LIKE.test(match[1])) {
      return refuseUpgrade(socket, "400 Bad Request");
    }
    if (faults.refuse) {
      stats.refused += 1;
      // as a proxy that does not pass WebSockets: a plain HTTP answer, no upgrade
      return refuseUpgrade(socket, "403 Forbidden");
    }
    wss.handleUpgrade(req, socket, head, onConnection);
  });

  function newStats() {
    return { connections: 0, refused: 0, open: 0, received: {}, sent: {} };
  }

  return {
    /** POST /_peer/sync {drop?, refuse?, chunk?, malformed?, wrongStartVersion?, idlePingMs?, reset?} */
    control(spec) {
      const bad = (message) => new HttpError(400, "BadSyncFault", message);
      if (spec === null || typeof spec !== "object") throw bad("expected an object");
      const unknown = Object.keys(spec).filter((k) => !["reset", "drop", "malformed", ...Object.keys(DEFAULT_FAULTS)].includes(k));
      if (unknown.length > 0) throw bad(`unknown setting ${unknown.join(", ")}`);
      if (spec.reset) faults = { ...DEFAULT_FAULTS };
      if (spec.refuse !== undefined) faults.refuse = Boolean(spec.refuse);
      if (spec.chunk !== undefined) {
        if (!Number.isInteger(spec.chunk) || spec.chunk < 0) throw bad("chunk must be a byte count ≥ 0");
        faults.chunk = spec.chunk;
      }
      if (spec.wrongStartVersion !== undefined) faults.wrongStartVersion = Boolean(spec.wrongStartVersion);
      if (spec.idlePingMs !== undefined) {
        if (!Number.isInteger(spec.idlePingMs) || spec.idlePingMs < 10) throw bad("idlePingMs must be an integer ≥ 10");
        faults.idlePingMs = spec.idlePingMs; // for sockets opened from now on
      }
      if (spec.malformed) {
        if (sockets.size === 0) pendingMalformed = true;
        for (const s of sockets) if (s.ws.readyState === s.ws.OPEN) sendMalformed(s);
      }
      if (spec.drop) {
        stats.dropped = (stats.dropped ?? 0) + sockets.size;
        for (const s of sockets) s.ws.terminate();
      }
      return { ok: true, sync: { ...faults, open: sockets.size } };
    },
    reset({ data }) {
      faults = { ...DEFAULT_FAULTS };
      pendingMalformed = false;
      stats = newStats();
      if (data) invalidateAll();
    },
    invalidateAll,
    stats: () => ({ ...stats, open: sockets.size }),
  };
}

/** Slices of `text` of at most `size` UTF-8 bytes each, never cutting a character. */
function chunksOf(text, size) {
  const parts = [];
  let part = "";
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > size && part !== "") {
      parts.push(part);
      part = "";
      bytes = 0;
    }
    part += ch;
    bytes += n;
  }
  if (part !== "") parts.push(part);
  return parts;
}
