// The shared protocol cases of filtered subscriptions (docs/wire.md, "Filtered subscriptions"),
// run against both servers with the rest of PROTOCOL_CASES.
import assert from 'node:assert/strict';

import type { Task } from '../.generated/specs/tasks/ts/types.js';
import type { TestClient } from './client.js';
import type { ProtocolCase, ServerUnderTest } from './protocol-cases.js';

const base: Task = {
  id: 'f-1',
  title: 'Filtered',
  done: false,
  owner: 'user-1',
  createdAt: '2026-11-25T09:00:00Z',
  tags: [],
  status: 'open',
};

const row = (id: string, owner: string, extra: Partial<Task> = {}): Task => ({ ...base, id, owner, ...extra });

/** What a client received of one channel, as `[event, id, seq]`. */
function seen(client: TestClient): [string, unknown, unknown][] {
  return client.received
    .filter((r) => r.event.startsWith('model_'))
    .map((r) => {
      const payload = r.args[1];
      const id = typeof payload === 'object' && payload !== null && 'id' in payload ? payload.id : payload;
      return [r.event, id, r.args[2]];
    });
}

async function subscribeFiltered(client: TestClient, filter: unknown, more: object = {}): Promise<unknown> {
  const [answer] = await client.request('subscribe', ['task', { filter, ...more }]);
  return answer;
}

async function okFiltered(client: TestClient, filter: unknown, more: object = {}): Promise<{ epoch: string; seq: number }> {
  const answer = await subscribeFiltered(client, filter, more);
  assert.ok(typeof answer === 'object' && answer !== null && Reflect.get(answer, 'ok') === true, JSON.stringify(answer));
  return answer as { epoch: string; seq: number };
}

async function barrier(server: ServerUnderTest, ...clients: TestClient[]): Promise<void> {
  const marker = `barrier-${Math.random().toString(36).slice(2)}`;
  await server.notify(marker);
  await Promise.all(clients.map((c) => c.waitFor('notification', (args) => args[0] === marker)));
}

/** Moves in and out of `{ owner: 'user-1' }`, with the previous row given. */
async function moves(server: ServerUnderTest): Promise<void> {
  await server.emitCreated('Task', row('a', 'user-1')); // 1: matches
  await server.emitCreated('Task', row('b', 'user-2')); // 2: does not
  await server.emitUpdated('Task', row('b', 'user-1'), row('b', 'user-2')); // 3: moves in
  await server.emitUpdated('Task', row('b', 'user-1', { done: true }), row('b', 'user-1')); // 4: stays
  await server.emitUpdated('Task', row('a', 'user-2'), row('a', 'user-1')); // 5: moves out
  await server.emitUpdated('Task', row('a', 'user-3'), row('a', 'user-2')); // 6: stays out
  await server.emitUpdated('Task', row('b', 'user-1', { title: 'no before' })); // 7: matches, no before
  await server.emitUpdated('Task', row('c', 'user-2')); // 8: does not match, no before
  await server.emitDeleted('Task', 'a', row('a', 'user-3')); // 9: deleted, did not match
  await server.emitDeleted('Task', 'b', row('b', 'user-1')); // 10: deleted, matched
  await server.emitDeleted('Task', 'c'); // 11: deleted by id only
}

const MOVES_SEEN: [string, unknown, unknown][] = [
  ['model_created', 'a', 1],
  ['model_created', 'b', 3],
  ['model_updated', 'b', 4],
  ['model_deleted', 'a', 5],
  ['model_updated', 'b', 7],
  ['model_deleted', 'b', 10],
];

