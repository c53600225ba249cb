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
 * Client input of any shape is validated and never crashes or wedges the server:
 * `subscribe`/`unsubscribe` answer `{ ok: true }` or `{ ok: false, error }` when given an
 * ack function, `ping` calls its ack when it is a function, anything else is ignored.
 */

import { Buffer } from 'node:buffer';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

import {
  APP_NAME,
  CHANNEL_OF,
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
  authorize?: (socket: RealtimeSocket, channel: Channel) => boolean | Promise<boolean>;
  /** How long `authorize` may take, in milliseconds. Default: 10 000. */
  authorizeTimeoutMs?: number;
  /** Where to log. Default: nowhere. `console` works. */
  logger?: RealtimeLogger;
  /**
   * Connection state recovery: a client that comes back within this many milliseconds gets
   * its rooms back and the events it missed. `false` turns it off. Default: 120 000.
   */
  recoveryMs?: number | false;
  /** The largest message a client may send, in bytes (`maxHttpBufferSize`). Default: 100 000. */
  maxPayloadBytes?: number;
  /** The HTTP path of the endpoint. Default: `/socket.io`. */
  path?: string;
}

/** A channel longer than this many UTF-8 bytes is refused as `invalid channel`. */
const MAX_CHANNEL_BYTES = 256;
const DEFAULT_AUTHORIZE_TIMEOUT_MS = 10_000;
const DEFAULT_RECOVERY_MS = 120_000;
const DEFAULT_MAX_PAYLOAD_BYTES = 100_000;

/** Serves the app's channels and broadcasts its model changes. */
export class RealtimeServer {
  /** The underlying Socket.IO server, for whatever this class does not cover. */
  readonly io: RealtimeIo;
  /** The logger from the options (quiet by default); the Prisma extension reports through it too. */
  readonly logger: RealtimeLogger;
  private readonly authorize: RealtimeServerOptions['authorize'];
  private readonly authorizeTimeoutMs: number;
  /** Per connection, the tail of its `subscribe`/`unsubscribe` requests, handled in order. */
  private readonly pending = new WeakMap<RealtimeSocket, Promise<void>>();

  constructor(httpServer: HttpServer, options: RealtimeServerOptions = {}) {
    const origins = options.origins ?? [];
    const recoveryMs = options.recoveryMs ?? DEFAULT_RECOVERY_MS;
    this.logger = options.logger ?? {};
    this.authorize = options.authorize;
    this.authorizeTimeoutMs = options.authorizeTimeoutMs ?? DEFAULT_AUTHORIZE_TIMEOUT_MS;
    this.io = new Server(httpServer, {
      path: options.path ?? '/socket.io',
      maxHttpBufferSize: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      cors: { origin: origins === '*' ? '*' : [...origins] },
      allowRequest: (request, callback) => {
        const allowed = isOriginAllowed(request, origins);
        callback(allowed ? null : 'origin not allowed', allowed);
      },
      ...(recoveryMs === false
        ? {}
        : {
            connectionStateRecovery: {
              maxDisconnectionDuration: recoveryMs,
              skipMiddlewares: true,
            },
          }),
    });
    this.io.on('connection', (socket) => {
      this.onConnection(socket);
    });
  }

  /** Sends `model_created` with a new row of `model` to the model's channel. */
  emitModelCreated<M extends ModelName>(model: M, data: Models[M]): void {
    this.emitRow('model_created', model, data);
  }

  /** Sends `model_updated` with the changed row of `model` to the model's channel. */
  emitModelUpdated<M extends ModelName>(model: M, data: Models[M]): void {
    this.emitRow('model_updated', model, data);
  }

  /** Sends `model_deleted` with the id of a deleted row of `model` to the model's channel. */
  emitModelDeleted(model: ModelName, id: string): void {
    this.io.to(CHANNEL_OF[model]).emit('model_deleted', model, id);
  }

  /**
   * Sends `notification` to every connected client. Without `data`, `null` goes in its place:
   * with connection state recovery on, Socket.IO appends an offset after the arguments, and a
   * listener `(message, data) => ...` must not mistake it for data.
   */
  broadcastNotification(message: string, data?: unknown): void {
    this.io.emit('notification', message, data ?? null);
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
    // The signature pairs `model` with a row of that model, which is one of `ModelEventArgs`;
    // TypeScript cannot follow that through the generic `M`.
    const args = [model, data] as ModelEventArgs;
    this.io.to(CHANNEL_OF[model]).emit(event, ...args);
  }

  private onConnection(socket: RealtimeSocket): void {
    this.log('debug', 'client connected', { id: socket.id, recovered: socket.recovered });
    // Parameters are `unknown`: the event maps describe well-behaved clients, not the wire.
    socket.on('subscribe', (channel: unknown, ack?: unknown) => {
      this.enqueue(socket, () => this.subscribe(socket, channel, ack));
    });
    socket.on('unsubscribe', (channel: unknown, ack?: unknown) => {
      this.enqueue(socket, () => this.unsubscribe(socket, channel, ack));
    });
    socket.on('ping', (ack: unknown) => {
      reply(ack);
    });
    socket.on('disconnect', (reason) => {
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

  private async subscribe(socket: RealtimeSocket, channel: unknown, ack: unknown): Promise<void> {
    const checked = checkChannel(channel);
    if (!checked.ok) {
      answer(ack, checked);
      return;
    }
    if (!(await this.isAuthorized(socket, checked.channel))) {
      this.log('info', 'subscription denied', { id: socket.id, channel: checked.channel });
      answer(ack, { ok: false, error: 'not authorized' });
      return;
    }
    if (!socket.connected) {
      return;
    }
    await socket.join(checked.channel);
    this.log('debug', 'subscribed', { id: socket.id, channel: checked.channel });
    answer(ack, { ok: true });
  }

  private async unsubscribe(socket: RealtimeSocket, channel: unknown, ack: unknown): Promise<void> {
    const checked = checkChannel(channel);
    if (!checked.ok) {
      answer(ack, checked);
      return;
    }
    await socket.leave(checked.channel);
    this.log('debug', 'unsubscribed', { id: socket.id, channel: checked.channel });
    answer(ack, { ok: true });
  }

  private async isAuthorized(socket: RealtimeSocket, channel: Channel): Promise<boolean> {
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
        Promise.resolve().then(() => authorize(socket, channel)),
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
