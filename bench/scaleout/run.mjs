#!/usr/bin/env node
// Scale-out benchmark: the Rust server (`serve-spec bench`, release) and the generated Node
// server (bench/fanout/node-server.mjs) as 1, 2 and 3 nodes on one Redis (docs/scale-out.md),
// against one node of the same server with the in-memory log; N subscribers spread over the
// nodes, the same events emitted on node 1 in every configuration (equal load).
//
// For each configuration, in turn: start the nodes (fresh processes, a fresh key prefix), one
// `fanout-load` process per node with its share of the N subscribers (bench/fanout/load: raw
// WebSocket, `--client-threads` threads each), then measure at the clients:
//   - saturated: node 1 emits K `model_created("Tick", row)` as fast as it takes them (the
//     burst takes the next batch once its dispatcher has appended this one); delivered/s =
//     N*K deliveries / (just before the burst -> last arrival at any client);
//   - paced: node 1 emits at a rate every configuration sustains (`--rate` events/s, one at a
//     time by default, evenly spaced, for 3 s), so p50/p99 compare at equal load. `cross p99` is the p99 of the clients of
//     the other nodes: an event's trip from node 1 through Redis to another node and out.
//     What the paced latency is made of, per event and node (the clients' timeline): `reach`,
//     `sentAt` to the node's first subscriber (the trip through Redis, the dispatcher, one
//     write and one read), and `spread`, its first to its last subscriber (the fan-out to the
//     node's share of N); the p99 over the events of each, over the other nodes (node 1's when
//     there is one). And the CPU of the nodes and of the clients per delivery while paced.
// Latency: the row's `sentAt` (node 1's clock at emit) to arrival, both read on this machine's
// clock (CLOCK_REALTIME), so no two clocks are compared. Lost (N*K minus arrivals)
// and out of order (a position that does not follow the previous one) must both be 0, else
// the script exits 1. CPU: the user+system time of the nodes and of redis-server during the
// saturated burst, per 1,000 deliveries (where the time goes). Then, for each server, the ratio
// of each configuration's delivered/s to its one in-memory node ("Redis cost on one node":
// 1 minus the ratio of one node on Redis).
//
//   bash bench/scaleout/run.sh                       # N = 1,000; median of 3; about 10 minutes
//   bash bench/scaleout/run.sh --runs 1 --events 200 # quick look
//
// Options: --subscribers 1000  --events 400  --rate 20  --batch 50  --payload 64  --runs 3
//          --paced-batch 1 (events emitted together when paced)  --stall-seconds 180
//          --client-threads 1 (threads of each node's fanout-load)
//          --server-threads N (each Rust node's Tokio worker threads; 0: one thread, a
//            current-thread runtime; default: one per core)
//          --nodes memory,1,2,3,node-memory,node-1,node-2,node-3
// A configuration is `memory` (one Rust node, in-memory log), `N` (N Rust nodes on Redis),
// `node-memory`, `node-N`, or kinds joined by `+` (`rust+rust+node`: a mixed cluster; node 1
// is the first).
// Needs $REDIS_URL (run.sh starts a redis-server through scripts/lib/services.sh when it is not
// set), cargo (builds serve-spec and fanout-load in release) and ts/node_modules (`npm ci` in ts/).
// A configuration that gives no result within --stall-seconds is reported as stalled and its
// processes killed; every process started is killed on any exit (an error, Ctrl-C).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import {
  buildLoadClient,
  buildRust,
  drain,
  nodeServerScript,
  prepareNode,
  processGroup,
  processStats,
  startLoad,
  startProcess,
} from '../fanout/servers.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  // The comment at the top of this file: what it measures, its options.
  const lines = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  const header = lines.slice(1, lines.findIndex((line) => line.startsWith('import ')));
  console.log(header.map((line) => line.replace(/^\/\/ ?/, '')).join('\n').trim());
  process.exit(0);
}

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
const pacedBatch = Number(option('paced-batch', '1'));
const clientThreads = Number(option('client-threads', '1'));
const serverThreads = option('server-threads', undefined);
if (serverThreads !== undefined && !/^\d+$/.test(serverThreads)) {
  console.error(`bench: --server-threads takes a whole number, not \`${serverThreads}\``);
  process.exit(2);
}
const rustThreads = serverThreads === undefined ? [] : ['--worker-threads', serverThreads];
const configs = option('nodes', 'memory,1,2,3,node-memory,node-1,node-2,node-3').split(',').filter(Boolean);
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error('bench: $REDIS_URL is not set; run `bash bench/scaleout/run.sh`, which starts a redis-server');
  process.exit(2);
}

