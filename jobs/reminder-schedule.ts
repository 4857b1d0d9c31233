import { findFollowUpSchedule } from '../src/db/follow-up.repository.ts';
import { findExistingDeliveryKeys } from '../src/db/delivery.repository.ts';
import type { Redis } from 'ioredis';
import type { Database } from '../src/db/database.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineQueues } from './queues.ts';
import { jobId } from './job-ids.ts';
import type { FollowUpReminderData } from './job-data.ts';
import { isOpen } from '../src/domain/follow-up.ts';
import { requeueJobs, type JobToRequeue } from './requeue-jobs.ts';

export function reminderJobId(followUpId: string, dueAt: Date): string {
  return jobId('reminder', followUpId, dueAt.getTime());
}

/** A follow-up's reminder as it is to be queued: for `due`, delayed until then (run now when past). */
export interface ReminderToQueue {
  followUpId: string;
  /** Its due time, epoch ms. */
  due: number;
}

/** Rounds of "queue the wanted job, remove the others, read the due time again" one sync makes at most. */
const MAX_SYNC_ROUNDS = 5;

/**
 * Makes Redis agree with the database for one follow-up: one delayed reminder job at its due time while
 * it is open or snoozed, none otherwise. Safe to call any number of times, and from several processes
 * at once: two changes of the same follow-up committed one after the other (two processes, two clicks)
 * each sync, and the one that read its due time before the other's commit removes the job the other
 * queued. So the wanted job is queued first, and any call that removed a job reads the due time again
 * afterwards and goes round with the one it finds: the last removal of the committed due time's job is
 * always followed by a read that sees it (and queues it again), or comes before its commit (whose own
 * sync queues it after). A job left behind by a lost race ends as a no-op (the reminder job posts only
 * for the due time in its data) and the reconciler removes it.
 */
export async function syncReminder(
  db: Database,
  redis: Redis,
  queues: PipelineQueues,
  followUpId: string,
): Promise<void> {
  let wanted = await wantedReminder(db, followUpId);
  for (let round = 1; ; round++) {
    if (wanted) await queueReminders(db, queues, [wanted], ['completed', 'failed']);
    // Changed under every round: leaves what is left for the reconciler rather than chase them further.
    if (round === MAX_SYNC_ROUNDS) return;
    const keep = wanted && reminderJobId(wanted.followUpId, new Date(wanted.due));
    if (!(await removeStaleReminders(redis, queues, followUpId, keep))) return;
    const now = await wantedReminder(db, followUpId);
    if (now?.due === wanted?.due) return;
    wanted = now;
  }
}

/** The reminder the database wants for this follow-up now: none unless it is open or snoozed. */
async function wantedReminder(db: Database, followUpId: string): Promise<ReminderToQueue | undefined> {
  const f = await findFollowUpSchedule(db.prisma, followUpId);
  return f && isOpen(f.status) ? { followUpId: f.id, due: f.dueAt.getTime() } : undefined;
}

/**
 * Queues these reminders under their ids (`reminder-<follow-up>-<due>`), each delayed until its due time.
 * Through requeueJobs: a job kept under the id in one of the `replace` states is replaced, where a plain
 * add is a no-op and the reminder is lost (one that used up its attempts while PostgreSQL was away stays
 * in the failed set for a week; one that ran while its follow-up was due at another time is kept
 * completed, having posted nothing). A past-due one whose channel delivery is written down already is
 * not queued again: it ran, and the redrive has its delivery, sent or not. Answers the ids queued.
 */
export async function queueReminders(
  db: Database,
  queues: PipelineQueues,
  reminders: readonly ReminderToQueue[],
  replace: ReadonlyArray<'completed' | 'failed'>,
  now = Date.now(),
): Promise<string[]> {
  const jobs: JobToRequeue<FollowUpReminderData>[] = reminders.map((r) => ({
    name: 'remind',
    data: { followUpId: r.followUpId, dueEpochMs: r.due },
    opts: { jobId: reminderJobId(r.followUpId, new Date(r.due)), delay: Math.max(0, r.due - now) },
  }));
  const pastDue = jobs.filter((j) => j.data.dueEpochMs <= now).map((j) => j.opts.jobId);
  const written = await findExistingDeliveryKeys(db.sql, pastDue);
  return requeueJobs(
    queues[QueueName.FollowUpReminder],
    jobs.filter((j) => !written.has(j.opts.jobId)),
    replace,
  );
}

/**
 * Removes the delayed/waiting reminder job of this follow-up that the index names, unless it is `keep`,
 * and points the index at `keep`. Answers whether it removed one (or tried to).
 */
async function removeStaleReminders(
  client: Redis,
  queues: PipelineQueues,
  followUpId: string,
  keep: string | undefined,
): Promise<boolean> {
  const queue = queues[QueueName.FollowUpReminder];
  const prefix = `${jobId('reminder', followUpId)}-`;
  // Index of the follow-up's scheduled job ids, so a reschedule does not scan the whole queue.
  const indexKey = reminderIndexKey(queues);
  const previous = await client.hget(indexKey, followUpId);
  let removed = false;
  if (previous && previous !== keep && previous.startsWith(prefix)) {
    const job = await queue.getJob(previous);
    if (job && ((await job.isDelayed().catch(() => false)) || (await job.isWaiting().catch(() => false)))) {
      // Counted as removed even when the answer is an error: the script may have run before it was lost.
      removed = true;
      await job.remove().catch(() => {});
    }
  }
  if (keep) await client.hset(indexKey, followUpId, keep);
  else await client.hdel(indexKey, followUpId);
  return removed;
}

/** Hash followUpId -> reminder job id, kept beside the queue's own keys. */
export function reminderIndexKey(queues: PipelineQueues): string {
  const queue = queues[QueueName.FollowUpReminder];
  return `${queue.opts.prefix}:${queue.name}:by-follow-up`;
}
