import type { Redis } from 'ioredis';
import type { Logger } from '../src/logger.ts';
import type { ReadinessCheck } from '../src/runtime/readiness.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineQueues } from './queues.ts';
import type { ReconcileSchedulesData } from './job-data.ts';
import { jobId } from './job-ids.ts';
import type { PrefixOwner } from './prefix-owner.ts';

export interface ScheduleKeeperOptions {
  redis: Redis;
  queues: PipelineQueues;
  owner: PrefixOwner;
  /** How often the reconciler runs (RAPPORT_RECONCILE_SECONDS). */
  reconcileIntervalMs: number;
  /** How often this process looks whether Redis lost its data (RAPPORT_REDIS_CHECK_SECONDS). */
  checkIntervalMs: number;
  logger: Logger;
}

/**
 * Keeps the reconciler's own schedule in Redis, from every process (web and worker). The schedule
 * lives only in Redis, so after a FLUSHALL or a Redis restart without persistence nothing ran until a
 * worker restarted (0 of 500 reminders fired in 3.5 min). Every process now looks, on each reconnect
 * and every `checkIntervalMs`, whether the prefix's owner key is still there; when it is gone, it
 * claims the prefix again, re-arms the schedule and queues one reconcile at once that re-queues
 * everything the database implies (see {@link ReconcileSchedulesData.afterLoss}).
 */
export class ScheduleKeeper {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private foreignOwner: string | undefined;
  private readonly onReady = () => void this.check();

  constructor(private readonly opts: ScheduleKeeperOptions) {}

  /** Claims the prefix (throws the sentence when another deployment has it) and arms the reconciler. */
  async start(): Promise<void> {
    await this.opts.owner.claim();
    await this.arm(false);
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
    this.opts.redis.on('ready', this.onReady);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.opts.redis.off('ready', this.onReady);
  }

  /** Looks once whether Redis still holds the prefix's owner key; re-arms when it lost it. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const { owner, logger } = this.opts;
    try {
      const found = await owner.check();
      if (found.state === 'foreign') {
        if (this.foreignOwner !== found.owner)
          logger.error(
            { prefix: owner.prefix, owner: found.owner },
            'the Redis key prefix belongs to another deployment',
          );
        this.foreignOwner = found.owner;
        return;
      }
      this.foreignOwner = undefined;
      if (found.state === 'lost') {
        await owner.claim();
        await this.arm(true);
        logger.warn(
          { prefix: owner.prefix },
          'Redis lost its data; the reconciler is re-armed and re-queues from the database',
        );
      }
    } catch (err) {
      // Redis down, or another deployment claimed the emptied prefix first: the next look tries again.
      logger.warn({ err: (err as Error).message }, 'could not check the Redis key prefix; will look again');
    } finally {
      this.checking = false;
    }
  }

  /** For /readyz and `rapport doctor`: the prefix must be this deployment's. */
  readiness(): ReadinessCheck {
    return {
      name: 'redis prefix',
      check: async () =>
        this.foreignOwner
          ? { ok: false, detail: `"${this.opts.owner.prefix}" belongs to another deployment; set RAPPORT_QUEUE_PREFIX` }
          : { ok: true, detail: `"${this.opts.owner.prefix}" is this deployment's` },
    };
  }

  private async arm(afterLoss: boolean): Promise<void> {
    const queue = this.opts.queues[QueueName.ReconcileSchedules];
    await queue.upsertJobScheduler(
      'reconcile',
      { every: this.opts.reconcileIntervalMs },
      { name: 'reconcile', data: {} satisfies ReconcileSchedulesData },
    );
    if (afterLoss) {
      // One id per 10 s: every process notices the same loss, one reconcile is enough.
      const data: ReconcileSchedulesData = { afterLoss: true };
      await queue.add('reconcile', data, { jobId: jobId('reconcile', 'after-loss', Math.floor(Date.now() / 10_000)) });
    }
  }
}
