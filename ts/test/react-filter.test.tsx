// The provider's filters (docs/wire.md, "Filtered subscriptions") in real React 19 (jsdom),
// with the real socket.io-client, against the real generated `RealtimeServer` on 127.0.0.1:
// the hooks hold only the rows of the filter, a row that moves out of it leaves the list, a
// new filter subscribes again and loads the new rows, a refused filter is the hook's error.
import { closeWindow } from './react-env.js';
import { eventually, Recorder, rowText, settled, shownRows, task, TaskProbe, withServer } from './react-harness.js';

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { act, render } from '@testing-library/react';
import type { ReactNode } from 'react';

import {
  RealtimeProvider,
  type ModelFilters,
  type ModelRealtime,
  type RealtimeClientOptions,
} from '../.generated/specs/tasks/ts/contexts/RealtimeContext.js';
import type { FilterOf, Task } from '../.generated/specs/tasks/ts/types.js';

const WS: RealtimeClientOptions = { transports: ['websocket'] };
const TIMEOUT = { timeout: 60_000 };

after(() => {
  closeWindow();
});

/** The server's rows, and what a page that loads `owner`'s rows gets. */
class Rows {
  private readonly byId = new Map<string, Task>();

  put(row: Task): Task | undefined {
    const before = this.byId.get(row.id);
    this.byId.set(row.id, row);
    return before;
  }

  remove(id: string): Task | undefined {
    const row = this.byId.get(id);
    this.byId.delete(id);
    return row;
  }

  of(owner: string): Task[] {
    return [...this.byId.values()].filter((row) => row.owner === owner);
  }
}

test('a filtered provider: only matching rows, moves out and in, a new filter loads the new rows', TIMEOUT, async () => {
  const asked: unknown[] = [];
  await withServer(
    async (server) => {
      const rows = new Rows();
      const realtime = server.realtime;
      const create = (row: Task): void => {
        rows.put(row);
        realtime.emitModelCreated('Task', row);
      };
      const update = (row: Task): void => {
        const before = rows.put(row);
        realtime.emitModelUpdated('Task', row, before === undefined ? {} : { before });
      };
      const remove = (id: string): void => {
        const row = rows.remove(id);
        realtime.emitModelDeleted('Task', id, row === undefined ? {} : { row });
      };
      create(task('a1', 'Ada one', { owner: 'ada' }));
      create(task('b1', 'Bob one', { owner: 'bob' }));

      let owner = 'ada';
      const loads: string[] = [];
      const load = (): Promise<readonly Task[]> => {
        loads.push(owner);
        return Promise.resolve(rows.of(owner));
      };
      const recorder = new Recorder<ModelRealtime<'Task'>>();
      const page = (filters: ModelFilters): ReactNode => (
        <RealtimeProvider url={server.url} options={WS} filters={filters}>
          <TaskProbe recorder={recorder} options={{ load }} />
        </RealtimeProvider>
      );
      const adaFilter: FilterOf<'Task'> = { owner: 'ada' };
      const view = render(page({ Task: adaFilter }));
      // The list is in the order rows reached it; the server's rows in their own order.
      const shows = (expected: Task[]): Promise<void> =>
        eventually(() => {
          assert.deepEqual([...shownRows(view.container)].sort(), expected.map(rowText).sort());
        });
      await shows(rows.of('ada'));
      assert.deepEqual(loads, ['ada']);

      // Live: Bob's rows never arrive, Ada's do; a row handed to Bob leaves, one handed to Ada joins.
      create(task('b2', 'Bob two', { owner: 'bob' }));
      create(task('a2', 'Ada two', { owner: 'ada' }));
      update(task('b2', 'Bob two, edited', { owner: 'bob' }));
      update(task('a1', 'Ada one, handed to Bob', { owner: 'bob' }));
      update(task('b1', 'Bob one, handed to Ada', { owner: 'ada' }));
      remove('b2');
      create(task('a3', 'Ada three', { owner: 'ada' }));
      remove('a3');
      await settled();
      await shows(rows.of('ada'));
      assert.deepEqual(
        recorder.latest.history.map((change) => [change.kind, change.kind === 'deleted' ? change.id : change.data.id]),
        [
          ['created', 'a2'],
          ['deleted', 'a1'],
          ['created', 'b1'],
          ['created', 'a3'],
          ['deleted', 'a3'],
        ],
        'every change of the filter, and nothing of the others',
      );

      // Another filter (an equal one in a new object is no change): subscribed again, loaded again.
      view.rerender(page({ Task: { owner: 'ada' } }));
      await settled();
      assert.deepEqual(loads, ['ada'], 'an equal filter is no change');
      owner = 'bob';
      view.rerender(page({ Task: { owner: 'bob' } }));
      await shows(rows.of('bob'));
      assert.deepEqual(loads, ['ada', 'bob']);
      create(task('a4', 'Ada four', { owner: 'ada' }));
      create(task('b3', 'Bob three', { owner: 'bob' }));
      await settled();
      await shows(rows.of('bob'));
      assert.deepEqual(asked, [{ owner: 'ada' }, { owner: 'bob' }], 'the server saw each filter once');

      // A filter the server refuses is the hook's error, and nothing arrives.
      owner = 'eve';
      await act(async () => {
        view.rerender(page({ Task: { owner: 'eve' } }));
      });
      await eventually(() => {
        assert.match(recorder.latest.error?.message ?? '', /cannot subscribe to `task`: not authorized/);
      });
      create(task('e1', 'Eve one', { owner: 'eve' }));
      await settled();
      assert.ok(!shownRows(view.container).includes(rowText(task('e1', 'Eve one', { owner: 'eve' }))));
    },
    {
      authorize: (_socket, channel, filter) => {
        asked.push(filter);
        return channel === 'task' && (filter['owner'] === 'ada' || filter['owner'] === 'bob');
      },
    },
  );
});
