import type { Component } from '../src/runtime/runtime.ts';
import type {
  ConnectorComponentFactory as ComponentFactory,
  ConnectorRuntime as Runtime,
} from '../connectors/connector-runtime.ts';
import { createQueues, closeQueues, type PipelineQueues } from './queues.ts';
import { bullmqPipelineHooks } from './bullmq-pipeline-hooks.ts';
import { resilientPipelineHooks } from '../src/services/resilient-pipeline-hooks.ts';
import { QueueMetrics } from './queue-metrics.ts';
import { TargetRateLimiter } from './target-rate-limiter.ts';
import { ActiveClassifier } from './active-classifier.ts';
import { createWorkers } from './workers.ts';
import { ClassifierThread } from './classifier-thread.ts';
import { buildDefaultModel } from '../src/classifier/default-model.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { reconcileSchedules } from './reconcile-schedules.job.ts';
import { openInstallation } from '../src/db/installation.repository.ts';
import { PrefixOwner } from './prefix-owner.ts';
import { ScheduleKeeper } from './schedule-keeper.ts';
import { optionalHeadroomGate, type HeadroomGate } from '../src/concurrency/headroom-gate.ts';
import { burstHold } from '../src/concurrency/interactive-arrivals.ts';
import { Counter, type Registry } from 'prom-client';

/**
 * Longest a pipeline job waits for the main thread's headroom (role all). Long enough that a burst of
 * commands (acks, then their answers, which wait at 0.75) keeps the thread for its whole length; short
 * enough that reminders are late by seconds, not minutes, under load that never lets up.
 */
const JOBS_MAX_HELD_MS = 10_000;

/**
 * The gate the pipeline's jobs wait at in this process: main-thread headroom (RAPPORT_JOBS_HEADROOM),
 * and, where this process answers Slack, no Slack burst (SLACK_BURST_RATE) in progress.
 */
export function jobsHeadroom(config: Runtime['config']): HeadroomGate | undefined {
  return optionalHeadroomGate({
    maxUtilization: config.jobsHeadroom,
    hold: config.role === 'worker' ? undefined : burstHold(config.slack?.burstRate),
    maxWaitMs: JOBS_MAX_HELD_MS,
  });
}

/**
 * The pipeline's two components. `queues` runs in every role (web processes enqueue, workers
 * consume) and installs the BullMQ hooks on the runtime; it also claims the Redis prefix for this
 * deployment and keeps the reconciler armed (see ScheduleKeeper). `workers` runs in roles `all` and `worker`.
 */
