// A client written from docs/wire.md alone, in another language: python-socketio with
// fixed-arity handlers (python/wire_client.py), against both servers. It subscribes the old
// way, so every model event must come with exactly the arguments wire.md lists; an extra one
// (a position, Socket.IO's recovery offset) raises in its handler and loses the event.
//
// The client runs in ts/.venv, made here on first use (`python3 -m venv`, then `pip install`
// of python/requirements.txt, pinned) and reused while the requirements are unchanged.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { Task } from '../.generated/specs/tasks/ts/types.js';
import { startRustServer } from '../support/rust-server.js';
import { within } from './client.js';
import type { ServerUnderTest, StartServer } from './protocol-cases.js';
import { startTsServer } from './ts-server.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const requirements = join(root, 'python', 'requirements.txt');
const python = join(venv, 'bin', 'python');

/** The venv's Python, installing the pinned requirements when they changed. */
function venvPython(): string {
  const stamp = join(venv, '.installed-requirements.txt');
  const wanted = readFileSync(requirements, 'utf8');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements], {
      stdio: 'inherit',
    });
    writeFileSync(stamp, wanted);
  }
  return python;
}

const task = (n: number): Task => ({
  id: `t-${n}`,
  title: `Task ${n}`,
  done: false,
  createdAt: '2026-11-25T09:00:00Z',
  tags: [],
  status: 'open',
});

async function run(start: StartServer): Promise<void> {
  const server: ServerUnderTest = await start({});
  const marker = `done-${Math.random().toString(36).slice(2)}`;
  const child = spawn(venvPython(), [join(root, 'python', 'wire_client.py'), server.url, 'task', marker], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<string> => new Promise((resolveLine) => lines.once('line', resolveLine));
  try {
    assert.equal(await within(next(), 30_000, `the python client did not start: ${stderr}`), 'ready');
    const rows = Array.from({ length: 200 }, (_, i) => task(i + 1));
    await server.emitCreatedMany('Task', rows);
    for (const row of rows.slice(0, 50)) await server.emitUpdated('Task', { ...row, done: true });
    for (const row of rows.slice(0, 20)) await server.emitDeleted('Task', row.id);
    await server.notify('hello');
    await server.notify('with data', { n: 1 });
    await server.notify(marker);
    const result = JSON.parse(await within(next(), 30_000, `no result from the python client: ${stderr}`));
    // Every event once, in order, through handlers of the documented arity.
    assert.deepEqual(result.created, rows.map((row) => ['Task', row.id]));
    assert.deepEqual(result.updated, rows.slice(0, 50).map((row) => ['Task', row.id]));
    assert.deepEqual(result.deleted, rows.slice(0, 20).map((row) => ['Task', row.id]));
    assert.deepEqual(result.notifications, [
      ['hello', null],
      ['with data', { n: 1 }],
    ]);
    assert.equal(result.connected.length, 1);
    assert.doesNotMatch(stderr, /TypeError|Traceback/, stderr);
  } finally {
    lines.close();
    child.kill();
    await server.close();
  }
}

test('a python-socketio client with fixed-arity handlers gets every event from the Node server', { timeout: 300_000 }, () =>
  run(startTsServer),
);

test('a python-socketio client with fixed-arity handlers gets every event from the Rust server', { timeout: 300_000 }, () =>
  run(startRustServer),
);
