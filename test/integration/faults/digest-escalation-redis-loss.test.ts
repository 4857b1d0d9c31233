import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { createLogger } from '../../../src/logger.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import type { ConsoleFeedEntry } from '../../../connectors/console/console-feed.ts';
import { ConnectorRegistry } from '../../../connectors/connector-registry.ts';
import { SharedConsoleConnector } from '../../../connectors/console/shared-console.connector.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { ActiveClassifier } from '../../../jobs/active-classifier.ts';
import { TargetRateLimiter } from '../../../jobs/target-rate-limiter.ts';
import { escalateOverdue } from '../../../jobs/escalate-overdue.job.ts';
import { localDay } from '../../../jobs/daily-digest.job.ts';
import type { EscalateOverdueData } from '../../../jobs/job-data.ts';
import type { PipelineDeps } from '../../../jobs/pipeline-deps.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

/**
 * Redis down (and back empty: no persistence) across a channel's digest time, with an escalation
 * committed whose delivery job only Redis knew of. A real worker process, paused (SIGSTOP) while that
 * happens so that nothing of it runs in between, on its own reconcile after the loss (its periodic one
 * is an hour away): the day's digest must be posted once (a scheduler armed again arms only the next
 * occurrence: tomorrow's), and the escalation must be posted (the follow-up counts as escalated, so the
 * reconciler arms nothing for it; only a Delivery row written with the escalation brings it back).
 */
