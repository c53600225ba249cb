// A throw-away SQLite database for the Prisma schema of prisma/ (the generated schema of
// specs/tasks.shep plus audit.prisma), and a Prisma 7 client on it through the better-sqlite3
// driver adapter. The spec's tables are the generated SQL (`sheplang gen` writes it beside the
// TypeScript, .generated/specs/tasks.sqlite.sql), not `prisma db push`, which would need the
// schema engine; only `AuditLog`, outside the spec, is written here.
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PrismaClient } from '../prisma/generated/client.js';

const SPEC_TABLES = readFileSync(new URL('../.generated/specs/tasks.sqlite.sql', import.meta.url), 'utf8');

const AUDIT_LOG = `
CREATE TABLE "AuditLog" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "message" TEXT NOT NULL
);
`;

export interface TestDatabase {
  prisma: PrismaClient;
  /** Disconnects and deletes the database. */
  dispose(): Promise<void>;
}

export function createTestDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'sheplang-prisma-'));
  const file = join(dir, 'test.db');
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  db.exec(SPEC_TABLES);
  db.exec(AUDIT_LOG);
  db.close();
  const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  return {
    prisma,
    async dispose() {
      await prisma.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
