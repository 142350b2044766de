// Migrations: the registry, the lease, steps from a stored cursor, failures,
// order, and 0002_message_counts over data written by version 1.
import { afterEach, describe, expect, onTestFinished, test, vi } from "vitest";
import { MESSAGES_PER_CONVERSATION } from "../convex/messageCounts";
import { MAX_BATCH_SIZE, MAX_ERROR_LENGTH, MIGRATIONS, type Migration } from "../convex/migrations";
import { SCHEMA_VERSION } from "../convex/tables";
import { conversation, fn, message, refusal, setup, setupWithLimits } from "./setup";

type T = ReturnType<typeof setup>;
type StepResult = { status: string; processed: number; done: boolean };

const ID = "0002_message_counts";
const OWNER = "laptop/workspace-1";
const OTHER = "desktop/workspace-1";
const TTL = 60_000;

/**
 * Conversations as version 1 wrote them (no messageCount), with
 * messagesOf(i) messages each; returns each one's count.
 */
async function seedVersion1(t: T, conversations: number, messagesOf: (i: number) => number) {
  const expected = new Map<string, number>();
  const CHUNK = 500;
  for (let start = 0; start < conversations; start += CHUNK) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(start + CHUNK, conversations); i++) {
        const c = conversation({ createdAt: i });
        await ctx.db.insert("conversations", c as any);
        for (let j = 0; j < messagesOf(i); j++) {
          await ctx.db.insert("messages", message(c.clientId, { createdAt: j }) as any);
        }
        expected.set(c.clientId, messagesOf(i));
      }
    });
  }
  return expected;
}

/** clientId -> messageCount (undefined where there is none) of every conversation. */
async function counts(t: T) {
  const rows = await t.run((ctx) => ctx.db.query("conversations").collect());
  return new Map(rows.map((row) => [row.clientId, row.messageCount]));
}

async function acquire(t: T, owner = OWNER, ttlMs = TTL) {
  return (await t.mutation(fn.acquireLease, { owner, ttlMs })) as { acquired: boolean; owner: string; expiresAt: number };
}

async function step(t: T, batchSize: number, direction: "up" | "down" = "up", migrationId = ID, owner = OWNER) {
  return (await t.mutation(fn.step, { owner, migrationId, batchSize, direction })) as StepResult;
}

/** Steps until done (or @max steps); every result. */
async function run(t: T, batchSize: number, direction: "up" | "down" = "up", max = 1000) {
  const results: StepResult[] = [];
  for (let i = 0; i < max; i++) {
    results.push(await step(t, batchSize, direction));
    if (results[results.length - 1].done) break;
  }
  return results;
}

async function record(t: T, migrationId = ID) {
  return await t.run((ctx) =>
    ctx.db.query("migrations").withIndex("by_migrationId", (q) => q.eq("migrationId", migrationId)).unique());
}

async function pending(t: T) {
  return ((await t.query(fn.ping, {})) as { pendingMigrations: string[] }).pendingMigrations;
}

/** A migration registered for one test only. */
function register(migration: Migration) {
  MIGRATIONS.push(migration);
  onTestFinished(() => {
    MIGRATIONS.splice(MIGRATIONS.indexOf(migration), 1);
  });
}

