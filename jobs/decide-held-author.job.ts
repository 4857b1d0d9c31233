import type { Job } from 'bullmq';
import { retryHeldAuthor, type HeldRetryOutcome } from '../src/services/held-chat-messages.service.ts';
import { listHeldAuthors } from '../src/services/held-chat-messages.service.ts';
import type { PipelineHooks } from '../src/services/pipeline-hooks.ts';
import { bullmqPipelineHooks } from './bullmq-pipeline-hooks.ts';
import { QueueName } from './queue-names.ts';
import type { DecideHeldAuthorData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import type { PipelineQueues } from './queues.ts';
import { jobId } from './job-ids.ts';
import { requeueJobs } from './requeue-jobs.ts';

/**
 * When to ask the platform again about an author it could not name (users.info, getMember), counted
 * from the hold and then from each failed try. After the last step the reconciler's sweep asks at
 * every run (RAPPORT_RECONCILE_SECONDS) for as long as messages of theirs are held.
 */
export const HELD_RETRY_MS = [2_000, 15_000, 60_000, 5 * 60_000, 30 * 60_000];

/** Held messages older than this are not swept any more (they stay held, visible as `unknown`). */
export const HELD_SWEEP_LOOKBACK_MS = 30 * 86_400_000;

/** One job id per author, channel and step: a second held message of theirs adds nothing. */
export function heldAuthorJobId(data: Omit<DecideHeldAuthorData, 'step'>, step: number | 'sweep'): string {
  return jobId('held', data.platform, data.channelRef, data.authorKey, step);
}

/** Queues the first try for an author just held (the pipeline's `authorHeld` hook). */
export async function queueHeldAuthor(
  queues: PipelineQueues,
  key: { platform: string; channelRef: string; authorKey: string },
): Promise<void> {
  if (key.platform !== 'slack' && key.platform !== 'teams') return;
  const data: DecideHeldAuthorData = {
    platform: key.platform,
    channelRef: key.channelRef,
    authorKey: key.authorKey,
    step: 0,
  };
  await queues[QueueName.DecideHeldAuthor].add('held-author', data, {
    jobId: heldAuthorJobId(data, 0),
    delay: HELD_RETRY_MS[0],
  });
}

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
    const next: DecideHeldAuthorData = { ...data, step: data.step + 1 };
    await deps.queues[QueueName.DecideHeldAuthor].add('held-author', next, {
      jobId: heldAuthorJobId(next, next.step),
      delay: HELD_RETRY_MS[next.step],
    });
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