export function pipelineComponentFactories(): { queues: ComponentFactory; workers: ComponentFactory } {
  let queues: PipelineQueues | undefined;
  let metrics: QueueMetrics | undefined;
  let owner: PrefixOwner | undefined;
  return {
    async queues(runtime: Runtime): Promise<Component> {
      const { config } = runtime;
      queues = createQueues(runtime.redis, config.queuePrefix);
      // Without a listener BullMQ prints every reconnect failure with its stack while Redis is down;
      // the shared connection's own handler already logs it once per attempt.
      for (const q of Object.values(queues)) q.on('error', () => {});
      metrics = new QueueMetrics(runtime.metrics, queues);
      // A committed write is answered as saved even when Redis is down; the reconciler catches up.
      runtime.hooks = resilientPipelineHooks(
        bullmqPipelineHooks(runtime.db, runtime.redis, queues),
        runtime.logger.child({ module: 'pipeline-hooks' }),
      );
      // The claim outlives a look that comes late (a busy process) several times over.
      const claimTtlMs = Math.max(60_000, 6 * config.pipeline.redisCheckIntervalMs);
      const installation = await openInstallation(runtime.db.sql);
      owner = new PrefixOwner(runtime.redis, config.queuePrefix, installation.id, claimTtlMs);
      // Claimed here, before any component starts: a second deployment on the prefix is refused before it takes a job.
      const keeper = new ScheduleKeeper({
        redis: runtime.redis,
        queues,
        owner,
        reconcileIntervalMs: config.pipeline.reconcileIntervalMs,
        checkIntervalMs: config.pipeline.redisCheckIntervalMs,
        newDeployment: installation.created,
        logger: runtime.logger.child({ module: 'schedule-keeper' }),
      });
      await keeper.start();
      const q = queues;
      return {
        name: 'queues',
        readiness: [keeper.readiness()],
        async stop() {
          keeper.stop();
          await closeQueues(q);
        },
      };
    },
    async workers(runtime: Runtime): Promise<Component | undefined> {
      if (runtime.config.role === 'web' || !queues || !metrics) return undefined;
      const { config, logger } = runtime;
      let classifierThread: ClassifierThread | undefined;
      const deps: PipelineDeps = {
        db: runtime.db,
        redis: runtime.redis,
        queues,
        registry: runtime.registry,
        limiter: new TargetRateLimiter(runtime.redis, `${config.queuePrefix}:rapport`),
        // Role all: a new database's default model is built on the classifier thread (below), not here.
        classifier: new ActiveClassifier(runtime.db, logger.child({ module: 'classifier' }), undefined, () =>
          classifierThread ? classifierThread.buildDefault() : Promise.resolve(buildDefaultModel()),
        ),
        owner,
        headroom: jobsHeadroom(config),
        settings: {
          timezone: config.timezone,
          deliveryLeaseMs: config.pipeline.lockDurationMs,
          ...config.pipeline,
          insights: config.insights,
          mailboxChannels: Object.fromEntries(
            config.imap.filter((m) => m.defaultChannel).map((m) => [m.address, m.defaultChannel!]),
          ),
        },
        logger: logger.child({ module: 'jobs' }),
      };
      // Role all: the classifier's CPU work (reading texts, retraining) runs on a thread of its own, so
      // a burst of classification or a nightly retrain never delays an ack.
      classifierThread = config.classifyThread
        ? new ClassifierThread(
            () => deps.classifier.artifact(),
            deps.logger.child({ module: 'classifier-thread' }),
            runtime.metrics,
          )
        : undefined;
      if (classifierThread) {
        deps.readMessages = classifierThread.read;
        deps.retrain = classifierThread.retrain;
      }
      if (deps.headroom) countHeldJobs(deps.headroom, runtime.metrics);
      const workers = createWorkers(
        deps,
        {
          redisUrl: runtime.redisUrl,
          prefix: config.queuePrefix,
          concurrency: config.workerConcurrency,
          classifyBatchSize: config.classifyBatchSize,
          deliveryBatchSize: config.deliveryBatchSize,
          lockDurationMs: config.pipeline.lockDurationMs,
          stalledIntervalMs: config.pipeline.stalledIntervalMs,
        },
        metrics,
        deps.logger,
      );
      return {
        name: 'workers',
        async start() {
          deps.headroom?.start();
          workers.run();
          // Load (or build, on a new database) the model now rather than on the first message; with the
          // classifier thread, load it there (the main thread never decodes it).
          (classifierThread
            ? classifierThread.read([], { now: new Date(), timezone: config.timezone })
            : deps.classifier.get()
          ).catch((err: Error) => deps.logger.error({ err: err.message }, 'could not load the classifier model'));
          // The periodic run is armed by the queues component (every process), see ScheduleKeeper.
          reconcileSchedules(deps).then(
            (report) => deps.logger.info(report, 'schedules reconciled with the database'),
            (err: Error) => deps.logger.error({ err: err.message }, 'reconcile failed; the periodic run will retry'),
          );
        },
        async stop() {
          // Jobs held back go now: closing waits for every active job.
          deps.headroom?.stop();
          await workers.close();
          await classifierThread?.close();
        },
      };
    },
  };
}

/** `/metrics`: how many jobs waited for the main thread's headroom (RAPPORT_JOBS_HEADROOM), and how long in all. */
function countHeldJobs(gate: HeadroomGate, metrics: Registry): void {
  let count = 0;
  let ms = 0;
  new Counter({
    name: 'rapport_jobs_held_total',
    help: 'Pipeline jobs that waited before starting while the main thread was busy (role all)',
    registers: [metrics],
    collect() {
      this.inc(gate.held.count - count);
      count = gate.held.count;
    },
  });
  new Counter({
    name: 'rapport_jobs_held_seconds_total',
    help: 'Time pipeline jobs waited for the main thread to have headroom (role all)',
    registers: [metrics],
    collect() {
      this.inc((gate.held.ms - ms) / 1000);
      ms = gate.held.ms;
    },
  });
}
