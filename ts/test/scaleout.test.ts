// A mixed cluster on one real Redis (docs/scale-out.md): two Rust nodes (`serve-spec tasks
// --redis`), one Node node (the generated `RealtimeServer` on the generated `RedisLog`) and a
// standalone Rust publisher (`publish-spec`), all with one key prefix. Changes written through
// every one of them reach every client of every node once, in one order, with one numbering;
// a client of the Node node that dies resumes on a Rust node; the Node side's own publisher
// and its bound on waiting emits.
//
// Redis: $REDIS_URL (scripts/test.sh, or ts/scripts/check.sh, starts one when it is not set).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Redis } from 'ioredis';

import { Publisher, RedisLog } from '../.generated/specs/tasks/ts-server/api/realtime/redis.js';
import type { Task } from '../.generated/specs/tasks/ts-server/types.js';
import { serveSpecBinary, startServeSpec, type RustProcess } from '../support/rust-server.js';
import { TestClient, within } from './client.js';
import { startTsServer, type StartedTsServer } from './ts-server.js';

const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function redisUrl(): string {
  const url = process.env['REDIS_URL'];
  if (url === undefined || url === '') {
    throw new Error('$REDIS_URL is not set; run `bash ts/scripts/check.sh`, which starts a redis-server');
  }
  return url;
}

let counter = 0;
function prefix(name: string): string {
  counter += 1;
  return `ts-scaleout-${name}-${process.pid}-${Date.now()}-${counter}`;
}

function row(n: number): Task {
  return { id: `t-${n}`, title: `task ${n}`, done: false, createdAt: '2026-11-30T09:00:00Z', tags: [], status: 'open' };
}

