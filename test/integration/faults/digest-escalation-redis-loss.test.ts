import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { workerFaultFixture } from '../../helpers/worker-faults.ts';
import { startPrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { createLogger } from '../../../src/logger.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { ConnectorRegistry } from '../../../connectors/connector-registry.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { ActiveClassifier } from '../../../jobs/active-classifier.ts';
import { TargetRateLimiter } from '../../../jobs/target-rate-limiter.ts';
import { escalateOverdue } from '../../../jobs/escalate-overdue.job.ts';
import { localDay } from '../../../jobs/daily-digest.job.ts';
import type { EscalateOverdueData } from '../../../jobs/job-data.ts';
import type { PipelineDeps } from '../../../jobs/pipeline-deps.ts';
import { freePort, spawnRapport, waitForHttp } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

const fx = workerFaultFixture('digest-loss');

/**
 * Redis down (and back empty: no persistence) across a channel's digest time, with an escalation
 * committed whose delivery job only Redis knew of. A real worker process, paused (SIGSTOP) while that
 * happens so that nothing of it runs in between, on its own reconcile after the loss (its periodic one
 * is an hour away): the day's digest must be posted once (a scheduler armed again arms only the next
 * occurrence: tomorrow's), and the escalation must be posted (the follow-up counts as escalated, so the
 * reconciler arms nothing for it; only a Delivery row written with the escalation brings it back).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis lost across the digest time, with an escalation only Redis knew to post', () => {
  it("posts the day's digest once and the escalation once after the loss", async () => {
    const httpPort = await freePort();
    const w = spawnRapport(['start'], {
      RAPPORT_ROLE: 'worker',
      DATABASE_URL: fx.scratch.url,
      REDIS_URL: fx.redis.url,
      PORT: String(httpPort),
      RAPPORT_DATA_DIR: fx.dir,
      RAPPORT_REDIS_CHECK_SECONDS: '1',
      // The periodic reconcile must not be what saves the day: it is an hour away.
      RAPPORT_RECONCILE_SECONDS: '3600',
      LOG_LEVEL: 'warn',
    });
    fx.workers.push(w);
    await waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000, w);

    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(fx.db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const acme = await createCustomer(fx.db.prisma, 'Acme', audit);
    const hooks = bullmqPipelineHooks(fx.db, fx.client, fx.queues);
    const dueAt = new Date(Date.now() + 1_000);
    const f = await createFollowUp(
      fx.db,
      {
        companyId: acme.id,
        title: 'Send the contract',
        dueAt,
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: 'console:team',
      },
      hooks,
    );
    const cardsOf = async (heading: string) =>
      (await fx.allPosts()).filter(
        (e) => e.reply.title?.startsWith(heading) && e.reply.text?.includes('Send the contract'),
      );
    await eventually('the reminder', async () => (await cardsOf('Reminder')).length === 1, 60_000);

    // Acme's team channel gets its digest at the coming full minute (UTC), at least 15 s away; it had one
    // yesterday (the deployment has been running). The worker's reconcile arms its scheduler.
    const digestAt = new Date(Math.ceil((Date.now() + 15_000) / 60_000) * 60_000);
    const hhmm = digestAt.toISOString().slice(11, 16);
    const target = 'console:acme-team';
    await fx.db.prisma.teamChannel.create({
      data: { companyId: acme.id, platform: 'console', channelRef: 'acme-team' },
    });
    await fx.db.prisma.channelLink.create({
      data: { platform: 'console', channelRef: 'acme-team', digestTime: hhmm, timezone: 'UTC' },
    });
    const yesterday = new Date(Date.now() - 86_400_000);
    await fx.db.prisma.delivery.create({
      data: {
        key: `digest-console.acme-team-${localDay(digestAt, 'UTC', -1)}`,
        target,
        status: 'sent',
        attempts: 1,
        externalId: 'yesterday',
        createdAt: yesterday,
        updatedAt: yesterday,
      },
    });
    const reconcile = await fx.queues[QueueName.ReconcileSchedules].add('reconcile', {});
    await eventually(
      'the reconcile that arms the digest',
      async () => (await reconcile.getState()) === 'completed',
      60_000,
    );
    const scheduler = await fx.queues[QueueName.DailyDigest].getJobScheduler('digest-console.acme-team');
    expect(scheduler?.next).toBe(digestAt.getTime());

    // The worker pauses; meanwhile the follow-up is escalated (a job run here, with the worker's code):
    // escalatedAt commits and its delivery job waits in Redis.
    w.child.kill('SIGSTOP');
    try {
      const deps: PipelineDeps = {
        db: fx.db,
        redis: fx.client,
        queues: fx.queues,
        registry: new ConnectorRegistry(),
        limiter: new TargetRateLimiter(fx.client, '{rapport}:rapport'),
        classifier: new ActiveClassifier(fx.db, createLogger('silent')),
        settings: {
          timezone: 'UTC',
          defaultTarget: 'console:team',
          escalateAfterMs: 0,
          digestTime: '09:00',
          retrainCron: '0 3 * * *',
        },
        logger: createLogger('silent'),
      };
      const data: EscalateOverdueData = { followUpId: f.id, dueEpochMs: dueAt.getTime() };
      expect(await escalateOverdue({ data } as Job<EscalateOverdueData>, deps)).toEqual({ status: 'escalated' });
      expect(await fx.queues[QueueName.DeliverMessage].getJobState(`escalation-${f.id}-${dueAt.getTime()}`)).toBe(
        'waiting',
      );
      // Redis goes down before the digest time and comes back empty (no persistence) after it.
      expect(Date.now()).toBeLessThan(digestAt.getTime() - 2_000);
      await fx.redis.stop();
      await sleep(Math.max(0, digestAt.getTime() + 3_000 - Date.now()));
      fx.redis = await startPrivateRedis(fx.dir, { port: fx.port });
      await eventually(
        'the clients to reconnect',
        async () => (await fx.client.ping().catch(() => '')) === 'PONG',
        20_000,
      );
    } finally {
      w.child.kill('SIGCONT');
    }

    const digests = async (to: string) =>
      (await fx.allPosts()).filter((e) => e.reply.title === 'Daily digest' && e.target === to);
    await eventually("the day's digest after the loss", async () => (await digests(target)).length > 0, 120_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}; the worker printed:\n${w.output()}`);
      },
    );
    await eventually('the escalation after the loss', async () => (await cardsOf('Overdue')).length > 0, 60_000);

    // Another reconcile (and the scheduler's own next run is tomorrow): nothing is posted twice.
    const again = await fx.queues[QueueName.ReconcileSchedules].add('reconcile', {});
    await eventually('another reconcile', async () => (await again.getState()) === 'completed', 60_000);
    await sleep(3_000);
    expect(await digests(target)).toHaveLength(1);
    expect(await cardsOf('Overdue')).toHaveLength(1);
    expect(await cardsOf('Reminder')).toHaveLength(1);
    // The default channel never had a digest: none is made up for it at this hour.
    expect(await digests('console:team')).toHaveLength(0);
    expect(
      await fx.db.prisma.delivery.count({ where: { key: `digest-console.acme-team-${localDay(digestAt, 'UTC')}` } }),
    ).toBe(1);
    expect(w.child.exitCode).toBe(null);
    w.child.kill('SIGTERM');
    expect([0, null]).toContain(await w.exited);
  }, 400_000);
});
