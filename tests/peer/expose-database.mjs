// SPDX-License-Identifier: GPL-3.0-or-later
//
// A module loader hook (module.register) for convex-peer.mjs: convex-test
// keeps its in-memory database class, DatabaseFake, to itself; this adds it
// to the package's exports so that the peer can give it indexed range reads
// (indexed-ranges.mjs), and getDb, which inside t.run() is the instance's
// database, so that a push can carry the data over to the instance that
// serves the new functions and check it against a new schema. Nothing else
// of the package changes.
const CONVEX_TEST = /\/node_modules\/convex-test\/dist\/index\.js$/;

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!CONVEX_TEST.test(url)) return loaded;
  return { ...loaded, source: `${Buffer.from(loaded.source).toString("utf8")}\nexport { DatabaseFake, getDb };\n` };
}
