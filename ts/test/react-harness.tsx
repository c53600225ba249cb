// What the React tests need: the generated `RealtimeServer` of specs/tasks.shep on 127.0.0.1
// with a record of what reached it, probe components around the generated hooks, and bounded
// waits. Import it before React (it installs the DOM first).
import './react-env.js';

import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';

import { act, cleanup } from '@testing-library/react';
import type { ReactNode } from 'react';

import {
  RealtimeServer,
  type RealtimeServerOptions,
  type RealtimeSocket,
} from '../.generated/specs/tasks/ts-server/api/realtime/server.js';
import {
  useRealtime,
  type ModelRealtime,
  type ModelRealtimeOptions,
  type RealtimeContextValue,
} from '../.generated/specs/tasks/ts/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../.generated/specs/tasks/ts/hooks/useTaskRealtime.js';
import { useUserRealtime } from '../.generated/specs/tasks/ts/hooks/useUserRealtime.js';
import type { Channel, Task } from '../.generated/specs/tasks/ts/types.js';
import { sleep, within } from './client.js';

export { sleep, within };

/** One request a client sent, as the server received it. */
export interface Request {
  event: 'subscribe' | 'unsubscribe';
  channel: unknown;
  socketId: string;
}

/** The generated server, listening, with what reached it. */
export interface ObservedServer {
  readonly realtime: RealtimeServer;
  readonly port: number;
  readonly url: string;
  /** Every `subscribe`/`unsubscribe` received, in order, from every connection. */
  readonly requests: Request[];
  /** Every Socket.IO connection accepted so far (`connection` events). */
  readonly connections: RealtimeSocket[];
  /** The `subscribe` requests for `channel`. */
  subscribes(channel: Channel): number;
  /** The `unsubscribe` requests for `channel`. */
  unsubscribes(channel: Channel): number;
  /** How many connections are in the room `channel` now. */
  members(channel: Channel): number;
  /** Open Socket.IO connections now. */
  openConnections(): number;
  /** Open Engine.IO connections now (also counts a transport that never reached Socket.IO). */
  openTransports(): number;
  close(): Promise<void>;
}

