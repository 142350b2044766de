// documents:get, insert, patch and remove: idempotency, the cascade and the
// refusals of bad input.
import { afterEach, describe, expect, test, vi } from "vitest";
import { CASCADE_BATCH } from "../convex/documents";
import { conversation, counted, fn, message, note, refusal, setup, uuid } from "./setup";

describe("documents:insert and documents:get", () => {
  test("a stored document comes back with only its schema fields", async () => {
    const t = setup();
    const doc = conversation({ title: "Plans", pinned: true });
    expect(await t.mutation(fn.insert, { table: "conversations", document: doc })).toEqual(counted(doc));
    const got = await t.query(fn.get, { table: "conversations", clientId: doc.clientId });
    expect(got).toEqual(counted(doc));
    expect(got).not.toHaveProperty("_id");
    expect(got).not.toHaveProperty("_creationTime");
  });

  test("every content table takes its documents", async () => {
    const t = setup();
    const c = conversation();
    const m = message(c.clientId);
    const n = note();
    for (const [table, doc, stored] of [["conversations", c, counted(c)], ["messages", m, m], ["notes", n, n]] as const) {
      await t.mutation(fn.insert, { table, document: doc });
      expect(await t.query(fn.get, { table, clientId: doc.clientId })).toEqual(stored);
    }
  });

  test("get of an unknown clientId is null", async () => {
    const t = setup();
    expect(await t.query(fn.get, { table: "notes", clientId: uuid() })).toBeNull();
  });

  test("insert is idempotent on the clientId", async () => {
    const t = setup();
    const first = note({ title: "First" });
    await t.mutation(fn.insert, { table: "notes", document: first });
    // A replay, even with other content, returns what is stored and changes nothing.
    const replay = await t.mutation(fn.insert, { table: "notes", document: { ...first, title: "Second" } });
    expect(replay).toEqual(first);
    const rows = await t.run((ctx) => ctx.db.query("notes").collect());
    expect(rows).toHaveLength(1);
    expect(rows[0].title).toBe("First");
  });

  test("the same clientId in two tables is two documents", async () => {
    const t = setup();
    const clientId = uuid();
    await t.mutation(fn.insert, { table: "notes", document: note({ clientId }) });
    await t.mutation(fn.insert, { table: "conversations", document: conversation({ clientId }) });
    expect(await t.query(fn.get, { table: "conversations", clientId })).toMatchObject({ clientId, archived: false });
  });
});

