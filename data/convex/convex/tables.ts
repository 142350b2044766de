// The shape of Cairn's content, shared by the schema and the functions.
//
// It mirrors the C app's schema (src/core/cairn-schema.c) field for field and
// index for index: keep the two in step, and bump SCHEMA_VERSION together with
// CAIRN_SCHEMA_VERSION (meson.build) when the shape changes.
import { v, type GenericValidator } from "convex/values";

/**
 * The version of these functions and of the schema they expect.
 *
 * 2: conversations carry messageCount, kept by the functions (migration
 * 0002_message_counts fills it in on data written by version 1).
 */
export const SCHEMA_VERSION = 2;

export const conversationFields = {
  clientId: v.string(),
  title: v.string(),
  pinned: v.boolean(),
  archived: v.boolean(),
  createdAt: v.number(),
  updatedAt: v.number(),
  // Kept by the functions, never by a client (see CONTENT_TABLES' countField).
  // Optional for good, not only for the migration: documents written by
  // version 1 lack it until 0002_message_counts has run, and Convex refuses
  // a schema that existing documents do not fit. Tightening it to required
  // would be a later version, pushed once every document has it.
  messageCount: v.optional(v.number()),
};

export const messageFields = {
  clientId: v.string(),
  conversationId: v.string(),
  role: v.string(),
  content: v.string(),
  createdAt: v.number(),
};

export const noteFields = {
  clientId: v.string(),
  title: v.string(),
  content: v.string(),
  pinned: v.boolean(),
  createdAt: v.number(),
  updatedAt: v.number(),
};

type TableSpec = {
  fields: Record<string, GenericValidator>;
  /** index name -> the fields it orders by, in order (the ones clients list by; Cairn's local store has them too) */
  indexes: Record<string, readonly string[]>;
  /** more indexes, for the functions' own use only */
  ownIndexes?: Record<string, readonly string[]>;
  /**
   * Rows of another table that belong to a row of this one (their `field`
   * holds its clientId; `index` starts with that field): they go away with
   * it, and its `countField`, when there is one, counts them.
   */
  children?: { table: ContentTable; field: string; index: string; countField?: string };
};

export const CONTENT_TABLES = {
  conversations: {
    fields: conversationFields,
    indexes: {
      by_clientId: ["clientId"],
      by_updatedAt: ["updatedAt"],
      by_archived_updatedAt: ["archived", "updatedAt"],
    },
    ownIndexes: {
      // Missing values sort first: a conversation version 1 wrote, still
      // without its count, is found without a table scan.
      by_messageCount: ["messageCount"],
    },
    children: { table: "messages", field: "conversationId", index: "by_conversation", countField: "messageCount" },
  },
  messages: {
    fields: messageFields,
    indexes: {
      by_clientId: ["clientId"],
      by_conversation: ["conversationId", "createdAt"],
    },
  },
  notes: {
    fields: noteFields,
    indexes: {
      by_clientId: ["clientId"],
      by_updatedAt: ["updatedAt"],
    },
  },
} satisfies Record<string, TableSpec>;

export type ContentTable = "conversations" | "messages" | "notes";

export const CONTENT_TABLE_NAMES = Object.keys(CONTENT_TABLES) as ContentTable[];

export type Children = NonNullable<TableSpec["children"]>;

/** The rows that belong to a row of @table, if any. */
export function childrenOf(table: ContentTable): Children | undefined {
  return (CONTENT_TABLES[table] as TableSpec).children;
}

/** The table a row of @table belongs to, and how, if it belongs to one. */
export function parentOf(table: ContentTable): { table: ContentTable; children: Children } | undefined {
  for (const parent of CONTENT_TABLE_NAMES) {
    const children = childrenOf(parent);
    if (children?.table === table) return { table: parent, children };
  }
  return undefined;
}

/** The fields of @table the functions keep themselves: what a client sends for them is ignored. */
export function keptFields(table: ContentTable): string[] {
  const countField = childrenOf(table)?.countField;
  return countField === undefined ? [] : [countField];
}

export const MIGRATION_STATUSES = ["pending", "running", "completed", "failed", "skipped"] as const;
