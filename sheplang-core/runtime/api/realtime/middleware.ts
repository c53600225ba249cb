/**
 * A Prisma 7 client extension that broadcasts every write to a data model of the app through
 * the realtime server: one `model_created`, `model_updated` or `model_deleted` per affected row,
 * with the row's real id, once the write has succeeded.
 * ```ts
 * import { PrismaClient } from './generated/prisma/client.js';
 * import { realtimeExtension } from './api/realtime/middleware.js';
 *
 * const prisma = new PrismaClient({ adapter }).$extends(realtimeExtension(realtime));
 * ```
 *
 * `$extends` returns a NEW client and leaves the one it is called on unchanged: make every
 * write through the returned client, or it is not broadcast.
 *
 * How each write is observed:
 * - `create`, `update`, `delete`, `createManyAndReturn`, `updateManyAndReturn`: from the rows
 *   the write returns. The fields an event needs are added to a `select` (or taken out of an
 *   `omit`) and removed again from what the caller gets back.
 * - `createMany` and `updateMany` run as `createManyAndReturn` and `updateManyAndReturn`: one
 *   statement that returns exactly the rows it wrote; the caller still gets `{ count }`. This
 *   needs a database with `RETURNING` (PostgreSQL, CockroachDB, SQLite).
 * - `deleteMany` reads the matching ids, then deletes those rows; `upsert` looks up its `where`,
 *   then upserts, so that the event says `created` or `updated` truthfully. The two statements
 *   run in the caller's interactive transaction, or else in a new one.
 * A write that fails broadcasts nothing, and the caller gets Prisma's error about its own call,
 * unchanged. Models outside the spec pass through untouched, and so do reads. Nested writes (rows
 * created inside another model's `data`) and raw SQL are not seen by a query extension and are not
 * broadcast.
 *
 * `$transaction` of the extended client (interactive, batch or nested) holds the events of its
 * writes back until it commits, and drops them if it fails. A batch `$transaction([...])` has no
 * room for a second statement: an `upsert` or `deleteMany` there runs unchanged and goes to
 * `onUntracked` instead of being broadcast. Use the extended client's `$transaction`: the base
 * client's does not hold events back.
 *
 * Extensions applied after this one see the statements that really run (a `createMany` as
 * `createManyAndReturn`, the read before an `upsert` or `deleteMany`); those applied before it
 * see each call once, as it was made.
 *
 * This relies on details of Prisma 7 that are not public API: the request Prisma passes a query
 * extension besides its arguments (`__internalParams`: action, call site, transaction), the
 * second argument of `query`, which runs another request in the write's place, and the
 * transaction an interactive transaction client carries. All are checked. Without the first two,
 * `createMany`, `updateMany`, `upsert` and `deleteMany` run unchanged and go to `onUntracked`,
 * and events are sent as soon as each write returns; without the last, an `upsert` or
 * `deleteMany` outside a transaction runs its two statements without one.
 *
 * Every write is checked against the spec's constraints first (`RULES` of `types.ts`, the same
 * rules as the Rust `validate()`): the values a `create`, `createMany`, `update`, `updateMany`
 * or `upsert` gives (in `data`, or `create` and `update`) must keep every constraint, or the
 * write is refused with a `ValidationError` listing every violation, before any statement runs.
 * Only the fields given are checked (a field left out keeps its default or its value); an update
 * operation other than `{ set: value }` (`increment`, ...) is left to the database.
 *
 * The Prisma schema is expected to mirror the spec: the same model names, an `id` primary key,
 * and a field named after each spec field (a `ref[X]` as the scalar id, a bare model-typed field
 * as a relation). A row whose values do not fit the spec is not broadcast; the server's logger
 * says why.
 */

import { AsyncLocalStorage } from 'node:async_hooks';

import { Prisma } from '@prisma/client/extension';

import { isModelName, RULES, type ModelName, type Models } from '../../types.js';
import { checkPresent, ValidationError, type Violation } from '../../validate.js';
import { isRecord, type Fields, type PrismaRecord } from './readers.js';
import { FIELDS, TO_WIRE } from './records.js';
import type { RealtimeServer } from './server.js';

/**
 * Where the extension sends its events: a `RealtimeServer`, or a `Publisher` of `./redis.js`
 * (a process with no Socket.IO server publishing into the shared log).
 */
export type RealtimeTarget = Pick<RealtimeServer, 'emitModelCreated' | 'emitModelUpdated' | 'emitModelDeleted' | 'logger'>;

