'use client';

/**
 * The React side of the app: one Socket.IO connection for the whole app, opened by
 * `<RealtimeProvider>` and shared by every hook.
 *
 * ```tsx
 * <RealtimeProvider url="https://api.example.com">
 *   <App />
 * </RealtimeProvider>
 * ```
 *
 * - One socket, created by the provider; hooks never open their own.
 * - Channels are reference-counted: two components on the same channel subscribe once, and the
 *   last one to let go unsubscribes. Requests go out once the current burst of renders is over,
 *   so `<StrictMode>`'s extra effect run costs nothing on the wire.
 * - Channels are subscribed with positions (docs/wire.md, "Positions and resume"): every held
 *   channel is subscribed again on each `connect` from the last position applied, so the
 *   server replays what an outage missed (each event applied once), or answers `reset` and the
 *   hooks load again. A server that disconnects a client for falling behind is rejoined at once.
 *   A holder can ask to hear when its channel is subscribed, and whether it may have missed
 *   events since it last heard: that is when a hook's `load` fetches its rows.
 * - Filters (docs/wire.md, "Filtered subscriptions"): `<RealtimeProvider filters={{ Task: {
 *   team: 't-1' } }}>` subscribes each model's channel with its filter, typed from the spec
 *   (`FilterOf<M>`). A filter that changes subscribes the channel again with the new one, and
 *   the hooks on it load again (their `load` should ask for the same rows).
 * - Every model event gets a number, `seq`, one more than the last one the provider received:
 *   the same in every hook that sees the event, and a key for a list of changes.
 * - Fast, honest reconnection: a connection attempt gives up after `CONNECT_TIMEOUT_MS` (socket.io's
 *   default is 20 s), retries back off with jitter, and the browser's `online` event or the tab
 *   becoming visible starts a new attempt at once instead of waiting out the backoff. While
 *   connected, a heartbeat `ping` every `HEARTBEAT_MS` tells when the connection lags (its answer
 *   is late: the link is slow or the events queue up), so that a page does not call itself live
 *   over rows it has not received; one unanswered for `RECONNECT_LAGGING_AFTER_MS` makes the
 *   connection again.
 * - A hook applies the changes that arrive in one frame as one React update (a change after a
 *   quiet moment at once, and during a burst at most ten updates a second); a row that did not
 *   change keeps its identity (also across a reload), so `React.memo` rows render only what
 *   changed.
 * - Safe under `<StrictMode>` and server rendering: the socket is created in an effect.
 */

import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

import {
  CHANNEL_OF,
  FINGERPRINT,
  type Channel,
  type ClientToServerEvents,
  type FilterOf,
  type ModelEventArgs,
  type ModelName,
  type Models,
  type PositionedEventArgs,
  type ServerInfo,
  type ServerToClientEvents,
} from '../types.js';

/** The typed client socket. */
export type RealtimeClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The model events of channels subscribed with options, as the provider listens to them. */
type PositionedSocket = Socket<
  {
    model_created: (...args: PositionedEventArgs) => void;
    model_updated: (...args: PositionedEventArgs) => void;
    model_deleted: (model: ModelName, id: string, seq?: number) => void;
  },
  ClientToServerEvents
>;

/**
 * The filter of each model's channel (docs/wire.md, "Filtered subscriptions"): only the rows
 * whose fields equal these values reach the hooks. A model left out gets every row.
 */
export type ModelFilters = { readonly [M in ModelName]?: FilterOf<M> };

/** socket.io-client's options (`auth`, `path`, `transports`, `reconnectionDelayMax`, ...). */
export type RealtimeClientOptions = Partial<ManagerOptions & SocketOptions>;

/** `connecting` also covers the waits between reconnection attempts. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

/** How many changes a hook's `history` keeps unless told otherwise. */
export const DEFAULT_HISTORY_LIMIT = 100;

/** How long `ping` waits by default, in milliseconds. */
export const DEFAULT_PING_TIMEOUT_MS = 5_000;

/** How long a `subscribe` waits for the server's answer, in milliseconds. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;

/**
 * How long one connection attempt may take before the next one is tried, in milliseconds
 * (socket.io-client's `timeout`, whose own default is 20 s). An option of the same name wins.
 */
export const CONNECT_TIMEOUT_MS = 4_000;

/** The provider's reconnection defaults; the `options` given to it win. */
const RECONNECTION_DEFAULTS: RealtimeClientOptions = {
  timeout: CONNECT_TIMEOUT_MS,
  reconnectionDelay: 500,
  reconnectionDelayMax: 5_000,
  randomizationFactor: 0.5,
};

/** How often a connected provider sends its heartbeat `ping`, in milliseconds. */
export const HEARTBEAT_MS = 1_000;

/** A heartbeat unanswered for this long marks the connection as lagging, in milliseconds. */
export const LAGGING_AFTER_MS = 2_000;

/**
 * A heartbeat unanswered for this long closes the connection, and the provider connects again
 * (and resumes from the positions applied), in milliseconds: the link is dead without saying so,
 * or so far behind that a fresh connection (a replay, or a reload) beats reading the backlog.
 */
export const RECONNECT_LAGGING_AFTER_MS = 15_000;

/**
 * How long a frame's worth of changes may wait for the next animation frame before it is
 * applied anyway (a hidden tab has no frames), in milliseconds.
 */
const FRAME_FALLBACK_MS = 50;

/**
 * A change that arrives after the hook has applied nothing for this long (in milliseconds) is
 * applied at once, not on the next animation frame: a lone change (a click in another window)
 * shows a frame sooner, and a burst still costs one update a frame after its first change.
 */
const QUIET_MS = 50;

/**
 * While changes keep coming (each within `QUIET_MS` of the last update), the hook updates at
 * most once per this many milliseconds, on an animation frame: a burst of a thousand changes a
 * second costs the page ten renders a second instead of sixty, and leaves the cores it shares
 * to the frames themselves. A change never waits longer than this plus a frame.
 */
