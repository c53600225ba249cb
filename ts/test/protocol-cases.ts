// The wire protocol (docs/wire.md) as a list of cases, each run against a fresh server from a
// factory. The same cases run against every server implementation: today the generated
// TypeScript `RealtimeServer` (server.test.ts), later the Rust socketioxide server (a factory
// that starts the Rust binary built from specs/tasks.shep). So the expectations are only
// what a client sees on the wire: events, their arguments, acks, disconnections.
import assert from 'node:assert/strict';

import {
  APP_NAME,
  FINGERPRINT,
  type Channel,
  type ModelName,
  type Models,
  type Task,
  type User,
} from '../.generated/specs/tasks/ts/types.js';
import { sleep, TestClient, within, type ClientOptions, type Received } from './client.js';
import { FILTER_CASES } from './filter-cases.js';

/** How long the stalled reader stops reading. */
const STALL_MS = 10_000;

/** A running server of specs/tasks.shep, with the host-side actions the cases need. */
export interface ServerUnderTest {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  emitCreated<M extends ModelName>(model: M, row: Models[M]): Promise<void>;
  /** `model_updated`; with `before`, the row as it was (for filtered subscriptions). */
  emitUpdated<M extends ModelName>(model: M, row: Models[M], before?: Models[M]): Promise<void>;
  /** `model_deleted`; with `before`, the deleted row (for filtered subscriptions). */
  emitDeleted<M extends ModelName>(model: M, id: string, before?: Models[M]): Promise<void>;
  notify(message: string, data?: unknown): Promise<void>;
  /** `model_created` for each row, in order (one request for the Rust server). */
  emitCreatedMany<M extends ModelName>(model: M, rows: readonly Models[M][]): Promise<void>;
  /** How many clients the server disconnected because their send queue overflowed. */
  overflowDisconnects(): Promise<number>;
  close(): Promise<void>;
}

/** How the host configures the server for a case. */
export interface ServerConfig {
  /** Channels the host's authorize hook refuses. */
  deny?: readonly Channel[];
  /** Events the log keeps per channel. */
  logCapacity?: number;
  /** Packets that may wait for one client. */
  maxBufferedPackets?: number;
  /** Filters the host's hook refuses: a subscription to `channel` asking `field` to be `value`. */
  denyFilter?: readonly { channel: Channel; field: string; value: string }[];
}

export type StartServer = (config: ServerConfig) => Promise<ServerUnderTest>;

export interface CaseContext {
  server: ServerUnderTest;
  /** Connects a client that is closed when the case ends. */
  connect(options?: ClientOptions): Promise<TestClient>;
}

export interface ProtocolCase {
  name: string;
  config?: ServerConfig;
  run(context: CaseContext): Promise<void>;
}

/** Runs one case against a fresh server and closes everything, whatever happens. */
export async function runCase(start: StartServer, protocolCase: ProtocolCase): Promise<void> {
  const server = await start(protocolCase.config ?? {});
  const clients: TestClient[] = [];
  try {
    await protocolCase.run({
      server,
      async connect(options = {}) {
        const client = await TestClient.connect(server.url, options);
        clients.push(client);
        return client;
      },
    });
  } finally {
    for (const client of clients) client.close();
    await within(server.close(), 5_000, 'the server did not close');
  }
}

const task: Task = {
  id: 'task-1',
  title: 'Write the spec',
  done: false,
  owner: 'user-1',
  priority: 2,
  due: '2026-11-25',
  createdAt: '2026-11-25T09:00:00.000Z',
  price: '12.50',
  tags: ['docs', 'wire'],
  type: 'chore',
  status: 'doing',
};

const user: User = { id: 'user-1', name: 'Ada', email: 'ada@example.com' };

const OK = [{ ok: true }];
const refused = (error: string): unknown[] => [{ ok: false, error }];

async function subscribe(client: TestClient, channel: unknown): Promise<unknown[]> {
  return client.request('subscribe', [channel]);
}

