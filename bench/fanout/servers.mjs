// What the benchmarks share: building the Rust `serve-spec` (release) and transpiling the
// generated Node server of sheplang-socketio/examples/specs/bench.shep, starting either as a
// child process, and reading a process's memory and CPU time from /proc. Every child process
// started here is killed when the benchmark exits, however it exits (an error, Ctrl-C).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const workspace = resolve(here, '..', '..');
const tsDir = join(workspace, 'ts');
const work = join(here, '.work');

if (!existsSync(join(tsDir, 'node_modules', 'socket.io-client'))) {
  console.error('bench: ts/node_modules is missing; run `npm ci` in ts/ first');
  process.exit(2);
}
export const tsRequire = createRequire(join(tsDir, 'package.json'));
export const ioClientPath = pathToFileURL(tsRequire.resolve('socket.io-client')).href;

// ---------------------------------------------------------------- build
/** Builds serve-spec in release; returns the executable and the generated-code folder. */
export function buildRust() {
  console.error('bench: cargo build --release -p sheplang-socketio-examples --bin serve-spec');
  const output = execFileSync(
    'cargo',
    ['build', '--release', '-p', 'sheplang-socketio-examples', '--bin', 'serve-spec', '--message-format=json'],
    { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  let executable;
  let generated;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line);
    if (m.reason === 'compiler-artifact' && m.executable?.endsWith('serve-spec')) executable = m.executable;
    if (m.reason === 'build-script-executed' && m.package_id.includes('sheplang-socketio')) {
      generated = join(m.out_dir, 'sheplang');
    }
  }
  if (!executable || !generated) throw new Error('cargo did not report serve-spec and its OUT_DIR');
  return { executable, generated };
}

/** The Node server of every benchmark: `node node-server.mjs <prepareNode's folder> [--redis URL ...]`. */
export const nodeServerScript = join(here, 'node-server.mjs');

/**
 * Transpiles the server half of bench.shep's generated TypeScript to JavaScript under .work/,
 * with its other runtime files (the Redis log's Lua scripts) beside it; returns the folder.
 */
export function prepareNode(generated) {
  const ts = tsRequire('typescript');
  const source = join(generated, 'bench', 'ts-server');
  rmSync(work, { recursive: true, force: true });
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const file of walk(source)) {
    const out = join(work, 'ts', relative(source, file));
    mkdirSync(dirname(out), { recursive: true });
    if (file.endsWith('.ts')) {
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(out.replace(/\.ts$/, '.js'), js);
    } else {
      copyFileSync(file, out);
    }
  }
  writeFileSync(join(work, 'package.json'), '{"type":"module"}\n');
  // The generated server imports `socket.io` and `ioredis`: resolve them from ts/node_modules.
  symlinkSync(join(tsDir, 'node_modules'), join(work, 'node_modules'), 'dir');
  return join(work, 'ts');
}

// ---------------------------------------------------------------- processes
/** Every child process started here that has not exited. */
const live = new Set();

/** Kills every child process started here that still runs (synchronous: fit for `exit`). */
export function killAll() {
  for (const child of live) child.kill('SIGKILL');
}
process.once('exit', killAll);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.once(signal, () => {
    console.error(`bench: ${signal}: stopping the processes it started`);
    process.exit(code); // `exit` kills them
  });
}

/**
 * Child processes started together (one configuration of a benchmark): `kill()` ends each one,
 * and any started after it (by work that is still under way when a run is given up).
 */
export function processGroup() {
  const members = new Set();
  let closed = false;
  return {
    add(child) {
      if (closed) {
        child.kill('SIGKILL');
        return;
      }
      members.add(child);
      child.once('exit', () => members.delete(child));
    },
    kill() {
      closed = true;
      for (const child of members) child.kill('SIGKILL');
    },
  };
}

/** Spawns a child process that is killed on the benchmark's exit (and by `group`'s `kill`). */
function spawnTracked(command, args, group) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  // A command written to a process that died is lost with it, not an uncaught EPIPE.
  child.stdin.on('error', () => {});
  group?.add(child);
  return child;
}

/**
 * Starts a server (`serve-spec` or node-server.mjs) and waits for its `{"port":N}` line;
 * `group`: a `processGroup()` it joins.
 */
export async function startProcess(command, args, group) {
  const child = spawnTracked(command, args, group);
  const exited = new Promise((r) => child.once('exit', r));
  const ready = await new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not start`));
    }, 30_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolveReady(JSON.parse(line));
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}`));
    });
  });
  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: child.pid,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Peak RSS (MiB) and CPU seconds (user + system) so far of a process, from /proc. */
export function processStats(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN') / 1024;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    return { peakRssMiB: hwm, cpuSeconds: ticks / 100 };
  } catch {
    return { peakRssMiB: NaN, cpuSeconds: NaN };
  }
}


/** The current RSS (MiB) of a process, from /proc. */
export function currentRssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN') / 1024;
  } catch {
    return NaN;
  }
}

/** Builds the Rust load client (`bench/fanout/load`) in release; returns the executable. */
export function buildLoadClient() {
  console.error('bench: cargo build --release -p fanout-load');
  const output = execFileSync('cargo', ['build', '--release', '-p', 'fanout-load', '--message-format=json'], {
    cwd: workspace,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line);
    if (m.reason === 'compiler-artifact' && m.executable?.endsWith('fanout-load')) return m.executable;
  }
  throw new Error('cargo did not report the fanout-load executable');
}

/**
 * Builds both servers; returns a function that starts a fresh process of either. `rustArgs`:
 * more options of `serve-spec` (such as `--worker-threads 1`).
 */
export function prepareServers(rustArgs = []) {
  const { executable, generated } = buildRust();
  const nodeServer = prepareNode(generated);
  return {
    node: () => startProcess(process.execPath, [nodeServerScript, nodeServer]),
    // Both servers run with their defaults (the per-client queue included) unless told.
    rust: () => startProcess(executable, ['bench', '--port', '0', '--exit-on-stdin-eof', ...rustArgs]),
  };
}

/**
 * `count` subscribers held by one `fanout-load` process (`args`: more of its options, such as
 * `--filter-teams`); `ask(type)` sends it a command and resolves with its answer. `group`: a
 * `processGroup()` it joins.
 */
export async function startLoad(loadClient, url, count, args = [], group = undefined) {
  const child = spawnTracked(loadClient, ['--url', url, '--connections', String(count), ...args], group);
  const exited = new Promise((r) => child.once('exit', r));
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise((r) => waiting.push(r));
  const ready = await Promise.race([next(), exited.then((code) => ({ type: `exit ${code}` }))]);
  if (ready.type !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`fanout-load did not start: ${ready.type}`);
  }
  return {
    pid: child.pid,
    ask(type) {
      const answer = next();
      child.stdin.write(`${type}\n`);
      return answer;
    },
    async stop() {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      if (child.exitCode === null) {
        child.stdin.write('close\n');
        child.stdin.end();
      }
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Waits until `clients` (from `startLoad`) hold `expected` deliveries together, or 3 s pass
 * with none more, asking each only its `count` meanwhile (cheap: the full report carries every
 * latency); then returns each one's `report`.
 */
export async function drain(clients, expected) {
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const counts = await Promise.all(clients.map((c) => c.ask('count')));
    const received = counts.reduce((sum, r) => sum + r.received, 0);
    if (received >= expected) break;
    if (received !== last) {
      last = received;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 3_000) {
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return Promise.all(clients.map((c) => c.ask('report')));
}
