import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { logCommunication } from '../../../src/services/log-communication.service.ts';
import type { ConsoleFeedEntry } from '../../../connectors/console/console-feed.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { startRedisCutProxy, type RedisCutProxy } from '../../helpers/redis-cut-proxy.ts';

// The reconciler's re-arm after a Redis loss, where it used to be lost for good: a re-arm that failed
// after its claim (every later look found the prefix "ours" and never armed again), and a process
// starting on an emptied Redis (it armed the schedule but queued no reconcile of everything).
// Real worker processes, a private Redis, FLUSHALL; in the first test a proxy plays a failover.
let dir: string;
let redis: PrivateRedis;
let scratch: { url: string; drop(): Promise<void> };
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let proxy: RedisCutProxy | undefined;
const procs: SpawnedRapport[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-rearm-'));
  redis = await startPrivateRedis(dir);
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  client = connectRedis(redis.url);
  client.on('error', () => {});
  queues = createQueues(client, '{rapport}');
  for (const q of Object.values(queues)) q.on('error', () => {});
});
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await proxy?.close();
  proxy = undefined;
  await closeQueues(queues);
  client.disconnect();
  await db.close();
  await scratch.drop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(redisUrl: string, checkSeconds: number): Promise<SpawnedRapport> {
  const httpPort = await freePort();
  const proc = spawnRapport(['start'], {
    RAPPORT_ROLE: 'worker',
    DATABASE_URL: scratch.url,
    REDIS_URL: redisUrl,
    PORT: String(httpPort),
    RAPPORT_DATA_DIR: dir,
    RAPPORT_REDIS_CHECK_SECONDS: String(checkSeconds),
    // The periodic reconcile must not be what saves the day: it is an hour away.
    RAPPORT_RECONCILE_SECONDS: '3600',
    LOG_LEVEL: 'warn',
  });
  procs.push(proc);
  await waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000, proc); // a loaded 2-core machine takes its time
  return proc;
}

/** A wait that, when it times out, says what the process printed (LOG_LEVEL=warn: the keeper's warnings). */
const waitFor = <T>(proc: SpawnedRapport, what: string, check: () => Promise<T | undefined | null | false>) =>
  eventually(what, check, 120_000).catch((err: Error) => {
    throw new Error(`${err.message}; the process printed:\n${proc.output()}`);
  });

/** The follow-ups reminded of on the console (the shared console feed, in Redis): "#<number> <title>". */
async function reminderTitles(): Promise<string[]> {
  const raw = await client.hvals('{rapport}:console:{feed}:entries').catch(() => [] as string[]);
  return raw
    .map((r) => JSON.parse(r) as ConsoleFeedEntry)
    .filter((e) => e.reply.title?.startsWith('Reminder'))
    .map((e) => e.reply.sections?.[0]?.title ?? '');
}

async function afterLossReconciles(): Promise<number> {
  const jobs = await queues[QueueName.ReconcileSchedules].getJobs([
    'completed',
    'active',
    'waiting',
    'delayed',
    'prioritized',
  ]);
  return jobs.filter((j) => j?.data?.afterLoss === true).length;
}

/** A follow-up due in a few seconds: its reminder job is queued now, in the Redis about to lose it. */
async function followUpDueSoon(title: string) {
  const hooks = bullmqPipelineHooks(db, client, queues);
  const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
  const rep = await findOrCreateRep(db.prisma, actor);
  const audit = { repId: rep.id, platform: 'console' };
  const company = await createCustomer(db.prisma, `Umbrella ${title}`, audit);
  await createFollowUp(
    db,
    {
      companyId: company.id,
      title,
      dueAt: new Date(Date.now() + 3_000),
      assigneeRepId: rep.id,
      actor: audit,
      fallbackRemindTarget: 'console:team',
    },
    hooks,
  );
  return { hooks, rep, audit, company };
}

