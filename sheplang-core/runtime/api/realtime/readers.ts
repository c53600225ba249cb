/**
 * The value readers of the Prisma extension: each checks one Prisma value against the spec
 * and returns its wire JSON (docs/wire.md), or throws a `WireError` naming the field. The
 * spec's converters (`records.ts`) are made of them.
 */

/** A Prisma arguments object or returned record, not yet checked. */
export type PrismaRecord = Record<string, unknown>;

/** The spec's fields of a model as Prisma knows them. */
export interface Fields {
  /** Columns, `id` first. */
  readonly scalars: readonly string[];
  /** Bare model-typed fields: relations to include. */
  readonly relations: readonly string[];
}

/** True for a plain object: a Prisma arguments object or returned record. */
export function isRecord(value: unknown): value is PrismaRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Prisma value that does not fit the spec: the row is not broadcast. */
export class WireError extends Error {
  constructor(path: string, expected: string, value: unknown) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    super(`\`${path}\`: expected ${expected}, got ${got}`);
    this.name = 'WireError';
  }
}

/** Prisma's `Decimal`, as far as it is used here. */
interface DecimalLike {
  toFixed(): string;
}

function isDecimal(value: unknown): value is DecimalLike {
  return (
    typeof value === 'object' && value !== null && 'toFixed' in value && typeof value.toFixed === 'function'
  );
}

export function asText(value: unknown, path: string): string {
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a string', value);
}

/** A lifecycle state (`status`): one of `states`, the model's states in the spec. */
export function asState<S extends string>(value: unknown, path: string, states: readonly S[]): S {
  if (typeof value === 'string' && (states as readonly string[]).includes(value)) {
    return value as S;
  }
  throw new WireError(path, `one of ${states.map((s) => `"${s}"`).join(', ')}`, value);
}

/** An id or a `ref[X]`: a string, or a number for an integer key. */
export function asId(value: unknown, path: string): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    return String(value);
  }
  throw new WireError(path, 'an id', value);
}

export function asNumber(value: unknown, path: string): number {
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

/** `money` travels as a decimal string (`"12.50"`): from a `Decimal`, a number or a string. */
export function asMoney(value: unknown, path: string): string {
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

export function asBoolean(value: unknown, path: string): boolean {
  if (typeof value === 'boolean') {
    return value;
  }
  throw new WireError(path, 'a boolean', value);
}

/** `date` travels as `YYYY-MM-DD`: from a `Date` (read in UTC) or a string. */
export function asDate(value: unknown, path: string): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a date', value);
}

/** `datetime` travels as an ISO 8601 timestamp: from a `Date` or a string. */
export function asDatetime(value: unknown, path: string): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.toISOString();
  }
  if (typeof value === 'string') {
    return value;
  }
  throw new WireError(path, 'a timestamp', value);
}

/** A list: an array, or JSON text holding one (SQLite has no list columns). */
export function asList<T>(value: unknown, path: string, item: (value: unknown, at: string) => T): T[] {
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

/** An `optional` field: `null` when absent. */
export function asOptional<T>(value: unknown, path: string, read: (value: unknown, at: string) => T): T | null {
  return value === null || value === undefined ? null : read(value, path);
}

/**
 * A bare model-typed field: the related row, read as a row of its own model `model` by that
 * model's converter `read`.
 */
export function asRow<T>(read: (record: PrismaRecord) => T, model: string, value: unknown, path: string): T {
  if (!isRecord(value)) {
    throw new WireError(path, `a \`${model}\` row`, value);
  }
  return read(value);
}

/** The reader of a related row of `model`, for lists and optional fields. */
export function rowOf<T>(read: (record: PrismaRecord) => T, model: string): (value: unknown, path: string) => T {
  return (value, path) => asRow(read, model, value, path);
}

/** The reader of a list of `item`s, for optional lists. */
export function listOf<T>(item: (value: unknown, path: string) => T): (value: unknown, path: string) => T[] {
  return (value, path) => asList(value, path, item);
}
