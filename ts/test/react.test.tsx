// The generated React context and hooks of specs/tasks.shep, in real React 19 (jsdom), with
// the real socket.io-client inside the provider, against the real generated `RealtimeServer`
// on 127.0.0.1. What the server received (requests, connections, rooms) is read on the server.
// First: the DOM globals must exist before react-dom loads.
import { closeWindow, setPageUrl } from './react-env.js';
import {
  deferred,
  eventually,
  Recorder,
  rowText,
  settled,
  shownRows,
  sleep,
  startLink,
  startServer,
  task,
  TaskProbe,
  TaskTable,
  UserProbe,
  within,
  withServer,
  type Deferred,
  type ObservedServer,
  type TableChange,
  type TaskSink,
} from './react-harness.js';

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { act, cleanup, render, screen } from '@testing-library/react';
import { Component, StrictMode, type ErrorInfo, type ReactNode } from 'react';

import {
  DEFAULT_HISTORY_LIMIT,
  RealtimeProvider,
  useRealtime,
  type ModelChange,
  type ModelRealtime,
  type RealtimeClientOptions,
  type RealtimeContextValue,
} from '../.generated/specs/tasks/ts/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../.generated/specs/tasks/ts/hooks/useTaskRealtime.js';
import type { Task, User } from '../.generated/specs/tasks/ts/types.js';
import { serveSpecBinary, startServeSpec, type RustProcess } from '../support/rust-server.js';

/** WebSocket only: no long-polling requests to wait for when a test closes its server. */
const WS: RealtimeClientOptions = { transports: ['websocket'] };

const TIMEOUT = { timeout: 60_000 };

/** Reconnects after 0.5 to 1.5 s: time enough to act while the client is away. */
const OUTAGE: RealtimeClientOptions = { ...WS, reconnectionDelay: 1_000, reconnectionDelayMax: 1_000 };

after(() => {
  closeWindow();
});

// Build (or find) the Rust server once, before the first test's clock starts.
serveSpecBinary();

test('two components on `task`: one connection, one subscribe; the last one out unsubscribes', TIMEOUT, async () => {
  await withServer(async (server) => {
    // No options at all: the default transports (long-polling, then the WebSocket upgrade).
    const app = (probes: ReactNode): ReactNode => <RealtimeProvider url={server.url}>{probes}</RealtimeProvider>;
    const view = render(
      app(
        <>
          <TaskProbe testId="a" />
          <TaskProbe testId="b" />
        </>,
      ),
    );
    await eventually(() => {
      assert.equal(server.members('task'), 1);
      assert.equal(screen.getByTestId('a-status').textContent, 'online');
      assert.equal(screen.getByTestId('b-status').textContent, 'online');
    });
    await settled();
    assert.equal(server.subscribes('task'), 1, 'one subscribe for two components');
    assert.equal(server.connections.length, 1, 'one connection for the whole app');
    assert.equal(server.openConnections(), 1);
    assert.deepEqual(server.requests.map((r) => [r.event, r.channel]), [['subscribe', 'task']]);

    server.realtime.emitModelCreated('Task', task('t1', 'Shared'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container, 'a'), ['t1: Shared']);
      assert.deepEqual(shownRows(view.container, 'b'), ['t1: Shared']);
    });

    view.rerender(app(<TaskProbe testId="a" />));
    await settled();
    assert.equal(server.unsubscribes('task'), 0, 'one holder left: no unsubscribe');
    assert.equal(server.members('task'), 1);
    server.realtime.emitModelCreated('Task', task('t2', 'Still live'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container, 'a'), ['t1: Shared', 't2: Still live']);
    });

    view.rerender(app(null));
    await eventually(() => {
      assert.equal(server.members('task'), 0);
    });
    await settled();
    assert.equal(server.unsubscribes('task'), 1, 'the last holder unsubscribes once');
    assert.equal(server.subscribes('task'), 1);
    assert.equal(server.openConnections(), 1, 'the connection outlives the subscriptions');

    view.unmount();
    await eventually(() => {
      assert.equal(server.openConnections(), 0);
    });
  });
});

test('<StrictMode> mount, unmount, mount: one connection and one subscription at the server', TIMEOUT, async () => {
  await withServer(async (server) => {
    const app = (probe: boolean): ReactNode => (
      <StrictMode>
        <RealtimeProvider url={server.url} options={WS}>
          {probe ? <TaskProbe /> : null}
        </RealtimeProvider>
      </StrictMode>
    );
    const view = render(app(true));
    await eventually(() => {
      assert.equal(server.members('task'), 1);
      assert.equal(screen.getByTestId('tasks-status').textContent, 'online');
    });
    await settled();
    assert.equal(server.openConnections(), 1, 'one Socket.IO connection');
    assert.equal(server.openTransports(), 1, 'one Engine.IO connection');
    assert.equal(server.connections.length, 1, 'the socket of the discarded first mount never connected');
    assert.equal(server.subscribes('task'), 1);
    assert.equal(server.unsubscribes('task'), 0);

    // The component goes away and comes back (StrictMode runs its effects twice again).
    view.rerender(app(false));
    await eventually(() => {
      assert.equal(server.members('task'), 0);
    });
    view.rerender(app(true));
    await eventually(() => {
      assert.equal(server.members('task'), 1);
    });
    await settled();
    assert.deepEqual(
      server.requests.map((r) => [r.event, r.channel]),
      [
        ['subscribe', 'task'],
        ['unsubscribe', 'task'],
        ['subscribe', 'task'],
      ],
    );
    assert.equal(server.openConnections(), 1);
    assert.equal(server.connections.length, 1);

    server.realtime.emitModelCreated('Task', task('t1', 'After remount'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container), ['t1: After remount']);
    });

    view.unmount();
    await eventually(() => {
      assert.equal(server.openConnections(), 0);
      assert.equal(server.openTransports(), 0);
    });
  });
});

