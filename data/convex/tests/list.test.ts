// documents:list: index ranges the way Cairn's CairnQuery reads them, paged
// through in both orders.
import { describe, expect, test } from "vitest";
import { MAX_PAGE_SIZE } from "../convex/documents";
import { conversation, counted, fn, message, refusal, setup, uuid } from "./setup";

type Doc = Record<string, any>;
type Bound = { value: unknown; inclusive: boolean };
type Range = { index: string; equal: unknown[]; lower?: Bound; upper?: Bound };

/** Every page of a listing, checking the page sizes on the way. */
async function pageThrough(
  t: ReturnType<typeof setup>,
  table: string,
  range: Range,
  order: "asc" | "desc",
  numItems: number,
) {
  const docs: Doc[] = [];
  let cursor: string | null = null;
  let pages = 0;
  for (;;) {
    const result: any = await t.query(fn.list, { table, ...range, order, paginationOpts: { numItems, cursor } });
    expect(result.page.length).toBeLessThanOrEqual(numItems);
    for (const doc of result.page) {
      expect(doc).not.toHaveProperty("_id");
      expect(doc).not.toHaveProperty("_creationTime");
    }
    docs.push(...result.page);
    pages += 1;
    if (result.isDone) break;
    expect(typeof result.continueCursor).toBe("string");
    cursor = result.continueCursor;
    expect(pages).toBeLessThan(100);
  }
  return { docs, pages };
}

function inRange(value: number, range: Range) {
  const { lower, upper } = range;
  if (lower && (lower.inclusive ? value < (lower.value as number) : value <= (lower.value as number))) return false;
  if (upper && (upper.inclusive ? value > (upper.value as number) : value >= (upper.value as number))) return false;
  return true;
}