export interface RealtimeExtensionOptions {
  /**
   * Called for a write that runs unchanged and is not broadcast: an `upsert` or `deleteMany`
   * inside a batch `$transaction([...])` (see above). Default: a warning through the server's
   * logger.
   */
  onUntracked?: (model: ModelName, operation: string) => void;
}

/** Only the id: what a delete event needs. */
const ID_ONLY: Fields = { scalars: ['id'], relations: [] };

/** The writes this extension reports. */
const WRITES = [
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
] as const;

type Write = (typeof WRITES)[number];

/**
 * The events of the writes made inside one `$transaction` of the extended client: sent once it
 * commits (for a nested transaction: handed to the enclosing one), dropped if it fails.
 */
interface Outbox {
  readonly sends: (() => void)[];
}

/** Where a write runs. */
type Context = 'none' | 'interactive' | 'batch';

/** Runs `action` of the model in the write's place, or in `transaction` when given. */
type Run = (action: string, args: PrismaRecord, transaction?: PrismaRecord) => Promise<unknown>;

/** One intercepted write. */
interface WriteCall<M extends ModelName> {
  realtime: RealtimeTarget;
  model: M;
  operation: Write;
  args: unknown;
  /** Runs the write with these arguments, as Prisma's `query` does. */
  query: (args: unknown) => Promise<unknown>;
  /**
   * Runs another statement in the write's place: through the extensions applied after this one,
   * in the write's transaction, reported at the caller's call site. Undefined when this Prisma
   * client does not offer it (see `requestOf`).
   */
  run: Run | undefined;
  context: Context;
  /** Sends an event: now, or once the write's transaction has committed. */
  send: (event: () => void) => void;
  /** Starts an interactive transaction (Prisma's own `$transaction`, on the client extended). */
  begin: (body: (tx: unknown) => Promise<unknown>) => Promise<unknown>;
  onUntracked: (model: ModelName, operation: string) => void;
}

/** The client extension; see the top of this file. */
export function realtimeExtension(realtime: RealtimeTarget, options: RealtimeExtensionOptions = {}) {
  const onUntracked =
    options.onUntracked ??
    ((model: ModelName, operation: string): void => {
      report(realtime, 'warn', `\`${model}.${operation}\` is not broadcast`, { model, operation });
    });
  /** The outbox of the `$transaction` the current code runs in. */
  const outboxes = new AsyncLocalStorage<Outbox>();
  /** The outbox of each transaction client, for the transactions nested in it. */
  const outboxOf = new WeakMap<object, Outbox>();
  return Prisma.defineExtension((client) => {
    const begin: unknown = Reflect.get(client, '$transaction');
    const methods = {
      /** Prisma's own `$transaction`, with an outbox per transaction. */
      $transaction(this: unknown, ...args: unknown[]): Promise<unknown> {
        if (typeof begin !== 'function') {
          return Promise.reject(new Error('the Prisma client has no `$transaction`'));
        }
        const parent = isObject(this) ? outboxOf.get(this) : undefined;
        const outbox: Outbox = { sends: [] };
        const [first, ...rest] = args;
        const forward =
          typeof first === 'function'
            ? [
                (tx: unknown): unknown => {
                  if (isObject(tx)) {
                    outboxOf.set(tx, outbox);
                  }
                  return Reflect.apply(first, undefined, [tx]);
                },
                ...rest,
              ]
            : args;
        const result: unknown = outboxes.run(outbox, () => Reflect.apply(begin, this, forward));
        return Promise.resolve(result).then((value) => {
          if (parent !== undefined) {
            parent.sends.push(...outbox.sends);
          } else {
            for (const send of outbox.sends) {
              send();
            }
          }
          return value;
        });
      },
    };
    return client.$extends({
      name: 'sheplang-realtime',
      // Typed as nothing new, so that `$transaction` keeps Prisma's own types.
      client: methods as Record<never, never>,
      query: {
        $allModels: {
          async $allOperations(params) {
            const { model, operation } = params;
            const args: unknown = params.args;
            if (!isModelName(model) || !isWrite(operation)) {
              return params.query(params.args);
            }
            const request = requestOf(params);
            const run: Run | undefined =
              request === undefined
                ? undefined
                : (action, next, transaction) =>
                    rerun(params, next, { ...request, action, ...(transaction ? { transaction } : {}) });
            const context = contextOf(request);
            const outbox = context === 'none' ? undefined : outboxes.getStore();
            return observe({
              realtime,
              model,
              operation,
              args,
              // Prisma validates the arguments at run time; the extension only adds fields.
              query: (next) => params.query(next as typeof params.args),
              run,
              context,
              send: (event) => {
                if (outbox === undefined) {
                  sendNow(realtime, event);
                } else {
                  outbox.sends.push(() => sendNow(realtime, event));
                }
              },
              begin: async (body) => {
                if (typeof begin !== 'function') {
                  throw new Error('the Prisma client has no `$transaction`');
                }
                const result: unknown = await Reflect.apply(begin, client, [body]);
                return result;
              },
              onUntracked,
            });
          },
        },
      },
    });
  });
}

