import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { conversationFields, messageFields, MIGRATION_STATUSES, noteFields } from "./tables";

export default defineSchema({
  // Content: the user's own data (see tables.ts).
  conversations: defineTable(conversationFields)
    .index("by_clientId", ["clientId"])
    .index("by_updatedAt", ["updatedAt"])
    .index("by_archived_updatedAt", ["archived", "updatedAt"])
    .index("by_messageCount", ["messageCount"]),
  messages: defineTable(messageFields)
    .index("by_clientId", ["clientId"])
    .index("by_conversation", ["conversationId", "createdAt"]),
  notes: defineTable(noteFields)
    .index("by_clientId", ["clientId"])
    .index("by_updatedAt", ["updatedAt"]),

  // Cairn's own bookkeeping on the user's deployment.
  meta: defineTable({
    key: v.string(),
    value: v.any(),
  }).index("by_key", ["key"]),
  // One record per migration that has been started (see migrations.ts); the
  // migration lease is the meta row "migrationLease".
  migrations: defineTable({
    migrationId: v.string(),
    version: v.number(),
    name: v.string(),
    description: v.string(),
    status: v.union(...MIGRATION_STATUSES.map((status) => v.literal(status))),
    /** where the next batch starts, in the migration's own terms; null: from the beginning */
    cursor: v.optional(v.union(v.string(), v.null())),
    /** documents changed so far by the current run */
    processed: v.number(),
    error: v.optional(v.string()),
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_migrationId", ["migrationId"]),
});
