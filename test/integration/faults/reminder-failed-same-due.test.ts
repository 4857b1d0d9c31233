import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { QueueName } from '../../../jobs/queue-names.ts';
import { QueueMetrics } from '../../../jobs/queue-metrics.ts';
import { reminderJobId } from '../../../jobs/reminder-schedule.ts';
import { createWorkers } from '../../../jobs/workers.ts';
import type { Database } from '../../../src/db/database.ts';
import type { AuditActor } from '../../../src/services/audit.service.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import { createLogger } from '../../../src/logger.ts';
import { changeFollowUp } from '../../../src/services/follow-ups.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { resilientPipelineHooks } from '../../../src/services/resilient-pipeline-hooks.ts';
import { openFollowUp } from '../../helpers/open-follow-up.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A reminder job that used up its 6 attempts (PostgreSQL away from just before its due time for longer
 * than its ~31 s of retries) stays in BullMQ's failed set for a week under its id
 * (`reminder-<follow-up>-<due>`). The rep then moves the follow-up to tomorrow and back to the same due
 * time: the sync of that last change adds the reminder under the same id. Before, that add was a no-op
 * (the failed job kept the id) and no reminder was posted until a reconcile replaced it. The workers
 * run in this process with their own database pool, through a proxy the test cuts; the changes go
 * straight to PostgreSQL (the web process's side).
 */
describe('a follow-up moved back to the due time whose reminder job failed', () => {
  let h: PipelineHarness;
  let proxy: TcpProxy;
  let workerDb: Database;
  let workers: ReturnType<typeof createWorkers> | undefined;
  beforeEach(async () => {
    h = await startPipelineHarness('postgres', { redisUrl: REDIS_URL, workers: false });
    const pgUrl = new URL(h.test.url!);
    proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const proxied = new URL(h.test.url!);
    proxied.host = `127.0.0.1:${proxy.port}`;
    workerDb = await openDatabase({ databaseUrl: proxied.toString(), migrate: false, onConnectionError: () => {} });
    workers = createWorkers(
      { ...h.deps, db: workerDb },
      { redisUrl: REDIS_URL, prefix: h.prefix, concurrency: 8, lockDurationMs: 5_000, stalledIntervalMs: 1_000 },
      new QueueMetrics(new Registry(), h.queues),
      createLogger('silent'),
    );
    workers.run();
  });
  /** The rep moves follow-up `f` to `dueAt` (the change's hook schedules its reminder, unless `hooks` say otherwise). */
  const moveDue = (f: { number: number }, dueAt: Date, audit: AuditActor, hooks: PipelineHooks = h.hooks) =>
    changeFollowUp(h.test.db, f.number, { kind: 'due', dueAt }, audit, hooks);
  /** The reminder of follow-up `followUpId` reaches the team channel once, as the delivery of job `remindJob`. */
  async function remindedOnce(followUpId: string, remindJob: string) {
    const posted = () => h.console.feed().filter((e) => e.reply.title?.startsWith('Reminder'));
    await eventually('the reminder in the team channel', async () => posted().length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(posted()).toHaveLength(1);
    expect(
      await h.test.db.prisma.delivery.findMany({ where: { key: { startsWith: `reminder-${followUpId}` } } }),
    ).toMatchObject([{ key: remindJob, status: 'sent' }]);
  }
  afterEach(async () => {
    proxy?.up();
    await workers?.close();
    await workerDb?.close().catch(() => {});
    await proxy?.close();
    await h?.dispose();
  });

  it('replaces the failed job: the reminder posts once', async () => {
    const db = h.test.db;
    const dueAt = new Date(Date.now() + 3_000);
    const { followUp: f, audit } = await openFollowUp(db, h.hooks, 'Umbrella', dueAt);
    const reminders = h.queues[QueueName.FollowUpReminder];
    const remindJob = reminderJobId(f.id, dueAt);
    expect(await reminders.getJobState(remindJob)).toBe('delayed');

    // The workers' database goes away a second before the due time until the job has given up.
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt.getTime() - 1_000 - Date.now())));
    proxy.down();
    await eventually(
      'the reminder job to give up',
      async () => (await reminders.getJobState(remindJob)) === 'failed',
      90_000,
    );
    expect((await reminders.getJob(remindJob))?.attemptsMade).toBe(6);
    proxy.up();

    // The rep moves it to tomorrow, then back to the due time it had (now past: it is to fire at once).
    await moveDue(f, new Date(Date.now() + 86_400_000), audit);
    await moveDue(f, dueAt, audit);
    expect(await reminders.getJobState(remindJob)).not.toBe('failed');
    await remindedOnce(f.id, remindJob);
  }, 150_000);

  it('replaces a job kept completed when it ran while the follow-up was due at another time', async () => {
    const db = h.test.db;
    const dueAt = new Date(Date.now() + 2_000);
    const { followUp: f, audit } = await openFollowUp(db, h.hooks, 'Initech', dueAt);
    const reminders = h.queues[QueueName.FollowUpReminder];
    const remindJob = reminderJobId(f.id, dueAt);
    // Moved to tomorrow by a process whose hook never reached Redis (the write committed; Redis away):
    // the job for the first due time runs, finds the follow-up due tomorrow, and is kept completed.
    const redisAway = resilientPipelineHooks(
      {
        ...h.hooks,
        async followUpChanged() {
          throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        },
      },
      createLogger('silent'),
    );
    await moveDue(f, new Date(Date.now() + 86_400_000), audit, redisAway);
    await eventually(
      'the first job kept completed',
      async () => (await reminders.getJobState(remindJob)) === 'completed',
    );
    expect((await reminders.getJob(remindJob))?.returnvalue).toEqual({ status: 'moved-on' });

    // Back to the first due time (past now): its reminder is due at once.
    await moveDue(f, dueAt, audit);
    await remindedOnce(f.id, remindJob);
  }, 60_000);
});
