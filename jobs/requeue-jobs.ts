import type { JobsOptions, Queue } from 'bullmq';

export interface JobToRequeue<T> {
  name: string;
  data: T;
  opts: JobsOptions & { jobId: string };
}

/**
 * Adds jobs under their deterministic ids even when a finished job with the id is still kept. A plain
 * add of a kept completed (or failed) job's id is a no-op: 19 of 40 unlabelled logs stayed so for 20
 * minutes while `removeOnComplete` kept their first job. Finished ones are removed first; jobs still
 * waiting, delayed or active are left alone (re-adding them would move them to the back of the queue).
 * `replace` narrows which finished states are replaced (a job kept `completed` may have done its part).
 * Answers the ids queued.
 */
export async function requeueJobs<T>(
  queue: Queue,
  jobs: readonly JobToRequeue<T>[],
  replace: ReadonlyArray<'completed' | 'failed'> = ['completed', 'failed'],
): Promise<string[]> {
  if (jobs.length === 0) return [];
  const states = await Promise.all(jobs.map((j) => queue.getJobState(j.opts.jobId)));
  const finished = jobs.filter((_, i) => (replace as readonly string[]).includes(states[i]));
  const gone = jobs.filter((_, i) => states[i] === 'unknown');
  await Promise.all(finished.map((j) => queue.remove(j.opts.jobId).catch(() => 0)));
  const todo = [...finished, ...gone];
  if (todo.length > 0) await queue.addBulk(todo.map((j) => ({ name: j.name, data: j.data, opts: j.opts })));
  return todo.map((j) => j.opts.jobId);
}