function testMigration(fields: Partial<Migration> = {}): Migration {
  return {
    id: "0003_test",
    version: SCHEMA_VERSION,
    name: "Test",
    description: "Only for a test.",
    needed: async () => true,
    up: async () => ({ cursor: null, done: true, processed: 0 }),
    ...fields,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the registry", () => {
  test("ids are unique and sort in order; versions grow and none is newer than the functions", () => {
    const ids = MIGRATIONS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const versions = MIGRATIONS.map((m) => m.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(Math.max(...versions)).toBeLessThanOrEqual(SCHEMA_VERSION);
    expect(MIGRATIONS[0]).toMatchObject({ id: ID, version: 2 });
  });
});

describe("pending migrations (cairn:ping, migrations:status)", () => {
  test("a fresh deployment has none, also with content written by these functions", async () => {
    const t = setup();
    expect(await pending(t)).toEqual([]);
    const c = conversation();
    await t.mutation(fn.insert, { table: "conversations", document: c });
    await t.mutation(fn.insert, { table: "messages", document: message(c.clientId) });
    expect(await pending(t)).toEqual([]);
    expect((await t.query(fn.status, {}) as any).pending).toEqual([]);
  });

  test("conversations version 1 wrote need 0002_message_counts", async () => {
    const t = setup();
    await t.mutation(fn.insert, { table: "conversations", document: conversation() });
    await seedVersion1(t, 1, () => 2);
    expect(await pending(t)).toEqual([ID]);
    expect((await t.query(fn.status, {}) as any).pending).toEqual([ID]);
  });

  test("a migration running or failed is pending whatever the data; completed or skipped is not", async () => {
    const t = setup();
    const cases = [["running", [ID]], ["failed", [ID]], ["completed", []], ["skipped", []]] as const;
    for (const [status, expected] of cases) {
      for (const needed of [false, true]) {
        const t = setup();
        if (needed) await seedVersion1(t, 1, () => 0);
        await t.run(async (ctx) => {
          await ctx.db.insert("migrations", {
            migrationId: ID, version: 2, name: "n", description: "d", status, processed: 0, createdAt: 1, updatedAt: 1,
          });
        });
        expect(await pending(t), `${status}, needed: ${needed}`).toEqual(expected);
      }
    }
    expect(await pending(t)).toEqual([]);
  });

  test("migrations:status lists every migration with its record", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_700_000_000_000);
    const t = setup();
    expect(await t.query(fn.status, {})).toEqual({
      schemaVersion: SCHEMA_VERSION,
      pending: [],
      migrations: [{
        migrationId: ID, version: 2, name: MIGRATIONS[0].name, description: MIGRATIONS[0].description,
        // A new deployment: nothing to migrate.
        status: "skipped", processed: 0, error: null, startedAt: null, completedAt: null, createdAt: null,
      }],
      lease: null,
      now: 1_700_000_000_000,
    });
    await seedVersion1(t, 3, () => 1);
    // Version-1 data: now it is needed.
    expect(await t.query(fn.status, {})).toMatchObject({
      pending: [ID],
      migrations: [{ migrationId: ID, status: "pending", processed: 0 }],
    });
    await acquire(t);
    vi.setSystemTime(1_700_000_000_500);
    await run(t, 10);
    expect(await t.query(fn.status, {})).toMatchObject({
      pending: [],
      migrations: [{
        migrationId: ID, status: "completed", processed: 3, error: null,
        startedAt: 1_700_000_000_500, completedAt: 1_700_000_000_500, createdAt: 1_700_000_000_500,
      }],
      lease: { owner: OWNER, expiresAt: 1_700_000_000_500 + TTL },
    });
  });
});

