import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ALL_QUEUES, type QueueName } from './queue-names.ts';

/** Retries with exponential backoff (1 s, 2 s, 4 s, ...); completed jobs kept an hour for dedupe and inspection. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 10_000 },
};

export type PipelineQueues = Record<QueueName, Queue>;

/** One BullMQ Queue per queue name on a shared connection, under the configured (Cluster-safe) prefix. */
export function createQueues(connection: Redis, prefix: string): PipelineQueues {
  const queues = {} as PipelineQueues;
  for (const name of ALL_QUEUES) {
    queues[name] = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }
  return queues;
}

export async function closeQueues(queues: PipelineQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
