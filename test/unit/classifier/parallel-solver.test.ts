import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { linearSettings, trainLinearSvm } from '../../../src/classifier/backends/linear-svm.backend.ts';
import {
  PARALLEL_FROM,
  lastSolveThreads,
  waitForSolverWorkerForTesting,
} from '../../../src/classifier/backends/parallel-solver.ts';
import { outOfFoldMargins } from '../../../src/classifier/out-of-fold.ts';
import { seededRandom } from '../../../src/classifier/seeded-random.ts';
import { toSparseMatrix, type SparseVector } from '../../../src/classifier/sparse-vector.ts';

/** A random sparse problem just above the size where a second thread solves half the classes. */
function problem() {
  const random = seededRandom(5);
  const classCount = 60;
  const rows = Math.ceil(PARALLEL_FROM / classCount) + 10;
  const columns = 3000;
  const classes = Int32Array.from({ length: rows }, (_, i) => i % classCount);
  const vectors: SparseVector[] = Array.from({ length: rows }, (_, i) => {
    const picked = new Set<number>([classes[i] * 40 + Math.floor(random() * 40)]);
    while (picked.size < 8) picked.add(Math.floor(random() * columns));
    const indices = Int32Array.from([...picked].sort((a, b) => a - b));
    return { indices, values: Float32Array.from(indices, () => 0.2 + random()) };
  });
  return { data: toSparseMatrix(vectors, columns), classes, classCount };
}

function solve(threads: '1' | undefined) {
  if (threads) process.env.RAPPORT_SOLVER_THREADS = threads;
  else delete process.env.RAPPORT_SOLVER_THREADS;
  const { data, classes, classCount } = problem();
  const { svm, alphas } = trainLinearSvm(data, classes, classCount, { seed: 3 }, true);
  const trainThreads = lastSolveThreads;
  const fold = Int32Array.from({ length: data.rows }, (_, i) => (i % 10 === 0 ? 0 : -1));
  const top = outOfFoldMargins(
    data,
    { classes, classCount, warmStart: alphas },
    fold,
    1,
    { ...linearSettings({ seed: 3 }), tolerance: 1 },
    { keepAll: true },
  );
  return {
    weights: Buffer.from(svm.serialize()),
    alphas: Buffer.from(alphas!.buffer),
    top,
    threads: [trainThreads, lastSolveThreads],
  };
}

describe('one-vs-rest on two threads', () => {
  afterEach(() => {
    delete process.env.RAPPORT_SOLVER_THREADS;
    waitForSolverWorkerForTesting(false);
  });

  it('gives exactly the weights, dual variables and out-of-fold margins of one thread', () => {
    const one = solve('1');
    // Both threads take classes from one counter; the calling thread waits for the worker to be up
    // first, so the worker surely solves some of them (under load it could otherwise start too late).
    waitForSolverWorkerForTesting(true);
    const two = solve(undefined);
    expect(one.threads).toEqual([1, 1]);
    // Where the machine has a second core the worker solved classes of both solves.
    if (availableParallelism() > 1) expect(two.threads).toEqual([2, 2]);
    expect(two.weights.equals(one.weights)).toBe(true);
    expect(two.alphas.equals(one.alphas)).toBe(true);
    expect(Array.from(two.top.best)).toEqual(Array.from(one.top.best));
    expect(Array.from(two.top.margin)).toEqual(Array.from(one.top.margin));
    expect(Array.from(two.top.all!)).toEqual(Array.from(one.top.all!));
  }, 120_000);

  it('solves the class a failed worker had taken on the calling thread, with the same result', () => {
    const one = solve('1');
    waitForSolverWorkerForTesting(true, true);
    const failed = solve(undefined);
    expect(failed.threads).toEqual([1, 1]);
    expect(failed.weights.equals(one.weights)).toBe(true);
    expect(failed.alphas.equals(one.alphas)).toBe(true);
    expect(Array.from(failed.top.all!)).toEqual(Array.from(one.top.all!));
  }, 120_000);
});
