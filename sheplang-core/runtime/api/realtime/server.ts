/**
 * The app's Socket.IO server, speaking the wire contract (docs/wire.md).
 *
 * ```ts
 * import { createServer } from 'node:http';
 * import { RealtimeServer } from './api/realtime/server.js';
 *
 * const httpServer = createServer(app);
 * const realtime = new RealtimeServer(httpServer, {
 *   origins: ['https://app.example.com'],
 *   authorize: (socket, channel) => socket.data['userId'] !== undefined,
 * });
 * httpServer.listen(3000);
 * ```
 *
 * The constructor also gives the HTTP server connection limits (`connection`): a deadline for
 * request heads and whole requests, a keep-alive idle timeout and a connection cap, which
 * Node's defaults lack (no cap, 60 s for a head). Node checks the two deadlines every
 * `connectionsCheckingInterval` (30 s unless given to `createServer`), so create the server
 * with `createServer({ connectionsCheckingInterval: 1_000 })` to enforce them promptly.
 *
 * Client input of any shape is validated and never crashes or wedges the server:
 * `subscribe`/`unsubscribe` answer `{ ok: true }` or `{ ok: false, error }` when given an
 * ack function, `ping` calls its ack when it is a function, anything else is ignored.
 */

import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

import {
  APP_NAME,
  CHANNEL_OF,
  CHANNELS,
  FILTER_FIELDS,
  FINGERPRINT,
  isChannel,
  type Channel,
  type ClientToServerEvents,
  type InterServerEvents,
  type ModelEventArgs,
  type ModelName,
  type Models,
  type ServerToClientEvents,
  type SocketData,
  type SubscribeResult,
} from '../../types.js';

