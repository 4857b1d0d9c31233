import { describe, expect, it } from 'vitest';
import { hasMigrationTable, pingDatabase } from '../../src/db/database-status.repository.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

// What /readyz ('database') and `rapport doctor` ask the database, on a real PGlite.
describe('database status', () => {
  it('a migrated database answers and has its migration table', async () => {
    const t = await createTestDatabase('pglite');
    try {
      await expect(pingDatabase(t.db.sql)).resolves.toBeUndefined();
      expect(await hasMigrationTable(t.db.sql)).toBe(true);
    } finally {
      await t.dispose();
    }
  });

  it('a database not migrated yet answers without a migration table (doctor says to migrate)', async () => {
    const t = await createTestDatabase('pglite', { migrate: false });
    try {
      await expect(pingDatabase(t.db.sql)).resolves.toBeUndefined();
      expect(await hasMigrationTable(t.db.sql)).toBe(false);
    } finally {
      await t.dispose();
    }
  });

  it('a closed database fails the ping', async () => {
    const t = await createTestDatabase('pglite');
    await t.dispose();
    await expect(pingDatabase(t.db.sql)).rejects.toThrow();
  });
});
