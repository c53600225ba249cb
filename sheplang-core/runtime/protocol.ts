// The wire protocol's shapes (docs/wire.md), the same for every spec: generic over a spec's
// `Models` (every model by name) and `Channel` union. `types.ts` instantiates them with the
// spec's own types and re-exports the rest, so code imports everything from `types.ts`.

/** True when `value` is one of `list`: the spec's channel and model-name guards use it. */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return list.some((item) => item === value);
}

/**
 * A field a subscription may filter on (docs/wire.md, "Filtered subscriptions"): its spec
 * name, what it holds on the wire, and whether it is optional (`null` may be asked for).
 */
export type FilterField = readonly [name: string, kind: 'text' | 'number' | 'boolean', optional: boolean];

/** The answer to `subscribe` and `unsubscribe`. */
export type SubscribeResult = { ok: true } | { ok: false; error: string };

/**
 * The options of `subscribe(channel, options, ack)` (docs/wire.md, "Positions and resume"):
 * `{}` for a fresh subscription with positions, `{ since, epoch }` to get what was missed.
 */
export interface SubscribeOptions {
  since?: number;
  epoch?: string;
  /** Only the rows whose fields equal these values (docs/wire.md, "Filtered subscriptions"). */
  filter?: Record<string, string | number | boolean | null>;
}

/**
 * The answer to `subscribe` with options: the log's `epoch`, the channel's last position
 * `seq`, and `reset: true` when the missed events are gone (load the rows again).
 */
export type ResumeResult = { ok: true; epoch: string; seq: number; reset?: true } | { ok: false; error: string };

/** What the server sends in `connected`. */
export interface ServerInfo {
  app: string;
  fingerprint: string;
}

/** The arguments of `model_created` and `model_updated`: a model name and a row of that model. */
export type ModelEventArgsOf<Models> = {
  [M in keyof Models & string]: [model: M, data: Models[M]];
}[keyof Models & string];

/**
 * The arguments of `model_created` and `model_updated` on a channel subscribed with options:
 * the row's position in its channel's log comes last (docs/wire.md, "Positions and resume").
 */
export type PositionedEventArgsOf<Models> = {
  [M in keyof Models & string]: [model: M, data: Models[M], seq: number];
}[keyof Models & string];

/** Events the server sends. */
export interface ServerToClientEventsOf<Models> {
  /**
   * A row was created; sent to the model's channel. On a channel subscribed with options, a
   * third argument follows: `PositionedEventArgs`.
   */
  model_created: (...args: ModelEventArgsOf<Models>) => void;
  /** A row changed; sent to the model's channel (likewise). */
  model_updated: (...args: ModelEventArgsOf<Models>) => void;
  /** A row was deleted; sent to the model's channel (likewise, `seq: number` after `id`). */
  model_deleted: (model: keyof Models & string, id: string) => void;
  /** A message for everyone. */
  notification: (message: string, data?: unknown) => void;
  /** Sent once, right after the connection is accepted. */
  connected: (info: ServerInfo) => void;
}

/** Events a client sends. */
export interface ClientToServerEventsOf<Channel extends string> {
  /**
   * Joins a channel with positions: its model events carry `seq`, and `since` replays what was
   * missed. (The old form, `subscribe(channel, ack)`, answers `SubscribeResult`.)
   */
  subscribe: (
    channel: Channel,
    options?: SubscribeOptions | ((result: SubscribeResult) => void),
    ack?: (result: ResumeResult) => void,
  ) => void;
  /** Leaves a channel's room. */
  unsubscribe: (channel: Channel, ack?: (result: SubscribeResult) => void) => void;
  /** Calls `ack` back: a round trip to measure latency or check liveness. */
  ping: (ack: () => void) => void;
}

/** Events between servers of a cluster: none. */
export interface InterServerEvents {}

/** Per-connection data (`socket.data`): free for the host, e.g. the authenticated user. */
export interface SocketData {
  [key: string]: unknown;
}