/** The typed Socket.IO server. */
export type RealtimeIo = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/** One client connection, as the server sees it. */
export type RealtimeSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/** Where the server reports what happens. Every method is optional. */
export interface RealtimeLogger {
  debug?(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
  warn?(message: string, details?: Record<string, unknown>): void;
  error?(message: string, details?: Record<string, unknown>): void;
}

export interface RealtimeServerOptions {
  /**
   * Browser origins allowed to connect (`['https://app.example.com']`), or `'*'` for any.
   * Default: none but the server's own origin. Clients that send no `Origin` header (servers,
   * scripts, tests) are not browsers and are let in. Checked on the handshake of every
   * transport, WebSocket included, and sent as CORS headers for HTTP long-polling.
   */
  origins?: readonly string[] | '*';
  /**
   * Decides whether `socket` may join `channel` (only channels of the spec get this far).
   * Anything but `true`, a throw, a rejection or no answer within `authorizeTimeoutMs` denies
   * the subscription with `not authorized`. Default: every channel is allowed.
   */
  authorize?: (
    socket: RealtimeSocket,
    channel: Channel,
    filter: Readonly<Record<string, string | number | boolean | null>>,
  ) => boolean | Promise<boolean>;
  /**
   * Checks each row before it is sent to a connection, after the subscription's filter:
   * `false` treats the row as not matching (docs/wire.md, "Filtered subscriptions"). Called for
   * every row and subscriber, synchronously: keep it quick. A throw counts as `false`.
   */
  checkRow?: (socket: RealtimeSocket, channel: Channel, row: unknown) => boolean;
  /** How long `authorize` may take, in milliseconds. Default: 10 000. */
  authorizeTimeoutMs?: number;
  /** Where to log. Default: nowhere. `console` works. */
  logger?: RealtimeLogger;
  /**
   * The log that numbers every model event and replays what a resuming client missed
   * (docs/wire.md, "Positions and resume"). Default: a `MemoryLog` with `logCapacity` and
   * `logMaxAgeMs`.
   */
  log?: EventLog;
  /** How many events the default log keeps per channel. Default: 10 000. */
  logCapacity?: number;
  /** How long the default log keeps an event, in milliseconds. Default: 300 000. */
  logMaxAgeMs?: number;
  /**
   * With a shared log (`RedisLog`): how many emits may wait while the log cannot be written.
   * Past it, the waiting model events are dropped (`droppedEmits`), and once the log is back a gap marker is
   * appended to each of their channels: every client holding positions of those channels, on
   * every server, resubscribes and is answered `reset` (it reloads, and sees the changes from
   * the database). Nothing is lost silently; memory stays bounded. Default: 100 000.
   */
  maxPendingEmits?: number;
  /**
   * How many packets may wait for one slow client. A client past it is never skipped
   * silently: it leaves its channels and is disconnected once it has read what was queued
   * (it resumes when it reconnects). Default: 4 096.
   */
  maxBufferedPackets?: number;
  /** The largest message a client may send, in bytes (`maxHttpBufferSize`). Default: 100 000. */
  maxPayloadBytes?: number;
  /**
   * Connection limits set on the HTTP server (see `ConnectionLimits`; each field has a default).
   * `false` leaves the HTTP server's own settings alone.
   */
  connection?: ConnectionLimits | false;
  /** The HTTP path of the endpoint. Default: `/socket.io`. */
  path?: string;
}

/**
 * Connection hygiene for the HTTP server the realtime server is attached to, so that clients
 * that open connections and send nothing, or half a request, cannot hold the process's file
 * descriptors. Set on the server by the `RealtimeServer` constructor.
 */
export interface ConnectionLimits {
  /**
   * `server.headersTimeout`: how long a client may take to send a complete request head, in
   * milliseconds; past it Node answers 408 and closes. Default: 10 000 (Node's: 60 000).
   */
  headersTimeoutMs?: number;
  /**
   * `server.requestTimeout`: how long a client may take to send a whole request, in
   * milliseconds (a long poll waiting for events is not affected: its request is complete).
   * Default: 30 000 (Node's: 300 000).
   */
  requestTimeoutMs?: number;
  /**
   * `server.keepAliveTimeout`: how long an idle keep-alive connection is kept, in milliseconds.
   * Default: 5 000 (Node's too).
   */
  keepAliveTimeoutMs?: number;
  /**
   * `server.maxConnections`: beyond this many open connections, WebSockets included, Node
   * closes a new connection at once. Default: 10 000 (Node's: no limit). Keep it under the
   * process's open-file limit (`ulimit -n`).
   */
  maxConnections?: number;
}

/** The `ConnectionLimits` defaults. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<Required<ConnectionLimits>> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
});

/** Sets `limits` (over the defaults) on `httpServer`. */
function applyConnectionLimits(httpServer: HttpServer, limits: ConnectionLimits): void {
  const settings = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  // Node requires headersTimeout <= requestTimeout; set the larger bound first.
  httpServer.requestTimeout = Math.max(settings.requestTimeoutMs, settings.headersTimeoutMs);
  httpServer.headersTimeout = settings.headersTimeoutMs;
  httpServer.keepAliveTimeout = settings.keepAliveTimeoutMs;
  httpServer.maxConnections = settings.maxConnections;
}

/** A channel longer than this many UTF-8 bytes is refused as `invalid channel`. */
const MAX_CHANNEL_BYTES = 256;
const DEFAULT_AUTHORIZE_TIMEOUT_MS = 10_000;
const DEFAULT_LOG_CAPACITY = 10_000;
const DEFAULT_LOG_MAX_AGE_MS = 300_000;
const DEFAULT_MAX_BUFFERED_PACKETS = 4_096;
/** The default bound of emits waiting for a shared log (`maxPendingEmits`). */
export const DEFAULT_MAX_PENDING_EMITS = 100_000;
/** How many delivered events may wait in the dispatcher before a shared log's reader waits. */
const FEED_WINDOW = 8_192;
/** The largest integer a `since` may be. */
const MAX_SINCE = Number.MAX_SAFE_INTEGER;

/** The three model events. */
export type ModelEventName = 'model_created' | 'model_updated' | 'model_deleted';

/** One model event as a log keeps it: the event, the model name and the row (or the id). */
export interface LogEvent {
  event: ModelEventName;
  model: ModelName;
  payload: unknown;
  /**
   * The row before the change, when the host gave it (an update's previous row, a deleted
   * row): a filtered subscription then gets a row that moves out as a removal. Never sent.
   */
  before?: unknown;
}

/** A checked filter: the fields it names with the value each must equal. */
export type Filter = readonly (readonly [field: string, value: string | number | boolean | null])[];

/** The most fields a filter may name. */
export const MAX_FILTER_FIELDS = 16;

/** How a JSON value is called in an error message. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'boolean':
      return 'a boolean';
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    default:
      return 'an object';
  }
}

const EXPECTED = { text: 'a string', number: 'a number', boolean: 'true or false' } as const;
const JS_TYPE = { text: 'string', number: 'number', boolean: 'boolean' } as const;

/**
 * Checks a client's `filter` against the fields of `model` (docs/wire.md, "Filtered
 * subscriptions"): the checked filter, or the wire error (`invalid filter: ...`).
 */
export function parseFilter(model: ModelName, value: unknown): Filter | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `invalid filter: expected an object of field values, got ${describeValue(value)}; send { "<field>": <value>, ... }`;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_FILTER_FIELDS) {
    return `invalid filter: ${entries.length} fields, more than the ${MAX_FILTER_FIELDS} a filter may name; filter on fewer`;
  }
  const fields: readonly (readonly [string, 'text' | 'number' | 'boolean', boolean])[] = FILTER_FIELDS[model];
  const checked: [string, string | number | boolean | null][] = [];
  for (const [name, given] of entries) {
    const field = fields.find(([f]) => f === name);
    if (field === undefined) {
      const names = fields.map(([f]) => `\`${f}\``).join(', ');
      const shown = name.length > 64 ? `${name.slice(0, 64)}...` : name;
      return `invalid filter: \`${shown}\` is not a field of \`${model}\` that can be filtered on; use one of ${names}`;
    }
    const [, kind, optional] = field;
    const fits =
      (typeof given === JS_TYPE[kind] && (kind !== 'number' || Number.isFinite(given))) || (optional && given === null);
    if (!fits) {
      return `invalid filter: \`${name}\` of \`${model}\` takes ${EXPECTED[kind]}${optional ? ' or null' : ''}, not ${describeValue(given)}`;
    }
    checked.push([name, given as string | number | boolean | null]);
  }
  return checked;
}

/** True when `row` holds every value `filter` names (`null`: absent or null). */
export function matchesFilter(filter: Filter, row: unknown): boolean {
  if (typeof row !== 'object' || row === null) return filter.length === 0;
  return filter.every(([field, value]) => {
    const got: unknown = Reflect.get(row, field);
    return value === null ? got === undefined || got === null : got === value;
  });
}

/** The model of each channel. */
const MODEL_OF_CHANNEL = new Map<Channel, ModelName>(
  (Object.entries(CHANNEL_OF) as [ModelName, Channel][]).map(([model, channel]) => [channel, model]),
);

/** A subscriber that gets its events one by one: filtered, or checked row by row. */
interface Filtered {
  socket: RealtimeSocket;
  filter: Filter | undefined;
  /** Subscribed with options: its events carry `seq`. */
  positioned: boolean;
}

/** An event with its position in its channel's log. */
export interface LogEntry {
  seq: number;
  event: LogEvent;
}

/** What a client resuming from a position gets: the events after it, or `reset`. */
export type Replay = { reset: false; entries: LogEntry[]; head: number } | { reset: true; head: number };

