import type { Database } from '../../src/db/database.ts';

/**
 * Every row of every table as lower-case text, except tombstones (hashes) and the audit log (ids and
 * counts only): what an erasure test searches for any trace of the erased person.
 */
export async function everyRow(db: Database): Promise<string> {
  const tables = await db.sql.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
       AND table_name NOT IN ('Tombstone', 'AuditLog', '_prisma_migrations', '_rapport_migrations')`,
  );
  let all = '';
  for (const { t } of tables) {
    const rows = await db.sql.query<{ j: string }>(`SELECT row_to_json(x)::text AS j FROM "${t}" x`);
    all += rows.map((r) => r.j).join('\n');
  }
  return all.toLowerCase();
}
