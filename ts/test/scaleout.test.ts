// A mixed cluster on one real Redis (docs/scale-out.md): two Rust nodes (`serve-spec tasks
// --redis`), one Node node (the generated `RealtimeServer` on the generated `RedisLog`) and a
// standalone Rust publisher (`publish-spec`), all with one key prefix. Changes written through
// every one of them reach every client of every node once, in one order, with one numbering;
// the clients of a Node node killed mid-stream (SIGKILL of its process, test/cluster-node.ts)
// resume on a Rust node with every change once; a Redis restart that loses its data leaves the
// Node and Rust nodes running and their clients correct; the Node side's own publisher and its
// bound on waiting emits.
//
// Redis: $REDIS_URL (scripts/test.sh, or ts/scripts/check.sh, starts one when it is not set);
// the restart test starts a redis-server of its own, which it can stop.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Redis } from 'ioredis';

import { Publisher, RedisLog } from '../.generated/specs/tasks/ts-server/api/realtime/redis.js';
import type { Task } from '../.generated/specs/tasks/ts-server/types.js';
import { serveSpecBinary, startServeSpec, type RustProcess } from '../support/rust-server.js';
import { sleep, TestClient, within } from './client.js';
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

/**
 * A Node node as a process of its own (test/cluster-node.ts: the generated `RealtimeServer` on
 * the generated `RedisLog`), so that it can die by SIGKILL like a crashed server.
 */
class ClusterNode {
  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
    private readonly exited: Promise<unknown>,
    readonly url: string,
  ) {}

  static async start(url: string, keyPrefix: string): Promise<ClusterNode> {
    const tsDir = join(workspace, 'ts');
    const child = spawn(process.execPath, ['--import', 'tsx', join(tsDir, 'test', 'cluster-node.ts'), url, keyPrefix], {
      cwd: tsDir,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    const lines = createInterface({ input: child.stdout });
    const first = new Promise<string>((resolveLine) => lines.once('line', resolveLine));
    const line = await within(
      Promise.race([first, exited.then((code) => Promise.reject(new Error(`cluster-node.ts exited with ${String(code)}`)))]),
      60_000,
      'cluster-node.ts prints its port',
    );
    lines.close();
    const { port } = JSON.parse(line) as { port: number };
    return new ClusterNode(child, exited, `http://127.0.0.1:${port}`);
  }

  /** Emits `model_created` of each row through this node; resolves once it took them. */
  async emit(rows: Task[]): Promise<void> {
    const response = await fetch(`${this.url}/control/emit-batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: rows.map((r) => ({ event: 'model_created', args: ['Task', r] })) }),
    });
    assert.equal(response.status, 200, await response.text());
  }

  async metrics(): Promise<{ logDegraded: boolean; droppedEmits: number }> {
    const response = await fetch(`${this.url}/control/stats`);
    return ((await response.json()) as { metrics: { logDegraded: boolean; droppedEmits: number } }).metrics;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `kill -9`: the process dies without closing anything. */
  async kill(): Promise<void> {
    if (this.alive()) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Closes its stdin (it closes its server and exits); SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (!this.alive()) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A `redis-server` of this test's own (no persistence), which it can stop and start again on the same port. */
class OwnRedis {
  private child: ChildProcessByStdio<null, Readable, null> | undefined;
  private exited: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedis> {
    const probe = createServer();
    await new Promise<void>((listening) => probe.listen(0, '127.0.0.1', listening));
    const { port } = probe.address() as AddressInfo;
    await new Promise((closed) => probe.close(closed));
    const redis = new OwnRedis(port, mkdtempSync(join(tmpdir(), 'sheplang-scaleout-redis-')));
    await redis.startAgain();
    return redis;
  }

  /** Starts redis-server (empty: it keeps nothing on disk) and waits until it accepts connections. */
  async startAgain(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    this.exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    const ready = new Promise<void>((resolveReady) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (line.includes('Ready to accept connections')) resolveReady();
      });
    });
    await within(
      Promise.race([ready, this.exited.then(() => Promise.reject(new Error(`redis-server on port ${this.port} exited`)))]),
      30_000,
      'redis-server accepts connections',
    );
  }

  /** Kills it: its data goes with it. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
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

test('mixed cluster: clients of a Node node killed with SIGKILL mid-stream resume on a Rust node with every change once', { timeout: 120_000 }, async () => {
  const TOTAL = 2_000;
  const url = redisUrl();
  const keyPrefix = prefix('failover');
  const a = await ClusterNode.start(url, keyPrefix);
  const b = await startServeSpec('tasks', ['--redis', url, '--redis-prefix', keyPrefix]);
  const publisher = await RustPublisher.start(url, keyPrefix);
  const onA: { subscriber: Subscriber; epoch: string }[] = [];
  const resumed: Subscriber[] = [];
  let onB: Subscriber | undefined;
  try {
    for (let i = 0; i < 2; i += 1) {
      const { subscriber, answer } = await Subscriber.connect(a.url, {});
      onA.push({ subscriber, epoch: String(answer['epoch']) });
    }
    onB = (await Subscriber.connect(b.url, {})).subscriber;
    // The stream, from a publisher.
    const publishing = (async () => {
      for (let start = 0; start < TOTAL; start += 100) {
        await publisher.publish(Array.from({ length: 100 }, (_, i) => row(start + i)));
      }
    })();
    for (const { subscriber } of onA) await subscriber.until(TOTAL / 4);
    // Node A dies without closing anything: no disconnect packet, its sockets reset by the kernel.
    await a.kill();
    for (const { subscriber, epoch } of onA) {
      assert.equal(await subscriber.until(TOTAL, 30_000), false, 'node A is gone');
      const had = subscriber.events.length;
      assert.ok(had >= TOTAL / 4 && had < TOTAL, `A's client had ${had} changes when A died`);
      const { subscriber: again, answer } = await Subscriber.connect(b.url, { since: subscriber.last(), epoch });
      assert.equal(answer['reset'], undefined, `node B replays: ${JSON.stringify(answer)}`);
      assert.equal(answer['epoch'], epoch, 'one log for the whole cluster');
      resumed.push(again);
      assert.ok(await again.until(TOTAL - had), 'node B keeps the resumed client');
      const all = [...subscriber.events, ...again.events];
      assert.equal(all.length, TOTAL, `A's client counts ${all.length} changes`);
      assert.deepEqual(
        all,
        Array.from({ length: TOTAL }, (_, i) => [i, i + 1]),
        'every change exactly once, in order',
      );
    }
    await publishing;
    assert.ok(await onB.until(TOTAL));
    assert.deepEqual(onB.events, Array.from({ length: TOTAL }, (_, i) => [i, i + 1]), "B's own client: every change once");
  } finally {
    for (const s of [...onA.map((o) => o.subscriber), ...resumed]) s.client.close();
    onB?.client.close();
    publisher.stop();
    await a.stop();
    await b.stop();
  }
});