const BURST_UPDATE_MS = 100;

/**
 * One change to a model's rows, as the provider received it. `seq` numbers the provider's
 * model events (of every model) from 1, in the order they arrived, for the provider's whole
 * life (reconnections and new `url`s included): every hook that sees an event sees the same
 * `seq`, and it is a React key for a list of changes.
 */
export type ModelChange<M extends ModelName> =
  | { kind: 'created'; model: M; data: Models[M]; seq: number; receivedAt: number }
  | { kind: 'updated'; model: M; data: Models[M]; seq: number; receivedAt: number }
  | { kind: 'deleted'; model: M; id: string; seq: number; receivedAt: number };

/**
 * Told each time the server has answered the `subscribe` of a held channel on a connection:
 * on the first connection, on every reconnection, and (in a microtask) at once when the
 * channel is already subscribed. From then on the channel's events reach this client, so rows
 * fetched now miss nothing. `recovered` is true when the connection recovered its session
 * since this holder was last told, so that no event was missed meanwhile; it is false the
 * first time and whenever events may have been lost. A refused subscription (its error shows
 * as `error`) and one the server left unanswered for 10 seconds are told too. `connection` is the
 * provider's `connection` it happened on.
 */
export type SubscribedListener = (recovered: boolean, connection: number) => void;

export interface RealtimeContextValue {
  /** The shared socket; `null` until the provider's effect has run (and on the server). */
  socket: RealtimeClientSocket | null;
  status: ConnectionStatus;
  isConnected: boolean;
  /** The last connection or subscription error; cleared when a connection succeeds. */
  error: Error | null;
  /** What the server sent in `connected`. */
  server: ServerInfo | null;
  /** How many times the provider has connected: 0 before the first connection, then 1, 2, ... */
  connection: number;
  /**
   * Whether the heartbeat `ping` of the current connection has gone unanswered for
   * `LAGGING_AFTER_MS`: the events this connection carries are late (a slow or stalled link).
   */
  lagging: boolean;
  /**
   * Whether the server was built from the same spec (equal fingerprints); `null` until the
   * server has said.
   */
  schemaMatches: boolean | null;
  /**
   * Holds `channel` until the returned function is called. Reference-counted. `onSubscribed`
   * is told whenever the channel is subscribed (see `SubscribedListener`).
   */
  subscribe: (channel: Channel, onSubscribed?: SubscribedListener) => () => void;
  /**
   * Calls `listener` with every change of `model` that reaches the connection (on the channels
   * held), until the returned function is called.
   */
  listen: <M extends ModelName>(model: M, listener: (change: ModelChange<M>) => void) => () => void;
  /**
   * A round trip to the server: resolves with the latency in milliseconds, rejects when not
   * connected or after `timeoutMs` (default 5 000; the pending ack is dropped then).
   */
  ping: (timeoutMs?: number) => Promise<number>;
}

const RealtimeContext = createContext<RealtimeContextValue | null>(null);
RealtimeContext.displayName = 'RealtimeContext';

export interface RealtimeProviderProps {
  /** The server's URL. Default: the page's own origin. */
  url?: string;
  /** Read when the connection is opened: on mount, and again when `url` changes. */
  options?: RealtimeClientOptions;
  /**
   * The filter of each model's channel. When it changes (compared by value), the channels
   * whose filter changed are subscribed again with the new one, and their hooks load again.
   * The server's authorize hook decides which filters a connection may use.
   */
  filters?: ModelFilters;
  children?: ReactNode;
}

