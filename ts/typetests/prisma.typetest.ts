// Type-level test of api/realtime/middleware.ts against a real Prisma 7 client generated from
// prisma/ (the generated schema of specs/tasks.shep and audit.prisma; the `prisma-client` generator, by `npm run gen`).
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { createServer } from 'node:http';

import { realtimeExtension } from '../.generated/specs/tasks/ts-server/api/realtime/middleware.js';
import { RealtimeServer } from '../.generated/specs/tasks/ts-server/api/realtime/server.js';
import { PrismaClient } from '../prisma/generated/client.js';

export async function extended(): Promise<void> {
  const realtime = new RealtimeServer(createServer());
  const base = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: ':memory:' }) });
  // `$extends` returns a new client; the model delegates keep their generated types.
  const prisma = base.$extends(realtimeExtension(realtime));
  const task = await prisma.task.create({ data: { title: 'Write' }, select: { title: true } });
  const title: string = task.title;
  // @ts-expect-error `select` still narrows the result: `done` was not selected.
  void task.done;
  // @ts-expect-error not a field of Task.
  await prisma.task.create({ data: { titel: 'Write' } });
  const { count } = await prisma.task.updateMany({ where: { done: false }, data: { done: true } });
  const n: number = count;
  const rows = await prisma.task.createManyAndReturn({ data: [{ title: 'a' }] });
  const id: string | undefined = rows[0]?.id;
  await prisma.$transaction(async (tx) => {
    await tx.task.delete({ where: { id: 'x' } });
  });
  await prisma.auditLog.create({ data: { message: 'not in the spec' } });
  const untracked = base.$extends(
    realtimeExtension(realtime, {
      onUntracked: (model, operation) => {
        const name: 'Task' | 'User' = model;
        void [name, operation];
      },
    }),
  );
  void [title, n, id, untracked];
}