test('mixed cluster: a Redis restart mid-stream (its data lost) leaves the Node and Rust nodes up and every client correct', { timeout: 120_000 }, async () => {
  const HALF = 300;
  const redis = await OwnRedis.start();
  const keyPrefix = prefix('restart');
  const nodes: { url: string }[] = [];
  const clients: { subscriber: Subscriber; epoch: string }[] = [];
  const resubscribed: Subscriber[] = [];
  let nodeNode: ClusterNode | undefined;
  let rust: RustProcess | undefined;
  try {
    nodeNode = await ClusterNode.start(redis.url, keyPrefix);
    rust = await startServeSpec('tasks', ['--redis', redis.url, '--redis-prefix', keyPrefix]);
    const [n, r] = [nodeNode, rust];
    nodes.push({ url: n.url }, { url: r.url });
    // Two clients on each node.
    for (const node of [...nodes, ...nodes]) {
      const { subscriber, answer } = await Subscriber.connect(node.url, {});
      clients.push({ subscriber, epoch: String(answer['epoch']) });
    }
    // The first half, through both nodes; every client gets it.
    await n.emit(Array.from({ length: HALF / 2 }, (_, i) => row(i)));
    await emitThroughRust(r, Array.from({ length: HALF / 2 }, (_, i) => row(HALF / 2 + i)));
    for (const { subscriber } of clients) assert.ok(await subscriber.until(HALF));

    // Redis goes away with its data; the second half is emitted through both nodes meanwhile:
    // they hold it and write it once Redis is back, in a new history.
    await redis.stop();
    await n.emit(Array.from({ length: HALF / 2 }, (_, i) => row(HALF + i)));
    await emitThroughRust(r, Array.from({ length: HALF / 2 }, (_, i) => row(HALF + HALF / 2 + i)));
    await within(
      (async () => {
        while (!(await n.metrics()).logDegraded) await sleep(20);
      })(),
      30_000,
      'the Node node sees its log degraded',
    );
    await redis.startAgain();

    // What a client shows: the rows it applied, or, told to reset, what it loads from the
    // database (here: every row emitted, which is what the database would have).
    const truth = Array.from({ length: 2 * HALF }, (_, i) => i);
    for (const [i, client] of clients.entries()) {
      const node = nodes[i % 2];
      assert.ok(node !== undefined);
      let current = client.subscriber;
      let epoch = client.epoch;
      const rows = new Set(current.events.map(([id]) => id));
      let last = current.last();
      let applied = current.events.length;
      let resets = 0;
      await within(
        (async () => {
          while (rows.size < truth.length) {
            if (!(await current.until(applied + 1, 60_000))) {
              // Told to resubscribe (its node saw the new history): it does, from where it is.
              current.client.close();
              const { subscriber, answer } = await Subscriber.connect(node.url, { since: last, epoch });
              resubscribed.push(subscriber);
              current = subscriber;
              applied = 0;
              epoch = String(answer['epoch']);
              if (answer['reset'] === true) {
                resets += 1;
                for (const id of truth) rows.add(id);
                last = Number(answer['seq']);
              }
              continue;
            }
            const [id, seq] = current.events[applied] ?? [NaN, NaN];
            applied += 1;
            assert.ok(seq > last, `client ${i}: position ${seq} after ${last}, in one history`);
            last = seq;
            rows.add(id);
          }
        })(),
        60_000,
        `client ${i} shows every row`,
      );
      assert.deepEqual([...rows].sort((x, y) => x - y), truth, `client ${i}: every row, once`);
      // Redis lost the first history: a position of it cannot be resumed from.
      assert.ok(resets >= 1, `client ${i} was told to reload`);
    }
    assert.ok(n.alive(), 'the Node node is still running');
    assert.equal(r.child.exitCode, null, 'the Rust node is still running');
    assert.equal((await n.metrics()).logDegraded, false, 'the Node node writes its log again');
  } finally {
    for (const subscriber of [...clients.map((c) => c.subscriber), ...resubscribed]) subscriber.client.close();
    await nodeNode?.stop();
    await rust?.stop();
    await redis.stop();
    redis.remove();
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
