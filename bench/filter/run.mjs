#!/usr/bin/env node
// Filtered fan-out benchmark (docs/wire.md, "Filtered subscriptions"): the Rust server
// (`serve-spec bench`, release) with N subscribers, each filtered on its team
// (`{ team: "t<i % T>" }`, T teams: N/T subscribers per team), against the same N subscribers
// unfiltered. The rows are the same in both cases (`Tick` rows with a `team`, T teams in turn),
// so each event reaches N/T subscribers filtered and N unfiltered; the filtered runs emit T
// times as many events, so both deliver about the same number of rows.
//
// Per case, in a fresh server process each: delivered/s (saturated, as bench/fanout: the
// server emits K events as fast as it takes them, a batch at a time, the next once its
// dispatcher has handed this one to the connections; each batch holds the same number of
// deliveries in both cases: 50 events to all N unfiltered, 50*T events filtered, so that both
// offer the server the same work per step and each connection its events at the same pace;
// deliveries / (just before the burst -> last arrival)), p50/p99 latency (`sentAt` at emit -> arrival), the server's CPU
// time (user+system, /proc) per 1,000 deliveries and per 1,000 events, lost events and
// positions out of order (both must be 0, else the script exits 1). Then the ratios
// filtered/unfiltered; the aim is less than 2x CPU per delivery.
//
//   node bench/filter/run.mjs                           # N = 1000, T = 100, median of 3
//   node bench/filter/run.mjs --runs 1 --events 100     # quick look
//
// Options: --subscribers 1000  --teams 100  --events 200 (unfiltered K; filtered: K*T)
//          --runs 3  --payload 64  --batch 50 (unfiltered events a step; filtered: batch*T)
// Needs: cargo (builds serve-spec and fanout-load in release) and ts/node_modules (`npm ci` in
// ts/; bench/fanout/servers.mjs checks it). Only 127.0.0.1 is used.
import { loadavg } from 'node:os';

import { buildLoadClient, buildRust, drain, processStats, startLoad, startProcess } from '../fanout/servers.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const subscribers = Number(option('subscribers', '1000'));
const teams = Number(option('teams', '100'));
const events = Number(option('events', '200'));
const runs = Number(option('runs', '3'));
const payload = Number(option('payload', '64'));
const batch = Number(option('batch', '50'));
if (!(subscribers > 0 && teams > 0 && subscribers % teams === 0 && events > 0 && runs > 0)) {
  console.error('bench: --subscribers must be a multiple of --teams; --events and --runs positive');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (sorted, p) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** One saturated burst of `k` events; waits for `expected` deliveries (or 3 s of quiet). */
async function measure(server, clients, k, expected, batch) {
  await clients.ask('reset');
  const t0 = performance.timeOrigin + performance.now();
  const response = await fetch(`${server.url}/control/burst?count=${k}&batch=${batch}&payload=${payload}&teams=${teams}`, {
    method: 'POST',
  });
  if (!response.ok) throw new Error(`burst: ${response.status} ${await response.text()}`);
  const [report] = await drain([clients], expected);
  const latencies = Float64Array.from(report.latencies).sort();
  return {
    deliveries: report.received,
    lost: expected - report.received,
    seconds: (report.lastArrival - t0) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    outOfOrder: report.outOfOrder,
    disconnects: report.disconnects,
  };
}

const { executable } = buildRust();
const loadClient = buildLoadClient();
const cases = [
  // Each step of the burst hands the server the same number of deliveries in both cases
  // (`batch` events to every subscriber, or `batch * teams` events to a team each): the server
  // is offered the same work between two of its dispatcher's hand-offs, and each connection
  // gets its events at the same pace.
  { name: 'unfiltered', filterTeams: 0, k: events, perEvent: subscribers, batch },
  { name: 'filtered', filterTeams: teams, k: events * teams, perEvent: subscribers / teams, batch: batch * teams },
];
console.error(`bench: load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const under = [];
for (const c of cases) {
  const server = await startProcess(executable, ['bench', '--port', '0', '--exit-on-stdin-eof']);
  const clients = await startLoad(loadClient, server.url, subscribers, c.filterTeams > 0 ? ['--filter-teams', String(c.filterTeams)] : []);
  await measure(server, clients, Math.min(c.k, 200), Math.min(c.k, 200) * c.perEvent, c.batch); // warm-up
  under.push({ ...c, server, clients, runs: [], cpu: 0 });
}
// The cases alternate, so a change in the machine's load hits both alike.
for (let r = 0; r < runs; r += 1) {
  for (const u of under) {
    const before = processStats(u.server.pid).cpuSeconds;
    u.runs.push(await measure(u.server, u.clients, u.k, u.k * u.perEvent, u.batch));
    u.cpu += processStats(u.server.pid).cpuSeconds - before;
    await sleep(200);
  }
}
const load = loadavg();
const rows = [];
for (const u of under) {
  await u.clients.stop();
  await u.server.stop();
  const deliveries = u.runs.reduce((sum, m) => sum + m.deliveries, 0);
  rows.push({
    name: u.name,
    events: u.k,
    perEvent: u.perEvent,
    deliveredPerSecond: median(u.runs.map((m) => m.deliveries / m.seconds)),
    p50: median(u.runs.map((m) => m.p50)),
    p99: median(u.runs.map((m) => m.p99)),
    cpuPer1kDeliveries: (u.cpu * 1e6) / Math.max(1, deliveries),
    cpuPer1kEvents: (u.cpu * 1e6) / Math.max(1, u.k * runs),
    lost: u.runs.reduce((sum, m) => sum + m.lost, 0),
    outOfOrder: u.runs.reduce((sum, m) => sum + m.outOfOrder, 0),
    disconnects: u.runs.reduce((sum, m) => sum + m.disconnects, 0),
  });
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const lines = [
  `filtered fan-out: rust server, N = ${subscribers} subscribers, ${teams} teams (${subscribers / teams} subscribers a team), ` +
    `${payload}-byte payload, median of ${runs} run(s), loopback; load average after: ${load.map((x) => x.toFixed(2)).join(' ')}`,
  '',
  '| case | events a run | deliveries an event | delivered/s | p50 ms | p99 ms | server CPU ms / 1k deliveries | server CPU ms / 1k events | lost | out of order | disconnects |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  lines.push(
    `| ${r.name} | ${r.events} | ${r.perEvent} | ${Math.round(r.deliveredPerSecond).toLocaleString('en-US')} | ${fmt(r.p50)} | ` +
      `${fmt(r.p99)} | ${fmt(r.cpuPer1kDeliveries, 2)} | ${fmt(r.cpuPer1kEvents, 2)} | ${r.lost} | ${r.outOfOrder} | ${r.disconnects} |`,
  );
}
const [plain, filtered] = rows;
const cpuRatio = filtered.cpuPer1kDeliveries / plain.cpuPer1kDeliveries;
lines.push('');
lines.push(
  `filtered / unfiltered: delivered/s ${fmt(filtered.deliveredPerSecond / plain.deliveredPerSecond, 2)}x, ` +
    `p99 ${fmt(filtered.p99 / plain.p99, 2)}x, CPU per delivery ${fmt(cpuRatio, 2)}x ` +
    `(aim: under 2x: ${cpuRatio < 2 ? 'met' : 'NOT met'})`,
);
const lost = rows.reduce((sum, r) => sum + r.lost + r.outOfOrder, 0);
lines.push(lost === 0 ? 'lost events: 0, out of order: 0' : `LOST OR OUT OF ORDER: ${lost}`);
console.log(lines.join('\n'));
process.exit(lost === 0 ? 0 : 1);
