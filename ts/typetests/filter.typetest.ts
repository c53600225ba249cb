// Type-level tests of the filters in types.ts (docs/wire.md, "Filtered subscriptions"): a
// filter on a field the model lacks, on a list, or with a value of the wrong type fails
// `tsc --strict`. Checked by `npm run typecheck`; every `@ts-expect-error` must hit an error.
import type { Socket } from 'socket.io-client';

import {
  FILTER_FIELDS,
  type ClientToServerEvents,
  type FilterOf,
  type Filters,
  type ServerToClientEvents,
} from '../.generated/specs/tasks/ts/types.js';

declare const socket: Socket<ServerToClientEvents, ClientToServerEvents>;

export function filters(): void {
  const mine: FilterOf<'Task'> = { owner: 'user-1', done: false };
  const noOwner: Filters['Task'] = { owner: null, priority: 2 };
  const doing: FilterOf<'Task'> = { status: 'doing' };
  socket.emit('subscribe', 'task', { filter: mine }, () => undefined);
  void [noOwner, doing];

  // @ts-expect-error `colour` is not a field of Task.
  const unknown: FilterOf<'Task'> = { colour: 'red' };
  // @ts-expect-error `done` is a yes/no: a boolean, not a string.
  const wrongType: FilterOf<'Task'> = { done: 'yes' };
  // @ts-expect-error `tags` is a list: it cannot be filtered on.
  const list: FilterOf<'Task'> = { tags: 'docs' };
  // @ts-expect-error `title` is not optional: it is never null.
  const notNull: FilterOf<'Task'> = { title: null };
  // @ts-expect-error `name` belongs to User.
  const otherModel: FilterOf<'Task'> = { name: 'Ada' };
  // @ts-expect-error `status` takes one of the states of `states: open -> doing -> done`.
  const noSuchState: FilterOf<'Task'> = { status: 'closed' };
  void [unknown, wrongType, list, notNull, otherModel, noSuchState];

  // The table the servers check a client's filter with names the same fields.
  const names: readonly string[] = FILTER_FIELDS.Task.map(([name]) => name);
  void names;
}
