// `npm run gen`: the browser half of the TypeScript of ../specs/teams.shep, written by
// `sheplang export` into src/generated/teams/ (types.ts, contexts/RealtimeContext.tsx,
// hooks/useTaskRealtime.ts, ...), as the crate's Cargo.toml asks:
//
//   [package.metadata.sheplang]
//   specs = ["specs/teams.shep"]
//   typescript = "web/src/generated"
//   typescript-server = false
//
// The folder is gitignored: the spec is the source, this is its output. Files are written only
// when their bytes change, so a running `npm run watch` rebuilds only after a spec change.
//
// SHEPLANG_BIN=/path/to/sheplang uses a built binary instead of `cargo run -p sheplang-cli`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const crate = resolve(web, '..');
const workspace = resolve(crate, '../..');
const args = ['export', '--manifest-path', join(crate, 'Cargo.toml'), '--package', 'sheplang-teams'];

const bin = process.env.SHEPLANG_BIN;
const [command, commandArgs] = bin
  ? [resolve(bin), args]
  : ['cargo', ['run', '--quiet', '-p', 'sheplang-cli', '--', ...args]];
try {
  // Quiet when it works; cargo's and the compiler's messages are shown when it does not.
  execFileSync(command, commandArgs, { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
} catch (error) {
  process.stderr.write(String(error.stderr ?? ''));
  const hint = bin
    ? `SHEPLANG_BIN=${bin} did not run`
    : 'needs cargo (https://rustup.rs) to build the sheplang CLI, or SHEPLANG_BIN=/path/to/sheplang';
  console.error(`error: generating the TypeScript failed (${error.message.split('\n')[0]})\n  = help: ${hint}`);
  process.exit(1);
}
if (!existsSync(join(web, 'src', 'generated', 'teams', 'types.ts'))) {
  console.error('error: sheplang export wrote no src/generated/teams/types.ts');
  process.exit(1);
}
console.log('generated src/generated/teams/ from specs/teams.shep (sheplang export)');