/**
 * Broadcasts a marker notification and waits until `clients` saw it. Everything the server
 * sent a client before the marker has then arrived, so a missing event is really missing.
 */
export async function barrier(server: ServerUnderTest, ...clients: TestClient[]): Promise<void> {
  const marker = `barrier-${Math.random().toString(36).slice(2)}`;
  await server.notify(marker);
  await Promise.all(clients.map((c) => c.waitFor('notification', (args) => args[0] === marker)));
}

/** The `id` of a row received as JSON. */
function idOf(row: unknown): unknown {
  return typeof row === 'object' && row !== null && 'id' in row ? row.id : undefined;
}

const modelEvents = (client: TestClient): Received[] =>
  client.received.filter((r) => r.event.startsWith('model_'));

/** The server still serves: the client answers pings and a fresh client can subscribe. */
async function stillServing(context: CaseContext, client?: TestClient): Promise<void> {
  if (client?.socket.connected) {
    assert.deepEqual(await client.request('ping', []), []);
  }
  const fresh = await context.connect();
  assert.deepEqual(await subscribe(fresh, 'task'), OK);
  await context.server.emitCreated('Task', task);
  const got = await fresh.waitFor('model_created');
  assert.deepEqual(got.args, ['Task', task]);
}

export const PROTOCOL_CASES: readonly ProtocolCase[] = [
  {
    name: 'sends `connected` with the app and the schema fingerprint',
    async run({ connect }) {
      const client = await connect();
      const got = await client.waitFor('connected');
      assert.deepEqual(got.args, [{ app: APP_NAME, fingerprint: FINGERPRINT }]);
      assert.equal(client.all('connected').length, 1);
    },
  },
  {
    name: 'delivers created, updated and deleted to the subscribers of the model channel only',
    async run({ server, connect }) {
      const tasks = await connect();
      const users = await connect();
      const nobody = await connect();
      assert.deepEqual(await subscribe(tasks, 'task'), OK);
      assert.deepEqual(await subscribe(users, 'user'), OK);

      await server.emitCreated('Task', task);
      await server.emitUpdated('Task', { ...task, done: true });
      await server.emitDeleted('Task', task.id);
      await server.emitCreated('User', user);
      await barrier(server, tasks, users, nobody);

      assert.deepEqual(
        modelEvents(tasks).map((r) => [r.event, ...r.args]),
        [
          ['model_created', 'Task', task],
          ['model_updated', 'Task', { ...task, done: true }],
          ['model_deleted', 'Task', 'task-1'],
        ],
      );
      assert.deepEqual(
        modelEvents(users).map((r) => [r.event, ...r.args]),
        [['model_created', 'User', user]],
      );
      assert.deepEqual(modelEvents(nobody), []);
    },
  },
  {
    name: 'a row keeps its required fields and its optional ones absent or null (wire.md: the same)',
    async run({ server, connect }) {
      const client = await connect();
      assert.deepEqual(await subscribe(client, 'task'), OK);
      const bare: Task = { id: 'task-2', title: 'Bare', done: true, createdAt: '2026-11-25T10:00:00Z', tags: [], status: 'open' };
      await server.emitCreated('Task', bare);
      await server.emitUpdated('Task', { ...bare, owner: null });
      const created = await client.waitFor('model_created');
      const updated = await client.waitFor('model_updated');
      assert.deepEqual(created.args, ['Task', bare]);
      assert.equal(updated.args[0], 'Task');
      // An optional field may travel absent or as null: a client must treat both as "none".
      assert.deepEqual(withoutNulls(updated.args[1]), bare);
    },
  },
  {
    name: 'unsubscribe stops the events and subscribing twice delivers once',
    async run({ server, connect }) {
      const client = await connect();
      assert.deepEqual(await subscribe(client, 'task'), OK);
      assert.deepEqual(await subscribe(client, 'task'), OK);
      await server.emitCreated('Task', task);
      await barrier(server, client);
      assert.equal(client.all('model_created').length, 1);

      assert.deepEqual(await client.request('unsubscribe', ['task']), OK);
      // Leaving a channel one is not in is fine too.
      assert.deepEqual(await client.request('unsubscribe', ['user']), OK);
      await server.emitCreated('Task', { ...task, id: 'task-3' });
      await barrier(server, client);
      assert.equal(client.all('model_created').length, 1);
    },
  },
  {
    name: 'refuses unknown channels with the exact error',
    async run({ server, connect }) {
      const client = await connect();
      assert.deepEqual(await subscribe(client, 'tasks'), refused('unknown channel "tasks"'));
      assert.deepEqual(await subscribe(client, 'Task'), refused('unknown channel "Task"'));
      assert.deepEqual(await subscribe(client, ''), refused('unknown channel ""'));
      assert.deepEqual(await client.request('unsubscribe', ['orders']), refused('unknown channel "orders"'));
      const long = 'x'.repeat(256);
      assert.deepEqual(await subscribe(client, long), refused(`unknown channel "${long}"`));
      await server.emitCreated('Task', task);
      await barrier(server, client);
      assert.deepEqual(modelEvents(client), []);
    },
  },
  {
    name: 'refuses channels that are not strings, or longer than 256 bytes, as `invalid channel`',
    async run(context) {
      const client = await context.connect();
      for (const channel of [42, { channel: 'task' }, ['task'], null, true, 'x'.repeat(257), '€'.repeat(86)]) {
        assert.deepEqual(await subscribe(client, channel), refused('invalid channel'), JSON.stringify(channel));
        assert.deepEqual(await client.request('unsubscribe', [channel]), refused('invalid channel'));
      }
      await stillServing(context, client);
    },
  },
  {
    name: 'respects the host refusing a subscription',
    config: { deny: ['user'] },
    async run({ server, connect }) {
      const client = await connect();
      assert.deepEqual(await subscribe(client, 'user'), refused('not authorized'));
      assert.deepEqual(await subscribe(client, 'task'), OK);
      await server.emitCreated('User', user);
      await server.emitCreated('Task', task);
      await barrier(server, client);
      assert.deepEqual(
        modelEvents(client).map((r) => r.args[0]),
        ['Task'],
      );
    },
  },
  {
    name: 'answers ping and ignores a ping without a function',
    async run(context) {
      const client = await context.connect();
      assert.deepEqual(await client.request('ping', []), []);
      client.send('ping');
      client.send('ping', 'not a function');
      client.send('ping', { ack: true }, 42);
      assert.deepEqual(await client.request('ping', []), []);
      await stillServing(context, client);
    },
  },
  {
    name: 'subscribes without an ack, and ignores an ack that is not a function',
    async run({ server, connect }) {
      const client = await connect();
      client.send('subscribe', 'task');
      client.send('subscribe', 'user', 'not a function');
      client.send('subscribe', 42);
      client.send('subscribe');
      // The requests are handled in order: once this one is answered, the others are done.
      assert.deepEqual(await client.request('ping', []), []);
      assert.deepEqual(await subscribe(client, 'task'), OK);
      await server.emitCreated('Task', task);
      await server.emitCreated('User', user);
      await barrier(server, client);
      assert.deepEqual(
        modelEvents(client).map((r) => r.args[0]),
        ['Task', 'User'],
      );
    },
  },
  {
    name: 'ignores unknown events and server-to-client events sent by a client',
    async run(context) {
      const client = await context.connect();
      const other = await context.connect();
      assert.deepEqual(await subscribe(other, 'task'), OK);
      client.send('hello', 'world');
      client.send('subscribe_all');
      client.send('model_created', 'Task', task);
      client.send('model_deleted', 'Task', 'task-1');
      client.send('notification', 'spoofed');
      client.send('connected', { app: 'evil', fingerprint: '0' });
      await client.request('no_such_event', [1, 2, 3], 300).then(
        () => assert.fail('an unknown event was acknowledged'),
        () => {},
      );
      await barrier(context.server, other);
      assert.deepEqual(modelEvents(other), []);
      assert.equal(other.all('notification').length, 1);
      await stillServing(context, client);
    },
  },
  {
    name: 'survives a 1 MB channel name',
    async run(context) {
      const client = await context.connect();
      const huge = 't'.repeat(1024 * 1024);
      // Either the server refuses the channel, or its payload limit closes the connection.
      const outcome = await Promise.race([
        subscribe(client, huge).then((reply) => ({ reply })),
        client.disconnected(5_000).then((reason) => ({ reason })),
      ]);
      if ('reply' in outcome) {
        assert.deepEqual(outcome.reply, refused('invalid channel'));
      }
      await stillServing(context, client);
    },
  },
  {
    name: 'survives 10,000 rapid subscribes and keeps serving',
    async run(context) {
      const client = await context.connect();
      const hostile: unknown[] = ['task', 42, 'nope', { a: 1 }, 'user', null];
      for (let i = 0; i < 10_000; i += 1) {
        client.send('subscribe', hostile[i % hostile.length]);
      }
      assert.deepEqual(await client.request('subscribe', ['task'], 20_000), OK);
      assert.deepEqual(await client.request('ping', [], 10_000), []);
      await context.server.emitCreated('Task', task);
      const got = await client.waitFor('model_created');
      assert.deepEqual(got.args, ['Task', task]);
      await barrier(context.server, client);
      assert.equal(client.all('model_created').length, 1);
      await stillServing(context, client);
    },
  },
  {
    name: 'broadcasts notifications to every client, with or without data',
    async run({ server, connect }) {
      const a = await connect();
      const b = await connect();
      await server.notify('maintenance at noon');
      await server.notify('deployed', { version: 3 });
      for (const client of [a, b]) {
        const plain = await client.waitFor('notification', (args) => args[0] === 'maintenance at noon');
        // No data: the message alone, on both servers.
        assert.deepEqual(plain.args, ['maintenance at noon']);
        const withData = await client.waitFor('notification', (args) => args[0] === 'deployed');
        assert.deepEqual(withData.args, ['deployed', { version: 3 }]);
      }
    },
  },
  {
    name: 'positions: only a client that subscribes with options gets the trailing `seq`',
    async run({ server, connect }) {
      const old = await connect();
      const positioned = await connect();
      assert.deepEqual(await subscribe(old, 'task'), OK);
      const answer = await subscribeWith(positioned, 'task', {});
      assert.equal(answer.seq, 0);
      await server.emitCreated('Task', task);
      await server.emitUpdated('Task', { ...task, done: true });
      await server.emitDeleted('Task', task.id);
      await barrier(server, old, positioned);
      // Today's arity for the old form: a fixed-arity handler keeps working.
      assert.deepEqual(
        modelEvents(old).map((r) => [r.event, r.args.length]),
        [
          ['model_created', 2],
          ['model_updated', 2],
          ['model_deleted', 2],
        ],
      );
      assert.deepEqual(
        modelEvents(positioned).map((r) => [r.event, r.args.at(-1)]),
        [
          ['model_created', 1],
          ['model_updated', 2],
          ['model_deleted', 3],
        ],
      );
      assert.deepEqual(modelEvents(positioned)[2]?.args, ['Task', 'task-1', 3]);
    },
  },
  {
    name: 'a client back from a 2 s disconnect during 1,000 events gets every event exactly once, in order',
    async run({ server, connect }) {
      const client = await connect({
        reconnection: true,
        reconnectionDelay: 2_000,
        reconnectionDelayMax: 2_000,
        randomizationFactor: 0,
      });
      const resumer = new Resumer(client, 'task');
      await resumer.start();
      const rows = Array.from({ length: 1_000 }, (_, i) => ({ ...task, id: `t-${i + 1}` }));
      await server.emitCreatedMany('Task', rows.slice(0, 300));
      await resumer.until(300);
      // Cut the transport under the socket, as a network drop would; it comes back in 2 s.
      const down = client.disconnected();
      const back = new Promise<void>((resolve) => client.socket.once('connect', () => resolve()));
      client.socket.io.engine.close();
      await down;
      // While it is away...
      await server.emitCreatedMany('Task', rows.slice(300, 600));
      await back;
      // ...and while its resuming subscribe is on the way (the seam between replay and live):
      // the rest, ten at a time.
      for (let next = 600; next < rows.length; next += 10) {
        await server.emitCreatedMany('Task', rows.slice(next, next + 10));
      }
      await resumer.until(1_000, 20_000);
      await barrier(server, client);
      assert.deepEqual(
        positionedIds(client),
        rows.map((row, i) => [row.id, i + 1]),
        'every event exactly once, in order',
      );
    },
  },
  {
    name: 'a `since` older than the log answers `reset`, and the events after it follow',
    config: { logCapacity: 5 },
    async run({ server, connect }) {
      const first = await connect();
      const answer = await subscribeWith(first, 'task', {});
      await server.emitCreatedMany(
        'Task',
        Array.from({ length: 12 }, (_, i) => ({ ...task, id: `t-${i + 1}` })),
      );
      await barrier(server, first);
      first.close();
      const back = await connect();
      const reset = await subscribeWith(back, 'task', { since: 3, epoch: answer.epoch });
      assert.deepEqual([reset.reset, reset.seq], [true, 12]);
      const other = await subscribeWith(back, 'user', { since: 3, epoch: 'another log' });
      assert.equal(other.reset, true);
      await server.emitCreated('Task', { ...task, id: 't-13' });
      await barrier(server, back);
      assert.deepEqual(positionedIds(back), [['t-13', 13]]);
      // Still held: replayed, then live.
      const replayed = await subscribeWith(back, 'task', { since: 11, epoch: answer.epoch });
      assert.equal(replayed.reset, undefined);
      await back.waitFor('model_created', (args) => args[2] === 12);
    },
  },
  {
    name: 'a stalled reader is disconnected, comes back, resumes and ends with every event',
    // The log must still hold what the reader missed: a burst of 20,000 is more than the
    // default 10,000 a channel, so this host configures a larger log (docs/wire.md: Rust's
    // `log_limits`, Node's `logCapacity`). With the default it would get `reset` and reload.
    config: { logCapacity: 50_000 },
    async run({ server, connect }) {
      const client = await connect();
      const resumer = new Resumer(client, 'task');
      await resumer.start();
      // Stop reading for 10 s: the socket's data stays in the kernel, then in the server's
      // queue. 20,000 events of 2 KB are far more than the kernel's buffers on loopback hold.
      const tcp = underlyingSocket(client);
      const stalled = Date.now();
      tcp.pause();
      const title = 'x'.repeat(2_000);
      const rows = Array.from({ length: 20_000 }, (_, i) => ({ ...task, id: `t-${i + 1}`, title }));
      await server.emitCreatedMany('Task', rows);
      await eventuallyTrue(async () => (await server.overflowDisconnects()) === 1, 20_000, 'no overflow disconnect');
      // The rest of the 10 s stall is the scenario, not a synchronisation: the reader is away.
      await sleep(Math.max(0, STALL_MS - (Date.now() - stalled)));
      tcp.resume();
      await resumer.until(20_000, 60_000);
      await barrier(server, client);
      assert.deepEqual(
        positionedIds(client).map(([, seq]) => seq),
        rows.map((_, i) => i + 1),
        'every event exactly once, in order',
      );
      assert.ok(resumer.reconnections >= 1, 'the client was not disconnected');
      assert.equal(await server.overflowDisconnects(), 1);
    },
  },
  {
    name: 'malformed calls with an ack get the documented answer (the ack is the last argument)',
    async run(context) {
      const client = await context.connect();
      assert.deepEqual(await client.request('subscribe', []), refused('invalid channel'));
      assert.deepEqual(await client.request('subscribe', ['task', 1]), OK);
      assert.deepEqual(await client.request('subscribe', ['task', 'x', 2]), OK);
      assert.deepEqual(await client.request('subscribe', ['nope', 1]), refused('unknown channel "nope"'));
      for (const since of [-1, 1.5, '3', 2 ** 53]) {
        assert.deepEqual(
          await client.request('subscribe', ['task', { since, epoch: 'e' }]),
          refused('invalid options'),
          String(since),
        );
      }
      assert.deepEqual(await client.request('subscribe', ['task', { epoch: 5 }]), refused('invalid options'));
      assert.deepEqual(await client.request('unsubscribe', []), refused('invalid channel'));
      assert.deepEqual(await client.request('unsubscribe', ['task', 1]), OK);
      assert.deepEqual(await client.request('ping', ['x']), []);
      assert.deepEqual(await client.request('ping', [1, 2, 3]), []);
      await stillServing(context, client);
    },
  },
  ...FILTER_CASES,
];

