/**
 * The event log several server processes share, in Redis Streams (docs/scale-out.md): the
 * same keys, the same two Lua scripts (`redis/append.lua`, `redis/read.lua`, beside this file)
 * and the same positions as the Rust `RedisLog` of `sheplang-socketio`, so Node and Rust
 * servers (and publishers of either) form one cluster.
 *
 * ```ts
 * import { RedisLog, Publisher } from './api/realtime/redis.js';
 *
 * const log = await RedisLog.connect('redis://10.0.0.5:6379', { prefix: 'myapp' });
 * const realtime = new RealtimeServer(httpServer, { log });
 * // A process with no Socket.IO server (a worker, a cron job):
 * const prisma = new PrismaClient({ adapter }).$extends(realtimeExtension(new Publisher(log)));
 * ```
 *
 * Needs the `ioredis` package (only this file imports it).
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Redis } from 'ioredis';

import { CHANNEL_OF, isModelName, type Channel, type ModelName, type Models } from '../../types.js';
import type {
  EventLog,
  LogEntry,
  LogEvent,
  LogFeed,
  ModelEventName,
  RealtimeLogger,
  Replay,
} from './server.js';
import { DEFAULT_MAX_PENDING_EMITS, Outbox } from './server.js';

/** The settings of a `RedisLog`; the same knobs as the Rust `RedisOptions`. */
export interface RedisLogOptions {
  /** The prefix of every key (default `sheplang`): one per app sharing a Redis. */
  prefix?: string;
  /** How many events each channel's stream keeps, at least (`MAXLEN ~`). Default: 10 000. */
  capacity?: number;
  /** How old the oldest event a client may resume from can be, in ms. Default: 300 000. */
  maxAgeMs?: number;
  /** How many notifications the notification stream keeps. Default: 1 000. */
  notifyCapacity?: number;
}

const DEFAULT_PREFIX = 'sheplang';
const DEFAULT_CAPACITY = 10_000;
const DEFAULT_MAX_AGE_MS = 300_000;
const DEFAULT_NOTIFY_CAPACITY = 1_000;
/** How long a connection attempt, or a command, may take. */
const TIMEOUT_MS = 5_000;
/** How long one `XREAD` of the follower blocks. */
const BLOCK_MS = 2_000;
/** How many entries one `XREAD` takes at most. */
const READ_COUNT = 512;
/** The longest wait between two attempts to reach a Redis that is down. */
const MAX_PAUSE_MS = 2_000;

const EVENT_NAMES: ReadonlySet<string> = new Set(['model_created', 'model_updated', 'model_deleted']);

/** A script of this folder, with its SHA-1 for `EVALSHA`. */
interface Script {
  source: string;
  sha: string;
}

function script(name: string): Script {
  const source = readFileSync(new URL(`./redis/${name}`, import.meta.url), 'utf8');
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** `redis://user:secret@host` as `redis://user:***@host`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

function newEpoch(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('hex');
}

/** The position of stream id `0-N`. */
function positionOf(id: unknown): number | undefined {
  if (typeof id !== 'string' || !id.startsWith('0-')) {
    return undefined;
  }
  const n = Number(id.slice(2));
  return Number.isSafeInteger(n) ? n : undefined;
}

interface Parsed {
  seq: number;
  epoch: string;
  at: number;
  event: LogEvent;
}

/** `[id, [field, value, ...]]` of a channel's stream. */
function parseEntry(raw: unknown): Parsed | undefined {
  if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[1])) {
    return undefined;
  }
  const seq = positionOf(raw[0]);
  const fields = raw[1] as unknown[];
  const got = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [name, value] = [fields[i], fields[i + 1]];
    if (typeof name === 'string' && typeof value === 'string') {
      got.set(name, value);
    }
  }
  const [epoch, at, kind, model, payload] = ['e', 't', 'k', 'm', 'p'].map((f) => got.get(f));
  if (
    seq === undefined ||
    epoch === undefined ||
    at === undefined ||
    kind === undefined ||
    !EVENT_NAMES.has(kind) ||
    model === undefined ||
    !isModelName(model) ||
    payload === undefined
  ) {
    return undefined;
  }
  try {
    return {
      seq,
      epoch,
      at: Number(at),
      event: { event: kind as ModelEventName, model, payload: JSON.parse(payload) as unknown },
    };
  } catch {
    return undefined;
  }
}

