// Checking a row against its spec's constraints, the same for every spec: `types.ts` holds each
// model's constraints as a table (`RULES`) and one validator per model built on `checkRow`.
// The rules, the rule names and the messages are those of the Rust facade
// (`sheplang::validate`), and corpus/constraints/cases.json holds both to them:
// - text is counted in characters (code points), never in UTF-16 units;
// - `required` text must contain a visible character (see `INVISIBLE`);
// - `min`/`max` bound a number, or a `money` amount compared as an exact decimal;
// - `minLength`/`maxLength` bound the characters of a text or the items of a list;
// - `email`: see `isEmail`; `pattern`: searched in the value, `.` matching any character;
// - `unique` is the database's concern.
// Dependency-free: this file is part of the browser half too.

/** A constraint of the spec, named by its word in the spec. */
export type Rule = 'required' | 'minLength' | 'maxLength' | 'min' | 'max' | 'email' | 'pattern';

/** One broken constraint: the field (its name on the wire), the rule, what the value must be. */
export interface Violation {
  field: string;
  rule: Rule;
  message: string;
}

/** A bound: its value, and its text in messages (the same text as in Rust). */
export type Bound = readonly [value: number, text: string];

/** The constraints of one field, as the generator writes them. */
export interface FieldRules {
  /** The spec's field name (the key on the wire). */
  readonly field: string;
  readonly required?: true;
  readonly minLength?: Bound;
  readonly maxLength?: Bound;
  readonly min?: Bound;
  readonly max?: Bound;
  readonly email?: true;
  readonly pattern?: string;
  /** A `money` field: its value is an exact decimal. */
  readonly decimal?: true;
  /** A list field: only an array is counted (a database may hold a list as JSON text). */
  readonly list?: true;
}

/** Thrown by a write whose row breaks the spec's constraints; `violations` lists them all. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';

  constructor(
    readonly model: string,
    readonly violations: readonly Violation[],
  ) {
    super(`a \`${model}\` row breaks the spec: ${describe(violations)}`);
  }
}

/** The violations as one line: "`title` must ...; `age` must ...". */
export function describe(violations: readonly Violation[]): string {
  return violations.map((v) => `\`${v.field}\` ${v.message}`).join('; ');
}

/**
 * A change of lifecycle state that the spec's `states:` does not allow: the model, both
 * states, the states `from` may become, and the message every checker gives (the Rust
 * `TransitionRefused`, the database's `<table>_status_transition` trigger).
 */
export interface TransitionRefused {
  readonly rule: 'transition';
  readonly model: string;
  readonly from: string;
  /** For an event `from` does not accept, `from` itself. */
  readonly to: string;
  readonly allowed: readonly string[];
  readonly message: string;
  /** The workflow event refused (from `apply<Model>Event`). */
  readonly event?: string;
  /** The guard that was false, as the spec writes it. */
  readonly guard?: string;
  /** The events `from` accepts (with `event`). */
  readonly accepted?: readonly string[];
}

/**
 * One row of a model's transition history, the table `<table>_history` that the database writes
 * on every change of a row's state when the history is on (docs/language.md, "Transition
 * history"); `S` is the model's state union. The same as the Rust `sheplang::TransitionRecord`.
 */
export interface TransitionRecord<S extends string> {
  /** Counts up in the order of the changes. */
  readonly id: number;
  /** The id of the row that changed state. */
  readonly rowId: string;
  readonly from: S;
  readonly to: S;
  /** The workflow event that caused it, when the writer named one. */
  readonly event: string | null;
  /** When, in UTC, as ISO 8601 with milliseconds. */
  readonly at: string;
}

/** What `apply<Model>Event` gives: the state the row moves to, or why it may not. */
export type EventOutcome<S extends string> =
  | { readonly ok: true; readonly state: S }
  | { readonly ok: false; readonly refused: TransitionRefused };