/** Opens the app's connection and shares it with every hook below. */
export function RealtimeProvider({ url, options, filters, children }: RealtimeProviderProps): ReactNode {
  const [socket, setSocket] = useState<RealtimeClientSocket | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [error, setError] = useState<Error | null>(null);
  const [server, setServer] = useState<ServerInfo | null>(null);
  const [connection, setConnection] = useState(0);
  const [lagging, setLagging] = useState(false);
  const [channels] = useState(() => new ChannelBook(setError, filters));
  const filterKey = filtersKey(filters);
  const [feed] = useState(() => new ChangeFeed());
  const socketRef = useRef<RealtimeClientSocket | null>(null);
  const optionsRef = useRef(options);

  useEffect(() => {
    optionsRef.current = options;
  }, [options]);

  useEffect(() => {
    channels.setFilters(filters);
    // `filterKey` stands for `filters`: an equal filter in a new object is no change.
  }, [channels, filterKey]);

  useEffect(() => {
    const next: RealtimeClientSocket = io(url, {
      ...RECONNECTION_DEFAULTS,
      ...optionsRef.current,
      autoConnect: false,
    });
    channels.attach(next);
    const heartbeat = new Heartbeat(next, setLagging);
    const onConnect = (): void => {
      setStatus('connected');
      setError(null);
      setConnection(channels.connected(next));
      heartbeat.start();
    };
    const onDisconnect = (reason: string): void => {
      heartbeat.stop();
      channels.disconnected(next);
      if (reason === 'io server disconnect' && socketRef.current === next) {
        // The server let go of a client that fell behind (docs/wire.md, "Slow clients"):
        // socket.io-client does not come back by itself after that; resume now.
        next.connect();
      }
      setStatus(next.active ? 'connecting' : 'disconnected');
    };
    const onConnectError = (cause: Error): void => {
      setError(cause);
      setStatus(next.active ? 'connecting' : 'disconnected');
    };
    const onConnected = (info: ServerInfo): void => {
      setServer(info);
    };
    // The channels are subscribed with options: a position follows the arguments.
    const onCreated = (...args: PositionedEventArgs): void => {
      channels.receive(args[0], args[2], () => {
        feed.publish({ kind: 'created', args: [args[0], args[1]] as ModelEventArgs });
      });
    };
    const onUpdated = (...args: PositionedEventArgs): void => {
      channels.receive(args[0], args[2], () => {
        feed.publish({ kind: 'updated', args: [args[0], args[1]] as ModelEventArgs });
      });
    };
    const onDeleted = (model: ModelName, id: string, seq?: number): void => {
      channels.receive(model, seq, () => {
        feed.publish({ kind: 'deleted', model, id });
      });
    };
    next.on('connect', onConnect);
    next.on('disconnect', onDisconnect);
    next.on('connect_error', onConnectError);
    next.on('connected', onConnected);
    // The event maps describe the old two-argument form; these listeners take the position too.
    const positioned = next as unknown as PositionedSocket;
    positioned.on('model_created', onCreated);
    positioned.on('model_updated', onUpdated);
    positioned.on('model_deleted', onDeleted);
    // The network is back, or the user looks at the page again: try now rather than when the
    // backoff says (or when a handshake sent into a dead network gives up).
    const wake = (): void => {
      if (socketRef.current !== next) {
        return;
      }
      if (next.connected) {
        heartbeat.probe();
      } else {
        // Closes the manager (and any attempt in flight, its backoff reset) and opens it again.
        next.disconnect();
        next.connect();
        setStatus('connecting');
      }
    };
    const onVisibility = (): void => {
      if (document.visibilityState === 'visible') {
        wake();
      }
    };
    const browser = typeof window !== 'undefined' && typeof document !== 'undefined';
    if (browser) {
      window.addEventListener('online', wake);
      document.addEventListener('visibilitychange', onVisibility);
    }
    socketRef.current = next;
    setSocket(next);
    setStatus('connecting');
    next.connect();
    return () => {
      if (browser) {
        window.removeEventListener('online', wake);
        document.removeEventListener('visibilitychange', onVisibility);
      }
      heartbeat.stop();
      next.off('connect', onConnect);
      next.off('disconnect', onDisconnect);
      next.off('connect_error', onConnectError);
      next.off('connected', onConnected);
      positioned.off('model_created', onCreated);
      positioned.off('model_updated', onUpdated);
      positioned.off('model_deleted', onDeleted);
      next.disconnect();
      channels.detach(next);
      if (socketRef.current === next) {
        socketRef.current = null;
      }
      setSocket((current) => (current === next ? null : current));
      setServer(null);
      setStatus('disconnected');
    };
  }, [url, channels, feed]);

  const subscribe = useCallback(
    (channel: Channel, onSubscribed?: SubscribedListener): (() => void) => channels.hold(channel, onSubscribed),
    [channels],
  );

  const listen = useCallback(
    <M extends ModelName>(model: M, listener: (change: ModelChange<M>) => void): (() => void) =>
      feed.listen(model, listener),
    [feed],
  );

  const ping = useCallback(
    (timeoutMs: number = DEFAULT_PING_TIMEOUT_MS): Promise<number> =>
      new Promise<number>((resolve, reject) => {
        const current = socketRef.current;
        if (current?.connected !== true) {
          reject(new Error('not connected'));
          return;
        }
        const started = Date.now();
        // `timeout` clears its timer when the ack arrives and drops the ack when it fires.
        current.timeout(timeoutMs).emit('ping', (timedOut: Error | null) => {
          if (timedOut) {
            reject(new Error(`no answer to ping within ${timeoutMs} ms`));
          } else {
            resolve(Date.now() - started);
          }
        });
      }),
    [],
  );

  const value = useMemo<RealtimeContextValue>(
    () => ({
      socket,
      status,
      isConnected: status === 'connected',
      error,
      server,
      schemaMatches: server === null ? null : server.fingerprint === FINGERPRINT,
      connection,
      lagging,
      subscribe,
      listen,
      ping,
    }),
    [socket, status, error, server, connection, lagging, subscribe, listen, ping],
  );

  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

/**
 * The heartbeat of one socket: while connected, a `ping` every `HEARTBEAT_MS` (one at a time);
 * one unanswered for `LAGGING_AFTER_MS` says the connection lags, and only a round trip shorter
 * than that says it is back.
 */
class Heartbeat {
  private readonly socket: RealtimeClientSocket;
  private readonly setLagging: (lagging: boolean) => void;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** When the unanswered `ping` was sent, or `null`. */
  private sentAt: number | null = null;
  private lastAnswer = 0;
  /** Which connection a `ping` belongs to: answers from an earlier one are dropped. */
  private round = 0;

  constructor(socket: RealtimeClientSocket, setLagging: (lagging: boolean) => void) {
    this.socket = socket;
    this.setLagging = setLagging;
  }

  start(): void {
    this.stop();
    this.lastAnswer = Date.now();
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS / 4);
  }

  stop(): void {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.round += 1;
    this.sentAt = null;
    this.setLagging(false);
  }

  /** A `ping` now, unless one is on its way. */
  probe(): void {
    if (this.timer === null || this.sentAt !== null || !this.socket.connected) {
      return;
    }
    const round = this.round;
    const sentAt = Date.now();
    this.sentAt = sentAt;
    this.socket.emit('ping', () => {
      if (round !== this.round) {
        return;
      }
      this.sentAt = null;
      this.lastAnswer = Date.now();
      // A late answer came through a backlog, and what followed the ping may still be in it:
      // the connection stays lagging until a round trip is quick again (the next one, now).
      const late = this.lastAnswer - sentAt >= LAGGING_AFTER_MS;
      this.setLagging(late);
      if (late) {
        this.probe();
      }
    });
  }

  private tick(): void {
    const now = Date.now();
    if (this.sentAt !== null) {
      const waited = now - this.sentAt;
      if (waited >= RECONNECT_LAGGING_AFTER_MS) {
        // The manager sees its transport close and reconnects (with its backoff).
        this.stop();
        this.socket.io.engine.close();
      } else if (waited >= LAGGING_AFTER_MS) {
        this.setLagging(true);
      }
    } else if (now - this.lastAnswer >= HEARTBEAT_MS) {
      this.probe();
    }
  }
}

