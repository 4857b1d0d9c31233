import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { afterEach, beforeEach, describe } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from './test-database.ts';

/**
 * A temporary migrations folder holding the shipped migrations whose folder name passes `keep`
 * (e.g. `(name) => name < '20261202133736_unique_customers'`): a database as an older release left it.
 * The caller removes the folder.
 */
export function migrationsWhere(keep: (name: string) => boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-migrations-'));
  for (const name of readdirSync(MIGRATIONS_DIR))
    if (keep(name)) cpSync(join(MIGRATIONS_DIR, name), join(dir, name), { recursive: true });
  return dir;
}

/** A test database migrated up to just before `migration`, and the folder that takes it through `migration`. */
export interface DatabaseBeforeMigration {
  t: TestDatabase;
  /** The shipped migrations up to and including `migration` (later ones are not its test's business). */
  through: string;
  dispose(): Promise<void>;
}

/** A new database of `kind` as the release before `migration` left it (see {@link migrationsWhere}). */
export async function databaseBeforeMigration(
  kind: 'pglite' | 'postgres',
  migration: string,
): Promise<DatabaseBeforeMigration> {
  const t = await createTestDatabase(kind, { migrate: false });
  const before = migrationsWhere((name) => name < migration);
  const through = migrationsWhere((name) => name <= migration);
  await migrate(t.db, before);
  return {
    t,
    through,
    async dispose() {
      await t.dispose();
      for (const dir of [before, through]) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The tests of a migration, on each database kind: `before()` gives the running test's new database as
 * the release before `migration` left it ({@link databaseBeforeMigration}), dropped after the test.
 */
export function describeMigration(migration: string, body: (before: () => DatabaseBeforeMigration) => void): void {
  describe.each(TEST_DATABASE_KINDS)(`migration ${migration} on %s`, (kind) => {
    let fixture: DatabaseBeforeMigration | undefined;
    beforeEach(async () => {
      fixture = await databaseBeforeMigration(kind, migration);
    });
    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });
    body(() => {
      if (!fixture) throw new Error('describeMigration: before() is for the tests themselves');
      return fixture;
    });
  });
}
