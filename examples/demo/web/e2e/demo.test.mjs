// The demo in two real browsers (Debian's Chromium, driven by playwright-core): a task created,
// renamed, completed and deleted in browser A appears, changes and disappears in browser B;
// then the server restarts (same port, same SQLite file) and B reconnects by itself and gets
// the next change. No console errors on either page, except the refused connections while the
// server is down.
//
// Needs the built page (web/dist), the server binary and Chromium: `bash scripts/test-browser.sh`
// from the repository root prepares all three and runs this file.
//
//   SHEPLANG_DEMO_BIN  the server binary (default: target/debug/sheplang-demo)
//   CHROMIUM_PATH      the browser (default: /usr/bin/chromium)
//   DEMO_SCREENSHOT=update  also copy the side-by-side screenshot to docs/demo.png
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspace = resolve(web, '../../..');
const dist = join(web, 'dist');
const shots = join(web, 'e2e', 'screenshots');
const serverBin = resolve(process.env.SHEPLANG_DEMO_BIN ?? join(workspace, 'target/debug/sheplang-demo'));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
/** How long one wait for the other browser may take. */
const WAIT_MS = 15_000;
/** How long a reconnection after the restart may take (socket.io-client backs off up to 2 s). */
const RECONNECT_MS = 30_000;

const scratch = mkdtempSync(join(tmpdir(), 'sheplang-demo-e2e-'));
const db = join(scratch, 'tasks.sqlite3');
let server = null;
let port = 0;
let url = '';
const browsers = [];
/** @type {{ A: import('playwright-core').Page, B: import('playwright-core').Page }} */
const pages = {};
/** Console errors and page errors, by page; `expected` ones happened while the server was down. */
const problems = [];
let serverDown = false;

// ---------------------------------------------------------------------------------------------
// The server

async function startServer() {
  const child = spawn(serverBin, ['--port', String(port), '--db', db, '--web', dist], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '' },
  });
  const output = [];
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const lines = createInterface({ input: child.stdout });
  const address = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL in 30 s:\n${output.join('')}`)), 30_000);
    lines.on('line', (line) => {
      output.push(`${line}\n`);
      if (line.startsWith('http://')) {
        clearTimeout(timer);
        resolvePromise(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before printing its URL:\n${output.join('')}`));
    });
  });
  return { child, address };
}

