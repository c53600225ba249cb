#!/usr/bin/env node
// Fan-out benchmark: the generated Node `RealtimeServer` against the Rust one
// (sheplang-socketio), same spec (sheplang-socketio/examples/specs/bench.shep), same clients.
//
// For each subscriber count N and each server, in turn: start the server (a fresh process),
// connect N subscribers to channel `tick`, warm up, then measure at the clients, two ways:
//   - saturated: the server emits K `model_created("Tick", row)` events as fast as it takes
//     them, B at a time (the Node server's emit returns once it has written; the Rust burst
//     takes the next batch once the dispatcher has handed this one to the connections).
//     Delivered events per second = N*K deliveries / (just before the burst -> last arrival).
//   - paced: the server emits at a fixed rate that every server sustains (`--rate`, events/s,
//     10 at a time), so p50/p99 latency compare at equal load.
// Latency is the row's `sentAt` (server clock at emit) to its arrival. Also: the server
// process's peak RSS (VmHWM), its RSS per connection (idle, right after the N subscribed),
// its CPU time per 1,000 deliveries during the saturated runs and the clients' own, lost events
// (N*K minus what arrived) and events out of order (a position that does not follow the
// previous one): both must be 0, else the script exits 1. Then the Rust/Node ratios.
//
// The clients (`--client rust`, the default) are `fanout-load` (bench/fanout/load): N
// subscribers on raw WebSocket frames in one process, on one thread, about a microsecond of
// CPU a delivery, so that the server is what is measured. `--client node` uses socket.io-client
// in worker threads instead (the clients then cost more CPU than the Rust server).
//
//   node bench/fanout/run.mjs                     # N = 100 and 1000, median of 3; ~5 minutes
//   node bench/fanout/run.mjs --subscribers 100 --events 500 --runs 1
//
// Options: --subscribers 100,1000  --events 2000,400 (K per N)  --rate 200,20 (paced
//          events/s per N, for 3 s: 20,000 deliveries/s, well below what either server takes)
//          --batch 50  --payload 64  --runs 3 (median)  --servers node,rust
//          --client rust|node  --workers N (client processes, or worker threads; 1 or 2)
//          --server-threads N (the Rust server's Tokio worker threads; default one per core)
// Needs: cargo (builds serve-spec and fanout-load in release), and ts/node_modules (socket.io,
// socket.io-client, typescript), installed by `npm ci` in ts/. Only 127.0.0.1 is used.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { buildLoadClient, currentRssMiB, ioClientPath, prepareServers, processStats, startLoad } from './servers.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- options
function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const subscribers = list(option('subscribers', '100,1000')).map(Number);
const eventsPerN = list(option('events', '2000,400')).map(Number);
const ratePerN = list(option('rate', '200,20')).map(Number);
const batch = Number(option('batch', '50'));
const payload = Number(option('payload', '64'));
const client = option('client', 'rust');
if (client !== 'rust' && client !== 'node') {
  console.error(`bench: --client must be \`rust\` or \`node\`, not \`${client}\``);
  process.exit(2);
}
const workers = Number(option('workers', client === 'rust' ? '1' : '2'));
const runs = Number(option('runs', '3'));
const servers = list(option('servers', 'node,rust'));


// ---------------------------------------------------------------- clients
function ask(worker, message, answerType) {
  return new Promise((resolveAnswer) => {
    const onMessage = (m) => {
      if (m.type === answerType) {
        worker.off('message', onMessage);
        resolveAnswer(m);
      }
    };
    worker.on('message', onMessage);
    worker.postMessage(message);
  });
}

/** The client pool: `workers` processes (Rust) or worker threads (Node) sharing the N connections. */
async function startClients(url, n) {
  const per = Array.from({ length: workers }, (_, i) => Math.floor(n / workers) + (i < n % workers ? 1 : 0)).filter(
    (count) => count > 0,
  );
  const pool = await Promise.all(per.map((count) => (client === 'rust' ? startLoad(loadClient, url, count) : nodeClient(url, count))));
  return {
    pids: pool.map((c) => c.pid).filter((pid) => pid !== undefined),
    reset: () => Promise.all(pool.map((c) => c.ask('reset'))),
    report: () => Promise.all(pool.map((c) => c.ask('report'))),
    close: () => Promise.all(pool.map((c) => c.stop())),
  };
}

