import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';

/**
 * The id of the deployment this database belongs to, created on first use. Every process of one
 * deployment reads the same id; another database (another deployment) has another.
 */
export async function installationId(sql: SqlRunner): Promise<string> {
  return (await openInstallation(sql)).id;
}

/**
 * {@link installationId}, and whether this call created it: a deployment's first start, whose Redis
 * never held its jobs (an empty Redis prefix is then no loss).
 */
export async function openInstallation(sql: SqlRunner): Promise<{ id: string; created: boolean }> {
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO "Installation" (id) VALUES ($1::uuid) ON CONFLICT (singleton) DO NOTHING RETURNING id`,
    [randomUUID()],
  );
  if (inserted.length > 0) return { id: inserted[0].id, created: true };
  const [row] = await sql.query<{ id: string }>(`SELECT id FROM "Installation" WHERE singleton`);
  return { id: row.id, created: false };
}

/** The deployment's id when one was created, without creating it (a read-only check). */
export async function readInstallationId(sql: SqlRunner): Promise<string | undefined> {
  const [row] = await sql.query<{ id: string }>(`SELECT id FROM "Installation" WHERE singleton`);
  return row?.id;
}
