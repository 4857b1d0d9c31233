import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/redis/connect-redis.ts';
import { createLogger } from '../../src/logger.ts';
import { ConnectorRegistry } from '../../connectors/connector-registry.ts';
import { SharedConsoleConnector } from '../../connectors/console/shared-console.connector.ts';
import { createQueues, closeQueues, type PipelineQueues } from '../../jobs/queues.ts';
import { bullmqPipelineHooks } from '../../jobs/bullmq-pipeline-hooks.ts';
import { QueueMetrics } from '../../jobs/queue-metrics.ts';
import { TargetRateLimiter } from '../../jobs/target-rate-limiter.ts';
import { ActiveClassifier } from '../../jobs/active-classifier.ts';
import { createWorkers } from '../../jobs/workers.ts';
import type { PipelineDeps, PipelineSettings } from '../../jobs/pipeline-deps.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface PipelineHarness {
  test: TestDatabase;
  redis: Redis;
  prefix: string;
  queues: PipelineQueues;
  hooks: PipelineHooks;
  console: SharedConsoleConnector;
  deps: PipelineDeps;
  metrics: Registry;
  /** Starts (or restarts) in-process workers. */
  startWorkers(): void;
  stopWorkers(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A real pipeline for one test: its own database, its own Redis key prefix (so tests never see each
 * other's jobs), the real BullMQ workers, and the console connector as the channel posts land in.
 */
export async function startPipelineHarness(
  kind: 'pglite' | 'postgres',
  opts: { redisUrl?: string; settings?: Partial<PipelineSettings>; workers?: boolean } = {},
): Promise<PipelineHarness> {
  const test = await createTestDatabase(kind);
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const redis = connectRedis(redisUrl);
  const prefix = `{rapport-test-${randomBytes(4).toString('hex')}}`;
  const queues = createQueues(redis, prefix);
  const hooks = bullmqPipelineHooks(test.db, redis, queues);
  const console = new SharedConsoleConnector(redis, prefix);
  await console.follow();
  const registry = new ConnectorRegistry();
  registry.register(console);
  const metrics = new Registry();
  const queueMetrics = new QueueMetrics(metrics, queues);
  const logger = createLogger('silent');
  const deps: PipelineDeps = {
    db: test.db,
    redis,
    queues,
    registry,
    limiter: new TargetRateLimiter(redis, `${prefix}:rapport`),
    classifier: new ActiveClassifier(test.db, logger),
    settings: {
      timezone: 'UTC',
      defaultTarget: 'console:team',
      escalateAfterMs: 3_600_000,
      digestTime: '09:00',
      retrainCron: '0 3 * * *',
      ...opts.settings,
    },
    logger,
  };
  let workers: ReturnType<typeof createWorkers> | undefined;
  const harness: PipelineHarness = {
    test,
    redis,
    prefix,
    queues,
    hooks,
    console,
    deps,
    metrics,
    startWorkers() {
      workers = createWorkers(
        deps,
        { redisUrl, prefix, concurrency: 8, lockDurationMs: 5_000, stalledIntervalMs: 1_000 },
        queueMetrics,
        logger,
      );
      workers.run();
    },
    async stopWorkers() {
      await workers?.close();
      workers = undefined;
    },
    async dispose() {
      await harness.stopWorkers();
      await closeQueues(queues);
      await console.stop();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await test.dispose();
    },
  };
  if (opts.workers !== false) harness.startWorkers();
  return harness;
}

/**
 * Polls `check` until it returns a truthy value, or fails with `what` after `timeoutMs`. The default is
 * generous: it is a wait for background work (a job classified, a card posted), never a speed claim, and
 * CI runs two test files at once on 2 cores (a classification once took more than 15 s there).
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
