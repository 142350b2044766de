// Migrations of the data on a user's deployment: the registry, and the
// internal functions Cairn's migrator runs them with.
//
// A migration changes documents already stored so that they fit a new
// version of the functions. Convex checks every stored document against a
// pushed schema, so a new field goes in as optional ("expand"), a migration
// fills it in, and only a later version may make it required ("contract").
//
// How Cairn runs them (one runner per deployment at a time):
//   1. cairn:ping or migrations:status names the pending ones;
//   2. migrations:acquireLease — refused while another runner's lease lasts
//      (the lease is the meta row "migrationLease", {owner, expiresAt});
//   3. migrations:step, again and again, for each pending migration in
//      registry order, until it answers done;
//   4. on an error from a step (its writes were rolled back),
//      migrations:recordFailure, and the chain stops;
//   5. migrations:releaseLease.
//
// Each step is one transaction, and Convex bounds a transaction: about 32 000
// documents and 16 MiB read, 16 000 documents and 16 MiB written, 4 096 index
// ranges, and a second or so of run time. A migration of 100 000 documents is
// therefore many steps: each does one batch from the cursor the record keeps
// and stores where the next one starts in the same transaction, so a crash
// or an outage between steps loses nothing and the next runner resumes from
// there. The batch size is the caller's: the runner starts moderate and
// shrinks it when a step fails or takes long, grows it while steps are quick.
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, internalQuery, type MutationCtx, type QueryCtx } from "./_generated/server";
import { fail } from "./checks";
import * as messageCounts from "./messageCounts";
import { deleteMeta, readMeta, writeMeta } from "./meta";
import { SCHEMA_VERSION } from "./tables";

/** What one batch did: where the next starts (null: at the beginning), whether it was the last, documents changed. */
export type Batch = { cursor: string | null; done: boolean; processed: number };

type BatchStep = (ctx: MutationCtx, cursor: string | null, batchSize: number) => Promise<Batch>;

export type Migration = {
  /** stable, sorts in order: "0002_message_counts" */
  id: string;
  /** the SCHEMA_VERSION that brought it */
  version: number;
  /** for people (Preferences → Database shows the history) */
  name: string;
  description: string;
  /** whether the data needs it: cheap, for cairn:ping */
  needed: (ctx: QueryCtx) => Promise<boolean>;
  up: BatchStep;
  /** undoes `up`, for going back to the version before */
  down?: BatchStep;
};

/** Every migration, in the order they run (versions ≤ SCHEMA_VERSION). */
export const MIGRATIONS: Migration[] = [
  {
    id: "0002_message_counts",
    version: 2,
    name: "Count messages",
    description: "Every conversation gets the number of its messages, shown in the sidebar.",
    needed: messageCounts.needed,
    up: messageCounts.up,
    down: messageCounts.down,
  },
];

/** The largest batch a step takes. */
export const MAX_BATCH_SIZE = 1000;

/** The longest lease a runner may take at once (it renews it with every step). */
export const MAX_LEASE_MS = 60 * 60 * 1000;

/** How much of a failure's text a record keeps. */
export const MAX_ERROR_LENGTH = 500;

const LEASE_KEY = "migrationLease";

type Lease = { owner: string; expiresAt: number; ttlMs: number };

type Direction = "up" | "down";

// ---- records ----------------------------------------------------------------

async function findRecord(ctx: QueryCtx, migrationId: string): Promise<Doc<"migrations"> | null> {
  return await ctx.db
    .query("migrations")
    .withIndex("by_migrationId", (q) => q.eq("migrationId", migrationId))
    .unique();
}

/** Whether @migration is still to run: started and not finished, or never run and needed by the data. */
async function isPending(ctx: QueryCtx, migration: Migration): Promise<boolean> {
  const record = await findRecord(ctx, migration.id);
  switch (record?.status) {
    case "running":
    case "failed":
      return true;
    case "completed":
    case "skipped":
      return false;
    default:
      return await migration.needed(ctx);
  }
}

/** The ids of the migrations still to run, in order (cairn:ping's pendingMigrations). */
export async function pendingMigrations(ctx: QueryCtx): Promise<string[]> {
  const pending: string[] = [];
  for (const migration of MIGRATIONS) {
    if (await isPending(ctx, migration)) pending.push(migration.id);
  }
  return pending;
}

