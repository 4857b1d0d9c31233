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
  /**
   * This process created the deployment's install id (its database's first start): Redis never held
   * its jobs, so a prefix without the reconciler's schedule is a new install, not a loss.
   */
  newDeployment?: boolean;
  logger: Logger;
}

/**
 * Keeps the reconciler's own schedule in Redis, from every process (web and worker). The schedule
 * lives only in Redis, so after a FLUSHALL or a Redis restart without persistence nothing ran until a
 * worker restarted (0 of 500 reminders fired in 3.5 min). Every process now looks, on each reconnect
 * and every `checkIntervalMs`, whether the prefix's owner key is still there and whether the
 * reconciler's schedule is; when either is gone, it claims the prefix again, re-arms the schedule and
 * queues one reconcile at once that re-queues everything the database implies (see
 * {@link ReconcileSchedulesData.afterLoss}). The schedule is looked for, not remembered: a re-arm that
 * failed after its claim (a blip during a failover) is retried by the next look of any process, and a
 * process starting on an emptied Redis (a rolling deploy) queues the after-loss reconcile too.
 */
export class ScheduleKeeper {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private foreignOwner: string | undefined;
  private readonly onReady = () => void this.check();

  constructor(private readonly opts: ScheduleKeeperOptions) {}

  /**
   * Claims the prefix (throws the sentence when another deployment has it) and arms the reconciler;
   * when its schedule is missing from a deployment that ran before, Redis lost its data: one reconcile
   * of everything is queued too. Throws when Redis fails the arm (the next process, or the next look of
   * a running one, still finds the schedule missing).
   */
  async start(): Promise<void> {
    const { owner, logger } = this.opts;
    await owner.claim();
    const lost = !this.opts.newDeployment && !(await this.armed());
    await this.arm(lost);
    if (lost)
      logger.warn(
        { prefix: owner.prefix },
        'Redis holds no reconciler schedule for this deployment (it lost its data); re-armed, and the reconciler re-queues from the database',
      );
    this.timer = setInterval(() => void this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
    this.opts.redis.on('ready', this.onReady);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.opts.redis.off('ready', this.onReady);
  }

  /**
   * Looks once whether Redis still holds the prefix's owner key and the reconciler's schedule; re-arms
   * when it lost either.
   */
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
      // Ours without a schedule: an earlier re-arm failed after its claim, or a process claimed an
      // emptied prefix and is arming now (a second arm queues the same after-loss job or a harmless twin).
      if (found.state === 'lost' || !(await this.armed())) {
        if (found.state === 'lost') await owner.claim();
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

  /** Whether Redis holds the reconciler's schedule. */
  private async armed(): Promise<boolean> {
    return (await this.opts.queues[QueueName.ReconcileSchedules].getJobScheduler('reconcile')) !== undefined;
  }

  /** The after-loss reconcile first: a schedule found in Redis then means that job was queued too. */
  private async arm(afterLoss: boolean): Promise<void> {
    const queue = this.opts.queues[QueueName.ReconcileSchedules];
    if (afterLoss) {
      // One id per 10 s: every process notices the same loss, one reconcile is enough.
      const data: ReconcileSchedulesData = { afterLoss: true };
      await queue.add('reconcile', data, { jobId: jobId('reconcile', 'after-loss', Math.floor(Date.now() / 10_000)) });
    }
    await queue.upsertJobScheduler(
      'reconcile',
      { every: this.opts.reconcileIntervalMs },
      { name: 'reconcile', data: {} satisfies ReconcileSchedulesData },
    );
  }
}
