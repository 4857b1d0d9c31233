import { normalizeCompanyName } from '../domain/normalize-company-name.ts';
import { batchRows } from './batch-rows.ts';
import type { SqlRunner } from './database.ts';

/** The migration whose SQL creates the merge function this backfill uses (and drops). */
export const COMPANY_KEY_MIGRATION = '20261203020000_company_keys_without_legal_forms';

/** What the backfill changed: keys rewritten and companies merged into another. */
export interface CompanyKeyBackfillResult {
  rekeyed: number;
  merged: number;
}

interface StoredCompany {
  id: string;
  name: string;
  normalizedName: string;
}

/**
 * Recomputes every company's match key with today's {@link normalizeCompanyName} (华为技术有限公司 ->
 * 华为技术, Siemens Aktiengesellschaft -> siemens). Companies whose keys then collide are merged into
 * the oldest (records, contacts, follow-ups, channel links move; audit entry `customer.merge`) with the
 * migration's `rapport_merge_company`, dropped at the end. Runs inside the migration's transaction;
 * idempotent (a second run finds every key current).
 */
export async function backfillCompanyKeys(session: SqlRunner): Promise<CompanyKeyBackfillResult> {
  const companies = await session.query<StoredCompany>(
    `SELECT id::text AS id, name, "normalizedName" FROM "Company" ORDER BY "createdAt", id`,
  );
  const byKey = new Map<string, StoredCompany[]>();
  for (const c of companies) {
    const key = normalizeCompanyName(c.name);
    const group = byKey.get(key);
    if (group) group.push(c);
    else byKey.set(key, [c]);
  }
  let merged = 0;
  const stale: Array<{ id: string; key: string }> = [];
  for (const [key, [keep, ...gone]] of byKey) {
    // The oldest stays; a collision only exists because some key changed, so this never merges two
    // companies the unique key already told apart.
    for (const g of gone) {
      await session.query('SELECT rapport_merge_company($1::uuid, $2::uuid, $3)', [
        keep.id,
        g.id,
        'same customer once legal forms are dropped (migration company_keys_without_legal_forms)',
      ]);
      merged++;
    }
    if (keep.normalizedName !== key) stale.push({ id: keep.id, key });
  }
  // Two statements, so a key moving onto another company's old key never meets it in the unique index
  // (checked row by row). A normalised key has no colon: the placeholder cannot meet a real one.
  const rekey = `UPDATE "Company" c SET "normalizedName" = v.key, "updatedAt" = now()
    FROM ${batchRows('v', [
      ['id', 'uuid'],
      ['key', 'text'],
    ])} WHERE c.id = v.id`;
  const ids = stale.map((s) => s.id);
  await session.query(rekey, [ids, ids.map((id) => `rekey:${id}`)]);
  await session.query(rekey, [ids, stale.map((s) => s.key)]);
  await session.exec('DROP FUNCTION IF EXISTS rapport_merge_company(UUID, UUID, TEXT)');
  return { rekeyed: stale.length, merged };
}