function findMigration(migrationId: string): Migration {
  const migration = MIGRATIONS.find((m) => m.id === migrationId);
  if (migration === undefined) {
    fail("UnknownMigration", `There is no migration “${migrationId}” (these functions have: ${MIGRATIONS.map((m) => m.id).join(", ")}).`);
  }
  return migration;
}

/** Up: every earlier migration has run. Down: no later one is (even partly) applied. */
async function checkOrder(ctx: QueryCtx, migration: Migration, direction: Direction): Promise<void> {
  const index = MIGRATIONS.indexOf(migration);
  if (direction === "up") {
    for (const earlier of MIGRATIONS.slice(0, index)) {
      if (await isPending(ctx, earlier)) {
        fail("OutOfOrder", `The migration “${migration.id}” runs after “${earlier.id}”, which has not run yet.`);
      }
    }
    return;
  }
  for (const later of MIGRATIONS.slice(index + 1)) {
    const status = (await findRecord(ctx, later.id))?.status;
    if (status === "running" || status === "failed" || status === "completed") {
      fail("OutOfOrder", `The migration “${migration.id}” can only be undone after “${later.id}” is.`);
    }
  }
}

// The record's cursor belongs to one direction: {"direction", "position"},
// the position being the migration's own cursor.
function encodeCursor(direction: Direction, position: string | null): string {
  return JSON.stringify({ direction, position });
}

function positionFor(direction: Direction, cursor: string | null | undefined): string | null | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const stored = JSON.parse(cursor) as { direction: Direction; position: string | null };
  return stored.direction === direction ? stored.position : undefined;
}

/**
 * The record of @migration, running in @direction, and where its next batch
 * starts: a run left half-done in this direction (running, or failed) goes on
 * from its cursor; anything else starts a new run from the beginning.
 */
async function startRun(ctx: MutationCtx, migration: Migration, direction: Direction, now: number) {
  const record = await findRecord(ctx, migration.id);
  const position = positionFor(direction, record?.cursor);
  if (record !== null && position !== undefined && (record.status === "running" || record.status === "failed")) {
    await ctx.db.patch(record._id, { status: "running", error: undefined, updatedAt: now });
    return { id: record._id, processed: record.processed, position };
  }
  const run = {
    status: "running" as const,
    cursor: encodeCursor(direction, null),
    processed: 0,
    error: undefined,
    startedAt: now,
    completedAt: undefined,
    updatedAt: now,
  };
  if (record === null) {
    const { id, version, name, description } = migration;
    const created = await ctx.db.insert("migrations", { migrationId: id, version, name, description, ...run, createdAt: now });
    return { id: created, processed: 0, position: null };
  }
  await ctx.db.patch(record._id, run);
  return { id: record._id, processed: 0, position: null };
}

// ---- the lease --------------------------------------------------------------

async function currentLease(ctx: QueryCtx): Promise<Lease | null> {
  return ((await readMeta(ctx, LEASE_KEY)) as Lease | undefined) ?? null;
}

/** Refuses unless @owner holds the lease now; renews it for as long as it was taken. */
async function holdLease(ctx: MutationCtx, owner: string, now: number): Promise<void> {
  const lease = await currentLease(ctx);
  if (lease === null || lease.owner !== owner || lease.expiresAt <= now) {
    fail(
      "LeaseLost",
      lease !== null && lease.owner !== owner && lease.expiresAt > now
        ? `Another Cairn (“${lease.owner}”) is updating this database.`
        : "This Cairn does not hold the migration lease (it expired or was released); take it again to go on.",
    );
  }
  await writeMeta(ctx, LEASE_KEY, { ...lease, expiresAt: now + lease.ttlMs });
}

function checkOwner(owner: string): void {
  if (owner.length === 0 || owner.length > 200) {
    fail("InvalidRange", "The lease owner must be a name of 1 to 200 characters.");
  }
}

// ---- the functions ----------------------------------------------------------

