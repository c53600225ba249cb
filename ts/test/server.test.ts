// The protocol cases against the generated TypeScript server, with real socket.io clients.
import { test } from 'node:test';

import { PROTOCOL_CASES, runCase } from './protocol-cases.js';
import { startTsServer } from './ts-server.js';

for (const protocolCase of PROTOCOL_CASES) {
  test(`ts server: ${protocolCase.name}`, { timeout: 60_000 }, () => runCase(startTsServer, protocolCase));
}
