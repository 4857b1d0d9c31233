import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open-database.ts';

/** Database kinds every database test runs against. PostgreSQL is required unless RAPPORT_TEST_SKIP_POSTGRES=1. */
export const TEST_DATABASE_KINDS: Array<'pglite' | 'postgres'> =
  process.env.RAPPORT_TEST_SKIP_POSTGRES === '1' ? ['pglite'] : ['pglite', 'postgres'];

/** Admin URL of the PostgreSQL server used to create throwaway databases. */
export const TEST_POSTGRES_ADMIN_URL =
  process.env.RAPPORT_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  db: Database;
  /** PostgreSQL URL of the throwaway database (undefined for PGlite). */
  url: string | undefined;
  /** Closes and drops the database. */
  dispose(): Promise<void>;
}

/**
 * Creates an empty throwaway PostgreSQL database and returns its URL and a drop function. `ctype: 'C'`
 * makes one whose character classes are plain C (CJK letters are not letters there: pg_trgm sees no
 * trigram in Chinese text), as on servers initialised with `--locale=C`.
 */
export async function createScratchPostgres(
  opts: { ctype?: 'C' } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rapport_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(
    opts.ctype === 'C'
      ? `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`
      : `CREATE DATABASE ${name}`,
  );
  await admin.end();
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh, migrated database of the given kind: in-memory PGlite or a new PostgreSQL database. */
export async function createTestDatabase(
  kind: 'pglite' | 'postgres',
  opts: { migrate?: boolean; ctype?: 'C' } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ migrate: opts.migrate });
    return { db, url: undefined, dispose: () => db.close() };
  }
  const scratch = await createScratchPostgres({ ctype: opts.ctype });
  const db = await openDatabase({ databaseUrl: scratch.url, migrate: opts.migrate });
  return {
    db,
    url: scratch.url,
    async dispose() {
      await db.close();
      await scratch.drop();
    },
  };
}
