import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName } from '../../../jobs/queue-names.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { spawnedTeamsWorkers, type SpawnedTeamsWorkers } from '../../helpers/spawned-teams-workers.ts';

// Issue 15 item 6: a worker that stalls longer than its job lock (here: SIGSTOP) while it holds a
// delivery. BullMQ gives the job to another worker, which posts; the stalled worker's row was never
// marked sent by it, so only the delivery's lease keeps it from posting a second time (it does not ask
// Teams: this worker runs without Graph). A worker that dies after Teams accepted its post is
// teams-lost-post.test.ts.
const conversation = '19:stall@thread.tacv2';
let workers: SpawnedTeamsWorkers;

beforeAll(async () => {
  workers = await spawnedTeamsWorkers('stall');
});
afterAll(async () => {
  await workers?.dispose();
});

describe('a worker stalled past its lock while posting to Teams', () => {
  it('SIGSTOPped after claiming the delivery and continued after another worker posted: one post', async () => {
    const { db, recorder, queues } = workers;
    await workers.linkOursOnly(conversation);
    const stalled = await workers.start();

    // Hold the Delivery table so the worker's claim waits in the database, after it took the job.
    const blocker = new pg.Client({ connectionString: workers.databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE "Delivery" IN ACCESS EXCLUSIVE MODE');
    await workers.remindSoon('Stark', [{ conversation, title: 'Call Tony' }]);
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
    const second = await workers.start();
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
    for (const p of [stalled, second]) p.child.kill('SIGTERM');
    for (const p of [stalled, second]) expect([0, null]).toContain(await p.exited);
  }, 400_000);
});