/**
 * A per-channel log of model events: positions `1, 2, 3, ...` per channel, and replay from a
 * position. `MemoryLog` is the default; a shared log (`RedisLog` of `./redis.js`) implements
 * the same methods, asynchronously, and `follow`: the server then sends an event when the log
 * hands it back (whichever process appended it), not when it appends it.
 */
export interface EventLog {
  /** The identity of this log's history; positions of another epoch mean nothing here. */
  readonly epoch: string;
  /** Appends `event` to `channel`'s log; its position (the last one plus 1). */
  append(channel: Channel, event: LogEvent): number | Promise<number>;
  /** The events after `since` (all still held, else `reset`); none when `since` is undefined. */
  read(channel: Channel, since: number | undefined): Replay | Promise<Replay>;
  /**
   * A shared log: hands every event appended from now on, by any process, to `feed`; resolves
   * once the starting point is fixed.
   */
  follow?(feed: LogFeed): Promise<boolean>;
  /** A shared log: a notification for every process that follows it. */
  notify?(message: string, data: unknown): Promise<void>;
  /** A shared log: marks a hole in `channel` (events were dropped): its positioned clients reset. */
  gap?(channel: Channel): Promise<void>;
}

/** What a shared log hands to the server that follows it (`EventLog.follow`). */
export interface LogFeed {
  /** The server's channels: a shared log reads these. */
  readonly channels: readonly Channel[];
  /** One event of `channel` at position `seq` of history `epoch`, in the channel's order. */
  event(channel: Channel, seq: number, epoch: string, event: LogEvent): void;
  /** A hole at `seq` in `channel`: its clients holding an earlier position resubscribe. */
  gap(channel: Channel, seq: number): void;
  /** A notification for every client of this server. */
  notification(message: string, data: unknown): void;
  /** The log's history is now `epoch`: clients holding positions of another one reload. */
  epochChanged(epoch: string): void;
  /** Resolves when the server has room for more events. */
  room(): Promise<void>;
  /** The server is closed: stop reading. */
  closed(): boolean;
}

/** The in-memory `EventLog`: the last `capacity` events of each channel, none older than `maxAgeMs`. */
export class MemoryLog implements EventLog {
  readonly epoch = randomBytes(8).toString('hex');
  private readonly channels = new Map<Channel, { head: number; entries: { at: number; entry: LogEntry }[] }>();

  constructor(
    private readonly capacity: number = DEFAULT_LOG_CAPACITY,
    private readonly maxAgeMs: number = DEFAULT_LOG_MAX_AGE_MS,
  ) {}

  append(channel: Channel, event: LogEvent): number {
    let log = this.channels.get(channel);
    if (log === undefined) {
      log = { head: 0, entries: [] };
      this.channels.set(channel, log);
    }
    log.head += 1;
    if (this.capacity > 0) {
      log.entries.push({ at: Date.now(), entry: { seq: log.head, event } });
    }
    this.prune(log.entries);
    return log.head;
  }

  read(channel: Channel, since: number | undefined): Replay {
    const log = this.channels.get(channel);
    if (log === undefined) {
      return since === undefined || since === 0 ? { reset: false, entries: [], head: 0 } : { reset: true, head: 0 };
    }
    this.prune(log.entries);
    const { head } = log;
    if (since === undefined) {
      return { reset: false, entries: [], head };
    }
    const oldest = log.entries[0]?.entry.seq ?? head + 1;
    if (since > head || since + 1 < oldest) {
      return { reset: true, head };
    }
    return { reset: false, entries: log.entries.slice(since + 1 - oldest).map((e) => e.entry), head };
  }

  private prune(entries: { at: number; entry: LogEntry }[]): void {
    const now = Date.now();
    let drop = Math.max(0, entries.length - this.capacity);
    while (drop < entries.length && now - (entries[drop]?.at ?? now) > this.maxAgeMs) {
      drop += 1;
    }
    if (drop > 0) {
      entries.splice(0, drop);
    }
  }
}

/** The server's counters. */
export interface RealtimeMetrics {
  /** Model events appended to the log (and sent). */
  events: number;
  /** Connections disconnected because their send queue overflowed. */
  overflowDisconnects: number;
  /** Events sent again to resuming subscribers. */
  replayed: number;
  /** Resuming subscribes answered `reset`. */
  resets: number;
  /** Shared log operations that failed (each is retried). */
  logErrors: number;
  /** The shared log cannot be written now: emits wait, in order. */
  logDegraded: boolean;
  /** Emits dropped past `maxPendingEmits` (their channels' clients reset). */
  droppedEmits: number;
  /** Positioned clients disconnected because their positions no longer hold (they resume or reset). */
  resyncDisconnects: number;
}

/** The answer of a subscribe with options. */
type ResumeAnswer = { ok: true; epoch: string; seq: number; reset?: true } | { ok: false; error: string };

/** The room of a channel's subscribers that asked for positions. */
function positionsRoom(channel: Channel): string {
  return `${channel}#seq`;
}
const DEFAULT_MAX_PAYLOAD_BYTES = 100_000;

