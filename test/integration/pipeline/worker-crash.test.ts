import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../../src/redis/private-redis-server.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { SharedConsoleConnector } from '../../../connectors/console/shared-console.connector.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { jobId } from '../../../jobs/job-ids.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

// Real worker processes (`rapport start` with RAPPORT_ROLE=worker) on PostgreSQL and a private Redis.
let redis: PrivateRedis;
let dir: string;
let scratch: { url: string; drop(): Promise<void> };
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let feed: SharedConsoleConnector;
const workers: SpawnedRapport[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-crash-'));
  redis = await startPrivateRedis(dir);
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  client = connectRedis(redis.url);
  queues = createQueues(client, '{rapport}');
  feed = new SharedConsoleConnector(client, '{rapport}');
  await feed.follow();
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await feed.stop();
  await closeQueues(queues);
  await client.quit();
  await db.close();
  await scratch.drop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(): Promise<{ proc: SpawnedRapport; port: number }> {
  const port = await freePort();
  const proc = spawnRapport(['start'], {
    RAPPORT_ROLE: 'worker',
    DATABASE_URL: scratch.url,
    REDIS_URL: redis.url,
    PORT: String(port),
    RAPPORT_DATA_DIR: dir,
    RAPPORT_JOB_LOCK_MS: '2000',
    RAPPORT_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  });
  workers.push(proc);
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000, proc);
  return { proc, port };
}

const suggestions = () => feed.feed().filter((e) => e.reply.title?.startsWith('Suggested'));

