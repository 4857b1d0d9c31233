import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { queueHeldAuthor, heldAuthorJobId } from '../../../jobs/held-author-schedule.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { closeQueues, createQueues } from '../../../jobs/queues.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';

/**
 * Issue 14's last gap: an author held again within the hour that BullMQ keeps a finished job
 * (`removeOnComplete`) was not asked again until the reconciler's next run, because adding a job
 * under a kept completed job's id does nothing. Real Redis, real BullMQ worker.
 */
describe('held author: asked again after an earlier series finished', () => {
  const prefix = `{rapport-held-requeue-${randomUUID().slice(0, 8)}}`;
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const workerRedis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { forWorker: true });
  const queues = createQueues(redis, prefix);
  const key = { platform: 'slack', channelRef: 'slack:T1/CACME', authorKey: 'slack:T1/UNOTE' };
  const ran: number[] = [];
  let worker: Worker | undefined;

  afterAll(async () => {
    await worker?.close();
    await closeQueues(queues);
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
    await workerRedis.quit();
  });

  it('a second hold while the first try waits adds nothing; once it ran, a new hold queues a new try', async () => {
    const queue = queues[QueueName.DecideHeldAuthor];
    const id0 = heldAuthorJobId({ ...key, platform: 'slack' }, 0);
    expect(await queueHeldAuthor(queues, key)).toBe(true);
    expect(await queue.getJobState(id0)).toBe('delayed');
    expect(await queueHeldAuthor(queues, key)).toBe(false);

    worker = new Worker(
      QueueName.DecideHeldAuthor,
      async (job) => {
        ran.push(job.data.step);
      },
      { connection: workerRedis, prefix },
    );
    await eventually(
      'the first try ran',
      async () => ((await queue.getJobState(id0)) === 'completed' ? true : undefined),
      30_000,
    );

    // Held again (the series is over, the completed job is still kept): asked again, not ignored.
    expect(await queueHeldAuthor(queues, key)).toBe(true);
    expect(['delayed', 'waiting', 'active', 'completed']).toContain(await queue.getJobState(id0));
    await eventually('the second try ran', async () => (ran.length === 2 ? true : undefined), 30_000);
    expect(ran).toEqual([0, 0]);

    // The same for a later step of a new series (its id is kept from the earlier series too).
    expect(await queueHeldAuthor(queues, key, 1)).toBe(true);
    expect(await queueHeldAuthor(queues, key, 99)).toBe(false);
    expect(await queueHeldAuthor(queues, { ...key, platform: 'email' })).toBe(false);
  }, 90_000);
});