describe("0002_message_counts", () => {
  // (2 500 documents: convex-test reads a whole table for every index range,
  // so these take seconds; the peer's benchmark migrates 10 000.)
  test("counts 1 000 conversations and their 1 500 messages in bounded batches, within Convex's limits", async () => {
    const t = setupWithLimits();
    const expected = await seedVersion1(t, 1000, (i) => i % 4);
    expect(await pending(t)).toEqual([ID]);
    await acquire(t);
    const results = await run(t, 100);
    // A page of 100 conversations a step, each counted once.
    expect(results.slice(0, 10).map((r) => r.processed)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(results.length).toBeLessThanOrEqual(11);
    expect(results[results.length - 1]).toEqual({ status: "completed", processed: 1000, done: true });
    expect(await counts(t)).toEqual(expected);
    expect(await pending(t)).toEqual([]);
    expect(await record(t)).toMatchObject({ status: "completed", cursor: null, processed: 1000 });
  }, 30_000);

  test("resumes from its cursor after a crash, not from the beginning", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t = setup();
    const expected = await seedVersion1(t, 1000, (i) => i % 4);
    await acquire(t);
    const before = await run(t, 100, "up", 4);
    expect(before.map((r) => r.processed)).toEqual([100, 200, 300, 400]);
    // The process is killed here: the lease stays until it expires.
    const halfway = await record(t);
    expect(halfway).toMatchObject({ status: "running", processed: 400 });
    expect(halfway!.cursor).toEqual(expect.any(String));
    expect([...(await counts(t)).values()].filter((n) => n !== undefined)).toHaveLength(400);
    expect(await pending(t)).toEqual([ID]);

    expect(await acquire(t, OTHER)).toMatchObject({ acquired: false, owner: OWNER });
    vi.setSystemTime(Date.now() + TTL);
    expect(await acquire(t, OTHER)).toMatchObject({ acquired: true, owner: OTHER });
    const after: StepResult[] = [];
    for (;;) {
      after.push(await step(t, 100, "up", ID, OTHER));
      if (after[after.length - 1].done) break;
    }
    // From the cursor, the next page: from the beginning it would find 100
    // counted conversations and count none.
    expect(after[0].processed).toBe(500);
    expect(before.length + after.length).toBeLessThanOrEqual(11);
    expect(after[after.length - 1]).toEqual({ status: "completed", processed: 1000, done: true });
    expect(await counts(t)).toEqual(expected);
  }, 30_000);

  test("a conversation with more messages than a step reads is counted across steps", async () => {
    const t = setup();
    const batchSize = 2;
    const budget = batchSize * MESSAGES_PER_CONVERSATION;
    // Many messages share a createdAt: counting goes on from the last one
    // counted by _creationTime within it.
    const sizes = [3, 2 * budget + 17, 0, budget + 1, budget];
    const expected = await seedVersion1(t, sizes.length, (i) => sizes[i]);
    await t.run(async (ctx) => {
      for (const m of await ctx.db.query("messages").collect()) {
        await ctx.db.patch(m._id, { createdAt: Math.floor(m.createdAt / 7) });
      }
    });
    const [, big] = [...expected.keys()];
    await acquire(t);
    const first = await step(t, batchSize);
    expect(first).toEqual({ status: "running", processed: 1, done: false });
    expect((await counts(t)).get(big)).toBeUndefined();
    // A message written meanwhile, later than the ones counted, is counted too.
    await t.mutation(fn.insert, { table: "messages", document: message(big, { createdAt: 1e9 }) });
    expected.set(big, expected.get(big)! + 1);
    const rest = await run(t, batchSize);
    expect(rest[rest.length - 1]).toEqual({ status: "completed", processed: sizes.length, done: true });
    expect(await counts(t)).toEqual(expected);
  });

  test("running it again changes nothing", async () => {
    const t = setup();
    const expected = await seedVersion1(t, 120, (i) => i % 5);
    await acquire(t);
    await run(t, 50);
    expect(await step(t, 50)).toEqual({ status: "completed", processed: 120, done: true });
    // Even with its record gone, a new run finds every count set and keeps it.
    await t.run(async (ctx) => {
      const row = await ctx.db.query("migrations").unique();
      await ctx.db.delete(row!._id);
    });
    const again = await run(t, 50);
    expect(again[again.length - 1]).toEqual({ status: "completed", processed: 0, done: true });
    expect(await counts(t)).toEqual(expected);
  });

  test("down takes every count off, and up puts them back", async () => {
    const t = setup();
    const expected = await seedVersion1(t, 230, (i) => i % 6);
    const fresh = conversation();
    await t.mutation(fn.insert, { table: "conversations", document: fresh });
    await acquire(t);
    await run(t, 100);
    const down = await run(t, 100, "down");
    expect(down.map((r) => r.done)).toEqual([false, false, true]);
    expect(down[down.length - 1]).toEqual({ status: "pending", processed: 231, done: true });
    expect([...(await counts(t)).values()].every((n) => n === undefined)).toBe(true);
    expect(await record(t)).toMatchObject({ status: "pending", cursor: null });
    expect(await pending(t)).toEqual([ID]);

    await run(t, 100);
    expect(await counts(t)).toEqual(new Map([...expected, [fresh.clientId, 0]]));
    expect(await pending(t)).toEqual([]);
  });
});

