// Content access for Cairn: list, get, insert, patch, remove on the content
// tables, every document named by its client-generated clientId (a UUID).
//
// All functions are internal: only a caller holding the deployment's deploy
// key (Authorization: Convex <key>) can reach them through the HTTP API.
import {
  makeFunctionReference,
  paginationOptsValidator,
  type GenericDatabaseWriter,
  type GenericDataModel,
} from "convex/server";
import { ConvexError, v, type GenericValidator } from "convex/values";
import { internalMutation, internalQuery, type MutationCtx } from "./_generated/server";
import {
  checkChange,
  checkClientId,
  checkDocument,
  checkTable,
  fail,
  fits,
} from "./checks";
import { childrenOf, CONTENT_TABLES, parentOf, type Children, type ContentTable } from "./tables";

/** How many child rows (messages of a conversation) one transaction removes. */
export const CASCADE_BATCH = 1000;

/** The largest page `documents:list` returns (CAIRN_QUERY_MAX_PAGE_SIZE). */
export const MAX_PAGE_SIZE = 1000;

// The table is chosen at run time (and checked by checkTable), so the
// functions talk to the database without per-table static types.
type Db = GenericDatabaseWriter<GenericDataModel>;
type Row = Record<string, unknown> & { _id: string; _creationTime: number };

function db(ctx: { db: unknown }): Db {
  return ctx.db as Db;
}

/** A stored row as Cairn sees it: the schema fields, without _id and _creationTime. */
function strip(row: Row): Record<string, unknown> {
  const { _id, _creationTime, ...document } = row;
  return document;
}

async function findRow(ctx: { db: unknown }, table: ContentTable, clientId: string) {
  return (await db(ctx)
    .query(table)
    .withIndex("by_clientId", (q) => q.eq("clientId", clientId))
    .unique()) as Row | null;
}

// The counts a parent keeps of its children (a conversation's messageCount).
// The rule, the same in Cairn's local store:
// - a child really inserted (not an idempotent replay) adds one to its
//   parent's count, a child really removed takes one away, a child moved to
//   another parent moves its one;
// - only when the parent exists and its count is set: a parent written by
//   version 1 has none until migration 0002_message_counts counts it;
// - a parent inserted starts from the number of its children already stored,
//   whatever the client sent (checks.ts drops the field from every write).

/** The clientId of the parent of @row, a row of @table; undefined when rows of @table have none. */
function parentIdOf(table: ContentTable, row: Record<string, unknown>): unknown {
  const field = parentOf(table)?.children.field;
  return field === undefined ? undefined : row[field];
}

/**
 * Within one documents:apply call, the parents' counts its child writes
 * change, kept in memory and written once at the end (or before the batch
 * touches a parent itself): 250 messages of one conversation are one patch
 * of it, not 250. A parent that does not exist or keeps no count is
 * remembered as null; only a write to the parent table can change that,
 * and it flushes first.
 */
type CountEntry = { table: ContentTable; id: string; field: string; count: number; dirty: boolean } | null;
type CountCache = Map<string, CountEntry>;

async function flushCounts(ctx: { db: unknown }, cache: CountCache) {
  for (const entry of cache.values()) {
    if (entry !== null && entry.dirty) {
      await db(ctx).patch(entry.table, entry.id as any, { [entry.field]: entry.count });
    }
  }
  cache.clear();
}

