// The generated Prisma extension (api/realtime/middleware.ts of specs/tasks.shep) on a real
// Prisma 7 client (`prisma-client` generator, better-sqlite3 adapter, one SQLite file for this
// test file), broadcasting through a real `RealtimeServer` to real socket.io clients.
//
// Every write must yield exactly the events it should, each with the real id, at a client
// subscribed to the model's channel, and nothing else: a subscriber collects until it has the
// events expected, then until a marker the server sends after them, and the whole list is
// compared. No timing is asserted.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';

import { realtimeExtension } from '../.generated/specs/tasks/ts-server/api/realtime/middleware.js';
import { ValidationError } from '../.generated/specs/tasks/ts-server/types.js';
import {
  CREATED_AT,
  errorShape,
  failure,
  sorted,
  startPrismaRig,
  taskRow,
  type PrismaRig,
} from './prisma-harness.js';

const TIMEOUT = { timeout: 30_000 };

let rig: PrismaRig;

before(async () => {
  rig = await startPrismaRig();
});

afterEach(async () => {
  // Nothing a test did may have been reported as broken.
  const errors = rig.logs.filter((line) => line.level === 'error');
  const untracked = [...rig.untracked];
  await rig.reset();
  assert.deepEqual(errors, [], 'the extension logged errors');
  assert.deepEqual(untracked, [], 'writes went to onUntracked');
});

after(async () => {
  await rig.close();
});

/** Three tasks made through the base client (no events): `a` and `b` open, `c` done. */
async function seedTasks(): Promise<void> {
  await rig.base.task.createMany({
    data: [
      { id: 'a', title: 'A', createdAt: CREATED_AT },
      { id: 'b', title: 'B', createdAt: CREATED_AT },
      { id: 'c', title: 'C', done: true, createdAt: CREATED_AT },
    ],
  });
}

async function taskIds(): Promise<string[]> {
  const rows = await rig.base.task.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
  return rows.map((row) => row.id);
}

describe('create', () => {
  test('create: one model_created with the whole row, the id Prisma generated', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const row = await rig.prisma.task.create({
      data: { title: 'Write', price: '12.50', tags: '["docs","urgent"]', priority: 2, createdAt: CREATED_AT },
    });
    assert.match(row.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a UUID from @default(uuid())');
    assert.deepEqual(await sub.take(1), [
      {
        kind: 'created',
        model: 'Task',
        row: taskRow({ id: row.id, title: 'Write', price: '12.5', tags: ['docs', 'urgent'], priority: 2 }),
      },
    ]);
  });

  test('create: every type of the spec on the wire (date, datetime, money, ref, list)', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const user = await rig.prisma.user.create({ data: { name: 'Ada', email: 'ada@example.com' } });
    const task = await rig.prisma.task.create({
      data: {
        id: 't-1',
        title: 'Typed',
        done: true,
        owner: user.id,
        priority: 0.5,
        due: new Date('2026-12-24T00:00:00.000Z'),
        createdAt: CREATED_AT,
        price: '0.10',
        tags: '[]',
        type: 'chore',
      },
    });
    assert.equal(task.id, 't-1');
    assert.deepEqual(await sub.take(2), [
      { kind: 'created', model: 'User', row: { id: user.id, name: 'Ada', email: 'ada@example.com' } },
      {
        kind: 'created',
        model: 'Task',
        row: {
          id: 't-1',
          title: 'Typed',
          done: true,
          owner: user.id,
          priority: 0.5,
          due: '2026-12-24',
          createdAt: '2026-11-25T09:00:00.000Z',
          price: '0.1',
          tags: [],
          type: 'chore',
          status: 'open',
        },
      },
    ]);
  });

  test('createMany: one model_created per row with the ids Prisma generated; the caller gets { count }', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const result = await rig.prisma.task.createMany({
      data: [
        { title: 'one', createdAt: CREATED_AT },
        { title: 'two', createdAt: CREATED_AT },
        { title: 'three', createdAt: CREATED_AT },
      ],
    });
    assert.deepEqual(result, { count: 3 });
    const rows = await rig.base.task.findMany({ select: { id: true, title: true } });
    assert.equal(rows.length, 3);
    assert.deepEqual(
      sorted(await sub.take(3)),
      sorted(rows.map(({ id, title }) => ({ kind: 'created', model: 'Task', row: taskRow({ id, title }) }))),
    );
  });

  test('createManyAndReturn: one model_created per returned row', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const rows = await rig.prisma.user.createManyAndReturn({
      data: [
        { name: 'Ada', email: 'ada@example.com' },
        { name: 'Bob', email: 'bob@example.com' },
      ],
    });
    assert.equal(rows.length, 2);
    assert.deepEqual(
      sorted(await sub.take(2)),
      sorted(rows.map((row) => ({ kind: 'created', model: 'User', row: { ...row } }))),
    );
    assert.deepEqual(rows.map((row) => row.name).sort(), ['Ada', 'Bob']);
  });

  test('createMany of nothing: { count: 0 } and no event', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    assert.deepEqual(await rig.prisma.task.createMany({ data: [] }), { count: 0 });
    assert.deepEqual(await rig.prisma.task.createManyAndReturn({ data: [] }), []);
    assert.deepEqual(await sub.take(0), []);
  });
});

