// The generated Node server on change capture (docs/capture.md): its log is the
// `SqliteChangeLog` of a real SQLite file carrying the generated tables and capture triggers
// (.generated/specs/tasks.sqlite.sql and tasks.capture.sqlite.sql), and every write below is
// plain SQL on a connection of its own, as another process would make it. Nothing is emitted
// by hand: a client receives exactly the committed changes, in commit order; a filtered one
// sees a row leave and enter its filter; a client resumes across a restart of the server.
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { SqliteChangeLog } from '../.generated/specs/tasks/ts-server/api/realtime/capture.js';
import { TestClient, type Received } from './client.js';
import { startTsServer } from './ts-server.js';

const TABLES = readFileSync(new URL('../.generated/specs/tasks.sqlite.sql', import.meta.url), 'utf8');
const CAPTURE = readFileSync(new URL('../.generated/specs/tasks.capture.sqlite.sql', import.meta.url), 'utf8');

/** A database file with the spec's tables and their capture, removed at the end. */
function database(): { file: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sheplang-capture-'));
  const file = join(dir, 'app.sqlite3');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(TABLES);
  db.exec(CAPTURE);
  db.close();
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The model events a client received, in the order they arrived (a test checks that order). */
function modelEvents(client: TestClient): { event: string; data: unknown; seq: number }[] {
  return client.received
    .filter((r: Received) => r.event.startsWith('model_'))
    .map((r) => ({ event: r.event, data: r.args[1], seq: r.args[2] as number }));
}

async function subscribe(client: TestClient, options: object): Promise<{ ok: boolean; epoch: string; seq: number }> {
  const [answer] = await client.request('subscribe', ['task', options]);
  const result = answer as { ok: boolean; epoch: string; seq: number };
  assert.equal(result.ok, true, JSON.stringify(answer));
  return result;
}

test('a Node server on the change table sends what plain SQL commits, in order, and nothing rolled back', { timeout: 60_000 }, async () => {
  const db = database();
  const log = SqliteChangeLog.open(db.file, { pollMs: 20 });
  const server = await startTsServer({}, { log });
  const whole = await TestClient.connect(server.url);
  const open = await TestClient.connect(server.url);
  const writer = new Database(db.file);
  try {
    const start = await subscribe(whole, {});
    await subscribe(open, { filter: { done: false } });

    const insert = writer.prepare(`INSERT INTO "Task" ("title", "createdAt") VALUES (?, '2026-11-30T10:00:00Z')`);
    const first = Number(insert.run('first').lastInsertRowid);
    const second = Number(insert.run('second').lastInsertRowid);
    // A transaction that rolls back: no event may ever carry its row.
    writer.exec('BEGIN');
    insert.run('rolled back');
    writer.exec('ROLLBACK');
    writer.prepare(`UPDATE "Task" SET "done" = 1 WHERE "rowid" = ?`).run(first); // leaves { done: false }
    writer.prepare(`UPDATE "Task" SET "title" = 'first, done' WHERE "rowid" = ?`).run(first); // outside it
    writer.prepare(`UPDATE "Task" SET "done" = 0 WHERE "rowid" = ?`).run(first); // enters it again
    writer.prepare(`DELETE FROM "Task" WHERE "rowid" = ?`).run(second);
    insert.run('the end');

    await whole.waitFor('model_created', (args) => (args[1] as { title?: string }).title === 'the end', 10_000);
    await open.waitFor('model_created', (args) => (args[1] as { title?: string }).title === 'the end', 10_000);
    const rows = writer.prepare(`SELECT "id" FROM "Task" ORDER BY "rowid"`).all() as { id: string | number }[];
    const ids = rows.map((r) => String(r.id));

    const all = modelEvents(whole);
    assert.deepEqual(
      all.map((e) => e.event),
      ['model_created', 'model_created', 'model_updated', 'model_updated', 'model_updated', 'model_deleted', 'model_created'],
    );
    assert.deepEqual(
      all.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6, 7].map((n) => start.seq + n),
      'one position after the other, none for the rolled-back write',
    );
    assert.ok(!JSON.stringify(all).includes('rolled back'));
    const firstRow = all[4]?.data as { id: string; title: string; done: boolean };
    assert.equal(firstRow.title, 'first, done');
    assert.equal(firstRow.done, false);
    assert.deepEqual(ids, [firstRow.id, (all[6]?.data as { id: string }).id], 'the rows a fresh read returns');

    const filtered = modelEvents(open).map((e) => [e.event, typeof e.data === 'string' ? e.data : (e.data as { title: string }).title]);
    const firstId = firstRow.id;
    assert.deepEqual(filtered, [
      ['model_created', 'first'],
      ['model_created', 'second'],
      ['model_deleted', firstId], // done: the row left the filter
      ['model_created', 'first, done'], // open again: it entered it, with its whole row
      ['model_deleted', (all[1]?.data as { id: string }).id],
      ['model_created', 'the end'],
    ]);
  } finally {
    whole.close();
    open.close();
    writer.close();
    await server.close();
    log.close();
    db.dispose();
  }
});

test('a client resumes from its position across a restart of the Node server', { timeout: 60_000 }, async () => {
  const db = database();
  const writer = new Database(db.file);
  const insert = writer.prepare(`INSERT INTO "Task" ("title", "createdAt") VALUES (?, '2026-11-30T10:00:00Z')`);
  let log = SqliteChangeLog.open(db.file, { pollMs: 20 });
  let server = await startTsServer({}, { log });
  let client = await TestClient.connect(server.url);
  try {
    const { epoch } = await subscribe(client, {});
    insert.run('before the restart');
    const seen = await client.waitFor('model_created', () => true, 10_000);
    const last = seen.args[2] as number;
    client.close();
    await server.close();
    log.close();
    // Written while no server runs: kept in the change table.
    insert.run('while down 1');
    insert.run('while down 2');
    log = SqliteChangeLog.open(db.file, { pollMs: 20 });
    server = await startTsServer({}, { log });
    client = await TestClient.connect(server.url);
    const [answer] = await client.request('subscribe', ['task', { since: last, epoch }]);
    assert.deepEqual(answer, { ok: true, epoch, seq: last + 2 });
    await client.waitFor('model_created', (args) => (args[1] as { title?: string }).title === 'while down 2', 10_000);
    assert.deepEqual(
      modelEvents(client).map((e) => [e.seq, (e.data as { title: string }).title]),
      [
        [last + 1, 'while down 1'],
        [last + 2, 'while down 2'],
      ],
    );
  } finally {
    client.close();
    writer.close();
    await server.close();
    log.close();
    db.dispose();
  }
});
