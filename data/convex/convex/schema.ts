import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { conversationFields, messageFields, noteFields } from "./tables";

export default defineSchema({
  // Content: the user's own data (see tables.ts).
  conversations: defineTable(conversationFields)
    .index("by_clientId", ["clientId"])
    .index("by_updatedAt", ["updatedAt"])
    .index("by_archived_updatedAt", ["archived", "updatedAt"]),
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
  migrations: defineTable({
    id: v.string(),
    version: v.number(),
    name: v.string(),
    status: v.union(
      v.literal("pending"),
      v.literal("running"),
      v.literal("completed"),
      v.literal("failed"),
      v.literal("skipped"),
    ),
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
    error: v.optional(v.string()),
    leaseOwner: v.optional(v.string()),
    leaseExpiresAt: v.optional(v.number()),
  }).index("by_migrationId", ["id"]),
});