describe('update', () => {
  test('update: one model_updated with the new row', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const row = await rig.prisma.task.update({ where: { id: 'b' }, data: { title: 'B2', done: true } });
    assert.equal(row.title, 'B2');
    assert.deepEqual(await sub.take(1), [
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'b', title: 'B2', done: true }) },
    ]);
  });

  test('update by a unique field other than id', TIMEOUT, async () => {
    const user = await rig.base.user.create({ data: { name: 'Ada', email: 'ada@example.com' } });
    const sub = await rig.subscribe();
    await rig.prisma.user.update({ where: { email: 'ada@example.com' }, data: { name: 'Ada L.' } });
    assert.deepEqual(await sub.take(1), [
      { kind: 'updated', model: 'User', row: { id: user.id, name: 'Ada L.', email: 'ada@example.com' } },
    ]);
  });

  test('updateMany: one model_updated per affected row, none for the others; the caller gets { count }', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const result = await rig.prisma.task.updateMany({ where: { done: false }, data: { priority: 7 } });
    assert.deepEqual(result, { count: 2 });
    assert.deepEqual(
      sorted(await sub.take(2)),
      sorted([
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A', priority: 7 }) },
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'b', title: 'B', priority: 7 }) },
      ]),
    );
    const c = await rig.base.task.findUniqueOrThrow({ where: { id: 'c' } });
    assert.equal(c.priority, null, 'the row outside the filter is untouched');
  });

  test('updateMany that changes the column it filters on reports the rows it changed', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const result = await rig.prisma.task.updateMany({ where: { done: false }, data: { done: true } });
    assert.deepEqual(result, { count: 2 });
    assert.deepEqual(
      sorted(await sub.take(2)),
      sorted([
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A', done: true }) },
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'b', title: 'B', done: true }) },
      ]),
    );
  });

  test('updateMany with limit: only the rows it changed', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const result = await rig.prisma.task.updateMany({ where: {}, data: { type: 'x' }, limit: 1 });
    assert.deepEqual(result, { count: 1 });
    const changed = await rig.base.task.findMany({ where: { type: 'x' } });
    assert.equal(changed.length, 1);
    const [row] = changed;
    assert.ok(row !== undefined);
    assert.deepEqual(await sub.take(1), [
      { kind: 'updated', model: 'Task', row: taskRow({ id: row.id, title: row.title, done: row.done, type: 'x' }) },
    ]);
  });

  test('updateMany matching nothing: { count: 0 } and no event', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    assert.deepEqual(await rig.prisma.task.updateMany({ where: { title: 'none' }, data: { done: true } }), {
      count: 0,
    });
    assert.deepEqual(await sub.take(0), []);
  });

  test('updateManyAndReturn: one model_updated per returned row, none for the others', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const rows = await rig.prisma.task.updateManyAndReturn({ where: { done: true }, data: { title: 'C2' } });
    assert.deepEqual(
      rows.map((row) => row.id),
      ['c'],
    );
    assert.deepEqual(await sub.take(1), [
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'c', title: 'C2', done: true }) },
    ]);
  });
});

describe('upsert', () => {
  test('upsert that creates: model_created', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const row = await rig.prisma.user.upsert({
      where: { email: 'ada@example.com' },
      create: { name: 'Ada', email: 'ada@example.com' },
      update: { name: 'never' },
    });
    assert.equal(row.name, 'Ada');
    assert.deepEqual(await sub.take(1), [
      { kind: 'created', model: 'User', row: { id: row.id, name: 'Ada', email: 'ada@example.com' } },
    ]);
  });

  test('upsert that updates: model_updated', TIMEOUT, async () => {
    const user = await rig.base.user.create({ data: { name: 'Ada', email: 'ada@example.com' } });
    const sub = await rig.subscribe();
    const row = await rig.prisma.user.upsert({
      where: { email: 'ada@example.com' },
      create: { name: 'never', email: 'ada@example.com' },
      update: { name: 'Ada L.' },
    });
    assert.deepEqual(row, { id: user.id, name: 'Ada L.', email: 'ada@example.com' });
    assert.deepEqual(await sub.take(1), [{ kind: 'updated', model: 'User', row }]);
  });

  test('upsert by id, both ways', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const args = {
      where: { id: 'u-1' },
      create: { id: 'u-1', name: 'Ada', email: 'ada@example.com' },
      update: { name: 'Ada L.' },
    };
    await rig.prisma.user.upsert(args);
    await rig.prisma.user.upsert(args);
    assert.deepEqual(await sub.take(2), [
      { kind: 'created', model: 'User', row: { id: 'u-1', name: 'Ada', email: 'ada@example.com' } },
      { kind: 'updated', model: 'User', row: { id: 'u-1', name: 'Ada L.', email: 'ada@example.com' } },
    ]);
  });
});

