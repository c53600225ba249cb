// The pages scenarios: real Chromium pages on the demo under a burst of writes, a long list, a
// flapping network, a 1 kB/s link and an outage. Each checks what a user would see (and throws
// when it is wrong) and returns its timings; e2e/pages.test.mjs runs them small, bench/pages/
// run.mjs runs them at full size and prints the figures.
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { errors } from 'playwright-core';

import {
  allRows,
  api,
  blankPage,
  createMany,
  frames,
  live,
  openChromium,
  resetFrames,
  rowsShown,
  scratch,
  scrollToEnd,
  serverRows,
  startServer,
  within,
} from './demo.mjs';
import { cpuSnapshot, cpuSpent } from './cpu.mjs';
import { startShaper } from './shaper.mjs';

/**
 * A fresh server and the pages named, all live, in one Chromium (`openChromium`: a context and
 * window each, as one user's tabs); `done()` closes everything.
 */
async function setUp(names, { via } = {}) {
  const dir = scratch();
  const db = join(dir.dir, 'tasks.sqlite3');
  const server = await startServer(db);
  const link = via === 'shaper' ? await startShaper({ port: server.port }) : null;
  const browser = await openChromium('pages');
  const pages = {};
  for (const name of names) {
    pages[name] = await browser.page(name);
  }
  await Promise.all(Object.values(pages).map(({ page }) => page.goto(link?.url ?? server.url)));
  await Promise.all(Object.values(pages).map(({ page }) => live(page, 30_000)));
  return {
    server,
    db,
    link,
    pages,
    client: api(server.url),
    async done() {
      for (const { close } of Object.values(pages)) {
        await close();
      }
      await browser.close();
      await link?.close();
      await this.server.stop();
      dir.dispose();
    },
  };
}

/**
 * Waits until `page` is Live and shows exactly the server's rows: first (every frame) that its
 * list has as many rows as the server and those on screen are the server's at their places;
 * then that every row, read by scrolling through the list, is. Resolves with the page's clock
 * when the first check held.
 */
async function equalToServer(page, client, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const expected = serverRows(await client.list());
    const left = deadline - Date.now();
    try {
      const handle = await page.waitForFunction(
        (rows) => {
          if (document.querySelector('[data-testid=status]')?.dataset.sync !== 'live') {
            return false;
          }
          const list = document.querySelector('[data-testid=task-list]');
          if (Number(list?.dataset.count ?? 0) !== rows.length) {
            return false;
          }
          for (const item of list?.querySelectorAll('li[aria-posinset]') ?? []) {
            const row = item.querySelector('[data-testid=task]');
            const title = row?.querySelector('[data-testid=title]')?.textContent ?? '';
            const done = row?.querySelector('[data-testid=toggle]')?.checked === true;
            if (`${row?.dataset.id} ${title}${done ? ' (done)' : ''}` !== rows[Number(item.getAttribute('aria-posinset')) - 1]) {
              return false;
            }
          }
          return Date.now();
        },
        expected,
        { polling: 'raf', timeout: Math.max(Math.min(left, 2_000), 1) },
      );
      const at = await handle.jsonValue();
      // Every row, and the server not moved on meanwhile; else look again.
      if (
        JSON.stringify(await allRows(page)) === JSON.stringify(expected) &&
        JSON.stringify(serverRows(await client.list())) === JSON.stringify(expected)
      ) {
        return at;
      }
    } catch (error) {
      if (!(error instanceof errors.TimeoutError)) {
        throw error;
      }
    }
    if (Date.now() >= deadline) {
      const shown = await allRows(page);
      const status = await page.getByTestId('status').getAttribute('data-sync');
      let wrong = 0;
      while (wrong < Math.max(shown.length, expected.length) && shown[wrong] === expected[wrong]) {
        wrong += 1;
      }
      throw new Error(
        `the page is not Live and equal to the server after ${timeout} ms (it says ${status}; ${shown.length} rows in its list, ${expected.length} on the server; ` +
          `first difference at row ${wrong + 1}: ${shown[wrong]} shown, ${expected[wrong]} on the server)`,
      );
    }
  }
}

/**
 * Notes, by the page's clock, when the next `click` event reaches the page (the button's release,
 * when a checkbox changes; not the press, which playwright sends a round trip earlier);
 * `clickedAt(page)` reads it.
 */
function armClick(page) {
  return page.evaluate(() => {
    window.__clickAt = 0;
    document.addEventListener('click', () => {
      window.__clickAt = Date.now();
    }, { capture: true, once: true });
  });
}

function clickedAt(page) {
  return page.evaluate(() => window.__clickAt);
}

/**
 * Starts looking, in `page` itself and every animation frame, for the row `id` shown done;
 * `doneShown(page, timeout)` resolves with the page's clock at the first frame that showed it
 * (not when playwright next looked: its round trips are no part of the page's latency).
 */
