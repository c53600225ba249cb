// The demo's pages under load and on bad networks, in Debian's Chromium (playwright-core): a burst
// of creates with two pages open, a long list scrolled and clicked, a network that flaps, a page
// behind a 1 kB/s link (a shaping proxy on loopback, e2e/support/shaper.mjs), and a rename made
// during an outage. Each scenario checks what a user would see; the sizes here keep CI short,
// and bench/pages/run.mjs runs the same scenarios at full size and prints the timings.
//
// Needs the built page, the server binary and Chromium: `bash scripts/test-browser.sh`.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { missing } from './support/demo.mjs';
import { blankBurst, burst, flapping, longList, outage, slowLink } from './support/scenarios.mjs';

before(() => {
  const absent = missing();
  assert.deepEqual(absent, [], `missing:\n  - ${absent.join('\n  - ')}\n  = help: bash scripts/test-browser.sh prepares everything`);
});

test('a burst of 300 creates with two pages open: both show every row; a click after it shows in both', async () => {
  const figures = await burst({ count: 300 });
  console.log(`# burst: ${JSON.stringify(figures)}`);
});

test('the same burst with no demo page open: a blank page keeps drawing frames, every create is saved', async () => {
  const figures = await blankBurst({ count: 300 });
  console.log(`# blank burst: ${JSON.stringify(figures)}`);
});

test('2,000 rows: the pages load them, scroll to the bottom, and a click there shows in both', async () => {
  const figures = await longList({ count: 2_000 });
  assert.equal(figures.rows, 2_003);
  console.log(`# long list: ${JSON.stringify(figures)}`);
});

test('a network that flaps every 300 ms for 4 s: the page ends Live and equal to the server', async () => {
  const figures = await flapping({ runs: 2, durationMs: 4_000 });
  console.log(`# flapping: ${JSON.stringify(figures)}`);
});

test('behind a 1 kB/s link, through 12,000 renames: the page ends Live and equal, and never says Live over stale rows', async () => {
  const figures = await slowLink({ renames: 12_000, bytesPerSecond: 1_000, settleMs: 180_000 });
  console.log(`# slow link: ${JSON.stringify(figures)}`);
});

test('after an outage, a rename made meanwhile is saved, and no banner or row message is left', async () => {
  const figures = await outage();
  console.log(`# outage: ${JSON.stringify(figures)}`);
});
