// The rig of test/prisma.test.ts: one throw-away SQLite database (test/prisma-db.ts), a real
// `RealtimeServer` on 127.0.0.1, the generated Prisma extension on a real Prisma 7 client, and
// subscribers (real socket.io clients) that collect exactly the model events they receive.
import assert from 'node:assert/strict';

import { realtimeExtension } from '../.generated/specs/tasks/ts-server/api/realtime/middleware.js';
import { TestClient, sleep, within } from './client.js';
import { createTestDatabase, type TestDatabase } from './prisma-db.js';
import { startTsServer, type StartedTsServer } from './ts-server.js';

/** How long a subscriber waits for the events it expects. */
const ARRIVE_MS = 5_000;

/** A model event as a subscriber saw it. */
export type ModelEvent =
  | { kind: 'created' | 'updated'; model: string; row: unknown }
  | { kind: 'deleted'; model: string; id: unknown };

/** One line the server's logger received (the extension reports through it). */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  details: Record<string, unknown> | undefined;
}

function readModelEvent(event: string, args: unknown[]): ModelEvent | undefined {
  switch (event) {
    case 'model_created':
    case 'model_updated':
      assert.equal(args.length, 2, `\`${event}\` carries (model, data)`);
      assert.equal(Object.keys(args[1] ?? {})[0], 'id', 'a row has its id first (docs/wire.md)');
      return { kind: event === 'model_created' ? 'created' : 'updated', model: String(args[0]), row: args[1] };
    case 'model_deleted':
      assert.equal(args.length, 2, '`model_deleted` carries (model, id)');
      return { kind: 'deleted', model: String(args[0]), id: args[1] };
    default:
      return undefined;
  }
}

/** Numbers the markers of every subscriber. */
let markers = 0;

/** A socket.io client subscribed to some channels, collecting the model events it receives. */
export class Subscriber {
  private seen = 0;

  private constructor(
    private readonly client: TestClient,
    private readonly mark: (marker: string) => void,
  ) {}

  /** `mark` makes the server send a `notification` with the given text, after all it sent before. */
  static async connect(url: string, channels: readonly string[], mark: (marker: string) => void): Promise<Subscriber> {
    const client = await TestClient.connect(url);
    try {
      for (const channel of channels) {
        assert.deepEqual(await client.request('subscribe', [channel]), [{ ok: true }], `subscribe to ${channel}`);
      }
    } catch (error) {
      client.close();
      throw error;
    }
    return new Subscriber(client, mark);
  }

  /** Every model event received so far, in order of arrival. */
  private all(): ModelEvent[] {
    const events: ModelEvent[] = [];
    for (const { event, args } of this.client.received) {
      const read = readModelEvent(event, args);
      if (read !== undefined) events.push(read);
    }
    return events;
  }

  /**
   * The model events received since the last call: waits (bounded) until at least `expected`
   * have arrived, then has the server send a marker notification and waits for it. The server
   * sent every event of the writes so far before the marker, and one connection keeps its
   * order, so an extra event cannot arrive later unseen.
   */
  async take(expected: number): Promise<ModelEvent[]> {
    const deadline = Date.now() + ARRIVE_MS;
    while (this.all().length - this.seen < expected) {
      if (Date.now() > deadline) {
        const got = JSON.stringify(this.all().slice(this.seen));
        assert.fail(`expected ${expected} model event(s) within ${ARRIVE_MS} ms, got: ${got}`);
      }
      await sleep(10);
    }
    markers += 1;
    const marker = `marker ${markers}`;
    const arrived = (): boolean =>
      this.client.received.some(({ event, args }) => event === 'notification' && args[0] === marker);
    this.mark(marker);
    while (!arrived()) {
      if (Date.now() > deadline + ARRIVE_MS) {
        assert.fail(`the marker notification did not arrive within ${ARRIVE_MS} ms`);
      }
      await sleep(10);
    }
    const events = this.all().slice(this.seen);
    this.seen += events.length;
    return events;
  }

