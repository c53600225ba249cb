// The constraint cases shared with the Rust validator (corpus/constraints/cases.json): each row
// must give exactly its violations (field, rule, message) from the generated TypeScript
// validator, as `sheplang/tests/constraints.rs` checks the Rust one against the same file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  RULES,
  validate,
  validateProfile,
  type Profile,
  type Violation,
} from '../.generated/constraints/constraints/ts/types.js';
import { compareDecimals, countChars, INVISIBLE } from '../.generated/constraints/constraints/ts/validate.js';

interface Case {
  name: string;
  set: Record<string, unknown>;
  violations: Violation[];
}

interface Cases {
  model: string;
  valid: Profile;
  cases: Case[];
}

const file: Cases = JSON.parse(readFileSync(new URL('../../corpus/constraints/cases.json', import.meta.url), 'utf8'));

test('every case gives its violations', () => {
  assert.equal(file.model, 'Profile');
  assert.ok(file.cases.length > 30, 'the cases are all there');
  const failures: string[] = [];
  for (const c of file.cases) {
    // A case's row is the valid one with the keys of `set` replaced, as JSON gives it.
    const row: Profile = { ...file.valid, ...c.set };
    const found = validateProfile(row);
    try {
      assert.deepEqual(found, c.violations);
      assert.deepEqual(validate('Profile', row), found);
    } catch {
      failures.push(`${c.name}:\n  expected ${JSON.stringify(c.violations)}\n  found    ${JSON.stringify(found)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('characters are code points, not UTF-16 units', () => {
  assert.equal(countChars('😀😀'), 2);
  assert.equal('😀😀'.length, 4);
  assert.equal(countChars('\ud800x'), 2, 'a lone surrogate counts as one');
});

test('the invisible ranges are the Rust facade\'s, in order', () => {
  const rust = readFileSync(new URL('../../sheplang/src/validate.rs', import.meta.url), 'utf8');
  const table = rust.slice(rust.indexOf('pub const INVISIBLE'), rust.indexOf('];', rust.indexOf('pub const INVISIBLE')));
  const ranges = [...table.matchAll(/\((0x[0-9A-Fa-f]+), (0x[0-9A-Fa-f]+)\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(ranges.length > 10);
  assert.deepEqual(ranges, INVISIBLE.map(([lo, hi]) => [lo, hi]));
  for (let i = 1; i < INVISIBLE.length; i += 1) {
    assert.ok((INVISIBLE[i - 1]?.[1] ?? 0) < (INVISIBLE[i]?.[0] ?? 0));
  }
});

test('decimals compare exactly', () => {
  assert.equal(compareDecimals('0.30', '0.3'), 0);
  assert.equal(compareDecimals('-0', '0'), 0);
  assert.equal(compareDecimals('0.30000000000000001', '0.3'), 1);
  assert.equal(compareDecimals('-10.01', '-10'), -1);
  assert.equal(compareDecimals('99', '100'), -1);
  assert.equal(compareDecimals('1e3', '1'), undefined);
});

test('the table lists the constrained fields only, as in Rust', () => {
  assert.deepEqual(
    RULES.Profile.map((r) => r.field),
    ['displayName', 'nickname', 'age', 'balance', 'contact', 'backup', 'code', 'tags'],
  );
});
