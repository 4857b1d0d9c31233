/**
 * Worker thread of {@link solveOneVsRestInParallel}: takes classes nobody has taken yet from the
 * job's shared counter, solves each one-vs-rest problem and writes what the caller keeps into that
 * class's shared slot (weights as float32, the bias term, margins of rows to score), marking it done.
 * Every class has its own seed, so a class solved here comes out exactly as on the main thread.
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
    (c, w) => keepClass(job, c, w),
    job.qdBase,
    () => {
      const c = Atomics.add(job.next, 0, 1);
      if (job.failForTesting) throw new Error('failing as the test asked');
      return c;
    },
  );
  Atomics.store(job.status, 0, 2);
} catch {
  Atomics.store(job.status, 0, -1);
}
Atomics.notify(job.status, 0);
