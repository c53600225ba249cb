// The runtime's value readers (sheplang-core/runtime/api/realtime/readers.ts, as written beside
// the generated files of specs/tasks.shep) and the converters built from them (records.ts):
// each Prisma value becomes its wire JSON (docs/wire.md), and a value that does not fit the
// spec is a `WireError` naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  asBoolean,
  asDate,
  asDatetime,
  asId,
  asList,
  asMoney,
  asNumber,
  asOptional,
  asRow,
  asText,
  isRecord,
  listOf,
  rowOf,
  WireError,
} from '../.generated/specs/tasks/ts-server/api/realtime/readers.js';
import { FIELDS, TO_WIRE } from '../.generated/specs/tasks/ts-server/api/realtime/records.js';

/** A stand-in for Prisma's `Decimal`: only `toFixed()` is read. */
const decimal = (text: string): { toFixed(): string } => ({ toFixed: () => text });

function fails(read: () => unknown, message: string): void {
  assert.throws(read, (error: unknown) => {
    assert.ok(error instanceof WireError);
    assert.equal(error.message, message);
    return true;
  });
}

test('scalars: each Prisma value becomes its wire value', () => {
  assert.equal(asText('a', 'M.f'), 'a');
  assert.equal(asId('x1', 'M.id'), 'x1');
  assert.equal(asId(7, 'M.id'), '7');
  assert.equal(asId(9007199254740993n, 'M.id'), '9007199254740993');
  assert.equal(asNumber(1.5, 'M.n'), 1.5);
  assert.equal(asNumber(3n, 'M.n'), 3);
  assert.equal(asNumber(decimal('2.25'), 'M.n'), 2.25);
  assert.equal(asMoney(decimal('12.50'), 'M.p'), '12.50');
  assert.equal(asMoney(12.5, 'M.p'), '12.5');
  assert.equal(asMoney('0.10', 'M.p'), '0.10');
  assert.equal(asBoolean(false, 'M.b'), false);
  assert.equal(asDate(new Date('2024-02-29T23:30:00Z'), 'M.d'), '2024-02-29');
  assert.equal(asDate('2024-01-01', 'M.d'), '2024-01-01');
  assert.equal(asDatetime(new Date('2024-02-29T23:30:00Z'), 'M.t'), '2024-02-29T23:30:00.000Z');
});

test('a value that does not fit is a WireError naming the field and what it got', () => {
  fails(() => asText(1, 'Task.title'), '`Task.title`: expected a string, got number');
  fails(() => asId(null, 'Task.id'), '`Task.id`: expected an id, got null');
  fails(() => asNumber('1', 'Task.priority'), '`Task.priority`: expected a number, got string');
  fails(() => asMoney(Infinity, 'Task.price'), '`Task.price`: expected a decimal, got number');
  fails(() => asBoolean('true', 'Task.done'), '`Task.done`: expected a boolean, got string');
  fails(() => asDate(new Date(Number.NaN), 'Task.due'), '`Task.due`: expected a date, got object');
  fails(() => asDatetime([], 'Task.createdAt'), '`Task.createdAt`: expected a timestamp, got an array');
  fails(() => asList('not json', 'Task.tags', asText), '`Task.tags`: expected a list, got string');
  fails(() => asList(['a', 2], 'Task.tags', asText), '`Task.tags[1]`: expected a string, got number');
});

test('lists, optional values and related rows', () => {
  assert.deepEqual(asList(['a', 'b'], 'M.l', asText), ['a', 'b']);
  assert.deepEqual(asList('["a","b"]', 'M.l', asText), ['a', 'b']);
  assert.equal(asOptional(null, 'M.o', asText), null);
  assert.equal(asOptional(undefined, 'M.o', asText), null);
  assert.equal(asOptional('x', 'M.o', asText), 'x');
  assert.deepEqual(asOptional('[1,2]', 'M.o', listOf(asNumber)), [1, 2]);
  const read = (record: Record<string, unknown>): { id: string } => ({ id: asId(record['id'], 'U.id') });
  assert.deepEqual(asRow(read, 'User', { id: 3 }, 'T.owner'), { id: '3' });
  assert.deepEqual(asList([{ id: 'a' }], 'T.users', rowOf(read, 'User')), [{ id: 'a' }]);
  fails(() => asRow(read, 'User', 'u1', 'T.owner'), '`T.owner`: expected a `User` row, got string');
  assert.equal(isRecord({}), true);
  assert.equal(isRecord([]), false);
  assert.equal(isRecord(null), false);
});

test("the spec's converters read a Prisma record into the wire JSON of its model", () => {
  assert.deepEqual(FIELDS.User, { scalars: ['id', 'name', 'email'], relations: [] });
  assert.deepEqual(
    TO_WIRE.Task({
      id: 1,
      title: 'Ship',
      done: true,
      owner: null,
      priority: decimal('2'),
      due: new Date('2024-05-01T00:00:00Z'),
      createdAt: new Date('2024-05-01T12:00:00Z'),
      price: decimal('9.90'),
      tags: '["a"]',
      type: undefined,
      status: 'doing',
      extra: 'ignored',
    }),
    {
      id: '1',
      title: 'Ship',
      done: true,
      owner: null,
      priority: 2,
      due: '2024-05-01',
      createdAt: '2024-05-01T12:00:00.000Z',
      price: '9.90',
      tags: ['a'],
      type: null,
      status: 'doing',
    },
  );
  fails(
    () => TO_WIRE.Task({ id: 1, title: 'Ship', done: true, createdAt: new Date(0), tags: '[]', status: 'closed' }),
    '`Task.status`: expected one of "open", "doing", "done", got string',
  );
  fails(() => TO_WIRE.User({ id: 'u1', name: 'Ada' }), '`User.email`: expected a string, got undefined');
});