export const FILTER_CASES: readonly ProtocolCase[] = [
  {
    name: 'filter: a subscription gets only the rows that match, with the channel positions',
    async run({ server, connect }) {
      const one = await connect();
      const both = await connect();
      const all = await connect();
      assert.deepEqual(await okFiltered(one, { owner: 'user-1' }).then((a) => a.seq), 0);
      await okFiltered(both, { owner: 'user-1', done: true });
      await okFiltered(all, {});
      await server.emitCreated('Task', row('a', 'user-1'));
      await server.emitCreated('Task', row('b', 'user-2'));
      await server.emitCreated('Task', row('c', 'user-1', { done: true }));
      await server.emitUpdated('Task', row('b', 'user-2', { done: true }));
      await barrier(server, one, both, all);
      assert.deepEqual(seen(one), [
        ['model_created', 'a', 1],
        ['model_created', 'c', 3],
      ]);
      assert.deepEqual(seen(both), [['model_created', 'c', 3]]);
      assert.deepEqual(seen(all).map(([, id, seq]) => [id, seq]), [
        ['a', 1],
        ['b', 2],
        ['c', 3],
        ['b', 4],
      ]);
      const created = one.all('model_created');
      assert.deepEqual(created[0]?.args, ['Task', row('a', 'user-1'), 1]);
    },
  },
  {
    name: 'filter: an update that moves a row out arrives as a removal, one that moves it in as an addition',
    async run({ server, connect }) {
      const client = await connect();
      await okFiltered(client, { owner: 'user-1' });
      await moves(server);
      await barrier(server, client);
      assert.deepEqual(seen(client), MOVES_SEEN);
    },
  },
  {
    name: 'filter: a resume replays only what the filter sent live',
    async run({ server, connect }) {
      const live = await connect();
      const { epoch } = await okFiltered(live, { owner: 'user-1' });
      await moves(server);
      await barrier(server, live);
      const back = await connect();
      const answer = await okFiltered(back, { owner: 'user-1' }, { since: 0, epoch });
      assert.equal(answer.seq, 11);
      await back.waitFor('model_deleted', (args) => args[2] === 10);
      await barrier(server, back);
      assert.deepEqual(seen(back), MOVES_SEEN);
    },
  },
  {
    name: 'filter: a filter the host refuses answers `not authorized` and delivers nothing',
    config: { denyFilter: [{ channel: 'task', field: 'owner', value: 'user-2' }] },
    async run({ server, connect }) {
      const client = await connect();
      assert.deepEqual(await subscribeFiltered(client, { owner: 'user-2' }), { ok: false, error: 'not authorized' });
      await okFiltered(client, { owner: 'user-1' });
      await server.emitCreated('Task', row('x', 'user-2'));
      await server.emitCreated('Task', row('y', 'user-1'));
      await barrier(server, client);
      assert.deepEqual(seen(client), [['model_created', 'y', 2]]);
    },
  },
  {
    name: 'filter: an unknown field, a list field or a value of the wrong type is refused with a clear error',
    async run({ connect }) {
      const client = await connect();
      const error = async (filter: unknown): Promise<string> => {
        const answer = await subscribeFiltered(client, filter);
        assert.ok(typeof answer === 'object' && answer !== null && Reflect.get(answer, 'ok') === false, JSON.stringify(answer));
        return String(Reflect.get(answer, 'error'));
      };
      assert.match(
        await error({ colour: 'red' }),
        /^invalid filter: `colour` is not a field of `Task` that can be filtered on; use one of `id`, `title`, `done`, `owner`/,
      );
      assert.match(await error({ tags: 'docs' }), /^invalid filter: `tags` is not a field of `Task` that can be filtered on/);
      assert.equal(await error({ done: 'yes' }), 'invalid filter: `done` of `Task` takes true or false, not a string');
      assert.equal(await error({ title: null }), 'invalid filter: `title` of `Task` takes a string, not null');
      assert.equal(await error({ priority: '2' }), 'invalid filter: `priority` of `Task` takes a number or null, not a string');
      assert.equal(
        await error('owner=user-1'),
        'invalid filter: expected an object of field values, got a string; send { "<field>": <value>, ... }',
      );
      const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, 1]));
      assert.match(await error(many), /^invalid filter: 17 fields, more than the 16/);
      // The channel is checked first, then the positions, then the filter.
      assert.deepEqual(await client.request('subscribe', ['nope', { filter: { colour: 1 } }]), [
        { ok: false, error: 'unknown channel "nope"' },
      ]);
      assert.deepEqual(await client.request('subscribe', ['task', { since: -1, filter: { colour: 1 } }]), [
        { ok: false, error: 'invalid options' },
      ]);
      // `null` on an optional field is a filter too: rows without an owner.
      await okFiltered(client, { owner: null, priority: 2 });
    },
  },
  {
    name: 'filter: subscribing again replaces the filter',
    async run({ server, connect }) {
      const client = await connect();
      await okFiltered(client, { owner: 'user-1' });
      await okFiltered(client, { owner: 'user-2' });
      await server.emitCreated('Task', row('a', 'user-1'));
      await server.emitCreated('Task', row('b', 'user-2'));
      await barrier(server, client);
      assert.deepEqual(seen(client), [['model_created', 'b', 2]]);
    },
  },
];
