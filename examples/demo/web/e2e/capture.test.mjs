// Every committed write reaches the pages, whoever makes it (docs/capture.md): a task inserted
// into the demo's database file with the `sqlite3` shell, with no server involved, appears in
// both pages; so does a rename made the same way, and a delete. The pages end with the
// database's rows.
//
// Needs the `sqlite3` shell (scripts/test-browser.sh installs Debian's when it is missing), the
// built page, the server binary and Chromium.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { api, live, missing, openBrowser, scratch, serverRows, shownRows, startServer } from './support/demo.mjs';

const WAIT_MS = 15_000;
const cleanup = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Runs `sql` with the sqlite3 shell on `db`; returns what it prints. */
function sqlite3(db, sql) {
  return execFileSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', db, sql], { encoding: 'utf8' });
}

test('a task written with the sqlite3 shell into the database file appears in both pages', async () => {
  assert.deepEqual(missing(), [], 'what the test needs');
  const dir = scratch();
  cleanup.push(async () => dir.dispose());
  const db = join(dir.dir, 'tasks.sqlite3');
  const server = await startServer(db);
  cleanup.push(() => server.stop());

  const a = await openBrowser(dir.dir, 'A');
  cleanup.push(() => a.close());
  const b = await openBrowser(dir.dir, 'B');
  cleanup.push(() => b.close());
  await a.page.goto(server.url);
  await b.page.goto(server.url);
  await Promise.all([live(a.page, WAIT_MS), live(b.page, WAIT_MS)]);

  const title = `from the sqlite3 shell at ${Date.now()}`;
  const started = Date.now();
  const id = sqlite3(
    db,
    `INSERT INTO task (title, created_at) VALUES ('${title}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) RETURNING id;`,
  ).trim();
  assert.match(id, /^\d+$/, 'the shell printed the new id');
  const row = (page, text) =>
    page.locator(`[data-testid=task][data-id="${id}"]`).filter({ has: page.getByTestId('title').getByText(text, { exact: true }) });
  await Promise.all([row(a.page, title).waitFor({ timeout: WAIT_MS }), row(b.page, title).waitFor({ timeout: WAIT_MS })]);
  console.log(`# inserted with sqlite3, shown in both pages after ${Date.now() - started} ms`);

  // A rename and a completion in one transaction, then a delete: each shows in both pages.
  sqlite3(db, `BEGIN; UPDATE task SET title = '${title}, renamed' WHERE id = ${id}; UPDATE task SET done = 1 WHERE id = ${id}; COMMIT;`);
  for (const page of [a.page, b.page]) {
    await row(page, `${title}, renamed`).getByTestId('toggle').and(page.locator(':checked')).waitFor({ timeout: WAIT_MS });
  }
  const rows = serverRows(await api(server.url).list());
  assert.deepEqual(await shownRows(a.page), rows, 'page A shows the database');
  assert.deepEqual(await shownRows(b.page), rows, 'page B shows the database');

  sqlite3(db, `DELETE FROM task WHERE id = ${id};`);
  for (const page of [a.page, b.page]) {
    await page.locator(`[data-testid=task][data-id="${id}"]`).waitFor({ state: 'detached', timeout: WAIT_MS });
  }
  const left = serverRows(await api(server.url).list());
  assert.deepEqual(await shownRows(a.page), left, 'page A shows the database after the delete');
  assert.deepEqual(await shownRows(b.page), left, 'page B shows the database after the delete');
  assert.deepEqual(a.problems, [], 'no console errors on page A');
  assert.deepEqual(b.problems, [], 'no console errors on page B');
});