test('a server restart on the same port: the provider reconnects, subscribes again, events flow', TIMEOUT, async () => {
  await withServer(async (first, started) => {
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const reconnects: boolean[] = [];
    const view = render(
      <RealtimeProvider url={first.url} options={WS}>
        <TaskProbe recorder={recorder} options={{ onReconnect: (recovered) => reconnects.push(recovered) }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(first.members('task'), 1);
      assert.equal(recorder.latest.isConnected, true);
    });
    first.realtime.emitModelCreated('Task', task('t1', 'Before'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container), ['t1: Before']);
    });

    await first.close();
    await eventually(() => {
      assert.equal(recorder.latest.isConnected, false);
      assert.equal(recorder.latest.status, 'connecting');
      assert.equal(screen.getByTestId('tasks-status').textContent, 'offline');
    });

    const second = await startServer(first.port);
    started.push(second);
    await eventually(
      () => {
        assert.equal(second.members('task'), 1);
        assert.equal(recorder.latest.isConnected, true);
      },
      20_000,
      'reconnected and subscribed again',
    );
    assert.equal(second.subscribes('task'), 1);
    assert.equal(second.openConnections(), 1);
    second.realtime.emitModelCreated('Task', task('t2', 'After'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container), ['t1: Before', 't2: After']);
      assert.equal(screen.getByTestId('tasks-status').textContent, 'online');
    });
    assert.deepEqual(recorder.transitions((live) => live.isConnected), [false, true, false, true]);
    // A new server cannot replay what was missed: the hook says so, so the app can refetch.
    assert.deepEqual(reconnects, [false]);
  });
});

test('a short outage: connection state recovery replays what was missed', TIMEOUT, async () => {
  await withServer(async (server) => {
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const reconnects: boolean[] = [];
    const view = render(
      <RealtimeProvider url={server.url} options={OUTAGE}>
        <TaskProbe recorder={recorder} options={{ onReconnect: (recovered) => reconnects.push(recovered) }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(server.members('task'), 1);
      assert.equal(recorder.latest.isConnected, true);
    });
    const [socket] = server.connections;
    assert.ok(socket);
    // The transport drops (as when a network blips); the session stays on the server.
    socket.conn.close();
    await eventually(() => {
      assert.equal(server.openConnections(), 0);
    });
    server.realtime.emitModelCreated('Task', task('t1', 'Sent during the outage'));
    assert.equal(server.openConnections(), 0, 'sent while the client was away');
    await eventually(
      () => {
        assert.equal(recorder.latest.isConnected, true);
        assert.deepEqual(shownRows(view.container), ['t1: Sent during the outage']);
      },
      10_000,
      'recovered with the missed event',
    );
    assert.deepEqual(reconnects, [true]);
    assert.equal(server.members('task'), 1);
  });
});

test('a channel released during an outage is left, even when the session is recovered', TIMEOUT, async () => {
  await withServer(async (server) => {
    const app = (probe: boolean): ReactNode => (
      <RealtimeProvider url={server.url} options={OUTAGE}>
        <UserProbe />
        {probe ? <TaskProbe /> : null}
      </RealtimeProvider>
    );
    const view = render(app(true));
    await eventually(() => {
      assert.equal(server.members('task'), 1);
      assert.equal(server.members('user'), 1);
    });
    const [socket] = server.connections;
    assert.ok(socket);
    socket.conn.close();
    await eventually(() => {
      assert.equal(server.openConnections(), 0);
      assert.equal(screen.getByTestId('tasks-status').textContent, 'offline');
    });
    view.rerender(app(false));
    assert.equal(server.openConnections(), 0, 'released while the client was away');
    await eventually(
      () => {
        assert.equal(server.openConnections(), 1);
        assert.equal(server.members('user'), 1);
        assert.equal(server.members('task'), 0);
      },
      10_000,
      'reconnected, holding `user` only',
    );
    await settled();
    assert.equal(server.members('task'), 0);
    assert.equal(server.members('user'), 1);
  });
});

test('history keeps the last `historyLimit` changes (default 100), oldest first', TIMEOUT, async () => {
  await withServer(async (server) => {
    const five = new Recorder<ModelRealtime<'Task'>>();
    const byDefault = new Recorder<ModelRealtime<'Task'>>();
    const none = new Recorder<ModelRealtime<'Task'>>();
    render(
      <RealtimeProvider url={server.url} options={WS}>
        <TaskProbe testId="five" recorder={five} options={{ historyLimit: 5 }} />
        <TaskProbe testId="default" recorder={byDefault} />
        <TaskProbe testId="none" recorder={none} options={{ historyLimit: 0 }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(server.members('task'), 1);
      assert.equal(five.latest.isConnected, true);
    });
    assert.equal(DEFAULT_HISTORY_LIMIT, 100);
    const total = DEFAULT_HISTORY_LIMIT + 20;
    for (let i = 1; i <= total; i += 1) {
      server.realtime.emitModelCreated('Task', task(`t${i}`, `Task ${i}`));
    }
    server.realtime.emitModelUpdated('Task', task('t1', 'Task 1', { done: true }));
    server.realtime.emitModelDeleted('Task', 't2');
    const changes = total + 2;
    await eventually(() => {
      assert.equal(five.latest.lastChange?.kind, 'deleted');
      assert.equal(byDefault.latest.lastChange?.kind, 'deleted');
      assert.equal(none.latest.lastChange?.kind, 'deleted');
    });
    const describe = (live: ModelRealtime<'Task'>): string[] =>
      live.history.map((c) => `${c.kind} ${c.kind === 'deleted' ? c.id : c.data.id}`);
    assert.deepEqual(describe(five.latest), [
      `created t${total - 2}`,
      `created t${total - 1}`,
      `created t${total}`,
      'updated t1',
      'deleted t2',
    ]);
    assert.equal(byDefault.latest.history.length, DEFAULT_HISTORY_LIMIT);
    assert.deepEqual(
      describe(byDefault.latest),
      [...Array.from({ length: DEFAULT_HISTORY_LIMIT - 2 }, (_, k) => `created t${changes - DEFAULT_HISTORY_LIMIT + 1 + k}`), 'updated t1', 'deleted t2'],
    );
    assert.deepEqual(none.latest.history, []);
    for (const live of [five.latest, byDefault.latest, none.latest]) {
      assert.equal(live.items.length, total - 1, 'the live list is not bounded by the history');
    }
  });
});

