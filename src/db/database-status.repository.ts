import type { SqlRunner } from './database.ts';

/** Throws when the database does not answer (readiness checks). */
export async function pingDatabase(sql: SqlRunner): Promise<void> {
  await sql.query('SELECT 1');
}

/** Whether Prisma's migration table exists (`rapport migrate` or `rapport start` ran against it). */
export async function hasMigrationTable(sql: SqlRunner): Promise<boolean> {
  const rows = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = '_prisma_migrations'`,
  );
  return rows[0]?.n === 1;
}
