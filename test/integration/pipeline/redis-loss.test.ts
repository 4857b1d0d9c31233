import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { reconcileSchedules, UNCLASSIFIED_LOOKBACK_MS } from '../../../jobs/reconcile-schedules.job.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { jobId } from '../../../jobs/job-ids.ts';
import { eventually, startPipelineHarness } from '../../helpers/pipeline-harness.ts';
import { CONSOLE_JO, logConsoleNote } from '../../helpers/console-note.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';

// FLUSHALL needs a Redis of its own: the shared one serves the other test files.
let redis: PrivateRedis;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-redis-loss-'));
  redis = await startPrivateRedis(dir);
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis loss', () => {
  it('loses no reminder: after FLUSHALL the reconciler rebuilds every schedule from the database and each reminder fires once', async () => {
    // No workers while the follow-ups are created: on a busy machine "soon" could pass before we flush.
    const h = await startPipelineHarness('postgres', { redisUrl: redis.url, workers: false });
    try {
      const db = h.test.db;
      const actor = { platform: 'console' as const, platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' };
      const rep = await findOrCreateRep(db.prisma, actor);
      const audit = { repId: rep.id, platform: 'console' };
      const company = await createCustomer(db.prisma, 'Initech', audit);
      const now = Date.now();
      // 20 due soon (they pass their due time while Redis is empty), 20 due later, 5 already done.
      const soon = [];
      for (let i = 0; i < 20; i++)
        soon.push(
          await createFollowUp(
            db,
            {
              companyId: company.id,
              title: `Soon ${i}`,
              dueAt: new Date(now + 1_500 + i * 10),
              assigneeRepId: rep.id,
              actor: audit,
              fallbackRemindTarget: 'console:team',
            },
            h.hooks,
          ),
        );
      const later = [];
      for (let i = 0; i < 20; i++)
        later.push(
          await createFollowUp(
            db,
            {
              companyId: company.id,
              title: `Later ${i}`,
              dueAt: new Date(now + 12_000 + i * 10),
              assigneeRepId: rep.id,
              actor: audit,
              fallbackRemindTarget: 'console:team',
            },
            h.hooks,
          ),
        );
      for (let i = 0; i < 5; i++) {
        const f = await createFollowUp(
          db,
          {
            companyId: company.id,
            title: `Closed ${i}`,
            dueAt: new Date(now + 2_000),
            assigneeRepId: rep.id,
            actor: audit,
            fallbackRemindTarget: 'console:team',
          },
          h.hooks,
        );
        await db.prisma.followUp.update({ where: { id: f.id }, data: { status: 'done' } });
      }
      // Delayed, or waiting when creating them took longer than the first due times (a busy machine).
      expect(await h.queues[QueueName.FollowUpReminder].getJobCountByTypes('delayed', 'waiting')).toBe(45);

      await h.redis.flushall();
      expect(await h.queues[QueueName.FollowUpReminder].getJobCountByTypes('delayed', 'waiting')).toBe(0);
      // The "soon" ones become overdue with no job anywhere.
      const lastSoon = Math.max(...soon.map((f) => f.dueAt.getTime()));
      await new Promise((r) => setTimeout(r, Math.max(0, lastSoon - Date.now()) + 200));
      expect(later.every((f) => f.dueAt.getTime() > Date.now() + 500)).toBe(true);

      const report = await reconcileSchedules(h.deps);
      expect(report.orphansRemoved).toBe(0);
      expect(report.remindersAdded).toBe(20); // the later ones; the overdue ones fire now
      expect(report.escalationsArmed).toBe(20);
      h.startWorkers();

      const titles = () =>
        h.console
          .feed()
          .filter((e) => e.reply.title?.startsWith('Reminder'))
          .map((e) => e.reply.sections?.[0]?.title ?? '');
      await eventually('40 reminders', async () => titles().length >= 40, 40_000);
      await new Promise((r) => setTimeout(r, 1_000));
      const posted = titles();
      expect(posted.length).toBe(40);
      expect(new Set(posted).size).toBe(40);
      expect(posted.some((t) => t.includes('Closed'))).toBe(false);

      // A second reconcile finds everything in order; a reminder job naming no follow-up of this
      // database is not provably ours (another deployment's?), so it is left alone and ends as a no-op.
      await h.queues[QueueName.FollowUpReminder].add(
        'remind',
        { followUpId: '00000000-0000-0000-0000-000000000000', dueEpochMs: now + 60_000 },
        { jobId: 'reminder-00000000-0000-0000-0000-000000000000-1', delay: 60_000 },
      );
      const again = await reconcileSchedules(h.deps);
      expect(again).toMatchObject({ remindersAdded: 0, orphansRemoved: 0, unknownLeft: 1 });
    } finally {
      await h.dispose();
    }
  });

  it('classifies records whose classify job never reached Redis (written without Redis, or flushed)', async () => {
    const h = await startPipelineHarness('pglite', { redisUrl: redis.url });
    try {
      const db = h.test.db;
      const rep = await findOrCreateRep(db.prisma, CONSOLE_JO);
      const company = await createCustomer(db.prisma, 'Massive Dynamic', { repId: rep.id, platform: 'console' });
      const logged = await logConsoleNote(db, noopPipelineHooks, {
        companyId: company.id,
        rep,
        text: 'We want to cancel our subscription at the end of the month',
        sourceKey: 'offline-1',
      });
      // Younger than a minute: a job may still be on its way, so the reconciler leaves it alone.
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(0);
      // Older than the lookback window: outside the reconciler's bounded scan.
      await db.prisma.message.update({
        where: { id: logged.message.id },
        data: { createdAt: new Date(Date.now() - UNCLASSIFIED_LOOKBACK_MS - 60_000) },
      });
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(0);
      await db.prisma.message.update({
        where: { id: logged.message.id },
        data: { createdAt: new Date(Date.now() - 120_000) },
      });
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(1);
      const c = await eventually('the classification', async () =>
        db.prisma.classification.findFirst({ where: { messageId: logged.message.id } }),
      );
      expect(c.label).toBe('churn');
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(0);
    } finally {
      await h.dispose();
    }
  });
  it('leaves alone what a waiting classify-batch job names, however long it waits, and still finds a lost one behind it', async () => {
    // No workers: the batch job waits, as behind a long backlog.
    const h = await startPipelineHarness('pglite', { redisUrl: redis.url, workers: false });
    try {
      const db = h.test.db;
      const rep = await findOrCreateRep(db.prisma, CONSOLE_JO);
      const company = await createCustomer(db.prisma, 'Soylent', { repId: rep.id, platform: 'console' });
      const log = (text: string, sourceKey: string) =>
        logConsoleNote(db, noopPipelineHooks, { companyId: company.id, rep, text, sourceKey }).then((l) => ({
          recordId: l.record.id,
          messageId: l.message.id,
        }));
      const lost = await log('We want to cancel our subscription at the end of the month', 'backlog-lost');
      const batch = [
        await log('Can you send a quote for 40 seats by Friday?', 'backlog-1'),
        await log('The export has been broken since Monday', 'backlog-2'),
        await log('Thanks, the new dashboard is great', 'backlog-3'),
      ];
      const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
      await db.prisma.message.update({ where: { id: lost.messageId }, data: { createdAt: minutesAgo(20) } });
      await db.prisma.message.updateMany({
        where: { id: { in: batch.map((m) => m.messageId) } },
        data: { createdAt: minutesAgo(10) },
      });
      // Their commit's job, queued as the commit was, ten minutes ago, and still waiting.
      const queue = h.queues[QueueName.ClassifyCommunication];
      const batchJobId = jobId('classify-batch', batch[0].messageId, batch[2].messageId);
      await queue.add(
        'classify-batch',
        { messages: batch },
        { jobId: batchJobId, timestamp: minutesAgo(10).getTime() },
      );

      // The lost one (older than anything queued) goes again; the batch's messages get no job of their own.
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(1);
      const waiting = async () => (await queue.getJobs(['wait'])).map((j) => j.id).sort();
      expect(await waiting()).toEqual([batchJobId, jobId('classify', lost.messageId)].sort());
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(0);

      // Once the batch job itself is gone (lost with no loss noticed), its messages go again, one job each.
      await queue.remove(batchJobId);
      expect((await reconcileSchedules(h.deps)).classificationsQueued).toBe(3);

      h.startWorkers();
      for (const m of [lost, ...batch])
        await eventually('every message classified', async () =>
          db.prisma.classification.findFirst({ where: { messageId: m.messageId } }),
        );
      for (const m of [lost, ...batch])
        expect(await db.prisma.classification.count({ where: { messageId: m.messageId } })).toBe(1);
    } finally {
      await h.dispose();
    }
  });
});
