// N small queries through the official ConvexHttpClient, C at a time.
//
//   node tests/peer/bench-official-client.mjs URL KEY REQUESTS CONCURRENCY
//
// Prints one JSON line in the same shape as tests/bench/bench-convex-client.c
// (it lives here because this folder has the convex package).
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";

const [url, key, requestsArg, concurrencyArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const concurrency = Number(concurrencyArg);

const client = new ConvexHttpClient(url);
client.setAdminAuth(key);
const ping = makeFunctionReference("cairn:ping");

const latencies = [];
let remaining = requests;
let failed = 0;

async function worker() {
  while (remaining > 0) {
    remaining--;
    const started = process.hrtime.bigint();
    try {
      await client.query(ping, {});
    } catch (error) {
      if (failed++ === 0) console.error(`first failure: ${error.message}`);
    }
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}

const cpuStart = process.cpuUsage();
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, worker));
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);

latencies.sort((a, b) => a - b);
const percentile = (p) => latencies[Math.round(p * (latencies.length - 1))];
console.log(JSON.stringify({
  client: "convex-node",
  requests,
  concurrency,
  failed,
  rps: Number((requests / wall).toFixed(1)),
  p50_ms: Number(percentile(0.5).toFixed(3)),
  p99_ms: Number(percentile(0.99).toFixed(3)),
  cpu_us_per_request: Number(((cpu.user + cpu.system) / requests).toFixed(1)),
}));
process.exit(failed === 0 ? 0 : 1);
