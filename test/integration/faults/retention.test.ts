import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneRetention } from '../../../jobs/prune-retention.job.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe.each(TEST_DATABASE_KINDS)('retention (RAPPORT_RETENTION_DAYS) on %s', (kind) => {
  let h: PipelineHarness;
  beforeEach(async () => {
    h = await startPipelineHarness(kind, { workers: false, settings: { retentionDays: 30 } });
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('the nightly prune deletes finished deliveries, audit entries and resolved quarantined mail past the window, keeping erasures, unresolved mail and what open follow-ups need', async () => {
    const old = "now() - interval '40 days'";
    await h.test.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", "updatedAt") VALUES ('${id(1)}', 'Acme', 'acme', now());
      INSERT INTO "FollowUp" (id, "companyId", title, "dueAt", status, source, "updatedAt") VALUES
        ('${id(2)}', '${id(1)}', 'still open', now(), 'open', 'manual', now()),
        ('${id(3)}', '${id(1)}', 'done long ago', now(), 'done', 'manual', now());
      INSERT INTO "Delivery" (id, key, target, status, "createdAt", "updatedAt") VALUES
        ('${id(11)}', 'digest-console.team-2026-10-01', 'console:team', 'sent', ${old}, ${old}),
        ('${id(12)}', 'reminder-${id(2)}-1', 'console:team', 'sent', ${old}, ${old}),
        ('${id(13)}', 'reminder-${id(3)}-1', 'console:team', 'sent', ${old}, ${old}),
        ('${id(14)}', 'notice-x', 'console:team', 'pending', ${old}, ${old}),
        ('${id(15)}', 'digest-console.team-2026-12-01', 'console:team', 'sent', now(), now());
      -- Command answers posted in a channel: one naming Acme (kept while Acme exists, for its erasure to
      -- take back), one naming only a customer erased since (pruned).
      INSERT INTO "Delivery" (id, key, target, "externalId", status, "aboutCompanyIds", "createdAt", "updatedAt") VALUES
        ('${id(16)}', 'answer-slack:T1/C1-1.1', 'slack:T1/C1', '1.1', 'sent', ARRAY['${id(1)}', '${id(9)}']::uuid[], ${old}, ${old}),
        ('${id(17)}', 'answer-slack:T1/C1-1.2', 'slack:T1/C1', '1.2', 'sent', ARRAY['${id(9)}']::uuid[], ${old}, ${old});
      INSERT INTO "AuditLog" (id, action, subject, "createdAt") VALUES
        ('${id(21)}', 'record.log', 'r1', ${old}),
        ('${id(22)}', 'customer.erase', 'c1', ${old}),
        ('${id(23)}', 'record.log', 'r2', now());
      INSERT INTO "MailQuarantine" (id, "sourceHash", mailbox, raw, error, note, "createdAt", "updatedAt", "resolvedAt") VALUES
        ('${id(31)}', 'h31', 'support', convert_to('hi', 'UTF8'), 'e', 'n', ${old}, ${old}, ${old}),
        ('${id(32)}', 'h32', 'support', convert_to('hi', 'UTF8'), 'e', 'n', ${old}, now(), now() - interval '1 day'),
        ('${id(33)}', 'h33', 'support', convert_to('hi', 'UTF8'), 'e', 'n', ${old}, ${old}, NULL);`);

    const report = await pruneRetention(h.deps);

    expect(report).toMatchObject({ deliveries: 3, auditEntries: 1, resolvedQuarantine: 1 });
    const keys = (await h.test.db.prisma.delivery.findMany({ orderBy: { key: 'asc' } })).map((d) => d.key);
    expect(keys).toEqual([
      'answer-slack:T1/C1-1.1',
      'digest-console.team-2026-12-01',
      'notice-x',
      `reminder-${id(2)}-1`,
    ]);
    const audit = (await h.test.db.prisma.auditLog.findMany({ orderBy: { id: 'asc' } })).map((a) => a.action);
    expect(audit).toEqual(['customer.erase', 'record.log']);
    // Resolved quarantined mail goes after the window; unresolved mail is kept however old.
    const quarantine = (await h.test.db.prisma.mailQuarantine.findMany({ orderBy: { id: 'asc' } })).map((q) => q.id);
    expect(quarantine).toEqual([id(32), id(33)]);
  });

  it('the prune runs nightly: the reconciler keeps its schedule', async () => {
    await reconcileSchedules(h.deps);
    const scheduler = await h.queues[QueueName.PruneRetention].getJobScheduler('prune-nightly');
    expect(scheduler?.pattern).toBe('30 3 * * *');
  });
});
