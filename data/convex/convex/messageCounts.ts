// Migration 0002_message_counts: every conversation gets its messageCount.
//
// From version 2 on, the functions keep a conversation's messageCount as its
// messages come and go (documents.ts), from the moment it is set: when the
// conversation is inserted, or here, for the conversations version 1 wrote.
// A conversation whose count is set is therefore counted already, and `up`
// passes over it: running it again, or resuming it, never counts twice.
//
// Counting happens while Cairn holds the migration lease and shows "Database
// Update Needed", so no Cairn writes messages meanwhile. (A message written
// anyway into a conversation half counted across steps is counted if it
// sorts after the part already counted — new messages do — and missed if it
// sorts before it or is removed from it.)
import type { MutationCtx, QueryCtx } from "./_generated/server";
import type { Batch } from "./migrations";

/**
 * How many messages one step reads per conversation of its batch, on average
 * (the step's budget is batchSize times this): a conversation with more than
 * one step's worth is counted across steps.
 */
export const MESSAGES_PER_CONVERSATION = 20;

/** A conversation whose messages are counted up to (createdAt, creationTime) of the last one counted. */
type Partial = { clientId: string; counted: number; createdAt: number; creationTime: number };

/**
 * Where `up` stands: the start of the page of conversations it works on
 * (a paginate() cursor; null: the first page) and the conversation it is
 * half-way through, if any.
 */
type Position = { page: string | null; partial?: Partial };

/** Whether any conversation lacks its count: missing values sort first in by_messageCount. */
export async function needed(ctx: QueryCtx): Promise<boolean> {
  const first = await ctx.db.query("conversations").withIndex("by_messageCount").first();
  return first !== null && first.messageCount === undefined;
}

/**
 * Counts the messages of @clientId on from where @from left off, reading at
 * most @budget (> 0) of them: how many were read, the total so far, whether
 * that is all of them, and if not, where counting stands.
 */
async function countMessages(ctx: QueryCtx, clientId: string, from: Partial | undefined, budget: number) {
  // by_conversation orders a conversation's messages by createdAt, then by
  // _creationTime: the ones after the last counted have its createdAt and a
  // later _creationTime, or a later createdAt.
  const messages = () => ctx.db.query("messages");
  const queries = from === undefined
    ? [messages().withIndex("by_conversation", (q) => q.eq("conversationId", clientId))]
    : [
        messages().withIndex("by_conversation", (q) =>
          q.eq("conversationId", clientId).eq("createdAt", from.createdAt).gt("_creationTime", from.creationTime)),
        messages().withIndex("by_conversation", (q) => q.eq("conversationId", clientId).gt("createdAt", from.createdAt)),
      ];
  let read = 0;
  let partial = from;
  for (const query of queries) {
    const rows = await query.take(budget - read);
    read += rows.length;
    const total = (from?.counted ?? 0) + read;
    if (rows.length > 0) {
      const last = rows[rows.length - 1];
      partial = { clientId, counted: total, createdAt: last.createdAt, creationTime: last._creationTime };
    }
    if (read === budget) {
      // Perhaps more: the next step goes on from here.
      return { read, total, done: false, partial };
    }
  }
  return { read, total: (from?.counted ?? 0) + read, done: true, partial: undefined };
}

/** Counts the messages of up to @batchSize conversations (and at most batchSize × MESSAGES_PER_CONVERSATION messages). */
export async function up(ctx: MutationCtx, cursor: string | null, batchSize: number): Promise<Batch> {
  const position: Position = cursor === null ? { page: null } : JSON.parse(cursor);
  const { page, isDone, continueCursor } = await ctx.db
    .query("conversations")
    .paginate({ cursor: position.page, numItems: batchSize });
  let budget = batchSize * MESSAGES_PER_CONVERSATION;
  let processed = 0;
  for (const conversation of page) {
    if (conversation.messageCount !== undefined) continue;
    if (budget === 0) {
      // This page again next time: the ones counted now are passed over.
      return { cursor: JSON.stringify({ page: position.page }), done: false, processed };
    }
    const from = position.partial?.clientId === conversation.clientId ? position.partial : undefined;
    const count = await countMessages(ctx, conversation.clientId, from, budget);
    budget -= count.read;
    if (!count.done) {
      return { cursor: JSON.stringify({ page: position.page, partial: count.partial }), done: false, processed };
    }
    await ctx.db.patch(conversation._id, { messageCount: count.total });
    processed += 1;
  }
  if (isDone) {
    return { cursor: null, done: true, processed };
  }
  return { cursor: JSON.stringify({ page: continueCursor }), done: false, processed };
}

/** Takes the count off up to @batchSize conversations (for the schema of version 1, which has no such field). */
export async function down(ctx: MutationCtx, cursor: string | null, batchSize: number): Promise<Batch> {
  const { page, isDone, continueCursor } = await ctx.db
    .query("conversations")
    .paginate({ cursor, numItems: batchSize });
  let processed = 0;
  for (const conversation of page) {
    if (conversation.messageCount === undefined) continue;
    await ctx.db.patch(conversation._id, { messageCount: undefined });
    processed += 1;
  }
  return { cursor: isDone ? null : continueCursor, done: isDone, processed };
}