/** A row with its null-valued keys removed: wire.md lets an optional field be absent or null. */
function withoutNulls(row: unknown): unknown {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return row;
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null));
}

/** What a subscribe with options answers. */
interface Positioned {
  ok: true;
  epoch: string;
  seq: number;
  reset?: true;
}

async function subscribeWith(client: TestClient, channel: string, options: object): Promise<Positioned> {
  const [answer] = await client.request('subscribe', [channel, options]);
  assert.ok(typeof answer === 'object' && answer !== null && Reflect.get(answer, 'ok') === true, JSON.stringify(answer));
  return answer as Positioned;
}

/** The `[id, seq]` of every positioned `model_created` the client received, in order. */
function positionedIds(client: TestClient): [unknown, unknown][] {
  return client.all('model_created').map((r) => {
    assert.equal(r.args.length, 3, JSON.stringify(r.args));
    return [idOf(r.args[1]), r.args[2]];
  });
}

/**
 * A client written from docs/wire.md: subscribes with options, keeps the last position, and
 * after every reconnection (calling `connect()` itself after a server disconnect) subscribes
 * again from it.
 */
class Resumer {
  last = 0;
  epoch: string | undefined;
  reconnections = 0;

  constructor(
    private readonly client: TestClient,
    private readonly channel: string,
  ) {
    const socket = client.socket;
    socket.on('model_created', (...args: unknown[]) => {
      const seq = args[2];
      if (typeof seq === 'number' && seq > this.last) this.last = seq;
    });
    socket.on('disconnect', (reason: string) => {
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect', () => {
      this.reconnections += 1;
      void this.subscribe();
    });
  }