/** Until a worker's statement waits on the Classification table a test holds locked. */
function classificationLockWaited(): Promise<unknown> {
  return eventually(
    "the worker's query to wait on the Classification table",
    async () => {
      const [row] = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE NOT l.granted AND c.relname = 'Classification'`,
      );
      return row.n >= 1;
    },
    10_000,
  );
}

/**
 * Holds the Classification table locked while `start` gets a job of `worker` going, so that the job
 * blocks half-way after the worker took it from the queue; SIGKILLs the worker once its statement waits
 * on the lock (asked of pg_locks: pg_stat_activity cuts a long query's text at 1 kB, before the table
 * name). The lock is released whatever happened, or every later test on this database would wait on it.
 */
async function killWhileClassifying(
  worker: Awaited<ReturnType<typeof startWorker>>,
  start: () => Promise<void>,
): Promise<void> {
  const blocker = new pg.Client({ connectionString: scratch.url });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE "Classification" IN ACCESS EXCLUSIVE MODE');
  try {
    await start();
    await classificationLockWaited();
    worker.proc.child.kill('SIGKILL');
    await worker.proc.exited;
  } finally {
    await blocker.query('ROLLBACK');
    await blocker.end();
  }
}

describe('worker processes', () => {
  it('a worker killed with SIGKILL in the middle of a job: the job is retried after the stall interval and its effect happens once', async () => {
    const first = await startWorker();
    const hooks = bullmqPipelineHooks(db, client, queues);
    const ctx = {
      actor: { platform: 'console' as const, platformUserId: 'jo', displayName: 'jo', timezone: 'UTC' },
      channel: { platform: 'console' as const, channelRef: 'team', target: 'console:team' },
      now: new Date(),
      requestKey: 'crash-1',
    };
    await killWhileClassifying(first, async () => {
      await executeCommand(
        'log acme "Our invoices are wrong again and nobody answers, this is unacceptable" --new',
        ctx,
        { db, hooks },
      );
      await eventually(
        'the classify job to be active',
        async () => (await queues[QueueName.ClassifyCommunication].getActiveCount()) === 1,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 300));
    });
    // Counted for this test's customer only: the tests run in any order and others classify too.
    const message = await db.prisma.message.findFirstOrThrow({
      where: { record: { company: { name: { equals: 'acme', mode: 'insensitive' } } } },
    });
    const classified = () => db.prisma.classification.count({ where: { messageId: message.id } });
    // The card names its customer in its title; other tests' cards may quote "acme" in their text.
    const acmeSuggestions = () =>
      suggestions().filter((e) => e.reply.title?.toLowerCase() === 'suggested follow-up for acme');
    expect(await classified()).toBe(0);

    const second = await startWorker();
    await eventually('the suggestion after the retry', async () => acmeSuggestions().length === 1, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await classified()).toBe(1);
    expect(await db.prisma.followUp.count({ where: { status: 'suggested', recordId: message.recordId } })).toBe(1);
    expect(acmeSuggestions().length).toBe(1);
    const job = await queues[QueueName.ClassifyCommunication].getJob(jobId('classify', message.id));
    if (!job) throw new Error('the classify job is gone');
    // With a 2 s lock on a busy machine the retried job can itself be taken for stalled and run once
    // more; the second run then finds the classification: what matters is that the effect is single.
    expect(job.returnvalue.label).toBe('issue');
    expect(['classified', 'already-classified']).toContain(job.returnvalue.status);

    const metrics = await (await fetch(`http://127.0.0.1:${second.port}/metrics`)).text();
    expect(metrics).toMatch(/rapport_queue_jobs\{queue="classify-communication",state="active",role="worker"\} 0/);
    second.proc.child.kill('SIGTERM');
    expect(await second.proc.exited).toBe(0);
  });

  it('two worker processes never double-post: 120 reminders due together are each posted exactly once', async () => {
    await Promise.all([startWorker(), startWorker()]);
    const hooks = bullmqPipelineHooks(db, client, queues);
    const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
    const rep = await findOrCreateRep(db.prisma, actor);
    const audit = { repId: rep.id, platform: 'console' };
    const company = await createCustomer(db.prisma, 'Umbrella', audit);
    const due = new Date(Date.now() + 3_000);
    for (let i = 0; i < 120; i++) {
      const f = await createFollowUp(
        db,
        {
          companyId: company.id,
          title: `Call ${i}`,
          dueAt: due,
          assigneeRepId: rep.id,
          actor: audit,
          fallbackRemindTarget: 'console:team',
        },
        hooks,
      );
      if (i % 3 === 0) await hooks.followUpChanged(f.id); // duplicate schedule requests are no-ops
    }
    // Every message posted for Umbrella: on a busy machine the loop above can outlast the first due
    // times, and a follow-up changed after its reminder was posted gets that message refreshed in
    // place (the same entry in the feed), which is not a second post.
    const reminders = () => feed.feed().filter((e) => e.reply.fields?.[0]?.value === 'Umbrella');
    await eventually('120 reminders', async () => reminders().length >= 120, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const titles = reminders().map((e) => e.reply.sections?.[0]?.title);
    expect(titles.length).toBe(120);
    expect(new Set(titles).size).toBe(120);
    expect(await db.prisma.delivery.count({ where: { key: { startsWith: 'reminder-' }, status: 'sent' } })).toBe(120);
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
    for (const w of workers) expect([0, null]).toContain(await w.exited);
  });

  it("a worker killed with SIGKILL in the middle of a commit's batch job: another worker redoes it, each message classified once", async () => {
    const first = await startWorker();
    // Logged without queuing, then told as one commit (an IMAP batch's recordsLogged): one batch job.
    const quiet = { recordLogged: async () => {}, followUpChanged: async () => {} };
    const texts = [
      'The export is broken again and our finance team is stuck, please fix it today',
      'Can you send us a quote for 40 more seats by Friday?',
      'We are thinking about cancelling, the last three releases broke our reports',
      'Thanks for the onboarding call, the team enjoyed it',
      'Our invoices are wrong again and nobody answers, this is unacceptable',
    ];
    const logged: Array<{ recordId: string; messageId: string }> = [];
    for (const [i, text] of texts.entries()) {
      await executeCommand(
        `log batch-customer-${i} "${text}" --new`,
        {
          actor: { platform: 'console' as const, platformUserId: 'jo', displayName: 'jo', timezone: 'UTC' },
          channel: { platform: 'console' as const, channelRef: 'team', target: 'console:team' },
          now: new Date(),
          requestKey: `batch-crash-${i}`,
        },
        { db, hooks: quiet },
      );
    }
    for (const m of await db.prisma.message.findMany({
      where: { record: { company: { name: { startsWith: 'batch-customer-' } } } },
      orderBy: { createdAt: 'asc' },
    }))
      logged.push({ recordId: m.recordId, messageId: m.id });
    expect(logged).toHaveLength(5);
    const classified = () =>
      db.prisma.classification.count({ where: { messageId: { in: logged.map((l) => l.messageId) } } });
    await killWhileClassifying(first, async () => {
      await bullmqPipelineHooks(db, client, queues).recordsLogged!(logged);
      const queue = queues[QueueName.ClassifyCommunication];
      await eventually(
        'the batch job to be active',
        async () => (await queue.getActive()).some((j) => j.name === 'classify-batch'),
        20_000,
      );
    });
    expect(await classified()).toBe(0);

    const second = await startWorker();
    await eventually('all five classified after the retry', async () => (await classified()) === 5, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await classified()).toBe(5);
    // One suggestion at most per conversation, each posted once.
    const records = logged.map((l) => l.recordId);
    const suggested = await db.prisma.followUp.findMany({ where: { recordId: { in: records }, source: 'suggested' } });
    expect(new Set(suggested.map((f) => f.recordId)).size).toBe(suggested.length);
    expect(suggested.length).toBeGreaterThanOrEqual(3);
    await eventually(
      'every suggestion posted',
      async () =>
        (await db.prisma.delivery.count({
          where: { key: { in: suggested.map((f) => jobId('suggestion', f.id)) }, status: 'sent' },
        })) === suggested.length,
      30_000,
    );
    const [job] = (await queues[QueueName.ClassifyCommunication].getCompleted()).filter(
      (j) => j.name === 'classify-batch',
    );
    // A retried job can itself be taken for stalled and run once more: the second run finds the classifications.
    const counts = job.returnvalue.outcomes as Record<string, number>;
    expect((counts.classified ?? 0) + (counts['already-classified'] ?? 0)).toBe(5);
    expect(job.returnvalue.requeued).toBe(0);
    second.proc.child.kill('SIGTERM');
    expect(await second.proc.exited).toBe(0);
  });
});
