import {
  findDeliveriesToRedrive,
  findSuggestionsWithoutDelivery,
  markDeliveriesRedriven,
} from '../src/db/delivery-redrive.repository.ts';
import { QueueName } from './queue-names.ts';
import type { DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';
import { requeueJobs, type JobToRequeue } from './requeue-jobs.ts';

/** First wait before a delivery is driven again; doubles per drive. */
export const REDRIVE_BASE_MS = 60_000;
/** Longest wait between two drives. */
export const REDRIVE_CAP_MS = 3_600_000;
/** Drives after which a delivery is left `failed` for an administrator (about ten hours of trying). */
export const MAX_REDRIVES = 12;
/** How long a delivery must be quiet before it is taken for lost (its job retries every few seconds). */
export const REDRIVE_QUIET_MS = 60_000;

export interface RedriveReport {
  /** Deliveries whose job was gone (or had given up) and were queued again. */
  deliveriesRequeued: number;
  /** Suggestions whose card job never ran, queued. */
  suggestionsQueued: number;
}

/**
 * Re-derives deliveries from the database: a 3 s Redis restart left 9 of 4,648 suggestion cards never
 * posted (Delivery rows stuck in `posting`, suggestions without a Delivery), and a delivery that used
 * up its attempts during a platform outage was never tried again. Each is queued again under its own
 * key (a job still alive makes that a no-op; a kept finished one is replaced), with backoff between
 * drives and a cap. After a Redis loss (`afterLoss`) nothing waits out the quiet time: every job may be
 * gone, and the delivery's lease, not time, keeps a worker still posting it from being doubled.
 */
export async function redriveDeliveries(
  deps: PipelineDeps,
  opts: { afterLoss?: boolean } = {},
): Promise<RedriveReport> {
  const now = new Date();
  const quietSince = new Date(now.getTime() - (opts.afterLoss ? 0 : REDRIVE_QUIET_MS));
  const queue = deps.queues[QueueName.DeliverMessage];

  const rows = await findDeliveriesToRedrive(deps.db.sql, { now, quietSince, maxRedrives: MAX_REDRIVES, limit: 2_000 });
  const jobs: JobToRequeue<DeliverMessageData>[] = rows.map((r) => {
    const data = r.payload as DeliverMessageData;
    return { name: data.kind, data, opts: { jobId: data.key } };
  });
  const requeued = await requeueJobs(queue, jobs);
  await markDeliveriesRedriven(deps.db.sql, requeued, { now, baseMs: REDRIVE_BASE_MS, capMs: REDRIVE_CAP_MS });

  const missing = await findSuggestionsWithoutDelivery(deps.db.sql, { createdBefore: quietSince, limit: 2_000 });
  const suggestions = missing.map((f) => {
    const data: DeliverMessageData = {
      key: jobId('suggestion', f.id),
      kind: 'suggestion',
      target: f.remindTarget,
      followUpId: f.id,
    };
    return { name: 'suggestion', data, opts: { jobId: data.key } };
  });
  const queued = await requeueJobs(queue, suggestions);
  return { deliveriesRequeued: requeued.length, suggestionsQueued: queued.length };
}
