import type { Job } from 'bullmq';
import { QueueName } from './queue-names.ts';
import type { DailyDigestData, DeliverMessageData } from './job-data.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { jobId } from './job-ids.ts';

/** Queues one digest post per channel and local day (the key makes a second run that day a no-op). */
export async function dailyDigest(job: Job<DailyDigestData>, deps: PipelineDeps): Promise<{ key: string }> {
  const { target, timezone } = job.data;
  const day = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
  const data: DeliverMessageData = { key: jobId('digest', target, day), kind: 'digest', target };
  await deps.queues[QueueName.DeliverMessage].add('digest', data, { jobId: data.key });
  return { key: data.key };
}
