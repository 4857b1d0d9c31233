import type { Job } from 'bullmq';
import { recordPendingDeliveries } from '../src/db/delivery.repository.ts';
import { instantToWallClock } from '../src/domain/zoned-time.ts';
import { QueueName } from './queue-names.ts';
import type { DailyDigestData, DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

/**
 * Queues one digest post per channel and local day (the key makes a second run that day a no-op), written
 * down as a `pending` Delivery first.
 */
export async function dailyDigest(job: Job<DailyDigestData>, deps: PipelineDeps): Promise<{ key: string }> {
  const { target, timezone } = job.data;
  const data = digestDelivery(target, localDay(new Date(), timezone));
  await queueWrittenDown(deps, data);
  return { key: data.key };
}

/** "2026-12-06": the local day `days` days after that of `at` in a timezone (the digest's key names it). */
export function localDay(at: Date, timeZone: string, days = 0): string {
  const wall = instantToWallClock(at, timeZone);
  const d = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return d.toISOString().slice(0, 10);
}

/** The digest post of one channel and local day ("2026-12-06" in the channel's timezone). */
export function digestDelivery(target: string, day: string): DeliverMessageData {
  return { key: jobId('digest', target, day), kind: 'digest', target };
}

/**
 * Writes a delivery down as `pending` and then queues it: a delivery job that gives up before it wrote
 * its row (the database away longer than its retries) or that Redis loses is queued again by the
 * reconciler's redrive, and the reconciler can tell this day's digest (or week's insights post) was made.
 */
export async function queueWrittenDown(deps: PipelineDeps, data: DeliverMessageData): Promise<void> {
  await recordPendingDeliveries(deps.db.sql, [{ key: data.key, target: data.target, payload: data }]);
  await deps.queues[QueueName.DeliverMessage].add(data.kind, data, { jobId: data.key });
}