/** The shared connection. Throws outside `<RealtimeProvider>`. */
export function useRealtime(): RealtimeContextValue {
  const value = useContext(RealtimeContext);
  if (value === null) {
    throw new Error(
      'useRealtime() and the model hooks need a <RealtimeProvider> above them: wrap the app in <RealtimeProvider url="...">',
    );
  }
  return value;
}

/** One `subscribe` call that asked to be told when its channel is subscribed. */
interface Holder {
  readonly onSubscribed: SubscribedListener;
  /** Told on a connection and not lost anything since. */
  current: boolean;
}

/**
 * The provider's channels: who holds what, what the current socket asked the server for, and
 * what the server has answered. Outlives sockets: a new socket subscribes every held channel.
 */
class ChannelBook {
  /** Channel -> how many holders. */
  private readonly held = new Map<Channel, number>();
  /** Channel -> the holders that want to be told when it is subscribed. */
  private readonly holders = new Map<Channel, Set<Holder>>();
  /** Channel -> the id of the latest `subscribe` the current socket sent and has not left since. */
  private readonly joined = new Map<Channel, number>();
  /** The joined channels whose latest `subscribe` the server answered on this connection. */
  private readonly answered = new Set<Channel>();
  /**
   * Channel -> the last position applied and the log it came from (docs/wire.md, "Positions
   * and resume"): kept across reconnections and sockets, dropped when the channel is let go.
   */
  private readonly positions = new Map<Channel, { last: number; epoch: string | null }>();
  /**
   * Channel -> the positioned events that arrived before the server answered the channel's
   * latest `subscribe` on this connection: their positions can only be judged against the
   * answer (a restarted server starts a new log, whose positions start again from 1).
   */
  private readonly early = new Map<Channel, { seq: number; deliver: () => void }[]>();
  /**
   * Channel -> the position a resumed subscription's replay ends at, while it is still arriving
   * (the answer comes first): its holders are told once the replay is applied.
   */
  private readonly catchUp = new Map<Channel, number>();
  /** Channel -> its filter, and the filter's canonical JSON to compare it by. */
  private filters: Map<Channel, ChannelFilter>;
  private readonly onError: (error: Error) => void;
  private socket: RealtimeClientSocket | null = null;
  private lastRequest = 0;
  /** How many times the current sockets have connected. */
  private connections = 0;
  /** Whether a `sync` is queued. */
  private queued = false;

  constructor(onError: (error: Error) => void, filters: ModelFilters | undefined) {
    this.onError = onError;
    this.filters = filterMap(filters);
  }

  /**
   * The provider's filters. A channel whose filter changed holds other rows: its positions
   * start over, its holders hear `recovered: false` (they load again), and it is subscribed
   * again at once with the new filter (the server replaces the subscription).
   */
  setFilters(filters: ModelFilters | undefined): void {
    const next = filterMap(filters);
    const changed = [...new Set([...this.filters.keys(), ...next.keys()])].filter(
      (channel) => this.filters.get(channel)?.key !== next.get(channel)?.key,
    );
    this.filters = next;
    if (changed.length === 0) {
      return;
    }
    for (const channel of changed) {
      this.positions.delete(channel);
      this.early.delete(channel);
      this.catchUp.delete(channel);
      this.joined.delete(channel);
      this.answered.delete(channel);
      for (const holder of this.holders.get(channel) ?? []) {
        holder.current = false;
      }
    }
    if (this.socket?.connected === true) {
      this.sync();
    }
  }

  /** The provider's new socket, not connected yet. */
  attach(socket: RealtimeClientSocket): void {
    this.socket = socket;
    this.joined.clear();
    this.answered.clear();
    this.early.clear();
    this.catchUp.clear();
    this.stale();
  }

  detach(socket: RealtimeClientSocket): void {
    if (this.socket === socket) {
      this.socket = null;
      this.joined.clear();
      this.answered.clear();
      this.early.clear();
      this.catchUp.clear();
    }
  }

  /** The socket connected: returns the provider's new `connection` number. */
  connected(socket: RealtimeClientSocket): number {
    if (this.socket !== socket) {
      return this.connections;
    }
    this.connections += 1;
    // Every held channel again, from its last position: the server replays what the outage
    // missed, or answers `reset` (then the holders load again).
    this.joined.clear();
    this.answered.clear();
    this.early.clear();
    this.catchUp.clear();
    this.sync();
    return this.connections;
  }

  disconnected(socket: RealtimeClientSocket): void {
    if (this.socket === socket) {
      this.answered.clear();
      this.catchUp.clear();
    }
  }

