// SPDX-License-Identifier: GPL-3.0-or-later
//
// Index range reads that look at the rows in the range, for convex-test.
//
// convex-test answers every withIndex() query by reading each row of the
// table and sorting the ones in the range: Cairn's insert, which looks its
// clientId up first, reads the whole table, so filling a table takes time
// quadratic in its size (10 000 conversations: minutes). Here every index of
// the committed rows is kept sorted — built when first read, kept up to date
// as transactions commit — and a range read offers convex-test only the
// committed rows inside the range plus the rows the running transaction
// wrote. convex-test still checks the range, sorts, filters and pages what
// it is offered, so a query answers exactly what it did; only the rows it
// looks at change.
import { compareValues, jsonToConvex } from "convex/values";

/** The table of a convex-test id: its digits, then the table's name. */
export function tableOf(id) {
  const digits = /^[0-9]+/.exec(id);
  return digits === null || digits[0].length === id.length ? null : id.slice(digits[0].length);
}

function compareRows(fields, a, b) {
  for (const field of fields) {
    const c = compareValues(a[field], b[field]);
    if (c !== 0) return c;
  }
  return 0;
}

/** The first index of `rows` at which `isPast` holds (it holds for all after it). */
function firstWhere(rows, isPast) {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isPast(rows[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The fields an index orders by, the system ones last, as convex-test sorts; null where it would refuse. */
function indexFields(db, table, indexName) {
  if (indexName === "by_creation_time") return ["_creationTime", "_id"];
  if (indexName === "by_id") return ["_id"];
  const index = db._schema?.tables.get(table)?.indexes?.find(({ indexDescriptor }) => indexDescriptor === indexName);
  return index === undefined ? null : [...index.fields, "_creationTime", "_id"];
}

/**
 * A range as convex-test accepts it — equal values on the leading fields,
 * then at most one lower and one upper bound on the next — turned into
 * filters with decoded values; null for anything else (convex-test then
 * reads the table as it always does, and refuses what it refuses).
 */
function rangeFilters(range, fields) {
  const filters = range.map(({ fieldPath, type, value }) => ({
    field: fieldPath,
    type,
    value: value !== null && typeof value === "object" && "$undefined" in value ? undefined : jsonToConvex(value),
  }));
  let n = 0;
  while (n < filters.length && filters[n].type === "Eq" && filters[n].field === fields[n]) n += 1;
  const bounds = filters.slice(n);
  const lower = bounds.filter(({ type }) => type === "Gt" || type === "Gte");
  const upper = bounds.filter(({ type }) => type === "Lt" || type === "Lte");
  const ok =
    bounds.length === lower.length + upper.length &&
    lower.length <= 1 &&
    upper.length <= 1 &&
    bounds.every(({ field }) => field === fields[n]);
  return ok ? filters : null;
}

/** Where a row lies against the range in index order: -1 before it, 0 inside, 1 after it. */
function position(row, filters) {
  for (const { field, type, value } of filters) {
    const c = compareValues(row[field], value);
    if (type === "Eq" && c !== 0) return c;
    if ((type === "Gt" && c <= 0) || (type === "Gte" && c < 0)) return -1;
    if ((type === "Lt" && c >= 0) || (type === "Lte" && c > 0)) return 1;
  }
  return 0;
}

/** db -> "table|field,field" -> { table, fields, rows (committed, sorted) } */
const indexesOf = new WeakMap();

function sortedIndex(db, table, fields) {
  let indexes = indexesOf.get(db);
  if (indexes === undefined) indexesOf.set(db, (indexes = new Map()));
  const key = `${table}|${fields.join(",")}`;
  let index = indexes.get(key);
  if (index === undefined) {
    const rows = Object.entries(db._documents)
      .filter(([id]) => tableOf(id) === table)
      .map(([, row]) => row)
      .sort((a, b) => compareRows(fields, a, b));
    indexes.set(key, (index = { table, fields, rows }));
  }
  return index;
}

/** One committed write in every index of its table: the row as it was goes, the row as it is comes. */
function applyCommitted(db, id, before, after) {
  const table = tableOf(id);
  for (const index of indexesOf.get(db)?.values() ?? []) {
    if (index.table !== table) continue;
    const { fields, rows } = index;
    if (before !== undefined) {
      const at = firstWhere(rows, (row) => compareRows(fields, row, before) >= 0);
      if (rows[at]?._id !== id) throw new Error(`convex-peer: row ${id} missing from its index`);
      rows.splice(at, 1);
    }
    if (after !== undefined) {
      rows.splice(firstWhere(rows, (row) => compareRows(fields, row, after) > 0), 0, after);
    }
  }
}

/** Compares a row with a page cursor's keys (convex-test's cursors: the row's index fields as JSON). */
function compareWithCursor(fields, row, keys) {
  for (let i = 0; i < fields.length; i++) {
    const c = compareValues(row[fields[i]], keys[i]);
    if (c !== 0) return c;
  }
  return 0;
}

function cursorKeys(cursor) {
  try {
    const keys = JSON.parse(cursor).map((key) => (key === null ? undefined : jsonToConvex(JSON.parse(key))));
    return Array.isArray(keys) ? keys : null;
  } catch {
    return null;
  }
}

/**
 * Of a range's rows [first, end), those one page can come from: the page
 * size and one more (which tells convex-test the range goes on) after the
 * cursor, in the query's order. All of them where the page's end is not
 * set by its size.
 */
function pageWindow(rows, first, end, fields, order, page) {
  const { cursor, endCursor, pageSize, maximumRowsRead, maximumBytesRead } = page;
  if (endCursor || maximumRowsRead || maximumBytesRead || !(pageSize > 0) || cursor === "_end_cursor") {
    return [first, end];
  }
  const keys = cursor === null ? null : cursorKeys(cursor);
  if (cursor !== null && keys?.length !== fields.length) return [first, end];
  const take = pageSize + 1;
  if (order === "desc") {
    const before = keys === null ? end : firstWhere(rows, (row) => compareWithCursor(fields, row, keys) >= 0);
    const to = Math.min(end, Math.max(first, before));
    return [Math.max(first, to - take), to];
  }
  const after = keys === null ? first : firstWhere(rows, (row) => compareWithCursor(fields, row, keys) > 0);
  const from = Math.max(first, Math.min(end, after));
  return [from, Math.min(end, from + take)];
}

/**
 * The ids convex-test is to read for an index range (a superset of those in
 * it; for a page, of those the page can hold), or null: read the table.
 */
function rangeCandidates(db, query, page) {
  const { source, operators } = query;
  if (source.type !== "IndexRange") return null;
  const [table, indexName] = source.indexName.split(".");
  const fields = indexFields(db, table, indexName);
  // (a nested field path would need convex-test's own field lookup)
  if (fields === null || fields.some((field) => field.includes("."))) return null;
  const filters = rangeFilters(source.range, fields);
  if (filters === null) return null;

  const { rows } = sortedIndex(db, table, fields);
  let first = firstWhere(rows, (row) => position(row, filters) >= 0);
  let end = firstWhere(rows, (row) => position(row, filters) > 0);
  const written = db._writes.flatMap((layer) => Object.keys(layer).filter((id) => tableOf(id) === table));
  // (rows the transaction wrote, or a filter, could push rows past the window into the page)
  if (page !== null && written.length === 0 && !operators.some((operator) => "filter" in operator)) {
    [first, end] = pageWindow(rows, first, end, fields, source.order ?? "asc", page);
  }
  const ids = new Set(rows.slice(first, end).map((row) => row._id));
  for (const id of written) ids.add(id);
  return { db, table, ids };
}

/** Patches convex-test's DatabaseFake (see expose-database.mjs). */
export function installIndexedRanges(DatabaseFake) {
  const proto = DatabaseFake.prototype;
  const { commit, paginate, _resolveQuerySource: resolveQuerySource, _iterateDocs: iterateDocs } = proto;
  // Both are set while the (synchronous) methods below run.
  let page = null; // what paginate() was asked for
  let offered = null;

  proto.commit = function (commitTs) {
    const outermost = this._writes.length === 1 && indexesOf.has(this);
    const before = outermost ? Object.keys(this._writes[0]).map((id) => [id, this._documents[id]]) : [];
    commit.call(this, commitTs);
    for (const [id, row] of before) applyCommitted(this, id, row, this._documents[id]);
  };

  proto.paginate = function (args) {
    page = args;
    try {
      return paginate.call(this, args);
    } finally {
      page = null;
    }
  };

  proto._resolveQuerySource = function (query) {
    offered = rangeCandidates(this, query, page);
    try {
      return resolveQuerySource.call(this, query);
    } finally {
      offered = null;
    }
  };

  proto._iterateDocs = function (tableName, callback) {
    if (offered === null || offered.db !== this || offered.table !== tableName) {
      return iterateDocs.call(this, tableName, callback);
    }
    for (const id of offered.ids) {
      const row = this.get(tableName, id);
      if (row !== null) callback(row);
    }
  };
}