describe('delete', () => {
  test('delete: model_deleted with the id', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const row = await rig.prisma.task.delete({ where: { id: 'b' } });
    assert.equal(row.title, 'B');
    assert.deepEqual(await sub.take(1), [{ kind: 'deleted', model: 'Task', id: 'b' }]);
    assert.deepEqual(await taskIds(), ['a', 'c']);
  });

  test('delete by a unique field other than id: the real id', TIMEOUT, async () => {
    const user = await rig.base.user.create({ data: { name: 'Ada', email: 'ada@example.com' } });
    const sub = await rig.subscribe();
    await rig.prisma.user.delete({ where: { email: 'ada@example.com' } });
    assert.deepEqual(await sub.take(1), [{ kind: 'deleted', model: 'User', id: user.id }]);
  });

  test('deleteMany: one model_deleted per deleted row; the rows outside the filter stay and are not reported', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const result = await rig.prisma.task.deleteMany({ where: { done: false } });
    assert.deepEqual(result, { count: 2 });
    assert.deepEqual(
      sorted(await sub.take(2)),
      sorted([
        { kind: 'deleted', model: 'Task', id: 'a' },
        { kind: 'deleted', model: 'Task', id: 'b' },
      ]),
    );
    assert.deepEqual(await taskIds(), ['c']);
  });

  test('deleteMany without a filter: every row', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    assert.deepEqual(await rig.prisma.task.deleteMany(), { count: 3 });
    assert.deepEqual(
      sorted(await sub.take(3)),
      sorted(['a', 'b', 'c'].map((id) => ({ kind: 'deleted' as const, model: 'Task', id }))),
    );
    assert.deepEqual(await taskIds(), []);
  });

  test('deleteMany with limit: only the rows it deleted', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    assert.deepEqual(await rig.prisma.task.deleteMany({ where: { done: false }, limit: 1 }), { count: 1 });
    const left = await taskIds();
    assert.equal(left.length, 2);
    assert.ok(left.includes('c'));
    const gone = ['a', 'b'].filter((id) => !left.includes(id));
    assert.deepEqual(await sub.take(1), [{ kind: 'deleted', model: 'Task', id: gone[0] }]);
  });

  test('deleteMany matching nothing: { count: 0 } and no event', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    assert.deepEqual(await rig.prisma.task.deleteMany({ where: { title: 'none' } }), { count: 0 });
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(await taskIds(), ['a', 'b', 'c']);
  });
});

describe('what is not broadcast', () => {
  test('writes to a model outside the spec (AuditLog): no event, results unchanged', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const created = await rig.prisma.auditLog.create({ data: { message: 'one' } });
    assert.equal(typeof created.id, 'number');
    assert.deepEqual(await rig.prisma.auditLog.createMany({ data: [{ message: 'two' }, { message: 'three' }] }), {
      count: 2,
    });
    await rig.prisma.auditLog.createManyAndReturn({ data: [{ message: 'four' }] });
    await rig.prisma.auditLog.update({ where: { id: created.id }, data: { message: 'one!' } });
    assert.deepEqual(await rig.prisma.auditLog.updateMany({ data: { message: 'all' } }), { count: 4 });
    await rig.prisma.auditLog.updateManyAndReturn({ where: { id: created.id }, data: { message: 'first' } });
    await rig.prisma.auditLog.upsert({ where: { id: 99 }, create: { message: 'new' }, update: {} });
    await rig.prisma.auditLog.delete({ where: { id: created.id } });
    assert.deepEqual(await rig.prisma.auditLog.deleteMany({ where: { message: 'all' } }), { count: 3 });
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(await rig.base.auditLog.findMany({ select: { message: true } }), [{ message: 'new' }]);
  });

  test('reads: no event', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    await rig.prisma.task.findMany();
    await rig.prisma.task.findUnique({ where: { id: 'a' } });
    await rig.prisma.task.count();
    await rig.prisma.task.aggregate({ _count: true });
    await rig.prisma.task.groupBy({ by: ['done'] });
    assert.deepEqual(await sub.take(0), []);
  });

  test('writes through the base client (the one $extends was called on): no event', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    await rig.base.task.create({ data: { title: 'quiet', createdAt: CREATED_AT } });
    assert.deepEqual(await sub.take(0), []);
  });
});

