// Starts the generated TypeScript `RealtimeServer` of specs/tasks.shep on 127.0.0.1, port 0.
import { createServer, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  RealtimeServer,
  type RealtimeServerOptions,
} from '../.generated/specs/tasks/ts-server/api/realtime/server.js';
import type { ServerConfig, ServerUnderTest } from './protocol-cases.js';

export interface StartedTsServer extends ServerUnderTest {
  realtime: RealtimeServer;
}

export async function startTsServer(
  config: ServerConfig = {},
  options: RealtimeServerOptions = {},
  httpOptions: ServerOptions = {},
): Promise<StartedTsServer> {
  const httpServer = createServer(httpOptions);
  const deny = new Set(config.deny ?? []);
  const denyFilter = config.denyFilter ?? [];
  const realtime = new RealtimeServer(httpServer, {
    ...(deny.size > 0 || denyFilter.length > 0
      ? {
          authorize: (_socket, channel, filter) =>
            !deny.has(channel) && !denyFilter.some((d) => d.channel === channel && filter[d.field] === d.value),
        }
      : {}),
    ...(config.logCapacity === undefined ? {} : { logCapacity: config.logCapacity }),
    ...(config.maxBufferedPackets === undefined ? {} : { maxBufferedPackets: config.maxBufferedPackets }),
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    realtime,
    url: `http://127.0.0.1:${port}`,
    async emitCreated(model, row) {
      realtime.emitModelCreated(model, row);
    },
    async emitUpdated(model, row, before) {
      realtime.emitModelUpdated(model, row, before === undefined ? {} : { before });
    },
    async emitDeleted(model, id, before) {
      realtime.emitModelDeleted(model, id, before === undefined ? {} : { row: before });
    },
    async notify(message, data) {
      realtime.broadcastNotification(message, data);
    },
    async emitCreatedMany(model, rows) {
      for (const row of rows) realtime.emitModelCreated(model, row);
    },
    async overflowDisconnects() {
      return realtime.metrics().overflowDisconnects;
    },
    async close() {
      await realtime.close();
    },
  };
}
