import type { Database } from './database.ts';
import { openPglite } from './open-pglite.ts';
import { openPostgres } from './open-postgres.ts';
import { migrate } from './migrate.ts';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, PGlite under dataDir. */
  databaseUrl?: string;
  /** Data dir for PGlite; undefined with no databaseUrl = in-memory PGlite (tests). */
  dataDir?: string;
  /** Apply pending migrations after opening. Default true. */
  migrate?: boolean;
  /** PostgreSQL connections per process. Default 10. */
  poolSize?: number;
  /** Told when the server drops an idle connection (restart, failover); the pool replaces it. */
  onConnectionError?: (err: Error) => void;
  /** Told about applied migrations whose file has changed since. */
  onModifiedMigrations?: (names: string[]) => void;
  /** Told what the data changes run with newly applied migrations did (merged companies, …). */
  onBackfilled?: (sentences: string[]) => void;
}

/** Opens the configured database and (by default) brings its schema up to date. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const db = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, opts.poolSize, opts.onConnectionError)
    : await openPglite(opts.dataDir);
  if (opts.migrate !== false) {
    try {
      const result = await migrate(db);
      if (result.modified.length > 0) opts.onModifiedMigrations?.(result.modified);
      if (result.backfilled) opts.onBackfilled?.(result.backfilled);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
