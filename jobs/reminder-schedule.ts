import { findFollowUpSchedule } from '../src/db/follow-up.repository.ts';
import type { Redis } from 'ioredis';
import type { Database } from '../src/db/database.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineQueues } from './queues.ts';
import { jobId } from './job-ids.ts';
import type { FollowUpReminderData } from './job-data.ts';
import { isOpen } from '../src/domain/follow-up.ts';

export function reminderJobId(followUpId: string, dueAt: Date): string {
  return jobId('reminder', followUpId, dueAt.getTime());
}

/**
 * Makes Redis agree with the database for one follow-up: exactly one delayed reminder job at its
 * due time while it is open or snoozed, none otherwise. Safe to call any number of times.
 */
export async function syncReminder(
  db: Database,
  redis: Redis,
  queues: PipelineQueues,
  followUpId: string,
): Promise<void> {
  const f = await findFollowUpSchedule(db.prisma, followUpId);
  const queue = queues[QueueName.FollowUpReminder];
  const wanted = f && isOpen(f.status) ? reminderJobId(f.id, f.dueAt) : undefined;
  await removeStaleReminders(redis, queues, followUpId, wanted);
  if (wanted && f) {
    const data: FollowUpReminderData = { followUpId: f.id, dueEpochMs: f.dueAt.getTime() };
    await queue.add('remind', data, { jobId: wanted, delay: Math.max(0, f.dueAt.getTime() - Date.now()) });
  }
}

/** Removes delayed/waiting reminder jobs of this follow-up other than `keep` (an earlier due time). */
async function removeStaleReminders(
  client: Redis,
  queues: PipelineQueues,
  followUpId: string,
  keep: string | undefined,
): Promise<void> {
  const queue = queues[QueueName.FollowUpReminder];
  const prefix = `${jobId('reminder', followUpId)}-`;
  // Index of the follow-up's scheduled job ids, so a reschedule does not scan the whole queue.
  const indexKey = reminderIndexKey(queues);
  const previous = await client.hget(indexKey, followUpId);
  if (previous && previous !== keep && previous.startsWith(prefix)) {
    const job = await queue.getJob(previous);
    if (job && ((await job.isDelayed().catch(() => false)) || (await job.isWaiting().catch(() => false))))
      await job.remove().catch(() => {});
  }
  if (keep) await client.hset(indexKey, followUpId, keep);
  else await client.hdel(indexKey, followUpId);
}

/** Hash followUpId -> reminder job id, kept beside the queue's own keys. */
export function reminderIndexKey(queues: PipelineQueues): string {
  const queue = queues[QueueName.FollowUpReminder];
  return `${queue.opts.prefix}:${queue.name}:by-follow-up`;
}
