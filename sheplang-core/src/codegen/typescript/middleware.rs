//! `api/realtime/middleware.ts`: a Prisma 7 client extension that broadcasts every write.
//!
//! Spec-specific: the field table (`FIELDS`) and one converter per model (`TO_WIRE`, a Prisma
//! record to its wire JSON per docs/wire.md), plus only the value readers those use.
//! Everything else is fixed text.

use std::collections::BTreeSet;

use super::names;
use super::writer::Code;
use crate::ir::{self, FieldType};

pub(super) fn generate(spec: &ir::Spec) -> String {
    let mut c = Code::new();
    c.line(super::header(spec));
    c.blank();
    c.doc(&format!("{}{DOC}", intro(&spec.app)));
    c.blank();
    c.raw(IMPORTS);
    c.blank();
    c.raw(OPTIONS);
    c.blank();

    let mut readers = BTreeSet::new();
    fields_table(&mut c, spec);
    c.blank();
    converters(&mut c, spec, &mut readers);
    c.blank();
    c.raw(EXTENSION);
    if !readers.is_empty() {
        c.blank();
        c.raw(WIRE_ERROR);
        if readers.contains("asNumber") || readers.contains("asMoney") {
            c.blank();
            c.raw(DECIMAL);
        }
        for (name, text) in READERS {
            if readers.contains(name) {
                c.blank();
                c.raw(text);
            }
        }
    }
    c.finish()
}

fn intro(app: &str) -> String {
    format!(
        "A Prisma 7 client extension that broadcasts every write to a data model of app `{app}`\n\
         through the realtime server: one `model_created`, `model_updated` or `model_deleted` per\n\
         affected row, with the row's real id, once the write has succeeded.\n"
    )
}

const DOC: &str = r##"
```ts
import { PrismaClient } from './generated/prisma/client.js';
import { realtimeExtension } from './api/realtime/middleware.js';

const prisma = new PrismaClient({ adapter }).$extends(realtimeExtension(realtime));
```

`$extends` returns a NEW client and leaves the one it is called on unchanged: make every
write through the returned client, or it is not broadcast.

How each write is observed:
- `create`, `update`, `delete`, `createManyAndReturn`, `updateManyAndReturn`: from the rows
  the write returns. The fields an event needs are added to a `select` (or taken out of an
  `omit`) and removed again from what the caller gets back.
- `createMany` and `updateMany` run as `createManyAndReturn` and `updateManyAndReturn`: one
  statement that returns exactly the rows it wrote; the caller still gets `{ count }`. This
  needs a database with `RETURNING` (PostgreSQL, CockroachDB, SQLite).
- `deleteMany` reads the matching ids and deletes those rows in one transaction.
- `upsert` looks up its `where` and upserts in one transaction, so the event says `created`
  or `updated` truthfully.