  /** Holds `channel` until the returned function is called. */
  hold(channel: Channel, onSubscribed?: SubscribedListener): () => void {
    const holder: Holder | null = onSubscribed === undefined ? null : { onSubscribed, current: false };
    if (holder !== null) {
      const holders = this.holders.get(channel) ?? new Set<Holder>();
      holders.add(holder);
      this.holders.set(channel, holders);
      if (this.answered.has(channel)) {
        // Subscribed already. Said after the current burst of renders: `<StrictMode>` lets go
        // at once and holds again, and only the holder that stays should load anything.
        const socket = this.socket;
        queueMicrotask(() => {
          if (
            socket !== null &&
            socket === this.socket &&
            !holder.current &&
            this.answered.has(channel) &&
            this.holders.get(channel)?.has(holder) === true
          ) {
            this.tell(holder);
          }
        });
      }
    }
    const count = this.held.get(channel) ?? 0;
    this.held.set(channel, count + 1);
    if (count === 0) {
      this.schedule();
    }
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      if (holder !== null) {
        const holders = this.holders.get(channel);
        holders?.delete(holder);
        if (holders?.size === 0) {
          this.holders.delete(channel);
        }
      }
      const left = (this.held.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.held.set(channel, left);
        return;
      }
      this.held.delete(channel);
      this.positions.delete(channel);
      this.schedule();
    };
  }

  /**
   * A model event with position `seq` arrived: `deliver` runs when it is new, now or, while the
   * channel's `subscribe` is unanswered on this connection, once the answer says where the
   * channel's log stands. Events without a position are always new.
   */
  receive(model: ModelName, seq: number | undefined, deliver: () => void): void {
    if (typeof seq !== 'number') {
      deliver();
      return;
    }
    const channel = CHANNEL_OF[model];
    if (this.joined.has(channel) && !this.answered.has(channel)) {
      const early = this.early.get(channel) ?? [];
      early.push({ seq, deliver });
      this.early.set(channel, early);
      return;
    }
    if (this.isNew(channel, seq)) {
      deliver();
      this.caughtUp(channel);
    }
  }

  /** Tells the holders of `channel` once a resumed subscription's replay has been applied. */
  private caughtUp(channel: Channel): void {
    const target = this.catchUp.get(channel);
    if (target === undefined || !this.answered.has(channel) || (this.positions.get(channel)?.last ?? 0) < target) {
      return;
    }
    this.catchUp.delete(channel);
    for (const holder of [...(this.holders.get(channel) ?? [])]) {
      this.tell(holder);
    }
  }

  /**
   * Whether a model event with position `seq` is new: `false` for one already applied (a
   * replay overlapping what arrived).
   */
  private isNew(channel: Channel, seq: number): boolean {
    const position = this.positions.get(channel);
    if (position === undefined) {
      this.positions.set(channel, { last: seq, epoch: null });
      return true;
    }
    if (seq <= position.last) {
      return false;
    }
    position.last = seq;
    return true;
  }

  /** Events may have been lost: every holder hears `recovered: false` next. */
  private stale(): void {
    for (const holders of this.holders.values()) {
      for (const holder of holders) {
        holder.current = false;
      }
    }
  }

  private tell(holder: Holder): void {
    const recovered = holder.current;
    holder.current = true;
    holder.onSubscribed(recovered, this.connections);
  }

  /**
   * A `sync` after the current burst of changes: `<StrictMode>` runs an effect, its cleanup
   * and the effect again in one go, and that should not cost an unsubscribe and a subscribe.
   */
  private schedule(): void {
    if (this.queued) {
      return;
    }
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      if (this.socket?.connected === true) {
        this.sync();
      }
    });
  }

  /** Leaves what nobody holds any more and asks for what is held and not asked for yet. */
  private sync(): void {
    const socket = this.socket;
    if (socket === null) {
      return;
    }
    for (const channel of [...this.joined.keys()]) {
      if (!this.held.has(channel)) {
        this.joined.delete(channel);
        this.answered.delete(channel);
        socket.emit('unsubscribe', channel);
      }
    }
    for (const channel of this.held.keys()) {
      if (!this.joined.has(channel)) {
        this.request(socket, channel);
      }
    }
  }

  private request(socket: RealtimeClientSocket, channel: Channel): void {
    this.lastRequest += 1;
    const id = this.lastRequest;
    this.joined.set(channel, id);
    const position = this.positions.get(channel);
    const from =
      position?.epoch === undefined || position.epoch === null ? {} : { since: position.last, epoch: position.epoch };
    const filter = this.filters.get(channel)?.filter;
    const options: { since?: number; epoch?: string; filter?: Record<string, string | number | boolean | null> } =
      filter === undefined ? from : { ...from, filter };
    socket
      .timeout(SUBSCRIBE_TIMEOUT_MS)
      .emitWithAck('subscribe', channel, options)
      .then(
        (result) => {
          if (!result.ok) {
            this.onError(new Error(`cannot subscribe to \`${channel}\`: ${result.error}`));
            if (filter !== undefined && socket === this.socket && this.joined.get(channel) === id) {
              // A refused filter may leave the previous one's subscription at the server:
              // nothing of it belongs to this filter's holders.
              socket.emit('unsubscribe', channel);
            }
          } else if (socket === this.socket && this.joined.get(channel) === id) {
            this.positioned(channel, options.since !== undefined, result);
          }
          this.answer(socket, channel, id);
        },
        () => {
          // No answer in time: a server that does not acknowledge. It has the request by now.
          this.answer(socket, channel, id);
        },
      );
  }

  /** A subscription with positions was answered: the position to go on from, and whether to load. */
  private positioned(
    channel: Channel,
    resumed: boolean,
    result: { epoch: string; seq: number; reset?: true },
  ): void {
    const position = this.positions.get(channel);
    if (position === undefined || position.epoch !== result.epoch) {
      // A fresh subscription or another log: positions start from its answer.
      this.positions.set(channel, { last: Math.max(position?.epoch === null ? position.last : 0, result.seq), epoch: result.epoch });
    } else if (result.reset === true) {
      position.last = Math.max(position.last, result.seq);
    }
    if (!resumed || result.reset === true) {
      for (const holder of this.holders.get(channel) ?? []) {
        holder.current = false;
      }
      this.catchUp.delete(channel);
    } else {
      this.catchUp.set(channel, result.seq);
    }
  }

  /** The server answered request `id`: when it is the channel's latest, tell its holders. */
  private answer(socket: RealtimeClientSocket, channel: Channel, id: number): void {
    if (socket !== this.socket || !socket.connected || this.joined.get(channel) !== id) {
      return;
    }
    this.answered.add(channel);
    const early = this.early.get(channel) ?? [];
    this.early.delete(channel);
    for (const { seq, deliver } of early) {
      if (this.isNew(channel, seq)) {
        deliver();
      }
    }
    const target = this.catchUp.get(channel);
    if (target !== undefined && (this.positions.get(channel)?.last ?? 0) < target) {
      // The replay is still on its way: the holders hear when it is applied (`caughtUp`).
      return;
    }
    this.catchUp.delete(channel);
    for (const holder of [...(this.holders.get(channel) ?? [])]) {
      this.tell(holder);
    }
  }
}

/** A channel's filter as sent, and its canonical JSON (keys sorted). */
interface ChannelFilter {
  readonly filter: Record<string, string | number | boolean | null>;
  readonly key: string;
}

