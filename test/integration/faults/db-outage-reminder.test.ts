import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import type { ConsoleFeedEntry } from '../../../connectors/console/console-feed.ts';
import { SharedConsoleConnector } from '../../../connectors/console/shared-console.connector.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { reminderJobId } from '../../../jobs/reminder-schedule.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

/**
 * PostgreSQL away for longer than a job's retries (6 attempts, 1+2+4+8+16 s): a reminder falling due
 * meanwhile fails at its first read and ends in BullMQ's failed set, kept a week under its id. A real
 * worker process whose database connections go through a proxy the test cuts; the test's own
 * connection (the "other side" writing the follow-up) goes straight to PostgreSQL. Once the database is
 * back, the worker's own periodic reconcile (RAPPORT_RECONCILE_SECONDS=5) must post the reminder: a
 * plain add of the kept failed job's id was a no-op, and the reminder was never posted.
 */
let redis: PrivateRedis;
let dir: string;
let scratch: { url: string; drop(): Promise<void> };
let proxy: TcpProxy;
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let feed: SharedConsoleConnector;
let worker: SpawnedRapport | undefined;
const seen = new Map<string, ConsoleFeedEntry>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-db-outage-'));
  redis = await startPrivateRedis(dir, { port: await freePort() });
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  const pgUrl = new URL(scratch.url);
  proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  client = connectRedis(redis.url);
  client.on('error', () => {});
  queues = createQueues(client, '{rapport}');
  feed = new SharedConsoleConnector(client, '{rapport}', 1_000);
  await feed.follow();
  feed.subscribe((e) => {
    if (e.type === 'post') seen.set(e.entry.externalId, e.entry);
  });
});
afterAll(async () => {
  if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await feed.stop();
  await closeQueues(queues);
  client.disconnect();
  await db.close();
  await proxy.close();
  await scratch.drop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every post seen live, plus what the feed holds in Redis now. */
async function allPosts(): Promise<ConsoleFeedEntry[]> {
  const raw = await client.hvals('{rapport}:console:{feed}:entries');
  const byId = new Map(seen);
  for (const r of raw) {
    const e = JSON.parse(r) as ConsoleFeedEntry;
    if (!byId.has(e.externalId)) byId.set(e.externalId, e);
  }
  return [...byId.values()];
}

describe('PostgreSQL away for longer than a reminder job retries', () => {
  it('the reminder is posted once after the database is back', async () => {
    const proxied = new URL(scratch.url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const httpPort = await freePort();
    worker = spawnRapport(['start'], {
      RAPPORT_ROLE: 'worker',
      DATABASE_URL: proxied.toString(),
      REDIS_URL: redis.url,
      PORT: String(httpPort),
      RAPPORT_DATA_DIR: dir,
      RAPPORT_RECONCILE_SECONDS: '5',
      LOG_LEVEL: 'warn',
    });
    await waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 180_000, worker);

    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const umbrella = await createCustomer(db.prisma, 'Umbrella', audit);
    const hooks = bullmqPipelineHooks(db, client, queues);
    const dueAt = new Date(Date.now() + 6_000);
    const f = await createFollowUp(
      db,
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
    expect(await queues[QueueName.FollowUpReminder].getJobState(remindJob)).toBe('delayed');

    // The database goes away a little before the due time and stays away until the reminder job has
    // used up all its attempts (about 31 s of backoff after the due time).
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt.getTime() - 2_000 - Date.now())));
    proxy.down();
    const cutAt = Date.now();
    await eventually(
      'the reminder job to give up',
      async () => (await queues[QueueName.FollowUpReminder].getJobState(remindJob)) === 'failed',
      120_000,
    );
    const job = await queues[QueueName.FollowUpReminder].getJob(remindJob);
    expect(job?.attemptsMade).toBe(6);
    expect(await db.prisma.delivery.count()).toBe(0);
    proxy.up();
    const outageMs = Date.now() - cutAt;
    expect(outageMs).toBeGreaterThan(30_000);

    const reminders = async () =>
      (await allPosts()).filter(
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
    expect(await db.prisma.delivery.count({ where: { key: remindJob, status: 'sent' } })).toBe(1);
    expect(worker.child.exitCode).toBe(null);
    worker.child.kill('SIGTERM');
    expect([0, null]).toContain(await worker.exited);
  }, 400_000);
});