async function stopServer() {
  if (server === null) {
    return;
  }
  const { child } = server;
  server = null;
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The pages

async function openBrowser(name) {
  const profile = mkdtempSync(join(scratch, `profile-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 640, height: 800 },
  });
  browsers.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push({ page: name, kind: 'console', text: message.text(), expected: serverDown && isOutageNoise(message.text()) });
    }
  });
  page.on('pageerror', (error) => {
    problems.push({ page: name, kind: 'exception', text: String(error), expected: false });
  });
  return page;
}

/** What Chromium logs while the server is down: refused connections to the realtime endpoint. */
function isOutageNoise(text) {
  return /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to .*\/socket\.io\/.* failed|Failed to load resource/.test(text);
}

const status = (page, value) => page.locator(`[data-testid=status][data-status=${value}]`);
const rowById = (page, id) => page.locator(`[data-testid=task][data-id="${id}"]`);
const rowByTitle = (page, title) =>
  page.locator('[data-testid=task]').filter({ has: page.getByTestId('title').getByText(title, { exact: true }) });

async function ids(page) {
  return page.locator('[data-testid=task]').evaluateAll((rows) => rows.map((row) => row.dataset.id));
}

/** Runs `action` and returns how long `seen` took to resolve after it, in ms. */
async function timed(action, seen) {
  const started = Date.now();
  await action();
  await seen();
  return Date.now() - started;
}

async function screenshot(page, name) {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** The two pages side by side, as one picture (the README's docs/demo.png). */
async function sideBySide(name) {
  const [a, b] = await Promise.all(
    [pages.A, pages.B].map(async (page) =>
      (await page.screenshot({ animations: 'disabled' })).toString('base64'),
    ),
  );
  const page = await browsers[0].newPage();
  await page.setViewportSize({ width: 1360, height: 880 });
  await page.setContent(`<!doctype html>
    <style>
      body { margin: 0; padding: 24px 28px 28px; background: #dfe3ec; font: 600 14px system-ui, 'DejaVu Sans', sans-serif; color: #475067; display: flex; gap: 24px; }
      figure { margin: 0; }
      figcaption { margin: 0 0 8px 4px; }
      img { display: block; width: 640px; height: 800px; border-radius: 10px; box-shadow: 0 6px 24px rgb(16 24 40 / 18%); }
    </style>
    <figure><figcaption>Browser A</figcaption><img src="data:image/png;base64,${a}"></figure>
    <figure><figcaption>Browser B</figcaption><img src="data:image/png;base64,${b}"></figure>`);
  await page.locator('img').nth(1).evaluate((img) => img.decode());
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path });
  await page.close();
  return path;
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  const missing = [];
  if (!existsSync(join(dist, 'index.html'))) {
    missing.push(`the built page (${dist}/index.html): npm run build in examples/demo/web`);
  }
  if (!existsSync(serverBin)) {
    missing.push(`the server binary (${serverBin}): cargo build -p sheplang-demo`);
  }
  if (!existsSync(chromiumPath)) {
    missing.push(`Chromium (${chromiumPath}): apt-get install -y chromium`);
  }
  if (missing.length > 0) {
    throw new Error(`missing:\n  - ${missing.join('\n  - ')}\n  = help: bash scripts/test-browser.sh prepares everything`);
  }
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  url = server.address;
  port = Number(new URL(url).port);
  pages.A = await openBrowser('A');
  pages.B = await openBrowser('B');
});

after(async () => {
  for (const context of browsers) {
    await context.close().catch(() => {});
  }
  await stopServer();
  rmSync(scratch, { recursive: true, force: true });
});

test('both browsers load the list and go live', async () => {
  await Promise.all([pages.A.goto(url), pages.B.goto(url)]);
  await Promise.all([
    status(pages.A, 'connected').waitFor({ timeout: WAIT_MS }),
    status(pages.B, 'connected').waitFor({ timeout: WAIT_MS }),
  ]);
  // A new database starts with the three welcome tasks: both pages show them (each page loads
  // the list on its own, after it connects).
  await Promise.all([
    pages.A.locator('[data-testid=task]').nth(2).waitFor({ timeout: WAIT_MS }),
    pages.B.locator('[data-testid=task]').nth(2).waitFor({ timeout: WAIT_MS }),
  ]);
  assert.deepEqual(await ids(pages.A), await ids(pages.B));
  assert.equal((await ids(pages.A)).length, 3);
  assert.equal(await status(pages.B, 'connected').textContent(), 'Live');
});

let id = '';

test('a task created in A appears in B', async () => {
  const title = 'Water the plants';
  const ms = await timed(
    async () => {
      await pages.A.getByTestId('new-title').fill(title);
      await pages.A.getByTestId('new-title').press('Enter');
    },
    () => rowByTitle(pages.B, title).waitFor({ timeout: WAIT_MS }),
  );
  id = await rowByTitle(pages.B, title).getAttribute('data-id');
  assert.ok(id, 'the row carries its id');
  await rowById(pages.A, id).waitFor({ timeout: WAIT_MS });
  assert.equal(await pages.A.getByTestId('new-title').inputValue(), '', 'the form is cleared');
  assert.deepEqual(await ids(pages.A), await ids(pages.B));
  console.log(`# created in A, seen in B after ${ms} ms`);
});

test('renamed in A, renamed in B', async () => {
  const title = 'Water the plants and the lemon tree';
  const ms = await timed(
    async () => {
      await rowById(pages.A, id).getByTestId('title').dblclick();
      const input = rowById(pages.A, id).getByTestId('rename-input');
      await input.fill(title);
      await input.press('Enter');
    },
    () => rowById(pages.B, id).getByTestId('title').getByText(title, { exact: true }).waitFor({ timeout: WAIT_MS }),
  );
  await rowById(pages.A, id).getByTestId('title').getByText(title, { exact: true }).waitFor({ timeout: WAIT_MS });
  console.log(`# renamed in A, seen in B after ${ms} ms`);
});

test('completed in A, checked in B', async () => {
  const ms = await timed(
    () => rowById(pages.A, id).getByTestId('toggle').click(),
    () => pages.B.locator(`[data-testid=task][data-id="${id}"].done`).waitFor({ timeout: WAIT_MS }),
  );
  assert.equal(await rowById(pages.B, id).getByTestId('toggle').isChecked(), true);
  assert.equal(await rowById(pages.A, id).getByTestId('toggle').isChecked(), true);
  assert.match(await pages.B.getByTestId('summary').textContent(), /3 open · 1 done/);
  // Also complete a welcome task from B, so that both directions are shown.
  const first = (await ids(pages.B))[0];
  await rowById(pages.B, first).getByTestId('toggle').click();
  await pages.A.locator(`[data-testid=task][data-id="${first}"].done`).waitFor({ timeout: WAIT_MS });
  console.log(`# completed in A, seen in B after ${ms} ms`);
  await pages.A.waitForTimeout(1_000); // let the update glow fade before the pictures
  await screenshot(pages.A, 'a-live');
  await screenshot(pages.B, 'b-live');
  await sideBySide('demo');
});

test('deleted in A, gone from B', async () => {
  const ms = await timed(
    () => rowById(pages.A, id).getByTestId('delete').click(),
    () => rowById(pages.B, id).waitFor({ state: 'detached', timeout: WAIT_MS }),
  );
  await rowById(pages.A, id).waitFor({ state: 'detached', timeout: WAIT_MS });
  assert.deepEqual(await ids(pages.A), await ids(pages.B));
  console.log(`# deleted in A, gone from B after ${ms} ms`);
});

test('after a server restart (same port, same file) B reconnects by itself and gets the next change', async () => {
  const before = await ids(pages.B);
  serverDown = true;
  await stopServer();
  await Promise.all([
    status(pages.A, 'connecting').waitFor({ timeout: WAIT_MS }),
    status(pages.B, 'connecting').waitFor({ timeout: WAIT_MS }),
  ]);
  assert.equal(await status(pages.B, 'connecting').textContent(), 'Reconnecting…');
  await screenshot(pages.B, 'b-reconnecting');
  // Stay down long enough for some reconnection attempts to fail.
  await pages.B.waitForTimeout(2_500);
  assert.equal(await status(pages.B, 'connecting').count(), 1, 'still trying');

  server = await startServer();
  assert.equal(server.address, url, 'the same address');
  // A write straight after the restart, while the pages may still be away: whichever way it
  // reaches them (the live event, or the refetch on reconnection), both must show it.
  const meanwhile = await fetch(new URL('/api/tasks', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Made while B was away' }),
  });
  assert.equal(meanwhile.status, 201);
  const started = Date.now();
  await Promise.all([
    status(pages.A, 'connected').waitFor({ timeout: RECONNECT_MS }),
    status(pages.B, 'connected').waitFor({ timeout: RECONNECT_MS }),
  ]);
  console.log(`# both pages back online ${Date.now() - started} ms after the restart`);
  serverDown = false;
  await rowByTitle(pages.B, 'Made while B was away').waitFor({ timeout: WAIT_MS });
  await rowByTitle(pages.A, 'Made while B was away').waitFor({ timeout: WAIT_MS });

  // The tasks survived the restart (SQLite file).
  const now = await ids(pages.B);
  assert.deepEqual(now.slice(0, before.length), before);

  // The next change made in A reaches B over the new connection.
  const title = 'Made after the restart';
  const ms = await timed(
    async () => {
      await pages.A.getByTestId('new-title').fill(title);
      await pages.A.getByTestId('add').click();
    },
    () => rowByTitle(pages.B, title).waitFor({ timeout: WAIT_MS }),
  );
  // A shows its own new row when the server's event comes back (the database relays it).
  await rowByTitle(pages.A, title).waitFor({ timeout: WAIT_MS });
  assert.deepEqual(await ids(pages.A), await ids(pages.B));
  console.log(`# created in A after the restart, seen in B after ${ms} ms`);
  await pages.A.waitForTimeout(500);
  await screenshot(pages.A, 'a-final');
  await screenshot(pages.B, 'b-final');
});

test('no console errors on either page', () => {
  const expected = problems.filter((p) => p.expected);
  if (expected.length > 0) {
    console.log(`# ${expected.length} refused-connection messages while the server was down (expected)`);
  }
  const unexpected = problems.filter((p) => !p.expected);
  assert.deepEqual(unexpected, [], 'console errors or uncaught exceptions');
});

test('screenshots saved', () => {
  const demo = join(shots, 'demo.png');
  for (const name of ['a-live', 'b-live', 'b-reconnecting', 'a-final', 'b-final', 'demo']) {
    const path = join(shots, `${name}.png`);
    assert.ok(existsSync(path) && readFileSync(path).length > 10_000, `${path} is a real picture`);
  }
  const docs = join(workspace, 'docs', 'demo.png');
  if (process.env.DEMO_SCREENSHOT === 'update' || !existsSync(docs)) {
    copyFileSync(demo, docs);
    console.log(`# copied ${demo} to ${docs}`);
  }
  console.log(`# screenshots in ${shots}`);
});
