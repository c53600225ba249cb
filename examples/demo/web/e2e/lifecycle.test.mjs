// The lifecycle on the demo's board, in two real browsers (Debian's Chromium, playwright-core):
// the spec's `states: todo -> doing -> done` gives the page one column per state. A task moved
// todo -> doing -> done in page A shows in the matching column of page B at each step; a jump
// todo -> done is refused by the server with the spec's message, which page A shows, and
// neither page moves the card.
//
// Needs the built page, the server binary and Chromium: `bash scripts/test-browser.sh`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api, live, missing, openBrowser, scratch, startServer } from './support/demo.mjs';

const WAIT_MS = 15_000;
const dir = scratch();
let server = null;
const browsers = [];

before(async () => {
  const absent = missing();
  assert.deepEqual(absent, [], `missing:\n  - ${absent.join('\n  - ')}\n  = help: bash scripts/test-browser.sh prepares everything`);
  server = await startServer(`${dir.dir}/tasks.sqlite3`);
});

after(async () => {
  for (const browser of browsers) await browser.close();
  await server?.stop();
  dir.dispose();
});

/** The column (`todo`, `doing`, `done`) that shows the card of task `id` on `page`, or null. */
function columnOf(page, id) {
  return page.evaluate(
    (id) => document.querySelector(`[data-testid=board-card][data-id="${id}"]`)?.closest('[data-state]')?.dataset.state ?? null,
    id,
  );
}

/** Waits until the card of task `id` is in column `state` on `page`. */
async function inColumn(page, id, state) {
  await page.waitForSelector(`[data-testid=column-${state}] [data-testid=board-card][data-id="${id}"]`, { timeout: WAIT_MS });
}

test('a move on page A shows in the same column on page B; a skipped step is refused and moves nothing', async () => {
  const A = await openBrowser(dir.dir, 'A');
  const B = await openBrowser(dir.dir, 'B');
  browsers.push(A, B);
  for (const { page } of [A, B]) {
    await page.goto(server.url);
    await live(page, WAIT_MS);
  }
  const task = await api(server.url).create('Build the board');
  for (const { page } of [A, B]) await inColumn(page, task.id, 'todo');

  // todo -> done skips `doing`: refused, with the spec's message on A, and nothing moves.
  const card = (page) => page.locator(`[data-testid=board-card][data-id="${task.id}"]`);
  await card(A.page).locator('[data-testid=move-done]').click();
  const alert = A.page.locator('[data-testid=board-error]');
  await alert.waitFor({ timeout: WAIT_MS });
  assert.match(await alert.textContent(), /`Task` may not go from `todo` to `done`: from `todo` it may only become `doing`/);
  // A marker after the refused move: once it shows on both pages, the refused one had its chance.
  const marker = await api(server.url).create('marker');
  for (const { page } of [A, B]) {
    await inColumn(page, marker.id, 'todo');
    assert.equal(await columnOf(page, task.id), 'todo', 'the refused move changed nothing');
  }

  // todo -> doing -> done, one step at a time, each seen on B.
  for (const step of ['doing', 'done']) {
    await card(A.page).locator(`[data-testid=move-${step}]`).click();
    await inColumn(B.page, task.id, step);
    await inColumn(A.page, task.id, step);
  }
  const rows = await api(server.url).list();
  assert.equal(rows.find((row) => row.id === task.id).status, 'done');
  for (const { problems, page } of [A, B]) {
    // The refused PATCH is a 422 the browser logs as a failed request; nothing else.
    assert.deepEqual(problems.filter((p) => !p.includes('422')), [], `console errors on ${page.url()}`);
  }
});