describe('failed writes: no event, the same error as without the extension', () => {
  /**
   * Runs the same failing write through the base client and the extended one (from the same
   * line, so that Prisma's message, which names the call site, can be compared), and checks that
   * both fail alike, that nothing was broadcast and that the database did not change.
   */
  async function failsAlike(write: (client: PrismaRig['base']) => Promise<unknown>): Promise<unknown> {
    const sub = await rig.subscribe();
    const before = {
      tasks: await rig.base.task.findMany({ orderBy: { id: 'asc' } }),
      users: await rig.base.user.findMany({ orderBy: { id: 'asc' } }),
    };
    const errors: unknown[] = [];
    for (const client of [rig.base, rig.prisma as unknown as PrismaRig['base']]) {
      errors.push(await failure(() => write(client)));
    }
    const [plain, extended] = errors.map(errorShape);
    assert.deepEqual(extended, plain);
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(
      {
        tasks: await rig.base.task.findMany({ orderBy: { id: 'asc' } }),
        users: await rig.base.user.findMany({ orderBy: { id: 'asc' } }),
      },
      before,
    );
    return errors[1];
  }

  const ada = { name: 'Ada', email: 'ada@example.com' };

  test('create: unique violation', TIMEOUT, async () => {
    await rig.base.user.create({ data: ada });
    const error = await failsAlike((client) => client.user.create({ data: { name: 'Other', email: ada.email } }));
    assert.equal(Reflect.get(error as object, 'code'), 'P2002');
  });

  test('createMany: unique violation (nothing is written)', TIMEOUT, async () => {
    await rig.base.user.create({ data: ada });
    await failsAlike((client) =>
      client.user.createMany({
        data: [
          { name: 'New', email: 'new@example.com' },
          { name: 'Other', email: ada.email },
        ],
      }),
    );
  });

  test('createManyAndReturn: unique violation', TIMEOUT, async () => {
    await rig.base.user.create({ data: ada });
    await failsAlike((client) => client.user.createManyAndReturn({ data: [{ name: 'Other', email: ada.email }] }));
  });

  test('update of a missing row', TIMEOUT, async () => {
    const error = await failsAlike((client) => client.task.update({ where: { id: 'missing' }, data: { title: 'x' } }));
    assert.equal(Reflect.get(error as object, 'code'), 'P2025');
  });

  test('update: unique violation', TIMEOUT, async () => {
    await rig.base.user.createMany({ data: [ada, { name: 'Bob', email: 'bob@example.com' }] });
    await failsAlike((client) =>
      client.user.update({ where: { email: 'bob@example.com' }, data: { email: ada.email } }),
    );
  });

  test('updateMany: unique violation', TIMEOUT, async () => {
    await rig.base.user.createMany({ data: [ada, { name: 'Bob', email: 'bob@example.com' }] });
    await failsAlike((client) => client.user.updateMany({ data: { email: 'same@example.com' } }));
  });

  test('updateManyAndReturn: unique violation', TIMEOUT, async () => {
    await rig.base.user.createMany({ data: [ada, { name: 'Bob', email: 'bob@example.com' }] });
    await failsAlike((client) => client.user.updateManyAndReturn({ data: { email: 'same@example.com' } }));
  });

  test('upsert: unique violation on create', TIMEOUT, async () => {
    await rig.base.user.create({ data: ada });
    await failsAlike((client) =>
      client.user.upsert({ where: { id: 'nobody' }, create: { name: 'Other', email: ada.email }, update: {} }),
    );
  });

  test('delete of a missing row', TIMEOUT, async () => {
    const error = await failsAlike((client) => client.task.delete({ where: { id: 'missing' } }));
    assert.equal(Reflect.get(error as object, 'code'), 'P2025');
  });

  test('invalid arguments (a validation error)', TIMEOUT, async () => {
    await failsAlike((client) => client.task.create({ data: { titel: 'typo' } as never }));
    await failsAlike((client) => client.task.deleteMany({ where: { titel: 'typo' } as never }));
    await failsAlike((client) => client.task.updateMany({ where: {}, data: { titel: 'typo' } as never }));
    await failsAlike((client) =>
      client.user.upsert({ where: { name: 'not unique' } as never, create: ada, update: {} }),
    );
    await failsAlike((client) => client.task.createMany({ data: [{ titel: 'typo' }] as never }));
    await failsAlike((client) => client.task.create({ data: { title: 'ok' }, select: { titel: true } as never }));
    await failsAlike((client) => client.task.delete({ where: { id: 'a' }, omit: { titel: true } as never }));
    await failsAlike((client) => client.task.deleteMany({ where: {}, limit: -1 }));
  });
});

describe('constraints of the spec', () => {
  test('a write that breaks them is refused before it runs: no row, no event, every violation named', TIMEOUT, async () => {
    const sub = await rig.subscribe(['task', 'user']);
    const created = await failure(() =>
      rig.prisma.task.create({ data: { title: '\u0000', createdAt: CREATED_AT } }),
    );
    assert.ok(created instanceof ValidationError, String(created));
    assert.equal(created.model, 'Task');
    assert.deepEqual(created.violations, [
      { field: 'title', rule: 'required', message: 'must contain a visible character' },
    ]);
    assert.equal(created.message, 'a `Task` row breaks the spec: `title` must contain a visible character');
    const many = await failure(() =>
      rig.prisma.user.createMany({
        data: [
          { name: 'Ada', email: 'ada@example.com' },
          { name: ' ', email: 'not an address' },
        ],
      }),
    );
    assert.ok(many instanceof ValidationError);
    assert.deepEqual(
      many.violations.map((v) => [v.field, v.rule]),
      [
        ['name', 'required'],
        ['email', 'email'],
      ],
    );
    await seedTasks();
    const updated = await failure(() => rig.prisma.task.update({ where: { id: 'a' }, data: { title: { set: '\u200b' } } }));
    assert.ok(updated instanceof ValidationError);
    const upserted = await failure(() =>
      rig.prisma.user.upsert({
        where: { email: 'x@example.com' },
        create: { name: 'X', email: 'x@example' },
        update: { name: 'X' },
      }),
    );
    assert.ok(upserted instanceof ValidationError);
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(await rig.base.user.count(), 0);
    assert.deepEqual((await rig.base.task.findUnique({ where: { id: 'a' } }))?.title, 'A');
  });

  test('only the fields a write gives are checked; a valid write goes through', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    await rig.prisma.task.update({ where: { id: 'a' }, data: { done: true } });
    assert.deepEqual(
      (await sub.take(1)).map((e) => e.kind),
      ['updated'],
    );
  });
});

