//! `contexts/RealtimeContext.tsx` (the provider, `useRealtime` and the generic
//! `useModelRealtime`) and `hooks/use{Model}Realtime.ts`, one thin hook per model.

use super::names;
use super::writer::Code;
use crate::ir;

/// `useTaskRealtime` for `Task`.
pub(super) fn hook_name(model: &ir::Model) -> String {
    format!("use{}Realtime", model.name)
}

pub(super) fn context(spec: &ir::Spec) -> String {
    let mut c = Code::new();
    c.line(super::header(spec));
    c.line("'use client';");
    c.blank();
    c.doc(&format!(
        "The React side of app `{}`: one Socket.IO connection for the whole app, opened by\n\
         `<RealtimeProvider>` and shared by every hook.{CONTEXT_DOC}",
        spec.app
    ));
    c.blank();
    c.raw(CONTEXT);
    c.finish()
}

const CONTEXT_DOC: &str = r##"

```tsx
<RealtimeProvider url="https://api.example.com">
  <App />
</RealtimeProvider>
```

- One socket, created by the provider; hooks never open their own.
- Channels are reference-counted: two components on the same channel subscribe once, and the
  last one to let go unsubscribes. Requests go out once the current burst of renders is over,
  so `<StrictMode>`'s extra effect run costs nothing on the wire.
- Every held channel is subscribed again on each `connect`, so a reconnection keeps receiving
  events even when the server lost the session; the server's connection state recovery also
  replays what a short outage missed, and a channel released during the outage is left then.
- Safe under `<StrictMode>` and server rendering: the socket is created in an effect."##;

const CONTEXT: &str = r##"
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
  type ModelEventArgs,
  type ModelName,
  type Models,
  type ServerInfo,
  type ServerToClientEvents,
} from '../types.js';

/** The typed client socket. */
export type RealtimeClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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

export interface RealtimeContextValue {
  /** The shared socket; `null` until the provider's effect has run (and on the server). */
  socket: RealtimeClientSocket | null;
  status: ConnectionStatus;
  isConnected: boolean;
  /** The last connection or subscription error; cleared when a connection succeeds. */
  error: Error | null;
  /** What the server sent in `connected`. */
  server: ServerInfo | null;
  /**
   * Whether the server was built from the same spec (equal fingerprints); `null` until the
   * server has said.
   */
  schemaMatches: boolean | null;
  /** Holds `channel` until the returned function is called. Reference-counted. */
  subscribe: (channel: Channel) => () => void;
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
  children?: ReactNode;
}

/** Opens the app's connection and shares it with every hook below. */
export function RealtimeProvider({ url, options, children }: RealtimeProviderProps): ReactNode {
  const [socket, setSocket] = useState<RealtimeClientSocket | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [error, setError] = useState<Error | null>(null);
  const [server, setServer] = useState<ServerInfo | null>(null);
  const socketRef = useRef<RealtimeClientSocket | null>(null);
  /** Channel -> how many holders. Outlives sockets: a new socket subscribes them all. */
  const held = useRef(new Map<Channel, number>());
  /** The channels the current socket has asked the server for and not left since. */
  const joined = useRef(new Set<Channel>());
  /** Whether a `syncChannels` is queued. */
  const queued = useRef(false);
  const optionsRef = useRef(options);

  useEffect(() => {
    optionsRef.current = options;
  }, [options]);

  useEffect(() => {
    const next: RealtimeClientSocket = io(url, { ...optionsRef.current, autoConnect: false });
    joined.current.clear();
    const onConnect = (): void => {
      setStatus('connected');
      setError(null);
      if (next.recovered === true) {
        // The server gave the session its rooms back, also those released during the outage.
        for (const channel of joined.current) {
          if (!held.current.has(channel)) {
            next.emit('unsubscribe', channel);
          }
        }
      }
      // Every held channel again: the server may have lost the session, or a request in flight.
      joined.current.clear();
      syncChannels(next, held.current, joined.current, setError);
    };
    const onDisconnect = (): void => {
      setStatus(next.active ? 'connecting' : 'disconnected');
    };
    const onConnectError = (cause: Error): void => {
      setError(cause);
      setStatus(next.active ? 'connecting' : 'disconnected');
    };
    const onConnected = (info: ServerInfo): void => {
      setServer(info);
    };
    next.on('connect', onConnect);
    next.on('disconnect', onDisconnect);
    next.on('connect_error', onConnectError);
    next.on('connected', onConnected);
    socketRef.current = next;
    setSocket(next);
    setStatus('connecting');
    next.connect();
    return () => {
      next.off('connect', onConnect);
      next.off('disconnect', onDisconnect);
      next.off('connect_error', onConnectError);
      next.off('connected', onConnected);
      next.disconnect();
      if (socketRef.current === next) {
        socketRef.current = null;
      }
      setSocket((current) => (current === next ? null : current));
      setServer(null);
      setStatus('disconnected');
    };
  }, [url]);

  const subscribe = useCallback((channel: Channel): (() => void) => {
    // After the current burst of changes: `<StrictMode>` runs an effect, its cleanup and the
    // effect again in one go, and that should not cost an unsubscribe and a subscribe.
    const sync = (): void => {
      if (queued.current) {
        return;
      }
      queued.current = true;
      queueMicrotask(() => {
        queued.current = false;
        const current = socketRef.current;
        if (current?.connected === true) {
          syncChannels(current, held.current, joined.current, setError);
        }
      });
    };
    const count = held.current.get(channel) ?? 0;
    held.current.set(channel, count + 1);
    if (count === 0) {
      sync();
    }
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const left = (held.current.get(channel) ?? 1) - 1;
      if (left > 0) {
        held.current.set(channel, left);
        return;
      }
      held.current.delete(channel);
      sync();
    };
  }, []);

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
      subscribe,
      ping,
    }),
    [socket, status, error, server, subscribe, ping],
  );

  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
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

