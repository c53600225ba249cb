// The generated Node `RealtimeServer` of sheplang-socketio/examples/specs/bench.shep, the one
// Node server of the benchmarks (bench/fanout, bench/memory, bench/scaleout): on its in-memory
// log, or on the generated `RedisLog` when given a Redis URL (docs/scale-out.md). The same
// control routes as the Rust `serve-spec` (test/bench support, never for production):
//   POST /control/burst?count=K&batch=B&payload=N&rate=R  emits K `Tick` rows: as fast as
//        possible, yielding every B (rate 0), or paced at R events/s, B at a time
//   GET  /control/stats                                   {"connected": n, "metrics": {...}}
// Usage: node node-server.mjs <folder of the compiled server half> [--redis URL --redis-prefix P]
// (the folder servers.mjs's prepareNode returns). Prints one JSON line {"port":N,"pid":N} once
// listening on 127.0.0.1; exits when stdin closes.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [folder, ...rest] = process.argv.slice(2);
const option = (name) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};
const realtimeDir = join(folder, 'api', 'realtime');
const { RealtimeServer } = await import(pathToFileURL(join(realtimeDir, 'server.js')).href);
const redisUrl = option('redis');
let log;
if (redisUrl !== undefined) {
  const { RedisLog } = await import(pathToFileURL(join(realtimeDir, 'redis.js')).href);
  log = await RedisLog.connect(redisUrl, { prefix: option('redis-prefix') ?? 'sheplang' });
}

const now = () => performance.timeOrigin + performance.now();
const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

const http = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/control/burst') {
    const count = Number(url.searchParams.get('count') ?? '0');
    const batch = Math.max(1, Number(url.searchParams.get('batch') ?? '50'));
    const payload = 'x'.repeat(Math.min(Number(url.searchParams.get('payload') ?? '0'), 1 << 20));
    const rate = Number(url.searchParams.get('rate') ?? '0');
    const started = now();
    for (let seq = 0; seq < count; seq += 1) {
      realtime.emitModelCreated('Tick', { id: String(seq), seq, sentAt: now(), payload });
      if ((seq + 1) % batch === 0) {
        if (rate > 0) {
          const due = started + ((seq + 1) * 1000) / rate;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - now())));
        } else {
          await yieldToIo();
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ emitted: count, failedDeliveries: 0, elapsedMs: now() - started }));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/control/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ connected: realtime.getConnectedCount(), metrics: realtime.metrics() }));
    return;
  }
  // Socket.IO answers its own path; leave everything else to a 404.
  if (!url.pathname.startsWith('/socket.io')) {
    res.writeHead(404);
    res.end();
  }
});
const realtime = new RealtimeServer(http, log === undefined ? {} : { log });
http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: http.address().port, pid: process.pid })}\n`);
});
process.stdin.resume();
const quit = () => void realtime.close().finally(() => process.exit(0));
process.stdin.on('end', quit);
process.stdin.on('error', quit);
