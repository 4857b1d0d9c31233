import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { bullmqPipelineHooks } from '../../../jobs/bullmq-pipeline-hooks.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { closeQueues, createQueues, type PipelineQueues } from '../../../jobs/queues.ts';
import { reminderJobId } from '../../../jobs/reminder-schedule.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import type { Database } from '../../../src/db/database.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { changeFollowUp } from '../../../src/services/follow-ups.service.ts';
import type { PipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { openFollowUp } from '../../helpers/open-follow-up.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Two changes of one follow-up's due date, committed one after the other by two processes: each then
 * syncs the reminder job (the database read, the removal of the job the index names, the add). Process
 * A's Redis link stalls right after it read its own (soon stale) due date; meanwhile process B commits
 * the newer date and queues its job. Before, A's sync then removed B's job (the index named it) and
 * queued one for its own stale date, a no-op when it fires: the reminder for the committed due date came
 * back only at the next reconcile, late. The harness's pipeline is process B (and the workers); process A
 * has its own database pool and its own Redis connection, through a proxy the test stalls.
 */
describe('two concurrent due-date changes of one follow-up (PostgreSQL)', () => {
  let h: PipelineHarness;
  let proxy: TcpProxy;
  let aDb: Database;
  let aRedis: Redis;
  let aQueues: PipelineQueues;
  let aHooks: PipelineHooks;
  beforeEach(async () => {
    h = await startPipelineHarness('postgres', { redisUrl: REDIS_URL });
    const redisUrl = new URL(REDIS_URL);
    proxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    aDb = await openDatabase({ databaseUrl: h.test.url!, migrate: false });
    aRedis = connectRedis(`redis://127.0.0.1:${proxy.port}`);
    aQueues = createQueues(aRedis, h.prefix);
    aHooks = bullmqPipelineHooks(aDb, aRedis, aQueues);
    // Connected and past BullMQ's first-use checks before the link is stalled.
    await aRedis.ping();
    await aQueues[QueueName.FollowUpReminder].getJobState('warm-up');
    await aQueues[QueueName.FollowUpReminder].getJob('warm-up');
  });
  afterEach(async () => {
    proxy?.release();
    if (aQueues) await closeQueues(aQueues);
    aRedis?.disconnect();
    await aDb?.close();
    await proxy?.close();
    await h?.dispose();
  });

  it('keeps the reminder job of the due date committed last, and the reminder posts once', async () => {
    const db = h.test.db;
    const first = new Date(Date.now() + 3_600_000);
    const { followUp: f, audit } = await openFollowUp(db, h.hooks, 'Acme', first);
    const reminders = h.queues[QueueName.FollowUpReminder];
    expect(await reminders.getJobState(reminderJobId(f.id, first))).toBe('delayed');

    // Process A moves it to the day after tomorrow; its Redis link stalls right after its commit.
    proxy.hold();
    const later = new Date(Date.now() + 2 * 86_400_000);
    const a = changeFollowUp(aDb, f.number, { kind: 'due', dueAt: later }, audit, aHooks);
    await eventually('process A committed and waiting on Redis', async () => proxy.held > 0);
    expect((await db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } })).dueAt).toEqual(later);

    // Process B (a second click) moves it to a few seconds from now, committed after A's change.
    const soon = new Date(Date.now() + 5_000);
    await changeFollowUp(db, f.number, { kind: 'due', dueAt: soon }, audit, h.hooks);
    // A's link comes back: its sync goes on from where it stalled.
    proxy.release();
    await a;

    const committed = await db.prisma.followUp.findUniqueOrThrow({ where: { id: f.id } });
    expect(committed.dueAt).toEqual(soon);
    const states = {
      committed: await reminders.getJobState(reminderJobId(f.id, soon)),
      stale: await reminders.getJobState(reminderJobId(f.id, later)),
      first: await reminders.getJobState(reminderJobId(f.id, first)),
    };
    expect(states).toEqual({ committed: expect.not.stringMatching(/^unknown$/), stale: 'unknown', first: 'unknown' });

    const posted = () => h.console.feed().filter((e) => e.reply.title?.startsWith('Reminder'));
    await eventually('the reminder in the team channel', async () => posted().length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(posted()).toHaveLength(1);
    expect(await db.prisma.delivery.findMany({ where: { key: { startsWith: `reminder-${f.id}` } } })).toMatchObject([
      { key: reminderJobId(f.id, soon), status: 'sent' },
    ]);
  }, 60_000);
});

/**
 * The reconciler lists the reminder jobs, then reads the open follow-ups, then removes the listed jobs no
 * follow-up wants. A follow-up moved away after the listing and back before the removal (two changes, each
 * synced by its process) is due at the listed job's time again, and its sync queued that job again under
 * the same id; before, the reconciler removed it as stale all the same, and the reminder came back only at
 * the next reconcile. Here the reconciler's database pool goes through a proxy the test stalls between
 * its reads, and the two changes are made meanwhile.
 */
describe('a follow-up moved away and back while the reconciler runs (PostgreSQL)', () => {
  let h: PipelineHarness;
  let proxy: TcpProxy;
  let reconcilerDb: Database;
  beforeEach(async () => {
    h = await startPipelineHarness('postgres', { redisUrl: REDIS_URL, workers: false });
    const pgUrl = new URL(h.test.url!);
    proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    const proxied = new URL(h.test.url!);
    proxied.host = `127.0.0.1:${proxy.port}`;
    reconcilerDb = await openDatabase({ databaseUrl: proxied.toString(), migrate: false });
  });
  afterEach(async () => {
    proxy?.release();
    await reconcilerDb?.close();
    await proxy?.close();
    await h?.dispose();
  });

  it('keeps the job of the due time it is back at', async () => {
    const db = h.test.db;
    const dueAt = new Date(Date.now() + 3_600_000);
    const { followUp: f, audit } = await openFollowUp(db, h.hooks, 'Globex', dueAt);
    const reminders = h.queues[QueueName.FollowUpReminder];
    const remindJob = reminderJobId(f.id, dueAt);
    expect(await reminders.getJobState(remindJob)).toBe('delayed');

    /** Lets the reconciler's waiting query through and stalls its next one. */
    const nextQuery = async (what: string) => {
      proxy.release();
      proxy.hold();
      await eventually(what, async () => proxy.held > 0);
    };
    proxy.hold();
    const run = reconcileSchedules({ ...h.deps, db: reconcilerDb });
    await eventually('the reconciler reading unclassified messages', async () => proxy.held > 0);
    await nextQuery('the reconciler listed the jobs and reads the follow-ups');
    const tomorrow = new Date(dueAt.getTime() + 86_400_000);
    await changeFollowUp(db, f.number, { kind: 'due', dueAt: tomorrow }, audit, h.hooks);
    await nextQuery('the reconciler read the follow-ups (due tomorrow)');
    await changeFollowUp(db, f.number, { kind: 'due', dueAt }, audit, h.hooks);
    proxy.release();
    const report = await run;

    expect(report.orphansRemoved).toBe(1);
    expect({
      back: await reminders.getJobState(remindJob),
      tomorrow: await reminders.getJobState(reminderJobId(f.id, tomorrow)),
    }).toEqual({ back: 'delayed', tomorrow: 'unknown' });
  }, 60_000);
});
