#!/usr/bin/env node
// Memory per idle realtime connection of the demo server (`sheplang-demo`, release build):
// for each transport (WebSocket, HTTP long-polling) and each connection count N, start a fresh
// server, warm it up, read its resident memory (VmRSS), open N Socket.IO connections that each
// join the default namespace and then only answer heartbeats, read VmRSS again, and print
// (RSS with N - RSS before) / N.
//
//   bash bench/connections/run.sh                          # N = 1,000 and 10,000, both transports
//   bash bench/connections/run.sh --counts 1000 --transports websocket
//
// run.sh raises the open-file limit (10,000 connections need as many descriptors on each side)
// and runs this script. Needs: cargo (builds sheplang-demo in release) and ts/node_modules
// (the `ws` package), installed by `npm ci` in ts/. Only 127.0.0.1 is used. Bounded: each
// server run has 5 minutes, the whole script 30.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const workspace = resolve(here, '..', '..');
const tsDir = join(workspace, 'ts');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const counts = list(option('counts', '1000,10000')).map(Number);
const transports = list(option('transports', 'websocket,polling'));
const concurrency = Number(option('concurrency', '200'));
const settleMs = Number(option('settle-ms', '3000'));

if (!existsSync(join(tsDir, 'node_modules', 'ws'))) {
  console.error('bench: ts/node_modules is missing; run `npm ci` in ts/ first');
  process.exit(2);
}
const WebSocket = createRequire(join(tsDir, 'package.json'))('ws');

const overall = setTimeout(() => {
  console.error('bench: gave up after 30 minutes');
  process.exit(1);
}, 30 * 60_000);
overall.unref();

// ---------------------------------------------------------------- the server
function buildDemo() {
  execFileSync('cargo', ['build', '--release', '--locked', '-p', 'sheplang-demo'], {
    cwd: workspace,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return join(workspace, 'target', 'release', 'sheplang-demo');
}

async function startDemo(binary, maxConnections) {
  const web = mkdtempSync(join(tmpdir(), 'sheplang-bench-web-'));
  const child = spawn(
    binary,
    ['--port', '0', '--memory', '--web', web, '--max-connections', String(maxConnections)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolveUrl, reject) => {
    child.once('exit', (code) => reject(new Error(`sheplang-demo exited (${code})`)));
    lines.on('line', (line) => {
      if (line.startsWith('http://')) resolveUrl(line.replace(/\/$/, ''));
    });
  });
  return {
    url,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
    },
    stop: () => {
      child.kill('SIGKILL');
      rmSync(web, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- the clients
/** A WebSocket client: open, join the namespace, answer pings. Resolves once joined. */
function websocketClient(url) {
  return new Promise((joined, failed) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => failed(new Error('websocket: not joined within 60 s')), 60_000);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0{')) ws.send('40');
      else if (text === '2') ws.send('3');
      else if (text.startsWith('40')) {
        clearTimeout(timer);
        joined({ close: () => ws.terminate() });
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      failed(e);
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

function request(method, url, body) {
  return new Promise((done, failed) => {
    const req = http.request(url, { method, agent, headers: body ? { 'content-type': 'text/plain' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? done(text) : failed(new Error(`${method} ${res.statusCode}: ${text}`))));
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method}: no answer within 60 s`)));
    req.on('error', failed);
    req.end(body);
  });
}

/** A long-polling client: handshake, join, then keep one GET waiting, answering pings. */
async function pollingClient(url) {
  const open = await request('GET', `${url}/socket.io/?EIO=4&transport=polling`);
  const { sid } = JSON.parse(open.slice(1));
  const path = `${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  await request('POST', path, '40');
  let closed = false;
  const packets = async () => (await request('GET', path)).split('\x1e');
  let joined = false;
  while (!joined) {
    for (const packet of await packets()) {
      if (packet.startsWith('40')) joined = true;
      else if (packet === '2') await request('POST', path, '3');
    }
  }
  (async () => {
    while (!closed) {
      try {
        for (const packet of await packets()) if (packet === '2') await request('POST', path, '3');
      } catch {
        return;
      }
    }
  })();
  return { close: () => (closed = true) };
}

async function openMany(n, open) {
  const clients = [];
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next += 1;
      clients.push(await open());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  return clients;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the runs
const binary = buildDemo();
const rows = [];
for (const transport of transports) {
  const open = transport === 'polling' ? pollingClient : websocketClient;
  for (const n of counts) {
    const server = await startDemo(binary, n + 1_000);
    const run = (async () => {
      // Warm-up: a few connections come and go, so that the baseline includes the runtime's
      // first allocations.
      const warm = await openMany(50, () => open(server.url));
      warm.forEach((c) => c.close());
      await sleep(settleMs);
      const before = server.rss();
      const started = Date.now();
      const clients = await openMany(n, () => open(server.url));
      const openedIn = (Date.now() - started) / 1000;
      await sleep(settleMs);
      const after = server.rss();
      clients.forEach((c) => c.close());
      return { transport, n, before, after, openedIn };
    })();
    const limit = sleep(5 * 60_000).then(() => {
      throw new Error(`${transport} N=${n}: not done within 5 minutes`);
    });
    try {
      const row = await Promise.race([run, limit]);
      rows.push(row);
      const perKiB = (row.after - row.before) / row.n / 1024;
      console.error(`${transport} N=${n}: ${perKiB.toFixed(1)} KiB per connection (opened in ${row.openedIn.toFixed(1)} s)`);
    } finally {
      server.stop();
      agent.destroy();
    }
  }
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
console.log('| transport | connections | RSS before (MiB) | RSS with them (MiB) | per connection (KiB) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  const per = ((r.after - r.before) / r.n / 1024).toFixed(1);
  console.log(`| ${r.transport} | ${r.n.toLocaleString('en')} | ${mib(r.before)} | ${mib(r.after)} | ${per} |`);
}
process.exit(0);
