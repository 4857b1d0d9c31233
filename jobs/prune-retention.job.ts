import { pruneOlderThan, type PruneReport } from '../src/db/retention.repository.ts';
import { ALL_QUEUES } from './queue-names.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/**
 * The nightly prune (RAPPORT_RETENTION_DAYS): Delivery and AuditLog rows grew by about 0.3 kB and
 * 0.43 kB per log with nothing ever removing them. Deletes finished deliveries and audit entries older
 * than the window (erasure audit entries are kept), quarantined mail resolved before it (its raw source;
 * unresolved mail is never deleted) and BullMQ's kept finished jobs as old.
 */
export async function pruneRetention(deps: PipelineDeps): Promise<PruneReport & { jobs: number }> {
  const days = deps.settings.retentionDays;
  if (!days) return { deliveries: 0, auditEntries: 0, resolvedQuarantine: 0, jobs: 0 };
  const graceMs = days * 86_400_000;
  const report = await pruneOlderThan(deps.db.sql, new Date(Date.now() - graceMs));
  let jobs = 0;
  for (const name of ALL_QUEUES) {
    for (const state of ['completed', 'failed'] as const)
      jobs += (await deps.queues[name].clean(graceMs, 10_000, state)).length;
  }
  return { ...report, jobs };
}
