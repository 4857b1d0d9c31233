import { QueueName } from './queue-names.ts';
import type { DecideHeldAuthorData } from './job-data.ts';
import type { PipelineQueues } from './queues.ts';
import { jobId } from './job-ids.ts';

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
