/**
 * The event log over a SQLite database's change table (docs/capture.md): the tables of the
 * generated `<stem>.capture.sqlite.sql` that the capture triggers fill with every committed
 * insert, update and delete of a model's row, whoever writes it (this process, Prisma, the
 * `sqlite3` shell, another service, a Rust server). The same table, positions and epoch as
 * the Rust `SqliteLog` of `sheplang-socketio`: a Node server on this log sends every committed
 * change, in commit order, and a client resumes across a restart.
 *
 * ```ts
 * import { SqliteChangeLog } from './api/realtime/capture.js';
 *
 * const log = SqliteChangeLog.open('app.sqlite3');        // the capture SQL has run on it
 * const realtime = new RealtimeServer(httpServer, { log });
 * // after a commit of this process (optional: other writes are found by the poll)
 * log.wake();
 * ```
 *
 * Choose it instead of the Prisma extension when anything but this process writes, or an event
 * must survive a crash right after the commit (docs/capture.md says when to choose which).
 * Needs the `better-sqlite3` package (only this file imports it). Its statements are those of
 * `capture/sqlite.sql`, beside this file: the file the Rust `SqliteLog` embeds too.
 */

import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';

import { isModelName, type Channel } from '../../types.js';
import type { EventLog, LogEntry, LogEvent, LogFeed, ModelEventName, Replay } from './server.js';

/** The settings of a `SqliteChangeLog`; the same knobs as the Rust `CaptureOptions`. */
export interface ChangeLogOptions {
  /** Time between two looks for writes no `wake()` announced, in ms. Default: 50. */
  pollMs?: number;
  /** At most this many relayed changes are kept per channel. Default: 10 000. */
  capacity?: number;
  /** Relayed changes older than this are removed, in ms. Default: 300 000. */
  maxAgeMs?: number;
}

/** How many changes one look reads per channel. */
const BATCH = 1000;
/** How often relayed changes past the retention are removed, in ms. */
const PRUNE_EVERY_MS = 1000;

/** The statements this reader runs, by their `-- name:` in `capture/sqlite.sql`. */
const NAMES = ['epoch', 'head', 'oldest', 'after', 'add_channel', 'count_up', 'append', 'prune'] as const;
type Name = (typeof NAMES)[number];

/** The statements of `capture/sqlite.sql`, by name: each follows its `-- name:` line. */
function statements(): Record<Name, string> {
  const file = readFileSync(new URL('./capture/sqlite.sql', import.meta.url), 'utf8');
  const found = new Map<string, string>();
  for (const section of file.split(/^-- name: /m).slice(1)) {
    const end = section.indexOf('\n');
    found.set(section.slice(0, end).trim(), section.slice(end + 1).trim());
  }
  const sql: Partial<Record<Name, string>> = {};
  for (const name of NAMES) {
    const text = found.get(name);
    if (text === undefined) throw new Error(`capture/sqlite.sql has no statement \`${name}\`; write the runtime files again`);
    sql[name] = text;
  }
  return sql as Record<Name, string>;
}

/** The statements' numbered parameters (`?1`, `?2`, ...): better-sqlite3 binds them by name. */
function params(...values: unknown[]): Record<string, unknown> {
  return Object.fromEntries(values.map((value, i) => [String(i + 1), value]));
}

interface ChangeRow {
  seq: number;
  kind: string;
  model: string;
  payload: string;
  before: string | null;
}

const KINDS: ReadonlyMap<string, ModelEventName> = new Map([
  ['created', 'model_created'],
  ['updated', 'model_updated'],
  ['deleted', 'model_deleted'],
]);

/** The change table's `kind` of an event. */
function kindOf(event: ModelEventName): string {
  return event.slice('model_'.length);
}

/** The row id of an event's payload: the id string of a delete, the row's `id`. */
function rowId(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (typeof payload === 'object' && payload !== null) {
    const id: unknown = Reflect.get(payload, 'id');
    return typeof id === 'string' ? id : JSON.stringify(id ?? '');
  }
  return '';
}

function entryOf(channel: string, row: ChangeRow): LogEntry {
  const event = KINDS.get(row.kind);
  if (event === undefined || !isModelName(row.model)) {
    throw new Error(
      `change ${row.seq} of \`${channel}\` holds kind \`${row.kind}\` of model \`${row.model}\`, which this app does not have; the change table is written only by the generated capture triggers`,
    );
  }
  const logEvent: LogEvent = { event, model: row.model, payload: JSON.parse(row.payload) as unknown };
  if (row.before !== null) {
    logEvent.before = JSON.parse(row.before) as unknown;
  }
  return { seq: row.seq, event: logEvent };
}

/**
 * The `EventLog` over a SQLite file's change table. It reads on a connection of its own; it
 * looks for new changes on `wake()` and every `pollMs`, hands them to the server in position
 * order, and removes relayed changes past the retention. Host emits (events that are not rows)
 * are appended to the same table with the next position.
 */