test('the live list follows the server rows: initial rows, then changes applied by id', TIMEOUT, async () => {
  await withServer(async (server) => {
    const tasks = new Recorder<ModelRealtime<'Task'>>();
    const users = new Recorder<ModelRealtime<'User'>>();
    const initial: Task[] = [task('t1', 'One'), task('t2', 'Two'), task('t3', 'Three')];
    const view = render(
      <RealtimeProvider url={server.url} options={WS}>
        <TaskProbe recorder={tasks} options={{ initial }} />
        <UserProbe recorder={users} />
      </RealtimeProvider>,
    );
    assert.deepEqual(shownRows(view.container), initial.map(rowText), 'the initial rows show at once');
    await eventually(() => {
      assert.equal(server.members('task'), 1);
      assert.equal(server.members('user'), 1);
    });

    // The server's rows, changed the way a database changes them; every change is also sent.
    const rows = new Map(initial.map((row) => [row.id, row] as const));
    const user: User = { id: 't3', name: 'Ada', email: 'ada@example.com' };
    const steps: Array<() => void> = [
      () => created(task('t4', 'Four')),
      () => updated(task('t2', 'Two, edited', { done: true })),
      () => deleted('t1'),
      // A row this client never saw (created before its initial fetch, say) is still a row.
      () => updated(task('t9', 'Nine, seen first as an update')),
      // Deleting a row it does not have changes nothing.
      () => deleted('t8'),
      // A created it already has (a duplicate delivery) replaces, never duplicates.
      () => created(task('t3', 'Three, again')),
      // Another model's events on the same connection: a User with a Task's id.
      () => server.realtime.emitModelCreated('User', user),
      () => server.realtime.emitModelDeleted('User', 't3'),
      () => created(task('t1', 'One, back')),
      () => deleted('t4'),
    ];
    function created(row: Task): void {
      rows.set(row.id, row);
      server.realtime.emitModelCreated('Task', row);
    }
    function updated(row: Task): void {
      rows.set(row.id, row);
      server.realtime.emitModelUpdated('Task', row);
    }
    function deleted(id: string): void {
      rows.delete(id);
      server.realtime.emitModelDeleted('Task', id);
    }
    for (const step of steps) {
      step();
    }
    const taskChanges = 8;
    await eventually(() => {
      assert.equal(tasks.latest.history.length, taskChanges);
      assert.equal(users.latest.history.length, 2);
    });
    const expected = [...rows.values()];
    // First-seen order: an update keeps a row in place, a row deleted and created again moves to the end.
    assert.deepEqual(
      expected.map((row) => row.id),
      ['t2', 't3', 't9', 't1'],
    );
    assert.deepEqual(tasks.latest.items, expected);
    assert.deepEqual([...tasks.latest.byId.entries()], [...rows.entries()]);
    assert.deepEqual(shownRows(view.container), expected.map(rowText));
    assert.deepEqual(users.latest.items, [], 'the User was created and deleted');

    // `reset` replaces the rows (after a refetch), keeps the history, and changes apply on top.
    const refetched = [task('t5', 'Five'), task('t2', 'Two, edited', { done: true })];
    act(() => {
      tasks.latest.reset(refetched);
    });
    server.realtime.emitModelUpdated('Task', task('t5', 'Five, edited'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container), ['t5: Five, edited', 't2: Two, edited (done)']);
    });
    assert.equal(tasks.latest.history.length, taskChanges + 1);
  });
});

/** What `describe` of a change says: `created t1`, `deleted t2`. */
function changeText(change: ModelChange<'Task'>): string {
  return `${change.kind} ${change.kind === 'deleted' ? change.id : change.data.id}`;
}

/** A change as text with its row: two equal texts are the same change received twice. */
function changeKey(change: ModelChange<'Task'>): string {
  return change.kind === 'deleted' ? `deleted ${change.id}` : `${change.kind} ${JSON.stringify(change.data)}`;
}

/** A `TaskTable` change in the form of `changeKey`. */
function tableKey(change: TableChange): string {
  return change.kind === 'deleted' ? `deleted ${change.id}` : `${change.kind} ${JSON.stringify(change.row)}`;
}

/** No change appears twice in `history` (every change the tests make is distinct). */
function assertNoDuplicates(history: readonly ModelChange<'Task'>[]): void {
  const keys = history.map(changeKey);
  assert.deepEqual(
    keys.filter((key, i) => keys.indexOf(key) !== i),
    [],
    'a change applied twice',
  );
}

/** Strictly increasing, every one. */
function assertIncreasing(values: readonly number[], what: string): void {
  for (let i = 1; i < values.length; i += 1) {
    assert.ok((values[i] ?? 0) > (values[i - 1] ?? 0), `${what}: ${values.join(', ')}`);
  }
}

