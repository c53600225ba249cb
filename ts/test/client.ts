// A socket.io-client wrapper for protocol tests: records every event a client receives and
// waits for them with bounded timeouts. It speaks the wire loosely typed on purpose: the
// cases send hostile input that the generated event maps would (rightly) reject.
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

/** Any event with any arguments: what a hostile or old client can send. */
export interface LooseEvents {
  [event: string]: (...args: unknown[]) => void;
}

export type LooseSocket = Socket<LooseEvents, LooseEvents>;

export interface Received {
  event: string;
  args: unknown[];
}

export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** Rejects after `ms` with `message` unless `promise` settles first; always clears its timer. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class TestClient {
  readonly received: Received[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: LooseSocket) {
    socket.onAny((event: string, ...args: unknown[]) => {
      this.received.push({ event, args });
      for (const listener of this.listeners) listener();
    });
    socket.on('disconnect', () => {
      for (const listener of this.listeners) listener();
    });
  }

  /** Connects over WebSocket (no reconnection unless asked for) and waits for `connect`. */
  static async connect(url: string, options: ClientOptions = {}, timeoutMs = 5_000): Promise<TestClient> {
    const socket: LooseSocket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: timeoutMs,
      ...options,
      autoConnect: false,
    });
    const client = new TestClient(socket);
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error: Error) => reject(error));
    });
    socket.connect();
    try {
      await within(connected, timeoutMs, 'no connection');
    } catch (error) {
      socket.close();
      throw error;
    }
    return client;
  }

  /** The first received event (past or future) that matches, within `timeoutMs`. */
  waitFor(event: string, match: (args: unknown[]) => boolean = () => true, timeoutMs = 3_000): Promise<Received> {
    const find = (): Received | undefined => this.received.find((r) => r.event === event && match(r.args));
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    let listener = (): void => {};
    const arrived = new Promise<Received>((resolve) => {
      listener = () => {
        const hit = find();
        if (hit !== undefined) resolve(hit);
      };
      this.listeners.add(listener);
    });
    return within(arrived, timeoutMs, `no \`${event}\` event matched`).finally(() => {
      this.listeners.delete(listener);
    });
  }

  /** Resolves when the client is disconnected (with the reason), within `timeoutMs`. */
  disconnected(timeoutMs = 3_000): Promise<string> {
    if (!this.socket.connected) return Promise.resolve('already disconnected');
    return within(
      new Promise<string>((resolve) => this.socket.once('disconnect', (reason: string) => resolve(reason))),
      timeoutMs,
      'still connected',
    );
  }

  /** Events received so far with this name. */
  all(event: string): Received[] {
    return this.received.filter((r) => r.event === event);
  }

  /** Emits `event` with `args` and an ack function; resolves with the ack's arguments. */
  request(event: string, args: unknown[], timeoutMs = 3_000): Promise<unknown[]> {
    return within(
      new Promise<unknown[]>((resolve) => {
        this.socket.emit(event, ...args, (...reply: unknown[]) => resolve(reply));
      }),
      timeoutMs,
      `no ack to \`${event}\``,
    );
  }

  /** Emits without an ack. */
  send(event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args);
  }

  close(): void {
    this.socket.close();
  }
}