/** `[id, [field, value, ...]]` of the notification stream. */
function parseNotification(raw: unknown): { message: string; data: unknown } | undefined {
  if (!Array.isArray(raw) || !Array.isArray(raw[1])) {
    return undefined;
  }
  const fields = raw[1] as unknown[];
  let message: string | undefined;
  let data: unknown;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    if (typeof value !== 'string') continue;
    if (fields[i] === 'm') message = value;
    if (fields[i] === 'd') {
      try {
        data = JSON.parse(value) as unknown;
      } catch {
        return undefined;
      }
    }
  }
  return message === undefined ? undefined : { message, data };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The `EventLog` in Redis Streams, shared by every server process (and `Publisher`) that
 * connects to the same Redis with the same prefix, Rust or Node. Positions come from the
 * streams, so a change appended by any process has the same position on every server; each
 * server follows every channel (`XREAD BLOCK`, a connection of its own) and sends each event
 * to its own subscribers. When Redis cannot be reached, the server keeps its connections and
 * retries with backoff (see `RealtimeServer`'s `maxPendingEmits`).
 */
export class RedisLog implements EventLog {
  /** The URL without its password, for messages. */
  readonly url: string;
  private currentEpoch = '';
  private readonly options: Required<RedisLogOptions>;
  private readonly epochKey: string;
  private readonly notifyKey: string;
  private readonly scripts = { append: script('append.lua'), read: script('read.lua') };
  private readonly followers: Redis[] = [];
  private closed = false;

  private constructor(
    private readonly rawUrl: string,
    private readonly redis: Redis,
    options: RedisLogOptions,
  ) {
    this.url = redactUrl(rawUrl);
    this.options = {
      prefix: options.prefix ?? DEFAULT_PREFIX,
      capacity: Math.max(1, options.capacity ?? DEFAULT_CAPACITY),
      maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      notifyCapacity: Math.max(1, options.notifyCapacity ?? DEFAULT_NOTIFY_CAPACITY),
    };
    this.epochKey = `${this.options.prefix}:epoch`;
    this.notifyKey = `${this.options.prefix}:notify`;
  }

  /**
   * Connects to the Redis at `url` (`redis://host:port/db`) and reads the log's epoch
   * (starting a history if there is none). Rejects with an error naming the URL when it is
   * malformed or Redis cannot be reached: a server does not start half-working.
   */
  static async connect(url: string, options: RedisLogOptions = {}): Promise<RedisLog> {
    const shown = redactUrl(url);
    if (!/^redis:\/\/[^/]/.test(url)) {
      throw new Error(`invalid Redis URL \`${shown}\`; expected \`redis://host:port\` (with \`/db\` optional)`);
    }
    const redis = connection(url, TIMEOUT_MS);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new Error(
        `cannot reach Redis at \`${shown}\`: ${message(error)}; start \`redis-server\` there, or give the URL of a running one`,
      );
    }
    const log = new RedisLog(url, redis, options);
    log.currentEpoch = await log.epochNow(redis);
    return log;
  }

  /** The identity of the log's history, as last seen. */
  get epoch(): string {
    return this.currentEpoch;
  }

  /** Closes the connections (the server's `close` does it). */
  async close(): Promise<void> {
    this.closed = true;
    for (const follower of this.followers) follower.disconnect();
    this.redis.disconnect();
    await Promise.resolve();
  }

  private streamKey(channel: string): string {
    return `${this.options.prefix}:log:${channel}`;
  }

  /** The epoch now, starting a history when the store has none. */
  private async epochNow(redis: Redis): Promise<string> {
    const replies = await redis.multi().set(this.epochKey, newEpoch(), 'NX').get(this.epochKey).exec();
    const epoch = replies?.[1]?.[1];
    if (typeof epoch !== 'string') {
      throw this.failed(new Error('no epoch'));
    }
    return epoch;
  }

  private failed(error: unknown): Error {
    return new Error(`Redis at \`${this.url}\` failed: ${message(error)}`);
  }

  private async run(which: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(which.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (message(error).startsWith('NOSCRIPT')) {
        return this.redis.eval(which.source, keys.length, ...keys, ...args).catch((e: unknown) => {
          throw this.failed(e);
        });
      }
      throw this.failed(error);
    }
  }

  async append(channel: Channel, event: LogEvent): Promise<number> {
    const reply = await this.run(this.scripts.append, [this.epochKey, this.streamKey(channel)], [
      newEpoch(),
      this.options.capacity,
      event.event,
      event.model,
      JSON.stringify(event.payload),
    ]);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
      throw this.unexpected('the append script', reply);
    }
    const seq = positionOf(reply[1]);
    if (seq === undefined) {
      throw this.unexpected('the append script', reply);
    }
    this.currentEpoch = reply[0];
    return seq;
  }

  /**
   * Appends a gap marker to `channel` (an entry of kind `gap`, which no reader takes for an
   * event): emits were dropped, so every client holding an earlier position of the channel
   * resubscribes and is answered `reset`.
   */
  async gap(channel: Channel): Promise<void> {
    await this.run(this.scripts.append, [this.epochKey, this.streamKey(channel)], [
      newEpoch(),
      this.options.capacity,
      'gap',
      '',
      'null',
    ]);
  }

  async read(channel: Channel, since: number | undefined): Promise<Replay> {
    const first = since === undefined ? '' : `0-${since + 1}`;
    const reply = await this.run(this.scripts.read, [this.epochKey, this.streamKey(channel)], [newEpoch(), first]);
    if (!Array.isArray(reply) || reply.length !== 4 || typeof reply[0] !== 'string' || !Array.isArray(reply[3])) {
      throw this.unexpected('the read script', reply);
    }
    const head = positionOf(reply[1]);
    const now = Number(reply[2]);
    if (head === undefined || !Number.isFinite(now)) {
      throw this.unexpected('the read script', reply);
    }
    this.currentEpoch = reply[0];
    if (since === undefined) {
      return { reset: false, entries: [], head };
    }
    if (since > head) {
      return { reset: true, head };
    }
    const entries: LogEntry[] = [];
    for (const raw of reply[3] as unknown[]) {
      const parsed = parseEntry(raw);
      if (parsed === undefined) {
        // An entry no writer of this protocol made (or a gap marker): the replay cannot be trusted.
        return { reset: true, head };
      }
      if (entries.length === 0 && (parsed.seq !== since + 1 || now - parsed.at > this.options.maxAgeMs)) {
        return { reset: true, head };
      }
      entries.push({ seq: parsed.seq, event: parsed.event });
    }
    if (since < head && entries.length === 0) {
      return { reset: true, head };
    }
    return { reset: false, entries, head };
  }

  async notify(message: string, data: unknown): Promise<void> {
    const fields = data === undefined ? ['m', message] : ['m', message, 'd', JSON.stringify(data)];
    try {
      await this.redis.xadd(this.notifyKey, 'MAXLEN', '~', this.options.notifyCapacity, '*', ...fields);
    } catch (error) {
      throw this.failed(error);
    }
  }

  /**
   * Starts following every channel of `feed` (and the notification stream) on a connection of
   * its own, from the streams' ends now; resolves once that starting point is fixed (or, with
   * Redis away, at once: the follower starts when it is back).
   */
  async follow(feed: LogFeed): Promise<boolean> {
    if (this.closed || feed.closed()) {
      return true;
    }
    const follower = connection(this.rawUrl, BLOCK_MS + TIMEOUT_MS);
    this.followers.push(follower);
    const keys = [...feed.channels.map((c) => this.streamKey(c)), this.notifyKey];
    const state: FollowState = { keys, ids: undefined, epoch: this.currentEpoch };
    await this.resume(follower, state, feed).catch(() => undefined);
    void this.followLoop(follower, state, feed);
    return true;
  }

  /** Fixes where reading goes on: the ends now, the same ids, or every stream's start after a lost history. */
  private async resume(follower: Redis, state: FollowState, feed: LogFeed): Promise<void> {
    if (follower.status === 'wait') {
      await follower.connect();
    }
    const epoch = await this.epochNow(follower);
    if (state.ids === undefined) {
      const pipe = follower.pipeline();
      for (const key of state.keys) pipe.xrevrange(key, '+', '-', 'COUNT', 1);
      const heads = (await pipe.exec()) ?? [];
      state.ids = state.keys.map((_, i) => {
        const [error, entries] = heads[i] ?? [null, []];
        if (error) throw error;
        const first = Array.isArray(entries) ? (entries[0] as unknown) : undefined;
        return Array.isArray(first) && typeof first[0] === 'string' ? first[0] : '0-0';
      });
    } else if (epoch !== state.epoch) {
      state.ids = state.keys.map(() => '0-0');
      feed.epochChanged(epoch);
    }
    this.currentEpoch = epoch;
    state.epoch = epoch;
  }

  private async followLoop(follower: Redis, state: FollowState, feed: LogFeed): Promise<void> {
    let wait = 50;
    let connected = state.ids !== undefined;
    while (!this.closed && !feed.closed()) {
      if (!connected) {
        try {
          await this.resume(follower, state, feed);
          connected = true;
          wait = 50;
        } catch {
          await pause(wait);
          wait = Math.min(wait * 2, MAX_PAUSE_MS);
          continue;
        }
      }
      let reply: unknown;
      try {
        reply = await follower.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...state.keys, ...(state.ids ?? []));
      } catch {
        connected = false;
        continue;
      }
      this.handOver(reply, state, feed);
      await feed.room();
    }
  }

  private handOver(reply: unknown, state: FollowState, feed: LogFeed): void {
    if (!Array.isArray(reply)) {
      return; // Nothing new within the block time.
    }
    const notify = state.keys.length - 1;
    for (const stream of reply as unknown[]) {
      if (!Array.isArray(stream) || !Array.isArray(stream[1])) continue;
      const index = state.keys.indexOf(String(stream[0]));
      if (index < 0) continue;
      for (const raw of stream[1] as unknown[]) {
        const id: unknown = Array.isArray(raw) ? raw[0] : undefined;
        if (typeof id === 'string' && state.ids !== undefined) {
          state.ids[index] = id;
        }
        if (index === notify) {
          const n = parseNotification(raw);
          if (n !== undefined) feed.notification(n.message, n.data);
          continue;
        }
        const channel = feed.channels[index];
        const parsed = parseEntry(raw);
        if (channel === undefined) continue;
        if (parsed === undefined) {
          // A gap marker (or an entry no writer of this protocol made): its subscribers resync.
          const seq = positionOf(id);
          if (seq !== undefined) feed.gap(channel, seq);
          continue;
        }
        if (parsed.epoch !== state.epoch) {
          state.epoch = parsed.epoch;
          this.currentEpoch = parsed.epoch;
          feed.epochChanged(parsed.epoch);
        }
        feed.event(channel, parsed.seq, parsed.epoch, parsed.event);
      }
    }
  }

  private unexpected(what: string, reply: unknown): Error {
    return new Error(`Redis at \`${this.url}\` answered ${what} with \`${JSON.stringify(reply)}\`; is it Redis 7 or later?`);
  }
}