test('`load` runs once the channel is subscribed; changes that arrive while it is in flight land on top of its rows', TIMEOUT, async () => {
  await withServer(async (server) => {
    const db = new TaskTable(() => server, [
      task('t1', 'One'),
      task('t2', 'Two'),
      task('t3', 'Three'),
      task('t4', 'Four'),
      task('t5', 'Five'),
    ]);
    const calls: { members: number; answer: Deferred<readonly Task[]> }[] = [];
    const load = (): Promise<readonly Task[]> => {
      const answer = deferred<readonly Task[]>();
      calls.push({ members: server.members('task'), answer });
      return answer.promise;
    };
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    // Stale rows on mount (server-rendered, say): the load replaces them.
    const initial = [task('t1', 'One, stale'), task('gone', 'Deleted before the page loaded')];
    const view = render(
      <StrictMode>
        <RealtimeProvider url={server.url} options={WS}>
          <TaskProbe recorder={recorder} options={{ initial, load }} />
        </RealtimeProvider>
      </StrictMode>,
    );
    assert.deepEqual(shownRows(view.container), initial.map(rowText));
    assert.equal(recorder.latest.loading, true, 'loading from mount: the connection is being made');
    await eventually(() => {
      assert.equal(calls.length, 1);
    });
    assert.equal(calls[0]?.members, 1, 'the fetch starts once the server has the subscription');
    const seen = (count: number): Promise<void> =>
      eventually(() => {
        assert.equal(recorder.latest.history.length, count);
      });

    // Sent after the request left and before the server read its rows: the fetch has them too.
    db.created(task('t6', 'Six'));
    db.updated(task('t1', 'One, edited before the read'));
    await seen(2);
    const fetched = db.rows();
    // After the read, before its answer: rows in the fetched set and outside it.
    db.updated(task('t2', 'Two, edited after the read', { done: true }));
    db.deleted('t3');
    db.created(task('t7', 'Seven'));
    db.updated(task('t7', 'Seven, edited'));
    db.created(task('t8', 'Eight'));
    db.deleted('t8');
    db.deleted('t4');
    db.created(task('t4', 'Four, back'));
    db.updated(task('t6', 'Six, edited'));
    db.deleted('t9');
    await seen(12);
    assert.equal(recorder.latest.loading, true);
    // Meanwhile the list is live on top of what it had.
    assert.ok(shownRows(view.container).includes('t7: Seven, edited'));

    calls[0]?.answer.resolve(fetched);
    await eventually(() => {
      assert.equal(recorder.latest.loading, false);
    });
    assert.deepEqual(db.rows().map((row) => row.id), ['t1', 't2', 't5', 't6', 't7', 't4']);
    assert.deepEqual(recorder.latest.items, db.rows(), 'the server rows, in their order');
    assert.deepEqual(shownRows(view.container), db.rows().map(rowText));
    assert.equal(recorder.latest.loadError, null);
    assert.deepEqual(recorder.transitions((live) => live.loading), [true, false]);

    // And live from there on.
    db.updated(task('t5', 'Five, edited'));
    db.created(task('t10', 'Ten'));
    await eventually(() => {
      assert.deepEqual(recorder.latest.items, db.rows());
    });
    await settled();
    assert.equal(calls.length, 1, 'one load, under <StrictMode> too');
    assert.equal(server.subscribes('task'), 1);
  });
});

test('after a server restart (no recovery) the hook loads again by itself and ends equal to the server rows', TIMEOUT, async () => {
  await withServer(async (first, started) => {
    let live: ObservedServer | null = first;
    const db = new TaskTable(() => live, [task('t1', 'One'), task('t2', 'Two'), task('t3', 'Three')]);
    const calls: { server: ObservedServer | null; members: number; answer: Deferred<readonly Task[]> }[] = [];
    const load = (): Promise<readonly Task[]> => {
      const answer = deferred<readonly Task[]>();
      calls.push({ server: live, members: live?.members('task') ?? 0, answer });
      return answer.promise;
    };
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const reconnects: boolean[] = [];
    const view = render(
      <RealtimeProvider url={first.url} options={WS}>
        <TaskProbe recorder={recorder} options={{ load, onReconnect: (recovered) => reconnects.push(recovered) }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(calls.length, 1);
    });
    calls[0]?.answer.resolve(db.rows());
    await eventually(() => {
      assert.equal(recorder.latest.loading, false);
      assert.deepEqual(shownRows(view.container), db.rows().map(rowText));
    });
    db.updated(task('t3', 'Three, live'));
    await eventually(() => {
      assert.deepEqual(recorder.latest.items, db.rows());
    });

    await first.close();
    live = null;
    await eventually(() => {
      assert.equal(recorder.latest.isConnected, false);
    });
    // Written while the client is away: nobody tells it.
    db.updated(task('t1', 'One, edited during the outage'));
    db.deleted('t2');
    db.created(task('t4', 'Four, created during the outage'));
    assert.equal(calls.length, 1);

    const second = await startServer(first.port);
    started.push(second);
    live = second;
    await eventually(
      () => {
        assert.equal(calls.length, 2);
      },
      20_000,
      'reconnected and loading again',
    );
    assert.equal(calls[1]?.server, second);
    assert.equal(calls[1]?.members, 1, 'the reload starts once the new server has the subscription');
    assert.equal(recorder.latest.loading, true);
    // The new server sends changes while the reload is in flight, some after its read.
    const before = recorder.latest.history.length;
    db.created(task('t5', 'Five'));
    const fetched = db.rows();
    db.updated(task('t4', 'Four, edited after the read'));
    db.deleted('t3');
    await eventually(() => {
      assert.equal(recorder.latest.history.length, before + 3);
    });
    calls[1]?.answer.resolve(fetched);
    await eventually(() => {
      assert.equal(recorder.latest.loading, false);
      assert.deepEqual(recorder.latest.items, db.rows());
    });
    assert.deepEqual(db.rows().map((row) => row.id), ['t1', 't4', 't5']);
    assert.deepEqual(shownRows(view.container), db.rows().map(rowText));
    assert.deepEqual(reconnects, [false]);
    assertNoDuplicates(recorder.latest.history);
    // `seq` goes on across the reconnection.
    assertIncreasing(recorder.latest.history.map((change) => change.seq), 'seq');
    await settled();
    assert.equal(calls.length, 2, 'one reload per reconnection');
  });
});