  close(): void {
    this.client.close();
  }
}

/** Everything a test needs; `close` tears it all down. */
export interface PrismaRig {
  database: TestDatabase;
  server: StartedTsServer;
  /** The client without the extension: to set up and inspect rows without any event. */
  base: TestDatabase['prisma'];
  /** The extended client (`$extends` returned it; the base client is unchanged). */
  prisma: ReturnType<typeof extend>;
  /** What the extension and the server logged. */
  logs: LogLine[];
  /** Calls of the extension's `onUntracked` option. */
  untracked: { model: string; operation: string }[];
  /** A subscriber on `channels`; closed by `close`. */
  subscribe(channels?: readonly string[]): Promise<Subscriber>;
  /** Empties every table (through the base client: no events) and the logs. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function extend(
  database: TestDatabase,
  server: StartedTsServer,
  untracked: { model: string; operation: string }[],
) {
  return database.prisma.$extends(
    realtimeExtension(server.realtime, {
      onUntracked: (model, operation) => {
        untracked.push({ model, operation });
      },
    }),
  );
}

export async function startPrismaRig(): Promise<PrismaRig> {
  const logs: LogLine[] = [];
  const untracked: { model: string; operation: string }[] = [];
  const log =
    (level: LogLine['level']) =>
    (message: string, details?: Record<string, unknown>): void => {
      logs.push({ level, message, details });
    };
  const server = await startTsServer(
    {},
    { logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } },
  );
  const database = createTestDatabase();
  const subscribers: Subscriber[] = [];
  return {
    database,
    server,
    base: database.prisma,
    prisma: extend(database, server, untracked),
    logs,
    untracked,
    async subscribe(channels = ['task', 'user']) {
      const subscriber = await Subscriber.connect(server.url, channels, (marker) => {
        server.realtime.broadcastNotification(marker);
      });
      subscribers.push(subscriber);
      return subscriber;
    },
    async reset() {
      for (const subscriber of subscribers.splice(0)) subscriber.close();
      await database.prisma.task.deleteMany();
      await database.prisma.user.deleteMany();
      await database.prisma.auditLog.deleteMany();
      logs.length = 0;
      untracked.length = 0;
    },
    async close() {
      for (const subscriber of subscribers.splice(0)) subscriber.close();
      try {
        await within(database.dispose(), 5_000, 'the database did not close');
      } finally {
        await within(server.close(), 5_000, 'the server did not close');
      }
    },
  };
}

/** A fixed creation time, so that rows compare exactly. */
export const CREATED_AT = new Date('2026-11-25T09:00:00.000Z');

/** The wire JSON of a `Task` (docs/wire.md): the defaults of the Prisma schema, then `fields`. */
export function taskRow(fields: { id: string; title: string } & Record<string, unknown>): Record<string, unknown> {
  return {
    done: false,
    owner: null,
    priority: null,
    due: null,
    createdAt: CREATED_AT.toISOString(),
    price: null,
    tags: [],
    type: null,
    status: 'open',
    ...fields,
  };
}

/** Orders events by kind, model and id: for writes of many rows, whose order is not promised. */
export function sorted(events: readonly ModelEvent[]): ModelEvent[] {
  const key = (event: ModelEvent): string => {
    const id = event.kind === 'deleted' ? event.id : (event.row as { id?: unknown } | null)?.id;
    return `${event.kind}\u0000${event.model}\u0000${String(id)}`;
  };
  return [...events].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Runs `write`, expecting it to fail; returns what it threw. */
export async function failure(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (error) {
    return error;
  }
  assert.fail('the write succeeded');
}

/** What a caller can observe of a Prisma error: its class and every own property, message included. */
export function errorShape(error: unknown): Record<string, unknown> {
  assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
  const shape: Record<string, unknown> = { class: error.constructor.name, name: error.name, message: error.message };
  for (const key of Object.keys(error)) shape[key] = Reflect.get(error, key);
  return shape;
}
