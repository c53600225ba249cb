// Where a page's frame time goes while it scrolls a long list: the bench's long-list scroll
// (top to bottom, one step a frame, at most 200 steps), or with `--burst N` while N tasks are
// created through the API (8 at a time, as the bench's burst), under Chromium's own tracing (CDP
// `Tracing`, the DevTools timeline's categories) and JavaScript sampling profiler (CDP
// `Profiler`). Prints the main thread's time by kind of work (script, style, layout, paint, ...),
// the longest frames with what filled them, and the functions with the most self time.
// Needs what bench/pages/run.sh builds; a page bundled with `--no-minify` names its functions:
//
//   bash scripts/demo.sh --build-only && cargo build -p capture-load && (cd examples/demo/web && node build.mjs --no-minify)
//   node bench/pages/trace.mjs [--rows 10000] [--top 25] [--db FILE]
//   node bench/pages/trace.mjs --burst 2000 [--rows 0]
//
// With `--db FILE`, the rows are made in FILE once and a later run on the same FILE reuses them.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  api,
  createMany,
  live,
  missing,
  openBrowser,
  resetFrames,
  rowsShown,
  scratch,
  startServer,
} from '../../examples/demo/web/e2e/support/demo.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    burst: { type: 'string' },
    top: { type: 'string', default: '25' },
    db: { type: 'string' },
  },
});
const burst = values.burst === undefined ? 0 : Number(values.burst);
const count = Number(values.rows ?? (burst > 0 ? '0' : '10000'));
const top = Number(values.top);
const absent = missing();
if (absent.length > 0) {
  console.error(`error: missing:\n  - ${absent.join('\n  - ')}\n  = help: bash scripts/demo.sh --build-only builds everything first`);
  process.exit(1);
}

const dir = scratch();
const db = values.db ?? join(dir.dir, 'tasks.sqlite3');
const made = existsSync(db);
const server = await startServer(db);
const opened = [];
try {
  const client = api(server.url);
  if (!made && count > 0) {
    await createMany(server.url, { count, parallel: 16, title: 'Row {n}' });
  }
  const total = (await client.list()).length;
  const browser = await openBrowser(dir.dir, 'trace');
  opened.push(browser);
  const { page } = browser;
  await page.goto(server.url);
  await rowsShown(page, total, 60_000);
  await live(page, 30_000);

  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'],
    },
  });
  await cdp.send('Profiler.start');
  let gaps;
  if (burst > 0) {
    await resetFrames(page);
    await createMany(server.url, { count: burst, parallel: 8, title: 'Burst task {n}' });
    await rowsShown(page, total + burst, 120_000);
    gaps = await page.evaluate(() => window.__frames.gaps);
  } else {
    gaps = (await page.evaluate(scrollToBottom)).map((f) => f.gap);
  }
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Tracing.end');
  await complete;

  const what = burst > 0 ? `burst trace: ${burst} creates onto ${total} rows` : `scroll trace: ${total} rows`;
  console.log(`# ${what}, ${gaps.length} frames (${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  const sorted = [...gaps].sort((a, b) => a - b);
  const pick = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  console.log(`frame gaps: median ${pick(0.5).toFixed(1)} ms, p99 ${pick(0.99).toFixed(1)} ms, max ${pick(1).toFixed(1)} ms`);

  // The renderer's main thread: the one with the most timeline events.
  const perThread = new Map();
  for (const event of events) {
    if (event.ph === 'X' && event.cat?.includes('devtools.timeline')) {
      const key = `${event.pid}:${event.tid}`;
      perThread.set(key, (perThread.get(key) ?? 0) + 1);
    }
  }
  const main = [...perThread].sort((a, b) => b[1] - a[1])[0]?.[0];
  const mine = events.filter((event) => `${event.pid}:${event.tid}` === main && event.ph === 'X' && typeof event.dur === 'number');
  // Self time of each kind of event: its duration less that of the events nested in it.
  mine.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Wall time (`dur`) and the thread's CPU time (`tdur`): on a busy machine the first also
  // counts the waits for a core.
  const self = new Map();
  const stack = [];
  const add = (name, dur, tdur) => {
    const [d, t] = self.get(name) ?? [0, 0];
    self.set(name, [d + dur, t + tdur]);
  };
  for (const event of mine) {
    while (stack.length > 0 && stack.at(-1).ts + stack.at(-1).dur <= event.ts) {
      stack.pop();
    }
    const parent = stack.at(-1);
    if (parent !== undefined) {
      add(parent.name, -event.dur, -(event.tdur ?? 0));
    }
    add(event.name, event.dur, event.tdur ?? 0);
    stack.push(event);
  }
  const busy = [...self.values()].reduce((a, [d, t]) => [a[0] + d, a[1] + t], [0, 0]);
  console.log(`main thread meanwhile: ${(busy[0] / 1000).toFixed(0)} ms of work, ${(busy[1] / 1000).toFixed(0)} ms of it on a core; self time by kind (wall / CPU):`);
  for (const [name, [d, t]] of [...self].sort((a, b) => b[1][1] - a[1][1]).slice(0, 12)) {
    console.log(`  ${name.padEnd(34)} ${(d / 1000).toFixed(1).padStart(8)} / ${(t / 1000).toFixed(1).padStart(8)} ms`);
  }
  const tops = mine.filter((event) => ['RunTask', 'ThreadControllerImpl::RunTask'].includes(event.name));
  const longest = [...tops].sort((a, b) => b.dur - a.dur).slice(0, 5);
  console.log('longest tasks, with their heaviest parts:');
  for (const task of longest) {
    const inner = mine.filter((event) => event !== task && event.ts >= task.ts && event.ts + event.dur <= task.ts + task.dur && !['RunTask', 'ThreadControllerImpl::RunTask'].includes(event.name));
    const parts = new Map();
    for (const event of inner) {
      parts.set(event.name, Math.max(parts.get(event.name) ?? 0, event.dur));
    }
    const heaviest = [...parts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, us]) => `${name} ${(us / 1000).toFixed(1)}`);
    console.log(`  ${(task.dur / 1000).toFixed(1).padStart(7)} ms (${((task.tdur ?? 0) / 1000).toFixed(1)} on a core): ${heaviest.join(', ')}`);
  }

  // JavaScript: self time per function from the sampling profile.
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const node = byId.get(profile.samples[i]);
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.split('/').at(-1)}:${lineNumber + 1}:${columnNumber + 1}`;
    hits.set(name, (hits.get(name) ?? 0) + (deltas[i + 1] ?? 0));
  }
  console.log(`JavaScript, self time by function (top ${top}):`);
  for (const [name, us] of [...hits].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`);
  }
} finally {
  for (const { close } of opened) {
    await close();
  }
  await server.stop();
  dir.dispose();
}

/** In the page: scrolls from top to bottom, one step a frame; resolves with the frame gaps. */
function scrollToBottom() {
  return new Promise((resolve) => {
    const gaps = [];
    let last = 0;
    const by = Math.max(600, Math.ceil(document.documentElement.scrollHeight / 200));
    const step = (now) => {
      if (last !== 0) {
        gaps.push({ at: performance.timeOrigin + now, gap: now - last });
      }
      last = now;
      const before = window.scrollY;
      window.scrollBy(0, by);
      if (window.scrollY === before) {
        resolve(gaps);
      } else {
        requestAnimationFrame(step);
      }
    };
    requestAnimationFrame(step);
  });
}