/** `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``. */
function listed(names: readonly string[]): string {
  const quoted = names.map((s) => `\`${s}\``);
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** The refusal of an event that state `from` does not accept. */
export function refuseEvent(
  model: string,
  from: string,
  event: string,
  accepted: readonly string[],
  allowed: readonly string[],
): { readonly ok: false; readonly refused: TransitionRefused } {
  const rest = accepted.length === 0 ? `\`${from}\` accepts no event` : `from \`${from}\` it accepts only ${listed(accepted)}`;
  const message = `\`${model}\` may not \`${event}\` from \`${from}\`: ${rest}`;
  return { ok: false, refused: { rule: 'transition', model, from, to: from, allowed, message, event, accepted } };
}

/** The refusal of an event whose guard is false and which has no `else` state. */
export function refuseGuard(
  model: string,
  from: string,
  to: string,
  event: string,
  guard: string,
  accepted: readonly string[],
  allowed: readonly string[],
): { readonly ok: false; readonly refused: TransitionRefused } {
  const message = `\`${model}\` may not \`${event}\` from \`${from}\`: the guard \`${guard}\` is false`;
  return { ok: false, refused: { rule: 'transition', model, from, to, allowed, message, event, guard, accepted } };
}

/**
 * Why a row of `model` may not go from `from` to `to`, or `null` when it may: staying is no
 * change, and a change must be one of `next[from]`.
 */
export function checkTransition(
  model: string,
  next: { readonly [state: string]: readonly string[] },
  from: string,
  to: string,
): TransitionRefused | null {
  const allowed = Object.hasOwn(next, from) ? (next[from] ?? []) : [];
  if (from === to || allowed.includes(to)) return null;
  const rest =
    allowed.length === 0 ? `\`${from}\` is a final state` : `from \`${from}\` it may only become ${listed(allowed)}`;
  const message = `\`${model}\` may not go from \`${from}\` to \`${to}\`: ${rest}`;
  return { rule: 'transition', model, from, to, allowed, message };
}

/** Every constraint of `rules` that `row` breaks, in the order of the fields, then of the rules. */
export function checkRow(rules: readonly FieldRules[], row: object): Violation[] {
  const out: Violation[] = [];
  for (const field of rules) {
    checkField(field, Reflect.get(row, field.field), out);
  }
  return out;
}

/**
 * Like `checkRow`, for the fields `row` has only (a partial write: an update's `data`); a value
 * given as `{ set: value }` is checked as `value`, other update operations are not checked.
 */
export function checkPresent(rules: readonly FieldRules[], row: object): Violation[] {
  const out: Violation[] = [];
  for (const field of rules) {
    if (!Object.prototype.hasOwnProperty.call(row, field.field)) {
      continue;
    }
    let value: unknown = Reflect.get(row, field.field);
    if (isPlainObject(value)) {
      if (!Object.prototype.hasOwnProperty.call(value, 'set')) {
        continue;
      }
      value = Reflect.get(value, 'set');
    }
    checkField(field, value, out);
  }
  return out;
}

/** Appends the violations of one field's value to `out`. */
export function checkField(rules: FieldRules, value: unknown, out: Violation[]): void {
  const broken = (rule: Rule, message: string): void => {
    out.push({ field: rules.field, rule, message });
  };
  if (value === undefined || value === null) {
    if (rules.required) {
      broken('required', 'is required');
    }
    return;
  }
  if (rules.list && !Array.isArray(value)) {
    return;
  }
  if (rules.decimal) {
    const amount = decimalText(value);
    if (rules.min && (amount === undefined || (compareDecimals(amount, rules.min[1]) ?? -1) < 0)) {
      broken('min', `must be at least ${rules.min[1]}`);
    }
    if (rules.max && (amount === undefined || (compareDecimals(amount, rules.max[1]) ?? 1) > 0)) {
      broken('max', `must be at most ${rules.max[1]}`);
    }
    return;
  }
  if (typeof value === 'string') {
    if (rules.required && !hasVisible(value)) {
      broken('required', 'must contain a visible character');
    }
    lengths(rules, countChars(value), 'character', ' long', broken);
    if (rules.email && !isEmail(value)) {
      broken('email', 'must be an e-mail address');
    }
    if (rules.pattern !== undefined && !matches(rules.pattern, value)) {
      broken('pattern', `must match the pattern \`${rules.pattern}\``);
    }
  } else if (Array.isArray(value)) {
    lengths(rules, value.length, 'item', '', broken);
  } else if (typeof value === 'number') {
    if (rules.min && !(value >= rules.min[0])) {
      broken('min', `must be at least ${rules.min[1]}`);
    }
    if (rules.max && !(value <= rules.max[0])) {
      broken('max', `must be at most ${rules.max[1]}`);
    }
  }
}

function lengths(
  rules: FieldRules,
  count: number,
  unit: string,
  long: string,
  broken: (rule: Rule, message: string) => void,
): void {
  const verb = long === '' ? 'have' : 'be';
  const plural = (bound: Bound): string => (bound[1] === '1' ? '' : 's');
  if (rules.minLength && !(count >= rules.minLength[0])) {
    broken('minLength', `must ${verb} at least ${rules.minLength[1]} ${unit}${plural(rules.minLength)}${long}`);
  }
  if (rules.maxLength && !(count <= rules.maxLength[0])) {
    broken('maxLength', `must ${verb} at most ${rules.maxLength[1]} ${unit}${plural(rules.maxLength)}${long}`);
  }
}

/** The number of characters (code points; a lone surrogate counts as one) of `text`. */
export function countChars(text: string): number {
  let count = 0;
  for (const _ of text) {
    count += 1;
  }
  return count;
}

/**
 * The code points that are not visible: white space (Unicode's `White_Space`), control
 * characters (`Cc`), default-ignorable ones (`Default_Ignorable_Code_Point`: zero-width and
 * bidirectional marks, variation selectors, fillers, tags...) and lone surrogates. Inclusive
 * ranges, sorted; the Rust facade has the same table (`sheplang::validate::INVISIBLE`).
 */
export const INVISIBLE: readonly (readonly [number, number])[] = [
  [0x0000, 0x0020],
  [0x007f, 0x00a0],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x1680, 0x1680],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x2000, 0x200f],
  [0x2028, 0x202f],
  [0x205f, 0x206f],
  [0x3000, 0x3000],
  [0x3164, 0x3164],
  [0xd800, 0xdfff],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfff8],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];