describe('select and omit', () => {
  test('create with select: the caller gets what it selected, the event the whole row', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const row = await rig.prisma.task.create({
      data: { id: 's-1', title: 'Sel', createdAt: CREATED_AT },
      select: { title: true },
    });
    assert.deepEqual(row, { title: 'Sel' });
    assert.deepEqual(await sub.take(1), [
      { kind: 'created', model: 'Task', row: taskRow({ id: 's-1', title: 'Sel' }) },
    ]);
  });

  test('select with fields set to false, and an id the caller did not want', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const row = await rig.prisma.task.update({
      where: { id: 'a' },
      data: { title: 'A2' },
      select: { id: false, title: true, done: false },
    });
    assert.deepEqual(row, { title: 'A2' });
    assert.deepEqual(await sub.take(1), [{ kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A2' }) }]);
  });

  test('update with omit: the caller does not get the omitted fields, the event does', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const row = await rig.prisma.task.update({
      where: { id: 'a' },
      data: { done: true },
      omit: { createdAt: true, tags: true, id: false },
    });
    assert.deepEqual(row, {
      id: 'a',
      title: 'A',
      done: true,
      owner: null,
      priority: null,
      due: null,
      price: null,
      type: null,
      status: 'open',
    });
    assert.deepEqual(await sub.take(1), [
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A', done: true }) },
    ]);
  });

  test('delete with select: the caller gets what it selected, the event the id', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    assert.deepEqual(await rig.prisma.task.delete({ where: { id: 'b' }, select: { title: true } }), { title: 'B' });
    assert.deepEqual(await rig.prisma.task.delete({ where: { id: 'c' }, omit: { id: true } }), {
      title: 'C',
      done: true,
      owner: null,
      priority: null,
      due: null,
      createdAt: CREATED_AT,
      price: null,
      tags: '[]',
      type: null,
      status: 'open',
    });
    assert.deepEqual(await sub.take(2), [
      { kind: 'deleted', model: 'Task', id: 'b' },
      { kind: 'deleted', model: 'Task', id: 'c' },
    ]);
  });

  test('createManyAndReturn and updateManyAndReturn with select and omit', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const created = await rig.prisma.task.createManyAndReturn({
      data: [
        { id: 'm-1', title: 'one', createdAt: CREATED_AT },
        { id: 'm-2', title: 'two', createdAt: CREATED_AT },
      ],
      select: { title: true },
    });
    assert.deepEqual(
      created.map((row) => row.title).sort(),
      ['one', 'two'],
    );
    assert.ok(created.every((row) => Object.keys(row).length === 1));
    const updated = await rig.prisma.task.updateManyAndReturn({
      where: { id: 'm-1' },
      data: { done: true },
      omit: {
        title: true,
        tags: true,
        createdAt: true,
        due: true,
        price: true,
        owner: true,
        priority: true,
        type: true,
        status: true,
      },
    });
    assert.deepEqual(updated, [{ id: 'm-1', done: true }]);
    assert.deepEqual(sorted(await sub.take(3)), sorted([
      { kind: 'created', model: 'Task', row: taskRow({ id: 'm-1', title: 'one' }) },
      { kind: 'created', model: 'Task', row: taskRow({ id: 'm-2', title: 'two' }) },
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'm-1', title: 'one', done: true }) },
    ]));
  });

  test('upsert with select', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    const row = await rig.prisma.user.upsert({
      where: { email: 'ada@example.com' },
      create: { id: 'u-1', name: 'Ada', email: 'ada@example.com' },
      update: {},
      select: { name: true },
    });
    assert.deepEqual(row, { name: 'Ada' });
    assert.deepEqual(await sub.take(1), [
      { kind: 'created', model: 'User', row: { id: 'u-1', name: 'Ada', email: 'ada@example.com' } },
    ]);
  });
});

describe('channels', () => {
  test('a subscriber gets the events of its channels only', TIMEOUT, async () => {
    const users = await rig.subscribe(['user']);
    const tasks = await rig.subscribe(['task']);
    const nothing = await rig.subscribe([]);
    await rig.prisma.task.create({ data: { id: 't', title: 'T', createdAt: CREATED_AT } });
    await rig.prisma.user.create({ data: { id: 'u', name: 'U', email: 'u@example.com' } });
    await rig.prisma.task.update({ where: { id: 't' }, data: { done: true } });
    await rig.prisma.task.delete({ where: { id: 't' } });
    await rig.prisma.user.deleteMany();
    assert.deepEqual(await tasks.take(3), [
      { kind: 'created', model: 'Task', row: taskRow({ id: 't', title: 'T' }) },
      { kind: 'updated', model: 'Task', row: taskRow({ id: 't', title: 'T', done: true }) },
      { kind: 'deleted', model: 'Task', id: 't' },
    ]);
    assert.deepEqual(await users.take(2), [
      { kind: 'created', model: 'User', row: { id: 'u', name: 'U', email: 'u@example.com' } },
      { kind: 'deleted', model: 'User', id: 'u' },
    ]);
    assert.deepEqual(await nothing.take(0), []);
  });
});

