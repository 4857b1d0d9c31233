import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerFaultFixture } from '../../helpers/worker-faults.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { reminderJobId } from '../../../jobs/reminder-schedule.ts';
import { freePort, spawnRapport, waitForHttp } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

const fx = workerFaultFixture('db-outage');

/**
 * PostgreSQL away for longer than a job's retries (6 attempts, 1+2+4+8+16 s): a reminder falling due
 * meanwhile fails at its first read and ends in BullMQ's failed set, kept a week under its id. A real
 * worker process whose database connections go through a proxy the test cuts; the test's own
 * connection (the "other side" writing the follow-up) goes straight to PostgreSQL. Once the database is
 * back, the worker's own periodic reconcile (RAPPORT_RECONCILE_SECONDS=5) must post the reminder: a
 * plain add of the kept failed job's id was a no-op, and the reminder was never posted.
 */
let proxy: TcpProxy;
beforeAll(async () => {
  const pgUrl = new URL(fx.scratch.url);
  proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
});
afterAll(async () => {
  await proxy?.close();
});

describe('PostgreSQL away for longer than a reminder job retries', () => {
  it('the reminder is posted once after the database is back', async () => {
    const proxied = new URL(fx.scratch.url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const httpPort = await freePort();
    const worker = spawnRapport(['start'], {
      RAPPORT_ROLE: 'worker',
      DATABASE_URL: proxied.toString(),
      REDIS_URL: fx.redis.url,
      PORT: String(httpPort),
      RAPPORT_DATA_DIR: fx.dir,
      RAPPORT_RECONCILE_SECONDS: '5',
      LOG_LEVEL: 'warn',
    });
    fx.workers.push(worker);
    await waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000, worker);

    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(fx.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const umbrella = await createCustomer(fx.db.prisma, 'Umbrella', audit);
    const hooks = bullmqPipelineHooks(fx.db, fx.client, fx.queues);
    const dueAt = new Date(Date.now() + 6_000);
    const f = await createFollowUp(
      fx.db,
      {
        companyId: umbrella.id,
        title: 'Call about the outage',
        dueAt,
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: 'console:team',
      },
      hooks,
    );
    const remindJob = reminderJobId(f.id, dueAt);
    expect(await fx.queues[QueueName.FollowUpReminder].getJobState(remindJob)).toBe('delayed');

    // The database goes away a little before the due time and stays away until the reminder job has
    // used up all its attempts (about 31 s of backoff after the due time).
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt.getTime() - 2_000 - Date.now())));
    proxy.down();
    const cutAt = Date.now();
    await eventually(
      'the reminder job to give up',
      async () => (await fx.queues[QueueName.FollowUpReminder].getJobState(remindJob)) === 'failed',
      120_000,
    );
    const job = await fx.queues[QueueName.FollowUpReminder].getJob(remindJob);
    expect(job?.attemptsMade).toBe(6);
    expect(await fx.db.prisma.delivery.count()).toBe(0);
    proxy.up();
    const outageMs = Date.now() - cutAt;
    expect(outageMs).toBeGreaterThan(30_000);

    const reminders = async () =>
      (await fx.allPosts()).filter(
        (e) => e.reply.title?.startsWith('Reminder') && e.reply.sections?.[0]?.title === '#1 Call about the outage',
      );
    await eventually(
      `the reminder posted after the outage (${Math.round(outageMs / 1000)} s); the worker printed:\n${worker.output()}`,
      async () => (await reminders()).length > 0,
      90_000,
    );
    // Two more reconcile runs (every 5 s) must not post it again.
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await reminders()).toHaveLength(1);
    expect(await fx.db.prisma.delivery.count({ where: { key: remindJob, status: 'sent' } })).toBe(1);
    expect(worker.child.exitCode).toBe(null);
    worker.child.kill('SIGTERM');
    expect([0, null]).toContain(await worker.exited);
  }, 400_000);
});
