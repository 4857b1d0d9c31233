import { findFollowUpSchedule, markEscalated } from '../src/db/follow-up.repository.ts';
import type { Job } from 'bullmq';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData, EscalateOverdueData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';
import { isOpen } from '../src/domain/follow-up.ts';

/**
 * A follow-up still open a while after its due time is escalated once per due time: a card in its
 * channel that mentions the assignee. The conditional update that sets `escalatedAt` is the claim;
 * a rerun finds it set for this due time and only repeats the (idempotently keyed) enqueue.
 */
export async function escalateOverdue(
  job: Job<EscalateOverdueData>,
  deps: PipelineDeps,
): Promise<{ status: 'escalated' | 'moved-on' }> {
  const { followUpId, dueEpochMs } = job.data;
  const due = new Date(dueEpochMs);
  await markEscalated(deps.db.prisma, followUpId, due, new Date());
  const f = await findFollowUpSchedule(deps.db.prisma, followUpId);
  const stillDue = f && isOpen(f.status) && f.dueAt.getTime() === dueEpochMs;
  if (!stillDue || !f.remindTarget || !f.escalatedAt || f.escalatedAt < due) return { status: 'moved-on' };
  const data: DeliverMessageData = {
    key: jobId('escalation', followUpId, dueEpochMs),
    kind: 'escalation',
    target: f.remindTarget,
    followUpId,
  };
  await deps.queues[QueueName.DeliverMessage].add('escalation', data, { jobId: data.key });
  // Like the reminder, the escalation also reaches the assignee in private (Slack DM, Teams 1:1).
  for (const target of deps.registry.directTargetsFor(f.assignee?.platformUserIds ?? [])) {
    if (target === f.remindTarget) continue;
    const direct: DeliverMessageData = {
      key: jobId('escalation-direct', followUpId, dueEpochMs, target),
      kind: 'escalation',
      target,
      followUpId,
      direct: true,
    };
    await deps.queues[QueueName.DeliverMessage].add('escalation', direct, { jobId: direct.key });
  }
  return { status: 'escalated' };
}