describe('transactions', () => {
  test('interactive transaction that commits: every write is reported, once it has committed', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    await rig.prisma.$transaction(async (tx) => {
      await tx.task.create({ data: { id: 'n', title: 'N', createdAt: CREATED_AT } });
      await tx.task.update({ where: { id: 'a' }, data: { title: 'A2' } });
      await tx.task.delete({ where: { id: 'b' } });
      assert.deepEqual(await sub.take(0), [], 'nothing before the commit');
    });
    assert.deepEqual(await sub.take(3), [
      { kind: 'created', model: 'Task', row: taskRow({ id: 'n', title: 'N' }) },
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A2' }) },
      { kind: 'deleted', model: 'Task', id: 'b' },
    ]);
  });

  test('interactive transaction: createMany, updateMany, upsert and deleteMany see its own rows', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const counts = await rig.prisma.$transaction(async (tx) => {
      const created = await tx.task.createMany({
        data: [
          { id: 'n1', title: 'N1', createdAt: CREATED_AT },
          { id: 'n2', title: 'N2', createdAt: CREATED_AT },
        ],
      });
      const updated = await tx.task.updateMany({ where: { id: { in: ['a', 'n1'] } }, data: { priority: 1 } });
      await tx.task.upsert({
        where: { id: 'n2' },
        create: { id: 'never', title: 'never', createdAt: CREATED_AT },
        update: { title: 'N2!' },
      });
      await tx.task.upsert({
        where: { id: 'u' },
        create: { id: 'u', title: 'U', createdAt: CREATED_AT },
        update: { title: 'never' },
      });
      const deleted = await tx.task.deleteMany({ where: { id: { in: ['n1', 'b'] } } });
      return [created.count, updated.count, deleted.count];
    });
    assert.deepEqual(counts, [2, 2, 2]);
    const events = await sub.take(8);
    // In the order of the writes; the rows of one write in any order.
    assert.deepEqual(
      [events.slice(0, 2), sorted(events.slice(2, 4)), events.slice(4, 6), sorted(events.slice(6))],
      [
        [
          { kind: 'created', model: 'Task', row: taskRow({ id: 'n1', title: 'N1' }) },
          { kind: 'created', model: 'Task', row: taskRow({ id: 'n2', title: 'N2' }) },
        ],
        sorted([
          { kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A', priority: 1 }) },
          { kind: 'updated', model: 'Task', row: taskRow({ id: 'n1', title: 'N1', priority: 1 }) },
        ]),
        [
          { kind: 'updated', model: 'Task', row: taskRow({ id: 'n2', title: 'N2!' }) },
          { kind: 'created', model: 'Task', row: taskRow({ id: 'u', title: 'U' }) },
        ],
        sorted([
          { kind: 'deleted', model: 'Task', id: 'b' },
          { kind: 'deleted', model: 'Task', id: 'n1' },
        ]),
      ],
    );
    assert.deepEqual(await taskIds(), ['a', 'c', 'n2', 'u']);
  });

  test('interactive transaction that fails: no event, nothing changed, the error reaches the caller', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const boom = new Error('boom');
    const thrown = await failure(() =>
      rig.prisma.$transaction(async (tx) => {
        await tx.task.deleteMany({ where: { done: false } });
        await tx.task.create({ data: { id: 'n', title: 'N', createdAt: CREATED_AT } });
        await tx.task.createMany({ data: [{ id: 'm', title: 'M', createdAt: CREATED_AT }] });
        await tx.task.update({ where: { id: 'c' }, data: { title: 'C2' } });
        await tx.task.updateMany({ data: { priority: 3 } });
        await tx.task.upsert({ where: { id: 'c' }, create: { title: 'never' }, update: { title: 'C3' } });
        await tx.task.createManyAndReturn({ data: [{ id: 'o', title: 'O', createdAt: CREATED_AT }] });
        throw boom;
      }),
    );
    assert.equal(thrown, boom);
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(await taskIds(), ['a', 'b', 'c']);
  });

  test('interactive transaction that fails on a write: no event, the write error reaches the caller', TIMEOUT, async () => {
    await rig.base.user.create({ data: { name: 'Ada', email: 'ada@example.com' } });
    const sub = await rig.subscribe();
    const error = await failure(() =>
      rig.prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { name: 'Bob', email: 'bob@example.com' } });
        await tx.user.upsert({
          where: { id: 'nobody' },
          create: { name: 'Other', email: 'ada@example.com' },
          update: {},
        });
      }),
    );
    assert.equal(Reflect.get(error as object, 'code'), 'P2002');
    // Prisma's message names the caller's own call.
    assert.match(
      String(Reflect.get(error as object, 'message')),
      /Invalid `tx\.user\.upsert\(\)` invocation in\n.*prisma\.test\.ts/,
    );
    assert.deepEqual(await sub.take(0), []);
    assert.equal(await rig.base.user.count(), 1);
  });

  test('nested transaction that fails inside one that commits: only the outer writes are reported', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    await rig.prisma.$transaction(async (tx) => {
      await tx.task.create({ data: { id: 'outer-1', title: 'O1', createdAt: CREATED_AT } });
      const inner = await failure(() =>
        tx.$transaction(async (nested) => {
          await nested.task.create({ data: { id: 'inner', title: 'I', createdAt: CREATED_AT } });
          await nested.task.deleteMany({ where: { id: 'outer-1' } });
          throw new Error('inner');
        }),
      );
      assert.equal((inner as Error).message, 'inner');
      await tx.task.create({ data: { id: 'outer-2', title: 'O2', createdAt: CREATED_AT } });
    });
    assert.deepEqual(await sub.take(2), [
      { kind: 'created', model: 'Task', row: taskRow({ id: 'outer-1', title: 'O1' }) },
      { kind: 'created', model: 'Task', row: taskRow({ id: 'outer-2', title: 'O2' }) },
    ]);
    assert.deepEqual(await taskIds(), ['outer-1', 'outer-2']);
  });

  test('nested transaction that commits inside one that fails: no event', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    await failure(() =>
      rig.prisma.$transaction(async (tx) => {
        await tx.$transaction(async (nested) => {
          await nested.task.create({ data: { id: 'inner', title: 'I', createdAt: CREATED_AT } });
        });
        throw new Error('outer');
      }),
    );
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(await taskIds(), []);
  });

  test('nested transactions that commit: their events go out with the outer commit, in order', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    await rig.prisma.$transaction(async (tx) => {
      await tx.task.create({ data: { id: '1', title: 'one', createdAt: CREATED_AT } });
      await tx.$transaction(async (nested) => {
        await nested.task.update({ where: { id: '1' }, data: { done: true } });
      });
      await tx.task.delete({ where: { id: '1' } });
    });
    assert.deepEqual(await sub.take(3), [
      { kind: 'created', model: 'Task', row: taskRow({ id: '1', title: 'one' }) },
      { kind: 'updated', model: 'Task', row: taskRow({ id: '1', title: 'one', done: true }) },
      { kind: 'deleted', model: 'Task', id: '1' },
    ]);
  });

  test('batch transaction that commits: every write is reported', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const results = await rig.prisma.$transaction([
      rig.prisma.task.create({ data: { id: 'n', title: 'N', createdAt: CREATED_AT }, select: { id: true } }),
      rig.prisma.task.update({ where: { id: 'a' }, data: { title: 'A2' }, select: { title: true } }),
      rig.prisma.task.delete({ where: { id: 'b' }, select: { id: true } }),
      rig.prisma.task.createMany({ data: [{ id: 'm', title: 'M', createdAt: CREATED_AT }] }),
      rig.prisma.task.updateMany({ where: { id: { in: ['c', 'm'] } }, data: { priority: 5 } }),
    ]);
    assert.deepEqual(results, [{ id: 'n' }, { title: 'A2' }, { id: 'b' }, { count: 1 }, { count: 2 }]);
    const events = await sub.take(6);
    assert.deepEqual(events.slice(0, 4), [
      { kind: 'created', model: 'Task', row: taskRow({ id: 'n', title: 'N' }) },
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'a', title: 'A2' }) },
      { kind: 'deleted', model: 'Task', id: 'b' },
      { kind: 'created', model: 'Task', row: taskRow({ id: 'm', title: 'M' }) },
    ]);
    assert.deepEqual(
      sorted(events.slice(4)),
      sorted([
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'c', title: 'C', done: true, priority: 5 }) },
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'm', title: 'M', priority: 5 }) },
      ]),
    );
  });

  test('batch transaction: upsert and deleteMany run unchanged, go to onUntracked and are not broadcast', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const results = await rig.prisma.$transaction([
      rig.prisma.task.upsert({ where: { id: 'a' }, create: { title: 'never' }, update: { title: 'A2' } }),
      rig.prisma.task.deleteMany({ where: { id: 'b' } }),
    ]);
    assert.equal(results[0].title, 'A2');
    assert.deepEqual(results[1], { count: 1 });
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(rig.untracked.splice(0), [
      { model: 'Task', operation: 'upsert' },
      { model: 'Task', operation: 'deleteMany' },
    ]);
    assert.deepEqual(await taskIds(), ['a', 'c']);
  });

  test('batch transaction that fails: no event, nothing changed', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const error = await failure(() =>
      rig.prisma.$transaction([
        rig.prisma.task.create({ data: { id: 'n', title: 'N', createdAt: CREATED_AT } }),
        rig.prisma.task.createMany({ data: [{ id: 'm', title: 'M', createdAt: CREATED_AT }] }),
        rig.prisma.task.update({ where: { id: 'missing' }, data: { title: 'x' } }),
      ]),
    );
    assert.equal(Reflect.get(error as object, 'code'), 'P2025');
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(await taskIds(), ['a', 'b', 'c']);
  });
});