// The prefix claim: the LOOK script's EVAL with its last argument, "claim a free prefix", set to 1.
const CLAIM = /rapport:install\r\n\$36\r\n[0-9a-f-]{36}\r\n\$\d+\r\n\d+\r\n\$1\r\n1\r\n/;

describe('the reconciler re-armed after a Redis loss', () => {
  it('a re-arm cut after its claim (a blip during a failover) is done again by a later look: the schedule comes back and the lost reminder is posted', async () => {
    proxy = await startRedisCutProxy({ port: Number(new URL(redis.url).port) });
    const worker = await startWorker(proxy.url, 1);
    await followUpDueSoon('Call after the blip');
    // The worker's next look finds the prefix lost and claims it; right after Redis answers the claim, a
    // failover: its next commands are answered READONLY for a second, then every connection is cut and
    // refused for 8 s. The re-arm that follows the claim fails.
    proxy.cutAfter(CLAIM, 8_000);
    await client.flushall();
    await waitFor(worker, 'the cut after the claim', async () => proxy!.isCut());
    await waitFor(
      worker,
      'the prefix claimed again',
      async () => (await client.get('{rapport}:rapport:install')) !== null,
    );
    await waitFor(
      worker,
      'the reconcile schedule back',
      async () => (await queues[QueueName.ReconcileSchedules].getJobScheduler('reconcile')) !== undefined,
    );
    await waitFor(worker, 'the after-loss reconcile', async () => (await afterLossReconciles()) > 0);
    await waitFor(worker, 'the lost reminder posted', async () =>
      (await reminderTitles()).some((t) => t.endsWith(' Call after the blip')),
    );
    // The failover failed the first re-arm (a later look did it again), or, when the loaded worker sent
    // the re-arm only once the connections were cut, ioredis sent it again after the reconnect and it went
    // through (CI 2026-12-07: "re-armed" logged, no failed look). Either way the worker lived through it.
    // (Its exit code on SIGTERM is not asserted: on a loaded machine the jobs caught in the failover can
    // outlast the 10 s shutdown bound.)
    expect(worker.output()).toMatch(
      /could not check the Redis key prefix; will look again|Redis lost its data; the reconciler is re-armed/,
    );
    expect(worker.child.exitCode).toBeNull();
  }, 400_000);

  it('a process starting on an emptied Redis queues the after-loss reconcile; the first start of a new deployment does not', async () => {
    // The deployment's first start: an empty Redis is no loss (no warning, no reconcile of everything).
    const first = await startWorker(redis.url, 3600);
    expect(await afterLossReconciles()).toBe(0);
    expect(first.output()).not.toMatch(/lost its data/);
    // Stopped (its startup work may outlast the 10 s shutdown bound on a loaded machine: no exit code asserted).
    first.child.kill('SIGTERM');
    await first.exited;

    // The database holds a reminder and a message just logged (young: a plain reconcile leaves a
    // message alone for a minute) whose jobs Redis then loses; the next process starts right after.
    const { hooks, rep, audit, company } = await followUpDueSoon('Call after the restart');
    await logCommunication(
      db,
      {
        companyId: company.id,
        text: 'Our invoices are wrong again and nobody answers, this is unacceptable',
        occurredAt: new Date(),
        sourceKey: 'rearm-1',
        repId: rep.id,
        repName: rep.name,
        actor: audit,
      },
      hooks,
    );
    await client.flushall();
    // A look of its own is an hour away: what it does at start is all that can save the day.
    const next = await startWorker(redis.url, 3600);
    await waitFor(next, 'the after-loss reconcile', async () => (await afterLossReconciles()) > 0);
    expect(next.output()).toMatch(/lost its data/);
    await waitFor(next, 'the lost reminder posted', async () =>
      (await reminderTitles()).some((t) => t.endsWith(' Call after the restart')),
    );
    await waitFor(next, 'the message classified', async () => (await db.prisma.classification.count()) === 1);
  }, 600_000);
});