test('a hook that mounts on a channel already subscribed loads at once, once under <StrictMode>', TIMEOUT, async () => {
  await withServer(async (server) => {
    const db = new TaskTable(() => server, [task('t1', 'One')]);
    let calls = 0;
    const load = async (): Promise<readonly Task[]> => {
      calls += 1;
      await sleep(20);
      return db.rows();
    };
    const late = new Recorder<ModelRealtime<'Task'>>();
    const app = (both: boolean): ReactNode => (
      <StrictMode>
        <RealtimeProvider url={server.url} options={WS}>
          <TaskProbe testId="early" />
          {both ? <TaskProbe testId="late" recorder={late} options={{ load }} /> : null}
        </RealtimeProvider>
      </StrictMode>
    );
    const view = render(app(false));
    await eventually(() => {
      assert.equal(server.members('task'), 1);
    });
    await settled();
    view.rerender(app(true));
    await eventually(() => {
      assert.equal(late.latest.loading, false);
      assert.deepEqual(shownRows(view.container, 'late'), ['t1: One']);
    });
    await settled();
    assert.equal(calls, 1);
    assert.equal(server.subscribes('task'), 1, 'no new subscribe for the second holder');
    assert.deepEqual(shownRows(view.container, 'early'), [], 'the hook without `load` keeps its own rows');
  });
});

test('a short outage that the server recovers does not load again', TIMEOUT, async () => {
  await withServer(async (server) => {
    const db = new TaskTable(() => server, [task('t1', 'One')]);
    let calls = 0;
    const load = (): Promise<readonly Task[]> => {
      calls += 1;
      return Promise.resolve(db.rows());
    };
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const reconnects: boolean[] = [];
    const view = render(
      <RealtimeProvider url={server.url} options={OUTAGE}>
        <TaskProbe recorder={recorder} options={{ load, onReconnect: (recovered) => reconnects.push(recovered) }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(recorder.latest.loading, false);
      assert.deepEqual(shownRows(view.container), ['t1: One']);
    });
    const [socket] = server.connections;
    assert.ok(socket);
    socket.conn.close();
    await eventually(() => {
      assert.equal(server.openConnections(), 0);
    });
    db.created(task('t2', 'Sent during the outage'));
    await eventually(
      () => {
        assert.deepEqual(reconnects, [true]);
        assert.deepEqual(recorder.latest.items, db.rows());
      },
      10_000,
      'recovered with the missed event',
    );
    await settled();
    assert.equal(calls, 1, 'nothing was missed: no second load');
  });
});

test('refresh(fetch): a failed load is `loadError` and keeps the rows; a later load overtakes one in flight', TIMEOUT, async () => {
  await withServer(async (server) => {
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const view = render(
      <RealtimeProvider url={server.url} options={WS}>
        <TaskProbe recorder={recorder} options={{ initial: [task('t1', 'One')] }} />
      </RealtimeProvider>,
    );
    assert.equal(recorder.latest.loading, false, 'no `load`: nothing to wait for');
    await eventually(() => {
      assert.equal(server.members('task'), 1);
    });

    assert.equal(await recorder.latest.refresh(() => Promise.reject(new Error('HTTP 500'))), false);
    await eventually(() => {
      assert.equal(recorder.latest.loadError?.message, 'HTTP 500');
      assert.equal(recorder.latest.loading, false);
    });
    assert.deepEqual(shownRows(view.container), ['t1: One'], 'the rows stay');

    assert.equal(await recorder.latest.refresh(), false);
    await eventually(() => {
      assert.match(recorder.latest.loadError?.message ?? '', /needs a fetch function, or the `load` option/);
    });
    const notRows: unknown = { error: 'not found' };
    assert.equal(await recorder.latest.refresh(() => Promise.resolve(notRows as readonly Task[])), false);
    await eventually(() => {
      assert.match(recorder.latest.loadError?.message ?? '', /should be an array, not object/);
    });

    const slow = deferred<readonly Task[]>();
    const fast = deferred<readonly Task[]>();
    const overtaken = recorder.latest.refresh(() => slow.promise);
    const overtaking = recorder.latest.refresh(() => fast.promise);
    await eventually(() => {
      assert.equal(recorder.latest.loading, true);
      assert.equal(recorder.latest.loadError, null, 'cleared when a load starts');
    });
    server.realtime.emitModelCreated('Task', task('t3', 'Three'));
    await eventually(() => {
      assert.equal(recorder.latest.history.length, 1);
    });
    fast.resolve([task('t2', 'Two')]);
    assert.equal(await within(overtaking, 3_000, 'the second load'), true);
    slow.resolve([task('t9', 'Old answer')]);
    assert.equal(await within(overtaken, 3_000, 'the first load'), false);
    await eventually(() => {
      assert.deepEqual(shownRows(view.container), ['t2: Two', 't3: Three']);
      assert.equal(recorder.latest.loading, false);
      assert.equal(recorder.latest.loadError, null);
    });
  });
});