describe('concurrency', () => {
  test('writes running at the same time: each reported exactly once, with the right kind', TIMEOUT, async () => {
    await seedTasks();
    const sub = await rig.subscribe();
    const emails = ['a', 'b', 'c', 'd'].map((name) => `${name}@example.com`);
    await rig.base.user.create({ data: { id: 'u-a', name: 'old', email: emails[0]! } });
    await Promise.all([
      ...emails.map((email, index) =>
        rig.prisma.user.upsert({
          where: { email },
          create: { id: `u-${'abcd'[index]!}`, name: 'new', email },
          update: { name: 'updated' },
        }),
      ),
      rig.prisma.task.deleteMany({ where: { id: 'a' } }),
      rig.prisma.task.deleteMany({ where: { id: 'b' } }),
      rig.prisma.task.updateMany({ where: { id: 'c' }, data: { title: 'C2' } }),
      rig.prisma.task.createMany({ data: [{ id: 'n', title: 'N', createdAt: CREATED_AT }] }),
    ]);
    assert.deepEqual(
      sorted(await sub.take(8)),
      sorted([
        { kind: 'updated', model: 'User', row: { id: 'u-a', name: 'updated', email: 'a@example.com' } },
        { kind: 'created', model: 'User', row: { id: 'u-b', name: 'new', email: 'b@example.com' } },
        { kind: 'created', model: 'User', row: { id: 'u-c', name: 'new', email: 'c@example.com' } },
        { kind: 'created', model: 'User', row: { id: 'u-d', name: 'new', email: 'd@example.com' } },
        { kind: 'deleted', model: 'Task', id: 'a' },
        { kind: 'deleted', model: 'Task', id: 'b' },
        { kind: 'updated', model: 'Task', row: taskRow({ id: 'c', title: 'C2', done: true }) },
        { kind: 'created', model: 'Task', row: taskRow({ id: 'n', title: 'N' }) },
      ]),
    );
  });
});

