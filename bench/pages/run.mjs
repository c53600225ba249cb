// The pages benchmark (bash bench/pages/run.sh builds what it needs first): the scenarios of
// examples/demo/web/e2e/support/scenarios.mjs at the sizes of the acceptance lines, each
// timing printed, none asserted (the scenarios still fail loudly when a page shows something
// wrong). Timings are from the pages' own clocks (Date.now() in Chromium, frame gaps from
// requestAnimationFrame) and the API answers' arrival in this process, on one machine.
//
//   node bench/pages/run.mjs [--only burst,list,flapping,slow,outage] [--runs 20]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { missing } from '../../examples/demo/web/e2e/support/demo.mjs';
import { blankBurst, burst, flapping, longList, outage, slowLink } from '../../examples/demo/web/e2e/support/scenarios.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'burst,list,flapping,slow,outage' },
    runs: { type: 'string', default: '20' },
  },
});
const only = new Set(values.only.split(','));
const runs = Number(values.runs);
const absent = missing();
if (absent.length > 0) {
  console.error(`error: missing:\n  - ${absent.join('\n  - ')}\n  = help: bash bench/pages/run.sh builds everything first`);
  process.exit(1);
}

const ms = (value) => `${Math.round(value)} ms`;
/** A longest task: the Long Tasks API reports only those over 50 ms. */
const task = (value) => (value === 0 ? 'none over 50 ms' : ms(value));
const line = (what, value) => console.log(`  ${what.padEnd(52)} ${value}`);
console.log(`# pages benchmark (${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);

/** Where the CPU went, process by process (cpu.mjs), under the lines of a scenario. */
function cpuLines(cpu, what) {
  if (cpu === undefined) {
    return;
  }
  const { wallSeconds, cores, busyCores, byOwner } = cpu;
  console.log(`  CPU ${what} (${wallSeconds.toFixed(1)} s): ${busyCores.toFixed(2)} of ${cores} cores busy`);
  for (const [who, seconds] of byOwner.filter(([, s]) => s >= 0.02)) {
    line(`    ${who}`, `${seconds.toFixed(2)} s (${((100 * seconds) / wallSeconds).toFixed(0)}% of a core)`);
  }
}

if (only.has('burst')) {
  const r = await burst({ count: 2_000, parallel: 8 });
  console.log('burst: 2,000 creates through the API (capture-load), 8 at a time, two pages open (one Chromium)');
  line('API time for the burst', ms(r.apiMs));
  line('both pages show every row, after the last API answer', ms(r.shownAfterLastAnswerMs));
  line('a click after the burst: shown in the page clicked', ms(r.clickShownInA));
  line('a click after the burst: shown in both pages', ms(r.clickShownInBoth));
  line('longest frame gap during the burst (either page)', ms(r.maxFrameGapMs));
  line('... longest task on a page\'s main thread meanwhile', task(r.longestTaskMs));
  cpuLines(r.cpu, 'from the first request to every row shown');
  const b = await blankBurst({ count: 2_000, parallel: 8 });
  console.log('the same burst again, no demo page open: a blank page in a Chromium of its own (the machine\'s share)');
  line('API time for the burst', ms(b.apiMs));
  line('longest frame gap of the blank page', ms(b.blankFrameGapMs));
  cpuLines(b.cpu, 'from the first request to the last answer');
}
if (only.has('list')) {
  const r = await longList({ count: 10_000 });
  console.log(`long list: ${r.rows.toLocaleString('en')} rows, two pages`);
  line('load (goto until the list holds every row)', ms(r.loadMs));
  line(`scroll to the bottom in ${r.scrollFrames} frames: longest frame`, ms(r.scrollMaxFrameMs));
  line('scroll: 99th percentile frame', ms(r.scrollP99FrameMs));
  line('scroll: longest task on the page\'s main thread', task(r.scrollLongestTaskMs));
  line('a click there: shown in the page clicked', ms(r.clickShownInA));
  line('a click there: shown in the other page', ms(r.clickShownInB));
  line('longest frame around the click', ms(r.clickMaxFrameMs));
  line('... longest task on the page\'s main thread', task(r.clickLongestTaskMs));
}
if (only.has('flapping')) {
  const r = await flapping({ runs, flapMs: 300, durationMs: 10_000 });
  const sorted = [...r.recoveriesMs].sort((a, b) => a - b);
  console.log(`flapping: the page's network off and on every 300 ms for 10 s, writes meanwhile, ${runs} runs`);
  line('Live and equal to the server after the network is back: median', ms(sorted[Math.floor(sorted.length / 2)]));
  line('... worst run', ms(sorted.at(-1)));
  line('... every run', sorted.map((v) => Math.round(v)).join(', '));
}
if (only.has('slow')) {
  const r = await slowLink({ renames: 20_000, bytesPerSecond: 1_000, settleMs: 600_000 });
  console.log('slow link: a page behind a 1 kB/s shaping proxy, 20,000 renames through the API');
  line('API time for the renames', ms(r.apiMs));
  line('Live and equal to the server, after the last API answer', ms(r.equalAfterLastAnswerMs));
  line('times the page said Live (checked: never over rows older than 5 s)', String(r.liveSamples));
}
if (only.has('outage')) {
  const r = await outage();
  console.log('outage: the server stops, page B renames a task, the server comes back');
  line('the rename saved and shown in A, no banner left, after the return', ms(r.savedAfterReturnMs));
}
