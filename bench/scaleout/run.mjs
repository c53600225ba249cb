#!/usr/bin/env node
// Scale-out benchmark: the Rust server (`serve-spec bench`, release) as 1, 2 and 3 nodes on one
// Redis (docs/scale-out.md), against one node with the in-memory log; N subscribers spread over
// the nodes, the same events emitted on node 1 in every configuration (equal load).
//
// For each configuration, in turn: start the nodes (fresh processes, a fresh key prefix), one
// `fanout-load` process per node with its share of the N subscribers (bench/fanout/load: raw
// WebSocket, about a microsecond of CPU a delivery), then measure at the clients:
//   - saturated: node 1 emits K `model_created("Tick", row)` as fast as it takes them (the
//     burst takes the next batch once its dispatcher has appended this one); delivered/s =
//     N*K deliveries / (just before the burst -> last arrival at any client);
//   - paced: node 1 emits at a rate every configuration sustains (`--rate` events/s, 10 at a
//     time, 3 s), so p50/p99 compare at equal load. `cross p99` is the p99 of the clients of
//     the other nodes: an event's trip from node 1 through Redis to another node and out.
// Latency: the row's `sentAt` (node 1's clock at emit) to arrival. Lost (N*K minus arrivals)
// and out of order (a position that does not follow the previous one) must both be 0, else
// the script exits 1. Then the ratio of each configuration's delivered/s to one in-memory node.
//
//   bash bench/scaleout/run.sh                       # N = 1,000; median of 3; a few minutes
//   bash bench/scaleout/run.sh --runs 1 --events 200 # quick look
//
// Options: --subscribers 1000  --events 400  --rate 20  --batch 50  --payload 64  --runs 3
//          --nodes memory,1,2,3
// Needs $REDIS_URL (run.sh starts a redis-server through scripts/lib/services.sh when it is not
// set), cargo (builds serve-spec and fanout-load in release) and ts/node_modules (`npm ci` in ts/).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { buildLoadClient, buildRust, processStats, startProcess } from '../fanout/servers.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const n = Number(option('subscribers', '1000'));
const k = Number(option('events', '400'));
const rate = Number(option('rate', '20'));
const batch = Number(option('batch', '50'));
const payload = Number(option('payload', '64'));
const runs = Number(option('runs', '3'));
const configs = option('nodes', 'memory,1,2,3').split(',').filter(Boolean);
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error('bench: $REDIS_URL is not set; run `bash bench/scaleout/run.sh`, which starts a redis-server');
  process.exit(2);
}

const { executable } = buildRust();
const loadClient = buildLoadClient();