/** The non-empty filters by channel. */
function filterMap(filters: ModelFilters | undefined): Map<Channel, ChannelFilter> {
  const map = new Map<Channel, ChannelFilter>();
  if (filters === undefined) {
    return map;
  }
  for (const model of Object.keys(filters).sort() as ModelName[]) {
    const channel: Channel | undefined = CHANNEL_OF[model];
    const given: object | undefined = filters[model];
    if (channel === undefined || given === undefined) {
      continue;
    }
    const filter: Record<string, string | number | boolean | null> = {};
    for (const [field, value] of Object.entries(given).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (value !== undefined) {
        filter[field] = value as string | number | boolean | null;
      }
    }
    if (Object.keys(filter).length > 0) {
      map.set(channel, { filter, key: JSON.stringify(filter) });
    }
  }
  return map;
}

/** The filters as one string, equal for equal filters (a render's new object is no change). */
function filtersKey(filters: ModelFilters | undefined): string {
  return JSON.stringify([...filterMap(filters)]);
}

/** A model event as the provider received it, before a hook makes it a `ModelChange`. */
type ModelEvent =
  | { kind: 'created' | 'updated'; args: ModelEventArgs }
  | { kind: 'deleted'; model: ModelName; id: string };

type NumberedEvent = ModelEvent & { seq: number; receivedAt: number };

/** Numbers the model events and hands them to every listener. */
class ChangeFeed {
  private readonly listeners = new Set<(event: NumberedEvent) => void>();
  private lastSeq = 0;

  listen<M extends ModelName>(model: M, listener: (change: ModelChange<M>) => void): () => void {
    const forward = (event: NumberedEvent): void => {
      const change = changeOf(model, event);
      if (change !== null) {
        listener(change);
      }
    };
    this.listeners.add(forward);
    return () => {
      this.listeners.delete(forward);
    };
  }

  publish(event: ModelEvent): void {
    this.lastSeq += 1;
    const numbered: NumberedEvent = { ...event, seq: this.lastSeq, receivedAt: Date.now() };
    for (const listener of [...this.listeners]) {
      listener(numbered);
    }
  }
}

/** `event` as a change of `model`, or `null` when it is about another model. */
function changeOf<M extends ModelName>(model: M, event: NumberedEvent): ModelChange<M> | null {
  const { seq, receivedAt } = event;
  if (event.kind === 'deleted') {
    return event.model === model ? { kind: 'deleted', model, id: event.id, seq, receivedAt } : null;
  }
  const { args } = event;
  if (!isFor(model, args)) {
    return null;
  }
  return event.kind === 'created'
    ? { kind: 'created', model, data: args[1], seq, receivedAt }
    : { kind: 'updated', model, data: args[1], seq, receivedAt };
}

/** The server sends a row of the model it names; this pairs the two for the type checker. */
function isFor<M extends ModelName>(
  model: M,
  args: readonly unknown[],
): args is [model: M, data: Models[M]] {
  return args[0] === model;
}

/** Fetches a model's rows (all of them, or those a screen shows). */
export type LoadRows<M extends ModelName> = () => Promise<readonly Models[M][]>;

export interface ModelRealtimeOptions<M extends ModelName> {
  /** The rows to start from (server-rendered, say). Read once, on mount. */
  initial?: readonly Models[M][];
  /**
   * Fetches the rows; the hook calls it, race-free: once the model's channel is subscribed
   * (so no change can fall between the fetch and the live events), and again after every
   * reconnection the server could not recover (the Rust server never can). Its rows replace
   * the live list, and the changes that arrived while it ran are applied again on top: an
   * update or a delete newer than the fetch wins, a row both fetched and announced is listed
   * once. Read when called: an inline function is fine.
   */
  load?: LoadRows<M>;
  /** How many changes `history` keeps, newest last. Default: `DEFAULT_HISTORY_LIMIT` (100). */
  historyLimit?: number;
  /** Called for every change, after it is applied. */
  onChange?: (change: ModelChange<M>) => void;
  /**
   * Called on every reconnection. `recovered` is false when the server could not replay the
   * outage: events may have been missed, and the hook loads again when given `load`.
   */
  onReconnect?: (recovered: boolean) => void;
}

/**
 * Whether a hook's rows are the server's, as far as the client can tell:
 * - `live`: connected, the channel subscribed on this connection (what an outage missed is
 *   replayed), no load running, and the connection not lagging;
 * - `stale`: connected, but the rows are still catching up (the subscription unanswered, a load
 *   running, the heartbeat late), or given up on (`disconnected`);
 * - `reconnecting`: not connected, and trying (also before the first connection).
 */
export type SyncState = 'live' | 'stale' | 'reconnecting';

export interface ModelRealtime<M extends ModelName> {
  /**
   * The live rows: `initial` or the loaded rows, then every change applied by id, in first-seen
   * order. A row that did not change keeps its object (also when a reload hands over an equal
   * row), so a `React.memo` row component renders again only when its row changed.
   */
  items: readonly Models[M][];
  byId: ReadonlyMap<string, Models[M]>;
  /** The last changes, oldest first, at most `historyLimit`. */
  history: readonly ModelChange<M>[];
  lastChange: ModelChange<M> | null;
  status: ConnectionStatus;
  isConnected: boolean;
  /** Whether the rows are live, stale or waiting for a reconnection (see `SyncState`). */
  sync: SyncState;
  /** The connection's or the subscription's error (the provider's `error`). */
  error: Error | null;
  /**
   * Whether a load runs; with `load`, also from mount until the first load has settled (while
   * the connection is made and the channel subscribed).
   */
  loading: boolean;
  /** Why the last load failed; `null` once another starts. */
  loadError: Error | null;
  /**
   * Loads again, with `fetch` or else the `load` option, the same race-free way; a later load
   * overtakes one in flight. Resolves to `true` once the rows are applied, `false` when the
   * load failed (see `loadError`) or was overtaken; never rejects.
   */
  refresh: (fetch?: LoadRows<M>) => Promise<boolean>;
  ping: (timeoutMs?: number) => Promise<number>;
  /**
   * Replaces the live rows (history is kept). Changes on the way while the rows were fetched
   * are lost: `load` and `refresh` are the race-free way.
   */
  reset: (items: readonly Models[M][]) => void;
  clearHistory: () => void;
}

