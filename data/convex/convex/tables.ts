// The shape of Cairn's content, shared by the schema and the functions.
//
// It mirrors the C app's schema (src/core/cairn-schema.c) field for field and
// index for index: keep the two in step, and bump SCHEMA_VERSION together with
// CAIRN_SCHEMA_VERSION (meson.build) when the shape changes.
import { v, type GenericValidator } from "convex/values";

/** The version of these functions and of the schema they expect. */
export const SCHEMA_VERSION = 1;

export const conversationFields = {
  clientId: v.string(),
  title: v.string(),
  pinned: v.boolean(),
  archived: v.boolean(),
  createdAt: v.number(),
  updatedAt: v.number(),
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
  /** index name -> the fields it orders by, in order */
  indexes: Record<string, readonly string[]>;
  /** rows of another table that go away with a row of this one */
  children?: { table: ContentTable; field: string; index: string };
};

export const CONTENT_TABLES = {
  conversations: {
    fields: conversationFields,
    indexes: {
      by_clientId: ["clientId"],
      by_updatedAt: ["updatedAt"],
      by_archived_updatedAt: ["archived", "updatedAt"],
    },
    children: { table: "messages", field: "conversationId", index: "by_conversation" },
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

export const MIGRATION_STATUSES = ["pending", "running", "completed", "failed", "skipped"] as const;