describe('options and composition', () => {
  test('without onUntracked, an untracked write is a warning through the server logger', TIMEOUT, async () => {
    await seedTasks();
    const prisma = rig.base.$extends(realtimeExtension(rig.server.realtime));
    const sub = await rig.subscribe();
    await prisma.$transaction([prisma.task.deleteMany({ where: { id: 'a' } })]);
    assert.deepEqual(await sub.take(0), []);
    assert.deepEqual(
      rig.logs.filter(({ level }) => level !== 'debug'),
      [
        {
          level: 'warn',
          message: '`Task.deleteMany` is not broadcast',
          details: { model: 'Task', operation: 'deleteMany' },
        },
      ],
    );
  });

  test('$transaction options reach Prisma', TIMEOUT, async () => {
    const sub = await rig.subscribe();
    await rig.prisma.$transaction(
      async (tx) => {
        await tx.task.create({ data: { id: 'o', title: 'O', createdAt: CREATED_AT } });
      },
      { timeout: 20_000, maxWait: 10_000, isolationLevel: 'Serializable' },
    );
    const error = await failure(() =>
      rig.prisma.$transaction(
        async (tx) => {
          await tx.task.update({ where: { id: 'o' }, data: { done: true } });
          await new Promise((resolve) => setTimeout(resolve, 300));
        },
        { timeout: 50 },
      ),
    );
    assert.match(String((error as Error).message), /timeout|expired|closed/i);
    assert.deepEqual(await sub.take(1), [{ kind: 'created', model: 'Task', row: taskRow({ id: 'o', title: 'O' }) }]);
  });

  /** An extension that records the operations it sees, and which run in a transaction. */
  function recorder(seen: string[]) {
    return {
      query: {
        $allModels: {
          async $allOperations(params: {
            model: string;
            operation: string;
            args: unknown;
            query: (args: unknown) => Promise<unknown>;
          }) {
            const internal: unknown = Reflect.get(params, '__internalParams');
            const transaction: unknown =
              typeof internal === 'object' && internal !== null ? Reflect.get(internal, 'transaction') : undefined;
            const where = transaction === undefined ? '' : ' in a transaction';
            seen.push(`${params.model}.${params.operation}${where}`);
            return params.query(params.args);
          },
        },
      },
    };
  }

  /** Writes through `prisma` and checks the events: the same whatever else is applied. */
  async function writeAndCheck(prisma: PrismaRig['base']): Promise<void> {
    const sub = await rig.subscribe();
    await prisma.task.create({ data: { id: 'x', title: 'X', createdAt: CREATED_AT } });
    await prisma.task.createMany({ data: [{ id: 'y', title: 'Y', createdAt: CREATED_AT }] });
    await prisma.task.upsert({ where: { id: 'x' }, create: { title: 'never' }, update: { title: 'X2' } });
    await failure(() =>
      prisma.$transaction(async (tx) => {
        await tx.task.delete({ where: { id: 'x' } });
        throw new Error('undo');
      }),
    );
    await prisma.task.deleteMany({ where: { id: 'x' } });
    assert.deepEqual(await sub.take(4), [
      { kind: 'created', model: 'Task', row: taskRow({ id: 'x', title: 'X' }) },
      { kind: 'created', model: 'Task', row: taskRow({ id: 'y', title: 'Y' }) },
      { kind: 'updated', model: 'Task', row: taskRow({ id: 'x', title: 'X2' }) },
      { kind: 'deleted', model: 'Task', id: 'x' },
    ]);
  }

  test('an extension applied after it sees the statements that really run', TIMEOUT, async () => {
    const seen: string[] = [];
    await writeAndCheck(rig.prisma.$extends(recorder(seen)) as unknown as PrismaRig['base']);
    // The read and the write of an upsert or deleteMany run in one transaction.
    assert.deepEqual(seen, [
      'Task.create',
      'Task.createManyAndReturn',
      'Task.findUnique in a transaction',
      'Task.upsert in a transaction',
      'Task.delete in a transaction',
      'Task.findMany in a transaction',
      'Task.deleteMany in a transaction',
    ]);
  });

  test('an extension applied before it sees each call once, as it was made', TIMEOUT, async () => {
    const seen: string[] = [];
    const prisma = rig.base.$extends(recorder(seen)).$extends(realtimeExtension(rig.server.realtime));
    await writeAndCheck(prisma as unknown as PrismaRig['base']);
    assert.deepEqual(seen, [
      'Task.create',
      'Task.createMany',
      'Task.upsert',
      'Task.delete in a transaction',
      'Task.deleteMany',
    ]);
  });
});