A write that fails broadcasts nothing. Models outside the spec pass through untouched, and so
do reads. Nested writes (rows created inside another model's `data`) are not seen by a query
extension and are not broadcast.

Inside the caller's own `$transaction`, events go out when each write returns, before the
transaction commits. There an extension cannot read within the caller's transaction
(Prisma issue #20678), so `upsert`, `createMany`, `updateMany` and `deleteMany` run unchanged
and are reported to `onUntracked` instead of being broadcast; the other writes are tracked.

The Prisma schema is expected to mirror the spec: the same model names, an `id` primary key,
and a field named after each spec field (a `ref[X]` as the scalar id, a bare model-typed field
as a relation). A row whose values do not fit the spec is not broadcast; the server's logger
says why."##;

const IMPORTS: &str = r##"
import { Prisma } from '@prisma/client/extension';

import { isModelName, type ModelName, type Models } from '../../types.js';
import type { RealtimeServer } from './server.js';
"##;

const OPTIONS: &str = r##"
export interface RealtimeExtensionOptions {
  /**
   * Called for an `upsert`, `createMany`, `updateMany` or `deleteMany` inside the caller's own
   * `$transaction`, which runs unchanged and is not broadcast (see above). Default: a warning
   * through the server's logger.
   */
  onUntracked?: (model: ModelName, operation: string) => void;
}

/** A Prisma arguments object or returned record, not yet checked. */
type PrismaRecord = Record<string, unknown>;

/** The spec's fields of a model as Prisma knows them. */
interface Fields {
  /** Columns, `id` first. */
  readonly scalars: readonly string[];
  /** Bare model-typed fields: relations to include. */
  readonly relations: readonly string[];
}
"##;

fn fields_table(c: &mut Code, spec: &ir::Spec) {
    c.doc("The fields each event needs, per model.");
    if spec.models.is_empty() {
        c.line("const FIELDS: { readonly [M in ModelName]: Fields } = {};");
        return;
    }
    c.block(
        "const FIELDS: { readonly [M in ModelName]: Fields } = {",
        "};",
        |c| {
            for model in &spec.models {
                let mut scalars = vec![names::string("id")];
                let mut relations = Vec::new();
                for field in model.fields.iter().filter(|f| f.name != "id") {
                    match field.ty {
                        FieldType::Model { .. } => relations.push(names::string(&field.name)),
                        _ => scalars.push(names::string(&field.name)),
                    }
                }
                let key = names::literal_key(&model.name);
                let (scalars, relations) = (scalars.join(", "), relations.join(", "));
                let one_line =
                    format!("{key}: {{ scalars: [{scalars}], relations: [{relations}] }},");
                if one_line.len() <= 96 {
                    c.line(one_line);
                } else {
                    c.block(format!("{key}: {{"), "},", |c| {
                        c.line(format!("scalars: [{scalars}],"));
                        c.line(format!("relations: [{relations}],"));
                    });
                }
            }
        },
    );
}

fn converters(c: &mut Code, spec: &ir::Spec, readers: &mut BTreeSet<&'static str>) {
    c.doc("Reads a Prisma record of each model into its wire JSON (docs/wire.md).");
    if spec.models.is_empty() {
        c.line(
            "const TO_WIRE: { readonly [M in ModelName]: (record: PrismaRecord) => Models[M] } = {};",
        );
        return;
    }
    c.block(
        "const TO_WIRE: { readonly [M in ModelName]: (record: PrismaRecord) => Models[M] } = {",
        "};",
        |c| {
            for model in &spec.models {
                c.block(
                    format!("{}: (record) => ({{", names::literal_key(&model.name)),
                    "}),",
                    |c| {
                        readers.insert("asId");
                        c.line(format!(
                            "id: asId({}, {}),",
                            names::index("record", "id"),
                            names::string(&format!("{}.id", model.name))
                        ));
                        for field in model.fields.iter().filter(|f| f.name != "id") {
                            c.line(format!(
                                "{}: {},",
                                names::literal_key(&field.name),
                                read_field(model, field, readers)
                            ));
                        }
                    },
                );
            }
        },
    );
}

/// The expression that reads one field from `record`.
fn read_field(
    model: &ir::Model,
    field: &ir::Field,
    readers: &mut BTreeSet<&'static str>,
) -> String {
    let value = names::index("record", &field.name);
    let path = names::string(&format!("{}.{}", model.name, field.name));
    // A reader is a function `(value, path) => T`.
    let item = match &field.ty {
        FieldType::Model { model } => {
            readers.insert("asRow");
            if field.list || field.optional {
                readers.insert("rowOf");
            }
            format!("rowOf({})", names::string(model))
        }
        other => {
            let name = scalar_reader(other);
            readers.insert(name);
            name.to_owned()
        }
    };
    match (field.list, field.optional) {
        (false, false) => match &field.ty {
            FieldType::Model { model } => {
                format!("asRow({}, {value}, {path})", names::string(model))
            }
            _ => format!("{item}({value}, {path})"),
        },
        (true, false) => {
            readers.insert("asList");
            format!("asList({value}, {path}, {item})")
        }
        (false, true) => {
            readers.insert("asOptional");
            format!("asOptional({value}, {path}, {item})")
        }
        (true, true) => {
            readers.insert("asList");
            readers.insert("listOf");
            readers.insert("asOptional");
            format!("asOptional({value}, {path}, listOf({item}))")
        }
    }
}

fn scalar_reader(ty: &FieldType) -> &'static str {
    match ty {
        FieldType::Text
        | FieldType::Email
        | FieldType::Image
        | FieldType::Richtext
        | FieldType::File => "asText",
        FieldType::Id | FieldType::Ref { .. } => "asId",
        FieldType::Number => "asNumber",
        FieldType::Money => "asMoney",
        FieldType::Bool => "asBoolean",
        FieldType::Date => "asDate",
        FieldType::Datetime => "asDatetime",
        FieldType::Model { .. } => "asRow",
    }
}

const EXTENSION: &str = r##"
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

/** The Prisma client the extension was applied to, as far as it is used here. */
interface BaseClient {
  $transaction<T>(run: (tx: unknown) => Promise<T>): Promise<T>;
}

/** A model's delegate (`prisma.someModel`), as far as it is used here. */
interface Delegate {
  findUnique(args: PrismaRecord): Promise<unknown>;
  findMany(args: PrismaRecord): Promise<unknown>;
  upsert(args: PrismaRecord): Promise<unknown>;
  deleteMany(args: PrismaRecord): Promise<unknown>;
  createManyAndReturn(args: PrismaRecord): Promise<unknown>;
  updateManyAndReturn(args: PrismaRecord): Promise<unknown>;
}

/** One intercepted write. */
interface WriteCall<M extends ModelName> {
  realtime: RealtimeServer;
  client: BaseClient;
  model: M;
  operation: Write;
  args: unknown;
  query: (args: unknown) => Promise<unknown>;
  inTransaction: boolean;
  onUntracked: (model: ModelName, operation: string) => void;
}

/** The client extension; see the top of this file. */
export function realtimeExtension(realtime: RealtimeServer, options: RealtimeExtensionOptions = {}) {
  const onUntracked =
    options.onUntracked ??
    ((model: ModelName, operation: string): void => {
      report(realtime, 'warn', `\`${model}.${operation}\` inside a transaction is not broadcast`, {
        model,
        operation,
      });
    });
  return Prisma.defineExtension((client) =>
    client.$extends({
      name: 'sheplang-realtime',
      query: {
        $allModels: {
          async $allOperations(params) {
            const { model, operation } = params;
            const args: unknown = params.args;
            // Prisma validates the arguments at run time; the extension only adds fields.
            const query = (next: unknown): Promise<unknown> =>
              params.query(next as typeof params.args);
            if (!isModelName(model) || !isWrite(operation)) {
              return query(args);
            }
            return observe({
              realtime,
              client,
              model,
              operation,
              args,
              query,
              inTransaction: isInTransaction(params),
              onUntracked,
            });
          },
        },
      },
    }),
  );
}

/** Runs one write and broadcasts what it did. */
async function observe<M extends ModelName>(call: WriteCall<M>): Promise<unknown> {
  const { realtime, client, model, operation, args, query } = call;
  switch (operation) {
    case 'create':
    case 'update': {
      const request = withFields(args, FIELDS[model]);
      const row = await query(request.args);
      broadcastRows(realtime, operation === 'create' ? 'created' : 'updated', model, [row]);
      return request.strip(row);
    }
    case 'createManyAndReturn':
    case 'updateManyAndReturn': {
      const request = withFields(args, FIELDS[model]);
      const rows = await query(request.args);
      const kind = operation === 'createManyAndReturn' ? 'created' : 'updated';
      broadcastRows(realtime, kind, model, asArray(rows));
      return request.strip(rows);
    }
    case 'delete': {
      const request = withFields(args, ID_ONLY);
      const row = await query(request.args);
      broadcastDeleted(realtime, model, idsOf([row]));
      return request.strip(row);
    }
    case 'createMany':
    case 'updateMany': {
      if (call.inTransaction) {
        return untracked(call);
      }
      const request = withFields(args, FIELDS[model]);
      const delegate = delegateOf(client, model);
      const rows = asArray(
        operation === 'createMany'
          ? await delegate.createManyAndReturn(request.args)
          : await delegate.updateManyAndReturn(request.args),
      );
      broadcastRows(realtime, operation === 'createMany' ? 'created' : 'updated', model, rows);
      return { count: rows.length };
    }
    case 'upsert': {
      if (call.inTransaction) {
        return untracked(call);
      }
      const request = withFields(args, FIELDS[model]);
      const { row, existed } = await client.$transaction(async (tx) => {
        const delegate = delegateOf(tx, model);
        const existing = await delegate.findUnique({
          where: recordAt(args, 'where'),
          select: { id: true },
        });
        return { row: await delegate.upsert(request.args), existed: existing !== null };
      });
      broadcastRows(realtime, existed ? 'updated' : 'created', model, [row]);
      return request.strip(row);
    }
    case 'deleteMany': {
      if (call.inTransaction) {
        return untracked(call);
      }
      const where = recordAt(args, 'where');
      const limit = isRecord(args) ? args['limit'] : undefined;
      const { ids, count } = await client.$transaction(async (tx) => {
        const delegate = delegateOf(tx, model);
        const found = idsOf(
          await delegate.findMany({
            where,
            select: { id: true },
            ...(typeof limit === 'number' ? { take: limit } : {}),
          }),
        );
        if (found.length === 0) {
          return { ids: found, count: 0 };
        }
        const deleted = countOf(
          await delegate.deleteMany({ where: { AND: [where, { id: { in: found } }] } }),
        );
        if (deleted === found.length) {
          return { ids: found, count: deleted };
        }
        // Some rows changed or went away meanwhile: report exactly the ones that are gone.
        const left = new Set(
          idsOf(await delegate.findMany({ where: { id: { in: found } }, select: { id: true } })),
        );
        return { ids: found.filter((id) => !left.has(id)), count: deleted };
      });
      broadcastDeleted(realtime, model, ids);
      return { count };
    }
  }
}

function untracked<M extends ModelName>(call: WriteCall<M>): Promise<unknown> {
  call.onUntracked(call.model, call.operation);
  return call.query(call.args);
}

function isWrite(operation: string): operation is Write {
  return WRITES.some((write) => write === operation);
}

/**
 * True inside the caller's `$transaction` (interactive or batch). Prisma keeps this in
 * `__internalParams`, which is not public API: it is read defensively, and a write counts as
 * outside any transaction when it is absent.
 */
function isInTransaction(params: object): boolean {
  const internal: unknown = Reflect.get(params, '__internalParams');
  return isRecord(internal) && internal['transaction'] !== undefined;
}

/**
 * `args` with the fields an event needs added to its `select` (or taken out of its `omit`, or
 * added to its `include` for relations), and `strip`, which removes what was added from the
 * result the caller gets back.
 */
function withFields(
  args: unknown,
  fields: Fields,
): { args: PrismaRecord; strip: (result: unknown) => unknown } {
  const next: PrismaRecord = isRecord(args) ? { ...args } : {};
  const added: string[] = [];
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
    strip: (result) => {
      if (added.length === 0) {
        return result;
      }
      return Array.isArray(result) ? result.map((row: unknown) => stripRow(row)) : stripRow(result);
    },
  };
}

