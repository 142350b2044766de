// SPDX-License-Identifier: GPL-3.0-or-later
//
// Insert over HTTP → the official ConvexClient's subscription callback, on a
// peer of its own on loopback.
//
//   node tests/peer/bench-sync.mjs [WRITES]    (default 200)
//
// Prints one JSON line: the latencies' p50/p95/max in ms, from just before
// the POST and from its answer.
import { KEY, startPeer } from "./test-util.mjs";
import { measureLatency, officialClient, percentile } from "./sync-util.mjs";

const writes = Number(process.argv[2] ?? 200);
const peer = await startPeer();
const c = officialClient(peer.url, { key: KEY });
const { latencies, afterAck } = await measureLatency(peer.url, c.client, writes);
const summary = (values) => ({
  p50: +percentile(values, 50).toFixed(1), p95: +percentile(values, 95).toFixed(1), max: +Math.max(...values).toFixed(1),
});
process.stdout.write(`${JSON.stringify({ writes, fromPost: summary(latencies), fromAnswer: summary(afterAck), logged: c.logs })}\n`);
await c.close();
await peer.stop();