/** Adds @delta to the count @parentId keeps of its rows of @table, if it exists and keeps one. */
async function addToParentCount(
  ctx: { db: unknown },
  table: ContentTable,
  parentId: unknown,
  delta: number,
  cache?: CountCache,
) {
  const parent = parentOf(table);
  const countField = parent?.children.countField;
  if (parent === undefined || countField === undefined || typeof parentId !== "string") return;
  if (cache !== undefined) {
    const key = `${parent.table}:${parentId}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      const row = await findRow(ctx, parent.table, parentId);
      const count = row?.[countField];
      entry = row === null || typeof count !== "number"
        ? null
        : { table: parent.table, id: row._id, field: countField, count, dirty: false };
      cache.set(key, entry);
    }
    if (entry !== null) {
      entry.count += delta;
      entry.dirty = true;
    }
    return;
  }
  const row = await findRow(ctx, parent.table, parentId);
  const count = row?.[countField];
  if (row === null || typeof count !== "number") return;
  await db(ctx).patch(parent.table, row._id as any, { [countField]: count + delta });
}

/**
 * The children of @clientId stored already, for a parent being inserted:
 * normally none, or the few a client wrote before their parent (writes
 * replayed out of order, a parent removed and written again).
 */
async function countChildren(ctx: { db: unknown }, children: Children, clientId: string): Promise<number> {
  const rows = await db(ctx)
    .query(children.table)
    .withIndex(children.index, (q) => q.eq(children.field, clientId))
    .collect();
  return rows.length;
}

const bound = v.object({ value: v.any(), inclusive: v.boolean() });

export const list = internalQuery({
  args: {
    table: v.string(),
    index: v.string(),
    equal: v.array(v.any()),
    lower: v.optional(bound),
    upper: v.optional(bound),
    order: v.union(v.literal("asc"), v.literal("desc")),
    paginationOpts: paginationOptsValidator,
  },
  handler: async (ctx, args) => {
    const table = checkTable(args.table);
    const spec = CONTENT_TABLES[table];
    const fields = (spec.indexes as Record<string, readonly string[]>)[args.index];
    if (fields === undefined) {
      fail(
        "UnknownIndex",
        `The table “${table}” has no index “${args.index}” (expected one of: ${Object.keys(spec.indexes).join(", ")}).`,
      );
    }
    const validators = spec.fields as Record<string, GenericValidator>;
    if (args.equal.length > fields.length) {
      fail("InvalidRange", `The index “${args.index}” has ${fields.length} field(s), but ${args.equal.length} equal value(s) were given.`);
    }
    args.equal.forEach((value, i) => {
      if (!fits(validators[fields[i]], value)) {
        fail("InvalidRange", `The equal value for “${fields[i]}” does not fit its type.`);
      }
    });
    const rangeField = fields[args.equal.length];
    for (const [name, b] of [["lower", args.lower], ["upper", args.upper]] as const) {
      if (b === undefined) continue;
      if (rangeField === undefined) {
        fail("InvalidRange", `The index “${args.index}” has no field left for a ${name} bound after the equal values.`);
      }
      if (!fits(validators[rangeField], b.value)) {
        fail("InvalidRange", `The ${name} bound for “${rangeField}” does not fit its type.`);
      }
    }
    const { numItems } = args.paginationOpts;
    if (!Number.isInteger(numItems) || numItems < 1 || numItems > MAX_PAGE_SIZE) {
      fail("InvalidRange", `The page size must be a whole number from 1 to ${MAX_PAGE_SIZE}, not ${numItems}.`);
    }

    const { cursor } = args.paginationOpts;
    if (cursor !== null && cursor.length === 0) {
      fail("InvalidCursor", "The page cursor is empty; start again from the first page.");
    }

    const pages = db(ctx)
      .query(table)
      .withIndex(args.index, (q) => {
        // eq() on the leading fields, then the bounds on the next one.
        let range: any = q;
        args.equal.forEach((value, i) => (range = range.eq(fields[i], value)));
        if (args.lower !== undefined) {
          range = args.lower.inclusive
            ? range.gte(rangeField, args.lower.value)
            : range.gt(rangeField, args.lower.value);
        }
        if (args.upper !== undefined) {
          range = args.upper.inclusive
            ? range.lte(rangeField, args.upper.value)
            : range.lt(rangeField, args.upper.value);
        }
        return range;
      })
      .order(args.order);
    let result;
    try {
      result = await pages.paginate(args.paginationOpts);
    } catch (error) {
      // Only a cursor from elsewhere can make paginate() throw here.
      if (cursor === null) throw error;
      fail("InvalidCursor", "The page cursor does not belong to this listing; start again from the first page.");
    }

    return { ...result, page: (result.page as Row[]).map(strip) };
  },
});

export const get = internalQuery({
  args: { table: v.string(), clientId: v.string() },
  handler: async (ctx, args) => {
    const table = checkTable(args.table);
    const row = await findRow(ctx, table, checkClientId(args.clientId));
    return row === null ? null : strip(row);
  },
});

/** documents:insert of one document; the single call and documents:apply share it. */
async function insertOne(ctx: MutationCtx, tableName: string, input: unknown, cache?: CountCache) {
  const table = checkTable(tableName);
  const document = checkDocument(table, input);
  // Idempotent: a replayed insert gets the stored document back, unchanged.
  const existing = await findRow(ctx, table, document.clientId as string);
  if (existing !== null) {
    return strip(existing);
  }
  const children = childrenOf(table);
  if (children?.countField !== undefined) {
    document[children.countField] = await countChildren(ctx, children, document.clientId as string);
  }
  const id = await db(ctx).insert(table, document);
  await addToParentCount(ctx, table, parentIdOf(table, document), +1, cache);
  return strip((await db(ctx).get(table, id)) as Row);
}

/** documents:patch of one document. Every check comes before the first write. */
async function patchOne(ctx: MutationCtx, tableName: string, clientIdArg: unknown, input: unknown, cache?: CountCache) {
  const table = checkTable(tableName);
  const clientId = checkClientId(clientIdArg);
  const fields = checkChange(table, input);
  const row = await findRow(ctx, table, clientId);
  if (row === null) {
    fail("NotFound", `No document with clientId ${clientId} in ${table}.`);
  }
  // (A change of only the fields the functions keep is none.)
  if (Object.keys(fields).length === 0) {
    return strip(row);
  }
  const [from, to] = [parentIdOf(table, row), parentIdOf(table, { ...row, ...fields })];
  if (from !== to) {
    await addToParentCount(ctx, table, from, -1, cache);
    await addToParentCount(ctx, table, to, +1, cache);
  }
  await db(ctx).patch(table, row._id as any, fields);
  return strip((await db(ctx).get(table, row._id as any)) as Row);
}

export const insert = internalMutation({
  args: { table: v.string(), document: v.any() },
  handler: async (ctx, args) => insertOne(ctx, args.table, args.document),
});

export const patch = internalMutation({
  args: { table: v.string(), clientId: v.string(), fields: v.any() },
  handler: async (ctx, args) => patchOne(ctx, args.table, args.clientId, args.fields),
});

// Named by string rather than through internal.documents.… so that this
// module's types do not depend on themselves.
const removeChildrenBatchRef = makeFunctionReference<"mutation", { table: string; clientId: string }, null>(
  "documents:removeChildrenBatch",
);

/**
 * Removes up to CASCADE_BATCH children; schedules itself again while more
 * remain. Each child removed counts as removed: its parent is normally gone
 * already, but one inserted again under the same clientId while the cascade
 * ran has counted them, and its count stays exact.
 */
async function removeChildren(ctx: MutationCtx, table: ContentTable, clientId: string) {
  const children = childrenOf(table);
  if (children === undefined) return;
  const rows = (await db(ctx)
    .query(children.table)
    .withIndex(children.index, (q) => q.eq(children.field, clientId))
    .take(CASCADE_BATCH + 1)) as Row[];
  const batch = rows.slice(0, CASCADE_BATCH);
  for (const row of batch) {
    await db(ctx).delete(children.table, row._id as any);
  }
  if (batch.length > 0) {
    await addToParentCount(ctx, children.table, clientId, -batch.length);
  }
  if (rows.length > CASCADE_BATCH) {
    await ctx.scheduler.runAfter(0, removeChildrenBatchRef, { table, clientId });
  }
}

/** documents:remove of one document (and its cascade). */
async function removeOne(ctx: MutationCtx, tableName: string, clientIdArg: unknown, cache?: CountCache) {
  const table = checkTable(tableName);
  const clientId = checkClientId(clientIdArg);
  const row = await findRow(ctx, table, clientId);
  if (row !== null) {
    await db(ctx).delete(table, row._id as any);
    await addToParentCount(ctx, table, parentIdOf(table, row), -1, cache);
  }
  // Also when the row is already gone: a replayed remove finishes the cascade.
  await removeChildren(ctx, table, clientId);
  return null;
}

export const remove = internalMutation({
  args: { table: v.string(), clientId: v.string() },
  handler: async (ctx, args) => removeOne(ctx, args.table, args.clientId),
});

/** The rest of a cascade too large for one transaction. */
export const removeChildrenBatch = internalMutation({
  args: { table: v.string(), clientId: v.string() },
  handler: async (ctx, args) => {
    await removeChildren(ctx, checkTable(args.table), checkClientId(args.clientId));
    return null;
  },
});

// Batches -----------------------------------------------------------------
//
// documents:apply runs an ordered list of writes in one transaction, each
// exactly as its single function would (idempotent by clientId, the same
// messageCount rules), so that one round trip carries many writes.
//
// A write the functions refuse (a ConvexError: a document the validator
// refuses, an unknown table, a bad clientId, a patch of a missing document)
// is reported for that write, {ok: false, code, message}, and the others
// still happen: every check of a write comes before its first change, so a
// refused write changed nothing. Anything else that fails (Convex's own
// limits: a document over 1 MiB, too many documents written in one
// transaction) fails the whole batch, rolled back; the caller then sends
// those writes one at a time to find the culprit.

/** The most writes documents:apply takes in one call (CAIRN_CONVEX_BATCH_MAX_WRITES). */
export const MAX_BATCH_WRITES = 500;

/** The most bytes its writes may take as JSON (CAIRN_CONVEX_BATCH_MAX_BYTES), well under the 16 MiB of arguments. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

const write = v.union(
  v.object({ op: v.literal("insert"), table: v.string(), document: v.any() }),
  v.object({ op: v.literal("patch"), table: v.string(), clientId: v.string(), fields: v.any() }),
  v.object({ op: v.literal("remove"), table: v.string(), clientId: v.string() }),
);

type WriteResult = { ok: true; value: Record<string, unknown> | null } | { ok: false; code: string; message: string };

export const apply = internalMutation({
  args: { writes: v.array(write) },
  handler: async (ctx, args): Promise<{ results: WriteResult[] }> => {
    if (args.writes.length > MAX_BATCH_WRITES) {
      fail("BatchTooLarge", `A batch takes at most ${MAX_BATCH_WRITES} writes, not ${args.writes.length}; send it in parts.`);
    }
    const bytes = new TextEncoder().encode(JSON.stringify(args.writes)).length;
    if (bytes > MAX_BATCH_BYTES) {
      fail("BatchTooLarge", `A batch takes at most ${MAX_BATCH_BYTES} bytes of writes, not ${bytes}; send it in parts.`);
    }
    const results: WriteResult[] = [];
    const counts: CountCache = new Map();
    for (const w of args.writes) {
      try {
        // A write to a parent (a conversation) sees, and answers with, its exact count.
        const parent = Object.prototype.hasOwnProperty.call(CONTENT_TABLES, w.table) &&
          childrenOf(w.table as ContentTable) !== undefined;
        const cache = parent ? undefined : counts;
        if (cache === undefined) await flushCounts(ctx, counts);
        let value: Record<string, unknown> | null;
        switch (w.op) {
          case "insert":
            value = await insertOne(ctx, w.table, w.document, cache);
            break;
          case "patch":
            value = await patchOne(ctx, w.table, w.clientId, w.fields, cache);
            break;
          case "remove":
            value = await removeOne(ctx, w.table, w.clientId, cache);
            break;
        }
        results.push({ ok: true, value });
      } catch (error) {
        const data = error instanceof ConvexError ? (error.data as { code?: unknown; message?: unknown }) : null;
        if (data === null || typeof data.code !== "string") throw error;
        results.push({ ok: false, code: data.code, message: String(data.message) });
      }
    }
    await flushCounts(ctx, counts);
    return { results };
  },
});
