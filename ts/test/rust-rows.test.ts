// Every field of every model, emitted by the Rust server, arrives at a Node socket.io client
// exactly as the generated TypeScript interface declares it:
//
// 1. at run time, against the spec's IR (the value both generators read): keys, `id` first,
//    required fields present, each value of its wire type (support/rust-rows.ts);
// 2. at compile time: the received rows are written out as object literals typed with the
//    generated interfaces (`const row: Models['Everything'] = {...}`) and `tsc --strict
//    --exactOptionalPropertyTypes` must accept them (an extra key, a missing field or a number
//    where a string belongs fails).
//
// The rows come from both sides: sample rows made here from the IR, which the Rust server
// parses into its generated structs and emits back (so they must also come back unchanged),
// and, for specs/alltypes.shep, rows made in Rust (sheplang-socketio/examples/src/rows.rs).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { TestClient, within } from './client.js';
import { checkRow, sampleRow, type IrSpec } from '../support/rust-rows.js';
import { serveSpecBinary, startServeSpec, type RustSpec } from '../support/rust-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Arrived {
  model: string;
  row: unknown;
}

/** Receives `count` `model_created` events. */
async function collect(client: TestClient, count: number): Promise<Arrived[]> {
  await within(
    new Promise<void>((resolveAll) => {
      const check = (): void => {
        if (client.all('model_created').length >= count) resolveAll();
        else setTimeout(check, 10);
      };
      check();
    }),
    10_000,
    `fewer than ${count} rows arrived`,
  );
  return client.all('model_created').map((r) => ({ model: String(r.args[0]), row: r.args[1] }));
}

/**
 * True when `row` (or a row nested in it) lacks an optional field named like a member of
 * `Object.prototype` (`constructor`, ...). TypeScript checks such a literal against the
 * inherited member (`Function` is not `string | null`) and refuses it whatever the generator
 * emits, so those rows are left to the run-time check.
 */
function shadowsPrototype(spec: IrSpec, model: string, row: unknown): boolean {
  const described = spec.models.find((m) => m.name === model);
  if (described === undefined || typeof row !== 'object' || row === null) return false;
  return described.fields.some((field) => {
    const present = Object.hasOwn(row, field.name);
    if (!present) return field.name in Object.prototype;
    const value: unknown = (row as Record<string, unknown>)[field.name];
    if (field.type.kind !== 'model') return false;
    const nested = field.type.model ?? '';
    return Array.isArray(value)
      ? value.some((item) => shadowsPrototype(spec, nested, item))
      : shadowsPrototype(spec, nested, value);
  });
}

/** `tsc` over the received rows typed with the generated interfaces of `stem`. */
async function typecheck(generated: string, stem: string, rows: Arrived[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `rust-rows-${stem}-`));
  try {
    // `types.ts` with the runtime files it imports (the protocol's shapes, the validators).
    for (const file of ['types.ts', 'protocol.ts', 'validate.ts']) {
      copyFileSync(join(generated, stem, 'ts', file), join(dir, file));
    }
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    const body = rows
      .map((r, i) => `export const row${i}: Models[${JSON.stringify(r.model)}] = ${JSON.stringify(r.row, null, 2)};`)
      .join('\n\n');
    writeFileSync(join(dir, 'rows.ts'), `import type { Models } from './types.js';\n\n${body}\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          noEmit: true,
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: [],
        },
        files: ['rows.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['-p', dir];
    await promisify(execFile)(process.execPath, [tsc, ...flags], { cwd: dir }).catch(
      (error: { stdout?: string }) => {
        assert.fail(`the rows do not type-check against ${stem}/ts/types.ts:\n${error.stdout ?? String(error)}`);
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkSpec(stem: Exclude<RustSpec, 'bench'>): Promise<void> {
  const server = await startServeSpec(stem);
  const client = await TestClient.connect(server.url);
  try {
    const spec = JSON.parse(readFileSync(join(server.ready.generated, `${stem}.ir.json`), 'utf8')) as IrSpec;
    for (const model of spec.models) {
      assert.deepEqual(await client.request('subscribe', [model.channel]), [{ ok: true }]);
    }

    // Rows made here, through the Rust structs and back.
    const sent = spec.models.flatMap((model) => [
      { model: model.name, row: sampleRow(spec, model, `${model.channel}-full`, true) },
      { model: model.name, row: sampleRow(spec, model, `${model.channel}-min`, false) },
    ]);
    for (const { model, row } of sent) {
      await server.control('/control/emit', { event: 'model_created', args: [model, row] });
    }
    // Rows made in Rust.
    const rustMade = stem === 'alltypes' ? 4 : 0;
    if (rustMade > 0) await server.control('/control/samples');

    const arrived = await collect(client, sent.length + rustMade);
    assert.equal(arrived.length, sent.length + rustMade);
    for (const [i, { model, row }] of arrived.entries()) {
      const described = spec.models.find((m) => m.name === model);
      assert.ok(described, `unknown model ${model}`);
      assert.deepEqual(checkRow(spec, described, row), [], `row ${i} of ${model}`);
      const expected = sent[i];
      if (expected !== undefined) {
        assert.deepEqual({ model, row }, expected, 'a row comes back as it was given');
      }
    }
    // Every field of every model was present in at least one row.
    for (const model of spec.models) {
      const full = arrived.find((a) => a.model === model.name && typeof a.row === 'object' && a.row !== null);
      assert.ok(full, `no row of ${model.name}`);
      for (const field of model.fields) {
        assert.ok(
          arrived.some((a) => a.model === model.name && Object.hasOwn(a.row as object, field.name)),
          `${model.name}.${field.name} never arrived`,
        );
      }
    }
    const typeable = arrived.filter((a) => !shadowsPrototype(spec, a.model, a.row));
    assert.ok(typeable.length >= spec.models.length, 'at least one row of each model is type-checked');
    await typecheck(server.ready.generated, stem, typeable);
  } finally {
    client.close();
    await server.stop();
  }
}

serveSpecBinary();

for (const stem of ['alltypes', 'edge', 'tasks'] as const) {
  test(`rust server rows of specs ${stem} match the generated TypeScript interfaces`, { timeout: 90_000 }, () =>
    checkSpec(stem),
  );
}
