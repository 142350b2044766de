// The functions' view of the schema: ping, and the schema mirroring both
// tables.ts and the C app's schema (src/core/cairn-schema.c).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import schema from "../convex/schema";
import { CONTENT_TABLES, SCHEMA_VERSION } from "../convex/tables";
import { fn, setup } from "./setup";

const C_SCHEMA = fileURLToPath(new URL("../../../src/core/cairn-schema.c", import.meta.url));
const MESON_BUILD = fileURLToPath(new URL("../../../meson.build", import.meta.url));
const FUNCTIONS_DIR = fileURLToPath(new URL("../convex/", import.meta.url));

type IndexJson = { indexDescriptor: string; fields: string[] };
type TableJson = { tableName: string; indexes: IndexJson[]; documentType: { type: string; value: Record<string, { fieldType: { type: string }; optional: boolean }> } };

function exportedTables(): TableJson[] {
  return JSON.parse((schema as any).export()).tables;
}

describe("cairn:ping", () => {
  test("names the app, the schema version and the content tables", async () => {
    const t = setup();
    expect(await t.query(fn.ping, {})).toEqual({
      app: "cairn",
      schemaVersion: 2,
      tables: ["conversations", "messages", "notes"],
      pendingMigrations: [],
    });
  });
});

describe("schema", () => {
  test("has the content tables and Cairn's own", () => {
    expect(exportedTables().map((t) => t.tableName).sort()).toEqual(
      ["conversations", "messages", "meta", "migrations", "notes"],
    );
  });

  test("indexes and fields of the content tables match tables.ts", () => {
    for (const table of exportedTables()) {
      const spec = (CONTENT_TABLES as Record<string, { fields: object; indexes: object; ownIndexes?: object }>)[table.tableName];
      if (spec === undefined) continue;
      const indexes = Object.fromEntries(table.indexes.map((i) => [i.indexDescriptor, i.fields]));
      expect(indexes, table.tableName).toEqual({ ...spec.indexes, ...spec.ownIndexes });
      expect(Object.keys(table.documentType.value).sort(), table.tableName).toEqual(Object.keys(spec.fields).sort());
    }
  });

  test("a conversation's messageCount is optional and indexed", () => {
    // Optional: documents written by version 1 lack it (expand/contract).
    const conversations = exportedTables().find((t) => t.tableName === "conversations")!;
    expect(conversations.documentType.value.messageCount).toEqual({ fieldType: { type: "number" }, optional: true });
    for (const [field, { optional }] of Object.entries(conversations.documentType.value)) {
      if (field !== "messageCount") expect(optional, field).toBe(false);
    }
    expect(conversations.indexes).toContainEqual({ indexDescriptor: "by_messageCount", fields: ["messageCount"] });
  });

  test("meta and migrations have their indexes", () => {
    const byName = Object.fromEntries(exportedTables().map((t) => [t.tableName, t]));
    expect(byName.meta.indexes).toEqual([{ indexDescriptor: "by_key", fields: ["key"] }]);
    expect(byName.migrations.indexes).toEqual([{ indexDescriptor: "by_migrationId", fields: ["migrationId"] }]);
    const migration = byName.migrations.documentType.value;
    expect(Object.keys(migration).sort()).toEqual([
      "completedAt", "createdAt", "cursor", "description", "error", "migrationId", "name", "processed",
      "startedAt", "status", "updatedAt", "version",
    ]);
    for (const optional of ["cursor", "error", "startedAt", "completedAt"]) {
      expect(migration[optional].optional, optional).toBe(true);
    }
    for (const required of ["migrationId", "version", "name", "description", "status", "processed", "createdAt", "updatedAt"]) {
      expect(migration[required].optional, required).toBe(false);
    }
  });
});

// The C app is the other half of the contract: same fields, same types, same
// indexes, same version. Parsed from its source so a change there fails here.
describe.skipIf(!existsSync(C_SCHEMA))("the C app's schema", () => {
  const source = existsSync(C_SCHEMA) ? readFileSync(C_SCHEMA, "utf8") : "";

  function block(name: string): string {
    const match = new RegExp(`${name}\\[\\] = \\{([\\s\\S]*?)\\n\\};`).exec(source);
    if (match === null) throw new Error(`no ${name} in cairn-schema.c`);
    return match[1];
  }

  const C_TYPES: Record<string, string> = {
    CAIRN_FIELD_STRING: "string",
    CAIRN_FIELD_BOOLEAN: "boolean",
    CAIRN_FIELD_NUMBER: "number",
  };
  const CONVEX_TYPES: Record<string, string> = { string: "string", boolean: "boolean", number: "number" };

  for (const [table, prefix] of [["conversations", "conversation"], ["messages", "message"], ["notes", "note"]]) {
    test(`${table} has the same fields and indexes`, () => {
      // { "name", CAIRN_FIELD_TYPE } or { "name", CAIRN_FIELD_TYPE, .optional = TRUE }
      const cFields = [...block(`${prefix}_fields`).matchAll(/\{\s*"(\w+)",\s*(\w+)\s*(,\s*\.optional\s*=\s*TRUE\s*)?\}/g)]
        .map(([, name, type, optional]) => [name, `${C_TYPES[type]}${optional ? "?" : ""}`]);
      const tableJson = exportedTables().find((t) => t.tableName === table)!;
      const convexFields = Object.entries(tableJson.documentType.value)
        .map(([name, f]) => [name, `${CONVEX_TYPES[f.fieldType.type]}${f.optional ? "?" : ""}`]);
      expect(Object.fromEntries(convexFields)).toEqual(Object.fromEntries(cFields));

      const cIndexes = [...block(`${prefix}_indexes`).matchAll(/\{\s*"(\w+)",\s*\{([^}]*)\}\s*\}/g)]
        .map(([, name, fields]) => [name, [...fields.matchAll(/"(\w+)"/g)].map((m) => m[1])]);
      // (The functions' own indexes are theirs alone.)
      expect(CONTENT_TABLES[table as keyof typeof CONTENT_TABLES].indexes).toEqual(Object.fromEntries(cIndexes));
    });
  }

  test.skipIf(!existsSync(MESON_BUILD))("SCHEMA_VERSION is CAIRN_SCHEMA_VERSION", () => {
    const match = /'CAIRN_SCHEMA_VERSION',\s*(\d+)/.exec(readFileSync(MESON_BUILD, "utf8"));
    expect(match).not.toBeNull();
    expect(SCHEMA_VERSION).toBe(Number(match![1]));
  });
});

describe("convex/_generated/api.d.ts", () => {
  test("names every module of the functions folder", () => {
    const api = readFileSync(`${FUNCTIONS_DIR}_generated/api.d.ts`, "utf8");
    const listed = [...api.matchAll(/import type \* as (\w+) from "\.\.\/(\w+)\.js";/g)].map((m) => m[2]);
    const modules = readdirSync(FUNCTIONS_DIR)
      .filter((f) => /^\w+\.ts$/.test(f) && f !== "schema.ts")
      .map((f) => f.replace(/\.ts$/, ""));
    expect(listed.sort()).toEqual(modules.sort());
  });
});
