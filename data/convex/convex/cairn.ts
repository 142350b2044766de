// What Cairn asks first: is this a deployment with the Cairn functions, which
// schema version do they speak, and does the data still need migrating? And
// how is the deployment doing (cairn:health)?
import { internalMutation, internalQuery } from "./_generated/server";
import { writeMeta } from "./meta";
import { pendingMigrations } from "./migrations";
import { CONTENT_TABLE_NAMES, SCHEMA_VERSION } from "./tables";

export const ping = internalQuery({
  args: {},
  handler: async (ctx) => ({
    app: "cairn",
    schemaVersion: SCHEMA_VERSION,
    tables: CONTENT_TABLE_NAMES,
    pendingMigrations: await pendingMigrations(ctx),
  }),
});

/**
 * A read (the first conversation) and a write (the meta row "heartbeat",
 * {at}), each timed. The times are what the function saw; the caller times
 * the whole round trip. A read or write that fails fails the call: when it
 * answers, both worked.
 */
export const health = internalMutation({
  args: {},
  handler: async (ctx) => {
    const serverTime = Date.now();
    await ctx.db.query("conversations").first();
    const read = { ok: true, ms: Date.now() - serverTime };
    const writeStart = Date.now();
    await writeMeta(ctx, "heartbeat", { at: serverTime });
    const write = { ok: true, ms: Date.now() - writeStart };
    return {
      status: "ok",
      serverTime,
      schemaVersion: SCHEMA_VERSION,
      pendingMigrations: await pendingMigrations(ctx),
      read,
      write,
    };
  },
});