/** The `publish-spec` binary beside `serve-spec`, built on first use. */
function publishSpecBinary(): string {
  const serveSpec = serveSpecBinary();
  if (process.env['SHEPLANG_SERVE_SPEC'] === undefined) {
    execFileSync('cargo', ['build', '--quiet', '--locked', '-p', 'sheplang-socketio-examples', '--bin', 'publish-spec'], {
      cwd: workspace,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  return join(dirname(serveSpec), 'publish-spec');
}

/** A running `publish-spec`: one answer line per event written. */
class RustPublisher {
  private readonly answers: unknown[] = [];
  private readonly waiting: (() => void)[] = [];
  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.answers.push(JSON.parse(line) as unknown);
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  static async start(url: string, keyPrefix: string): Promise<RustPublisher> {
    const child = spawn(publishSpecBinary(), ['tasks', '--redis', url, '--redis-prefix', keyPrefix], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const publisher = new RustPublisher(child);
    await publisher.answered(1);
    assert.deepEqual(publisher.answers[0], { ready: true });
    return publisher;
  }

  /** Resolves once `count` lines came back. */
  async answered(count: number): Promise<void> {
    while (this.answers.length < count) {
      await within(new Promise<void>((wake) => this.waiting.push(wake)), 30_000, 'publish-spec answers');
    }
  }

  /** Publishes the rows, one line each, and waits for their answers. */
  async publish(rows: Task[]): Promise<void> {
    const before = this.answers.length;
    this.child.stdin.write(rows.map((r) => `${JSON.stringify({ event: 'model_created', args: ['Task', r] })}\n`).join(''));
    await this.answered(before + rows.length);
    for (const answer of this.answers.slice(before)) {
      assert.equal((answer as { ok: unknown }).ok, true, JSON.stringify(answer));
    }
  }

  stop(): void {
    this.child.stdin.end();
  }
}

/** What one client received of channel `task`: (row number, position), in order. */
class Subscriber {
  readonly events: [number, number][] = [];
  private wake: (() => void) | undefined;

  private constructor(readonly client: TestClient) {
    client.socket.on('model_created', (_model: unknown, data: unknown, seq: unknown) => {
      const id = String((data as { id?: unknown }).id);
      this.events.push([Number(id.slice(2)), Number(seq)]);
      this.wake?.();
    });
    client.socket.on('disconnect', () => this.wake?.());
  }

  static async connect(url: string, options: { since?: number; epoch?: string } = {}): Promise<{ subscriber: Subscriber; answer: Record<string, unknown> }> {
    const client = await TestClient.connect(url);
    const subscriber = new Subscriber(client);
    const [answer] = (await client.request('subscribe', ['task', options])) as [Record<string, unknown>];
    assert.equal(answer['ok'], true, JSON.stringify(answer));
    return { subscriber, answer };
  }

  /** Waits until `count` events came (true) or the connection ended first (false). */
  async until(count: number, timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (!this.client.socket.connected) return false;
      const left = deadline - Date.now();
      assert.ok(left > 0, `${this.events.length} of ${count} events within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await new Promise<void>((resolveWait) => {
          timer = setTimeout(resolveWait, left);
          this.wake = resolveWait;
        });
      } finally {
        clearTimeout(timer);
        this.wake = undefined;
      }
    }
    return true;
  }

  last(): number {
    return this.events.at(-1)?.[1] ?? 0;
  }
}

async function emitThroughRust(node: RustProcess, rows: Task[]): Promise<void> {
  await node.control('/control/emit-batch', { events: rows.map((r) => ({ event: 'model_created', args: ['Task', r] })) });
}

async function nodeNode(url: string, keyPrefix: string, maxPendingEmits?: number): Promise<{ server: StartedTsServer; log: RedisLog }> {
  const log = await RedisLog.connect(url, { prefix: keyPrefix });
  return { server: await startTsServer({}, { log, ...(maxPendingEmits === undefined ? {} : { maxPendingEmits }) }), log };
}

// Build both binaries before the first test's clock starts.
publishSpecBinary();

test('mixed cluster: 5,000 changes through two Rust nodes, a Node node and a Rust publisher reach every client once, in one order', { timeout: 240_000 }, async () => {
  const TOTAL = 5_000;
  const BATCH = 50;
  const url = redisUrl();
  const keyPrefix = prefix('mixed');
  const a = await startServeSpec('tasks', ['--redis', url, '--redis-prefix', keyPrefix]);
  const b = await startServeSpec('tasks', ['--redis', url, '--redis-prefix', keyPrefix]);
  const c = await nodeNode(url, keyPrefix);
  const publisher = await RustPublisher.start(url, keyPrefix);
  const subscribers: Subscriber[] = [];
  try {
    for (const node of [a.url, b.url, c.server.url]) {
      for (let i = 0; i < 2; i += 1) {
        const { subscriber, answer } = await Subscriber.connect(node, {});
        assert.equal(answer['seq'], 0, 'a fresh log');
        subscribers.push(subscriber);
      }
    }
    const epochs = new Set(subscribers.map(() => c.log.epoch));
    assert.equal(epochs.size, 1);

    // Four writers at once, each taking every fourth batch of rows.
    const writer = async (index: number, write: (rows: Task[]) => Promise<void>): Promise<void> => {
      for (let start = index * BATCH; start < TOTAL; start += 4 * BATCH) {
        const rows = [];
        for (let n = start; n < Math.min(start + BATCH, TOTAL); n += 1) rows.push(row(n));
        await write(rows);
      }
    };
    const writers = Promise.all([
      writer(0, (rows) => emitThroughRust(a, rows)),
      writer(1, (rows) => emitThroughRust(b, rows)),
      writer(2, async (rows) => {
        for (const r of rows) c.server.realtime.emitModelCreated('Task', r);
        await new Promise((next) => setImmediate(next));
      }),
      writer(3, (rows) => publisher.publish(rows)),
    ]);
    const readers = Promise.all(subscribers.map((s) => s.until(TOTAL)));
    const [, done] = await Promise.all([writers, readers]);
    assert.ok(done.every(Boolean), 'no client was disconnected');

    const first = subscribers[0]?.events ?? [];
    assert.deepEqual(
      first.map(([, seq]) => seq),
      Array.from({ length: TOTAL }, (_, i) => i + 1),
      'positions 1..5000, each once',
    );
    assert.deepEqual(
      first.map(([n]) => n).sort((x, y) => x - y),
      Array.from({ length: TOTAL }, (_, i) => i),
      'every change exactly once',
    );
    for (const [i, other] of subscribers.entries()) {
      assert.ok(
        other.events.length === TOTAL && other.events.every(([n, seq], j) => first[j]?.[0] === n && first[j]?.[1] === seq),
        `client ${i} got the changes in the order client 0 did`,
      );
    }
  } finally {
    for (const s of subscribers) s.client.close();
    publisher.stop();
    await c.server.close();
    await c.log.close();
    await a.stop();
    await b.stop();
  }
});

test('mixed cluster: clients of a Node node that stops resume on a Rust node with every change once', { timeout: 120_000 }, async () => {
  const TOTAL = 2_000;
  const url = redisUrl();
  const keyPrefix = prefix('failover');
  const rust = await startServeSpec('tasks', ['--redis', url, '--redis-prefix', keyPrefix]);
  const c = await nodeNode(url, keyPrefix);
  const publisher = await RustPublisher.start(url, keyPrefix);
  const onNode: { subscriber: Subscriber; epoch: string }[] = [];
  const resumed: Subscriber[] = [];
  try {
    for (let i = 0; i < 2; i += 1) {
      const { subscriber, answer } = await Subscriber.connect(c.server.url, {});
      onNode.push({ subscriber, epoch: String(answer['epoch']) });
    }
    const publishing = (async () => {
      for (let start = 0; start < TOTAL; start += 100) {
        await publisher.publish(Array.from({ length: 100 }, (_, i) => row(start + i)));
      }
    })();
    for (const { subscriber } of onNode) await subscriber.until(TOTAL / 4);
    // The Node node goes away mid-stream: its clients lose their connection.
    await c.server.close();
    await c.log.close();
    for (const { subscriber, epoch } of onNode) {
      assert.equal(await subscriber.until(TOTAL, 10_000), false, 'the Node node is gone');
      const had = subscriber.events.length;
      const { subscriber: again, answer } = await Subscriber.connect(rust.url, { since: subscriber.last(), epoch });
      assert.equal(answer['reset'], undefined, `the Rust node replays: ${JSON.stringify(answer)}`);
      assert.equal(answer['epoch'], epoch, 'one log for the whole cluster');
      resumed.push(again);
      assert.ok(await again.until(TOTAL - had));
      const all = [...subscriber.events, ...again.events];
      assert.deepEqual(
        all.map(([, seq]) => seq),
        Array.from({ length: TOTAL }, (_, i) => i + 1),
        'every change exactly once, in order',
      );
    }
    await publishing;
  } finally {
    for (const s of [...onNode.map((o) => o.subscriber), ...resumed]) s.client.close();
    publisher.stop();
    await rust.stop();
  }
});

test('a Node publisher (no Socket.IO server) reaches the clients of a Rust node, in order', { timeout: 60_000 }, async () => {
  const url = redisUrl();
  const keyPrefix = prefix('publisher');
  const rust = await startServeSpec('tasks', ['--redis', url, '--redis-prefix', keyPrefix]);
  const log = await RedisLog.connect(url, { prefix: keyPrefix });
  const publisher = new Publisher(log);
  const { subscriber } = await Subscriber.connect(rust.url, {});
  try {
    for (let n = 0; n < 300; n += 1) publisher.emitModelCreated('Task', row(n));
    await publisher.flush();
    assert.ok(await subscriber.until(300, 30_000));
    assert.deepEqual(
      subscriber.events,
      Array.from({ length: 300 }, (_, i) => [i, i + 1]),
    );
  } finally {
    subscriber.client.close();
    await publisher.close();
    await rust.stop();
  }
});

test('a Redis that cannot be reached at start is an error naming the URL', { timeout: 30_000 }, async () => {
  await assert.rejects(RedisLog.connect('redis://:hunter2@127.0.0.1:1/0'), (error: Error) => {
    assert.match(error.message, /^cannot reach Redis at `redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0`: .*; start `redis-server` there, or give the URL of a running one$/);
    return true;
  });
  await assert.rejects(RedisLog.connect('http://example'), /^Error: invalid Redis URL `http:\/\/example`/);
});

test('a Node node past its bound of waiting emits drops them, and every positioned client of the channel reloads', { timeout: 60_000 }, async () => {
  const BOUND = 20;
  const BURST = 200;
  const url = redisUrl();
  const keyPrefix = prefix('bound');
  const c = await nodeNode(url, keyPrefix, BOUND);
  const rust = await startServeSpec('tasks', ['--redis', url, '--redis-prefix', keyPrefix]);
  const direct = new Redis(url);
  const subscribers: { subscriber: Subscriber; epoch: string; url: string }[] = [];
  try {
    for (const node of [c.server.url, rust.url]) {
      const { subscriber, answer } = await Subscriber.connect(node, {});
      subscribers.push({ subscriber, epoch: String(answer['epoch']), url: node });
    }
    for (let n = 0; n < 5; n += 1) c.server.realtime.emitModelCreated('Task', row(n));
    for (const { subscriber } of subscribers) assert.ok(await subscriber.until(5));

    // The log cannot be written, its data intact: the epoch key holds a list for a while.
    const epochKey = `${keyPrefix}:epoch`;
    const epoch = await direct.get(epochKey);
    assert.ok(epoch !== null);
    await direct.multi().del(epochKey).rpush(epochKey, 'not an epoch').exec();
    c.server.realtime.emitModelCreated('Task', row(5));
    await within(
      (async () => {
        while (!c.server.realtime.metrics().logDegraded) await new Promise((next) => setTimeout(next, 10));
      })(),
      10_000,
      'the Node node sees the log degraded',
    );
    for (let n = 6; n < 6 + BURST; n += 1) c.server.realtime.emitModelCreated('Task', row(n));
    const { droppedEmits } = c.server.realtime.metrics();
    assert.ok(droppedEmits >= BURST - BOUND && droppedEmits < BURST, `dropped ${droppedEmits}`);
    await direct.multi().del(epochKey).set(epochKey, epoch).exec();

    // What it held goes out, then the gap: the clients of both nodes resubscribe and reload.
    for (const [i, { subscriber, epoch: theirs, url: node }] of subscribers.entries()) {
      assert.equal(await subscriber.until(6 + BURST, 30_000), false, `client ${i} is disconnected at the gap`);
      assert.deepEqual(
        subscriber.events.map(([, seq]) => seq),
        Array.from({ length: subscriber.events.length }, (_, j) => j + 1),
        `client ${i}: what it got before the gap, in order`,
      );
      const { subscriber: again, answer } = await Subscriber.connect(node, { since: subscriber.last(), epoch: theirs });
      again.client.close();
      assert.equal(answer['reset'], true, `client ${i} reloads: ${JSON.stringify(answer)}`);
      assert.equal(answer['epoch'], theirs, 'the same history');
    }
  } finally {
    for (const { subscriber } of subscribers) subscriber.client.close();
    direct.disconnect();
    await c.server.close();
    await c.log.close();
    await rust.stop();
  }
});
