import type { Job } from 'bullmq';
import { listHeldAuthors, retryHeldAuthor, type HeldRetryOutcome } from '../src/services/held-chat-messages.service.ts';
import type { PipelineHooks } from '../src/services/pipeline-hooks.ts';
import { bullmqPipelineHooks } from './bullmq-pipeline-hooks.ts';
import { QueueName } from './queue-names.ts';
import type { DecideHeldAuthorData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { HELD_RETRY_MS, HELD_SWEEP_LOOKBACK_MS, heldAuthorJobId, queueHeldAuthor } from './held-author-schedule.ts';
import { requeueJobs } from './requeue-jobs.ts';

/**
 * Asks the platform again who a held author is, through the registry's lookup for that platform
 * (Slack users.info, Teams getMember in a proactive turn), and decides their held messages when it
 * can say (a customer's are then classified). While it still cannot, the next step is queued
 * (delayed); the schedule lives in Redis and the held rows in the database, so a process restart
 * loses nothing, and the reconciler re-queues every held author (see {@link sweepHeldAuthors}) after
 * a Redis loss. A rerun is harmless: a decided message is not held any more.
 */
export async function decideHeldAuthor(job: Job<DecideHeldAuthorData>, deps: PipelineDeps): Promise<HeldRetryOutcome> {
  const data = job.data;
  const identify = deps.registry.heldAuthorsOf(data.platform);
  // The platform is not enabled in this process: the sweep of a process that has it asks.
  if (!identify) return { status: 'still-held' };
  const outcome = await retryHeldAuthor(deps.db, data, identify, hooksOf(deps));
  if (outcome.status === 'decided')
    deps.logger.info(
      { platform: data.platform, channelRef: data.channelRef, decided: outcome.decided, direction: outcome.direction },
      'held messages decided: the platform said who wrote them',
    );
  else if (outcome.status === 'still-held' && data.step >= 0 && data.step + 1 < HELD_RETRY_MS.length) {
    await queueHeldAuthor(deps.queues, data, data.step + 1);
  }
  return outcome;
}

/**
 * The reconciler's part: one try now for every author with messages still held (from the database),
 * at worker start, at every reconcile run and after a Redis loss. Answers how many were queued.
 */
export async function sweepHeldAuthors(deps: PipelineDeps): Promise<number> {
  const held = await listHeldAuthors(deps.db, { since: new Date(Date.now() - HELD_SWEEP_LOOKBACK_MS), limit: 5_000 });
  const queued = await requeueJobs(
    deps.queues[QueueName.DecideHeldAuthor],
    held.map((key) => {
      const data = { ...key, platform: key.platform as DecideHeldAuthorData['platform'], step: -1 };
      return { name: 'held-author', data, opts: { jobId: heldAuthorJobId(data, 'sweep') } };
    }),
  );
  return queued.length;
}

function hooksOf(deps: PipelineDeps): PipelineHooks {
  return bullmqPipelineHooks(deps.db, deps.redis, deps.queues);
}