export const status = internalQuery({
  args: {},
  handler: async (ctx) => {
    const now = Date.now();
    const migrations = [];
    for (const migration of MIGRATIONS) {
      const record = await findRecord(ctx, migration.id);
      migrations.push({
        migrationId: migration.id,
        version: migration.version,
        name: migration.name,
        description: migration.description,
        // Never run: pending while the data needs it, skipped when it does not
        // (a new deployment starts with nothing to migrate).
        status: record?.status ?? ((await migration.needed(ctx)) ? "pending" : "skipped"),
        processed: record?.processed ?? 0,
        error: record?.error ?? null,
        startedAt: record?.startedAt ?? null,
        completedAt: record?.completedAt ?? null,
        createdAt: record?.createdAt ?? null,
      });
    }
    const lease = await currentLease(ctx);
    return {
      schemaVersion: SCHEMA_VERSION,
      pending: await pendingMigrations(ctx),
      migrations,
      // An expired lease is nobody's.
      lease: lease !== null && lease.expiresAt > now ? { owner: lease.owner, expiresAt: lease.expiresAt } : null,
      now,
    };
  },
});

export const acquireLease = internalMutation({
  args: { owner: v.string(), ttlMs: v.number() },
  handler: async (ctx, { owner, ttlMs }) => {
    checkOwner(owner);
    if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_LEASE_MS) {
      fail("InvalidRange", `The lease time must be a whole number of milliseconds from 1 to ${MAX_LEASE_MS}, not ${ttlMs}.`);
    }
    const now = Date.now();
    const lease = await currentLease(ctx);
    if (lease !== null && lease.owner !== owner && lease.expiresAt > now) {
      return { acquired: false, owner: lease.owner, expiresAt: lease.expiresAt };
    }
    const expiresAt = now + ttlMs;
    await writeMeta(ctx, LEASE_KEY, { owner, expiresAt, ttlMs });
    return { acquired: true, owner, expiresAt };
  },
});

export const releaseLease = internalMutation({
  args: { owner: v.string() },
  handler: async (ctx, { owner }) => {
    if ((await currentLease(ctx))?.owner === owner) {
      await deleteMeta(ctx, LEASE_KEY);
    }
    return null;
  },
});

export const step = internalMutation({
  args: {
    owner: v.string(),
    migrationId: v.string(),
    batchSize: v.number(),
    direction: v.optional(v.union(v.literal("up"), v.literal("down"))),
  },
  handler: async (ctx, args) => {
    const now = Date.now();
    await holdLease(ctx, args.owner, now);
    const migration = findMigration(args.migrationId);
    const { batchSize } = args;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      fail("InvalidRange", `The batch size must be a whole number from 1 to ${MAX_BATCH_SIZE}, not ${batchSize}.`);
    }
    const direction = args.direction ?? "up";
    const batchStep = direction === "up" ? migration.up : migration.down;
    if (batchStep === undefined) {
      fail("NotReversible", `The migration “${migration.id}” cannot be undone.`);
    }
    await checkOrder(ctx, migration, direction);

    const record = await findRecord(ctx, migration.id);
    if (direction === "up" && (record?.status === "completed" || record?.status === "skipped")) {
      return { status: record.status, processed: record.processed, done: true };
    }
    const run = await startRun(ctx, migration, direction, now);
    const batch = await batchStep(ctx, run.position, batchSize);
    const processed = run.processed + batch.processed;
    if (!batch.done) {
      await ctx.db.patch(run.id, { cursor: encodeCursor(direction, batch.cursor), processed, updatedAt: now });
      return { status: "running" as const, processed, done: false };
    }
    // Undone, a migration is to run again (if the data needs it).
    const status = direction === "up" ? "completed" as const : "pending" as const;
    await ctx.db.patch(run.id, {
      status,
      cursor: null,
      processed,
      completedAt: direction === "up" ? now : undefined,
      updatedAt: now,
    });
    return { status, processed, done: true };
  },
});

export const recordFailure = internalMutation({
  args: { owner: v.string(), migrationId: v.string(), error: v.string() },
  handler: async (ctx, args) => {
    const now = Date.now();
    await holdLease(ctx, args.owner, now);
    const migration = findMigration(args.migrationId);
    const error = args.error.slice(0, MAX_ERROR_LENGTH);
    const record = await findRecord(ctx, migration.id);
    if (record !== null) {
      await ctx.db.patch(record._id, { status: "failed", error, updatedAt: now });
      return null;
    }
    // The failed step was the first: its record went with its rollback.
    const { id, version, name, description } = migration;
    await ctx.db.insert("migrations", {
      migrationId: id,
      version,
      name,
      description,
      status: "failed",
      cursor: null,
      processed: 0,
      error,
      startedAt: now,
      createdAt: now,
      updatedAt: now,
    });
    return null;
  },
});
