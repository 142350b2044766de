import { expect } from "vitest";
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import schema from "../convex/schema";

// Every module of the functions folder, as convex-test wants them (the
// "_generated" entries tell it where the folder is).
export const modules = import.meta.glob("../convex/**/*.*s");

export function setup() {
  return convexTest(schema, modules);
}

/** A test deployment that enforces Convex's per-transaction limits. */
export function setupWithLimits() {
  return convexTest({ schema, modules, transactionLimits: true });
}

// The functions named the way Cairn names them over HTTP ("module:function").
export const fn = {
  ping: makeFunctionReference<"query">("cairn:ping"),
  list: makeFunctionReference<"query">("documents:list"),
  get: makeFunctionReference<"query">("documents:get"),
  insert: makeFunctionReference<"mutation">("documents:insert"),
  patch: makeFunctionReference<"mutation">("documents:patch"),
  remove: makeFunctionReference<"mutation">("documents:remove"),
  apply: makeFunctionReference<"mutation">("documents:apply"),
  health: makeFunctionReference<"mutation">("cairn:health"),
  status: makeFunctionReference<"query">("migrations:status"),
  acquireLease: makeFunctionReference<"mutation">("migrations:acquireLease"),
  releaseLease: makeFunctionReference<"mutation">("migrations:releaseLease"),
  step: makeFunctionReference<"mutation">("migrations:step"),
  recordFailure: makeFunctionReference<"mutation">("migrations:recordFailure"),
};

let counter = 0;

/** A fresh, valid clientId (a UUID) that sorts in creation order. */
export function uuid(): string {
  counter += 1;
  const hex = counter.toString(16).padStart(12, "0");
  return `00000000-0000-4000-8000-${hex}`;
}

export function conversation(fields: Record<string, unknown> = {}) {
  return {
    clientId: uuid(),
    title: "A conversation",
    pinned: false,
    archived: false,
    createdAt: 1000,
    updatedAt: 1000,
    ...fields,
  };
}

/** A conversation as the functions store it: with the messageCount they keep. */
export function counted(doc: Record<string, unknown>, messageCount = 0) {
  return { ...doc, messageCount };
}

export function message(conversationId: string, fields: Record<string, unknown> = {}) {
  return {
    clientId: uuid(),
    conversationId,
    role: "user",
    content: "Hello",
    createdAt: 1000,
    ...fields,
  };
}

export function note(fields: Record<string, unknown> = {}) {
  return {
    clientId: uuid(),
    title: "A note",
    content: "Some text",
    pinned: false,
    createdAt: 1000,
    updatedAt: 1000,
    ...fields,
  };
}

/** What a ConvexError thrown by the functions carries. */
export function refusal(code: string, message?: string | RegExp) {
  return {
    data: {
      code,
      message: message === undefined
        ? expect.any(String)
        : typeof message === "string" ? message : expect.stringMatching(message),
    },
  };
}