/** Starts the generated server on 127.0.0.1:`port` (0: any free port). */
export async function startServer(port = 0, options: RealtimeServerOptions = {}): Promise<ObservedServer> {
  const httpServer = createServer();
  const realtime = new RealtimeServer(httpServer, options);
  const requests: Request[] = [];
  const connections: RealtimeSocket[] = [];
  // Registered after the server's own handler: both see every connection and every request.
  realtime.io.on('connection', (socket) => {
    connections.push(socket);
    socket.on('subscribe', (channel: unknown) => {
      requests.push({ event: 'subscribe', channel, socketId: socket.id });
    });
    socket.on('unsubscribe', (channel: unknown) => {
      requests.push({ event: 'unsubscribe', channel, socketId: socket.id });
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const bound = (httpServer.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const count = (event: Request['event'], channel: Channel): number =>
    requests.filter((r) => r.event === event && r.channel === channel).length;
  return {
    realtime,
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    requests,
    connections,
    subscribes: (channel) => count('subscribe', channel),
    unsubscribes: (channel) => count('unsubscribe', channel),
    members: (channel) => realtime.getSubscriberCount(channel),
    openConnections: () => realtime.getConnectedCount(),
    openTransports: () => realtime.io.engine.clientsCount,
    close() {
      closing ??= within(realtime.close(), 5_000, 'the server did not close');
      return closing;
    },
  };
}

/**
 * Polls `check` (a function that throws, an `assert`) every 10 ms until it passes; after
 * `timeoutMs` it fails with the last assertion error.
 */
export async function eventually(check: () => void, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${what}: still failing after ${timeoutMs} ms: ${reason}`, { cause: error });
      }
    }
    await sleep(10);
  }
}

/** Every value a hook returned, one per render, newest last. */
export class Recorder<T> {
  readonly values: T[] = [];

  get latest(): T {
    const value = this.values.at(-1);
    if (value === undefined) {
      throw new Error('the component has not rendered yet');
    }
    return value;
  }

  /** `pick` of every render, with consecutive repeats dropped: `[false, true, false, true]`. */
  transitions<V>(pick: (value: T) => V): V[] {
    const out: V[] = [];
    for (const value of this.values) {
      const next = pick(value);
      if (out.length === 0 || out.at(-1) !== next) {
        out.push(next);
      }
    }
    return out;
  }
}

/** The provider's value as the last probe rendered it: what `settled` pings through. */
let lastContext: RealtimeContextValue | null = null;

/**
 * Waits until everything the page has sent so far has reached the server, and everything the
 * server sent before has been handled by the page: React's pending work (and the provider's
 * batched requests) first, then a `ping` over the page's own connection until the server's
 * ack is back (one connection keeps its order both ways), then React's work again. Whatever
 * should not have happened until now has had its chance to; no time is waited.
 */
export async function settled(): Promise<void> {
  await act(async () => {});
  const context = lastContext;
  if (context === null) {
    throw new Error('settled() needs a probe rendered inside a <RealtimeProvider>');
  }
  await act(async () => {
    await context.ping(5_000);
  });
  await act(async () => {});
}

export interface TaskProbeProps {
  recorder?: Recorder<ModelRealtime<'Task'>>;
  options?: ModelRealtimeOptions<'Task'>;
  /** `data-testid` of the rendered list. */
  testId?: string;
}

/** `useTaskRealtime`, rendered as a user sees it: a status line and the live rows. */
export function TaskProbe({ recorder, options, testId = 'tasks' }: TaskProbeProps): ReactNode {
  const live = useTaskRealtime(options);
  lastContext = useRealtime();
  recorder?.values.push(live);
  return (
    <section data-testid={testId}>
      <p data-testid={`${testId}-status`}>{live.isConnected ? 'online' : 'offline'}</p>
      <ul>
        {live.items.map((task) => (
          <li key={task.id}>{rowText(task)}</li>
        ))}
      </ul>
    </section>
  );
}

/** `useUserRealtime`, holding the `user` channel on the same connection. */
export function UserProbe({ recorder }: { recorder?: Recorder<ModelRealtime<'User'>> }): ReactNode {
  const live = useUserRealtime();
  lastContext = useRealtime();
  recorder?.values.push(live);
  return <p data-testid="users">{live.items.length}</p>;
}

/** How `TaskProbe` shows a row. */
export function rowText(task: Task): string {
  return `${task.id}: ${task.title}${task.done ? ' (done)' : ''}`;
}

/** The rows a `TaskProbe` shows, top to bottom. */
export function shownRows(container: HTMLElement, testId = 'tasks'): string[] {
  const list = container.querySelector(`[data-testid="${testId}"] ul`);
  return list === null ? [] : [...list.querySelectorAll('li')].map((li) => li.textContent ?? '');
}

/** A `Task` row; `createdAt` and `tags` are required by the spec. */
export function task(id: string, title: string, extra: Partial<Task> = {}): Task {
  return { id, title, done: false, createdAt: '2026-11-25T09:00:00Z', tags: [], status: 'open', ...extra };
}

/**
 * Runs `body` with a fresh server; whatever happens, unmounts everything rendered (closing the
 * provider's socket) and closes every server it started.
 */
export async function withServer(
  body: (server: ObservedServer, started: ObservedServer[]) => Promise<void>,
  options: RealtimeServerOptions = {},
): Promise<void> {
  const started: ObservedServer[] = [await startServer(0, options)];
  try {
    const first = started[0];
    if (first === undefined) {
      throw new Error('no server');
    }
    await body(first, started);
  } finally {
    cleanup();
    lastContext = null;
    for (const server of started) {
      await server.close();
    }
  }
}

/** A promise and the functions that settle it, for a fetch the test answers when it wants. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: Error) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Where a `TaskTable` sends its changes: the generated server's `realtime`, or the Rust server. */
export interface TaskSink {
  emitModelCreated(model: 'Task', row: Task): void;
  emitModelUpdated(model: 'Task', row: Task): void;
  emitModelDeleted(model: 'Task', id: string): void;
}

/** One change a `TaskTable` made, as a hook's `history` should show it. */
export type TableChange = { kind: 'created' | 'updated'; row: Task } | { kind: 'deleted'; id: string };

/**
 * The server's `Task` rows, changed the way a database changes them (a new row goes to the
 * end, an update keeps its place), each change also sent by the server `via()` returns, if
 * any: what a client should end up showing is `rows()`, and `changes` lists every change in
 * order.
 */
export class TaskTable {
  readonly changes: TableChange[] = [];
  private readonly table = new Map<string, Task>();
  private readonly via: () => ObservedServer | TaskSink | null;

  constructor(via: () => ObservedServer | TaskSink | null, rows: readonly Task[] = []) {
    this.via = via;
    for (const row of rows) {
      this.table.set(row.id, row);
    }
  }

  /** What a fetch reads now. */
  rows(): Task[] {
    return [...this.table.values()];
  }

  created(row: Task): void {
    this.table.set(row.id, row);
    this.changes.push({ kind: 'created', row });
    this.sink()?.emitModelCreated('Task', row);
  }

  updated(row: Task): void {
    this.table.set(row.id, row);
    this.changes.push({ kind: 'updated', row });
    this.sink()?.emitModelUpdated('Task', row);
  }

  deleted(id: string): void {
    this.table.delete(id);
    this.changes.push({ kind: 'deleted', id });
    this.sink()?.emitModelDeleted('Task', id);
  }

  private sink(): TaskSink | null {
    const via = this.via();
    return via === null ? null : 'realtime' in via ? via.realtime : via;
  }
}

/**
 * A loopback TCP link between the page and a server, that the test can cut like a network:
 * while cut, every byte either way is dropped and the connections stay open (a pulled cable:
 * neither end is told), and new connections are dropped at once; `restore()` resets the
 * connections that lived through the cut (as their timeouts would, later) and lets new ones
 * through again.
 */
export interface NetworkLink {
  /** `http://127.0.0.1:<port>` of the link. */
  readonly url: string;
  /** Connections that passed through the link, so far. */
  readonly accepted: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startLink(targetPort: number): Promise<NetworkLink> {
  const pairs = new Set<[Socket, Socket]>();
  let down = false;
  let accepted = 0;
  const server = createTcpServer((page) => {
    if (down) {
      page.destroy();
      return;
    }
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [page, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (!down) to.write(chunk);
      });
    };
    forward(page, upstream);
    forward(upstream, page);
    const end = (): void => {
      pairs.delete(pair);
      page.destroy();
      upstream.destroy();
    };
    for (const socket of pair) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const resetAll = (): void => {
    for (const [page, upstream] of [...pairs]) {
      page.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    cut() {
      down = true;
    },
    restore() {
      resetAll();
      down = false;
    },
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
