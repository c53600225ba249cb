// The generated TypeScript server's own options (not part of the shared protocol cases):
// origins, authorize failures, the logger, recovery, payload limit, connection limits,
// counting and closing.
import assert from 'node:assert/strict';
import type { Server as HttpServer } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { test } from 'node:test';

import type { RealtimeLogger } from '../.generated/specs/tasks/ts-server/api/realtime/server.js';
import type { Task } from '../.generated/specs/tasks/ts-server/types.js';
import { sleep, TestClient, within } from './client.js';
import { barrier } from './protocol-cases.js';
import { startTsServer, type StartedTsServer } from './ts-server.js';

const task: Task = { id: 'task-1', title: 'Write', done: false, createdAt: '2026-11-25T09:00:00Z', tags: [], status: 'open' };

/** Runs `body` with a server and closes the server and every client it opened. */
async function withServer(
  options: Parameters<typeof startTsServer>[1],
  body: (server: StartedTsServer, connect: typeof TestClient.connect) => Promise<void>,
): Promise<void> {
  const server = await startTsServer({}, options);
  const clients: TestClient[] = [];
  try {
    await body(server, async (url, clientOptions, timeoutMs) => {
      const client = await TestClient.connect(url, clientOptions, timeoutMs);
      clients.push(client);
      return client;
    });
  } finally {
    for (const client of clients) client.close();
    await within(server.close(), 5_000, 'the server did not close');
  }
}

const fromOrigin = (origin: string) => ({ extraHeaders: { origin } });

test('origins: by default only same-origin pages and non-browser clients get in', { timeout: 30_000 }, async () => {
  await withServer({}, async (server, connect) => {
    await assert.rejects(connect(server.url, fromOrigin('https://evil.example'), 2_000));
    await assert.rejects(connect(server.url, { ...fromOrigin('https://evil.example'), transports: ['polling'] }, 2_000));
    await connect(server.url, fromOrigin(server.url));
    await connect(server.url);
  });
});

test('origins: a configured list lets those in and sends CORS headers for polling', { timeout: 30_000 }, async () => {
  await withServer({ origins: ['https://app.example'] }, async (server, connect) => {
    await connect(server.url, fromOrigin('https://app.example'));
    await connect(server.url, { ...fromOrigin('https://app.example'), transports: ['polling'] });
    await assert.rejects(connect(server.url, fromOrigin('https://evil.example'), 2_000));
    const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://app.example' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
    await response.body?.cancel();
  });
});

test("origins: '*' lets everyone in", { timeout: 30_000 }, async () => {
  await withServer({ origins: '*' }, async (server, connect) => {
    await connect(server.url, fromOrigin('https://anyone.example'));
  });
});

test('authorize: a throw, a rejection, a non-true answer or no answer in time deny', { timeout: 30_000 }, async () => {
  await withServer(
    {
      authorizeTimeoutMs: 200,
      authorize: (_socket, channel) => {
        if (channel === 'task') throw new Error('boom');
        return new Promise<boolean>(() => {});
      },
    },
    async (server, connect) => {
      const client = await connect(server.url);
      assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: false, error: 'not authorized' }]);
      assert.deepEqual(await client.request('subscribe', ['user']), [{ ok: false, error: 'not authorized' }]);
      assert.deepEqual(await client.request('ping', []), []);
    },
  );
  for (const authorize of [async () => Promise.reject(new Error('no')), () => 'yes' as unknown as boolean]) {
    await withServer({ authorize }, async (server, connect) => {
      const client = await connect(server.url);
      assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: false, error: 'not authorized' }]);
    });
  }
});

test('authorize sees the socket, and data a middleware put on it', { timeout: 30_000 }, async () => {
  await withServer({ authorize: (socket) => socket.data['userId'] === 'ada' }, async (server, connect) => {
    server.realtime.io.use((socket, next) => {
      const auth: unknown = socket.handshake.auth;
      socket.data['userId'] = typeof auth === 'object' && auth !== null && 'user' in auth ? auth.user : undefined;
      next();
    });
    const ada = await connect(server.url, { auth: { user: 'ada' } });
    const bob = await connect(server.url, { auth: { user: 'bob' } });
    assert.deepEqual(await ada.request('subscribe', ['task']), [{ ok: true }]);
    assert.deepEqual(await bob.request('subscribe', ['task']), [{ ok: false, error: 'not authorized' }]);
  });
});

test('logger: quiet by default, and told what happens when given', { timeout: 30_000 }, async () => {
  const methods = ['log', 'debug', 'info', 'warn', 'error'] as const;
  const originals = methods.map((m) => console[m]);
  let consoleCalls = 0;
  for (const m of methods) console[m] = () => void (consoleCalls += 1);
  try {
    await withServer({ authorize: () => false }, async (server, connect) => {
      const client = await connect(server.url);
      await client.request('subscribe', ['task']);
      await client.request('subscribe', [42]);
    });
  } finally {
    methods.forEach((m, i) => {
      const original = originals[i];
      if (original !== undefined) console[m] = original;
    });
  }
  assert.equal(consoleCalls, 0);

  const lines: string[] = [];
  const logger: RealtimeLogger = {
    debug: (message) => lines.push(`debug ${message}`),
    info: (message) => lines.push(`info ${message}`),
    warn: () => {
      throw new Error('a broken logger must not break the server');
    },
  };
  await withServer({ logger, authorize: (_s, channel) => channel === 'task' }, async (server, connect) => {
    const client = await connect(server.url);
    assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: true }]);
    assert.deepEqual(await client.request('subscribe', ['user']), [{ ok: false, error: 'not authorized' }]);
  });
  assert.ok(lines.includes('debug client connected'), lines.join('\n'));
  assert.ok(lines.includes('debug subscribed'), lines.join('\n'));
  assert.ok(lines.includes('info subscription denied'), lines.join('\n'));
});

