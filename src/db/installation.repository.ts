import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';

/**
 * The id of the deployment this database belongs to, created on first use. Every process of one
 * deployment reads the same id; another database (another deployment) has another.
 */
export async function installationId(sql: SqlRunner): Promise<string> {
  await sql.query(`INSERT INTO "Installation" (id) VALUES ($1::uuid) ON CONFLICT (singleton) DO NOTHING`, [
    randomUUID(),
  ]);
  const [row] = await sql.query<{ id: string }>(`SELECT id FROM "Installation" WHERE singleton`);
  return row.id;
}

/** The deployment's id when one was created, without creating it (a read-only check). */
export async function readInstallationId(sql: SqlRunner): Promise<string | undefined> {
  const [row] = await sql.query<{ id: string }>(`SELECT id FROM "Installation" WHERE singleton`);
  return row?.id;
}