/** Thrown when Prisma rejects arguments as this extension changed them. */
class ArgumentsRejected {
  constructor(readonly error: unknown) {}
}

/** Runs one write and broadcasts what it did. */
async function observe<M extends ModelName>(call: WriteCall<M>): Promise<unknown> {
  const violations = violationsOf(call.model, call.args);
  if (violations.length > 0) {
    throw new ValidationError(call.model, violations);
  }
  try {
    return await track(call);
  } catch (error) {
    if (!(error instanceof ArgumentsRejected)) {
      throw error;
    }
    // Run the caller's own arguments: it gets Prisma's error about its own call (or, should
    // they pass, its result, not broadcast).
    const result = await call.query(call.args);
    report(call.realtime, 'error', `\`${call.model}.${call.operation}\` is not broadcast`, {
      model: call.model,
      operation: call.operation,
      error: error.error,
    });
    return result;
  }
}

async function track<M extends ModelName>(call: WriteCall<M>): Promise<unknown> {
  const { model, operation, args, run } = call;
  switch (operation) {
    case 'create':
    case 'update':
    case 'createManyAndReturn':
    case 'updateManyAndReturn': {
      const request = withFields(args, FIELDS[model]);
      const result = await changed(call.query(request.args), request.changed);
      const kind = operation === 'create' || operation === 'createManyAndReturn' ? 'created' : 'updated';
      broadcastRows(call, kind, Array.isArray(result) ? result : [result]);
      return request.strip(result);
    }
    case 'delete': {
      const request = withFields(args, ID_ONLY);
      const row = await changed(call.query(request.args), request.changed);
      broadcastDeleted(call, idsOf([row]));
      return request.strip(row);
    }
    case 'createMany':
    case 'updateMany': {
      if (run === undefined) {
        return untracked(call);
      }
      // The same statement, returning the rows it wrote.
      const request = withFields(args, FIELDS[model]);
      const rows = asArray(await changed(run(`${operation}AndReturn`, request.args), true));
      broadcastRows(call, operation === 'createMany' ? 'created' : 'updated', rows);
      return { count: rows.length };
    }
    case 'upsert':
    case 'deleteMany': {
      // Two statements, which must see the same rows: in the caller's interactive transaction,
      // or a new one. A batch `$transaction([...])` has no room for a second statement.
      if (run === undefined || call.context === 'batch') {
        return untracked(call);
      }
      const body = operation === 'upsert' ? upsert : deleteMany;
      return call.context === 'none' ? transact(call, run, body) : body(call, run);
    }
  }
}

async function upsert<M extends ModelName>(call: WriteCall<M>, run: Run): Promise<unknown> {
  const existing = await changed(run('findUnique', { where: recordAt(call.args, 'where'), select: { id: true } }), true);
  const request = withFields(call.args, FIELDS[call.model]);
  const row = await changed(run('upsert', request.args), request.changed);
  broadcastRows(call, existing === null ? 'created' : 'updated', [row]);
  return request.strip(row);
}

async function deleteMany<M extends ModelName>(call: WriteCall<M>, run: Run): Promise<unknown> {
  const args = isRecord(call.args) ? call.args : {};
  const where = recordAt(args, 'where');
  const limit = args['limit'];
  const found = idsOf(
    await changed(
      run('findMany', { where, select: { id: true }, ...(typeof limit === 'number' ? { take: limit } : {}) }),
      true,
    ),
  );
  const count = countOf(await changed(run('deleteMany', { ...args, where: { AND: [where, { id: { in: found } }] } }), true));
  let ids = found;
  if (count !== found.length) {
    // Some rows changed or went away meanwhile: report exactly the ones that are gone.
    const left = new Set(idsOf(await run('findMany', { where: { id: { in: found } }, select: { id: true } })));
    ids = found.filter((id) => !left.has(id));
  }
  broadcastDeleted(call, ids);
  return { count };
}

