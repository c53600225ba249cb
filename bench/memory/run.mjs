#!/usr/bin/env node
// Memory under a paused subscriber: the generated Node `RealtimeServer` and the Rust one
// (sheplang-socketio), same spec (sheplang-socketio/examples/specs/bench.shep), defaults.
//
// For each server, a fresh process: one socket.io-client subscriber (WebSocket) on `tick`,
// a warm-up burst it reads, the server's RSS; then the client stops reading (its TCP socket
// is paused: the kernel's buffers fill, then the server's queue for it), the server emits K
// events with a payload of P bytes, and the server's RSS is read again once they are all sent
// (and its peak, VmHWM). Both servers bound what waits for one client: `max_buffer_size` /
// `maxBufferedPackets` packets (4,096 by default); the channel's log also keeps the events
// (10,000 by default). The growth must stay under 4,096 packets of this size plus the log's
// share (the script exits 1 otherwise). The client then reads again and must
// get all K events (a client past the bound is disconnected and resumes; under it, nothing
// is dropped).
//
//   node bench/memory/run.mjs                          # K = 1,000 events of 5,000 bytes
//   node bench/memory/run.mjs --events 20000           # past the bound: the client is disconnected
//
// Options: --events 1000  --payload 5000  --servers node,rust  --bound 4096 (the servers'
// default per-client queue, in packets)  --log-capacity 10000 (the servers' default log, in
// events a channel: it keeps the same events for resuming clients). Needs cargo and ts/node_modules (`npm ci` in ts/).
import { currentRssMiB, ioClientPath, prepareServers, processStats } from '../fanout/servers.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const events = Number(option('events', '1000'));
const payload = Number(option('payload', '5000'));
const bound = Number(option('bound', '4096'));
const logCapacity = Number(option('log-capacity', '10000'));
const servers = option('servers', 'node,rust').split(',').filter(Boolean);

const { io } = await import(ioClientPath);
const commands = prepareServers();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function burst(server, count, size) {
  const response = await fetch(`${server.url}/control/burst?count=${count}&batch=50&payload=${size}`, {
    method: 'POST',
  });
  if (!response.ok) throw new Error(`burst: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A subscriber of `tick` that counts what it gets and can stop reading. */
async function subscriber(url) {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const client = { socket, received: 0, disconnected: false };
  socket.on('model_created', () => {
    client.received += 1;
  });
  socket.on('disconnect', () => {
    client.disconnected = true;
  });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const answer = await socket.timeout(10_000).emitWithAck('subscribe', 'tick');
  if (!answer?.ok) throw new Error(`subscribe refused: ${JSON.stringify(answer)}`);
  return client;
}

/** The TCP socket under the client (Node's `ws`), to stop reading from it. */
function tcpOf(socket) {
  const tcp = socket.io.engine.transport?.ws?._socket;
  if (!tcp) throw new Error('no TCP socket under the client');
  return tcp;
}

/** Waits until `predicate()` holds, polling every 20 ms, for at most `ms`. */
async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what} (after ${ms} ms)`);
    await sleep(20);
  }
}

/**
 * Samples the server's RSS every 50 ms until it has not grown for 1 s: the events are all in
 * its queue (or the kernel's) by then.
 */
async function settledRss(pid) {
  let rss = currentRssMiB(pid);
  let stillSince = Date.now();
  while (Date.now() - stillSince < 1_000) {
    await sleep(50);
    const now = currentRssMiB(pid);
    if (now > rss + 0.1) stillSince = Date.now();
    rss = Math.max(rss, now);
  }
  return currentRssMiB(pid);
}

const packetBytes = payload + 80; // the row's JSON around the payload, and the packet's frame
// What may wait for the one client, and what the channel's log keeps of the same events
// (10,000 a channel by default, for resuming clients): the server may grow by both.
const queueMiB = (bound * packetBytes) / (1 << 20);
const logMiB = (Math.min(events, logCapacity) * packetBytes) / (1 << 20);
const boundMiB = queueMiB + logMiB;
const rows = [];
for (const name of servers) {
  const server = await commands[name]();
  const client = await subscriber(server.url);
  // Warm-up, read: JIT, buffers, the connection's first packets.
  await burst(server, 200, payload);
  await until(() => client.received === 200, 10_000, 'the warm-up did not arrive');
  await sleep(300);
  const before = currentRssMiB(server.pid);
  const tcp = tcpOf(client.socket);
  tcp.pause();
  client.received = 0;
  await burst(server, events, payload);
  const after = await settledRss(server.pid);
  const peak = processStats(server.pid).peakRssMiB;
  tcp.resume();
  // Every event arrives once the client reads again, unless the server disconnected it (past
  // the bound), which it then sees.
  await until(() => client.received >= events || client.disconnected, 30_000, 'the paused client got nothing back');
  const row = {
    server: name,
    before,
    after,
    peak,
    growth: after - before,
    received: client.received,
    disconnected: client.disconnected,
  };
  rows.push(row);
  client.socket.close();
  await server.stop();
  console.error(
    `memory: ${name}: RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB (peak ${peak.toFixed(1)}); ` +
      `the client then got ${row.received} of ${events}${row.disconnected ? ' and was disconnected' : ''}`,
  );
}

const fmt = (x) => x.toFixed(1);
const lines = [
  `memory: one paused subscriber, ${events.toLocaleString('en-US')} events of ${payload.toLocaleString('en-US')} bytes; ` +
    `per-client bound: ${bound.toLocaleString('en-US')} packets of ~${packetBytes.toLocaleString('en-US')} bytes = ${fmt(queueMiB)} MiB, ` +
    `plus the channel's log: ${Math.min(events, logCapacity).toLocaleString('en-US')} events = ${fmt(logMiB)} MiB`,
  '',
  '| server | RSS before MiB | RSS after MiB | growth MiB | peak RSS MiB | bound (queue + log) MiB | client got | disconnected |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
];
let failed = false;
for (const r of rows) {
  const within = r.growth <= boundMiB;
  const complete = r.received === events || (r.disconnected && events > bound);
  failed ||= !within || !complete;
  lines.push(
    `| ${r.server} | ${fmt(r.before)} | ${fmt(r.after)} | ${fmt(r.growth)}${within ? '' : ' (OVER)'} | ${fmt(r.peak)} | ` +
      `${fmt(boundMiB)} | ${r.received.toLocaleString('en-US')}${complete ? '' : ' (LOST)'} | ${r.disconnected ? 'yes' : 'no'} |`,
  );
}
const node = rows.find((r) => r.server === 'node');
const rust = rows.find((r) => r.server === 'rust');
if (node && rust) {
  lines.push('', `Rust / node: growth ${(rust.growth / node.growth).toFixed(2)}x, RSS after ${(rust.after / node.after).toFixed(2)}x`);
}
console.log(lines.join('\n'));
process.exit(failed ? 1 : 0);