/** A configuration's nodes: their kinds, and whether they share Redis. */
function parseConfig(config) {
  if (config === 'memory' || config === 'rust-memory') return { kinds: ['rust'], redis: false };
  if (config === 'node-memory') return { kinds: ['node'], redis: false };
  let m = /^(rust-|node-)?(\d+)$/.exec(config);
  if (m) return { kinds: Array(Number(m[2])).fill(m[1] === 'node-' ? 'node' : 'rust'), redis: true };
  m = /^(rust|node)(\+(rust|node))*$/.exec(config);
  if (m) return { kinds: config.split('+'), redis: true };
  console.error(`bench: unknown configuration \`${config}\`; see the options at the top of run.mjs`);
  process.exit(2);
}
const parsed = Object.fromEntries(configs.map((c) => [c, parseConfig(c)]));

const { executable, generated } = buildRust();
const loadClient = buildLoadClient();
const nodeServer = Object.values(parsed).some((c) => c.kinds.includes('node')) ? prepareNode(generated) : undefined;

/** The pid of the redis-server at $REDIS_URL, for its CPU time (undefined if unknown). */
function redisPid() {
  try {
    const info = execFileSync('redis-cli', ['-u', redisUrl, 'info', 'server'], { encoding: 'utf8' });
    return Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined;
  } catch {
    return undefined;
  }
}
const redisServerPid = redisPid();
const cpuOf = (pids) => pids.reduce((sum, pid) => sum + processStats(pid).cpuSeconds, 0);

async function burst(url, count, perSecond) {
  const b = perSecond > 0 ? pacedBatch : batch;
  const response = await fetch(`${url}/control/burst?count=${count}&batch=${b}&payload=${payload}&rate=${perSecond}`, {
    method: 'POST',
  });
  if (!response.ok) throw new Error(`burst: ${response.status} ${await response.text()}`);
  return response.json();
}

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * What one node's share of the latency is made of, from its client's timeline (`[seq, sentAt,
 * first, last, count]` per event): `reach` (sentAt to its first subscriber) and `spread` (first
 * to last subscriber) of each event.
 */
function parts(timeline) {
  return {
    reach: timeline.events.map(([, sentAt, first]) => first - sentAt),
    spread: timeline.events.map(([, , first, last]) => last - first),
  };
}

async function measure(url, clients, events, perSecond, pids = { nodes: [], redis: [], clients: [] }) {
  await Promise.all(clients.map((c) => c.ask('reset')));
  const cpu0 = { nodes: cpuOf(pids.nodes), redis: cpuOf(pids.redis), clients: cpuOf(pids.clients) };
  const t0 = performance.timeOrigin + performance.now();
  await burst(url, events, perSecond);
  const reports = await drain(clients, n * events);
  const cpu1 = { nodes: cpuOf(pids.nodes), redis: cpuOf(pids.redis), clients: cpuOf(pids.clients) };
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const perThousand = (seconds) => (received > 0 ? (seconds * 1e6) / received : NaN);
  const all = reports.flatMap((r) => r.latencies);
  // Client i holds node i's subscribers: the other nodes' are those of clients 1...
  const cross = reports.slice(1).flatMap((r) => r.latencies);
  const timelines = (await Promise.all(clients.map((c) => c.ask('timeline')))).map(parts);
  const others = timelines.length > 1 ? timelines.slice(1) : timelines;
  return {
    reachP99: percentile(others.flatMap((t) => t.reach), 99),
    spreadP99: percentile(others.flatMap((t) => t.spread), 99),
    clientCpuMs: perThousand(cpu1.clients - cpu0.clients),
    lost: n * events - received,
    outOfOrder: reports.reduce((sum, r) => sum + (r.outOfOrder ?? 0), 0),
    disconnects: reports.reduce((sum, r) => sum + r.disconnects, 0),
    perSecond: received / ((Math.max(...reports.map((r) => r.lastArrival)) - t0) / 1000),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    crossP99: percentile(cross, 99),
    nodeCpuMs: perThousand(cpu1.nodes - cpu0.nodes),
    redisCpuMs: perThousand(cpu1.redis - cpu0.redis),
  };
}

/** How long one configuration may take before it counts as stalled. */
const STALL_MS = Number(option('stall-seconds', '180')) * 1000;