/** What the values a write gives (`data`, or an upsert's `create` and `update`) break. */
function violationsOf(model: ModelName, args: unknown): Violation[] {
  if (!isRecord(args)) {
    return [];
  }
  const rules = RULES[model];
  const out: Violation[] = [];
  for (const key of ['data', 'create', 'update']) {
    const given = args[key];
    for (const row of Array.isArray(given) ? given : [given]) {
      if (isRecord(row)) {
        out.push(...checkPresent(rules, row));
      }
    }
  }
  return out;
}

/**
 * `attempt`, a statement whose arguments this extension `changed`; when Prisma rejects them,
 * `ArgumentsRejected` makes `observe` run the caller's own instead.
 */
async function changed(attempt: Promise<unknown>, changedArgs: boolean): Promise<unknown> {
  try {
    return await attempt;
  } catch (error) {
    throw changedArgs && isValidationError(error) ? new ArgumentsRejected(error) : error;
  }
}

function isValidationError(error: unknown): boolean {
  return error instanceof Error && error.name === 'PrismaClientValidationError';
}

function untracked<M extends ModelName>(call: WriteCall<M>): Promise<unknown> {
  call.onUntracked(call.model, call.operation);
  return call.query(call.args);
}

function isWrite(operation: string): operation is Write {
  return WRITES.some((write) => write === operation);
}

/**
 * The request Prisma is running, from the `__internalParams` it passes a query extension
 * besides the documented `model`, `operation`, `args` and `query` (its action, call site and
 * transaction). That, and the second argument of `query` that replaces it, are not public
 * API: both are checked, and without them `createMany`, `updateMany`, `upsert` and `deleteMany`
 * run unchanged and go to `onUntracked`.
 */
function requestOf(params: object): PrismaRecord | undefined {
  const internal: unknown = Reflect.get(params, '__internalParams');
  const query: unknown = Reflect.get(params, 'query');
  if (!isRecord(internal) || typeof internal['action'] !== 'string' || typeof query !== 'function') {
    return undefined;
  }
  return { ...internal };
}

/** Prisma's `query` with a request of our own: another action in the write's place. */
async function rerun(params: object, args: PrismaRecord, request: PrismaRecord): Promise<unknown> {
  const query: unknown = Reflect.get(params, 'query');
  if (typeof query !== 'function') {
    throw new Error('the Prisma client has no `query`');
  }
  const result: unknown = await Reflect.apply(query, undefined, [args, request]);
  return result;
}

/** Where a request runs: outside a transaction, in an interactive one or in a batch. */
function contextOf(request: PrismaRecord | undefined): Context {
  const transaction = request?.['transaction'];
  if (transaction === undefined || transaction === null) {
    return 'none';
  }
  return isRecord(transaction) && transaction['kind'] === 'itx' ? 'interactive' : 'batch';
}

/** What `transact` returns when it could not run its body in the transaction it started. */
const NOT_RUN: unique symbol = Symbol('not run');

/**
 * Runs `body` with its statements in a new interactive transaction; its events go out once
 * that has committed. The statements still go through `run` (the extensions applied after this
 * one see them, errors name the caller's call): only the transaction is new. Should the
 * transaction be out of reach (see `transactionOf`), `body` runs without one.
 */
async function transact<M extends ModelName>(
  call: WriteCall<M>,
  run: Run,
  body: (call: WriteCall<M>, run: Run) => Promise<unknown>,
): Promise<unknown> {
  const sends: (() => void)[] = [];
  const result = await call.begin(async (tx) => {
    const transaction = await transactionOf(tx);
    if (transaction === undefined) {
      return NOT_RUN;
    }
    return body(
      { ...call, context: 'interactive', send: (event) => sends.push(event) },
      (action, args) => run(action, args, transaction),
    );
  });
  if (result === NOT_RUN) {
    return body(call, run);
  }
  for (const send of sends) {
    call.send(send);
  }
  return result;
}

/**
 * The transaction of an interactive transaction client as Prisma passes it with each request
 * (`{ kind: 'itx', id }`), read through the client's `_createPrismaPromise`, not public API
 * either: undefined when that is not there.
 */
