// Type-level tests of types.ts: the event maps narrow, wrong channels and fields fail.
// Checked by `npm run typecheck`; every `@ts-expect-error` must hit an error.
import { io, type Socket } from 'socket.io-client';

import {
  CHANNEL_OF,
  CHANNELS,
  isChannel,
  type Channel,
  type ChannelOf,
  type ClientToServerEvents,
  type ModelName,
  type ServerToClientEvents,
  type SubscribeResult,
  type Task,
  type TaskState,
  type User,
} from '../.generated/specs/tasks/ts/types.js';

declare const socket: Socket<ServerToClientEvents, ClientToServerEvents>;

export function narrowing(): void {
  socket.on('model_created', (model, data) => {
    if (model === 'Task') {
      const title: string = data.title;
      const owner: string | null | undefined = data.owner;
      // @ts-expect-error `titel` is not a field of Task.
      void data.titel;
      // @ts-expect-error `name` belongs to User, and `data` was narrowed to Task.
      void data.name;
      void title;
      void owner;
    } else {
      const user: User = data;
      // @ts-expect-error a User is not a Task.
      const task: Task = data;
      void user;
      void task;
    }
  });
  socket.on('model_updated', (model, data) => {
    if (model === 'User') {
      const email: string = data.email;
      void email;
    }
  });
  socket.on('model_deleted', (model, id) => {
    const name: ModelName = model;
    const key: string = id;
    void name;
    void key;
  });
  socket.on('notification', (message, data) => {
    const text: string = message;
    const payload: unknown = data;
    void text;
    void payload;
  });
  socket.on('connected', (info) => {
    const fingerprint: string = info.fingerprint;
    void fingerprint;
  });
}

export async function subscribing(): Promise<void> {
  socket.emit('subscribe', 'task');
  socket.emit('subscribe', 'user', (result) => {
    if (!result.ok) {
      const error: string = result.error;
      void error;
    }
  });
  // @ts-expect-error the channel is `task`, not `tasks`.
  socket.emit('subscribe', 'tasks');
  // @ts-expect-error channels are lower-case.
  socket.emit('unsubscribe', 'Task');
  const result: SubscribeResult = await socket.timeout(1000).emitWithAck('subscribe', 'task');
  void result;
  await socket.timeout(1000).emitWithAck('ping');
  // @ts-expect-error `ping` takes only an ack.
  socket.emit('ping', 'hello', () => {});
  // @ts-expect-error not an event of the protocol.
  socket.emit('subscribe_all');
}

export function channels(): void {
  const task: ChannelOf<'Task'> = 'task';
  // @ts-expect-error the channel of User is `user`.
  const wrong: ChannelOf<'User'> = 'task';
  const all: readonly Channel[] = CHANNELS;
  const fromMap: Channel = CHANNEL_OF.Task;
  const state: TaskState = 'doing';
  // @ts-expect-error not a state of Task.
  const notAState: TaskState = 'archived';
  const input: unknown = 'task';
  if (isChannel(input)) {
    const narrowed: Channel = input;
    void narrowed;
  }
  void [task, wrong, all, fromMap, state, notAState];
}

export function rows(): void {
  const minimal: Task = { id: 't1', title: 'Write', done: false, createdAt: '2026-11-25T09:00:00Z', tags: [], status: 'open' };
  const full: Task = { ...minimal, owner: null, priority: 1, due: '2026-11-25', price: '12.50', type: 'chore' };
  // @ts-expect-error the state is one of the chain's names (`open`, `doing`, `done`).
  const badState: Task = { ...minimal, status: 'closed' };
  // @ts-expect-error a row carries its state.
  const noState: Task = { id: 't1', title: 'Write', done: false, createdAt: '2026-11-25T09:00:00Z', tags: [] };
  // @ts-expect-error money travels as a decimal string, never a number.
  const money: Task = { ...minimal, price: 12.5 };
  // @ts-expect-error `title` is required.
  const missing: Task = { id: 't1', done: false, createdAt: '', tags: [] };
  void [full, money, missing, badState, noState];
}

export const client: Socket<ServerToClientEvents, ClientToServerEvents> = io('http://127.0.0.1:1', {
  autoConnect: false,
});
