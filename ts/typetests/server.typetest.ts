// Type-level tests of api/realtime/server.ts: the model decides the payload and the channel.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

import { RealtimeServer, type RealtimeSocket } from '../.generated/specs/tasks/ts-server/api/realtime/server.js';
import type { Channel, Task, User } from '../.generated/specs/tasks/ts-server/types.js';

declare const task: Task;
declare const user: User;

export function emitting(realtime: RealtimeServer): void {
  realtime.emitModelCreated('Task', task);
  realtime.emitModelUpdated('User', user);
  realtime.emitModelDeleted('Task', task.id);
  // @ts-expect-error a User is not a Task payload.
  realtime.emitModelCreated('Task', user);
  // @ts-expect-error a Task is not a User payload.
  realtime.emitModelUpdated('User', task);
  // @ts-expect-error not a model of the spec.
  realtime.emitModelCreated('Tasks', task);
  // @ts-expect-error model names travel in their original case.
  realtime.emitModelDeleted('task', 'id');
  realtime.broadcastNotification('maintenance at noon');
  realtime.broadcastNotification('deployed', { version: 3 });
  const count: number = realtime.getConnectedCount();
  void count;
}

export function options(): RealtimeServer {
  return new RealtimeServer(createServer(), {
    origins: ['https://app.example.com'],
    authorize: async (socket: RealtimeSocket, channel: Channel) => {
      // @ts-expect-error `authorize` only ever sees channels of the spec.
      const wrong: boolean = channel === 'tasks';
      void wrong;
      return socket.data['userId'] !== undefined && channel !== 'user';
    },
    maxBufferedPackets: 1_000,
    logCapacity: 1_000,
    maxPayloadBytes: 10_000,
    logger: console,
  });
}

export function https(): RealtimeServer {
  return new RealtimeServer(createHttpsServer({}), { origins: ['https://app.example.com'] });
}

export function wildcard(): RealtimeServer {
  // @ts-expect-error origins are a list of origins or `'*'`.
  new RealtimeServer(createServer(), { origins: true });
  return new RealtimeServer(createServer(), { origins: '*' });
}
