import type { Config } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import { connectRedis, redisAnswers } from '../src/redis/connect-redis.ts';
import { noopPipelineHooks, type PipelineHooks } from '../src/services/pipeline-hooks.ts';
import { bullmqPipelineHooks } from '../jobs/bullmq-pipeline-hooks.ts';
import { closeQueues, createQueues } from '../jobs/queues.ts';

/**
 * Pipeline hooks for one-off CLI commands that write (exec, import): the real BullMQ hooks when Redis
 * answers, so new records get classified and follow-ups reminded right away. Without Redis the writes
 * still land; the workers' periodic reconcile picks them up once Redis and a worker run again.
 */
export async function openCliPipelineHooks(
  config: Config,
  db: Database,
): Promise<{ hooks: PipelineHooks; close(): Promise<void> }> {
  if (!(await redisAnswers(config.redisUrl))) return { hooks: noopPipelineHooks, close: async () => {} };
  const redis = connectRedis(config.redisUrl);
  redis.on('error', () => {});
  const queues = createQueues(redis, config.queuePrefix);
  return {
    hooks: bullmqPipelineHooks(db, redis, queues),
    async close() {
      await closeQueues(queues);
      await redis.quit();
    },
  };
}