function watchDone(page, id) {
  return page.evaluate((rowId) => {
    window.__doneAt = 0;
    const look = () => {
      if (document.querySelector(`[data-testid=task][data-id="${rowId}"] [data-testid=toggle]`)?.checked === true) {
        window.__doneAt = Date.now();
      } else {
        requestAnimationFrame(look);
      }
    };
    requestAnimationFrame(look);
  }, id);
}

function doneShown(page, timeout) {
  return page
    .waitForFunction(() => window.__doneAt || false, null, { polling: 'raf', timeout })
    .then((handle) => handle.jsonValue());
}

/**
 * `count` creates through the API, `parallel` at a time (`createMany`), with two pages open: when
 * both show every row, how a click after the burst shows in both, and the longest frame gap.
 * The machine's share of the gaps is measured apart, in a burst of its own (`blankBurst`): a
 * probe running beside the pages would take the CPU they need.
 */
export async function burst({ count, parallel = 8 }) {
  const setup = await setUp(['A', 'B']);
  try {
    const { pages, client } = setup;
    const before = (await client.list()).length;
    await Promise.all([resetFrames(pages.A.page), resetFrames(pages.B.page)]);
    const cpuBefore = cpuSnapshot();
    const { startedMs: started, lastAnswerMs: lastAnswer } = await createMany(setup.server.url, {
      count,
      parallel,
      title: 'Burst task {n}',
    });
    const shown = await Promise.all([
      rowsShown(pages.A.page, before + count, 120_000),
      rowsShown(pages.B.page, before + count, 120_000),
    ]);
    const cpu = cpuSpent(cpuBefore, cpuSnapshot());
    const gaps = await Promise.all([frames(pages.A.page), frames(pages.B.page)]);
    await Promise.all([equalToServer(pages.A.page, client, 30_000), equalToServer(pages.B.page, client, 30_000)]);

    // A click after the burst: the last row, completed in A, both pages scrolled to it.
    await Promise.all([scrollToEnd(pages.A.page), scrollToEnd(pages.B.page)]);
    const id = await pages.A.page.locator('[data-testid=task-list] > li:last-child [data-testid=task]').getAttribute('data-id');
    const toggle = pages.A.page.locator(`[data-testid=task][data-id="${id}"] [data-testid=toggle]`);
    await Promise.all([armClick(pages.A.page), watchDone(pages.A.page, id), watchDone(pages.B.page, id)]);
    await toggle.click();
    const [inA, inB] = await Promise.all([doneShown(pages.A.page, 30_000), doneShown(pages.B.page, 30_000)]);
    const clicked = await clickedAt(pages.A.page);
    await Promise.all([equalToServer(pages.A.page, client, 30_000), equalToServer(pages.B.page, client, 30_000)]);
    assert.deepEqual(setup.pages.A.problems, [], 'no console errors in A');
    assert.deepEqual(setup.pages.B.problems, [], 'no console errors in B');
    return {
      apiMs: lastAnswer - started,
      shownAfterLastAnswerMs: Math.max(...shown) - lastAnswer,
      clickShownInA: inA - clicked,
      clickShownInBoth: Math.max(inA, inB) - clicked,
      maxFrameGapMs: Math.max(gaps[0].max, gaps[1].max),
      longestTaskMs: Math.max(gaps[0].longestTask, gaps[1].longestTask),
      cpu,
    };
  } finally {
    await setup.done();
  }
}

/**
 * The same burst as `burst` with no demo page open, only a blank page (`blankPage`) watching its
 * frames: its longest frame gap is the machine's share of a page's gaps in a burst (the server
 * and the writer at work, and the blank page's own browser), without the pages' own work.
 */
export async function blankBurst({ count, parallel = 8 }) {
  const dir = scratch();
  const server = await startServer(join(dir.dir, 'tasks.sqlite3'));
  const client = api(server.url);
  const blank = await blankPage(dir.dir);
  try {
    const before = (await client.list()).length;
    await resetFrames(blank.page);
    const cpuBefore = cpuSnapshot();
    const { startedMs, lastAnswerMs } = await createMany(server.url, { count, parallel, title: 'Burst task {n}' });
    const cpu = cpuSpent(cpuBefore, cpuSnapshot());
    const gaps = await frames(blank.page);
    assert.equal((await client.list()).length, before + count, 'every create saved');
    return { apiMs: lastAnswerMs - startedMs, blankFrameGapMs: gaps.max, cpu };
  } finally {
    await blank.close();
    await server.stop();
    dir.dispose();
  }
}

