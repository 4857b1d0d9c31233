import { findFollowUpSchedule, markEscalated } from '../src/db/follow-up.repository.ts';
import { inTransaction } from '../src/db/db-client.ts';
import { recordPendingDeliveriesIn } from '../src/db/delivery.repository.ts';
import type { Job } from 'bullmq';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData, EscalateOverdueData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';
import { isOpen } from '../src/domain/follow-up.ts';

/**
 * A follow-up still open a while after its due time is escalated once per due time: a card in its
 * channel that mentions the assignee. The conditional update that sets `escalatedAt` is the claim;
 * its deliveries are written down as `pending` in the same transaction, so once the follow-up counts
 * as escalated (the reconciler arms nothing for it any more) the reconciler's redrive has them even
 * if Redis loses their jobs before they run. A rerun finds `escalatedAt` set for this due time and
 * only repeats the (idempotently keyed) writes and enqueues.
 */
export async function escalateOverdue(
  job: Job<EscalateOverdueData>,
  deps: PipelineDeps,
): Promise<{ status: 'escalated' | 'moved-on' }> {
  const { followUpId, dueEpochMs } = job.data;
  const due = new Date(dueEpochMs);
  const deliveries = await inTransaction(deps.db, async (tx) => {
    await markEscalated(tx, followUpId, due, new Date());
    const f = await findFollowUpSchedule(tx, followUpId);
    const stillDue = f && isOpen(f.status) && f.dueAt.getTime() === dueEpochMs;
    if (!stillDue || !f.remindTarget || !f.escalatedAt || f.escalatedAt < due) return undefined;
    const channel: DeliverMessageData = {
      key: jobId('escalation', followUpId, dueEpochMs),
      kind: 'escalation',
      target: f.remindTarget,
      followUpId,
    };
    const all = [channel];
    // Like the reminder, the escalation also reaches the assignee in private (Slack DM, Teams 1:1).
    for (const target of deps.registry.directTargetsFor(f.assignee?.platformUserIds ?? [])) {
      if (target === f.remindTarget) continue;
      all.push({
        key: jobId('escalation-direct', followUpId, dueEpochMs, target),
        kind: 'escalation',
        target,
        followUpId,
        direct: true,
      });
    }
    await recordPendingDeliveriesIn(
      tx,
      all.map((d) => ({ key: d.key, target: d.target, payload: d })),
    );
    return all;
  });
  if (!deliveries) return { status: 'moved-on' };
  for (const d of deliveries) await deps.queues[QueueName.DeliverMessage].add('escalation', d, { jobId: d.key });
  return { status: 'escalated' };
}
