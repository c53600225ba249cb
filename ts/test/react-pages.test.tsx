// Pages under load and on flaky networks, in real React 19 (jsdom) with the real socket.io-client
// against the real generated `RealtimeServer`: changes are applied a frame at a time, rows that did
// not change keep their objects (so memoised rows stay put), `sync` tells live from stale from
// reconnecting, and the provider reconnects at once when the browser says the network is back.
// First: the DOM globals must exist before react-dom loads.
import { closeWindow } from './react-env.js';
import {
  deferred,
  eventually,
  Recorder,
  rowText,
  shownRows,
  startServer,
  task,
  TaskProbe,
  TaskTable,
  withServer,
  type Deferred,
  type ObservedServer,
} from './react-harness.js';

import assert from 'node:assert/strict';
import { createServer, type Socket as NetSocket } from 'node:net';
import { after, test } from 'node:test';

import { act, render } from '@testing-library/react';
import { memo, type ReactNode } from 'react';

import {
  CONNECT_TIMEOUT_MS,
  RealtimeProvider,
  useRealtime,
  type ModelRealtime,
  type RealtimeClientOptions,
} from '../.generated/specs/tasks/ts/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../.generated/specs/tasks/ts/hooks/useTaskRealtime.js';
import type { Task } from '../.generated/specs/tasks/ts/types.js';

const WS: RealtimeClientOptions = { transports: ['websocket'] };

const TIMEOUT = { timeout: 60_000 };

after(() => {
  closeWindow();
});

/** How often each row component rendered, by id. */
type RowRenders = Map<string, number>;

/** A list of memoised rows, as a page should write it. */
function MemoList({
  recorder,
  renders,
  load,
}: {
  recorder: Recorder<ModelRealtime<'Task'>>;
  renders: RowRenders;
  load?: () => Promise<readonly Task[]>;
}): ReactNode {
  const live = useTaskRealtime(load === undefined ? {} : { load });
  recorder.values.push(live);
  return (
    <section data-testid="tasks">
      <ul>
        {live.items.map((row) => (
          <Row key={row.id} task={row} renders={renders} />
        ))}
      </ul>
    </section>
  );
}

const Row = memo(function Row({ task: row, renders }: { task: Task; renders: RowRenders }): ReactNode {
  renders.set(row.id, (renders.get(row.id) ?? 0) + 1);
  return <li>{rowText(row)}</li>;
});

/** Counts the animation frames from now until `stop()`. */
function countFrames(): { stop: () => { count: number; ms: number } } {
  let count = 0;
  let frame = requestAnimationFrame(function tick() {
    count += 1;
    frame = requestAnimationFrame(tick);
  });
  const started = Date.now();
  return {
    stop: () => {
      cancelAnimationFrame(frame);
      return { count, ms: Date.now() - started };
    },
  };
}

/** Emits `count` changes from `server`, one per turn of its event loop (one WebSocket frame each). */
async function spread(count: number, emit: (i: number) => void): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    emit(i);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

test('a burst of events costs a few renders, not one per event; memoised rows render only when their row changed', TIMEOUT, async () => {
  await withServer(async (server) => {
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const renders: RowRenders = new Map();
    const view = render(
      <RealtimeProvider url={server.url} options={WS}>
        <MemoList recorder={recorder} renders={renders} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(recorder.latest.sync, 'live');
    });

    const burst = 300;
    const before = recorder.values.length;
    const frames = countFrames();
    await spread(burst, (i) => server.realtime.emitModelCreated('Task', task(`t${i}`, `Task ${i}`)));
    await eventually(() => {
      assert.equal(shownRows(view.container).length, burst);
    });
    const { count, ms } = frames.stop();
    const rendersForBurst = recorder.values.length - before;
    // At most one update per animation frame (or per 50 ms without frames), not one per event;
    // during the burst the hook spaces its updates by 100 ms, so far fewer than that.
    assert.ok(
      rendersForBurst <= count + Math.ceil(ms / 50) + 2,
      `${burst} events, one per WebSocket frame, took ${rendersForBurst} renders of the list in ${count} animation frames (${ms} ms)`,
    );
    assert.ok([...renders.values()].every((n) => n === 1), 'each new row rendered once');

    // One row changes: only that row renders again, every other row keeps its object.
    const shown = recorder.latest.items;
    server.realtime.emitModelUpdated('Task', task('t7', 'Task 7, renamed'));
    await eventually(() => {
      assert.equal(recorder.latest.byId.get('t7')?.title, 'Task 7, renamed');
    });
    const now = recorder.latest.items;
    assert.equal(now.length, burst);
    for (let i = 0; i < burst; i += 1) {
      if (i !== 7) {
        assert.equal(now[i], shown[i], `row t${i} keeps its object`);
      }
    }
    assert.equal(renders.get('t7'), 2);
    assert.equal([...renders.values()].reduce((a, b) => a + b, 0), burst + 1, 'one row rendered again, no other');

    // An update that changes nothing (a duplicate delivery) keeps the row's object.
    const seven = recorder.latest.byId.get('t7');
    server.realtime.emitModelUpdated('Task', task('t7', 'Task 7, renamed'));
    server.realtime.emitModelUpdated('Task', task('t8', 'Task 8, renamed'));
    await eventually(() => {
      assert.equal(recorder.latest.byId.get('t8')?.title, 'Task 8, renamed');
    });
    assert.equal(recorder.latest.byId.get('t7'), seven);
    assert.equal(renders.get('t7'), 2);
  });
});