/** `count` rows (made before the pages open), scrolled through and clicked: frame times. */
export async function longList({ count, parallel = 16 }) {
  const dir = scratch();
  const server = await startServer(join(dir.dir, 'tasks.sqlite3'));
  const client = api(server.url);
  const browser = await openChromium('pages');
  try {
    await createMany(server.url, { count, parallel, title: 'Row {n}' });
    const total = (await client.list()).length;
    const a = await browser.page('A');
    const b = await browser.page('B');
    const loadStarted = Date.now();
    await Promise.all([a.page.goto(server.url), b.page.goto(server.url)]);
    const loaded = await Promise.all([rowsShown(a.page, total, 60_000), rowsShown(b.page, total, 60_000)]);
    await Promise.all([live(a.page, 30_000), live(b.page, 30_000)]);

    // Scroll A from top to bottom, one step a frame, in about 200 steps. A is the page in
    // front (B was opened after it). The scroll ends where it moves no further down, or after
    // 1,000 steps.
    await a.page.bringToFront();
    await resetFrames(a.page);
    await within(60_000, 'scrolling to the bottom', () => a.page.evaluate(
      () =>
        new Promise((resolve) => {
          const by = Math.max(600, Math.ceil(document.documentElement.scrollHeight / 200));
          let steps = 0;
          // The next frame, or 100 ms if no frame comes (the frame probe then shows the gap:
          // a page that stops drawing is a figure of this run, not a run that never ends).
          const next = () => {
            let taken = false;
            const go = () => {
              if (!taken) {
                taken = true;
                step();
              }
            };
            requestAnimationFrame(go);
            setTimeout(go, 100);
          };
          const step = () => {
            const before = window.scrollY;
            window.scrollBy(0, by);
            steps += 1;
            if (window.scrollY <= before || steps >= 1000) {
              resolve();
            } else {
              next();
            }
          };
          next();
        }),
    ));
    const scrolled = await frames(a.page);

    // A click on a row on screen, near the bottom of the list.
    await resetFrames(a.page);
    // The list's last row, brought on screen (the board below the list holds cards, not rows).
    await scrollToEnd(a.page);
    const id = await a.page.evaluate(() => {
      const list = document.querySelector('[data-testid=task-list]');
      const last = list?.querySelector(`li[aria-posinset="${list?.dataset.count}"]`);
      last?.scrollIntoView({ block: 'end' });
      const row = last?.matches('[data-testid=task]') ? last : last?.querySelector('[data-testid=task]');
      return row instanceof HTMLElement ? row.dataset.id : null;
    });
    assert.ok(id, 'the list\'s last row');
    // B shows the same place of the list.
    await scrollToEnd(b.page);
    await b.page.locator(`[data-testid=task][data-id="${id}"]`).waitFor({ timeout: 10_000 });
    const toggle = a.page.locator(`[data-testid=task][data-id="${id}"] [data-testid=toggle]`);
    await Promise.all([armClick(a.page), watchDone(a.page, id), watchDone(b.page, id)]);
    await toggle.click();
    const [inA, inB] = await Promise.all([doneShown(a.page, 30_000), doneShown(b.page, 30_000)]);
    const clicked = await clickedAt(a.page);
    const afterClick = await frames(a.page);
    await Promise.all([equalToServer(a.page, client, 30_000), equalToServer(b.page, client, 30_000)]);
    assert.deepEqual(a.problems, [], 'no console errors in A');
    return {
      rows: total,
      loadMs: Math.max(...loaded) - loadStarted,
      scrollFrames: scrolled.count,
      scrollMaxFrameMs: scrolled.max,
      scrollP99FrameMs: scrolled.p99,
      scrollLongestTaskMs: scrolled.longestTask,
      clickShownInA: inA - clicked,
      clickShownInB: inB - clicked,
      clickMaxFrameMs: afterClick.max,
      clickLongestTaskMs: afterClick.longestTask,
    };
  } finally {
    await browser.close();
    await server.stop();
    dir.dispose();
  }
}

/**
 * Page B's network goes off and on every `flapMs` for `durationMs` while the server takes writes:
 * how long after the network is back for good B is Live and equal to the server, per run.
 */