function broadcastRows<M extends ModelName>(
  realtime: RealtimeServer,
  kind: 'created' | 'updated',
  model: M,
  rows: readonly unknown[],
): void {
  const toWire = TO_WIRE[model];
  for (const row of rows) {
    try {
      const data = toWire(isRecord(row) ? row : {});
      if (kind === 'created') {
        realtime.emitModelCreated(model, data);
      } else {
        realtime.emitModelUpdated(model, data);
      }
    } catch (error) {
      report(realtime, 'error', `cannot broadcast a \`${model}\` row`, { model, error });
    }
  }
}

function broadcastDeleted(realtime: RealtimeServer, model: ModelName, ids: readonly unknown[]): void {
  for (const id of ids) {
    if (typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint') {
      realtime.emitModelDeleted(model, String(id));
    } else {
      report(realtime, 'error', `cannot broadcast a \`${model}\` delete`, { model, id });
    }
  }
}

/** The `id` of each row, as Prisma returned it (numbers stay numbers for the next query). */
function idsOf(rows: unknown): unknown[] {
  return asArray(rows).map((row: unknown) => (isRecord(row) ? row['id'] : undefined));
}

function countOf(result: unknown): number {
  return isRecord(result) && typeof result['count'] === 'number' ? result['count'] : 0;
}