interface LiveRows<M extends ModelName> {
  byId: ReadonlyMap<string, Models[M]>;
  history: readonly ModelChange<M>[];
  lastChange: ModelChange<M> | null;
}

interface LoadState {
  loading: boolean;
  error: Error | null;
}

const LOADING: LoadState = { loading: true, error: null };
const LOADED: LoadState = { loading: false, error: null };

/** A load in flight, and the changes that arrived since it started. */
interface Load<M extends ModelName> {
  readonly missed: Map<string, Missed<M>>;
}

/** The last change of a row during a load; `moved` when it was deleted and came back meanwhile. */
interface Missed<M extends ModelName> {
  change: ModelChange<M>;
  moved: boolean;
}

/** The generic hook behind the `use{Model}Realtime` hooks. Throws outside the provider. */
export function useModelRealtime<M extends ModelName>(
  model: M,
  options: ModelRealtimeOptions<M> = {},
): ModelRealtime<M> {
  const { status, isConnected, error, connection, lagging, subscribe, listen, ping } = useRealtime();
  const [live, setLive] = useState<LiveRows<M>>(() => ({
    byId: indexById(options.initial ?? []),
    history: [],
    lastChange: null,
  }));
  const [load, setLoad] = useState<LoadState>(() => (options.load === undefined ? LOADED : LOADING));
  const latest = useRef(options);
  /** The load whose rows will be applied, while it runs. */
  const running = useRef<Load<M> | null>(null);
  /** The `connection` on which the channel was last subscribed. */
  const [subscribedOn, setSubscribedOn] = useState(-1);
  /** The changes received and not applied yet, and how to cancel their scheduled flush. */
  const pending = useRef<ModelChange<M>[]>([]);
  const cancelFlush = useRef<(() => void) | null>(null);
  /** When changes were last applied (`clock()`). */
  const flushedAt = useRef(Number.NEGATIVE_INFINITY);

  /** Applies the pending changes now, as one update. */
  const flush = useCallback((): void => {
    cancelFlush.current?.();
    cancelFlush.current = null;
    const batch = pending.current;
    if (batch.length === 0) {
      return;
    }
    pending.current = [];
    flushedAt.current = clock();
    const limit = historyLimit(latest.current.historyLimit);
    setLive((previous) => applyChanges(previous, batch, limit));
    const onChange = latest.current.onChange;
    if (onChange !== undefined) {
      for (const change of batch) {
        onChange(change);
      }
    }
  }, []);

  useEffect(() => {
    latest.current = options;
  });

  const refresh = useCallback(async (fetch?: LoadRows<M>): Promise<boolean> => {
    const mine: Load<M> = { missed: new Map() };
    running.current = mine;
    setLoad(LOADING);
    let rows: readonly Models[M][];
    try {
      const run = fetch ?? latest.current.load;
      if (run === undefined) {
        throw new Error('refresh() needs a fetch function, or the `load` option');
      }
      rows = await run();
      const value: unknown = rows;
      if (!Array.isArray(value)) {
        throw new TypeError(`the rows should be an array, not ${value === null ? 'null' : typeof value}`);
      }
    } catch (cause) {
      if (running.current === mine) {
        running.current = null;
        setLoad({ loading: false, error: cause instanceof Error ? cause : new Error(String(cause)) });
      }
      return false;
    }
    if (running.current !== mine) {
      return false;
    }
    running.current = null;
    // What arrived before the rows goes first; the rows replace it, with the changes on top.
    flush();
    const byId = replay(rows, mine.missed);
    setLive((previous) => replaceRows(previous, byId));
    setLoad(LOADED);
    return true;
  }, [flush]);

  useEffect(() => {
    const stop = listen(model, (change) => {
      const current = running.current;
      if (current !== null) {
        remember(current.missed, change);
      }
      pending.current.push(change);
      if (cancelFlush.current === null && clock() - flushedAt.current >= QUIET_MS) {
        flush();
      } else {
        cancelFlush.current ??= frameAfter(flushedAt.current + BURST_UPDATE_MS - clock(), flush);
      }
    });
    return () => {
      stop();
      // Unmounted (or another model): what is pending is applied at once.
      flush();
    };
  }, [listen, model, flush]);

  useEffect(() => {
    let toldBefore = false;
    return subscribe(CHANNEL_OF[model], (recovered, on) => {
      flush();
      setSubscribedOn(on);
      if (toldBefore) {
        latest.current.onReconnect?.(recovered);
      }
      toldBefore = true;
      if (!recovered && latest.current.load !== undefined) {
        void refresh();
      }
    });
  }, [subscribe, model, refresh, flush]);

  useEffect(
    () => () => {
      // Unmounted: a load in flight is dropped.
      running.current = null;
    },
    [],
  );

  const reset = useCallback(
    (items: readonly Models[M][]): void => {
      flush();
      setLive((previous) => replaceRows(previous, indexById(items)));
    },
    [flush],
  );

  const clearHistory = useCallback((): void => {
    setLive((previous) => ({ ...previous, history: [] }));
  }, []);

  const items = useMemo(() => [...live.byId.values()], [live.byId]);
  const sync: SyncState =
    status === 'connected'
      ? subscribedOn === connection && !load.loading && !lagging
        ? 'live'
        : 'stale'
      : status === 'connecting'
        ? 'reconnecting'
        : 'stale';

  return useMemo(
    () => ({
      items,
      byId: live.byId,
      history: live.history,
      lastChange: live.lastChange,
      status,
      isConnected,
      sync,
      error,
      loading: load.loading,
      loadError: load.error,
      refresh,
      ping,
      reset,
      clearHistory,
    }),
    [items, live, status, isConnected, sync, error, load, refresh, ping, reset, clearHistory],
  );
}

