// Refusing bad input with errors the caller can act on.
//
// Every refusal is a ConvexError whose data is {code, message}: unlike a plain
// Error, whose text a production deployment replaces with "Server Error", the
// data of a ConvexError always reaches the caller (as "errorData" in the HTTP
// API), so Cairn can show the message and branch on the code.
import { ConvexError, type GenericValidator, type Value } from "convex/values";
import { CONTENT_TABLES, keptFields, type ContentTable } from "./tables";

export type CairnErrorCode =
  | "UnknownTable" // not one of the content tables
  | "UnknownIndex" // not an index of that table
  | "InvalidRange" // equal/lower/upper do not fit the index; a page or batch size, lease time or owner out of range
  | "InvalidDocument" // a document or change that does not fit the table
  | "InvalidClientId" // not a UUID
  | "InvalidCursor" // a page cursor that is not one of this listing's
  | "NotFound" // no document with that clientId
  | "UnknownMigration" // not a registered migration
  | "OutOfOrder" // an earlier migration has not run yet (or, going down, a later one is still applied)
  | "NotReversible" // the migration has no down step
  | "LeaseLost" // the caller does not hold the migration lease (any more)
  | "BatchTooLarge"; // documents:apply was given more writes, or more bytes, than it takes

export function fail(code: CairnErrorCode, message: string): never {
  throw new ConvexError({ code, message });
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isClientId(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

export function checkClientId(value: unknown): string {
  if (!isClientId(value)) {
    fail("InvalidClientId", `The clientId ${JSON.stringify(value)} is not a UUID.`);
  }
  return value;
}

export function checkTable(table: string): ContentTable {
  if (!hasOwn(CONTENT_TABLES, table)) {
    fail(
      "UnknownTable",
      `“${table}” is not a Cairn content table (expected one of: ${Object.keys(CONTENT_TABLES).join(", ")}).`,
    );
  }
  return table as ContentTable;
}

function typeName(validator: GenericValidator): string {
  switch (validator.kind) {
    case "float64":
      return "number";
    case "literal":
      return JSON.stringify(validator.value);
    case "union":
      return validator.members.map(typeName).join(" or ");
    default:
      return validator.kind;
  }
}

/** Whether @value fits @validator (the scalar kinds the content tables use). */
export function fits(validator: GenericValidator, value: unknown): boolean {
  switch (validator.kind) {
    case "string":
      return typeof value === "string";
    case "float64":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "any":
      return value !== undefined;
    case "literal":
      return value === validator.value;
    case "union":
      return validator.members.some((member) => fits(member, value));
    default:
      throw new Error(`validator kind ${validator.kind} is not supported here`);
  }
}

/** A value for @field of @table, or a refusal naming the field. */
export function checkField(table: ContentTable, field: string, value: unknown): void {
  const validator = (CONTENT_TABLES[table].fields as Record<string, GenericValidator>)[field];
  if (validator === undefined) {
    fail("InvalidDocument", `The table “${table}” has no field “${field}”.`);
  }
  if (!fits(validator, value)) {
    fail("InvalidDocument", `The field “${field}” of “${table}” must be a ${typeName(validator)}.`);
  }
  if (field === "clientId" && !isClientId(value)) {
    fail("InvalidDocument", `The field “clientId” of “${table}” must be a UUID.`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * @fields without the ones the functions keep themselves (keptFields):
 * clients that copy whole documents (the content mover, a replayed write)
 * send them along, and their values are not the client's to set.
 */
function withoutKept(table: ContentTable, fields: Record<string, unknown>): Record<string, unknown> {
  const kept = keptFields(table);
  return Object.fromEntries(Object.entries(fields).filter(([field]) => !kept.includes(field)));
}

/**
 * A whole document: every required field of @table with its type, nothing
 * else; returned without the fields the functions keep.
 */
export function checkDocument(table: ContentTable, document: unknown): Record<string, Value> {
  if (!isPlainObject(document)) {
    fail("InvalidDocument", `The document for “${table}” must be an object.`);
  }
  const fields = withoutKept(table, document);
  for (const [field, validator] of Object.entries(CONTENT_TABLES[table].fields as Record<string, GenericValidator>)) {
    if (validator.isOptional === "required" && fields[field] === undefined) {
      fail("InvalidDocument", `The document for “${table}” lacks the field “${field}”.`);
    }
  }
  for (const [field, value] of Object.entries(fields)) {
    checkField(table, field, value);
  }
  return fields as Record<string, Value>;
}

/**
 * Some fields of @table with their types; the clientId cannot change.
 * Returned without the fields the functions keep, so it may come back empty
 * (a change of only those is no change).
 */
export function checkChange(table: ContentTable, change: unknown): Record<string, Value> {
  if (!isPlainObject(change)) {
    fail("InvalidDocument", `The change for “${table}” must be an object.`);
  }
  if (Object.keys(change).length === 0) {
    fail("InvalidDocument", "The change is empty.");
  }
  if (hasOwn(change, "clientId")) {
    fail("InvalidDocument", "The field “clientId” cannot be changed.");
  }
  const fields = withoutKept(table, change);
  for (const [field, value] of Object.entries(fields)) {
    checkField(table, field, value);
  }
  return fields as Record<string, Value>;
}
