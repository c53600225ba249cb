// The shared protocol cases (protocol-cases.ts) against the Rust server, with real
// socket.io-client: the same list the generated TypeScript server passes (server.test.ts), so
// the two servers cannot drift apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { startRustServer, startServeSpec, serveSpecBinary } from '../support/rust-server.js';
import { TestClient, type ClientOptions } from './client.js';
import { PROTOCOL_CASES, runCase, type ProtocolCase } from './protocol-cases.js';

/**
 * Cases the Rust server cannot pass, and why. Each is still run (as a TODO: reported, not
 * failing), so that the day it passes shows up.
 */
const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map();

function options(protocolCase: ProtocolCase): { timeout: number; skip?: string; todo?: string } {
  const todo = KNOWN_DIFFERENCES.get(protocolCase.name);
  return todo === undefined ? { timeout: 60_000 } : { timeout: 60_000, todo };
}

// Build (or find) the binary once, before the first case's clock starts.
serveSpecBinary();

for (const protocolCase of PROTOCOL_CASES) {
  test(`rust server: ${protocolCase.name}`, options(protocolCase), () => runCase(startRustServer, protocolCase));
}

// The Rust server's own options, as a browser or a Node client sees them (the counterpart of
// the origin tests in server-options.test.ts).
const fromOrigin = (origin: string): ClientOptions => ({ extraHeaders: { origin } });

async function withRust(args: readonly string[], body: (url: string) => Promise<void>): Promise<void> {
  const server = await startServeSpec('tasks', args);
  try {
    await body(server.url);
  } finally {
    await server.stop();
  }
}

test('rust server: by default only same-origin pages and non-browser clients get in', { timeout: 30_000 }, () =>
  withRust([], async (url) => {
    await assert.rejects(TestClient.connect(url, fromOrigin('https://evil.example'), 2_000));
    await assert.rejects(
      TestClient.connect(url, { ...fromOrigin('https://evil.example'), transports: ['polling'] }, 2_000),
    );
    (await TestClient.connect(url, fromOrigin(url))).close();
    (await TestClient.connect(url)).close();
  }),
);

test('rust server: a configured list lets those in and sends CORS headers for polling', { timeout: 30_000 }, () =>
  withRust(['--origin', 'https://app.example'], async (url) => {
    (await TestClient.connect(url, fromOrigin('https://app.example'))).close();
    (await TestClient.connect(url, { ...fromOrigin('https://app.example'), transports: ['polling'] })).close();
    await assert.rejects(TestClient.connect(url, fromOrigin('https://evil.example'), 2_000));
    const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://app.example' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
    await response.body?.cancel();
  }),
);

test('rust server: any origin only when asked for', { timeout: 30_000 }, () =>
  withRust(['--any-origin'], async (url) => {
    (await TestClient.connect(url, fromOrigin('https://anyone.example'))).close();
  }),
);

test('rust server: the polling transport carries the protocol too', { timeout: 30_000 }, async () => {
  const server = await startServeSpec('tasks');
  const client = await TestClient.connect(server.url, { transports: ['polling'] });
  try {
    assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: true }]);
    assert.deepEqual(await client.request('subscribe', ['nope']), [{ ok: false, error: 'unknown channel "nope"' }]);
    const row = { id: 't-1', title: 'Polled', done: false, createdAt: '2026-11-25T09:00:00Z', tags: [], status: 'doing' };
    await server.control('/control/emit', { event: 'model_created', args: ['Task', row] });
    assert.deepEqual((await client.waitFor('model_created')).args, ['Task', row]);
  } finally {
    client.close();
    await server.stop();
  }
});

test('rust server: a hook that panics or hangs denies, and the server keeps serving', { timeout: 30_000 }, () =>
  withRust(['--panic', 'user', '--hang', 'task', '--authorize-timeout-ms', '300'], async (url) => {
    const client = await TestClient.connect(url);
    try {
      assert.deepEqual(await client.request('subscribe', ['user']), [{ ok: false, error: 'not authorized' }]);
      assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: false, error: 'not authorized' }]);
      assert.deepEqual(await client.request('ping', []), []);
    } finally {
      client.close();
    }
  }),
);