test('no Socket.IO recovery: a client reconnected without positions starts afresh', { timeout: 30_000 }, async () => {
  await withServer({}, async (server, connect) => {
    const client = await connect(server.url, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
    assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: true }]);
    const down = client.disconnected();
    client.socket.io.engine.close();
    await down;
    server.realtime.emitModelCreated('Task', task);
    await within(new Promise<void>((resolve) => client.socket.once('connect', () => resolve())), 5_000, 'no reconnection');
    // socket.io-client leaves `recovered` undefined when the server offers no recovery.
    assert.equal(client.socket.recovered, undefined);
    await barrier(server, client);
    assert.equal(client.all('model_created').length, 0, 'a missed event was replayed');
    // Afresh: the subscription is gone with the old session.
    server.realtime.emitModelCreated('Task', { ...task, id: 'task-2' });
    await barrier(server, client);
    assert.equal(client.all('model_created').length, 0, 'still subscribed after the reconnection');
  });
});

test('maxPayloadBytes: a larger message closes that connection only', { timeout: 30_000 }, async () => {
  await withServer({ maxPayloadBytes: 1_000 }, async (server, connect) => {
    const client = await connect(server.url);
    const down = client.disconnected();
    client.send('subscribe', 'x'.repeat(2_000));
    await down;
    const fresh = await connect(server.url);
    assert.deepEqual(await fresh.request('subscribe', ['task']), [{ ok: true }]);
  });
});

test('getConnectedCount and close', { timeout: 30_000 }, async () => {
  const server = await startTsServer();
  const a = await TestClient.connect(server.url);
  const b = await TestClient.connect(server.url);
  try {
    assert.equal(server.realtime.getConnectedCount(), 2);
    const gone = b.disconnected();
    b.close();
    await gone;
    await within(
      (async () => {
        while (server.realtime.getConnectedCount() !== 1) await sleep(10);
      })(),
      2_000,
      'the count did not drop',
    );
    const closed = a.disconnected();
    await within(server.close(), 5_000, 'close did not resolve');
    await closed;
    assert.equal(a.socket.connected, false);
  } finally {
    a.close();
    b.close();
  }
});

/** Opens a TCP connection to `url` and writes `data`; resolves once connected. */
async function rawConnection(url: string, data: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(data);
  return socket;
}

/** Resolves with what the server sent once it closes `socket`. */
function closedByServer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.once('close', () => resolve(received));
  });
}

test('connection: the HTTP server gets the default limits, or none with false', { timeout: 30_000 }, async () => {
  const server = await startTsServer();
  const own = await startTsServer({}, { connection: false });
  try {
    // Socket.IO types it as any of Node's servers; ts-server.ts attaches an http.Server.
    const http = server.realtime.io.httpServer as HttpServer;
    assert.equal(http.headersTimeout, 10_000);
    assert.equal(http.requestTimeout, 30_000);
    assert.equal(http.keepAliveTimeout, 5_000);
    assert.equal(http.maxConnections, 10_000);
    const untouched = own.realtime.io.httpServer as HttpServer;
    assert.equal(untouched.headersTimeout, 60_000, "Node's own default");
    assert.equal(untouched.maxConnections, undefined, "Node's own default: no cap");
  } finally {
    await server.close();
    await own.close();
  }
});

test('connection: an unfinished request head is closed after headersTimeoutMs', { timeout: 30_000 }, async () => {
  const server = await startTsServer(
    {},
    { connection: { headersTimeoutMs: 500, requestTimeoutMs: 1_000 } },
    { connectionsCheckingInterval: 100 },
  );
  try {
    const partial = await rawConnection(server.url, 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n');
    const answer = await within(closedByServer(partial), 10_000, 'the partial head was not closed');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    // A complete request is answered meanwhile and afterwards.
    await TestClient.connect(server.url).then((client) => client.close());
  } finally {
    await server.close();
  }
});

test('connection: beyond maxConnections a new connection is closed at once, until one leaves', { timeout: 30_000 }, async () => {
  await withServer({ connection: { maxConnections: 2 } }, async (server, connect) => {
    const first = await connect(server.url);
    await connect(server.url);
    const extra = await rawConnection(server.url, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(closedByServer(extra), 2_000, 'a connection over the cap was left open');
    const gone = first.disconnected();
    first.close();
    await gone;
    // The server counts the closed connection a little later: retry until it lets one in.
    await within(
      (async () => {
        for (;;) {
          try {
            (await TestClient.connect(server.url, {}, 1_000)).close();
            return;
          } catch {
            await sleep(50);
          }
        }
      })(),
      10_000,
      'no connection was let in after one left',
    );
  });
});
