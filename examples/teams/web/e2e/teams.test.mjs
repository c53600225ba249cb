// The teams example in Chromium: three pages, as Ada (red team), Bob (blue team) and Cy (red
// team). Each sees only its team's tasks; Ada's changes reach Cy's page live and never Bob's;
// a task Ada hands over to the blue team leaves both red pages and appears on Bob's. Every
// wait is on what a page shows.
//
// Needs the built page (npm run build), the server binary (cargo build -p sheplang-teams) and
// Chromium (/usr/bin/chromium, or CHROMIUM_PATH); SHEPLANG_TEAMS_BIN names another binary.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspace = resolve(web, '../../..');
const dist = join(web, 'dist');
const serverBin = resolve(process.env.SHEPLANG_TEAMS_BIN ?? join(workspace, 'target/debug/sheplang-teams'));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = 30_000;

let server;
let browser;
const scratch = mkdtempSync(join(tmpdir(), 'sheplang-teams-e2e-'));

before(async () => {
  for (const [what, path, hint] of [
    ['the built page', join(dist, 'index.html'), 'npm run build in examples/teams/web'],
    ['the server binary', serverBin, 'cargo build -p sheplang-teams'],
    ['Chromium', chromiumPath, 'apt-get install -y --no-install-recommends chromium'],
  ]) {
    assert.ok(existsSync(path), `${what} is missing (${path}): ${hint}`);
  }
  server = await startServer();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-renderer-backgrounding',
      '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function startServer() {
  const child = spawn(serverBin, ['--port', '0', '--memory', '--web', dist], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL in 30 s:\n${output.join('')}`)), 30_000);
    lines.on('line', (line) => {
      output.push(`${line}\n`);
      if (line.startsWith('http://')) {
        clearTimeout(timer);
        resolvePromise(line.trim().replace(/\/$/, ''));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before printing its URL:\n${output.join('')}`));
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A page signed in as `user` (the stand-in identity), once its list is live. */
async function openAs(user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(message.text());
    }
  });
  await page.goto(`${server.url}/?user=${user}`);
  await page.locator('[data-testid="sync"][data-sync="live"]').waitFor({ timeout: WAIT });
  return { page, problems };
}

/** The titles a page lists, top to bottom. */
function titles(page) {
  return page.locator('[data-testid="tasks"] li .title').allTextContents();
}

/** Waits until the page lists exactly `expected` (checked at each frame); fails showing both. */
async function shows(page, expected, what) {
  const listed = (want) =>
    JSON.stringify([...document.querySelectorAll('[data-testid="tasks"] li .title')].map((e) => e.textContent)) ===
    JSON.stringify(want);
  try {
    await page.waitForFunction(listed, expected, { polling: 'raf', timeout: WAIT });
  } catch {
    assert.deepEqual(await titles(page), expected, what);
  }
}

/** The tasks of `user`'s team, as the API answers them. */
async function apiTitles(user) {
  const response = await fetch(`${server.url}/api/tasks`, { headers: { 'x-user': user } });
  assert.equal(response.status, 200);
  return (await response.json()).map((task) => task.title);
}

test('each page sees only its team; a teammate sees the changes live; a handed-over task moves', { timeout: 120_000 }, async () => {
  const ada = await openAs('ada');
  const bob = await openAs('bob');
  const cy = await openAs('cy');
  assert.equal(await ada.page.getByTestId('team').textContent(), 'Red team');
  assert.equal(await bob.page.getByTestId('team').textContent(), 'Blue team');

  const red = await apiTitles('ada');
  const blue = await apiTitles('bob');
  assert.ok(red.length > 0 && blue.length > 0);
  await shows(ada.page, red, 'Ada lists the red tasks');
  await shows(cy.page, red, 'Cy lists the red tasks');
  await shows(bob.page, blue, 'Bob lists the blue tasks');

  // Ada adds a task: Cy sees it live, Bob never does.
  await ada.page.getByTestId('new-title').fill('Red secret plan');
  await ada.page.getByRole('button', { name: 'Add' }).click();
  await shows(cy.page, [...red, 'Red secret plan'], 'Cy sees Ada\u2019s new task');
  await shows(ada.page, [...red, 'Red secret plan'], 'Ada sees her new task');

  // Ada ticks it: Cy sees it done.
  const row = (page) => page.locator('[data-testid="tasks"] li', { hasText: 'Red secret plan' });
  // A click, not check(): the box follows the broadcast, not the click (the page is not optimistic).
  await row(ada.page).getByRole('checkbox').click();
  await row(ada.page).and(ada.page.locator('li.done')).waitFor({ timeout: WAIT });
  await row(cy.page).and(cy.page.locator('li.done')).waitFor({ timeout: WAIT });

  // Bob adds one of his own: the red pages do not change.
  await bob.page.getByTestId('new-title').fill('Blue only');
  await bob.page.getByRole('button', { name: 'Add' }).click();
  await shows(bob.page, [...blue, 'Blue only'], 'Bob sees his new task');

  // Ada hands her task over to the blue team: it leaves both red pages and joins Bob's.
  await row(ada.page).getByRole('button', { name: 'Hand to Blue team' }).click();
  await shows(ada.page, red, 'the handed-over task leaves Ada\u2019s page');
  await shows(cy.page, red, 'and Cy\u2019s');
  await shows(bob.page, [...blue, 'Blue only', 'Red secret plan'], 'and joins Bob\u2019s');

  // Nothing of Bob's ever reached a red page: the pages hold what the API answers each user
  // (the API lists by age, a page in the order the rows reached it).
  const sorted = (list) => [...list].sort();
  assert.deepEqual(sorted(await titles(cy.page)), sorted(await apiTitles('cy')));
  assert.deepEqual(sorted(await titles(bob.page)), sorted(await apiTitles('bob')));
  for (const { problems } of [ada, bob, cy]) {
    assert.deepEqual(problems, []);
  }
});

test('an unknown user gets no list: the API refuses it and says what to send', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/?user=nobody`);
  await page.getByRole('alert').waitFor({ timeout: WAIT });
  assert.match((await page.getByRole('alert').textContent()) ?? '', /X-User/);
  await context.close();
});
