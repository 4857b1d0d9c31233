import { recordPendingDeliveries } from '../src/db/delivery.repository.ts';
import type { Database } from '../src/db/database.ts';
import type { DeliverMessageData } from './job-data.ts';
import { QueueName } from './queue-names.ts';
import type { PipelineQueues } from './queues.ts';

/**
 * Queues refreshes and retractions of posted cards, each written down first as a `pending` Delivery
 * with its job's data. The change they follow is committed already; a job that only Redis knew of was
 * lost with Redis (unreachable when it was queued, or emptied before a worker took it), and a card
 * then kept showing a customer `forget` had erased. Written down, the reconciler queues it again
 * (redriveDeliveries: at once after Redis lost its data, else once it has been quiet a minute).
 */
export async function queueCardChanges(
  deps: { db: Database; queues: PipelineQueues },
  changes: readonly DeliverMessageData[],
): Promise<void> {
  if (changes.length === 0) return;
  await recordPendingDeliveries(
    deps.db.sql,
    changes.map((d) => ({ key: d.key, target: d.target, payload: d })),
  );
  const queue = deps.queues[QueueName.DeliverMessage];
  if (changes.length === 1) await queue.add(changes[0].kind, changes[0], { jobId: changes[0].key });
  else await queue.addBulk(changes.map((d) => ({ name: d.kind, data: d, opts: { jobId: d.key } })));
}