describe("documents:list", () => {
  // 3 conversations x 23 messages, with distinct createdAt per conversation.
  async function messages() {
    const t = setup();
    const conversations = [conversation(), conversation(), conversation()];
    const all: Doc[] = [];
    for (const c of conversations) {
      await t.mutation(fn.insert, { table: "conversations", document: c });
    }
    // Inserted out of order, so the index, not the insertion, orders them.
    for (let i = 0; i < 23; i++) {
      for (const c of conversations) {
        const m = message(c.clientId, { createdAt: (i * 7) % 23, content: `m${i}` });
        all.push(m);
        await t.mutation(fn.insert, { table: "messages", document: m });
      }
    }
    return { t, conversations, all };
  }

  const ranges: [string, Partial<Range>][] = [
    ["no bound", {}],
    ["lower inclusive", { lower: { value: 5, inclusive: true } }],
    ["lower exclusive", { lower: { value: 5, inclusive: false } }],
    ["upper inclusive", { upper: { value: 17, inclusive: true } }],
    ["upper exclusive", { upper: { value: 17, inclusive: false } }],
    ["both bounds", { lower: { value: 3, inclusive: false }, upper: { value: 20, inclusive: true } }],
    ["empty range", { lower: { value: 10, inclusive: false }, upper: { value: 10, inclusive: false } }],
  ];

  for (const [name, bounds] of ranges) {
    for (const order of ["asc", "desc"] as const) {
      test(`messages of one conversation, ${name}, ${order}, in pages`, async () => {
        const { t, conversations, all } = await messages();
        const c = conversations[1];
        const range: Range = { index: "by_conversation", equal: [c.clientId], ...bounds };
        const expected = all
          .filter((m) => m.conversationId === c.clientId && inRange(m.createdAt, range))
          .sort((a, b) => (order === "asc" ? a.createdAt - b.createdAt : b.createdAt - a.createdAt));
        const { docs, pages } = await pageThrough(t, "messages", range, order, 4);
        expect(docs).toEqual(expected);
        if (expected.length > 8) expect(pages).toBeGreaterThanOrEqual(3);
      });
    }
  }

  test("both equal values of a two-field index", async () => {
    const { t, conversations, all } = await messages();
    const c = conversations[2];
    const range = { index: "by_conversation", equal: [c.clientId, 11] };
    const { docs } = await pageThrough(t, "messages", range, "asc", 10);
    expect(docs).toEqual(all.filter((m) => m.conversationId === c.clientId && m.createdAt === 11));
    expect(docs).toHaveLength(1);
  });

  test("a whole table through its by_clientId index", async () => {
    const { t, all } = await messages();
    const { docs, pages } = await pageThrough(t, "messages", { index: "by_clientId", equal: [] }, "desc", 10);
    expect(docs.map((d) => d.clientId)).toEqual(all.map((d) => d.clientId).sort().reverse());
    expect(pages).toBe(7);
  });

  test("archived conversations by update time, equal prefix on a boolean", async () => {
    const t = setup();
    const docs: Doc[] = [];
    for (let i = 0; i < 30; i++) {
      const doc = conversation({ archived: i % 3 === 0, updatedAt: 1000 + ((i * 11) % 30) });
      docs.push(doc);
      await t.mutation(fn.insert, { table: "conversations", document: doc });
    }
    for (const archived of [true, false]) {
      for (const order of ["asc", "desc"] as const) {
        const range: Range = {
          index: "by_archived_updatedAt",
          equal: [archived],
          lower: { value: 1005, inclusive: true },
          upper: { value: 1025, inclusive: false },
        };
        const expected = docs
          .filter((d) => d.archived === archived && inRange(d.updatedAt, range))
          .sort((a, b) => (order === "asc" ? a.updatedAt - b.updatedAt : b.updatedAt - a.updatedAt))
          .map((d) => counted(d));
        expect((await pageThrough(t, "conversations", range, order, 3)).docs).toEqual(expected);
      }
    }
  });

  test("notes by update time, newest first", async () => {
    const t = setup();
    for (let i = 0; i < 12; i++) {
      await t.mutation(fn.insert, { table: "notes", document: { clientId: uuid(), title: `n${i}`, content: "", pinned: false, createdAt: i, updatedAt: 100 - i } });
    }
    const { docs } = await pageThrough(t, "notes", { index: "by_updatedAt", equal: [] }, "desc", 5);
    expect(docs.map((d) => d.title)).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`));
  });

  test("an empty table is one empty, finished page", async () => {
    const t = setup();
    const result: any = await t.query(fn.list, {
      table: "notes", index: "by_updatedAt", equal: [], order: "asc", paginationOpts: { numItems: 10, cursor: null },
    });
    expect(result.page).toEqual([]);
    expect(result.isDone).toBe(true);
  });

  test("documents written between pages show up on later pages", async () => {
    const t = setup();
    for (const updatedAt of [1, 2, 3, 4]) {
      await t.mutation(fn.insert, { table: "conversations", document: conversation({ updatedAt }) });
    }
    const opts = { table: "conversations", index: "by_updatedAt", equal: [], order: "asc" };
    const first: any = await t.query(fn.list, { ...opts, paginationOpts: { numItems: 2, cursor: null } });
    await t.mutation(fn.insert, { table: "conversations", document: conversation({ updatedAt: 10 }) });
    const second: any = await t.query(fn.list, { ...opts, paginationOpts: { numItems: 10, cursor: first.continueCursor } });
    expect([...first.page, ...second.page].map((d: Doc) => d.updatedAt)).toEqual([1, 2, 3, 4, 10]);
  });

  describe("refusals", () => {
    const base = { table: "messages", index: "by_conversation", equal: [] as unknown[], order: "asc", paginationOpts: { numItems: 10, cursor: null } };

    test("an index the table does not have", async () => {
      const t = setup();
      await expect(t.query(fn.list, { ...base, index: "by_updatedAt" })).rejects.toMatchObject(
        refusal("UnknownIndex", "The table “messages” has no index “by_updatedAt” (expected one of: by_clientId, by_conversation)."),
      );
      await expect(t.query(fn.list, { ...base, index: "by_creation_time" })).rejects.toMatchObject(refusal("UnknownIndex"));
    });

    test("more equal values than index fields", async () => {
      const t = setup();
      await expect(t.query(fn.list, { ...base, equal: [uuid(), 1, 2] })).rejects.toMatchObject(refusal("InvalidRange"));
    });

    test("a bound with no field left for it", async () => {
      const t = setup();
      await expect(t.query(fn.list, { ...base, equal: [uuid(), 1], lower: { value: 1, inclusive: true } }))
        .rejects.toMatchObject(refusal("InvalidRange", /no field left for a lower bound/));
    });

    test("values of the wrong type", async () => {
      const t = setup();
      await expect(t.query(fn.list, { ...base, equal: [42] }))
        .rejects.toMatchObject(refusal("InvalidRange", "The equal value for “conversationId” does not fit its type."));
      await expect(t.query(fn.list, { ...base, equal: [uuid()], upper: { value: "late", inclusive: true } }))
        .rejects.toMatchObject(refusal("InvalidRange", "The upper bound for “createdAt” does not fit its type."));
    });

    test("page sizes out of range", async () => {
      const t = setup();
      for (const numItems of [0, -1, 1.5, MAX_PAGE_SIZE + 1]) {
        await expect(t.query(fn.list, { ...base, paginationOpts: { numItems, cursor: null } }))
          .rejects.toMatchObject(refusal("InvalidRange", /page size/));
      }
    });

    test("a cursor that is not one of this listing's", async () => {
      const t = setup();
      for (const cursor of ["", "not a cursor"]) {
        await expect(t.query(fn.list, { ...base, paginationOpts: { numItems: 10, cursor } }))
          .rejects.toMatchObject(refusal("InvalidCursor", /start again from the first page/));
      }
    });

    test("an unknown order", async () => {
      const t = setup();
      await expect(t.query(fn.list, { ...base, order: "random" })).rejects.toThrow(/"random"/);
    });
  });
});