describe("the lease", () => {
  test("one owner at a time; the owner renews it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    const t = setup();
    expect(await acquire(t)).toEqual({ acquired: true, owner: OWNER, expiresAt: 1_000_000 + TTL });
    vi.setSystemTime(1_000_500);
    expect(await acquire(t, OTHER)).toEqual({ acquired: false, owner: OWNER, expiresAt: 1_000_000 + TTL });
    expect(await acquire(t)).toEqual({ acquired: true, owner: OWNER, expiresAt: 1_000_500 + TTL });
    expect((await t.query(fn.status, {}) as any).lease).toEqual({ owner: OWNER, expiresAt: 1_000_500 + TTL });
  });

  test("a step needs the lease", async () => {
    const t = setup();
    await seedVersion1(t, 3, () => 1);
    await expect(step(t, 10)).rejects.toMatchObject(refusal("LeaseLost"));
    await acquire(t);
    await expect(step(t, 10, "up", ID, OTHER)).rejects.toMatchObject(refusal("LeaseLost", `Another Cairn (“${OWNER}”) is updating this database.`));
    // Releasing someone else's lease does nothing; one's own, frees it.
    await t.mutation(fn.releaseLease, { owner: OTHER });
    await expect(step(t, 10, "up", ID, OTHER)).rejects.toMatchObject(refusal("LeaseLost"));
    await t.mutation(fn.releaseLease, { owner: OWNER });
    expect((await t.query(fn.status, {}) as any).lease).toBeNull();
    await expect(step(t, 10)).rejects.toMatchObject(refusal("LeaseLost"));
    expect(await record(t)).toBeNull();
    expect(await acquire(t, OTHER)).toMatchObject({ acquired: true });
  });

  test("an expired lease is taken over, and its old owner's steps are refused", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t = setup();
    await seedVersion1(t, 30, () => 1);
    await acquire(t, OWNER, 1000);
    await step(t, 10);
    vi.setSystemTime(Date.now() + 1000);
    await expect(step(t, 10)).rejects.toMatchObject(refusal("LeaseLost"));
    expect((await t.query(fn.status, {}) as any).lease).toBeNull();
    expect(await acquire(t, OTHER)).toMatchObject({ acquired: true, owner: OTHER });
    await expect(step(t, 10)).rejects.toMatchObject(refusal("LeaseLost"));
    expect(await step(t, 10, "up", ID, OTHER)).toEqual({ status: "running", processed: 20, done: false });
  });

  test("every step renews the lease for as long as it was taken", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t = setup();
    await seedVersion1(t, 30, () => 1);
    await acquire(t, OWNER, 1000);
    for (let i = 0; i < 3; i++) {
      vi.setSystemTime(Date.now() + 800);
      await step(t, 10);
    }
    expect((await t.query(fn.status, {}) as any).lease).toEqual({ owner: OWNER, expiresAt: Date.now() + 1000 });
    expect(await acquire(t, OTHER)).toMatchObject({ acquired: false });
  });

  test("bad owners and lease times are refused", async () => {
    const t = setup();
    await expect(acquire(t, "")).rejects.toMatchObject(refusal("InvalidRange"));
    for (const ttlMs of [0, -5, 1.5, 24 * 60 * 60 * 1000]) {
      await expect(acquire(t, OWNER, ttlMs)).rejects.toMatchObject(refusal("InvalidRange", /lease time/));
    }
  });
});