/** Serves the app's channels and broadcasts its model changes. */
export class RealtimeServer {
  /** The underlying Socket.IO server, for whatever this class does not cover. */
  readonly io: RealtimeIo;
  /** The logger from the options (quiet by default); the Prisma extension reports through it too. */
  readonly logger: RealtimeLogger;
  private readonly authorize: RealtimeServerOptions['authorize'];
  private readonly checkRow: RealtimeServerOptions['checkRow'];
  /** Per channel, the subscribers that get their events one by one (filtered or checked). */
  private readonly filtered = new Map<Channel, Map<string, Filtered>>();
  private readonly authorizeTimeoutMs: number;
  /** Per connection, the tail of its `subscribe`/`unsubscribe` requests, handled in order. */
  private readonly pending = new WeakMap<RealtimeSocket, Promise<void>>();
  private readonly eventLog: EventLog;
  private readonly maxBufferedPackets: number;
  /** Emits, replays and joins, run one after the other (at once while the log is synchronous). */
  private readonly dispatchQueue: (() => void | Promise<void>)[] = [];
  private dispatching = false;
  /** Connections being disconnected for an overflow. */
  private readonly evicted = new WeakSet<RealtimeSocket>();
  private readonly counters = { events: 0, overflowDisconnects: 0, replayed: 0, resets: 0, resyncDisconnects: 0 };
  /** With a shared log: emits and notifications on their way into it. */
  private readonly outbox: Outbox | undefined;
  /** With a shared log: per channel, each positioned subscriber's last position and its epoch. */
  private readonly members = new Map<Channel, Map<string, { after: number; epoch: string }>>();
  private closing = false;

  constructor(httpServer: HttpServer, options: RealtimeServerOptions = {}) {
    const origins = options.origins ?? [];
    this.eventLog =
      options.log ??
      new MemoryLog(options.logCapacity ?? DEFAULT_LOG_CAPACITY, options.logMaxAgeMs ?? DEFAULT_LOG_MAX_AGE_MS);
    this.maxBufferedPackets = Math.max(1, options.maxBufferedPackets ?? DEFAULT_MAX_BUFFERED_PACKETS);
    this.logger = options.logger ?? {};
    this.authorize = options.authorize;
    this.checkRow = options.checkRow;
    this.authorizeTimeoutMs = options.authorizeTimeoutMs ?? DEFAULT_AUTHORIZE_TIMEOUT_MS;
    if (options.connection !== false) {
      applyConnectionLimits(httpServer, options.connection ?? {});
    }
    this.io = new Server(httpServer, {
      path: options.path ?? '/socket.io',
      maxHttpBufferSize: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      cors: { origin: origins === '*' ? '*' : [...origins] },
      allowRequest: (request, callback) => {
        const allowed = isOriginAllowed(request, origins);
        callback(allowed ? null : 'origin not allowed', allowed);
      },
    });
    this.io.on('connection', (socket) => {
      this.onConnection(socket);
    });
    const log = this.eventLog;
    if (log.follow !== undefined) {
      this.outbox = new Outbox(log, this.logger, options.maxPendingEmits ?? DEFAULT_MAX_PENDING_EMITS);
      const follow = log.follow.bind(log);
      // Before any join: a replay then always ends at or after where the feed starts.
      this.dispatch(async () => {
        await follow(this.feed());
      });
    }
  }

