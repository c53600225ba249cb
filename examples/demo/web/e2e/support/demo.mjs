// The demo server and Chromium pages for the pages scenarios (e2e/pages.test.mjs and
// bench/pages/run.mjs): a server process on a scratch SQLite file, browsers with a probe of
// their frames, and the page's state read back.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const web = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const workspace = resolve(web, '../../..');
const dist = join(web, 'dist');
const serverBin = resolve(process.env.SHEPLANG_DEMO_BIN ?? join(workspace, 'target/debug/sheplang-demo'));
/** The writer of bursts (bench/capture/load): keep-alive HTTP on one Rust thread. */
const loadBin = resolve(process.env.CAPTURE_LOAD_BIN ?? join(workspace, 'target/debug/capture-load'));
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
  // Two pages share two cores with the server: no throttling of a page's timers or frames.
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  // Every new window of Chromium 156 loads the address bar's popups (chrome://omnibox-popup
  // .top-chrome/) in a renderer of their own: about 0.9 s of CPU in its first two seconds, which
  // a burst right after the pages open shared with them. Headless pages have no address bar.
  // (Chromium merges this list with playwright's own --disable-features.)
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
];

/** What is missing to run the scenarios, as lines with a hint each. */
export function missing() {
  const out = [];
  if (!existsSync(join(dist, 'index.html'))) {
    out.push(`the built page (${dist}/index.html): npm run build in examples/demo/web`);
  }
  if (!existsSync(serverBin)) {
    out.push(`the server binary (${serverBin}): cargo build -p sheplang-demo`);
  }
  if (!existsSync(loadBin)) {
    out.push(`the burst writer (${loadBin}): cargo build -p capture-load`);
  }
  if (!existsSync(chromiumPath)) {
    out.push(`Chromium (${chromiumPath}): apt-get install -y --no-install-recommends chromium`);
  }
  return out;
}

/** A scratch folder, removed by `dispose()`. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'sheplang-pages-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts the demo server on `db` (port 0: any free port), with `args` added to its command line;
 * resolves once it prints its URL.
 */
export async function startServer(db, port = 0, args = []) {
  const child = spawn(serverBin, ['--port', String(port), '--db', db, '--web', dist, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '' },
  });
  const output = [];
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolvePromise, reject) => {
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
  return {
    url,
    port: Number(new URL(url).port),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Keep-alive connections for the API calls. `node:http` rather than `fetch`: a burst's 2,000
 * calls cost this process about a quarter of the CPU (0.45 against 1.8 ms a call, measured on
 * the 2-core machine), which it would otherwise take from the pages it measures. Idle
 * connections do not keep the process alive.
 */
const agent = new http.Agent({ keepAlive: true });

/** The demo's JSON API, straight to the server (not through any shaping). */
export function api(url) {
  const call = (method, path, body, headers = {}) =>
    new Promise((resolveCall, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        new URL(path, url),
        {
          method,
          agent,
          headers:
            payload === undefined
              ? headers
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode < 200 || response.statusCode > 299) {
              reject(new Error(`${method} ${path}: ${response.statusCode} ${text}`));
            } else {
              try {
                resolveCall(text === '' ? null : JSON.parse(text));
              } catch (error) {
                reject(error);
              }
            }
          });
        },
      );
      request.on('error', reject);
      // An answer that never comes fails the scenario with the call named, not hangs it.
      request.setTimeout(60_000, () => request.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      request.end(payload);
    });
  return {
    list: () => call('GET', '/api/tasks'),
    create: (title) => call('POST', '/api/tasks', { title }),
    rename: (id, title) => call('PATCH', `/api/tasks/${id}`, { title }),
    toggle: (id, done) => call('PATCH', `/api/tasks/${id}`, { done }),
  };
}

/**
 * `count` creates through the demo's API, `parallel` at a time on keep-alive connections, as fast
 * as the server answers, titled `title` with `{n}` the create's number (1 to count). They come
 * from capture-load, a Rust writer on one thread, not from this process: a burst's 2,000 calls
 * made here with node:http took about a second of CPU (0.45 ms a call), the machine's largest
 * share, taken from the pages under test. Resolves with the wall clock (as `Date.now()`) when the
 * first request went out and when the last answer came, and the answers' latencies in ms;
 * rejects if the writer fails or is not done within `timeoutMs`.
 */
