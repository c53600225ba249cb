// A smoke test of the wiring only: the generated Prisma extension on a real Prisma 7 client
// broadcasts through a real RealtimeServer to a real client. The full matrix of operations
// (every write, transactions, failures, models outside the spec) belongs in its own suite.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { realtimeExtension } from '../.generated/specs/tasks/ts-server/api/realtime/middleware.js';
import { TestClient, within } from './client.js';
import { createTestDatabase } from './prisma-db.js';
import { startTsServer } from './ts-server.js';

test('a write through the extended client reaches a subscriber', { timeout: 30_000 }, async () => {
  const server = await startTsServer();
  const database = createTestDatabase();
  const client = await TestClient.connect(server.url);
  try {
    assert.deepEqual(await client.request('subscribe', ['task']), [{ ok: true }]);
    const prisma = database.prisma.$extends(realtimeExtension(server.realtime));
    const created = await prisma.task.create({
      data: { id: 'task-1', title: 'Write', price: '12.5', tags: '["docs"]' },
      select: { title: true },
    });
    // The caller gets what it selected; the event carries the whole row.
    assert.deepEqual(created, { title: 'Write' });
    const event = await client.waitFor('model_created');
    assert.equal(event.args[0], 'Task');
    const row: unknown = event.args[1];
    assert.ok(typeof row === 'object' && row !== null && 'createdAt' in row);
    assert.match(String(row.createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.deepEqual(
      { ...row, createdAt: 'now' },
      {
        id: 'task-1',
        title: 'Write',
        done: false,
        owner: null,
        priority: null,
        due: null,
        createdAt: 'now',
        price: '12.5',
        tags: ['docs'],
        type: null,
        // The lifecycle's state, in the chain's first state (`states: open -> doing -> done`).
        status: 'open',
      },
    );
    await prisma.task.deleteMany({ where: { title: 'Write' } });
    const deleted = await client.waitFor('model_deleted');
    assert.deepEqual(deleted.args, ['Task', 'task-1']);
  } finally {
    client.close();
    await database.dispose();
    await within(server.close(), 5_000, 'the server did not close');
  }
});
