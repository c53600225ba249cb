// `npm run gen`: generates, with the sheplang CLI, the TypeScript of every accepted spec of the
// project corpus (../corpus/accept) into .generated/corpus/<stem>/, of the shared conformance
// corpus beside the repository (../../shared/conformance/accept, when it is there) into
// .generated/conformance/<stem>/ and of this package's own specs (specs/) into
// .generated/specs/<stem>/ and of the constraint cases' spec (../corpus/constraints) into
// .generated/constraints/ (each with ts/, the browser half, and ts-server/, the server half,
// and the SQL and Prisma schemas), then the Prisma client of the folder prisma/ into
// prisma/generated/: the generated schema.prisma of specs/tasks.shep, copied there, and the
// hand-written audit.prisma (a model outside the spec). tsconfig*.json type-check everything
// under .generated/.
//
// SHEPLANG_BIN=/path/to/sheplang uses a built binary instead of `cargo run`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspace = resolve(root, '..');
const corpus = resolve(workspace, 'corpus/accept');
const shared = resolve(workspace, '../shared/conformance');
const out = join(root, '.generated');

function specsIn(dir) {
  if (!existsSync(dir)) {
    throw new Error(`no spec folder at ${dir}`);
  }
  return readdirSync(dir)
    .filter((name) => name.endsWith('.shep'))
    .sort()
    .map((name) => join(dir, name));
}

function sheplang(args) {
  const bin = process.env.SHEPLANG_BIN;
  const [command, commandArgs] = bin
    ? [bin.includes('/') ? resolve(bin) : bin, args]
    : ['cargo', ['run', '--quiet', '--locked', '-p', 'sheplang-cli', '--', ...args]];
  execFileSync(command, commandArgs, { cwd: workspace, stdio: 'inherit' });
}

rmSync(out, { recursive: true, force: true });
sheplang(['gen', ...specsIn(corpus), '--out', join(out, 'corpus')]);
if (existsSync(shared)) {
  sheplang(['gen', ...specsIn(join(shared, 'accept')), '--out', join(out, 'conformance')]);
} else {
  console.log(`note: ${shared} not found; walking the project corpus only`);
}
sheplang(['gen', ...specsIn(join(root, 'specs')), '--out', join(out, 'specs')]);
// The constraint cases shared with the Rust validator (test/constraints.test.ts).
sheplang(['gen', join(workspace, 'corpus/constraints/constraints.shep'), '--out', join(out, 'constraints')]);

// Prisma 7's client generator needs no engine; pointing the schema engine at /bin/true keeps
// `prisma generate` from trying to download one (there is no network here).
copyFileSync(join(out, 'specs', 'tasks', 'prisma', 'sqlite', 'schema.prisma'), join(root, 'prisma', 'schema.prisma'));
execFileSync(join(root, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', 'prisma'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
