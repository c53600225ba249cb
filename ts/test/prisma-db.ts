// A throw-away SQLite database for prisma/schema.prisma, and a Prisma 7 client on it through
// the better-sqlite3 driver adapter. Tables are created with SQL (no `prisma db push`, which
// would need the schema engine); keep the SQL in step with the schema.
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PrismaClient } from '../prisma/generated/client.js';

const TABLES = `
CREATE TABLE "Task" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "title" TEXT NOT NULL,
  "done" BOOLEAN NOT NULL DEFAULT false,
  "owner" TEXT,
  "priority" REAL,
  "due" DATETIME,
  "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "price" DECIMAL,
  "tags" TEXT NOT NULL DEFAULT '[]',
  "type" TEXT
);
CREATE TABLE "User" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "name" TEXT NOT NULL,
  "email" TEXT NOT NULL
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
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
  db.exec(TABLES);
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
