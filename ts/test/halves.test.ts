// Each half of the generated TypeScript in a project of its own kind, with only that kind's
// packages installed, checked by the real tsc:
//
// - the browser half (`<stem>/ts/`: types, provider, hooks) copied into a front end's `src/`
//   beside a page that uses it, `tsc --strict` over all of `src/` with no `exclude`, no Node
//   types, and only react and socket.io-client in its node_modules;
// - the server half (`<stem>/ts-server/`: types, Socket.IO server, Prisma extension) in a Node
//   project (`nodenext`, Node types, no DOM) with only socket.io, @prisma/client, ioredis
//   (the Redis log's client) and better-sqlite3 (the SQLite change-table log's).
//
// A file importing `socket.io` in the browser project must fail, so that a server import
// slipping into the browser half cannot pass unseen.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const generated = join(root, '.generated', 'specs');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const STEMS = ['tasks', 'edge', 'empty'];
const scratch = mkdtempSync(join(tmpdir(), 'sheplang-halves-'));
const TIMEOUT = { timeout: 300_000 };

after(() => rmSync(scratch, { recursive: true, force: true }));

/** A project folder with `files`, and node_modules holding only `packages` (linked from ours). */
function project(name: string, packages: readonly string[], files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const pkg of packages) {
    const link = join(dir, 'node_modules', pkg);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', pkg), link, 'dir');
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs tsc in `dir`: its output, and whether it passed. */
async function typecheck(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: dir });
    return { ok: true, output: '' };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? String(error)}` };
  }
}

const BROWSER_PACKAGES = ['react', '@types/react', 'socket.io-client'];

const BROWSER_TSCONFIG = JSON.stringify({
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    lib: ['ES2023', 'DOM', 'DOM.Iterable'],
    module: 'esnext',
    moduleResolution: 'bundler',
    jsx: 'react-jsx',
    types: [],
    noEmit: true,
  },
  include: ['src'],
});

test('the browser half type-checks in a front end with tsc --strict over all of src/', TIMEOUT, async () => {
  const dir = project('web', BROWSER_PACKAGES, {
    'tsconfig.json': BROWSER_TSCONFIG,
    'src/App.tsx': `import type { ReactNode } from 'react';
import { RealtimeProvider, useRealtime } from './generated/tasks/contexts/RealtimeContext.js';
import { useTaskRealtime } from './generated/tasks/hooks/useTaskRealtime.js';

function Tasks(): ReactNode {
  const { isConnected } = useRealtime();
  const { items } = useTaskRealtime({ load: async () => [] });
  return <p>{isConnected ? items.map((task) => task.title).join(', ') : 'offline'}</p>;
}

export function App(): ReactNode {
  return <RealtimeProvider url="http://localhost:3000"><Tasks /></RealtimeProvider>;
}
`,
  });
  for (const stem of STEMS) {
    cpSync(join(generated, stem, 'ts'), join(dir, 'src', 'generated', stem), { recursive: true });
  }
  const result = await typecheck(dir);
  assert.ok(result.ok, `the browser half does not type-check on its own:\n${result.output}`);
});

test('that front end has no server packages: importing socket.io there fails', TIMEOUT, async () => {
  const dir = project('web-negative', BROWSER_PACKAGES, {
    'tsconfig.json': BROWSER_TSCONFIG,
    'src/server.ts': "import { Server } from 'socket.io';\nexport const io = new Server();\n",
  });
  const result = await typecheck(dir);
  assert.equal(result.ok, false);
  assert.match(result.output, /Cannot find module 'socket\.io'/);
});

test('the server half type-checks in a Node project', TIMEOUT, async () => {
  const packages = ['socket.io', '@prisma/client', 'ioredis', 'better-sqlite3', '@types/better-sqlite3', '@types/node'];
  const dir = project('server', packages, {
    'package.json': JSON.stringify({ type: 'module' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        noEmit: true,
      },
      include: ['src'],
    }),
    'src/main.ts': `import { createServer } from 'node:http';
import { realtimeExtension } from './generated/tasks/api/realtime/middleware.js';
import { RealtimeServer } from './generated/tasks/api/realtime/server.js';

const httpServer = createServer();
const realtime = new RealtimeServer(httpServer);
realtime.emitModelCreated('Task', {
  id: 't1',
  title: 'Ship',
  done: false,
  createdAt: '2024-01-01T00:00:00.000Z',
  tags: [],
  status: 'open',
});
export const extension = realtimeExtension(realtime);
`,
  });
  for (const stem of STEMS) {
    cpSync(join(generated, stem, 'ts-server'), join(dir, 'src', 'generated', stem), { recursive: true });
  }
  const result = await typecheck(dir);
  assert.ok(result.ok, `the server half does not type-check in a Node project:\n${result.output}`);
});