/** One `fanout-load` process with `count` subscribers of `url`. */
async function loadProcess(url, count) {
  const child = spawn(loadClient, ['--url', url, '--connections', String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise((r) => waiting.push(r));
  const ready = await Promise.race([next(), exited.then((code) => ({ type: `exit ${code}` }))]);
  if (ready.type !== 'ready') throw new Error(`fanout-load did not start: ${ready.type}`);
  return {
    ask(type) {
      const answer = next();
      child.stdin.write(`${type}\n`);
      return answer;
    },
    async stop() {
      const answer = next();
      child.stdin.write('close\n');
      await answer;
      child.stdin.end();
      await exited;
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function burst(url, count, perSecond) {
  const b = perSecond > 0 ? 10 : batch;
  const response = await fetch(`${url}/control/burst?count=${count}&batch=${b}&payload=${payload}&rate=${perSecond}`, {
    method: 'POST',
  });
  if (!response.ok) throw new Error(`burst: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Waits until `expected` deliveries arrived at the clients, or nothing new for 3 s. */
async function drain(clients, expected) {
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const reports = await Promise.all(clients.map((c) => c.ask('report')));
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

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(url, clients, events, perSecond) {
  await Promise.all(clients.map((c) => c.ask('reset')));
  const t0 = performance.timeOrigin + performance.now();
  await burst(url, events, perSecond);
  const reports = await drain(clients, n * events);
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const all = reports.flatMap((r) => r.latencies);
  const cross = reports.slice(1).flatMap((r) => r.latencies);
  return {
    lost: n * events - received,
    outOfOrder: reports.reduce((sum, r) => sum + (r.outOfOrder ?? 0), 0),
    disconnects: reports.reduce((sum, r) => sum + r.disconnects, 0),
    perSecond: received / ((Math.max(...reports.map((r) => r.lastArrival)) - t0) / 1000),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    crossP99: percentile(cross, 99),
  };
}

async function runConfig(config, run) {
  const count = config === 'memory' ? 1 : Number(config);
  const prefix = `bench:scaleout:${process.pid}:${config}:${run}`;
  const extra = config === 'memory' ? [] : ['--redis', redisUrl, '--redis-prefix', prefix];
  const nodes = [];
  for (let i = 0; i < count; i += 1) {
    nodes.push(await startProcess(executable, ['bench', '--exit-on-stdin-eof', ...extra]));
  }
  const clients = await Promise.all(
    nodes.map((node, i) => loadProcess(node.url, Math.floor(n / count) + (i < n % count ? 1 : 0))),
  );
  try {
    await measure(nodes[0].url, clients, Math.min(50, k), 0); // warm-up
    const saturated = await measure(nodes[0].url, clients, k, 0);
    const paced = await measure(nodes[0].url, clients, rate * 3, rate);
    const rss = nodes.map((node) => processStats(node.pid).peakRssMiB);
    return { saturated, paced, rss };
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const label = (config) => (config === 'memory' ? '1 node, in-memory log' : `${config} node${config === '1' ? '' : 's'}, Redis`);

const results = {};
for (let run = 0; run < runs; run += 1) {
  // Alternate the configurations within each run, so that drift of the machine hits them all.
  for (const config of configs) {
    const result = await runConfig(config, run);
    (results[config] ??= []).push(result);
    console.error(`bench: ${label(config)}, run ${run + 1}: ${Math.round(result.saturated.perSecond)} delivered/s`);
  }
}

let failed = false;
const fmt = (x) => (Number.isNaN(x) ? '-' : x.toFixed(1));
console.log(
  `scale-out: N = ${n} subscribers spread over the nodes, K = ${k} events from node 1 (${batch} a batch, ${payload}-byte payload), paced ${rate} events/s (${rate * n} deliveries/s), median of ${runs}, loopback, Redis ${redisUrl.replace(/:[^:@/]*@/, ':***@')}`,
);
console.log('');
console.log('| nodes | delivered/s | vs 1 in-memory node | p50 / p99 saturated (ms) | p50 / p99 paced (ms) | cross-node p99 paced (ms) | lost | out of order |');
console.log('|---|---|---|---|---|---|---|---|');
const base = results.memory ? median(results.memory.map((r) => r.saturated.perSecond)) : NaN;
for (const config of configs) {
  const rs = results[config];
  const m = (pick) => median(rs.map(pick));
  const lost = rs.reduce((sum, r) => sum + r.saturated.lost + r.paced.lost, 0);
  const outOfOrder = rs.reduce((sum, r) => sum + r.saturated.outOfOrder + r.paced.outOfOrder, 0);
  failed ||= lost !== 0 || outOfOrder !== 0;
  const perSecond = m((r) => r.saturated.perSecond);
  console.log(
    `| ${label(config)} | ${Math.round(perSecond)} | ${(perSecond / base).toFixed(2)} | ${fmt(m((r) => r.saturated.p50))} / ${fmt(m((r) => r.saturated.p99))} | ${fmt(m((r) => r.paced.p50))} / ${fmt(m((r) => r.paced.p99))} | ${fmt(m((r) => r.paced.crossP99))} | ${lost} | ${outOfOrder} |`,
  );
}
if (failed) {
  console.error('bench: events were lost or out of order');
  process.exit(1);
}