test('`seq` numbers the provider\'s events: strictly increasing, the same in every hook, a key for history', TIMEOUT, async () => {
  await withServer(async (server) => {
    const a = new Recorder<ModelRealtime<'Task'>>();
    const b = new Recorder<ModelRealtime<'Task'>>();
    const users = new Recorder<ModelRealtime<'User'>>();
    const fromOnChange: number[] = [];
    const errors: unknown[][] = [];
    const originalError = console.error;
    console.error = (...args: unknown[]) => {
      errors.push(args);
    };
    try {
      function History(): ReactNode {
        const { history } = useTaskRealtime();
        return (
          <ol data-testid="history">
            {history.map((change) => (
              <li key={change.seq}>{changeText(change)}</li>
            ))}
          </ol>
        );
      }
      const view = render(
        <RealtimeProvider url={server.url} options={WS}>
          <TaskProbe testId="a" recorder={a} options={{ onChange: (change) => fromOnChange.push(change.seq) }} />
          <TaskProbe testId="b" recorder={b} />
          <UserProbe recorder={users} />
          <History />
        </RealtimeProvider>,
      );
      // Both channels subscribed at the server, and each answer received by the client: the
      // provider holds positioned events that arrive before its subscribe answer.
      await eventually(() => {
        assert.equal(server.members('task'), 1);
        assert.equal(server.members('user'), 1);
        assert.equal(a.latest.sync, 'live');
        assert.equal(users.latest.sync, 'live');
      });
      const user = { id: 'u1', name: 'Ada', email: 'ada@example.com' };
      // The same event twice in a row (a duplicate delivery) still gets two numbers.
      server.realtime.emitModelCreated('Task', task('t1', 'One'));
      server.realtime.emitModelCreated('User', user);
      server.realtime.emitModelUpdated('Task', task('t1', 'One, edited'));
      server.realtime.emitModelUpdated('Task', task('t1', 'One, edited'));
      server.realtime.emitModelDeleted('User', 'u1');
      server.realtime.emitModelDeleted('Task', 't1');
      await eventually(() => {
        assert.equal(a.latest.history.length, 4);
        assert.equal(b.latest.history.length, 4);
        assert.equal(users.latest.history.length, 2);
        assert.equal(view.container.querySelectorAll('[data-testid=history] li').length, 4);
      });
      const seqs = (live: ModelRealtime<'Task'> | ModelRealtime<'User'>): number[] =>
        live.history.map((change) => change.seq);
      assert.deepEqual(seqs(a.latest), [1, 3, 4, 6]);
      assert.deepEqual(seqs(b.latest), seqs(a.latest), 'the same event, the same seq, in every hook');
      assert.deepEqual(seqs(users.latest), [2, 5]);
      assert.deepEqual(fromOnChange, [1, 3, 4, 6]);
      assert.equal(a.latest.lastChange?.seq, 6);
      assert.deepEqual(a.latest.history.map(changeText), ['created t1', 'updated t1', 'updated t1', 'deleted t1']);
      assertIncreasing(seqs(a.latest), 'seq');
      assert.deepEqual(errors, [], 'no duplicate-key (or any other) warning from React');
    } finally {
      console.error = originalError;
    }
  });
});

test('a subscription the server refuses shows as the hook error; other channels carry on', TIMEOUT, async () => {
  await withServer(
    async (server) => {
      const tasks = new Recorder<ModelRealtime<'Task'>>();
      const users = new Recorder<ModelRealtime<'User'>>();
      render(
        <RealtimeProvider url={server.url} options={WS}>
          <TaskProbe recorder={tasks} />
          <UserProbe recorder={users} />
        </RealtimeProvider>,
      );
      await eventually(() => {
        assert.equal(server.members('user'), 1);
        assert.match(tasks.latest.error?.message ?? '', /cannot subscribe to `task`: not authorized/);
      });
      assert.equal(server.members('task'), 0);
      assert.equal(tasks.latest.isConnected, true, 'a refused channel does not drop the connection');
      server.realtime.emitModelCreated('User', { id: 'u1', name: 'Ada', email: 'ada@example.com' });
      await eventually(() => {
        assert.deepEqual(users.latest.items.map((u) => u.id), ['u1']);
      });
    },
    { authorize: (_socket, channel) => channel !== 'task' },
  );
});

test('a new `url` moves the one connection to the new server, with its channels', TIMEOUT, async () => {
  await withServer(async (first, started) => {
    const second = await startServer();
    started.push(second);
    const app = (url: string): ReactNode => (
      <RealtimeProvider url={url} options={WS}>
        <TaskProbe />
      </RealtimeProvider>
    );
    const view = render(app(first.url));
    await eventually(() => {
      assert.equal(first.members('task'), 1);
    });
    view.rerender(app(second.url));
    await eventually(() => {
      assert.equal(second.members('task'), 1);
      assert.equal(first.openConnections(), 0);
    });
    await settled();
    assert.equal(second.connections.length, 1);
    assert.equal(second.subscribes('task'), 1);
    second.realtime.emitModelCreated('Task', task('t1', 'From the second server'));
    await eventually(() => {
      assert.deepEqual(shownRows(view.container), ['t1: From the second server']);
    });
  });
});

/** Catches a render error, quietly (the root's `onCaughtError` below keeps React from logging). */
class Catch extends Component<{ children: ReactNode; caught: Error[] }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: Error, _info: ErrorInfo): void {
    this.props.caught.push(error);
  }

  override render(): ReactNode {
    return this.state.failed ? <p>failed</p> : this.props.children;
  }
}

test('useRealtime() and the model hooks outside <RealtimeProvider> throw a clear error', TIMEOUT, () => {
  function Bare(): ReactNode {
    useRealtime();
    return null;
  }
  function BareTasks(): ReactNode {
    useTaskRealtime();
    return null;
  }
  for (const Child of [Bare, BareTasks]) {
    const caught: Error[] = [];
    const view = render(
      <Catch caught={caught}>
        <Child />
      </Catch>,
      { onCaughtError: () => {} },
    );
    assert.equal(view.container.textContent, 'failed');
    assert.equal(caught.length, 1);
    assert.match(caught[0]?.message ?? '', /useRealtime\(\) and the model hooks need a <RealtimeProvider> above them/);
    view.unmount();
  }
});

