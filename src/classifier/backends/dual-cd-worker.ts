/**
 * Worker thread of {@link solveOneVsRestInParallel}: solves the one-vs-rest problems of a range of
 * classes and writes what each class's caller keeps into shared memory (weights as float32, the
 * bias term, margins of rows to score), then sets `status` and wakes the waiting thread. Every
 * class has its own seed, so a class solved here comes out exactly as on the main thread.
 */
import { workerData } from 'node:worker_threads';
import { type ParallelJob, keepClass } from './parallel-solver.ts';
import { solveOneVsRest } from './dual-cd-solver.ts';

const job = workerData as ParallelJob;
Atomics.store(job.status, 0, 1);
Atomics.notify(job.status, 0);
try {
  solveOneVsRest(
    job.data,
    {
      classes: job.classes,
      classCount: job.classCount,
      exclude: job.exclude,
      warmStart: job.warmStart,
      alphasOut: job.alphasOut,
    },
    job.settings,
    (c, w) => keepClass(job, c - job.from, w),
    job.qdBase,
    [job.from, job.classCount],
  );
  Atomics.store(job.status, 0, 2);
} catch {
  Atomics.store(job.status, 0, -1);
}
Atomics.notify(job.status, 0);