export async function flapping({ runs, flapMs = 300, durationMs = 10_000 }) {
  const setup = await setUp(['B']);
  try {
    const { pages, client } = setup;
    const context = pages.B.context;
    const recoveries = [];
    const seed = await client.list();
    for (let run = 0; run < runs; run += 1) {
      // Writes during the flapping: renames of the rows there are, and a create now and then.
      let writing = true;
      let n = 0;
      const writer = (async () => {
        while (writing) {
          n += 1;
          const row = seed[n % seed.length];
          await (n % 5 === 0 ? client.create(`Made while flapping ${run}.${n}`) : client.rename(row.id, `Renamed ${run}.${n}`));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const flaps = Math.floor(durationMs / flapMs);
      for (let i = 0; i < flaps; i += 1) {
        await context.setOffline(i % 2 === 0);
        await new Promise((resolve) => setTimeout(resolve, flapMs));
      }
      await context.setOffline(false);
      const back = Date.now();
      writing = false;
      await writer;
      const at = await equalToServer(pages.B.page, client, 60_000);
      recoveries.push(at - back);
    }
    return { runs, recoveriesMs: recoveries };
  } finally {
    await setup.done();
  }
}

/**
 * A page behind a shaping proxy at `bytesPerSecond` while `renames` renames go through the API
 * (one writer per row, so each row's renames commit in order): the page must end Live and equal
 * to the server, and never say Live while it misses a rename older than `slackMs`.
 */
export async function slowLink({ renames, bytesPerSecond = 1_000, slackMs = 5_000, settleMs = 300_000 }) {
  const setup = await setUp(['C'], { via: 'shaper' });
  try {
    const { pages, client, link } = setup;
    const page = pages.C.page;
    const rows = await client.list();
    // What the page shows whenever it says Live: its rows' titles, by its own clock.
    await page.evaluate(() => {
      const record = [];
      window.__live = record;
      const look = () => {
        if (document.querySelector('[data-testid=status]')?.dataset.sync !== 'live') {
          return;
        }
        const titles = {};
        for (const row of document.querySelectorAll('[data-testid=task]')) {
          titles[row.dataset.id] = row.querySelector('[data-testid=title]')?.textContent ?? '';
        }
        record.push({ at: Date.now(), titles });
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      look();
    });
    link.set({ bytesPerSecond });
    /** When the API answered rename `k` of each row. */
    const answered = new Map(rows.map((row) => [row.id, []]));
    const started = Date.now();
    const perRow = Math.ceil(renames / rows.length);
    await Promise.all(
      rows.map(async (row) => {
        for (let k = 0; k < perRow; k += 1) {
          await client.rename(row.id, `r${k}`);
          answered.get(row.id).push(Date.now());
        }
      }),
    );
    const lastAnswer = Date.now();
    const at = await equalToServer(page, client, settleMs);
    const record = await page.evaluate(() => window.__live);
    // Live while missing a rename answered more than `slackMs` before: a lie.
    const lies = [];
    for (const { at: when, titles } of record) {
      for (const [id, times] of answered) {
        const match = /^r(\d+)$/.exec(titles[id] ?? '');
        const shownK = match === null ? -1 : Number(match[1]);
        const missed = times.findIndex((time, k) => k > shownK && time < when - slackMs);
        if (missed !== -1) {
          lies.push(`Live at +${when - started} ms showing ${titles[id]} for ${id}, but r${missed} was saved at +${times[missed] - started} ms`);
        }
      }
    }
    assert.deepEqual(lies.slice(0, 5), [], `the page said Live over stale rows ${lies.length} times`);
    return {
      renames: perRow * rows.length,
      bytesPerSecond,
      apiMs: lastAnswer - started,
      equalAfterLastAnswerMs: at - lastAnswer,
      liveSamples: record.length,
    };
  } finally {
    await setup.done();
  }
}

/**
 * The server goes away; page B renames a task meanwhile (shown "not saved yet"); the server comes
 * back: the rename is saved, A shows it, and B has no banner or row message left.
 */
export async function outage() {
  const setup = await setUp(['A', 'B']);
  const { pages, client } = setup;
  try {
    const [first] = await client.list();
    const port = setup.server.port;
    await setup.server.stop();
    await pages.B.page.locator('[data-testid=status]:not([data-sync=live])').waitFor({ timeout: 15_000 });
    const title = 'Renamed during the outage';
    const row = pages.B.page.locator(`[data-testid=task][data-id="${first.id}"]`);
    await row.getByTestId('title').dblclick();
    await row.getByTestId('rename-input').fill(title);
    await row.getByTestId('rename-input').press('Enter');
    await row.getByTestId('row-unsaved').waitFor({ timeout: 15_000 });
    assert.equal(await row.getByTestId('title').textContent(), title, 'the rename shows, marked not saved yet');

    setup.server = await startServer(setup.db, port);
    const back = Date.now();
    await row.locator('[data-testid=row-unsaved]').waitFor({ state: 'detached', timeout: 30_000 });
    const saved = (await client.list()).find((task) => task.id === first.id);
    assert.equal(saved?.title, title, 'the rename reached the server');
    await pages.A.page
      .locator(`[data-testid=task][data-id="${first.id}"] [data-testid=title]`)
      .getByText(title, { exact: true })
      .waitFor({ timeout: 15_000 });
    await Promise.all([equalToServer(pages.A.page, client, 30_000), equalToServer(pages.B.page, client, 30_000)]);
    assert.equal(await pages.B.page.locator('[data-testid=error], [data-testid=row-error], [data-testid=row-unsaved]').count(), 0, 'no banner or row message left');
    return { savedAfterReturnMs: Date.now() - back };
  } finally {
    await setup.done();
  }
}