export class SqliteChangeLog implements EventLog {
  readonly epoch: string;
  private readonly db: Database.Database;
  private readonly options: Required<ChangeLogOptions>;
  private readonly feeds: LogFeed[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private looking = false;
  private closed = false;
  private lastPrune = 0;
  private readonly relayed = new Map<string, number>();
  /** Every statement, prepared once on this connection. */
  private readonly stmt: { readonly [K in Name]: Database.Statement };

  private constructor(
    readonly path: string,
    db: Database.Database,
    epoch: string,
    sql: Record<Name, string>,
    options: ChangeLogOptions,
  ) {
    this.db = db;
    this.epoch = epoch;
    const prepared: Partial<Record<Name, Database.Statement>> = {};
    for (const name of NAMES) prepared[name] = db.prepare(sql[name]);
    // The one-column statements give their value, not a row.
    for (const name of ['head', 'oldest', 'append'] as const) prepared[name]?.pluck();
    this.stmt = prepared as Record<Name, Database.Statement>;
    this.options = {
      pollMs: Math.max(1, options.pollMs ?? 50),
      capacity: options.capacity ?? 10_000,
      maxAgeMs: options.maxAgeMs ?? 300_000,
    };
  }

  /**
   * Opens the change log of the database file at `path`. Throws an error naming the file when
   * it has no change table (the capture SQL was not run on it).
   */
  static open(path: string, options: ChangeLogOptions = {}): SqliteChangeLog {
    const sql = statements();
    const db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    let epoch: unknown;
    try {
      epoch = db.prepare(sql.epoch).pluck().get();
    } catch (error) {
      db.close();
      throw new Error(
        `\`${path}\` has no change table (${error instanceof Error ? error.message : String(error)}); run the generated \`<stem>.capture.sqlite.sql\` on it after the tables (docs/capture.md)`,
      );
    }
    if (typeof epoch !== 'string') {
      db.close();
      throw new Error(`the change log of \`${path}\` has no epoch; run the generated \`<stem>.capture.sqlite.sql\` on it again`);
    }
    return new SqliteChangeLog(path, db, epoch, sql, options);
  }

  private head(channel: string): number {
    return (this.stmt.head.get(params(channel)) as number | undefined) ?? 0;
  }

  append(channel: Channel, event: LogEvent): number {
    const seq = this.db.transaction(() => {
      this.stmt.add_channel.run(params(channel));
      this.stmt.count_up.run(params(channel));
      return this.stmt.append.get(
        params(
          channel,
          kindOf(event.event),
          event.model,
          rowId(event.payload),
          JSON.stringify(event.payload),
          event.before === undefined ? null : JSON.stringify(event.before),
        ),
      ) as number;
    }).immediate();
    this.wake();
    return seq;
  }

  read(channel: Channel, since: number | undefined): Replay {
    return this.db.transaction((): Replay => {
      const head = this.head(channel);
      if (since === undefined || since === head) {
        return { reset: false, entries: [], head };
      }
      if (since > head || head - since > this.options.capacity) {
        return { reset: true, head };
      }
      const oldest = (this.stmt.oldest.get(params(channel)) as number | null) ?? head + 1;
      if (since + 1 < oldest) {
        return { reset: true, head };
      }
      const rows = this.stmt.after.all(params(channel, since, head - since)) as ChangeRow[];
      return { reset: false, entries: rows.map((row) => entryOf(channel, row)), head };
    }).deferred();
  }

  /** Starts relaying every channel of `feed` from its head now. */
  async follow(feed: LogFeed): Promise<boolean> {
    this.db.transaction(() => {
      for (const channel of feed.channels) {
        if (!this.relayed.has(channel)) this.relayed.set(channel, this.head(channel));
      }
    }).deferred();
    this.feeds.push(feed);
    this.schedule(0);
    return Promise.resolve(true);
  }

  /** Notifications go to the clients of this process's servers (a database is no channel between processes). */
  async notify(message: string, data: unknown): Promise<void> {
    for (const feed of this.feeds) feed.notification(message, data);
    return Promise.resolve();
  }

  /** A commit happened in this process: look at the change table now. */
  wake(): void {
    if (!this.looking) this.schedule(0);
  }

  /** Stops relaying and closes the connection. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.db.close();
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.look(), ms);
  }

  /** Reads the changes after what was relayed and hands them to the servers, in order. */
  private async look(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    this.feeds.splice(0, this.feeds.length, ...this.feeds.filter((feed) => !feed.closed()));
    if (this.feeds.length === 0) return;
    this.looking = true;
    let relayedNow = 0;
    try {
      const batch = this.db.transaction(() =>
        [...this.relayed].map(([channel, after]) => ({
          channel,
          rows: this.stmt.after.all(params(channel, after, BATCH)) as ChangeRow[],
        })),
      ).deferred();
      for (const { channel, rows } of batch) {
        for (const row of rows) {
          let entry: LogEntry;
          try {
            entry = entryOf(channel, row);
          } catch (error) {
            // A change this app cannot read (not written by its triggers): said once, and its
            // clients reload at the gap instead of the channel stalling on it.
            process.emitWarning(error instanceof Error ? error.message : String(error), 'SheplangCapture');
            for (const feed of this.feeds) feed.gap(channel as Channel, row.seq);
            this.relayed.set(channel, row.seq);
            relayedNow += 1;
            continue;
          }
          for (const feed of this.feeds) feed.event(channel as Channel, entry.seq, this.epoch, entry.event);
          this.relayed.set(channel, entry.seq);
          relayedNow += 1;
        }
      }
      if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        this.prune();
      }
      if (relayedNow > 0) {
        await Promise.all(this.feeds.map((feed) => feed.room()));
      }
    } catch {
      // The database could not be read (busy, or an I/O error): tried again at the next look.
    } finally {
      this.looking = false;
    }
    this.schedule(relayedNow > 0 ? 0 : this.options.pollMs);
  }

  /** Removes relayed changes older than `maxAgeMs` or beyond `capacity` per channel. */
  private prune(): void {
    const before = Math.floor((Date.now() - this.options.maxAgeMs) / 1000);
    for (const [channel, relayed] of this.relayed) {
      const head = this.head(channel);
      this.stmt.prune.run(params(channel, relayed, before, Math.max(0, head - this.options.capacity)));
    }
  }
}
