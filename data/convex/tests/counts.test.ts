// The messageCount the functions keep on every conversation: inserts,
// replays, removes, cascades, moves, and what a client sends for it.
import { afterEach, describe, expect, test, vi } from "vitest";
import { CASCADE_BATCH } from "../convex/documents";
import { conversation, counted, fn, message, refusal, setup, uuid } from "./setup";

type T = ReturnType<typeof setup>;

async function countOf(t: T, clientId: string) {
  const doc: any = await t.query(fn.get, { table: "conversations", clientId });
  return doc?.messageCount;
}

async function insert(t: T, table: string, document: Record<string, unknown>) {
  return await t.mutation(fn.insert, { table, document });
}

describe("messageCount", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("a new conversation starts at 0, whatever the client sent", async () => {
    const t = setup();
    for (const sent of [undefined, 7, -1, "lots", null]) {
      const c = conversation(sent === undefined ? {} : { messageCount: sent });
      expect(await insert(t, "conversations", c)).toEqual(counted({ ...c, messageCount: undefined }, 0));
    }
  });

  test("each message inserted counts once; a replayed insert does not", async () => {
    const t = setup();
    const c = conversation();
    await insert(t, "conversations", c);
    const messages = [message(c.clientId), message(c.clientId), message(c.clientId)];
    for (const [i, m] of messages.entries()) {
      await insert(t, "messages", m);
      expect(await countOf(t, c.clientId)).toBe(i + 1);
    }
    await insert(t, "messages", messages[0]);
    await insert(t, "messages", { ...messages[1], content: "replayed, changed" });
    expect(await countOf(t, c.clientId)).toBe(3);
  });

  test("each message removed counts once; a replayed remove does not", async () => {
    const t = setup();
    const c = conversation();
    await insert(t, "conversations", c);
    const [a, b] = [message(c.clientId), message(c.clientId)];
    await insert(t, "messages", a);
    await insert(t, "messages", b);
    await t.mutation(fn.remove, { table: "messages", clientId: a.clientId });
    expect(await countOf(t, c.clientId)).toBe(1);
    await t.mutation(fn.remove, { table: "messages", clientId: a.clientId });
    expect(await countOf(t, c.clientId)).toBe(1);
    await t.mutation(fn.remove, { table: "messages", clientId: b.clientId });
    expect(await countOf(t, c.clientId)).toBe(0);
  });

  test("only the message's own conversation counts it", async () => {
    const t = setup();
    const [c, other] = [conversation(), conversation()];
    await insert(t, "conversations", c);
    await insert(t, "conversations", other);
    await insert(t, "messages", message(c.clientId));
    expect(await countOf(t, c.clientId)).toBe(1);
    expect(await countOf(t, other.clientId)).toBe(0);
  });

  test("a conversation inserted after its messages counts them", async () => {
    const t = setup();
    const c = conversation({ messageCount: 99 });
    for (let i = 0; i < 4; i++) {
      await insert(t, "messages", message(c.clientId, { createdAt: i }));
    }
    await insert(t, "messages", message(uuid()));
    expect(await insert(t, "conversations", c)).toMatchObject({ clientId: c.clientId, messageCount: 4 });
    await insert(t, "messages", message(c.clientId));
    expect(await countOf(t, c.clientId)).toBe(5);
    // A replayed insert of the conversation changes nothing.
    expect(await insert(t, "conversations", c)).toMatchObject({ messageCount: 5 });
  });

  test("a message moved to another conversation moves its count", async () => {
    const t = setup();
    const [from, to] = [conversation(), conversation()];
    await insert(t, "conversations", from);
    await insert(t, "conversations", to);
    const m = message(from.clientId);
    await insert(t, "messages", m);
    await t.mutation(fn.patch, { table: "messages", clientId: m.clientId, fields: { conversationId: to.clientId } });
    expect([await countOf(t, from.clientId), await countOf(t, to.clientId)]).toEqual([0, 1]);
    // Patching it to where it is already moves nothing.
    await t.mutation(fn.patch, { table: "messages", clientId: m.clientId, fields: { conversationId: to.clientId, content: "x" } });
    expect([await countOf(t, from.clientId), await countOf(t, to.clientId)]).toEqual([0, 1]);
  });

  test("a patch cannot set it, and other fields of the same patch still apply", async () => {
    const t = setup();
    const c = conversation();
    await insert(t, "conversations", c);
    await insert(t, "messages", message(c.clientId));
    const patch = (fields: unknown) => t.mutation(fn.patch, { table: "conversations", clientId: c.clientId, fields });
    // A client that copies the count along with the rest (the content mover, an older client).
    expect(await patch({ title: "Renamed", updatedAt: 2000, messageCount: 40 }))
      .toEqual(counted({ ...c, title: "Renamed", updatedAt: 2000 }, 1));
    // A change of only the count is no change, and no error.
    const renamed = counted({ ...c, title: "Renamed", updatedAt: 2000 }, 1);
    expect(await patch({ messageCount: 40 })).toEqual(renamed);
    expect(await patch({ messageCount: "many" })).toEqual(renamed);
    // The other checks hold as before.
    await expect(patch({ messageCount: 1, pinned: "yes" })).rejects.toMatchObject(refusal("InvalidDocument"));
    const missing = uuid();
    await expect(t.mutation(fn.patch, { table: "conversations", clientId: missing, fields: { messageCount: 1 } }))
      .rejects.toMatchObject(refusal("NotFound", `No document with clientId ${missing} in conversations.`));
  });

  test("a conversation written by version 1 has none until the migration counts it", async () => {
    const t = setup();
    const c = conversation();
    await t.run(async (ctx) => {
      await ctx.db.insert("conversations", c as any);
    });
    const m = message(c.clientId);
    await insert(t, "messages", m);
    expect(await countOf(t, c.clientId)).toBeUndefined();
    await t.mutation(fn.remove, { table: "messages", clientId: m.clientId });
    expect(await countOf(t, c.clientId)).toBeUndefined();
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toEqual(c);
  });

  test("messages in no conversation count nowhere", async () => {
    const t = setup();
    const m = message(uuid());
    await insert(t, "messages", m);
    await t.mutation(fn.remove, { table: "messages", clientId: m.clientId });
    expect(await t.run((ctx) => ctx.db.query("conversations").collect())).toEqual([]);
  });

  test("a cascade keeps a conversation written again meanwhile exact", async () => {
    vi.useFakeTimers();
    const t = setup();
    const c = conversation();
    const total = CASCADE_BATCH + 5;
    await t.run(async (ctx) => {
      for (let i = 0; i < total; i++) {
        await ctx.db.insert("messages", message(c.clientId, { createdAt: i }));
      }
    });
    expect(await insert(t, "conversations", c)).toMatchObject({ messageCount: total });
    await t.mutation(fn.remove, { table: "conversations", clientId: c.clientId });
    // Written again while the rest of the cascade waits: it counts what is left...
    expect(await insert(t, "conversations", c)).toMatchObject({ messageCount: 5 });
    // ...and the cascade, taking those, takes them off its count.
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.run((ctx) => ctx.db.query("messages").collect())).toHaveLength(0);
    expect(await countOf(t, c.clientId)).toBe(0);
  });
});
