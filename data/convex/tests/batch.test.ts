// documents:apply: many writes in one call, in order, idempotent by clientId
// like the single functions, a refused write reported for itself, and the
// limits of one batch.
import { describe, expect, test } from "vitest";
import { MAX_BATCH_BYTES, MAX_BATCH_WRITES } from "../convex/documents";
import { conversation, counted, fn, message, note, refusal, setup, uuid } from "./setup";

const insert = (table: string, document: Record<string, unknown>) => ({ op: "insert", table, document });
const patch = (table: string, clientId: string, fields: Record<string, unknown>) => ({ op: "patch", table, clientId, fields });
const remove = (table: string, clientId: string) => ({ op: "remove", table, clientId });

async function count(t: ReturnType<typeof setup>, table: "conversations" | "messages" | "notes") {
  return (await t.run((ctx) => ctx.db.query(table).collect())).length;
}

describe("documents:apply", () => {
  test("every write happens, in order, each answered as its single function would", async () => {
    const t = setup();
    const c = conversation();
    const m1 = message(c.clientId);
    const m2 = message(c.clientId);
    const n = note();
    const { results } = await t.mutation(fn.apply, {
      writes: [
        insert("conversations", c),
        insert("messages", m1),
        insert("messages", m2),
        patch("messages", m1.clientId, { content: "Edited" }),
        insert("notes", n),
        remove("notes", n.clientId),
        remove("messages", m2.clientId),
      ],
    });
    expect(results).toEqual([
      { ok: true, value: counted(c) },
      { ok: true, value: m1 },
      { ok: true, value: m2 },
      { ok: true, value: { ...m1, content: "Edited" } },
      { ok: true, value: n },
      { ok: true, value: null },
      { ok: true, value: null },
    ]);
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toEqual(counted(c, 1));
    expect(await t.query(fn.get, { table: "messages", clientId: m1.clientId })).toMatchObject({ content: "Edited" });
    expect(await count(t, "notes")).toBe(0);
  });

  test("order is kept: a patch before its insert is refused, after it applies", async () => {
    const t = setup();
    const n = note({ title: "First" });
    const { results } = await t.mutation(fn.apply, {
      writes: [patch("notes", n.clientId, { title: "Early" }), insert("notes", n), patch("notes", n.clientId, { title: "Late" })],
    });
    expect(results[0]).toMatchObject({ ok: false, code: "NotFound" });
    expect(results[2]).toEqual({ ok: true, value: { ...n, title: "Late" } });
  });

  test("a replayed batch changes nothing: no duplicates, the same messageCount", async () => {
    const t = setup();
    const c = conversation();
    const messages = Array.from({ length: 50 }, () => message(c.clientId));
    const writes = [insert("conversations", c), ...messages.map((m) => insert("messages", m))];
    const first = await t.mutation(fn.apply, { writes });
    const replay = await t.mutation(fn.apply, { writes });
    expect(replay).toEqual({
      results: first.results.map((r: any, i: number) => (i === 0 ? { ok: true, value: counted(c, 50) } : r)),
    });
    expect(await count(t, "messages")).toBe(50);
    expect(await count(t, "conversations")).toBe(1);
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toEqual(counted(c, 50));
  });

  test("messageCount follows the same rules as the single writes", async () => {
    const t = setup();
    const [a, b] = [conversation(), conversation()];
    const [m1, m2, m3] = [message(a.clientId), message(a.clientId), message(b.clientId)];
    // messages before their conversation: it starts from what is stored
    await t.mutation(fn.apply, { writes: [insert("messages", m1), insert("messages", m2), insert("conversations", a), insert("conversations", b)] });
    await t.mutation(fn.apply, {
      writes: [insert("messages", m3), patch("messages", m1.clientId, { conversationId: b.clientId }), remove("messages", m2.clientId),
        // a client never sets the count
        patch("conversations", a.clientId, { messageCount: 99 })],
    });
    expect(await t.query(fn.get, { table: "conversations", clientId: a.clientId })).toEqual(counted(a, 0));
    expect(await t.query(fn.get, { table: "conversations", clientId: b.clientId })).toEqual(counted(b, 2));
    // removing a conversation in a batch takes its messages with it
    await t.mutation(fn.apply, { writes: [remove("conversations", b.clientId)] });
    expect(await count(t, "messages")).toBe(0);
  });

  test("a conversation written in the batch answers with its count so far; the counts are written once", async () => {
    const t = setup();
    const c = conversation();
    const messages = Array.from({ length: 5 }, () => message(c.clientId));
    const { results } = await t.mutation(fn.apply, {
      writes: [
        insert("conversations", c),
        ...messages.slice(0, 3).map((m) => insert("messages", m)),
        patch("conversations", c.clientId, { title: "Three" }),
        ...messages.slice(3).map((m) => insert("messages", m)),
        remove("messages", messages[0].clientId),
        remove("nothing", c.clientId),
      ],
    });
    expect(results[4]).toEqual({ ok: true, value: counted({ ...c, title: "Three" }, 3) });
    expect(results[8]).toMatchObject({ ok: false, code: "UnknownTable" });
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toEqual(counted({ ...c, title: "Three" }, 4));
    // and a conversation removed in the batch after its messages changed: no count left to write
    const { results: after } = await t.mutation(fn.apply, {
      writes: [insert("messages", message(c.clientId)), remove("conversations", c.clientId), insert("messages", message(c.clientId))],
    });
    expect(after.map((r: any) => r.ok)).toEqual([true, true, true]);
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toBeNull();
    expect(await count(t, "messages")).toBe(1);
  });

  test("a refused write is reported for itself and the others happen", async () => {
    const t = setup();
    const good = [note(), note(), note()];
    const { title, ...bad } = note();
    const { results } = await t.mutation(fn.apply, {
      writes: [
        insert("notes", good[0]),
        insert("notes", bad),
        insert("notes", good[1]),
        insert("nothing", note()),
        remove("notes", "not-a-uuid"),
        insert("notes", good[2]),
      ],
    });
    expect(results.map((r: any) => r.ok)).toEqual([true, false, true, false, false, true]);
    expect(results[1]).toEqual({ ok: false, code: "InvalidDocument", message: "The document for “notes” lacks the field “title”." });
    expect(results[3]).toMatchObject({ ok: false, code: "UnknownTable" });
    expect(results[4]).toMatchObject({ ok: false, code: "InvalidClientId" });
    expect(await count(t, "notes")).toBe(3);
  });

  test("an empty batch is an empty answer", async () => {
    const t = setup();
    expect(await t.mutation(fn.apply, { writes: [] })).toEqual({ results: [] });
  });

  test(`at most ${MAX_BATCH_WRITES} writes`, async () => {
    const t = setup();
    const full = Array.from({ length: MAX_BATCH_WRITES }, () => insert("notes", note()));
    expect((await t.mutation(fn.apply, { writes: full })).results).toHaveLength(MAX_BATCH_WRITES);
    await expect(t.mutation(fn.apply, { writes: [...full, insert("notes", note())] }))
      .rejects.toMatchObject(refusal("BatchTooLarge", /at most 500 writes, not 501/));
    // refused as a whole: nothing of it was written
    expect(await count(t, "notes")).toBe(MAX_BATCH_WRITES);
  });

  test("at most MAX_BATCH_BYTES of writes", async () => {
    const t = setup();
    const big = "x".repeat(900 * 1024);
    const writes = Array.from({ length: Math.ceil(MAX_BATCH_BYTES / big.length) + 1 }, () => insert("notes", note({ content: big })));
    await expect(t.mutation(fn.apply, { writes })).rejects.toMatchObject(refusal("BatchTooLarge", /bytes of writes/));
    expect(await count(t, "notes")).toBe(0);
  });

  test("the arguments' shape is checked by Convex", async () => {
    const t = setup();
    await expect(t.mutation(fn.apply, { writes: [{ op: "upsert", table: "notes", document: note() }] })).rejects.toThrow();
    await expect(t.mutation(fn.apply, { writes: [{ op: "remove", table: "notes" }] })).rejects.toThrow();
    expect(uuid()).toBeTruthy();
  });
});
