// `prisma validate` (offline: no engine is needed to validate) accepts the generated Prisma
// schema of every spec `npm run gen` generated, for SQLite and for PostgreSQL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const generated = join(root, '.generated');
const prisma = join(root, 'node_modules', '.bin', 'prisma');

/** Every `<stem>/prisma/<dialect>/schema.prisma` under .generated/. */
function schemas(): string[] {
  const out: string[] = [];
  for (const corpus of readdirSync(generated).sort()) {
    const dir = join(generated, corpus);
    for (const stem of readdirSync(dir).sort()) {
      for (const dialect of ['sqlite', 'postgres']) {
        const file = join(dir, stem, 'prisma', dialect, 'schema.prisma');
        if (existsSync(file)) {
          out.push(file);
        }
      }
    }
  }
  return out;
}

function validate(file: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      prisma,
      ['validate', '--schema', file],
      {
        cwd: root,
        env: {
          ...process.env,
          PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
          CHECKPOINT_DISABLE: '1',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
        },
      },
      (error, stdout, stderr) => resolve(error ? `${stdout}${stderr}` : null),
    );
  });
}

test('prisma validate accepts every generated schema.prisma', { timeout: 900_000 }, async () => {
  const files = schemas();
  // The project's own specs and corpus are always there: both dialects of each.
  assert.ok(files.some((f) => f.includes(join('specs', 'tasks', 'prisma', 'sqlite'))), 'tasks.shep');
  assert.ok(files.filter((f) => relative(generated, f).startsWith('corpus')).length >= 20, 'the corpus');
  const failures: string[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    for (let file = files[next++]; file !== undefined; file = files[next++]) {
      const error = await validate(file);
      if (error !== null) {
        failures.push(`${relative(root, file)}:\n${error}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  assert.deepEqual(failures, []);
});