/** Milliseconds from an arbitrary start, monotonic where the platform allows. */
function clock(): number {
  return typeof performance === 'object' && typeof performance.now === 'function' ? performance.now() : Date.now();
}

/**
 * Calls `run` once, on the next animation frame, or after `FRAME_FALLBACK_MS` when no frame
 * comes (a hidden tab) or there are no frames (outside a browser). Returns a cancel function.
 */
function nextFrame(run: () => void): () => void {
  const frames = typeof requestAnimationFrame === 'function' && typeof cancelAnimationFrame === 'function';
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = (): void => {
    if (frame !== null) {
      cancelAnimationFrame(frame);
      frame = null;
    }
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  };
  const once = (): void => {
    cancel();
    run();
  };
  if (frames) {
    frame = requestAnimationFrame(once);
  }
  timer = setTimeout(once, frames ? FRAME_FALLBACK_MS : 0);
  return cancel;
}

/** Calls `run` on the first animation frame after `delayMs` (see `nextFrame`); returns a cancel function. */
function frameAfter(delayMs: number, run: () => void): () => void {
  if (delayMs <= 0) {
    return nextFrame(run);
  }
  let cancelFrame: (() => void) | null = null;
  const timer = setTimeout(() => {
    cancelFrame = nextFrame(run);
  }, delayMs);
  return () => {
    clearTimeout(timer);
    cancelFrame?.();
  };
}

/** `batch` applied in order, with one copy of the rows; unchanged rows keep their objects. */
function applyChanges<M extends ModelName>(
  live: LiveRows<M>,
  batch: readonly ModelChange<M>[],
  limit: number,
): LiveRows<M> {
  const byId = new Map(live.byId);
  for (const change of batch) {
    if (change.kind === 'deleted') {
      byId.delete(change.id);
    } else {
      const id = idOf(change.data);
      const before = byId.get(id);
      if (before === undefined || !sameRow(before, change.data)) {
        byId.set(id, change.data);
      }
    }
  }
  const history = limit === 0 ? [] : [...live.history, ...batch.slice(-limit)].slice(-limit);
  return { byId, history, lastChange: batch[batch.length - 1] ?? live.lastChange };
}

/**
 * `next` in place of the live rows, sharing structure: a row equal to the one shown keeps the
 * shown object, and when nothing differs (same rows, same order) the live rows stay as they are.
 */
function replaceRows<M extends ModelName>(live: LiveRows<M>, next: Map<string, Models[M]>): LiveRows<M> {
  const previous = live.byId;
  let same = previous.size === next.size;
  const shown = [...previous.keys()];
  let index = 0;
  for (const [id, row] of next) {
    const before = previous.get(id);
    if (before !== undefined && before !== row && sameRow(before, row)) {
      next.set(id, before);
    }
    if (same && (shown[index] !== id || next.get(id) !== before)) {
      same = false;
    }
    index += 1;
  }
  return same ? live : { ...live, byId: next };
}

/**
 * Whether two rows hold the same values: primitives by `Object.is`, dates by time, arrays and
 * plain objects (a row's lists and JSON fields) element by element.
 */
function sameRow(a: object, b: object): boolean {
  return sameValue(a, b, 0);
}

/** How deep `sameValue` looks before it calls two distinct objects different. */
const MAX_COMPARE_DEPTH = 8;

function sameValue(x: unknown, y: unknown, depth: number): boolean {
  if (Object.is(x, y)) {
    return true;
  }
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || depth > MAX_COMPARE_DEPTH) {
    return false;
  }
  if (x instanceof Date || y instanceof Date) {
    return x instanceof Date && y instanceof Date && x.getTime() === y.getTime();
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    return (
      Array.isArray(x) &&
      Array.isArray(y) &&
      x.length === y.length &&
      x.every((item: unknown, i) => sameValue(item, y[i], depth + 1))
    );
  }
  if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) {
    return false;
  }
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) {
    return false;
  }
  return keys.every(
    (key) => Object.prototype.hasOwnProperty.call(y, key) && sameValue(Reflect.get(x, key), Reflect.get(y, key), depth + 1),
  );
}

/**
 * Keeps the last change of each row, in first-seen order: replaying these gives what
 * replaying every change would, with room for one entry per row however long a load runs.
 */
function remember<M extends ModelName>(missed: Map<string, Missed<M>>, change: ModelChange<M>): void {
  const id = change.kind === 'deleted' ? change.id : idOf(change.data);
  const before = missed.get(id);
  if (before?.change.kind === 'deleted' && change.kind !== 'deleted') {
    // Deleted and back again: it goes to the end of the list, as it would live.
    missed.delete(id);
    missed.set(id, { change, moved: true });
  } else {
    missed.set(id, { change, moved: before?.moved ?? false });
  }
}

/** The fetched rows with what changed while they were fetched applied again on top. */
function replay<M extends ModelName>(
  rows: readonly Models[M][],
  missed: ReadonlyMap<string, Missed<M>>,
): Map<string, Models[M]> {
  const byId = indexById(rows);
  for (const [id, { change, moved }] of missed) {
    if (change.kind === 'deleted') {
      byId.delete(id);
    } else {
      if (moved) {
        byId.delete(id);
      }
      byId.set(id, change.data);
    }
  }
  return byId;
}

function indexById<M extends ModelName>(rows: readonly Models[M][]): Map<string, Models[M]> {
  return new Map(rows.map((row) => [idOf(row), row] as const));
}

function idOf(row: { id: string }): string {
  return row.id;
}

function historyLimit(limit: number | undefined): number {
  return limit !== undefined && Number.isFinite(limit) && limit >= 0
    ? Math.floor(limit)
    : DEFAULT_HISTORY_LIMIT;
}