function delegateOf(client: unknown, model: ModelName): Delegate {
  // Prisma names a model's delegate with a lower-case first letter (`OrderItem` -> `orderItem`).
  const name: string = model;
  const key = name.charAt(0).toLowerCase() + name.slice(1);
  const delegate: unknown = typeof client === 'object' && client !== null ? Reflect.get(client, key) : undefined;
  if (isDelegate(delegate)) {
    return delegate;
  }
  throw new Error(`the Prisma client has no model \`${model}\`: does the schema mirror the spec?`);
}

function isDelegate(value: unknown): value is Delegate {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const methods = ['findUnique', 'findMany', 'upsert', 'deleteMany', 'createManyAndReturn', 'updateManyAndReturn'];
  return methods.every((method) => typeof Reflect.get(value, method) === 'function');
}

function recordAt(args: unknown, key: string): PrismaRecord {
  const value = isRecord(args) ? args[key] : undefined;
  return isRecord(value) ? value : {};
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: unknown): value is PrismaRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function report(
  realtime: RealtimeServer,
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
"##;

const WIRE_ERROR: &str = r##"
/** A Prisma value that does not fit the spec: the row is not broadcast. */
class WireError extends Error {
  constructor(path: string, expected: string, value: unknown) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    super(`\`${path}\`: expected ${expected}, got ${got}`);
    this.name = 'WireError';
  }
}
"##;