async function transactionOf(tx: unknown): Promise<PrismaRecord | undefined> {
  const create: unknown = isObject(tx) ? Reflect.get(tx, '_createPrismaPromise') : undefined;
  if (typeof create !== 'function') {
    return undefined;
  }
  let found: unknown;
  await Reflect.apply(create, tx, [
    (transaction: unknown): Promise<null> => {
      found = transaction;
      return Promise.resolve(null);
    },
  ]);
  return isRecord(found) && found['kind'] === 'itx' ? found : undefined;
}

/**
 * `args` with the fields an event needs added to its `select` (or taken out of its `omit`, or
 * added to its `include` for relations), `changed` when any was, and `strip`, which removes
 * what was added from the result the caller gets back.
 */
function withFields(
  args: unknown,
  fields: Fields,
): { args: PrismaRecord; changed: boolean; strip: (result: unknown) => unknown } {
  const next: PrismaRecord = isRecord(args) ? { ...args } : {};
  const added: string[] = [];
  let changedArgs = false;
  const select = next['select'];
  if (isRecord(select)) {
    const wanted: PrismaRecord = { ...select };
    for (const field of [...fields.scalars, ...fields.relations]) {
      if (wanted[field] === undefined || wanted[field] === false) {
        wanted[field] = true;
        added.push(field);
      }
    }
    next['select'] = wanted;
  } else {
    const omit = next['omit'];
    if (isRecord(omit)) {
      const kept: PrismaRecord = { ...omit };
      for (const field of fields.scalars) {
        if (kept[field] === true) {
          kept[field] = false;
          added.push(field);
        }
      }
      next['omit'] = kept;
    }
    if (fields.relations.length > 0) {
      const include = next['include'];
      const wanted: PrismaRecord = isRecord(include) ? { ...include } : {};
      for (const field of fields.relations) {
        if (wanted[field] === undefined || wanted[field] === false) {
          wanted[field] = true;
          added.push(field);
        }
      }
      next['include'] = wanted;
      changedArgs = true;
    }
  }
  const stripRow = (row: unknown): unknown => {
    if (!isRecord(row)) {
      return row;
    }
    const copy: PrismaRecord = { ...row };
    for (const field of added) {
      delete copy[field];
    }
    return copy;
  };
  return {
    args: next,
    changed: changedArgs || added.length > 0,
    strip: (result) => {
      if (added.length === 0) {
        return result;
      }
      return Array.isArray(result) ? result.map((row: unknown) => stripRow(row)) : stripRow(result);
    },
  };
}

function broadcastRows<M extends ModelName>(
  call: WriteCall<M>,
  kind: 'created' | 'updated',
  rows: readonly unknown[],
): void {
  const { realtime, model } = call;
  const toWire = TO_WIRE[model];
  for (const row of rows) {
    let data: Models[M];
    try {
      data = toWire(isRecord(row) ? row : {});
    } catch (error) {
      report(realtime, 'error', `cannot broadcast a \`${model}\` row`, { model, error });
      continue;
    }
    call.send(() => {
      if (kind === 'created') {
        realtime.emitModelCreated(model, data);
      } else {
        realtime.emitModelUpdated(model, data);
      }
    });
  }
}

function broadcastDeleted<M extends ModelName>(call: WriteCall<M>, ids: readonly unknown[]): void {
  const { realtime, model } = call;
  for (const id of ids) {
    if (typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint') {
      call.send(() => realtime.emitModelDeleted(model, String(id)));
    } else {
      report(realtime, 'error', `cannot broadcast a \`${model}\` delete`, { model, id });
    }
  }
}

/** Sends one event; a failure is logged, never thrown at the write that caused it. */
function sendNow(realtime: RealtimeTarget, event: () => void): void {
  try {
    event();
  } catch (error) {
    report(realtime, 'error', 'cannot send an event', { error });
  }
}

/** The `id` of each row, as Prisma returned it (numbers stay numbers for the next query). */
function idsOf(rows: unknown): unknown[] {
  return asArray(rows).map((row: unknown) => (isRecord(row) ? row['id'] : undefined));
}

function countOf(result: unknown): number {
  return isRecord(result) && typeof result['count'] === 'number' ? result['count'] : 0;
}

function recordAt(args: unknown, key: string): PrismaRecord {
  const value = isRecord(args) ? args[key] : undefined;
  return isRecord(value) ? value : {};
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function report(
  realtime: RealtimeTarget,
  level: 'warn' | 'error',
  message: string,
  details: Record<string, unknown>,
): void {
  try {
    realtime.logger[level]?.(message, details);
  } catch {
    // A failing logger must not fail the write.
  }
}
