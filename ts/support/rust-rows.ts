// Rows described by a spec's IR (`<stem>.ir.json`, the value both generators read): sample
// rows with every field set or only the required ones, and a runtime check that a row received
// on the wire has exactly the shape the generated TypeScript interface declares
// (docs/wire.md, "Payload: a model row as JSON").

/** The part of the IR a row check needs. */
export interface IrSpec {
  app: string;
  models: IrModel[];
}

export interface IrModel {
  name: string;
  channel: string;
  fields: IrField[];
  /** The lifecycle: its state travels in the field `status`. */
  states: { states: string[] } | null;
}

export interface IrField {
  name: string;
  type: { kind: string; model?: string };
  list: boolean;
  optional: boolean;
}

const STRING_KINDS = new Set(['text', 'richtext', 'image', 'file', 'email', 'id', 'ref']);
const MONEY = /^-?[0-9]+(\.[0-9]+)?$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const DATETIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

function modelOf(spec: IrSpec, name: string): IrModel {
  const model = spec.models.find((m) => m.name === name);
  if (model === undefined) throw new Error(`no model ${name} in ${spec.app}`);
  return model;
}

/** A value of one (non-list) field type; `n` varies it. */
function sampleScalar(spec: IrSpec, field: IrField, n: number, full: boolean, depth: number): unknown {
  switch (field.type.kind) {
    case 'text':
      return n === 0 ? 'Größe "quoted" \u{1F980} <b>\\n' : `text ${n}`;
    case 'richtext':
      return '<p>rich <em>text</em></p>';
    case 'image':
      return 'https://example.com/a.png';
    case 'file':
      return '/files/report.pdf';
    case 'email':
      return 'ada@example.com';
    case 'id':
      return `ext-${n}`;
    case 'ref':
      return `ref-${n}`;
    case 'number':
      return n === 0 ? -12.5 : n * 1e21;
    case 'money':
      return n === 0 ? '10000000000000.01' : '-0.005';
    case 'bool':
      return n === 0;
    case 'date':
      return '2026-11-25';
    case 'datetime':
      return '2026-11-25T09:00:00Z';
    case 'model': {
      if (depth > 3) throw new Error(`${field.name}: models nest too deep for a sample`);
      return sampleRow(spec, modelOf(spec, field.type.model ?? ''), `nested-${depth}-${n}`, full, depth + 1);
    }
    default:
      throw new Error(`unknown field kind ${field.type.kind}`);
  }
}

/**
 * A row of `model`: with `full`, every field (optional ones included, lists of two); otherwise
 * only the fields that must be there (optional ones absent, lists empty). Keys in spec order,
 * `id` first.
 */
export function sampleRow(spec: IrSpec, model: IrModel, id: string, full: boolean, depth = 0): Record<string, unknown> {
  const row: Record<string, unknown> = { id };
  for (const field of model.fields) {
    if (field.name === 'id') continue;
    if (field.optional && !full) continue;
    if (model.states !== null && field.name === 'status') {
      row[field.name] = model.states.states[full ? model.states.states.length - 1 : 0];
      continue;
    }
    row[field.name] = field.list
      ? full
        ? [sampleScalar(spec, field, 0, full, depth), sampleScalar(spec, field, 1, full, depth)]
        : []
      : sampleScalar(spec, field, 0, full, depth);
  }
  return row;
}

/** Every way `value` breaks the rule for one non-list value of `field`'s type. */
function checkScalar(spec: IrSpec, field: IrField, value: unknown, path: string, problems: string[]): void {
  const kind = field.type.kind;
  const fail = (what: string): void => {
    problems.push(`${path}: expected ${what}, got ${JSON.stringify(value)}`);
  };
  if (STRING_KINDS.has(kind)) {
    if (typeof value !== 'string') fail(`a string (${kind})`);
  } else if (kind === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail('a finite number');
  } else if (kind === 'bool') {
    if (typeof value !== 'boolean') fail('a boolean');
  } else if (kind === 'money') {
    if (typeof value !== 'string' || !MONEY.test(value)) fail('a decimal string (money)');
  } else if (kind === 'date') {
    if (typeof value !== 'string' || !DATE.test(value)) fail('an ISO 8601 date');
  } else if (kind === 'datetime') {
    if (typeof value !== 'string' || !DATETIME.test(value) || Number.isNaN(Date.parse(value))) {
      fail('an RFC 3339 datetime');
    }
  } else if (kind === 'model') {
    problems.push(...checkRow(spec, modelOf(spec, field.type.model ?? ''), value, path));
  } else {
    problems.push(`${path}: unknown field kind ${kind}`);
  }
}

/**
 * Every way `row` differs from a row of `model` as the generated interface declares it: an
 * object, `id` (a string) first, every required field present, no key the spec does not have,
 * each value of its type. Empty when it matches.
 */
export function checkRow(spec: IrSpec, model: IrModel, row: unknown, path: string = model.name): string[] {
  const problems: string[] = [];
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    return [`${path}: expected an object, got ${JSON.stringify(row)}`];
  }
  const record = row as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys[0] !== 'id') problems.push(`${path}: \`id\` is not the first key (${keys.join(', ')})`);
  // Own keys only: a field may be called `constructor` or `toString`.
  const get = (key: string): unknown => (Object.hasOwn(record, key) ? record[key] : undefined);
  if (typeof get('id') !== 'string') problems.push(`${path}.id: expected a string`);
  const known = new Set(['id', ...model.fields.map((f) => f.name)]);
  for (const key of keys) {
    if (!known.has(key)) problems.push(`${path}: unexpected key \`${key}\``);
  }
  for (const field of model.fields) {
    if (field.name === 'id') continue;
    const at = `${path}.${field.name}`;
    const value = get(field.name);
    if (value === undefined || value === null) {
      if (!field.optional) problems.push(`${at}: missing (the field is not optional)`);
      continue;
    }
    if (field.list) {
      if (!Array.isArray(value)) {
        problems.push(`${at}: expected an array`);
        continue;
      }
      value.forEach((item: unknown, i) => checkScalar(spec, field, item, `${at}[${i}]`, problems));
    } else {
      checkScalar(spec, field, value, at, problems);
    }
  }
  return problems;
}