/** Leaves what nobody holds any more and asks for what is held and not asked for yet. */
function syncChannels(
  socket: RealtimeClientSocket,
  held: ReadonlyMap<Channel, number>,
  joined: Set<Channel>,
  onError: (error: Error) => void,
): void {
  for (const channel of joined) {
    if (!held.has(channel)) {
      joined.delete(channel);
      socket.emit('unsubscribe', channel);
    }
  }
  for (const channel of held.keys()) {
    if (!joined.has(channel)) {
      joined.add(channel);
      requestSubscribe(socket, channel, onError);
    }
  }
}

function requestSubscribe(
  socket: RealtimeClientSocket,
  channel: Channel,
  onError: (error: Error) => void,
): void {
  socket
    .timeout(SUBSCRIBE_TIMEOUT_MS)
    .emitWithAck('subscribe', channel)
    .then(
      (result) => {
        if (!result.ok) {
          onError(new Error(`cannot subscribe to \`${channel}\`: ${result.error}`));
        }
      },
      () => {
        // No answer in time: a server that does not acknowledge. Nothing to report.
      },
    );
}

/** One change to a model's rows, as a hook saw it. */
export type ModelChange<M extends ModelName> =
  | { kind: 'created'; model: M; data: Models[M]; receivedAt: number }
  | { kind: 'updated'; model: M; data: Models[M]; receivedAt: number }
  | { kind: 'deleted'; model: M; id: string; receivedAt: number };

export interface ModelRealtimeOptions<M extends ModelName> {
  /**
   * The rows to start from (server-rendered or fetched). Read once, on mount; `reset`
   * replaces the list later (after a refetch, say).
   */
  initial?: readonly Models[M][];
  /** How many changes `history` keeps, newest last. Default: `DEFAULT_HISTORY_LIMIT` (100). */
  historyLimit?: number;
  /** Called for every change, after it is applied. */
  onChange?: (change: ModelChange<M>) => void;
  /**
   * Called on every reconnection. `recovered` is false when the server could not replay the
   * outage: events may have been missed, so refetch and `reset`.
   */
  onReconnect?: (recovered: boolean) => void;
}

export interface ModelRealtime<M extends ModelName> {
  /** The live rows: `initial`, then every change applied by id, in first-seen order. */
  items: readonly Models[M][];
  byId: ReadonlyMap<string, Models[M]>;
  /** The last changes, oldest first, at most `historyLimit`. */
  history: readonly ModelChange<M>[];
  lastChange: ModelChange<M> | null;
  status: ConnectionStatus;
  isConnected: boolean;
  error: Error | null;
  ping: (timeoutMs?: number) => Promise<number>;
  /** Replaces the live rows (history is kept). */
  reset: (items: readonly Models[M][]) => void;
  clearHistory: () => void;
}

interface LiveRows<M extends ModelName> {
  byId: ReadonlyMap<string, Models[M]>;
  history: readonly ModelChange<M>[];
  lastChange: ModelChange<M> | null;
}