export async function createMany(url, { count, parallel, title, timeoutMs = 120_000 }) {
  const child = spawn(
    loadBin,
    ['--url', url, '--connections', String(Math.min(parallel, count)), '--count', String(count), '--title', title],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => out.push(String(chunk)));
  child.stderr.on('data', (chunk) => err.push(String(chunk)));
  // A writer that never ends (a server that stopped answering) fails the run, not hangs it.
  const timer = setTimeout(() => {
    err.push(`still running after ${timeoutMs} ms: stopped`);
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code, signal] = await once(child, 'close').finally(() => clearTimeout(timer));
  if (code !== 0) {
    throw new Error(`capture-load exited (${code ?? signal}): ${err.join('').trim() || out.join('').trim()}`);
  }
  const report = JSON.parse(out.join(''));
  if (report.writes !== count) {
    throw new Error(`capture-load made ${report.writes} of ${count} creates`);
  }
  return { startedMs: report.started_unix_ms, lastAnswerMs: report.last_answer_unix_ms, latencyMs: report.latency_ms };
}

/** Runs `work(i)` for i in 0..count, `parallel` at a time; resolves with the time the last answer came. */
export async function pool(count, parallel, work) {
  let next = 0;
  let last = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      await work(i);
      last = Date.now();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return last;
}

/** A Chromium with one page; `problems` collects its console errors and exceptions. */
export async function openBrowser(dir, name, viewport = { width: 640, height: 800 }) {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(dir, `profile-${name}-`)), {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = watchProblems(page);
  await page.addInitScript(probeFrames);
  return { context, page, problems, close: () => context.close().catch(() => {}) };
}

/**
 * One Chromium for several pages, as one user's browser with tabs: `page(name)` opens a page in
 * a context of its own (its own storage and network, so it can go offline alone), each in a
 * window of its own (headless windows are never hidden, so every page keeps drawing frames).
 * Against a browser per page, this saves a browser, a GPU and a network process each (their
 * CPU, in a burst, about 0.4 s of 2 s). `close()` ends the browser. `name` marks its processes
 * for cpu.mjs (`--sheplang-browser=NAME`, which Chromium ignores).
 */
export async function openChromium(name) {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [...CHROMIUM_ARGS, `--sheplang-browser=${name}`],
  });
  return {
    browser,
    async page(pageName, viewport = { width: 640, height: 800 }) {
      // playwright's newContext and newPage have no timeout of their own.
      const { context, page } = await within(60_000, `Chromium opening page ${pageName}`, async () => {
        const made = await browser.newContext({ viewport });
        return { context: made, page: await made.newPage() };
      });
      const problems = watchProblems(page);
      await page.addInitScript(probeFrames);
      return { context, page, problems, close: () => context.close().catch(() => {}), name: pageName };
    },
    close: () => browser.close().catch(() => {}),
  };
}

/** `work()`, or an error naming `what` if it has not settled within `ms`. */
export async function within(ms, what, work) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects a page's console errors and exceptions. */
function watchProblems(page) {
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return problems;
}

/**
 * Runs in a page: records its frame gaps, from its own clock (every animation frame notes the
 * time since the last), and the longest task of its main thread (the Long Tasks API reports
 * those over 50 ms): a frame gap much longer than any task is a machine too busy to run the
 * page, not the page.
 */
function probeFrames() {
  const probe = { last: 0, maxGap: 0, gaps: [], longestTask: 0 };
  window.__frames = probe;
  new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) {
      probe.longestTask = Math.max(probe.longestTask, entry.duration);
    }
  }).observe({ type: 'longtask' });
  const tick = (now) => {
    if (probe.last !== 0) {
      const gap = now - probe.last;
      probe.maxGap = Math.max(probe.maxGap, gap);
      if (probe.gaps.length < 100_000) {
        probe.gaps.push(gap);
      }
    }
    probe.last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/**
 * A blank page with the frame probe, in a Chromium of its own (a tab beside a page would hide
 * that page, whose frames then come once a second): its frame gaps, beside a page's, tell how
 * much of them is the machine. Read it with `resetFrames` and `frames`; `close()` ends it.
 */
export async function blankPage(dir) {
  const browser = await openBrowser(dir, 'blank');
  await browser.page.setContent('<!doctype html><title>blank</title><p>blank</p>');
  await browser.page.evaluate(probeFrames);
  return browser;
}

/** Starts a fresh frame record; `frames(page)` reads it. */
export function resetFrames(page) {
  return page.evaluate(() => {
    window.__frames.maxGap = 0;
    window.__frames.longestTask = 0;
    window.__frames.gaps = [];
    window.__frames.last = 0;
  });
}

/**
 * The frame gaps since `resetFrames`: the largest, and the 99th percentile, in ms; and the
 * longest task of the page's main thread (0: none over 50 ms).
 */
export function frames(page) {
  return page.evaluate(() => {
    const gaps = [...window.__frames.gaps].sort((a, b) => a - b);
    const p99 = gaps.length === 0 ? 0 : gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))];
    return { max: window.__frames.maxGap, p99, count: gaps.length, longestTask: window.__frames.longestTask };
  });
}