interface FollowState {
  keys: string[];
  /** The last id read of each stream; undefined until the starting point is fixed. */
  ids: string[] | undefined;
  epoch: string;
}

/** A connection that fails fast while Redis is away and reconnects in the background. */
function connection(url: string, commandTimeout: number): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    commandTimeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), MAX_PAUSE_MS),
  });
  // Failures reach the commands that meet them (and the server's degraded state), not here.
  redis.on('error', () => undefined);
  return redis;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `Publisher` takes. */
export interface PublisherOptions {
  /** Where to log (an outage, emits dropped past `maxPendingEmits`). Default: nowhere. */
  logger?: RealtimeLogger;
  /** How many emits may wait for Redis (see `RealtimeServerOptions.maxPendingEmits`). */
  maxPendingEmits?: number;
}

/**
 * Model events (and notifications) from a process with no Socket.IO server: a worker, a cron
 * job, a script. They reach every subscriber of every server sharing the log, with the same
 * positions, as if a server had emitted them. The same emit methods as `RealtimeServer`, so
 * `realtimeExtension(new Publisher(log))` publishes a Prisma client's writes.
 *
 * Emits are appended in order; while Redis is away they wait and are retried with backoff.
 * `flush()` resolves once every emit so far is in the log (call it before a script exits).
 */