  /** What a shared log hands its events to: the dispatch queue, in the log's order. */
  private feed(): LogFeed {
    return {
      channels: CHANNELS,
      event: (channel, seq, epoch, event) => {
        this.dispatch(() => {
          this.deliver(channel, seq, epoch, event);
        });
      },
      gap: (channel, seq) => {
        this.dispatch(() => {
          for (const [id, member] of this.members.get(channel) ?? []) {
            if (seq > member.after) this.resync(id);
          }
        });
      },
      notification: (message, data) => {
        this.dispatch(() => {
          this.notifyLocal(message, data);
        });
      },
      epochChanged: (epoch) => {
        this.dispatch(() => {
          for (const members of this.members.values()) {
            for (const [id, member] of members) {
              if (member.epoch !== epoch) this.resync(id);
            }
          }
        });
      },
      room: async () => {
        while (this.dispatchQueue.length > FEED_WINDOW && !this.closing) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
      closed: () => this.closing,
    };
  }

  /** An event handed back by the shared log: to every subscriber of its channel on this server. */
  private deliver(channel: Channel, seq: number, epoch: string, event: LogEvent): void {
    const skip: string[] = [];
    for (const [id, member] of this.members.get(channel) ?? []) {
      if (member.epoch !== epoch || seq > member.after + 1) {
        this.resync(id);
        skip.push(id);
      } else if (seq <= member.after) {
        skip.push(id); // Its replay had it.
      } else {
        member.after = seq;
      }
    }
    this.send(channel, event, seq, skip);
  }

  /** A positioned subscriber whose positions no longer hold: it resubscribes (and replays or resets). */
  private resync(id: string): void {
    const socket = this.io.of('/').sockets.get(id);
    this.forget(id);
    if (socket === undefined || this.evicted.has(socket)) {
      return;
    }
    this.counters.resyncDisconnects += 1;
    this.evicted.add(socket);
    this.log('warn', "a client's positions no longer hold; disconnecting it (it resumes or reloads)", { id });
    socket.disconnect(true);
  }

  /** Drops `id` from the positioned subscribers of `channel`, or of every channel. */
  private forget(id: string, channel?: Channel): void {
    for (const [c, members] of this.members) {
      if (channel === undefined || c === channel) members.delete(id);
    }
    this.unfilter(id, channel);
  }

  /** Sends `model_created` with a new row of `model` to the model's channel. */
  emitModelCreated<M extends ModelName>(model: M, data: Models[M]): void {
    this.emitRow('model_created', model, data);
  }

  /**
   * Sends `model_updated` with the changed row of `model` to the model's channel. With
   * `{ before }`, the row as it was: a filtered subscription the row moves out of gets a
   * removal, one it moves into an addition (docs/wire.md, "Filtered subscriptions").
   */
  emitModelUpdated<M extends ModelName>(model: M, data: Models[M], options: { before?: Models[M] } = {}): void {
    this.emitEvent({ event: 'model_updated', model, payload: data, ...(options.before === undefined ? {} : { before: options.before }) });
  }

  /**
   * Sends `model_deleted` with the id of a deleted row of `model` to the model's channel. With
   * `{ row }`, the deleted row: a filtered subscription gets the deletion when the row matched
   * (without it, a filtered subscription gets no deletion).
   */
  emitModelDeleted<M extends ModelName>(model: M, id: string, options: { row?: Models[M] } = {}): void {
    this.emitEvent({ event: 'model_deleted', model, payload: id, ...(options.row === undefined ? {} : { before: options.row }) });
  }

  /**
   * Sends `notification(message)`, or `notification(message, data)`, to every connected client
   * (with a shared log: of every server).
   */
  broadcastNotification(message: string, data?: unknown): void {
    if (this.outbox !== undefined) {
      this.outbox.pushNotification(message, data);
      return;
    }
    this.notifyLocal(message, data);
  }

  private notifyLocal(message: string, data: unknown): void {
    this.dispatch(() => {
      for (const socket of this.io.of('/').sockets.values()) {
        this.checkBuffer(socket);
      }
      if (data === undefined) {
        this.io.emit('notification', message);
      } else {
        this.io.emit('notification', message, data);
      }
    });
  }

  /** The number of connections subscribed to `channel` (in either form). */
  getSubscriberCount(channel: Channel): number {
    const rooms = this.io.of('/').adapter.rooms;
    return (
      (rooms.get(channel)?.size ?? 0) +
      (rooms.get(positionsRoom(channel))?.size ?? 0) +
      (this.filtered.get(channel)?.size ?? 0)
    );
  }

  /** The server's counters: events, overflow disconnections, replays, resets. */
  metrics(): RealtimeMetrics {
    return {
      ...this.counters,
      events: this.outbox?.appended ?? this.counters.events,
      logErrors: this.outbox?.errors ?? 0,
      logDegraded: this.outbox?.degraded ?? false,
      droppedEmits: this.outbox?.dropped ?? 0,
    };
  }

  /** The epoch of the event log: what a resuming `subscribe` answers in `epoch`. */
  get logEpoch(): string {
    return this.eventLog.epoch;
  }

  /** The number of open connections. */
  getConnectedCount(): number {
    return this.io.of('/').sockets.size;
  }

  /**
   * Disconnects every client and stops serving. Socket.IO also closes the HTTP server it is
   * attached to.
   */
  close(): Promise<void> {
    this.closing = true;
    this.outbox?.close();
    return new Promise((resolve) => {
      void this.io.close(() => {
        resolve();
      });
    });
  }

  private emitRow<M extends ModelName>(
    event: 'model_created' | 'model_updated',
    model: M,
    data: Models[M],
  ): void {
    this.emitEvent({ event, model, payload: data });
  }

  /** Numbers the event in its channel's log and sends it, after everything queued before it. */
  private emitEvent(event: LogEvent): void {
    const channel = CHANNEL_OF[event.model];
    if (this.outbox !== undefined) {
      // Sent when the shared log hands it back, in the log's order.
      this.outbox.push(channel, event);
      return;
    }
    this.dispatch(() => {
      const seq = this.eventLog.append(channel, event);
      if (typeof seq === 'number') {
        this.send(channel, event, seq);
        return undefined;
      }
      return seq.then((n) => {
        this.send(channel, event, n);
      });
    });
  }

  /**
   * What a subscriber with `filter` (and the host's row check) gets of `event`: the event,
   * its moved-in or moved-out form, or nothing (docs/wire.md, "Filtered subscriptions").
   */
  private decide(filter: Filter | undefined, socket: RealtimeSocket, channel: Channel, event: LogEvent): LogEvent | undefined {
    const checkRow = this.checkRow;
    if ((filter === undefined || filter.length === 0) && checkRow === undefined) return event;
    const matches = (row: unknown): boolean => {
      if (filter !== undefined && !matchesFilter(filter, row)) return false;
      if (checkRow === undefined) return true;
      try {
        return checkRow(socket, channel, row) === true;
      } catch (error) {
        this.log('warn', 'checkRow failed; the row is not sent', { id: socket.id, channel, error });
        return false;
      }
    };
    const before = event.before === undefined ? undefined : matches(event.before);
    switch (event.event) {
      case 'model_created':
        return matches(event.payload) ? event : undefined;
      case 'model_updated':
        if (matches(event.payload)) {
          return before === false ? { event: 'model_created', model: event.model, payload: event.payload } : event;
        }
        if (before === true) {
          const id: unknown = typeof event.payload === 'object' && event.payload !== null ? Reflect.get(event.payload, 'id') : undefined;
          return typeof id === 'string' ? { event: 'model_deleted', model: event.model, payload: id } : undefined;
        }
        return undefined;
      case 'model_deleted':
        return before === true ? event : undefined;
    }
  }

  /** Sends one model event to one socket, with its position when it asked for positions. */
  private sendOne(socket: RealtimeSocket, event: LogEvent, seq: number | undefined): void {
    if (event.event === 'model_deleted') {
      if (seq === undefined) socket.emit('model_deleted', event.model, String(event.payload));
      else emitLoose(socket, 'model_deleted', event.model, String(event.payload), seq);
    } else {
      const args = [event.model, event.payload] as ModelEventArgs;
      if (seq === undefined) socket.emit(event.event, ...args);
      else socket.emit(event.event, ...([...args, seq] as unknown as ModelEventArgs));
    }
  }

  /** Drops `id`'s one-by-one subscription of `channel`, or of every channel. */
  private unfilter(id: string, channel?: Channel): void {
    for (const [c, subscribers] of this.filtered) {
      if (channel === undefined || c === channel) subscribers.delete(id);
    }
  }

  private addFiltered(channel: Channel, entry: Filtered): void {
    let subscribers = this.filtered.get(channel);
    if (subscribers === undefined) {
      subscribers = new Map();
      this.filtered.set(channel, subscribers);
    }
    subscribers.set(entry.socket.id, entry);
  }

  private send(channel: Channel, event: LogEvent, seq: number, skip: readonly string[] = []): void {
    this.counters.events += 1;
    const plain = this.io.to(channel);
    const positioned = skip.length === 0 ? this.io.to(positionsRoom(channel)) : this.io.to(positionsRoom(channel)).except([...skip]);
    for (const socket of this.io.of('/').sockets.values()) {
      if (socket.rooms.has(channel) || socket.rooms.has(positionsRoom(channel))) {
        this.checkBuffer(socket);
      }
    }
    // `ModelEventArgs` pairs each model with its rows; the log keeps them as they came.
    const args = [event.model, event.payload] as ModelEventArgs;
    if (event.event === 'model_deleted') {
      plain.emit('model_deleted', event.model, String(event.payload));
      emitLoose(positioned, 'model_deleted', event.model, String(event.payload), seq);
    } else {
      plain.emit(event.event, ...args);
      positioned.emit(event.event, ...([...args, seq] as unknown as ModelEventArgs));
    }
    const filtered = this.filtered.get(channel);
    if (filtered !== undefined && filtered.size > 0) {
      const skipped = new Set(skip);
      for (const [id, entry] of filtered) {
        if (skipped.has(id) || this.evicted.has(entry.socket)) continue;
        const sent = this.decide(entry.filter, entry.socket, channel, event);
        if (sent === undefined) continue;
        this.checkBuffer(entry.socket);
        if (!this.evicted.has(entry.socket)) this.sendOne(entry.socket, sent, entry.positioned ? seq : undefined);
      }
    }
  }

  /** Runs `task` after every task queued before it. */
  private dispatch(task: () => void | Promise<void>): void {
    this.dispatchQueue.push(task);
    if (!this.dispatching) {
      void this.drainDispatch();
    }
  }

  private async drainDispatch(): Promise<void> {
    this.dispatching = true;
    try {
      for (let task = this.dispatchQueue.shift(); task !== undefined; task = this.dispatchQueue.shift()) {
        try {
          const result = task();
          if (result instanceof Promise) {
            await result;
          }
        } catch (error) {
          this.log('error', 'the event log failed', { error });
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Packets waiting for `socket` (Engine.IO's write buffer). */
  private buffered(socket: RealtimeSocket): number {
    const buffer: unknown = Reflect.get(socket.conn, 'writeBuffer');
    return Array.isArray(buffer) ? buffer.length : 0;
  }

  /** Evicts `socket` when one more packet would not fit its bound. */
  private checkBuffer(socket: RealtimeSocket): void {
    if (this.buffered(socket) >= this.maxBufferedPackets) {
      this.evict(socket);
    }
  }

  /**
   * A connection whose send queue is full: it leaves its channels at once, is counted and
   * logged once, and is disconnected after what was queued (so it knows to resume).
   */
  private evict(socket: RealtimeSocket): void {
    if (this.evicted.has(socket)) {
      return;
    }
    this.evicted.add(socket);
    this.unfilter(socket.id);
    for (const room of [...socket.rooms]) {
      if (room !== socket.id) {
        void socket.leave(room);
      }
    }
    this.counters.overflowDisconnects += 1;
    this.log('warn', "a client's send queue is full; disconnecting it (it resumes when it reconnects)", {
      id: socket.id,
    });
    socket.disconnect(true);
  }

  private onConnection(socket: RealtimeSocket): void {
    this.log('debug', 'client connected', { id: socket.id });
    // Parameters are `unknown`: the event maps describe well-behaved clients, not the wire. The
    // ack is the last argument, whatever comes before it.
    socket.on('subscribe', (...args: unknown[]) => {
      const ack = takeAck(args);
      this.enqueue(socket, () => this.subscribe(socket, args, ack));
    });
    socket.on('unsubscribe', (...args: unknown[]) => {
      const ack = takeAck(args);
      this.enqueue(socket, () => this.unsubscribe(socket, args[0], ack));
    });
    socket.on('ping', (...args: unknown[]) => {
      reply(takeAck(args));
    });
    socket.on('disconnect', (reason) => {
      this.forget(socket.id);
      this.log('debug', 'client disconnected', { id: socket.id, reason });
    });
    socket.emit('connected', { app: APP_NAME, fingerprint: FINGERPRINT });
  }

  /** Runs `task` after the connection's earlier requests, so that acks and rooms stay in order. */
  private enqueue(socket: RealtimeSocket, task: () => Promise<void>): void {
    const previous = this.pending.get(socket) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => {
      this.log('error', 'a subscription request failed', { id: socket.id, error });
    });
    this.pending.set(socket, next);
  }

  private async subscribe(socket: RealtimeSocket, args: unknown[], ack: unknown): Promise<void> {
    const checked = checkChannel(args[0]);
    if (!checked.ok) {
      answer(ack, checked);
      return;
    }
    const resume = checkOptions(args[1]);
    if (resume === 'invalid') {
      answer(ack, { ok: false, error: 'invalid options' });
      return;
    }
    let filter: Filter | undefined;
    if (resume !== null && resume.filter !== undefined) {
      const model = MODEL_OF_CHANNEL.get(checked.channel);
      const parsed = model === undefined ? [] : parseFilter(model, resume.filter);
      if (typeof parsed === 'string') {
        answer(ack, { ok: false, error: parsed });
        return;
      }
      filter = parsed.length === 0 ? undefined : parsed;
    }
    if (!(await this.isAuthorized(socket, checked.channel, Object.fromEntries(filter ?? [])))) {
      this.log('info', 'subscription denied', { id: socket.id, channel: checked.channel });
      answer(ack, { ok: false, error: 'not authorized' });
      return;
    }
    if (!socket.connected) {
      return;
    }
    if (resume === null) {
      this.forget(socket.id, checked.channel);
      await socket.leave(positionsRoom(checked.channel));
      if (this.checkRow === undefined) {
        await socket.join(checked.channel);
      } else {
        await socket.leave(checked.channel);
        this.addFiltered(checked.channel, { socket, filter: undefined, positioned: false });
      }
      this.log('debug', 'subscribed', { id: socket.id, channel: checked.channel });
      answer(ack, { ok: true });
      return;
    }
    await socket.leave(checked.channel);
    if (filter !== undefined || this.checkRow !== undefined || this.filtered.get(checked.channel)?.has(socket.id) === true) {
      // A subscription that replaces another one of another kind: out of both first.
      this.forget(socket.id, checked.channel);
      await socket.leave(positionsRoom(checked.channel));
    }
    // A position without the epoch it came from, or from another log, cannot be trusted.
    const position = {
      since: resume.since,
      foreign: resume.since !== undefined && resume.epoch !== this.eventLog.epoch,
      filter,
    };
    const result = await new Promise<ResumeAnswer>((resolve) => {
      this.dispatch(() => this.resume(socket, checked.channel, position, resolve));
    });
    this.log('debug', 'subscribed with positions', { id: socket.id, channel: checked.channel });
    reply(ack, result);
  }

  /**
   * Replays what `socket` missed, as fast as its buffer allows, then joins it to the
   * positions room; runs in the dispatch queue, so no event falls between the two.
   */
  private resume(
    socket: RealtimeSocket,
    channel: Channel,
    resume: { since: number | undefined; foreign: boolean; filter: Filter | undefined },
    answered: (result: ResumeAnswer) => void,
  ): void | Promise<void> {
    const replay = this.eventLog.read(channel, resume.foreign ? undefined : resume.since);
    const go = (r: Replay): void => {
      const reset = r.reset || resume.foreign;
      if (reset) {
        this.counters.resets += 1;
      }
      answered({ ok: true, epoch: this.eventLog.epoch, seq: r.head, ...(reset ? { reset: true as const } : {}) });
      this.catchUp(socket, channel, r.reset ? [] : r.entries, r.head, resume.filter);
    };
    return replay instanceof Promise ? replay.then(go) : go(replay);
  }

  /** Sends `entries` while they fit, then joins; else continues from the log when drained. */
  private catchUp(
    socket: RealtimeSocket,
    channel: Channel,
    entries: readonly LogEntry[],
    head: number,
    filter: Filter | undefined,
  ): void {
    if (!socket.connected || this.evicted.has(socket)) {
      return;
    }
    let last: number | undefined;
    for (const { seq, event: logged } of entries) {
      // A filtered subscriber gets what its filter would have sent, by the same rules.
      const event = this.decide(filter, socket, channel, logged);
      if (event === undefined) {
        last = seq;
        continue;
      }
      if (this.buffered(socket) >= this.maxBufferedPackets / 2) {
        socket.conn.once('drain', () => {
          this.dispatch(() => {
            const more = this.eventLog.read(channel, last);
            const go = (r: Replay): void => {
              if (r.reset) {
                // Fell out of the log while catching up: it resets when it comes back.
                this.evict(socket);
              } else {
                this.catchUp(socket, channel, r.entries, r.head, filter);
              }
            };
            return more instanceof Promise ? more.then(go) : go(more);
          });
        });
        return;
      }
      this.counters.replayed += 1;
      if (event.event === 'model_deleted') {
        emitLoose(socket, 'model_deleted', event.model, String(event.payload), seq);
      } else {
        socket.emit(event.event, ...([event.model, event.payload, seq] as unknown as ModelEventArgs));
      }
      last = seq;
    }
    if (this.outbox !== undefined) {
      let members = this.members.get(channel);
      if (members === undefined) {
        members = new Map();
        this.members.set(channel, members);
      }
      members.set(socket.id, { after: head, epoch: this.eventLog.epoch });
    }
    if (filter !== undefined || this.checkRow !== undefined) {
      this.addFiltered(channel, { socket, filter, positioned: true });
    } else {
      void socket.join(positionsRoom(channel));
    }
  }

  private async unsubscribe(socket: RealtimeSocket, channel: unknown, ack: unknown): Promise<void> {
    const checked = checkChannel(channel);
    if (!checked.ok) {
      answer(ack, checked);
      return;
    }
    this.forget(socket.id, checked.channel);
    await socket.leave(checked.channel);
    await socket.leave(positionsRoom(checked.channel));
    this.log('debug', 'unsubscribed', { id: socket.id, channel: checked.channel });
    answer(ack, { ok: true });
  }

  private async isAuthorized(
    socket: RealtimeSocket,
    channel: Channel,
    filter: Readonly<Record<string, string | number | boolean | null>>,
  ): Promise<boolean> {
    const authorize = this.authorize;
    if (authorize === undefined) {
      return true;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, this.authorizeTimeoutMs);
    });
    try {
      // `then` turns a synchronous throw into a rejection.
      const verdict = await Promise.race([
        Promise.resolve().then(() => authorize(socket, channel, filter)),
        timeout,
      ]);
      return verdict === true;
    } catch (error) {
      this.log('warn', 'authorize failed; subscription denied', { id: socket.id, channel, error });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private log(
    level: keyof RealtimeLogger,
    message: string,
    details: Record<string, unknown>,
  ): void {
    try {
      this.logger[level]?.(message, details);
    } catch {
      // A failing logger must not break the server.
    }
  }
}

type CheckedChannel = { ok: true; channel: Channel } | { ok: false; error: string };

/** Validates a channel argument per the wire contract. */
function checkChannel(channel: unknown): CheckedChannel {
  if (
    typeof channel !== 'string' ||
    channel.length > MAX_CHANNEL_BYTES ||
    Buffer.byteLength(channel, 'utf8') > MAX_CHANNEL_BYTES
  ) {
    return { ok: false, error: 'invalid channel' };
  }
  if (!isChannel(channel)) {
    return { ok: false, error: `unknown channel "${channel}"` };
  }
  return { ok: true, channel };
}

/** Emits arguments the event maps do not describe (the position after a model event's). */
function emitLoose(target: { emit: unknown }, event: string, ...args: unknown[]): void {
  (target.emit as (event: string, ...args: unknown[]) => boolean).call(target, event, ...args);
}

/** Removes and returns the ack: the last argument, when it is a function. */
function takeAck(args: unknown[]): unknown {
  return typeof args.at(-1) === 'function' ? args.pop() : undefined;
}

/**
 * The options of `subscribe(channel, options)`: `null` for the old form (no second argument,
 * or one that is not an object), `'invalid'` for a bad `since` or `epoch`, else where the
 * client is.
 */
function checkOptions(options: unknown): { since?: number; epoch?: string; filter?: unknown } | 'invalid' | null {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return null;
  }
  const since: unknown = Reflect.get(options, 'since');
  const epoch: unknown = Reflect.get(options, 'epoch');
  const filter: unknown = Reflect.get(options, 'filter');
  const checked: { since?: number; epoch?: string; filter?: unknown } = filter === undefined ? {} : { filter };
  if (since !== undefined && since !== null) {
    if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0 || since > MAX_SINCE) {
      return 'invalid';
    }
    checked.since = since;
  }
  if (epoch !== undefined && epoch !== null) {
    if (typeof epoch !== 'string' || epoch.length > 256) {
      return 'invalid';
    }
    checked.epoch = epoch;
  }
  return checked;
}

/** Answers a `subscribe` or `unsubscribe` when the client sent an ack function. */
function answer(ack: unknown, result: SubscribeResult): void {
  reply(ack, result);
}

/** Calls `ack` with `args` when it is a function and ignores it otherwise. */
function reply(ack: unknown, ...args: unknown[]): void {
  if (typeof ack !== 'function') {
    return;
  }
  try {
    ack(...args);
  } catch {
    // Nothing a client sends may escape a handler.
  }
}

/** Same-origin pages, the configured origins, and clients without an `Origin` header. */
function isOriginAllowed(request: IncomingMessage, origins: readonly string[] | '*'): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origins === '*' || origins.includes(origin)) {
    return true;
  }
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * Emits on their way into a shared log, appended one after the other in order; while the log
 * cannot be written, retried with backoff (50 ms doubling to 2 s), the log marked degraded.
 * Past `max` waiting emits while degraded, the waiting model events are dropped and replaced
 * by one gap marker per channel (see `maxPendingEmits`).
 */
export class Outbox {
  appended = 0;
  errors = 0;
  dropped = 0;
  degraded = false;
  private readonly queue: ({ channel: Channel; event?: LogEvent } | { message: string; data: unknown })[] = [];
  private draining: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly log: EventLog,
    private readonly logger: RealtimeLogger,
    private readonly max: number,
  ) {}

  push(channel: Channel, event: LogEvent): void {
    if (this.full()) {
      this.overflow();
    }
    this.queue.push({ channel, event });
    this.start();
  }

  pushNotification(message: string, data: unknown): void {
    if (this.full()) {
      this.overflow();
    }
    this.queue.push({ message, data });
    this.start();
  }

  /** The log cannot be written and `max` emits wait already (a burst while it is up waits). */
  private full(): boolean {
    return this.degraded && this.queue.length >= Math.max(1, this.max);
  }

  /**
   * The server is closing: what cannot be appended now is given up (and logged) instead of
   * being retried for ever.
   */
  close(): void {
    this.stopped = true;
  }

  /** Resolves once everything pushed so far is in the log. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) {
      await this.draining;
    }
  }

  /** Drops every waiting emit; each channel that lost one gets a gap marker instead. */
  private overflow(): void {
    const channels = new Set<Channel>();
    let dropped = 0;
    for (const item of this.queue) {
      if ('channel' in item) {
        channels.add(item.channel);
        if (item.event !== undefined) dropped += 1;
      }
    }
    this.dropped += dropped;
    this.queue.length = 0;
    for (const channel of channels) this.queue.push({ channel });
    say(this.logger, 'error', `${dropped} emits waited for the event log past the bound; dropped: the clients of their channels will reload`, {
      dropped,
      channels: [...channels],
    });
  }

  private start(): void {
    if (this.draining === undefined) {
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
      });
    }
  }

  private async drain(): Promise<void> {
    let wait = 50;
    for (let item = this.queue[0]; item !== undefined; item = this.queue[0]) {
      try {
        if ('message' in item) {
          await this.log.notify?.(item.message, item.data);
        } else if (item.event === undefined) {
          await this.log.gap?.(item.channel);
        } else {
          await this.log.append(item.channel, item.event);
          this.appended += 1;
        }
        if (this.queue[0] === item) this.queue.shift();
        wait = 50;
        if (this.degraded) {
          this.degraded = false;
          say(this.logger, 'warn', 'the event log is back', {});
        }
      } catch (error) {
        this.errors += 1;
        if (this.stopped) {
          say(this.logger, 'error', 'the server closed while emits waited for the event log; they are not sent', {
            waiting: this.queue.length,
            error,
          });
          this.queue.length = 0;
          return;
        }
        if (!this.degraded) {
          this.degraded = true;
          say(this.logger, 'warn', 'the event log failed; emits wait until it is back (retrying)', { error });
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 2_000);
      }
    }
  }
}

function say(logger: RealtimeLogger, level: keyof RealtimeLogger, message: string, details: Record<string, unknown>): void {
  try {
    logger[level]?.(message, details);
  } catch {
    // A failing logger must not break the server.
  }
}