  async start(): Promise<void> {
    await this.subscribe();
  }

  private async subscribe(): Promise<void> {
    const options = this.epoch === undefined ? {} : { since: this.last, epoch: this.epoch };
    const answer = await subscribeWith(this.client, this.channel, options);
    assert.equal(answer.reset, undefined, 'the log should still hold what was missed');
    this.epoch = answer.epoch;
  }

  /** Waits until the event at position `seq` arrived. */
  async until(seq: number, timeoutMs = 10_000): Promise<void> {
    await this.client.waitFor('model_created', (args) => args[2] === seq, timeoutMs);
  }
}

/** The TCP socket under a WebSocket client (Node's `ws`), to stop reading from it. */
function underlyingSocket(client: TestClient): { pause(): void; resume(): void } {
  const transport: unknown = Reflect.get(client.socket.io.engine, 'transport');
  const ws: unknown = typeof transport === 'object' && transport !== null ? Reflect.get(transport, 'ws') : undefined;
  const tcp: unknown = typeof ws === 'object' && ws !== null ? Reflect.get(ws, '_socket') : undefined;
  assert.ok(typeof tcp === 'object' && tcp !== null && 'pause' in tcp && 'resume' in tcp, 'no TCP socket under the client');
  return tcp as { pause(): void; resume(): void };
}

/** Polls `condition` (a server counter) until it holds, within `timeoutMs`. */
async function eventuallyTrue(condition: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${message} (after ${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