test('the provider connects to the page origin when given no url', TIMEOUT, async () => {
  await withServer(async (server) => {
    setPageUrl(`${server.url}/board`);
    try {
      render(
        <RealtimeProvider options={WS}>
          <TaskProbe />
        </RealtimeProvider>,
      );
      await eventually(() => {
        assert.equal(server.members('task'), 1);
        assert.equal(screen.getByTestId('tasks-status').textContent, 'online');
      });
    } finally {
      setPageUrl('http://localhost/');
    }
  });
});

/** Records the timers created with `delay` through `globalThis.setTimeout` and whether they were cleared. */
function trackTimers(delay: number): { created: number; cleared: number; restore: () => void } {
  const original = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
  const ours = new Set<unknown>();
  const tracker = {
    created: 0,
    cleared: 0,
    restore() {
      globalThis.setTimeout = original.set;
      globalThis.clearTimeout = original.clear;
    },
  };
  globalThis.setTimeout = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original.set(handler, ms, ...args);
    if (ms === delay) {
      tracker.created += 1;
      ours.add(timer);
    }
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer?: Parameters<typeof clearTimeout>[0]) => {
    if (ours.delete(timer)) {
      tracker.cleared += 1;
    }
    original.clear(timer);
  }) as typeof clearTimeout;
  return tracker;
}

test('ping() resolves against the real server and clears its timer; it rejects offline or unanswered; the schema matches', TIMEOUT, async () => {
  const PING_TIMEOUT_MS = 43_210;
  // Installed before the provider creates its socket: socket.io-client takes its timer functions then.
  const timers = trackTimers(PING_TIMEOUT_MS);
  try {
    await withServer(async (server) => {
      let context: RealtimeContextValue | null = null;
      function Context(): ReactNode {
        context = useRealtime();
        return null;
      }
      const tasks = new Recorder<ModelRealtime<'Task'>>();
      render(
        <RealtimeProvider url={server.url} options={WS}>
          <Context />
          <TaskProbe recorder={tasks} />
        </RealtimeProvider>,
      );
      await eventually(() => {
        assert.equal(tasks.latest.isConnected, true);
        // The server said who it is in `connected`: the same spec, so the same fingerprint.
        assert.equal((context as RealtimeContextValue | null)?.schemaMatches, true);
      });
      assert.equal((context as RealtimeContextValue | null)?.server?.app, 'Tasks');

      const latency = await within(tasks.latest.ping(PING_TIMEOUT_MS), 3_000, 'no pong');
      assert.ok(Number.isFinite(latency) && latency >= 0, `latency ${latency}`);
      assert.equal(timers.created, 1, 'one timer for the ping');
      assert.equal(timers.cleared, 1, 'and it is cleared once the answer came');
      const shared = context as RealtimeContextValue | null;
      assert.ok(shared);
      await within(shared.ping(PING_TIMEOUT_MS), 3_000, 'no pong');
      assert.deepEqual([timers.created, timers.cleared], [2, 2]);

      // A server that does not answer: the ping fails after its timeout, and its ack is dropped.
      const [socket] = server.connections;
      assert.ok(socket);
      socket.removeAllListeners('ping');
      await assert.rejects(within(tasks.latest.ping(200), 3_000, 'ping hung'), /no answer to ping within 200 ms/);

      await server.close();
      await eventually(() => {
        assert.equal(tasks.latest.isConnected, false);
      });
      await assert.rejects(tasks.latest.ping(PING_TIMEOUT_MS), /not connected/);
      assert.deepEqual([timers.created, timers.cleared], [2, 2], 'no timer for a ping that cannot be sent');
    });
  } finally {
    timers.restore();
  }
});

/** A server the page talks to, for the tests that run against both servers. */
interface Backend {
  readonly port: number;
  readonly sink: TaskSink;
  /** Resolves once every change sent so far has reached the server. */
  flush(): Promise<void>;
  /** How many connections hold the `task` channel. */
  subscribers(): Promise<number>;
}

function nodeBackend(server: ObservedServer): Backend {
  return {
    port: server.port,
    sink: server.realtime,
    flush: async () => {},
    subscribers: async () => server.members('task'),
  };
}

/** The Rust server (`serve-spec tasks`), changed through its control routes, in order. */
function rustBackend(server: RustProcess): Backend {
  let chain = Promise.resolve();
  const send = (event: string, args: unknown[]): void => {
    chain = chain.then(async () => {
      await server.control('/control/emit', { event, args });
    });
  };
  return {
    port: server.ready.port,
    sink: {
      emitModelCreated: (model, row) => send('model_created', [model, row]),
      emitModelUpdated: (model, row) => send('model_updated', [model, row]),
      emitModelDeleted: (model, id) => send('model_deleted', [model, id]),
    },
    flush: () => chain,
    async subscribers() {
      const response = await fetch(`${server.url}/control/stats`);
      const stats = (await response.json()) as { subscribers: Record<string, number> };
      return stats.subscribers['task'] ?? 0;
    },
  };
}

/** How long the network is cut. */
const CUT_MS = 2_000;

/**
 * A page reaches `backend` through a link that is cut for 2 s while the server writes: what
 * the server sent during the cut is lost on the way, and neither end knows until the link
 * comes back and resets the connection. The provider reconnects and resumes from its last
 * position: the rows end equal to the server's, every change is in `history` exactly once, in
 * order, and nothing is loaded again.
 */
