// Cairn's own key/value rows on the user's deployment (the table "meta"):
// the migration lease ("migrationLease", migrations.ts) and the heartbeat
// cairn:health writes ("heartbeat").
import type { Value } from "convex/values";
import type { MutationCtx, QueryCtx } from "./_generated/server";

export async function readMeta(ctx: QueryCtx, key: string): Promise<Value | undefined> {
  const row = await ctx.db.query("meta").withIndex("by_key", (q) => q.eq("key", key)).unique();
  return row?.value;
}

export async function writeMeta(ctx: MutationCtx, key: string, value: Value): Promise<void> {
  const row = await ctx.db.query("meta").withIndex("by_key", (q) => q.eq("key", key)).unique();
  if (row === null) {
    await ctx.db.insert("meta", { key, value });
  } else {
    await ctx.db.patch(row._id, { value });
  }
}

export async function deleteMeta(ctx: MutationCtx, key: string): Promise<void> {
  const row = await ctx.db.query("meta").withIndex("by_key", (q) => q.eq("key", key)).unique();
  if (row !== null) {
    await ctx.db.delete(row._id);
  }
}
