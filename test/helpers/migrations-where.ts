import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../src/db/migrate.ts';

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
