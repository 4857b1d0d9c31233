import type { SqlRunner } from './database.ts';
import type { DbClient } from './db-client.ts';

/** Which of these key hashes are tombstoned (an erased customer's keys). */
export async function findTombstoneHashes(client: DbClient, keyHashes: string[]): Promise<Set<string>> {
  const rows = await client.tombstone.findMany({ where: { keyHash: { in: keyHashes } }, select: { keyHash: true } });
  return new Set(rows.map((r) => r.keyHash));
}

/** {@link findTombstoneHashes} in raw SQL, for the sync's hot path (no query compiler). */
export async function findTombstoneHashesSql(sql: SqlRunner, keyHashes: string[]): Promise<Set<string>> {
  if (keyHashes.length === 0) return new Set();
  const rows = await sql.query<{ keyHash: string }>(
    'SELECT "keyHash" FROM "Tombstone" WHERE "keyHash" = ANY($1::text[])',
    [keyHashes],
  );
  return new Set(rows.map((r) => r.keyHash));
}

/** Deletes the tombstones with these hashes. */
export async function deleteTombstones(client: DbClient, keyHashes: string[]): Promise<void> {
  await client.tombstone.deleteMany({ where: { keyHash: { in: keyHashes } } });
}

/** Stores tombstones (hash, kind) written by one erasure; a hash stored before is kept as it was. */
export async function insertTombstones(
  client: DbClient,
  rows: Array<{ keyHash: string; kind: string; auditId: string }>,
): Promise<void> {
  await client.tombstone.createMany({ data: rows, skipDuplicates: true });
}
