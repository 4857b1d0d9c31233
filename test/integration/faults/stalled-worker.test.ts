import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import type { Database } from '../../../src/db/database.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { freePort, spawnRapport, waitForHttp, type SpawnedRapport } from '../../helpers/spawn-rapport.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

// Issue 15 item 6: a worker that stalls longer than its job lock (here: SIGSTOP) while it holds a
// delivery. BullMQ gives the job to another worker, which posts; the stalled worker's row was never
// marked sent by it, so only the delivery's lease keeps it from posting a second time (it does not ask
// Teams: this worker runs without Graph). A worker that dies after Teams accepted its post is
// teams-lost-post.test.ts.
const prefix = `{rapport-stall-${randomBytes(4).toString('hex')}}`;
const conversation = '19:stall@thread.tacv2';
let dir: string;
let scratch: { url: string; drop(): Promise<void> };
let db: Database;
let client: ReturnType<typeof connectRedis>;
let queues: PipelineQueues;
let recorder: TeamsRecorder;
const procs: SpawnedRapport[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-stall-'));
  scratch = await createScratchPostgres();
  db = await openDatabase({ databaseUrl: scratch.url });
  client = connectRedis('redis://127.0.0.1:6379');
  queues = createQueues(client, prefix);
  recorder = await new TeamsRecorder().start();
});
afterAll(async () => {
  for (const p of procs) {
    if (p.child.exitCode === null) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
    }
  }
  await closeQueues(queues);
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
  await db.close();
  await scratch.drop();
  await recorder.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(): Promise<SpawnedRapport> {
  const port = await freePort();
  const proc = spawnRapport(['start'], {
    RAPPORT_ROLE: 'worker',
    DATABASE_URL: scratch.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    RAPPORT_QUEUE_PREFIX: prefix,
    TEAMS_ENABLED: 'true',
    PORT: String(port),
    RAPPORT_DATA_DIR: dir,
    RAPPORT_JOB_LOCK_MS: '2000',
    RAPPORT_STALLED_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  });
  procs.push(proc);
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, 180_000, proc); // a loaded 2-core machine takes its time
  return proc;
}

describe('a worker stalled past its lock while posting to Teams', () => {
  it('SIGSTOPped after claiming the delivery and continued after another worker posted: one post', async () => {
    await db.prisma.channelLink.create({
      data: {
        platform: 'teams',
        channelRef: conversation,
        conversationRef: {
          serviceUrl: recorder.url,
          channelId: 'msteams',
          conversation: { id: conversation, tenantId: 'tenant-1' },
        },
      },
    });
    // Only our own people in the conversation: the last-step guard lets the card through.
    recorder.setMembers(conversation, [
      { id: '29:jo', name: 'Jo', aadObjectId: 'aad-jo', tenantId: 'tenant-1', userRole: 'user' },
    ]);
    const stalled = await startWorker();
    const actor = { platform: 'teams' as const, platformUserId: 'aad-jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(db.prisma, actor);
    const audit = { repId: rep.id, platform: 'teams' };
    const company = await createCustomer(db.prisma, 'Stark', audit);

    // Hold the Delivery table so the worker's claim waits in the database, after it took the job.
    const blocker = new pg.Client({ connectionString: scratch.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE "Delivery" IN ACCESS EXCLUSIVE MODE');
    await createFollowUp(
      db,
      {
        companyId: company.id,
        title: 'Call Tony',
        dueAt: new Date(Date.now() + 500),
        assigneeRepId: rep.id,
        actor: audit,
        fallbackRemindTarget: `teams:${conversation}`,
      },
      bullmqPipelineHooks(db, client, queues),
    );
    await eventually(
      'the delivery claim to wait on the lock',
      async () =>
        (
          await db.sql.query<{ q: string }>(
            "SELECT query AS q FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          )
        ).some((r) => r.q.includes('"Delivery"')),
      60_000,
    ).catch(async (err) => {
      const counts = await Promise.all(Object.values(queues).map(async (q) => [q.name, await q.getJobCounts()]));
      throw new Error(`${(err as Error).message}\n${JSON.stringify(counts)}\n${stalled.output()}`);
    });
    stalled.child.kill('SIGSTOP');
    await blocker.query('ROLLBACK'); // the claim completes in the database; the stopped worker does not see it yet
    await blocker.end();

    // Another worker: it finds the job stalled once the lock ran out, claims the delivery and posts.
    await startWorker();
    await eventually('the post by the second worker', async () => recorder.cards().length >= 1, 60_000);
    // The channel card's delivery (a reminder may also have a private copy to the assignee, another row).
    await eventually(
      'the post recorded',
      async () =>
        (await db.prisma.delivery.findFirst({ where: { target: `teams:${conversation}` }, select: { status: true } }))
          ?.status === 'sent',
      60_000,
    ).catch(async (err) => {
      const rows = await db.prisma.delivery.findMany({
        select: { key: true, target: true, status: true, lastError: true },
      });
      throw new Error(`${(err as Error).message}\n${JSON.stringify(rows)}`);
    });

    stalled.child.kill('SIGCONT');
    await eventually(
      'the stalled worker to have moved on',
      async () => (await queues[QueueName.DeliverMessage].getActiveCount()) === 0,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(recorder.cards().filter((c) => c.conversationId === conversation).length).toBe(1);
    for (const p of procs) p.child.kill('SIGTERM');
    for (const p of procs) expect([0, null]).toContain(await p.exited);
  }, 400_000);
});
