// A Node node of a scale-out cluster as a process of its own, so that a test can `kill -9`
// it: the generated `RealtimeServer` of specs/tasks.shep on the generated `RedisLog`
// (docs/scale-out.md), on a free port of 127.0.0.1, with two control routes (test support,
// like `serve-spec`'s; never for production):
//   POST /control/emit-batch  {"events": [{"event": "model_created", "args": ["Task", row]}]}
//        emits each event through the server (answers once they are handed to its log)
//   GET  /control/stats       {"metrics": RealtimeMetrics}
//
// Usage (from ts/): node --import tsx test/cluster-node.ts <redis url> <key prefix>
// Prints one JSON line {"port":N,"pid":N} once listening; exits when its stdin closes.
// Not a test file (test/*.test.ts are): test/scaleout.test.ts starts it.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { RedisLog } from '../.generated/specs/tasks/ts-server/api/realtime/redis.js';
import { RealtimeServer } from '../.generated/specs/tasks/ts-server/api/realtime/server.js';
import type { Task } from '../.generated/specs/tasks/ts-server/types.js';

const [url, prefix] = process.argv.slice(2);
if (url === undefined || prefix === undefined) {
  process.stderr.write('usage: cluster-node.ts <redis url> <key prefix>\n');
  process.exit(2);
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const log = await RedisLog.connect(url, { prefix });
const http = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  if (req.method === 'POST' && path === '/control/emit-batch') {
    void body(req).then(
      (text) => {
        const { events } = JSON.parse(text) as { events: { event: string; args: [string, Task] }[] };
        for (const { event, args } of events) {
          if (event !== 'model_created' || args[0] !== 'Task') {
            res.writeHead(400).end(`this node emits model_created("Task", row) only, not ${event}`);
            return;
          }
        }
        for (const { args } of events) realtime.emitModelCreated('Task', args[1]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ emitted: events.length }));
      },
      (error: unknown) => res.writeHead(400).end(String(error)),
    );
    return;
  }
  if (req.method === 'GET' && path === '/control/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ metrics: realtime.metrics() }));
    return;
  }
  // Socket.IO answers its own path; everything else is a 404.
  if (!path.startsWith('/socket.io')) res.writeHead(404).end();
});
const realtime = new RealtimeServer(http, { log });
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
});
process.stdin.resume();
const quit = (): void => {
  void realtime
    .close()
    .then(() => log.close())
    .finally(() => process.exit(0));
};
process.stdin.on('end', quit);
process.stdin.on('error', quit);