async function networkCut(backend: Backend): Promise<void> {
  const link = await startLink(backend.port);
  try {
    const db = new TaskTable(() => backend.sink, [task('t1', 'One'), task('t2', 'Two')]);
    let loads = 0;
    const load = (): Promise<readonly Task[]> => {
      loads += 1;
      return Promise.resolve(db.rows());
    };
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const reconnects: boolean[] = [];
    render(
      <RealtimeProvider url={link.url} options={OUTAGE}>
        <TaskProbe recorder={recorder} options={{ load, onReconnect: (recovered) => reconnects.push(recovered) }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(recorder.latest.loading, false);
      assert.deepEqual(recorder.latest.items, db.rows());
    });
    db.created(task('t3', 'Three'));
    await backend.flush();
    await eventually(() => {
      assert.deepEqual(recorder.latest.items, db.rows());
    });

    link.cut();
    const cutAt = Date.now();
    db.updated(task('t1', 'One, edited during the cut'));
    db.deleted('t2');
    for (let i = 4; i <= 40; i += 1) db.created(task(`t${i}`, `Created during the cut (${i})`));
    await backend.flush();
    assert.equal(recorder.latest.isConnected, true, 'neither end knows of the cut');
    // The rest of the 2 s is the scenario (the network is away), not a synchronisation.
    await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)));
    db.updated(task('t3', 'Three, edited just before the network came back'));
    await backend.flush();
    link.restore();
    // Changes while the page reconnects and resumes.
    for (let i = 41; i <= 60; i += 1) db.created(task(`t${i}`, `Created while the page resumes (${i})`));
    await backend.flush();
    await eventually(
      () => {
        assert.deepEqual(reconnects, [true]);
        assert.deepEqual(recorder.latest.items, db.rows());
      },
      15_000,
      'resumed with the changes the cut lost',
    );
    await settled();
    db.deleted('t4');
    await backend.flush();
    await eventually(() => {
      assert.deepEqual(recorder.latest.items, db.rows());
    });
    await settled();
    assert.deepEqual(recorder.latest.items, db.rows());
    assert.equal(recorder.latest.history.length, db.changes.length);
    assert.deepEqual(recorder.latest.history.map(changeKey), db.changes.map(tableKey), 'every change once, in order');
    assert.equal(loads, 1, 'resumed: nothing loaded again');
    assert.equal(link.accepted, 2, 'one connection before the cut, one after');
    assert.equal(await backend.subscribers(), 1);
  } finally {
    cleanup();
    await link.close();
  }
}

test('a 2 s network cut (node server): the page resumes; `items` equal the server rows, `history` has every change once', TIMEOUT, async () => {
  await withServer(async (server) => {
    await networkCut(nodeBackend(server));
  });
});

test('a 2 s network cut (rust server): the page resumes; `items` equal the server rows, `history` has every change once', TIMEOUT, async () => {
  const server = await startServeSpec('tasks', ['--any-origin']);
  try {
    await networkCut(rustBackend(server));
  } finally {
    await server.stop();
  }
});

test('a rust server restart on the same port: the page loads again; `items` equal the server rows, no change twice', TIMEOUT, async () => {
  const first = await startServeSpec('tasks', ['--any-origin']);
  let second: RustProcess | undefined;
  try {
    let live: Backend | null = rustBackend(first);
    const db = new TaskTable(() => live?.sink ?? null, [task('t1', 'One'), task('t2', 'Two')]);
    let loads = 0;
    const load = (): Promise<readonly Task[]> => {
      loads += 1;
      return Promise.resolve(db.rows());
    };
    const recorder = new Recorder<ModelRealtime<'Task'>>();
    const reconnects: boolean[] = [];
    const view = render(
      <RealtimeProvider url={first.url} options={OUTAGE}>
        <TaskProbe recorder={recorder} options={{ load, onReconnect: (recovered) => reconnects.push(recovered) }} />
      </RealtimeProvider>,
    );
    await eventually(() => {
      assert.equal(recorder.latest.loading, false);
      assert.deepEqual(recorder.latest.items, db.rows());
    });
    db.created(task('t3', 'Three'));
    await live.flush();
    await eventually(() => {
      assert.deepEqual(recorder.latest.items, db.rows());
    });

    await first.stop();
    live = null;
    await eventually(() => {
      assert.equal(recorder.latest.isConnected, false);
    });
    // Written while no server runs: only a new load can show them.
    db.updated(task('t1', 'One, edited while the server was down'));
    db.deleted('t2');
    db.created(task('t4', 'Four'));

    second = await startServeSpec('tasks', ['--any-origin', '--port', String(first.ready.port)]);
    const again = rustBackend(second);
    live = again;
    await eventually(
      () => {
        assert.equal(loads, 2);
        assert.equal(recorder.latest.loading, false);
        assert.deepEqual(recorder.latest.items, db.rows());
      },
      20_000,
      'reconnected and loaded again',
    );
    // The new server numbers its events from 1 again: they are applied, not taken for old ones.
    db.created(task('t5', 'Five'));
    db.updated(task('t3', 'Three, edited after the restart'));
    await again.flush();
    await eventually(() => {
      assert.deepEqual(recorder.latest.items, db.rows());
    });
    await settled();
    assert.deepEqual(recorder.latest.items, db.rows());
    assert.deepEqual(shownRows(view.container), db.rows().map(rowText));
    assert.deepEqual(reconnects, [false]);
    assertNoDuplicates(recorder.latest.history);
    assert.deepEqual(recorder.latest.history.map(changeKey), [
      `created ${JSON.stringify(task('t3', 'Three'))}`,
      `created ${JSON.stringify(task('t5', 'Five'))}`,
      `updated ${JSON.stringify(task('t3', 'Three, edited after the restart'))}`,
    ]);
    assert.equal(await again.subscribers(), 1);
  } finally {
    cleanup();
    await first.stop();
    await second?.stop();
  }
});

test('afterwards nothing is left open: no sockets, no servers', TIMEOUT, async () => {
  const open = (): string[] =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
  await eventually(() => {
    assert.deepEqual(open(), []);
  });
});
