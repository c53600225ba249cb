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