/** `count` socket.io-client connections in a worker thread of this process. */
async function nodeClient(url, count) {
  const worker = new Worker(join(here, 'client-worker.mjs'), { workerData: { url, count, ioClientPath } });
  await new Promise((resolveReady, reject) => {
    worker.on('error', reject);
    worker.once('message', (m) => (m.type === 'ready' ? resolveReady() : reject(new Error(String(m.type)))));
  });
  const answers = { reset: 'reset', report: 'report', close: 'closed' };
  return {
    pid: undefined,
    ask: (type) => ask(worker, { type }, answers[type]),
    async stop() {
      await ask(worker, { type: 'close' }, answers.close);
      await worker.terminate();
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function burst(server, count, rate = 0) {
  const b = rate > 0 ? 10 : batch;
  const response = await fetch(
    `${server.url}/control/burst?count=${count}&batch=${b}&payload=${payload}&rate=${rate}`,
    { method: 'POST' },
  );
  if (!response.ok) throw new Error(`burst: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Waits until `expected` deliveries arrived, or nothing new arrived for 3 s. */
async function drain(clients, expected) {
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const reports = await clients.report();
    const received = reports.reduce((sum, r) => sum + r.received, 0);
    if (received >= expected) return reports;
    if (received !== last) {
      last = received;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 3_000) {
      return reports;
    }
    await sleep(20);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One measured burst (or paced run) against a running server with N connected clients. */
async function measure(server, clients, n, k, rate = 0) {
  await clients.reset();
  const t0 = performance.timeOrigin + performance.now();
  const emitted = await burst(server, k, rate);
  const reports = await drain(clients, n * k);
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const latencies = new Float64Array(received);
  let offset = 0;
  for (const r of reports) {
    latencies.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  latencies.sort();
  // From just before the burst was requested to the last arrival at any client.
  const t1 = Math.max(...reports.map((r) => r.lastArrival));
  return {
    deliveries: received,
    lost: n * k - received,
    failedDeliveries: emitted.failedDeliveries ?? 0,
    seconds: (t1 - t0) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    disconnects: reports.reduce((sum, r) => sum + r.disconnects, 0),
    outOfOrder: reports.reduce((sum, r) => sum + (r.outOfOrder ?? 0), 0),
  };
}

// ---------------------------------------------------------------- main
// Both servers run with their default per-client queue: a client that cannot keep up is
// disconnected (and counted in `disconnects`), never silently skipped.
const serverThreads = option('server-threads', undefined);
if (serverThreads !== undefined && !/^\d+$/.test(serverThreads)) {
  console.error(`bench: --server-threads takes a whole number, not \`${serverThreads}\``);
  process.exit(2);
}
const commands = prepareServers(serverThreads === undefined ? [] : ['--worker-threads', serverThreads]);
const loadClient = client === 'rust' ? buildLoadClient() : undefined;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = [];
/** Rust/Node ratios of each pair of runs made one right after the other, by N. */
const paired = new Map();
for (const [i, n] of subscribers.entries()) {
  const k = eventsPerN[i] ?? eventsPerN.at(-1);
  const rate = ratePerN[i] ?? ratePerN.at(-1);
  // Both servers run side by side (the one not measured is idle), and their runs alternate:
  // a change in the machine's load (other processes) hits both alike.
  const under = [];
  for (const name of servers) {
    const server = await commands[name]();
    await sleep(300);
    const idleRss = currentRssMiB(server.pid);
    const clients = await startClients(server.url, n);
    await sleep(300);
    const rssPerConnectionKiB = ((currentRssMiB(server.pid) - idleRss) * 1024) / n;
    // Warm-up: JIT, buffers, the first connections' upgrade.
    await measure(server, clients, n, Math.min(200, k));
    under.push({ name, server, clients, rssPerConnectionKiB, saturated: [], paced: [], cpu: 0, clientCpu: 0 });
  }
  for (let r = 0; r < runs; r += 1) {
    for (const u of under) {
      const before = processStats(u.server.pid).cpuSeconds;
      const clientsBefore = u.clients.pids.map((pid) => processStats(pid).cpuSeconds);
      u.saturated.push(await measure(u.server, u.clients, n, k));
      u.cpu += processStats(u.server.pid).cpuSeconds - before;
      u.clientCpu += u.clients.pids.reduce((sum, pid, j) => sum + processStats(pid).cpuSeconds - clientsBefore[j], 0);
      await sleep(200);
    }
  }
  for (let r = 0; r < runs; r += 1) {
    for (const u of under) {
      u.paced.push(await measure(u.server, u.clients, n, Math.round(rate * 3), rate));
      await sleep(200);
    }
  }
  const node = under.find((u) => u.name === 'node');
  const rust = under.find((u) => u.name === 'rust');
  if (node && rust) {
    const ratios = (pick) => median(rust.saturated.map((m, j) => pick(m) / pick(node.saturated[j])));
    paired.set(n, {
      delivered: ratios((m) => m.deliveries / m.seconds),
      p99: ratios((m) => m.p99),
    });
  }
  for (const u of under) {
    const stats = processStats(u.server.pid);
    await u.clients.close();
    await u.server.stop();
    const { saturated, paced } = u;
    const deliveries = saturated.reduce((sum, m) => sum + m.deliveries, 0);
    const row = {
      server: u.name,
      subscribers: n,
      eventsPerRun: k,
      rate,
      deliveredPerSecond: median(saturated.map((m) => m.deliveries / m.seconds)),
      p50Ms: median(saturated.map((m) => m.p50)),
      p99Ms: median(saturated.map((m) => m.p99)),
      pacedP50Ms: median(paced.map((m) => m.p50)),
      pacedP99Ms: median(paced.map((m) => m.p99)),
      lost: [...saturated, ...paced].reduce((sum, m) => sum + m.lost, 0),
      disconnects: [...saturated, ...paced].reduce((sum, m) => sum + m.disconnects, 0),
      outOfOrder: [...saturated, ...paced].reduce((sum, m) => sum + m.outOfOrder, 0),
      clientCpuMsPer1k: u.clients.pids.length > 0 ? (u.clientCpu * 1000 * 1000) / Math.max(1, deliveries) : NaN,
      peakRssMiB: stats.peakRssMiB,
      rssPerConnectionKiB: u.rssPerConnectionKiB,
      cpuMsPer1k: (u.cpu * 1000 * 1000) / Math.max(1, deliveries),
    };
    results.push(row);
    console.error(
      `bench: ${u.name.padEnd(6)} N=${String(n).padStart(5)}: ` +
        `${Math.round(row.deliveredPerSecond).toLocaleString('en-US')} deliveries/s saturated ` +
        `(p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms); paced at ${rate}/s: ` +
        `p50 ${row.pacedP50Ms.toFixed(2)} ms, p99 ${row.pacedP99Ms.toFixed(2)} ms; ` +
        `peak RSS ${row.peakRssMiB.toFixed(1)} MiB; lost ${row.lost}`,
    );
  }
  await sleep(500);
}

// ---------------------------------------------------------------- report
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const lines = [];
lines.push(
  `fan-out: ${batch}-event batches, ${payload}-byte payload, ${client === 'rust' ? `${workers} fanout-load process(es), raw WebSocket` : `${workers} socket.io-client worker thread(s)`}, median of ${runs} run(s), loopback, the Rust server with ${serverThreads === undefined ? 'one worker thread per core' : `--worker-threads ${serverThreads}`}`,
);
lines.push('');
lines.push(
  '| server | N | saturated: delivered/s | p50 ms | p99 ms | paced: events/s | p50 ms | p99 ms | peak RSS MiB | RSS / connection KiB | CPU ms / 1k deliveries | client CPU ms / 1k | lost | out of order |',
);
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  lines.push(
    `| ${r.server} | ${r.subscribers} | ${Math.round(r.deliveredPerSecond).toLocaleString('en-US')} | ` +
      `${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${r.rate} | ${fmt(r.pacedP50Ms, 2)} | ${fmt(r.pacedP99Ms, 2)} | ` +
      `${fmt(r.peakRssMiB)} | ${fmt(r.rssPerConnectionKiB)} | ${fmt(r.cpuMsPer1k, 2)} | ${fmt(r.clientCpuMsPer1k, 2)} | ${r.lost} | ${r.outOfOrder} |`,
  );
}
const rust = results.filter((r) => r.server === 'rust');
for (const baseline of ['node']) {
  const rows = rust
    .map((r) => [r, results.find((b) => b.server === baseline && b.subscribers === r.subscribers)])
    .filter(([, b]) => b !== undefined);
  if (rows.length === 0) continue;
  lines.push('');
  lines.push(`Rust / ${baseline} (delivered/s: higher is better; the rest: lower is better):`);
  lines.push('');
  lines.push(
    '| N | delivered/s | (paired runs) | saturated p99 | (paired runs) | paced p50 | paced p99 | peak RSS | RSS per connection | CPU per delivery |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [r, b] of rows) {
    lines.push(
      `| ${r.subscribers} | ${fmt(r.deliveredPerSecond / b.deliveredPerSecond, 2)}x | ${fmt(paired.get(r.subscribers)?.delivered ?? NaN, 2)}x | ` +
        `${fmt(r.p99Ms / b.p99Ms, 2)}x | ${fmt(paired.get(r.subscribers)?.p99 ?? NaN, 2)}x | ` +
        `${fmt(r.pacedP50Ms / b.pacedP50Ms, 2)}x | ${fmt(r.pacedP99Ms / b.pacedP99Ms, 2)}x | ` +
        `${fmt(r.peakRssMiB / b.peakRssMiB, 2)}x | ${fmt(r.rssPerConnectionKiB / b.rssPerConnectionKiB, 2)}x | ` +
        `${fmt(r.cpuMsPer1k / b.cpuMsPer1k, 2)}x |`,
    );
  }
}
const lost = results.reduce((sum, r) => sum + r.lost, 0);
const outOfOrder = results.reduce((sum, r) => sum + r.outOfOrder, 0);
lines.push('');
lines.push(lost === 0 ? 'lost events: 0' : `LOST EVENTS: ${lost}`);
lines.push(outOfOrder === 0 ? 'out of order: 0' : `OUT OF ORDER: ${outOfOrder}`);
console.log(lines.join('\n'));
process.exit(lost === 0 && outOfOrder === 0 ? 0 : 1);
