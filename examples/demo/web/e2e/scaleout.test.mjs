// Two demo processes on one SQLite file and one Redis are one app (docs/scale-out.md): a task
// added in page A, served by process 1, appears in page B, served by process 2, and a rename
// made in B appears in A. Both pages end with the database's rows.
//
// Needs $REDIS_URL (scripts/test-browser.sh starts a redis-server through
// scripts/lib/services.sh when it is not set), the built page, the server binary and Chromium.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { allRows, api, live, missing, openBrowser, scratch, serverRows, startServer } from './support/demo.mjs';

const WAIT_MS = 15_000;
const cleanup = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('a change made through one demo process reaches the page of another', async () => {
  assert.deepEqual(missing(), [], 'what the test needs');
  const redis = process.env.REDIS_URL;
  assert.ok(redis, '$REDIS_URL is not set: run scripts/test-browser.sh, which starts a redis-server');
  const dir = scratch();
  cleanup.push(async () => dir.dispose());
  const db = join(dir.dir, 'tasks.sqlite3');
  const one = await startServer(db, 0, ['--redis', redis]);
  cleanup.push(() => one.stop());
  const two = await startServer(db, 0, ['--redis', redis]);
  cleanup.push(() => two.stop());

  const a = await openBrowser(dir.dir, 'A');
  cleanup.push(() => a.close());
  const b = await openBrowser(dir.dir, 'B');
  cleanup.push(() => b.close());
  await a.page.goto(one.url);
  await b.page.goto(two.url);
  await Promise.all([live(a.page, WAIT_MS), live(b.page, WAIT_MS)]);

  const title = `added on process 1 at ${Date.now()}`;
  await a.page.getByTestId('new-title').fill(title);
  await a.page.getByTestId('new-title').press('Enter');
  const inB = b.page.locator('[data-testid=task]').filter({ has: b.page.getByTestId('title').getByText(title, { exact: true }) });
  await inB.waitFor({ timeout: WAIT_MS });

  // And back: a rename through process 2's API reaches page A.
  const id = await inB.getAttribute('data-id');
  await api(two.url).rename(id, `${title}, renamed on process 2`);
  await a.page
    .getByTestId('title')
    .getByText(`${title}, renamed on process 2`, { exact: true })
    .waitFor({ timeout: WAIT_MS });

  const rows = serverRows(await api(one.url).list());
  assert.deepEqual(await allRows(a.page), rows, 'page A shows the database');
  assert.deepEqual(await allRows(b.page), rows, 'page B shows the database');
  assert.deepEqual(a.problems, [], 'no console errors on page A');
  assert.deepEqual(b.problems, [], 'no console errors on page B');
});