async function runConfig(config, run) {
  const { kinds, redis } = parsed[config];
  const prefix = `bench:scaleout:${process.pid}:${config}:${run}`;
  const nodes = [];
  const clients = [];
  // Every process of this configuration, killed when it is given up (including one that work
  // still under way starts after that).
  const group = processGroup();
  let timer;
  let stalled = false;
  const stall = new Promise((_, reject) => {
    timer = setTimeout(() => {
      stalled = true;
      reject(new Error(`stalled: no result within ${STALL_MS / 1000} s`));
    }, STALL_MS);
  });
  const work = async () => {
    for (const kind of kinds) {
      const extra = redis ? ['--redis', redisUrl, '--redis-prefix', prefix] : [];
      nodes.push(
        kind === 'rust'
          ? await startProcess(executable, ['bench', '--exit-on-stdin-eof', ...rustThreads, ...extra], group)
          : await startProcess(process.execPath, [nodeServerScript, nodeServer, ...extra], group),
      );
    }
    const count = nodes.length;
    const share = (i) => Math.floor(n / count) + (i < n % count ? 1 : 0);
    const threads = ['--threads', String(clientThreads)];
    clients.push(...(await Promise.all(nodes.map((node, i) => startLoad(loadClient, node.url, share(i), threads, group)))));
    const pids = {
      nodes: nodes.map((node) => node.pid),
      redis: redis && redisServerPid ? [redisServerPid] : [],
      clients: clients.map((c) => c.pid),
    };
    await measure(nodes[0].url, clients, Math.min(50, k), 0); // warm-up
    const saturated = await measure(nodes[0].url, clients, k, 0, pids);
    const paced = await measure(nodes[0].url, clients, rate * 3, rate, pids);
    const rss = nodes.map((node) => processStats(node.pid).peakRssMiB);
    return { saturated, paced, rss };
  };
  try {
    return await Promise.race([work(), stall]);
  } finally {
    clearTimeout(timer);
    if (!stalled) {
      // Each stops on its own (SIGKILL after 5 s); a stalled one is not waited for.
      await Promise.all(clients.map((c) => c.stop()));
      await Promise.all(nodes.map((node) => node.stop()));
    }
    group.kill();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function label(config) {
  const { kinds, redis } = parsed[config];
  if (!redis) return `1 ${kinds[0] === 'rust' ? 'Rust' : 'Node'} node, in-memory log`;
  const counts = ['rust', 'node'].map((kind) => [kind, kinds.filter((x) => x === kind).length]).filter(([, c]) => c > 0);
  return `${counts.map(([kind, c]) => `${c} ${kind === 'rust' ? 'Rust' : 'Node'} node${c === 1 ? '' : 's'}`).join(' + ')}, Redis`;
}
/** The in-memory configuration of the same server as node 1 of `config`. */
const baseOf = (config) => (parsed[config].kinds[0] === 'rust' ? ['memory', 'rust-memory'] : ['node-memory']).find((c) => results[c]);

const results = {};
const failures = {};
for (let run = 0; run < runs; run += 1) {
  // Alternate the configurations within each run, so that drift of the machine hits them all.
  for (const config of configs) {
    try {
      const result = await runConfig(config, run);
      (results[config] ??= []).push(result);
      console.error(`bench: ${label(config)}, run ${run + 1}: ${Math.round(result.saturated.perSecond)} delivered/s`);
    } catch (error) {
      (failures[config] ??= []).push(`run ${run + 1}: ${error.message}`);
      console.error(`bench: ${label(config)}, run ${run + 1}: ${error.message}`);
    }
  }
}

let failed = false;
const fmt = (x) => (Number.isNaN(x) ? '-' : x.toFixed(1));
const fmt2 = (x) => (Number.isNaN(x) ? '-' : x.toFixed(2));
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `scale-out: N = ${n} subscribers spread over the nodes, K = ${k} events from node 1 (${batch} a batch, ${payload}-byte payload), paced ${rate} events/s ${pacedBatch} at a time (${rate * n} deliveries/s), one fanout-load of ${clientThreads} thread(s) per node, ${serverThreads === undefined ? 'Rust nodes with one worker thread per core' : `Rust nodes with ${serverThreads === '0' ? 'a current-thread runtime' : `${serverThreads} worker thread(s)`}`}, median of ${runs}, loopback, Redis ${redisUrl.replace(/:[^:@/]*@/, ':***@')}, load average at the end ${load}`,
);
console.log('');
console.log(
  '| nodes | delivered/s | vs 1 in-memory node of its server | p50 / p99 saturated (ms) | p50 / p99 paced (ms) | cross-node p99 paced (ms) | node CPU ms / 1k deliveries | Redis CPU ms / 1k | lost | out of order |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const medianOf = (config, pick) => median(results[config].map(pick));
for (const config of configs) {
  const rs = results[config] ?? [];
  if (failures[config]) failed = true;
  if (rs.length === 0) {
    console.log(`| ${label(config)} | failed: ${failures[config]?.join('; ')} | | | | | | | | |`);
    continue;
  }
  const m = (pick) => medianOf(config, pick);
  const lost = rs.reduce((sum, r) => sum + r.saturated.lost + r.paced.lost, 0);
  const outOfOrder = rs.reduce((sum, r) => sum + r.saturated.outOfOrder + r.paced.outOfOrder, 0);
  failed ||= lost !== 0 || outOfOrder !== 0;
  const perSecond = m((r) => r.saturated.perSecond);
  const base = baseOf(config);
  const ratio = base === undefined ? NaN : perSecond / medianOf(base, (r) => r.saturated.perSecond);
  console.log(
    `| ${label(config)} | ${Math.round(perSecond)} | ${fmt2(ratio)} | ${fmt(m((r) => r.saturated.p50))} / ${fmt(m((r) => r.saturated.p99))} | ${fmt(m((r) => r.paced.p50))} / ${fmt(m((r) => r.paced.p99))} | ${fmt(m((r) => r.paced.crossP99))} | ${fmt2(m((r) => r.saturated.nodeCpuMs))} | ${fmt2(m((r) => r.saturated.redisCpuMs))} | ${lost} | ${outOfOrder} |`,
  );
}
for (const [config, why] of Object.entries(failures)) {
  console.log(`\n${label(config)}: ${why.join('; ')} (its figures are the median of the other runs)`);
}
console.log('');
// What the paced latency is made of (medians over the runs).
console.log(
  `What the paced latency is made of (${rate} events/s; per event and node: reach = sentAt to the node's first subscriber, spread = its first to its last; over the nodes other than node 1 when there are any):`,
);
console.log('');
console.log(
  '| nodes | paced p99 (ms) | reach p99 (ms) | spread p99 (ms) | node CPU ms / 1k deliveries, paced | client CPU ms / 1k, paced | clients\' share of the CPU |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const config of configs) {
  if (!results[config]) continue;
  const m = (pick) => medianOf(config, pick);
  const nodeCpu = m((r) => r.paced.nodeCpuMs);
  const clientCpu = m((r) => r.paced.clientCpuMs);
  const redisCpu = m((r) => r.paced.redisCpuMs);
  const share = clientCpu / (nodeCpu + clientCpu + (Number.isNaN(redisCpu) ? 0 : redisCpu));
  console.log(
    `| ${label(config)} | ${fmt(m((r) => r.paced.p99))} | ${fmt(m((r) => r.paced.reachP99))} | ${fmt(m((r) => r.paced.spreadP99))} | ${fmt2(nodeCpu)} | ${fmt2(clientCpu)} | ${Number.isNaN(share) ? '-' : `${(share * 100).toFixed(0)}%`} |`,
  );
}
console.log('');
// The aims (issue #13): Redis costs one node under 20% of its delivered/s; cross-node p99 at
// paced load under 10 ms.
for (const [server, one, memory] of [
  ['Rust', ['1', 'rust-1'], ['memory', 'rust-memory']],
  ['Node', ['node-1'], ['node-memory']],
]) {
  const a = one.find((c) => results[c]);
  const b = memory.find((c) => results[c]);
  if (a === undefined || b === undefined) continue;
  const cost = 1 - medianOf(a, (r) => r.saturated.perSecond) / medianOf(b, (r) => r.saturated.perSecond);
  console.log(`Redis cost on one ${server} node: ${(cost * 100).toFixed(0)}% of its delivered/s (aim: under 20%)`);
}
const cross = configs.filter((c) => results[c] && parsed[c].redis && parsed[c].kinds.length > 1);
if (cross.length > 0) {
  const worst = Math.max(...cross.map((c) => medianOf(c, (r) => r.paced.crossP99)));
  console.log(`cross-node p99 at ${rate} events/s: at most ${fmt(worst)} ms over the clusters (aim: under 10 ms)`);
}
if (failed) {
  console.error('bench: events were lost or out of order, or a run failed');
  process.exit(1);
}