/** The generic hook behind the `use{Model}Realtime` hooks. Throws outside the provider. */
export function useModelRealtime<M extends ModelName>(
  model: M,
  options: ModelRealtimeOptions<M> = {},
): ModelRealtime<M> {
  const { socket, status, isConnected, error, subscribe, ping } = useRealtime();
  const [live, setLive] = useState<LiveRows<M>>(() => ({
    byId: indexById(options.initial ?? []),
    history: [],
    lastChange: null,
  }));
  const latest = useRef(options);

  useEffect(() => {
    latest.current = options;
  });

  useEffect(() => subscribe(CHANNEL_OF[model]), [subscribe, model]);

  useEffect(() => {
    if (socket === null) {
      return undefined;
    }
    const apply = (change: ModelChange<M>): void => {
      const limit = historyLimit(latest.current.historyLimit);
      setLive((previous) => applyChange(previous, change, limit));
      latest.current.onChange?.(change);
    };
    const onCreated = (...args: ModelEventArgs): void => {
      if (isFor(model, args)) {
        apply({ kind: 'created', model, data: args[1], receivedAt: Date.now() });
      }
    };
    const onUpdated = (...args: ModelEventArgs): void => {
      if (isFor(model, args)) {
        apply({ kind: 'updated', model, data: args[1], receivedAt: Date.now() });
      }
    };
    const onDeleted = (name: ModelName, id: string): void => {
      if (name === model) {
        apply({ kind: 'deleted', model, id, receivedAt: Date.now() });
      }
    };
    let connectedBefore = socket.connected;
    const onConnect = (): void => {
      if (connectedBefore) {
        // socket.io-client leaves `recovered` undefined when the server offers no recovery.
        latest.current.onReconnect?.(socket.recovered === true);
      }
      connectedBefore = true;
    };
    socket.on('model_created', onCreated);
    socket.on('model_updated', onUpdated);
    socket.on('model_deleted', onDeleted);
    socket.on('connect', onConnect);
    return () => {
      socket.off('model_created', onCreated);
      socket.off('model_updated', onUpdated);
      socket.off('model_deleted', onDeleted);
      socket.off('connect', onConnect);
    };
  }, [socket, model]);

  const reset = useCallback((items: readonly Models[M][]): void => {
    setLive((previous) => ({ ...previous, byId: indexById(items) }));
  }, []);

  const clearHistory = useCallback((): void => {
    setLive((previous) => ({ ...previous, history: [] }));
  }, []);

  const items = useMemo(() => [...live.byId.values()], [live.byId]);

  return useMemo(
    () => ({
      items,
      byId: live.byId,
      history: live.history,
      lastChange: live.lastChange,
      status,
      isConnected,
      error,
      ping,
      reset,
      clearHistory,
    }),
    [items, live, status, isConnected, error, ping, reset, clearHistory],
  );
}

/** The server sends a row of the model it names; this pairs the two for the type checker. */
function isFor<M extends ModelName>(
  model: M,
  args: readonly unknown[],
): args is [model: M, data: Models[M]] {
  return args[0] === model;
}

function applyChange<M extends ModelName>(
  live: LiveRows<M>,
  change: ModelChange<M>,
  limit: number,
): LiveRows<M> {
  const byId = new Map(live.byId);
  if (change.kind === 'deleted') {
    byId.delete(change.id);
  } else {
    byId.set(idOf(change.data), change.data);
  }
  const history = limit === 0 ? [] : [...live.history, change].slice(-limit);
  return { byId, history, lastChange: change };
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
"##;

pub(super) fn hook(spec: &ir::Spec, model: &ir::Model) -> String {
    let name = names::string(&model.name);
    let mut c = Code::new();
    c.line(super::header(spec));
    c.blank();
    c.line("import {");
    c.line("  useModelRealtime,");
    c.line("  type ModelRealtime,");
    c.line("  type ModelRealtimeOptions,");
    c.line("} from '../contexts/RealtimeContext.js';");
    c.blank();
    c.doc(&format!(
        "Live `{m}` rows from channel `{ch}`, over the connection of the nearest\n\
         `<RealtimeProvider>` (throws outside one).\n\
         \n\
         ```tsx\n\
         const {{ items, isConnected }} = {hook}({{ initial: rows }});\n\
         ```\n\
         \n\
         `items` starts from `initial` (read on mount; `reset(rows)` replaces it later) and\n\
         applies every `model_created`, `model_updated` and `model_deleted` of `{m}` by id.\n\
         `history` keeps the last `historyLimit` changes (default 100).",
        m = model.name,
        ch = model.channel,
        hook = hook_name(model),
    ));
    c.block(
        format!(
            "export function {}(options?: ModelRealtimeOptions<{name}>): ModelRealtime<{name}> {{",
            hook_name(model)
        ),
        "}",
        |c| c.line(format!("return useModelRealtime({name}, options);")),
    );
    c.finish()
}