/** Whether the code point `c` is visible: outside every range of `INVISIBLE`. */
export function isVisible(c: number): boolean {
  return !INVISIBLE.some(([lo, hi]) => lo <= c && c <= hi);
}

function hasVisible(text: string): boolean {
  for (const ch of text) {
    if (isVisible(ch.codePointAt(0) ?? 0)) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `text` is an e-mail address, by the rule the Rust facade applies: every character
 * visible; exactly one `@`, with at least one character before it; after it, two or more
 * labels separated by `.`, each of letters, digits and `-` (any non-ASCII character counts as
 * a letter), not starting or ending with `-`.
 */
export function isEmail(text: string): boolean {
  const at = text.indexOf('@');
  if (at <= 0) {
    return false;
  }
  const domain = text.slice(at + 1);
  if (domain.includes('@') || !allVisible(text)) {
    return false;
  }
  const labels = domain.split('.');
  return (
    labels.length >= 2 &&
    labels.every(
      (label) =>
        label !== '' &&
        !label.startsWith('-') &&
        !label.endsWith('-') &&
        [...label].every((ch) => /^[A-Za-z0-9-]$/.test(ch) || (ch.codePointAt(0) ?? 0) >= 0x80),
    )
  );
}

function allVisible(text: string): boolean {
  for (const ch of text) {
    if (!isVisible(ch.codePointAt(0) ?? 0)) {
      return false;
    }
  }
  return true;
}

const patterns = new Map<string, RegExp | null>();

/**
 * Whether `pattern` matches somewhere in `text`, in JavaScript's `u` mode with `.` matching any
 * character (flags `su`). A pattern that does not compile (the compiler refuses those) matches
 * nothing.
 */
export function matches(pattern: string, text: string): boolean {
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    try {
      regex = new RegExp(pattern, 'su');
    } catch {
      regex = null;
    }
    patterns.set(pattern, regex);
  }
  return regex !== null && regex.test(text);
}

/** A money value as decimal text: a string as it is, a number or a `Decimal` written out. */
function decimalText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value === 'object' && value !== null) {
    const toFixed: unknown = Reflect.get(value, 'toFixed');
    if (typeof toFixed === 'function') {
      const text: unknown = Reflect.apply(toFixed, value, []);
      return typeof text === 'string' ? text : undefined;
    }
  }
  return undefined;
}

const DECIMAL = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/** Compares two decimal strings exactly: -1, 0 or 1; undefined when either is not a decimal. */
export function compareDecimals(a: string, b: string): number | undefined {
  const x = DECIMAL.exec(a);
  const y = DECIMAL.exec(b);
  if (x === null || y === null) {
    return undefined;
  }
  const sign = (m: RegExpExecArray): number => {
    const digits = `${m[2] ?? ''}${m[3] ?? ''}`;
    return /[1-9]/.test(digits) ? (m[1] === '-' ? -1 : 1) : 0;
  };
  const [sx, sy] = [sign(x), sign(y)];
  if (sx !== sy) {
    return sx < sy ? -1 : 1;
  }
  if (sx === 0) {
    return 0;
  }
  const intX = (x[2] ?? '').replace(/^0+/, '');
  const intY = (y[2] ?? '').replace(/^0+/, '');
  const fracX = x[3] ?? '';
  const fracY = y[3] ?? '';
  const width = Math.max(fracX.length, fracY.length);
  const digitsX = intX.padStart(intY.length, '0') + fracX.padEnd(width, '0');
  const digitsY = intY.padStart(intX.length, '0') + fracY.padEnd(width, '0');
  const magnitude = digitsX === digitsY ? 0 : digitsX < digitsY ? -1 : 1;
  return sx * magnitude;
}

/** An object literal (an update operation such as `{ set: value }`), not a `Date` or a `Decimal`. */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
