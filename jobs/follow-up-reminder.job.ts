import { findFollowUpSchedule } from '../src/db/follow-up.repository.ts';
import { recordPendingDeliveries } from '../src/db/delivery.repository.ts';
import type { Job } from 'bullmq';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData, EscalateOverdueData, FollowUpReminderData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';
import { isOpen } from '../src/domain/follow-up.ts';

/**
 * Fires at a follow-up's due time. Re-reads it and posts the reminder only if it is still open (or
 * snoozed) and still due at the time this job was scheduled for; then arms the one-off escalation.
 */
export async function followUpReminder(
  job: Job<FollowUpReminderData>,
  deps: PipelineDeps,
): Promise<{ status: 'posted' | 'moved-on' }> {
  const { followUpId, dueEpochMs } = job.data;
  const f = await findFollowUpSchedule(deps.db.prisma, followUpId);
  if (!f || !isOpen(f.status) || f.dueAt.getTime() !== dueEpochMs || !f.remindTarget) {
    return { status: 'moved-on' };
  }
  const deliver: DeliverMessageData = {
    key: jobId('reminder', f.id, dueEpochMs),
    kind: 'reminder',
    target: f.remindTarget,
    followUpId: f.id,
  };
  // The assignee also gets it in private (Slack DM, Teams 1:1), on each platform Rapport knows them from;
  // queued after the channel's reminder and its escalation.
  const direct: DeliverMessageData[] = [];
  for (const target of deps.registry.directTargetsFor(f.assignee?.platformUserIds ?? [])) {
    if (target === f.remindTarget) continue;
    direct.push({
      key: jobId('reminder-direct', f.id, dueEpochMs, target),
      kind: 'reminder',
      target,
      followUpId: f.id,
      direct: true,
    });
  }
  // Written down before they are queued: a delivery job that gives up before it wrote its row (the
  // database away for longer than its retries) or that Redis loses is queued again by the redrive.
  await recordPendingDeliveries(
    deps.db.sql,
    [deliver, ...direct].map((d) => ({ key: d.key, target: d.target, payload: d })),
  );
  await deps.queues[QueueName.DeliverMessage].add('reminder', deliver, { jobId: deliver.key });
  const escalate: EscalateOverdueData = { followUpId: f.id, dueEpochMs };
  await deps.queues[QueueName.EscalateOverdue].add('escalate', escalate, {
    jobId: jobId('escalate', f.id, dueEpochMs),
    delay: Math.max(0, dueEpochMs + deps.settings.escalateAfterMs - Date.now()),
  });
  for (const d of direct) await deps.queues[QueueName.DeliverMessage].add('reminder', d, { jobId: d.key });
  return { status: 'posted' };
}
