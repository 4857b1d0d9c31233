import type { SqlRunner } from './database.ts';

export interface PruneReport {
  deliveries: number;
  auditEntries: number;
  /** Quarantined mail (raw source included) resolved by `rapport mail retry` before the cutoff. */
  resolvedQuarantine: number;
}

const UUID = `'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'`;

// Finished deliveries older than the cutoff, except those of a follow-up still waiting or open: their
// key is what keeps a re-fired reminder or a re-derived suggestion card from being posted again; and
// except a command's answer, digest or weekly post naming a customer that still exists: erasing that
// customer, however much later, reads the row to take the post back (findAnswersAbout).
const PRUNE_DELIVERIES = `
DELETE FROM "Delivery" WHERE id IN (
  SELECT d.id FROM "Delivery" d
   WHERE d.status IN ('sent', 'skipped', 'failed') AND d."updatedAt" < $1
     AND NOT EXISTS (SELECT 1 FROM "FollowUp" f
                      WHERE f.id::text = substring(d.key from ${UUID}) AND f.status IN ('suggested', 'open', 'snoozed'))
     AND NOT EXISTS (SELECT 1 FROM "Company" c WHERE c.id = ANY(d."aboutCompanyIds"))
   LIMIT $2)`;

// Audit entries older than the cutoff, except the record of erasures (proof that a customer was erased
// must outlive the retention window; those rows hold ids and hashes only).
const PRUNE_AUDIT = `
DELETE FROM "AuditLog" WHERE id IN (
  SELECT id FROM "AuditLog" WHERE "createdAt" < $1 AND action NOT LIKE 'customer.erase%' LIMIT $2)`;

// Quarantined mail a retry resolved (logged, found a duplicate or skipped) before the cutoff: its raw
// source is personal data past its need. Unresolved rows (still failing) are never pruned, however old:
// that mail is stored nowhere else. The outer condition is checked again on a row a sync re-quarantined
// (resolvedAt set back to NULL) while this ran; the subquery's is not.
const PRUNE_QUARANTINE = `
DELETE FROM "MailQuarantine" WHERE id IN (
  SELECT id FROM "MailQuarantine" WHERE "resolvedAt" < $1 LIMIT $2) AND "resolvedAt" < $1`;

/**
 * Deletes what outlived the retention window, in batches of `batch` rows (short transactions that do
 * not hold locks for long on a big table). Answers how many rows went.
 */
export async function pruneOlderThan(sql: SqlRunner, cutoff: Date, batch = 5_000): Promise<PruneReport> {
  const report: PruneReport = { deliveries: 0, auditEntries: 0, resolvedQuarantine: 0 };
  report.deliveries = await deleteInBatches(sql, PRUNE_DELIVERIES, cutoff, batch);
  report.auditEntries = await deleteInBatches(sql, PRUNE_AUDIT, cutoff, batch);
  report.resolvedQuarantine = await deleteInBatches(sql, PRUNE_QUARANTINE, cutoff, batch);
  return report;
}

async function deleteInBatches(sql: SqlRunner, statement: string, cutoff: Date, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const [row] = await sql.query<{ n: number }>(
      `WITH gone AS (${statement.trim()} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [cutoff, batch],
    );
    total += row.n;
    if (row.n < batch) return total;
  }
}