/**
 * Waits (checking every frame) until the page's list holds `count` task rows (it renders only
 * those near the screen: its `data-count` is how many it scrolls through); resolves with the
 * page's clock then.
 */
export function rowsShown(page, count, timeout) {
  return page
    .waitForFunction(
      (n) => Number(document.querySelector('[data-testid=task-list]')?.dataset.count ?? 0) === n && Date.now(),
      count,
      { polling: 'raf', timeout },
    )
    .then((handle) => handle.jsonValue());
}

/** Scrolls the page to the end of its list; resolves once the list's last row is rendered. */
export async function scrollToEnd(page) {
  await page.waitForFunction(
    () => {
      const list = document.querySelector('[data-testid=task-list]');
      const last = list?.querySelector(`li[aria-posinset="${list.dataset.count}"]`);
      if (!last) {
        window.scrollTo(0, document.documentElement.scrollHeight);
      }
      return Boolean(last);
    },
    null,
    { polling: 'raf', timeout: 10_000 },
  );
}

/** Waits until the page says Live; resolves with the page's clock then. */
export function live(page, timeout) {
  return page
    .waitForFunction(() => document.querySelector('[data-testid=status]')?.dataset.sync === 'live' && Date.now(), null, {
      polling: 'raf',
      timeout,
    })
    .then((handle) => handle.jsonValue());
}

/** The rows the page has rendered (those near the screen), `id title done` each, in order. */
export function shownRows(page) {
  return page.locator('[data-testid=task]').evaluateAll((rows) =>
    rows.map((row) => {
      const title = row.querySelector('[data-testid=title]')?.textContent ?? '';
      const done = row.querySelector('[data-testid=toggle]')?.checked === true;
      return `${row.dataset.id} ${title}${done ? ' (done)' : ''}`;
    }),
  );
}

/**
 * Every row of the page's list, `id title done` each, in order, read as a user would: scrolling
 * through the list a screen at a time (it renders only the rows near the screen), each row by
 * its `aria-posinset`. A row never rendered is `null`. The scroll position is restored.
 */
export function allRows(page) {
  // 10,000 rows take about 30 s (two frames a screen); a page whose script stops answering
  // fails the step named.
  return within(180_000, 'reading every row of the list', () => page.evaluate(async () => {
    const list = document.querySelector('[data-testid=task-list]');
    if (list === null) {
      return [];
    }
    // The next frame, or 100 ms if no frame comes: the rows are read from the DOM, which
    // the list updates without drawing.
    const frame = () =>
      new Promise((resolve) => {
        requestAnimationFrame(resolve);
        setTimeout(resolve, 100);
      });
    const rows = new Array(Number(list.dataset.count)).fill(null);
    const read = () => {
      for (const item of list.querySelectorAll('li[aria-posinset]')) {
        const row = item.querySelector('[data-testid=task]');
        const title = row?.querySelector('[data-testid=title]')?.textContent ?? '';
        const done = row?.querySelector('[data-testid=toggle]')?.checked === true;
        rows[Number(item.getAttribute('aria-posinset')) - 1] = `${row?.dataset.id} ${title}${done ? ' (done)' : ''}`;
      }
    };
    const start = window.scrollY;
    window.scrollTo(0, list.getBoundingClientRect().top + window.scrollY);
    await frame();
    await frame();
    for (;;) {
      read();
      const before = window.scrollY;
      window.scrollBy(0, window.innerHeight);
      if (window.scrollY <= before) {
        break;
      }
      await frame();
      await frame();
    }
    window.scrollTo(0, start);
    await frame();
    return rows;
  }));
}

/** The server's rows in the same form. */
export function serverRows(tasks) {
  return tasks.map((task) => `${task.id} ${task.title}${task.done ? ' (done)' : ''}`);
}

/** Percentile `p` (0..1) of `values`. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