describe("failures, order and refusals", () => {
  test("a recorded failure stops it; the next run resumes from its cursor and clears the error", async () => {
    const t = setup();
    const expected = await seedVersion1(t, 500, (i) => i % 2);
    await acquire(t);
    await run(t, 100, "up", 2);
    const error = "Uncaught Error: boom " + "x".repeat(2000);
    expect(await t.mutation(fn.recordFailure, { owner: OWNER, migrationId: ID, error })).toBeNull();
    expect(await record(t)).toMatchObject({ status: "failed", error: error.slice(0, MAX_ERROR_LENGTH), processed: 200 });
    expect(await pending(t)).toEqual([ID]);
    expect((await t.query(fn.status, {}) as any).migrations[0]).toMatchObject({ status: "failed", error: error.slice(0, MAX_ERROR_LENGTH) });

    expect(await step(t, 100)).toEqual({ status: "running", processed: 300, done: false });
    expect((await record(t))!.error).toBeUndefined();
    const rest = await run(t, 100);
    expect(rest[rest.length - 1]).toEqual({ status: "completed", processed: 500, done: true });
    expect((await t.query(fn.status, {}) as any).migrations[0]).toMatchObject({ status: "completed", error: null });
    expect(await counts(t)).toEqual(expected);
  });

  test("a failure of the first step leaves a failed record", async () => {
    const t = setup();
    await seedVersion1(t, 5, () => 1);
    await acquire(t);
    await t.mutation(fn.recordFailure, { owner: OWNER, migrationId: ID, error: "too many reads" });
    expect(await record(t)).toMatchObject({ status: "failed", error: "too many reads", processed: 0, cursor: null });
    expect((await run(t, 10)).pop()).toEqual({ status: "completed", processed: 5, done: true });
  });

  test("recording a failure needs the lease and a known migration", async () => {
    const t = setup();
    await expect(t.mutation(fn.recordFailure, { owner: OWNER, migrationId: ID, error: "e" }))
      .rejects.toMatchObject(refusal("LeaseLost"));
    await acquire(t);
    await expect(t.mutation(fn.recordFailure, { owner: OWNER, migrationId: "0099_nope", error: "e" }))
      .rejects.toMatchObject(refusal("UnknownMigration"));
    expect(await record(t)).toBeNull();
  });

  test("an unknown migration, a bad batch size", async () => {
    const t = setup();
    await acquire(t);
    await expect(step(t, 10, "up", "0099_nope")).rejects.toMatchObject(
      refusal("UnknownMigration", `There is no migration “0099_nope” (these functions have: ${ID}).`),
    );
    for (const batchSize of [0, -1, 2.5, MAX_BATCH_SIZE + 1]) {
      await expect(step(t, batchSize)).rejects.toMatchObject(refusal("InvalidRange", /batch size/));
    }
  });

  test("up waits for the earlier ones, down for the later ones", async () => {
    const t = setup();
    await seedVersion1(t, 5, () => 1);
    register(testMigration());
    await acquire(t);
    expect(await pending(t)).toEqual([ID, "0003_test"]);
    await expect(step(t, 10, "up", "0003_test")).rejects.toMatchObject(
      refusal("OutOfOrder", `The migration “0003_test” runs after “${ID}”, which has not run yet.`),
    );
    await run(t, 10);
    expect(await step(t, 10, "up", "0003_test")).toEqual({ status: "completed", processed: 0, done: true });
    await expect(step(t, 10, "down")).rejects.toMatchObject(
      refusal("OutOfOrder", `The migration “${ID}” can only be undone after “0003_test” is.`),
    );
  });

  test("a migration without a down step cannot be undone", async () => {
    const t = setup();
    register(testMigration());
    await acquire(t);
    await expect(step(t, 10, "down", "0003_test")).rejects.toMatchObject(refusal("NotReversible"));
  });
});

describe("cairn:health", () => {
  test("reads, writes a heartbeat, and says how the data stands", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_800_000_000_000);
    const t = setup();
    const result: any = await t.mutation(fn.health, {});
    expect(result).toEqual({
      status: "ok",
      serverTime: 1_800_000_000_000,
      schemaVersion: SCHEMA_VERSION,
      pendingMigrations: [],
      read: { ok: true, ms: expect.any(Number) },
      write: { ok: true, ms: expect.any(Number) },
    });
    const heartbeat = () => t.run((ctx) => ctx.db.query("meta").withIndex("by_key", (q) => q.eq("key", "heartbeat")).collect());
    expect((await heartbeat()).map((row) => row.value)).toEqual([{ at: 1_800_000_000_000 }]);

    await seedVersion1(t, 2, () => 1);
    vi.setSystemTime(1_800_000_060_000);
    expect(await t.mutation(fn.health, {})).toMatchObject({ serverTime: 1_800_000_060_000, pendingMigrations: [ID] });
    expect((await heartbeat()).map((row) => row.value)).toEqual([{ at: 1_800_000_060_000 }]);
  });
});
