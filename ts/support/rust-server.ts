// Starts the Rust realtime server (sheplang-socketio, on socketioxide) as a child process: the
// `serve-spec` binary of the `sheplang-socketio-examples` crate, built from the same spec files
// as the TypeScript server (specs/tasks.shep, specs/edge.shep). The host-side actions go
// through its HTTP control endpoint (test support only; see sheplang-socketio/examples/src/
// control.rs).
//
// SHEPLANG_SERVE_SPEC=/path/to/serve-spec uses that binary instead of `cargo build`.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { ServerConfig, ServerUnderTest } from '../test/protocol-cases.js';

const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The specs `serve-spec` is built with. */
export type RustSpec = 'tasks' | 'edge' | 'alltypes' | 'bench';

/** What `serve-spec` prints once it listens. */
export interface RustReady {
  port: number;
  app: string;
  fingerprint: string;
  pid: number;
  /** The folder with this build's generated `<stem>.rs`, `<stem>.ir.json`, `<stem>/ts/`, `<stem>/ts-server/`. */
  generated: string;
}

let binary: string | undefined;

/**
 * The path of the `serve-spec` binary, building it (debug) on first use. Cargo prints the
 * executable's path in its JSON messages, which respects CARGO_TARGET_DIR and the like.
 */
export function serveSpecBinary(): string {
  if (binary !== undefined) return binary;
  const given = process.env['SHEPLANG_SERVE_SPEC'];
  if (given !== undefined && given !== '') {
    binary = resolve(given);
    return binary;
  }
  const release = process.env['SHEPLANG_SERVE_SPEC_RELEASE'] === '1';
  const output = execFileSync(
    'cargo',
    [
      'build',
      '--quiet',
      '-p',
      'sheplang-socketio-examples',
      '--bin',
      'serve-spec',
      '--message-format=json',
      ...(release ? ['--release'] : []),
    ],
    { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
  );
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message: unknown = JSON.parse(line);
    if (
      typeof message === 'object' &&
      message !== null &&
      'reason' in message &&
      message.reason === 'compiler-artifact' &&
      'executable' in message &&
      typeof message.executable === 'string' &&
      message.executable.endsWith('serve-spec')
    ) {
      binary = message.executable;
    }
  }
  if (binary === undefined) throw new Error('cargo built no `serve-spec` executable');
  return binary;
}

/** A running `serve-spec`. */
export interface RustProcess {
  readonly ready: RustReady;
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** POSTs to a control route; throws with the server's message unless it answers 2xx. */
  control(path: string, body?: unknown): Promise<unknown>;
  /** Stops the process (closing its stdin, then SIGKILL if it lingers). */
  stop(): Promise<void>;
}

/** Starts `serve-spec <spec> ...args` on a free port of 127.0.0.1. */
export async function startServeSpec(spec: RustSpec, args: readonly string[] = []): Promise<RustProcess> {
  const child = spawn(serveSpecBinary(), [spec, '--port', '0', '--exit-on-stdin-eof', ...args], {
    cwd: workspace,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const ready = await new Promise<RustReady>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve-spec did not start in 20 s: ${stderr}`)), 20_000);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      try {
        resolveReady(JSON.parse(line) as RustReady);
      } catch (error) {
        reject(new Error(`serve-spec printed ${line}: ${String(error)}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve-spec exited with ${code}: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${ready.port}`;
  return {
    ready,
    url,
    child,
    async control(path, body) {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? '' : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
      return text === '' ? undefined : (JSON.parse(text) as unknown);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The shared protocol cases' factory (see test/protocol-cases.ts) for the Rust server. */
export async function startRustServer(config: ServerConfig = {}): Promise<ServerUnderTest> {
  const args = (config.deny ?? []).flatMap((channel) => ['--deny', channel]);
  for (const { channel, field, value } of config.denyFilter ?? []) {
    args.push('--deny-filter', `${channel}:${field}=${value}`);
  }
  if (config.logCapacity !== undefined) args.push('--log-capacity', String(config.logCapacity));
  if (config.maxBufferedPackets !== undefined) args.push('--max-buffer-size', String(config.maxBufferedPackets));
  const server = await startServeSpec('tasks', args);
  const emit = async (event: string, args: unknown[], before?: unknown): Promise<void> => {
    await server.control('/control/emit', before === undefined ? { event, args } : { event, args, before });
  };
  return {
    url: server.url,
    emitCreated: (model, row) => emit('model_created', [model, row]),
    emitUpdated: (model, row, before) => emit('model_updated', [model, row], before),
    emitDeleted: (model, id, before) => emit('model_deleted', [model, id], before),
    notify: (message, data) => emit('notification', data === undefined ? [message] : [message, data]),
    async emitCreatedMany(model, rows) {
      await server.control('/control/emit-batch', {
        events: rows.map((row) => ({ event: 'model_created', args: [model, row] })),
      });
    },
    async overflowDisconnects() {
      const response = await fetch(`${server.url}/control/stats`);
      const stats = (await response.json()) as { metrics: { overflowDisconnects: number } };
      return stats.metrics.overflowDisconnects;
    },
    close: () => server.stop(),
  };
}
