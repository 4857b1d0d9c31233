import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import type { Database, SqlRunner } from './database.ts';
import { RapportError } from '../errors.ts';
import { backfillCompanyKeys, COMPANY_KEY_MIGRATION } from './company-key-backfill.ts';
import { backfillSubjectKeys, SUBJECT_KEY_MIGRATION } from './subject-key-backfill.ts';

/** prisma/migrations, resolved from the package root so it works from any working directory and from dist/. */
export const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'prisma', 'migrations');

/** Arbitrary constant shared by every Rapport process: the advisory lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 7_270_737_001;

export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 hex of the file, as `prisma migrate deploy` computes it. */
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  /** Applied migrations whose file changed since (Prisma warns about these too): never edit an applied migration. */
  modified: string[];
  /** What the data changes run with migrations did, one sentence each; absent when they changed nothing. */
  backfilled?: string[];
}

/**
 * Data changes that need the app's own JavaScript (a company's match key is normalizeCompanyName's),
 * run right after their migration's SQL in the same transaction, so they too are applied exactly once
 * and recorded with it. `prisma migrate deploy` would run only the SQL: start Rapport once after it.
 */
const BACKFILLS: Record<string, (session: SqlRunner) => Promise<string | undefined>> = {
  [COMPANY_KEY_MIGRATION]: async (session) => {
    const { rekeyed, merged } = await backfillCompanyKeys(session);
    if (rekeyed + merged === 0) return undefined;
    return `${COMPANY_KEY_MIGRATION}: ${rekeyed} company match key(s) recomputed, ${merged} duplicate company(ies) merged into the oldest (audit log: customer.merge)`;
  },
  [SUBJECT_KEY_MIGRATION]: async (session) => {
    const keyed = await backfillSubjectKeys(session);
    if (keyed === 0) return undefined;
    return `${SUBJECT_KEY_MIGRATION}: ${keyed} email thread(s) given the subject key the subject fallback reads by`;
  },
};

/** Lists the migrations in Prisma's layout, oldest first. */
export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

// Same table and columns `prisma migrate deploy` creates, so either tool can take over later.
const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Applies pending migrations, each in its own transaction, recording them in `_prisma_migrations`.
 * On PostgreSQL an advisory lock makes concurrent starters wait for each other instead of racing.
 * A migration that failed earlier (row without finished_at) stops the run with instructions, like Prisma.
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const migrations = readMigrations(dir);
  return db.withSession(async (session) => {
    if (db.kind === 'postgres') await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await applyPending(session, migrations);
    } finally {
      if (db.kind === 'postgres') await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}

async function applyPending(session: SqlRunner, migrations: MigrationFile[]): Promise<MigrateResult> {
  await session.exec(BOOKKEEPING);
  const rows = await session.query<{
    migration_name: string;
    checksum: string;
    finished_at: Date | null;
    rolled_back_at: Date | null;
  }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"');
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new RapportError(
      'conflict',
      `Migration ${failed.migration_name} failed earlier and was not rolled back. Fix the database by hand, then mark it ` +
        'rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = ...) and start again.',
    );
  }
  const done = new Map(
    rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r.checksum]),
  );
  const result: MigrateResult = { applied: [], alreadyApplied: [], modified: [] };
  for (const m of migrations) {
    if (done.has(m.name)) {
      result.alreadyApplied.push(m.name);
      if (done.get(m.name) !== m.checksum) result.modified.push(m.name);
      continue;
    }
    const id = randomUUID();
    await session.exec('BEGIN');
    try {
      await session.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, m.checksum, m.name],
      );
      await session.exec(m.sql);
      const backfilled = await BACKFILLS[m.name]?.(session);
      if (backfilled) result.backfilled = [...(result.backfilled ?? []), backfilled];
      await session.query(
        'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
        [id],
      );
      await session.exec('COMMIT');
    } catch (err) {
      await session.exec('ROLLBACK');
      throw new RapportError(
        'unavailable',
        `Migration ${m.name} failed and was rolled back: ${(err as Error).message}`,
      );
    }
    result.applied.push(m.name);
  }
  return result;
}
