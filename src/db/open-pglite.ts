import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';
import type { Database, SqlRunner } from './database.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

/**
 * Opens (creating if needed) the embedded PGlite database under `<dataDir>/pglite`.
 * PGlite is single-process: a lock file makes a second process fail with a clear message
 * instead of corrupting the files. Pass `dataDir: undefined` for an in-memory database (tests).
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  let release = (): void => {};
  let path: string | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    release = acquireDataDirLock(dataDir);
    path = join(dataDir, 'pglite');
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(path, { extensions: { pg_trgm } });
  } catch (err) {
    release();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const sql: SqlRunner = {
    async exec(text) {
      await pglite.exec(text);
    },
    async query<T>(text: string, params: unknown[] = []) {
      const res = await pglite.query<T>(text, params);
      return res.rows;
    },
  };
  return {
    kind: 'pglite',
    prisma,
    sql,
    // PGlite has one connection; serialise through it.
    withSession: (fn) => fn(sql),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      release();
    },
  };
}
