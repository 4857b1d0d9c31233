import type { Config } from '../src/config/env.ts';
import { connectRedis, redisAnswers } from '../src/redis/connect-redis.ts';
import { ALL_QUEUES } from './queue-names.ts';
import { createQueues, closeQueues } from './queues.ts';

/** `rapport doctor`: lists jobs that failed for good (no retry left), newest first, with their errors. */
export async function failedJobsDoctorCheck(config: Config) {
  if (!(await redisAnswers(config.redisUrl)))
    return { name: 'jobs', ok: true, detail: 'Redis not reachable from here; cannot list failed jobs' };
  const redis = connectRedis(config.redisUrl);
  const queues = createQueues(redis, config.queuePrefix);
  try {
    const lines: string[] = [];
    let total = 0;
    for (const name of ALL_QUEUES) {
      const q = queues[name];
      const count = await q.getFailedCount();
      total += count;
      for (const job of await q.getFailed(0, 4)) {
        lines.push(
          `${name} ${job.id}: ${job.failedReason} (${job.attemptsMade} attempt(s), ${new Date(job.finishedOn ?? job.timestamp).toISOString()})`,
        );
      }
    }
    return total === 0
      ? { name: 'jobs', ok: true, detail: 'no failed jobs' }
      : {
          name: 'jobs',
          ok: false,
          detail: `${total} failed job(s); newest:\n      ${lines.join('\n      ')}`,
          fix: 'read the errors above; jobs are retried automatically until their attempts run out',
        };
  } finally {
    await closeQueues(queues);
    await redis.quit();
  }
}