describe("refusals", () => {
  test("a missing field is named", async () => {
    const t = setup();
    const { title, ...doc } = conversation();
    await expect(t.mutation(fn.insert, { table: "conversations", document: doc }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The document for “conversations” lacks the field “title”."));
  });

  test("a field of the wrong type is named", async () => {
    const t = setup();
    await expect(t.mutation(fn.insert, { table: "conversations", document: conversation({ pinned: "yes" }) }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The field “pinned” of “conversations” must be a boolean."));
    await expect(t.mutation(fn.insert, { table: "messages", document: message(uuid(), { createdAt: "now" }) }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The field “createdAt” of “messages” must be a number."));
    await expect(t.mutation(fn.insert, { table: "notes", document: note({ content: null }) }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The field “content” of “notes” must be a string."));
  });

  test("an unknown field is named", async () => {
    const t = setup();
    await expect(t.mutation(fn.insert, { table: "notes", document: note({ colour: "red" }) }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The table “notes” has no field “colour”."));
  });

  test("a document must be an object", async () => {
    const t = setup();
    await expect(t.mutation(fn.insert, { table: "notes", document: [1, 2] }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The document for “notes” must be an object."));
  });

  test("the clientId must be a UUID", async () => {
    const t = setup();
    await expect(t.mutation(fn.insert, { table: "notes", document: note({ clientId: "note-1" }) }))
      .rejects.toMatchObject(refusal("InvalidDocument", "The field “clientId” of “notes” must be a UUID."));
    await expect(t.query(fn.get, { table: "notes", clientId: "note-1" }))
      .rejects.toMatchObject(refusal("InvalidClientId", 'The clientId "note-1" is not a UUID.'));
    await expect(t.mutation(fn.patch, { table: "notes", clientId: "x", fields: { title: "t" } }))
      .rejects.toMatchObject(refusal("InvalidClientId"));
    await expect(t.mutation(fn.remove, { table: "notes", clientId: "" }))
      .rejects.toMatchObject(refusal("InvalidClientId"));
  });

  test("only the content tables are reachable", async () => {
    const t = setup();
    for (const table of ["meta", "migrations", "drafts", "users", "__proto__", "toString"]) {
      const expected = refusal("UnknownTable", new RegExp(`^“${table}” is not a Cairn content table \\(expected one of: conversations, messages, notes\\)\\.$`));
      await expect(t.query(fn.get, { table, clientId: uuid() })).rejects.toMatchObject(expected);
      await expect(t.mutation(fn.insert, { table, document: { clientId: uuid(), key: "k", value: 1 } })).rejects.toMatchObject(expected);
      await expect(t.mutation(fn.patch, { table, clientId: uuid(), fields: { value: 2 } })).rejects.toMatchObject(expected);
      await expect(t.mutation(fn.remove, { table, clientId: uuid() })).rejects.toMatchObject(expected);
      await expect(t.query(fn.list, { table, index: "by_key", equal: [], order: "asc", paginationOpts: { numItems: 5, cursor: null } }))
        .rejects.toMatchObject(expected);
    }
    expect(await t.run((ctx) => ctx.db.query("meta").collect())).toEqual([]);
  });

  test("arguments are checked by the validators", async () => {
    // (convex-test words these its own way; a deployment names the path too.)
    const t = setup();
    await expect(t.query(fn.get, { table: "notes" } as any)).rejects.toThrow(/clientId/);
    await expect(t.mutation(fn.insert, { table: 3, document: note() } as any)).rejects.toThrow(/Expected `string`, got `3`/);
    await expect(t.mutation(fn.remove, { table: "notes", clientId: uuid(), extra: 1 } as any)).rejects.toThrow(/extra/);
  });
});

describe("documents:patch", () => {
  test("changes the given fields and returns the document", async () => {
    const t = setup();
    const doc = conversation();
    await t.mutation(fn.insert, { table: "conversations", document: doc });
    const patched = await t.mutation(fn.patch, {
      table: "conversations",
      clientId: doc.clientId,
      fields: { title: "Renamed", archived: true, updatedAt: 2000 },
    });
    const expected = counted({ ...doc, title: "Renamed", archived: true, updatedAt: 2000 });
    expect(patched).toEqual(expected);
    expect(await t.query(fn.get, { table: "conversations", clientId: doc.clientId })).toEqual(expected);
  });

  test("is safe to replay", async () => {
    const t = setup();
    const doc = note();
    await t.mutation(fn.insert, { table: "notes", document: doc });
    const change = { table: "notes", clientId: doc.clientId, fields: { pinned: true } };
    const once = await t.mutation(fn.patch, change);
    expect(await t.mutation(fn.patch, change)).toEqual(once);
  });

  test("a missing document is a clear error", async () => {
    const t = setup();
    const clientId = uuid();
    await expect(t.mutation(fn.patch, { table: "notes", clientId, fields: { title: "x" } }))
      .rejects.toMatchObject(refusal("NotFound", `No document with clientId ${clientId} in notes.`));
  });

  test("bad changes are refused and change nothing", async () => {
    const t = setup();
    const doc = note();
    await t.mutation(fn.insert, { table: "notes", document: doc });
    const patch = (fields: unknown) => t.mutation(fn.patch, { table: "notes", clientId: doc.clientId, fields });
    await expect(patch({})).rejects.toMatchObject(refusal("InvalidDocument", "The change is empty."));
    await expect(patch({ clientId: uuid() })).rejects.toMatchObject(refusal("InvalidDocument", "The field “clientId” cannot be changed."));
    await expect(patch({ title: 5 })).rejects.toMatchObject(refusal("InvalidDocument", "The field “title” of “notes” must be a string."));
    await expect(patch({ title: "ok", archived: true })).rejects.toMatchObject(refusal("InvalidDocument", "The table “notes” has no field “archived”."));
    await expect(patch("title")).rejects.toMatchObject(refusal("InvalidDocument", "The change for “notes” must be an object."));
    expect(await t.query(fn.get, { table: "notes", clientId: doc.clientId })).toEqual(doc);
  });
});

describe("documents:remove", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("removes a document and returns null", async () => {
    const t = setup();
    const doc = note();
    await t.mutation(fn.insert, { table: "notes", document: doc });
    expect(await t.mutation(fn.remove, { table: "notes", clientId: doc.clientId })).toBeNull();
    expect(await t.query(fn.get, { table: "notes", clientId: doc.clientId })).toBeNull();
  });

  test("succeeds when the document is missing (a replay)", async () => {
    const t = setup();
    expect(await t.mutation(fn.remove, { table: "messages", clientId: uuid() })).toBeNull();
  });

  test("removing a conversation removes its messages, and only its", async () => {
    const t = setup();
    const doomed = conversation();
    const kept = conversation();
    await t.mutation(fn.insert, { table: "conversations", document: doomed });
    await t.mutation(fn.insert, { table: "conversations", document: kept });
    for (let i = 0; i < 5; i++) {
      await t.mutation(fn.insert, { table: "messages", document: message(doomed.clientId, { createdAt: i }) });
      await t.mutation(fn.insert, { table: "messages", document: message(kept.clientId, { createdAt: i }) });
    }
    await t.mutation(fn.remove, { table: "conversations", clientId: doomed.clientId });
    const messages = await t.run((ctx) => ctx.db.query("messages").collect());
    expect(messages).toHaveLength(5);
    expect(messages.every((m) => m.conversationId === kept.clientId)).toBe(true);
    expect(await t.run((ctx) => ctx.db.query("conversations").collect())).toHaveLength(1);
  });

  test("removing a message or a note cascades nowhere", async () => {
    const t = setup();
    const c = conversation();
    const m = message(c.clientId);
    await t.mutation(fn.insert, { table: "conversations", document: c });
    await t.mutation(fn.insert, { table: "messages", document: m });
    await t.mutation(fn.remove, { table: "messages", clientId: m.clientId });
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toEqual(counted(c));
  });

  test("a conversation with more messages than one batch is emptied in several transactions", async () => {
    vi.useFakeTimers();
    const t = setup();
    const c = conversation();
    await t.mutation(fn.insert, { table: "conversations", document: c });
    const total = CASCADE_BATCH * 2 + 7;
    await t.run(async (ctx) => {
      for (let i = 0; i < total; i++) {
        await ctx.db.insert("messages", message(c.clientId, { createdAt: i }));
      }
    });
    await t.mutation(fn.remove, { table: "conversations", clientId: c.clientId });
    // The first transaction took one batch and left the rest to scheduled ones.
    expect(await t.run((ctx) => ctx.db.query("messages").collect())).toHaveLength(total - CASCADE_BATCH);
    expect(await t.query(fn.get, { table: "conversations", clientId: c.clientId })).toBeNull();
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.run((ctx) => ctx.db.query("messages").collect())).toHaveLength(0);
  });

  test("a replayed remove finishes a cascade left behind", async () => {
    const t = setup();
    const c = conversation();
    // Messages whose conversation is already gone (an interrupted cascade).
    for (let i = 0; i < 3; i++) {
      await t.mutation(fn.insert, { table: "messages", document: message(c.clientId, { createdAt: i }) });
    }
    await t.mutation(fn.remove, { table: "conversations", clientId: c.clientId });
    expect(await t.run((ctx) => ctx.db.query("messages").collect())).toHaveLength(0);
  });
});
