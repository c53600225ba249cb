// The transition cases shared with the Rust lifecycle enums and the databases
// (corpus/transitions/cases.json): every pair of states of every lifecycle of the corpus must
// give exactly its answer from the generated `check<Model>Transition`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import type { TransitionRefused } from '../.generated/constraints/constraints/ts/types.js';

interface Pair {
  from: string;
  to: string;
  refused: string | null;
}

interface Chain {
  spec: string;
  model: string;
  states: string[];
  pairs: Pair[];
}

type Check = (from: string, to: string) => TransitionRefused | null;

const file: { chains: Chain[] } = JSON.parse(
  readFileSync(new URL('../../corpus/transitions/cases.json', import.meta.url), 'utf8'),
);

/** The generated checker of `chain`'s model, from the corpus spec's `types.ts`. */
async function checker(chain: Chain): Promise<Check> {
  const stem = chain.spec.replace(/\.shep$/, '');
  const types: Record<string, unknown> = await import(`../.generated/corpus/${stem}/ts/types.js`);
  const name = `check${chain.model[0]!.toUpperCase()}${chain.model.slice(1)}Transition`;
  const check = types[name];
  assert.equal(typeof check, 'function', `${stem}/types.ts exports ${name}`);
  return check as Check;
}

test('every pair of every chain gives its answer', async () => {
  assert.ok(file.chains.length >= 8, 'the chains are all there');
  const failures: string[] = [];
  let runs = 0;
  for (const chain of file.chains) {
    const check = await checker(chain);
    for (const pair of chain.pairs) {
      runs += 1;
      const what = `\`${chain.model}\` ${pair.from} -> ${pair.to}`;
      const found = check(pair.from, pair.to);
      if (pair.refused === null) {
        if (found !== null) failures.push(`${what}: refused with ${found.message}`);
        continue;
      }
      const allowed = chain.pairs.filter((p) => p.from === pair.from && p.refused === null).map((p) => p.to);
      const expected: TransitionRefused = {
        rule: 'transition',
        model: chain.model,
        from: pair.from,
        to: pair.to,
        allowed,
        message: pair.refused,
      };
      try {
        assert.deepEqual(found, expected);
      } catch {
        failures.push(`${what}:\n  expected ${JSON.stringify(expected)}\n  found    ${JSON.stringify(found)}`);
      }
    }
    const first = chain.states[0]!;
    if (check(first, first) !== null) failures.push(`\`${chain.model}\` staying in ${first} was refused`);
  }
  assert.deepEqual(failures, []);
  assert.ok(runs >= 40, `every pair ran (${runs})`);
});

interface EventCase {
  spec: string;
  model: string;
  case: string;
  from: string;
  event: string;
  row: Record<string, unknown>;
  to: string | null;
  refused: string | null;
}

type Outcome = { ok: true; state: string } | { ok: false; refused: TransitionRefused };
type Apply = (row: object, event: string) => Outcome;

test('every workflow event gives its answer', async () => {
  const events: EventCase[] = (JSON.parse(
    readFileSync(new URL('../../corpus/transitions/cases.json', import.meta.url), 'utf8'),
  ) as { events: EventCase[] }).events;
  assert.ok(events.length >= 10, 'the event cases are all there');
  const failures: string[] = [];
  for (const c of events) {
    const stem = c.spec.replace(/\.shep$/, '');
    const types: Record<string, unknown> = await import(`../.generated/corpus/${stem}/ts/types.js`);
    const suffix = `${c.model[0]!.toUpperCase()}${c.model.slice(1)}`;
    const apply = types[`apply${suffix}Event`] as Apply;
    const next = types[`${c.model.toUpperCase()}_NEXT_STATES`] as Record<string, string[]>;
    const accepted = types[`${c.model.toUpperCase()}_STATE_EVENTS`] as Record<string, string[]>;
    assert.equal(typeof apply, 'function', `${stem}/types.ts exports apply${suffix}Event`);
    const row = { ...c.row, id: 'c1', status: c.from };
    const before = JSON.stringify(row);
    const what = `${c.case}: \`${c.event}\` from \`${c.from}\``;
    const found = apply(row, c.event);
    if (JSON.stringify(row) !== before) failures.push(`${what}: apply changed the row`);
    if (c.to !== null) {
      if (!found.ok || found.state !== c.to) failures.push(`${what}: expected ${c.to}, found ${JSON.stringify(found)}`);
      continue;
    }
    if (found.ok) {
      failures.push(`${what}: moved to ${found.state}, expected the refusal ${c.refused}`);
      continue;
    }
    const r = found.refused;
    if (r.message !== c.refused) failures.push(`${what}:\n  expected ${c.refused}\n  found    ${r.message}`);
    if (r.rule !== 'transition' || r.model !== c.model || r.from !== c.from || r.event !== c.event) {
      failures.push(`${what}: the refusal names ${JSON.stringify(r)}`);
    }
    assert.deepEqual(r.allowed, next[c.from], `${what}: allowed`);
    assert.deepEqual(r.accepted, accepted[c.from], `${what}: accepted`);
  }
  assert.deepEqual(failures, []);
});
