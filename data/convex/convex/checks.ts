// Refusing bad input with errors the caller can act on.
//
// Every refusal is a ConvexError whose data is {code, message}: unlike a plain
// Error, whose text a production deployment replaces with "Server Error", the
// data of a ConvexError always reaches the caller (as "errorData" in the HTTP
// API), so Cairn can show the message and branch on the code.
import { ConvexError, type GenericValidator, type Value } from "convex/values";
import { CONTENT_TABLES, type ContentTable } from "./tables";

export type CairnErrorCode =
  | "UnknownTable" // not one of the content tables
  | "UnknownIndex" // not an index of that table
  | "InvalidRange" // equal/lower/upper do not fit the index
  | "InvalidDocument" // a document or change that does not fit the table
  | "InvalidClientId" // not a UUID
  | "InvalidCursor" // a page cursor that is not one of this listing's
  | "NotFound"; // no document with that clientId

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

/** A whole document: every field of @table with its type, nothing else. */
export function checkDocument(table: ContentTable, document: unknown): Record<string, Value> {
  if (!isPlainObject(document)) {
    fail("InvalidDocument", `The document for “${table}” must be an object.`);
  }
  for (const field of Object.keys(CONTENT_TABLES[table].fields)) {
    if (document[field] === undefined) {
      fail("InvalidDocument", `The document for “${table}” lacks the field “${field}”.`);
    }
  }
  for (const [field, value] of Object.entries(document)) {
    checkField(table, field, value);
  }
  return document as Record<string, Value>;
}

/** Some fields of @table with their types; the clientId cannot change. */
export function checkChange(table: ContentTable, fields: unknown): Record<string, Value> {
  if (!isPlainObject(fields)) {
    fail("InvalidDocument", `The change for “${table}” must be an object.`);
  }
  if (Object.keys(fields).length === 0) {
    fail("InvalidDocument", "The change is empty.");
  }
  if (hasOwn(fields, "clientId")) {
    fail("InvalidDocument", "The field “clientId” cannot be changed.");
  }
  for (const [field, value] of Object.entries(fields)) {
    checkField(table, field, value);
  }
  return fields as Record<string, Value>;
}
