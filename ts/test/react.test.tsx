// The generated React context and hooks of specs/tasks.shep, in real React 19 (jsdom), with
// the real socket.io-client inside the provider, against the real generated `RealtimeServer`
// on 127.0.0.1. What the server received (requests, connections, rooms) is read on the server.
// First: the DOM globals must exist before react-dom loads.
import { closeWindow, setPageUrl } from './react-env.js';
import {
  eventually,
  Recorder,
  rowText,
  shownRows,
  sleep,
  startServer,
  task,
  TaskProbe,
  UserProbe,
  within,
  withServer,
} from './react-harness.js';

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { act, render, screen } from '@testing-library/react';
import { Component, StrictMode, type ErrorInfo, type ReactNode } from 'react';

import {
  DEFAULT_HISTORY_LIMIT,
  RealtimeProvider,
  useRealtime,
  type ModelRealtime,
  type RealtimeClientOptions,
  type RealtimeContextValue,
} from '../.generated/specs/tasks/ts/contexts/RealtimeContext.js';
import { useTaskRealtime } from '../.generated/specs/tasks/ts/hooks/useTaskRealtime.js';
import type { Task, User } from '../.generated/specs/tasks/ts/types.js';

/** WebSocket only: no long-polling requests to wait for when a test closes its server. */
const WS: RealtimeClientOptions = { transports: ['websocket'] };

/** How long to keep watching for requests that should NOT come. */
const SETTLE_MS = 250;

const TIMEOUT = { timeout: 60_000 };

/** Reconnects after 0.5 to 1.5 s: time enough to act while the client is away. */
const OUTAGE: RealtimeClientOptions = { ...WS, reconnectionDelay: 1_000, reconnectionDelayMax: 1_000 };

after(() => {
  closeWindow();
});

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
    await sleep(SETTLE_MS);
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
    await sleep(SETTLE_MS);
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
    await sleep(SETTLE_MS);
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
    await sleep(SETTLE_MS);
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
    await sleep(SETTLE_MS);
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
    await sleep(SETTLE_MS);
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
    await sleep(SETTLE_MS);
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

test('afterwards nothing is left open: no sockets, no servers', TIMEOUT, async () => {
  const open = (): string[] =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
  await eventually(() => {
    assert.deepEqual(open(), []);
  });
});
