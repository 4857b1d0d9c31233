import { QueueName } from './queue-names.ts';
import type { DecideHeldAuthorData } from './job-data.ts';
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

/**
 * Queues one try for a held author, at `step` of HELD_RETRY_MS (the pipeline's `authorHeld` hook
 * queues step 0; each still-held try queues the next). A finished job of an earlier series kept under
 * the same id (`removeOnComplete` keeps them an hour) is replaced, so an author held again soon after
 * is asked again in 2 s, not at the reconciler's next run; a try already waiting is left alone.
 */
export async function queueHeldAuthor(
  queues: PipelineQueues,
  key: { platform: string; channelRef: string; authorKey: string },
  step = 0,
): Promise<boolean> {
  if (key.platform !== 'slack' && key.platform !== 'teams') return false;
  if (step < 0 || step >= HELD_RETRY_MS.length) return false;
  const data: DecideHeldAuthorData = {
    platform: key.platform,
    channelRef: key.channelRef,
    authorKey: key.authorKey,
    step,
  };
  const queued = await requeueJobs(queues[QueueName.DecideHeldAuthor], [
    { name: 'held-author', data, opts: { jobId: heldAuthorJobId(data, step), delay: HELD_RETRY_MS[step] } },
  ]);
  return queued.length > 0;
}