let port: number;
let redis: PrivateRedis;
let dir: string;
let scratch: { url: string; drop(): Promise<void> };
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let feed: SharedConsoleConnector;
let worker: SpawnedRapport | undefined;
const seen = new Map<string, ConsoleFeedEntry>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-digest-loss-'));
  port = await freePort();
  redis = await startPrivateRedis(dir, { port });
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  client = connectRedis(redis.url);
  client.on('error', () => {});
  queues = createQueues(client, '{rapport}');
  for (const q of Object.values(queues)) q.on('error', () => {}); // reconnects on its own while Redis restarts
  feed = new SharedConsoleConnector(client, '{rapport}', 1_000);
  await feed.follow();
  feed.subscribe((e) => {
    if (e.type === 'post') seen.set(e.entry.externalId, e.entry);
  });
});
afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGCONT');
    worker.child.kill('SIGKILL');
  }
  await feed.stop();
  await closeQueues(queues);
  client.disconnect();
  await db.close();
  await scratch.drop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every post seen live, plus what the feed holds in Redis now (posts made while this test's subscriber reconnected). */
async function allPosts(): Promise<ConsoleFeedEntry[]> {
  const raw = await client.hvals('{rapport}:console:{feed}:entries').catch(() => [] as string[]);
  const byId = new Map(seen);
  for (const r of raw) {
    const e = JSON.parse(r) as ConsoleFeedEntry;
    if (!byId.has(e.externalId)) byId.set(e.externalId, e);
  }
  return [...byId.values()];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis lost across the digest time, with an escalation only Redis knew to post', () => {
  it("posts the day's digest once and the escalation once after the loss", async () => {
    const httpPort = await freePort();
    worker = spawnRapport(['start'], {
      RAPPORT_ROLE: 'worker',
      DATABASE_URL: scratch.url,
      REDIS_URL: redis.url,
      PORT: String(httpPort),
      RAPPORT_DATA_DIR: dir,
      RAPPORT_REDIS_CHECK_SECONDS: '1',
      // The periodic reconcile must not be what saves the day: it is an hour away.
      RAPPORT_RECONCILE_SECONDS: '3600',
      LOG_LEVEL: 'warn',
    });
    const w = worker;
    await waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000, w);

    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const acme = await createCustomer(db.prisma, 'Acme', audit);
    const hooks = bullmqPipelineHooks(db, client, queues);
    const dueAt = new Date(Date.now() + 1_000);
    const f = await createFollowUp(
      db,
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
      (await allPosts()).filter(
        (e) => e.reply.title?.startsWith(heading) && e.reply.text?.includes('Send the contract'),
      );
    await eventually('the reminder', async () => (await cardsOf('Reminder')).length === 1, 60_000);

    // Acme's team channel gets its digest at the coming full minute (UTC), at least 15 s away; it had one
    // yesterday (the deployment has been running). The worker's reconcile arms its scheduler.
    const digestAt = new Date(Math.ceil((Date.now() + 15_000) / 60_000) * 60_000);
    const hhmm = digestAt.toISOString().slice(11, 16);
    const target = 'console:acme-team';
    await db.prisma.teamChannel.create({ data: { companyId: acme.id, platform: 'console', channelRef: 'acme-team' } });
    await db.prisma.channelLink.create({
      data: { platform: 'console', channelRef: 'acme-team', digestTime: hhmm, timezone: 'UTC' },
    });
    const yesterday = new Date(Date.now() - 86_400_000);
    await db.prisma.delivery.create({
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
    const reconcile = await queues[QueueName.ReconcileSchedules].add('reconcile', {});
    await eventually(
      'the reconcile that arms the digest',
      async () => (await reconcile.getState()) === 'completed',
      60_000,
    );
    const scheduler = await queues[QueueName.DailyDigest].getJobScheduler('digest-console.acme-team');
    expect(scheduler?.next).toBe(digestAt.getTime());

    // The worker pauses; meanwhile the follow-up is escalated (a job run here, with the worker's code):
    // escalatedAt commits and its delivery job waits in Redis.
    w.child.kill('SIGSTOP');
    try {
      const deps: PipelineDeps = {
        db,
        redis: client,
        queues,
        registry: new ConnectorRegistry(),
        limiter: new TargetRateLimiter(client, '{rapport}:rapport'),
        classifier: new ActiveClassifier(db, createLogger('silent')),
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
      expect(await queues[QueueName.DeliverMessage].getJobState(`escalation-${f.id}-${dueAt.getTime()}`)).toBe(
        'waiting',
      );
      // Redis goes down before the digest time and comes back empty (no persistence) after it.
      expect(Date.now()).toBeLessThan(digestAt.getTime() - 2_000);
      await redis.stop();
      await sleep(Math.max(0, digestAt.getTime() + 3_000 - Date.now()));
      redis = await startPrivateRedis(dir, { port });
      await eventually(
        'the clients to reconnect',
        async () => (await client.ping().catch(() => '')) === 'PONG',
        20_000,
      );
    } finally {
      w.child.kill('SIGCONT');
    }

    const digests = async (to: string) =>
      (await allPosts()).filter((e) => e.reply.title === 'Daily digest' && e.target === to);
    await eventually("the day's digest after the loss", async () => (await digests(target)).length > 0, 120_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}; the worker printed:\n${w.output()}`);
      },
    );
    await eventually('the escalation after the loss', async () => (await cardsOf('Overdue')).length > 0, 60_000);

    // Another reconcile (and the scheduler's own next run is tomorrow): nothing is posted twice.
    const again = await queues[QueueName.ReconcileSchedules].add('reconcile', {});
    await eventually('another reconcile', async () => (await again.getState()) === 'completed', 60_000);
    await sleep(3_000);
    expect(await digests(target)).toHaveLength(1);
    expect(await cardsOf('Overdue')).toHaveLength(1);
    expect(await cardsOf('Reminder')).toHaveLength(1);
    // The default channel never had a digest: none is made up for it at this hour.
    expect(await digests('console:team')).toHaveLength(0);
    expect(
      await db.prisma.delivery.count({ where: { key: `digest-console.acme-team-${localDay(digestAt, 'UTC')}` } }),
    ).toBe(1);
    expect(w.child.exitCode).toBe(null);
    w.child.kill('SIGTERM');
    expect([0, null]).toContain(await w.exited);
  }, 400_000);
});