test('a reload that finds the same rows keeps the list and its rows; one that finds a change renders that row only', TIMEOUT, async () => {
  await withServer(async (server) => {
    const db = new TaskTable(() => server, [task('t1', 'One'), task('t2', 'Two'), task('t3', 'Three')]);
    // Every fetch hands over new objects, as JSON does.
    const load = (): Promise<readonly Task[]> => Promise.resolve(db.rows().map((row) => ({ ...row })));
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const renders: RowRenders = new Map();
    const view = render(
      <RealtimeProvider url={server.url} options={WS}>
        <MemoList recorder={recorder} renders={renders} load={load} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(recorder.latest.sync, 'live');
      assert.deepEqual(shownRows(view.container), db.rows().map(rowText));
    });
    const items = recorder.latest.items;
    let ok = false;
    await act(async () => {
      ok = await recorder.latest.refresh();
    });
    assert.equal(ok, true);
    assert.equal(recorder.latest.items, items, 'equal rows: the same list');
    assert.deepEqual([...renders.values()], [1, 1, 1], 'no row rendered again');

    // Changed behind the client's back (no event): the reload shows it, and only that row renders.
    db.updated(task('t2', 'Two, edited elsewhere'));
    await eventually(() => {
      assert.equal(recorder.latest.byId.get('t2')?.title, 'Two, edited elsewhere');
    });
    const afterEvent = recorder.latest.items;
    await act(async () => {
      ok = await recorder.latest.refresh();
    });
    assert.equal(ok, true);
    assert.equal(recorder.latest.items, afterEvent, 'the event already had it: the same list');
    assert.deepEqual([...renders.entries()], [['t1', 1], ['t2', 2], ['t3', 1]]);
  });
});

test('`sync` is reconnecting while away, stale while the rows catch up, live only when they have', TIMEOUT, async () => {
  await withServer(async (first, started) => {
    let live: ObservedServer | null = first;
    const db = new TaskTable(() => live, [task('t1', 'One')]);
    const answers: Deferred<readonly Task[]>[] = [];
    const load = (): Promise<readonly Task[]> => {
      const answer = deferred<readonly Task[]>();
      answers.push(answer);
      return answer.promise;
    };
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    render(
      <RealtimeProvider url={first.url} options={{ ...WS, reconnectionDelay: 200, reconnectionDelayMax: 200 }}>
        <TaskProbe recorder={recorder} options={{ load }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(answers.length, 1);
    });
    assert.equal(recorder.latest.sync, 'stale', 'connected, the rows not loaded yet');
    answers[0]?.resolve(db.rows());
    await eventually(() => {
      assert.equal(recorder.latest.sync, 'live');
    });

    await first.close();
    live = null;
    await eventually(() => {
      assert.equal(recorder.latest.sync, 'reconnecting');
    });
    db.updated(task('t1', 'One, edited while away'));
    const second = await startServer(first.port);
    started.push(second);
    live = second;
    await eventually(() => {
      assert.equal(answers.length, 2);
    }, 10_000);
    assert.equal(recorder.latest.isConnected, true);
    assert.equal(recorder.latest.sync, 'stale', 'connected again, the old rows still shown');
    assert.equal(recorder.latest.items[0]?.title, 'One');
    answers[1]?.resolve(db.rows());
    await eventually(() => {
      assert.equal(recorder.latest.sync, 'live');
    });
    assert.deepEqual(recorder.latest.items, db.rows());
    // Never live over rows that the reload had not replaced yet.
    for (const value of recorder.values) {
      if (value.sync === 'live') {
        assert.ok(value.items[0]?.title !== 'One' || value.loading === false);
      }
    }
    assert.deepEqual(recorder.transitions((value) => value.sync), ['reconnecting', 'stale', 'live', 'reconnecting', 'stale', 'live']);
  });
});

for (const [what, wake] of [
  ['the browser\'s `online` event', () => window.dispatchEvent(new window.Event('online'))],
  ['the tab becoming visible', () => document.dispatchEvent(new window.Event('visibilitychange'))],
] as const) {
  test(`${what} starts a reconnection at once instead of waiting out the backoff`, TIMEOUT, async () => {
    await withServer(async (first, started) => {
      const recorder = new Recorder<ModelRealtime<'Task'>>();
      // A backoff far longer than the test may take.
      const slow: RealtimeClientOptions = { ...WS, reconnectionDelay: 120_000, reconnectionDelayMax: 120_000, randomizationFactor: 0 };
      render(
        <RealtimeProvider url={first.url} options={slow}>
          <TaskProbe recorder={recorder} />
        </RealtimeProvider>,
      );
      await eventually(() => {
        assert.equal(recorder.latest.sync, 'live');
      });
      await first.close();
      await eventually(() => {
        assert.equal(recorder.latest.sync, 'reconnecting');
      });
      const second = await startServer(first.port);
      started.push(second);
      act(() => {
        wake();
      });
      await eventually(() => {
        assert.equal(recorder.latest.sync, 'live');
        assert.equal(second.members('task'), 1);
      }, 10_000, 'back within seconds, not after the 120 s backoff');
    });
  });
}

test('a handshake into a network that answers nothing gives up after the connect timeout, not socket.io\'s 20 s', TIMEOUT, async () => {
  // Accepts connections and never says a word: what a request sent into a dying network sees.
  const open = new Set<NetSocket>();
  const silent = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  assert.ok(address !== null && typeof address === 'object');
  const errors: string[] = [];
  function Errors(): ReactNode {
    const { error } = useRealtime();
    if (error !== null && errors.at(-1) !== error.message) {
      errors.push(error.message);
    }
    return null;
  }
  const view = render(
    <RealtimeProvider url={`http://127.0.0.1:${address.port}`} options={WS}>
      <Errors />
    </RealtimeProvider>,
  );
  try {
    await eventually(() => {
      assert.deepEqual(errors.slice(0, 1), ['timeout']);
    }, CONNECT_TIMEOUT_MS + 5_000, 'the attempt timed out');
  } finally {
    view.unmount();
    for (const socket of open) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
