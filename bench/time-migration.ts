import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Database } from '../src/db/database.ts';
import { MIGRATIONS_DIR, migrate } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createScratchPostgres } from '../test/helpers/test-database.ts';

/** A database to time a migration on, and how to get rid of it. */
type Open = () => Promise<{ db: Database; drop: () => Promise<void> }>;

/** PGlite, and PostgreSQL unless RAPPORT_BENCH_SKIP_POSTGRES=1: the databases a migration bench runs on. */
export function benchDatabases(): Array<[label: string, open: Open]> {
  const out: Array<[string, Open]> = [
    ['PGlite', async () => ({ db: await openDatabase({ migrate: false }), drop: async () => {} })],
  ];
  if (process.env.RAPPORT_BENCH_SKIP_POSTGRES !== '1')
    out.push([
      'PostgreSQL',
      async () => {
        const scratch = await createScratchPostgres();
        return { db: await openDatabase({ databaseUrl: scratch.url, migrate: false }), drop: scratch.drop };
      },
    ]);
  return out;
}

/**
 * Migrates a new database to just before `migration`, seeds it as an older release left it, then times
 * the start-up migration (that one and any later) and prints `label: describe(...)` with the load average.
 */
export async function timeMigration(
  label: string,
  open: Open,
  migration: string,
  seed: (db: Database) => Promise<void>,
  describe: (db: Database, applied: string[], seconds: string) => Promise<string>,
): Promise<void> {
  const before = mkdtempSync(join(tmpdir(), 'rapport-bench-migrations-'));
  for (const name of readdirSync(MIGRATIONS_DIR))
    if (name < migration) cpSync(join(MIGRATIONS_DIR, name), join(before, name), { recursive: true });
  const { db, drop } = await open();
  try {
    await migrate(db, before);
    await seed(db);
    const start = performance.now();
    const result = await migrate(db);
    const seconds = ((performance.now() - start) / 1000).toFixed(2);
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    console.log(`${label}: ${await describe(db, result.applied, seconds)}; load ${load}`);
  } finally {
    await db.close();
    await drop();
    rmSync(before, { recursive: true, force: true });
  }
}
