import { Worker, type Job, type Processor } from 'bullmq';
import type { Logger } from '../src/logger.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import type { QueueMetrics } from './queue-metrics.ts';
import { ClassifyBatcher } from './classify-batcher.ts';
import { deliverMessage } from './deliver-message.job.ts';
import { batchedDeliveryLedger } from './delivery-ledger.ts';
import { followUpReminder } from './follow-up-reminder.job.ts';
import { escalateOverdue } from './escalate-overdue.job.ts';
import { dailyDigest } from './daily-digest.job.ts';
import { refreshInsights, weeklyInsights } from './weekly-insights.job.ts';
import { retrainModelJob } from './retrain-model.job.ts';
import { reconcileSchedules } from './reconcile-schedules.job.ts';
import { pruneRetention } from './prune-retention.job.ts';
import { decideHeldAuthor } from './decide-held-author.job.ts';

export interface WorkerOptions {
  redisUrl: string;
  prefix: string;
  /** Jobs in flight per queue and process (RAPPORT_WORKER_CONCURRENCY). */
  concurrency: number;
  /** Most messages classified together (RAPPORT_CLASSIFY_BATCH_SIZE). Default 32. */
  classifyBatchSize?: number;
  /** Most deliveries claimed or recorded in one statement (RAPPORT_DELIVERY_BATCH_SIZE). Default 16. */
  deliveryBatchSize?: number;
  /** How long a job's lock lasts without renewal; a killed worker's job is retried after about this long. */
  lockDurationMs: number;
  /** How often workers look for stalled jobs (RAPPORT_STALLED_INTERVAL_MS). */
  stalledIntervalMs: number;
}

/**
 * The handler of each queue. Retraining is CPU-bound and rare, so it runs one at a time. Classify
 * jobs are worked on in batches, at least two in flight (one in the database while the next is
 * classified): the queue runs max(concurrency, 2 x batch size) jobs at once. Deliveries claim and
 * record their rows in batches too (the posts themselves stay one per job).
 */
function processors(
  deps: PipelineDeps,
  opts: WorkerOptions,
): Record<QueueName, { run: Processor; concurrency?: number }> {
  const { concurrency, classifyBatchSize = 32, deliveryBatchSize = 16 } = opts;
  const classifyConcurrency = Math.max(concurrency, 2 * classifyBatchSize);
  const batcher = new ClassifyBatcher(deps, {
    maxBatch: classifyBatchSize,
    maxInFlight: Math.ceil(classifyConcurrency / classifyBatchSize),
  });
  // Enough batches in flight that every concurrent delivery can be in one (batch size 1 = one statement each, as before batching).
  const ledger = batchedDeliveryLedger(deps.db.sql, {
    leaseMs: deps.settings.deliveryLeaseMs,
    maxBatch: deliveryBatchSize,
    maxInFlight: Math.max(2, Math.ceil(concurrency / deliveryBatchSize)),
  });
  return {
    [QueueName.ClassifyCommunication]: { run: (job) => batcher.classify(job), concurrency: classifyConcurrency },
    [QueueName.DeliverMessage]: { run: (job, token) => deliverMessage(job, token, deps, ledger) },
    [QueueName.FollowUpReminder]: { run: (job) => followUpReminder(job, deps) },
    [QueueName.EscalateOverdue]: { run: (job) => escalateOverdue(job, deps) },
    [QueueName.DailyDigest]: { run: (job) => dailyDigest(job, deps) },
    [QueueName.WeeklyInsights]: { run: (job) => weeklyInsights(job, deps), concurrency: 1 },
    [QueueName.RefreshInsights]: { run: () => refreshInsights(deps), concurrency: 1 },
    [QueueName.RetrainModel]: { run: (job) => retrainModelJob(job, deps), concurrency: 1 },
    [QueueName.PruneRetention]: { run: () => pruneRetention(deps), concurrency: 1 },
    [QueueName.ReconcileSchedules]: { run: (job) => reconcileSchedules(deps, job.data), concurrency: 1 },
    [QueueName.DecideHeldAuthor]: { run: (job) => decideHeldAuthor(job, deps) },
  };
}

/** Creates one (not yet running) BullMQ worker per queue; `run()` starts them, `close()` lets in-flight jobs finish. */
export function createWorkers(deps: PipelineDeps, opts: WorkerOptions, metrics: QueueMetrics, logger: Logger) {
  const connections: ReturnType<typeof connectRedis>[] = [];
  const workers = Object.entries(processors(deps, opts)).map(([name, p]) => {
    // Workers block on Redis; each gets its own connection with maxRetriesPerRequest: null.
    const connection = connectRedis(opts.redisUrl, { forWorker: true });
    connection.on('error', () => {}); // reconnects on its own; failures surface through /readyz
    connections.push(connection);
    const worker = new Worker(
      name,
      async (job: Job, token?: string) => {
        // Role all: requests people wait for go first; the job starts once the thread has headroom.
        await deps.headroom?.wait();
        metrics.started(name, job);
        const end = metrics.duration.startTimer({ queue: name });
        try {
          return await p.run(job, token);
        } finally {
          end();
        }
      },
      {
        connection,
        prefix: opts.prefix,
        concurrency: p.concurrency ?? opts.concurrency,
        autorun: false,
        lockDuration: opts.lockDurationMs,
        stalledInterval: opts.stalledIntervalMs,
        maxStalledCount: 2,
      },
    );
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
      metrics.failures.inc({ queue: name, final: String(final) });
      logger.warn({ queue: name, jobId: job?.id, attempt: job?.attemptsMade, final, err: err.message }, 'job failed');
    });
    worker.on('error', (err) => logger.error({ queue: name, err: err.message }, 'worker error'));
    return worker;
  });
  return {
    run(): void {
      for (const w of workers) void w.run();
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((w) => w.close()));
      // Connections we created are ours to close; BullMQ leaves shared instances open.
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
