import type { Config } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import { connectRedis, redisAnswers } from '../src/redis/connect-redis.ts';
import type { PipelineHooks } from '../src/services/pipeline-hooks.ts';
import { resilientPipelineHooks } from '../src/services/resilient-pipeline-hooks.ts';
import { createLogger } from '../src/logger.ts';
import { bullmqPipelineHooks } from '../jobs/bullmq-pipeline-hooks.ts';
import { recordedCardChangeHooks } from '../jobs/card-changes.ts';
import { closeQueues, createQueues } from '../jobs/queues.ts';

/**
 * Pipeline hooks for one-off CLI commands that write (exec, erase): the real BullMQ hooks when
 * Redis answers, so new records get classified, follow-ups reminded and cards refreshed or taken back
 * right away. Without Redis the writes still land; the workers' periodic reconcile picks them up once
 * Redis and a worker run again, and the card changes the data alone does not imply are written down for
 * it (recordedCardChangeHooks).
 */
export async function openCliPipelineHooks(
  config: Config,
  db: Database,
): Promise<{ hooks: PipelineHooks; close(): Promise<void> }> {
  if (!(await redisAnswers(config.redisUrl))) return { hooks: recordedCardChangeHooks(db), close: async () => {} };
  const redis = connectRedis(config.redisUrl);
  redis.on('error', () => {});
  const queues = createQueues(redis, config.queuePrefix);
  return {
    // A queue that stops answering midway must not turn a committed write into an error: it is logged.
    hooks: resilientPipelineHooks(
      bullmqPipelineHooks(db, redis, queues),
      createLogger(config.logLevel, process.stderr),
    ),
    async close() {
      await closeQueues(queues);
      await redis.quit();
    },
  };
}