const DECIMAL: &str = r##"
/** Prisma's `Decimal`, as far as it is used here. */
interface DecimalLike {
  toFixed(): string;
}

function isDecimal(value: unknown): value is DecimalLike {
  return (
    typeof value === 'object' && value !== null && 'toFixed' in value && typeof value.toFixed === 'function'
  );
}
"##;

/// The value readers, in output order; only those a spec uses are written.
const READERS: &[(&str, &str)] = &[
    (
        "asText",
        r##"
function asText(value: unknown, path: string): string {
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a string', value);
}
"##,
    ),
    (
        "asId",
        r##"
/** An id or a `ref[X]`: a string, or a number for an integer key. */
function asId(value: unknown, path: string): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  throw new WireError(path, 'an id', value);
}
"##,
    ),
    (
        "asNumber",
        r##"
function asNumber(value: unknown, path: string): number {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (isDecimal(value)) {
    return Number(value.toFixed());
  }
  throw new WireError(path, 'a number', value);
}
"##,
    ),
    (
        "asMoney",
        r##"
/** `money` travels as a decimal string (`"12.50"`): from a `Decimal`, a number or a string. */
function asMoney(value: unknown, path: string): string {
  if (isDecimal(value)) {
    return value.toFixed();
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a decimal', value);
}
"##,
    ),
    (
        "asBoolean",
        r##"
function asBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') {
    return value;
  }
  throw new WireError(path, 'a boolean', value);
}
"##,
    ),
    (
        "asDate",
        r##"
/** `date` travels as `YYYY-MM-DD`: from a `Date` (read in UTC) or a string. */
function asDate(value: unknown, path: string): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a date', value);
}
"##,
    ),
    (
        "asDatetime",
        r##"
/** `datetime` travels as an ISO 8601 timestamp: from a `Date` or a string. */
function asDatetime(value: unknown, path: string): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.toISOString();
  }
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a timestamp', value);
}
"##,
    ),
    (
        "asList",
        r##"
/** A list: an array, or JSON text holding one (SQLite has no list columns). */
function asList<T>(value: unknown, path: string, item: (value: unknown, at: string) => T): T[] {
  let items: unknown = value;
  if (typeof value === 'string') {
    try {
      items = JSON.parse(value);
    } catch {
      items = undefined;
    }
  }
  if (!Array.isArray(items)) {
    throw new WireError(path, 'a list', value);
  }
  return items.map((each: unknown, index: number) => item(each, `${path}[${index}]`));
}
"##,
    ),
    (
        "asOptional",
        r##"
/** An `optional` field: `null` when absent. */
function asOptional<T>(value: unknown, path: string, read: (value: unknown, at: string) => T): T | null {
  return value === null || value === undefined ? null : read(value, path);
}
"##,
    ),
    (
        "asRow",
        r##"
/** A bare model-typed field: the related row, read as a row of its own model. */
function asRow<M extends ModelName>(model: M, value: unknown, path: string): Models[M] {
  if (!isRecord(value)) {
    throw new WireError(path, `a \`${model}\` row`, value);
  }
  return TO_WIRE[model](value);
}
"##,
    ),
    (
        "rowOf",
        r##"
/** The reader of a related row of `model`, for lists and optional fields. */
function rowOf<M extends ModelName>(model: M): (value: unknown, path: string) => Models[M] {
  return (value, path) => asRow(model, value, path);
}
"##,
    ),
    (
        "listOf",
        r##"
/** The reader of a list of `item`s, for optional lists. */
function listOf<T>(item: (value: unknown, path: string) => T): (value: unknown, path: string) => T[] {
  return (value, path) => asList(value, path, item);
}
"##,
    ),
];