export class Publisher {
  readonly logger: RealtimeLogger;
  private readonly outbox: Outbox;

  constructor(
    readonly log: RedisLog,
    options: PublisherOptions = {},
  ) {
    this.logger = options.logger ?? {};
    this.outbox = new Outbox(log, this.logger, options.maxPendingEmits ?? DEFAULT_MAX_PENDING_EMITS);
  }

  /** `model_created(model, row)` to every subscriber of the model's channel. */
  emitModelCreated<M extends ModelName>(model: M, data: Models[M]): void {
    this.outbox.push(CHANNEL_OF[model], { event: 'model_created', model, payload: data });
  }

  /** `model_updated(model, row)` to every subscriber of the model's channel. */
  emitModelUpdated<M extends ModelName>(model: M, data: Models[M]): void {
    this.outbox.push(CHANNEL_OF[model], { event: 'model_updated', model, payload: data });
  }

  /** `model_deleted(model, id)` to every subscriber of the model's channel. */
  emitModelDeleted(model: ModelName, id: string): void {
    this.outbox.push(CHANNEL_OF[model], { event: 'model_deleted', model, payload: id });
  }

  /** `notification(message[, data])` to every client of every server. */
  broadcastNotification(message: string, data?: unknown): void {
    this.outbox.pushNotification(message, data);
  }

  /** Resolves once every emit made so far is in the log. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  /** Whether Redis cannot be written now (emits wait). */
  get degraded(): boolean {
    return this.outbox.degraded;
  }

  /** Flushes, then closes the log's connections. */
  async close(): Promise<void> {
    await this.flush();
    await this.log.close();
  }
}
