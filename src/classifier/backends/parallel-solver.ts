import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SparseMatrix } from '../sparse-vector.ts';
import { type DualCdProblem, type DualCdSettings, rowSquaredNorms, solveOneVsRest } from './dual-cd-solver.ts';

/**
 * Below this many rows × classes the one-vs-rest problems are solved on the calling thread: a worker
 * costs ~50 ms to start, more than the default CRM model's whole solve (2,400 rows × 7 labels).
 * CLINC150 (15,000 × 150) and Banking77 (10,000 × 77) are above it.
 */
export const PARALLEL_FROM = 500_000;

/** What a caller keeps of one class's solution (the dense weights themselves are not kept). */
export interface ClassResult {
  /** Weights, `columns` of them, rounded to float32 (what a model stores); when `keepWeights`. */
  readonly weights?: ArrayLike<number>;
  /** `w[columns]`, the bias feature's weight (multiply by `settings.bias` for the bias). */
  readonly biasTerm: number;
  /** Margins of `scoreRows`, in their order, when asked for. */
  readonly margins?: Float64Array;
}

/** What to keep of each class's solution. */
export interface KeepOptions {
  readonly keepWeights: boolean;
  /** Rows to score with each class's weights: margin = (x·w) × scale + bias (out-of-fold margins). */
  readonly scoreRows?: { readonly rows: Int32Array; readonly scale: Float64Array };
}

/** The job a worker gets (typed arrays are copied to it, shared buffers are shared). */
export interface ParallelJob extends KeepOptions {
  readonly data: SparseMatrix;
  readonly classes: Int32Array;
  readonly classCount: number;
  readonly exclude?: Uint8Array;
  readonly warmStart?: Float32Array;
  readonly alphasOut?: Float32Array;
  readonly settings: DualCdSettings;
  readonly qdBase: Float64Array;
  /** First class of the worker; it solves `from..classCount-1`. */
  readonly from: number;
  readonly weights: Float32Array;
  readonly biasTerms: Float64Array;
  readonly margins: Float64Array;
  /** 0 waiting, 1 started, 2 done, -1 failed. */
  readonly status: Int32Array;
}

/** Writes class slot `k`'s result into the job's shared buffers (worker side). */
export function keepClass(job: ParallelJob, k: number, w: Float64Array): void {
  const { columns } = job.data;
  if (job.keepWeights) for (let j = 0, at = k * columns; j < columns; j++) job.weights[at + j] = w[j];
  job.biasTerms[k] = w[columns];
  if (job.scoreRows) scoreInto(job.data, job.settings, job.scoreRows, w, job.margins, k * job.scoreRows.rows.length);
}

function scoreInto(
  data: SparseMatrix,
  settings: DualCdSettings,
  score: NonNullable<KeepOptions['scoreRows']>,
  w: Float64Array,
  out: Float64Array,
  at: number,
): void {
  const { rowStart, indices, values, columns } = data;
  const biasTerm = w[columns] * settings.bias;
  for (let r = 0; r < score.rows.length; r++) {
    const i = score.rows[r];
    let dot = 0;
    for (let p = rowStart[i]; p < rowStart[i + 1]; p++) dot += w[indices[p]] * values[p];
    out[at + r] = dot * score.scale[r] + biasTerm;
  }
}

/** How many threads the last solve used (2 when the worker delivered); for tests. */
export let lastSolveThreads = 1;

/** The worker allocates a few arrays per class: a small heap keeps the process's peak RSS down. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 32, codeRangeSizeMb: 8 };

const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));

/** A class-major `rows × classCount` float32 buffer the worker can write into too. */
export function sharedAlphas(length: number): Float32Array {
  return new Float32Array(shared(length * 4));
}

/**
 * {@link solveOneVsRest} on two threads when the problem is large and the machine has a second core:
 * a worker solves the upper half of the classes while this thread solves the lower half, and `visit`
 * then sees every class in order, with exactly the numbers a single thread gives (each class has its
 * own seed and its own data). Falls back to this thread alone for small problems, one core,
 * `RAPPORT_SOLVER_THREADS=1`, or a worker that fails. `problem.alphasOut`, when given, must be
 * {@link sharedAlphas}. Synchronous: this thread waits on an `Atomics` flag.
 */
export function solveOneVsRestInParallel(
  data: SparseMatrix,
  problem: DualCdProblem,
  settings: DualCdSettings,
  keep: KeepOptions,
  visit: (classIndex: number, result: ClassResult) => void,
  qdBase: Float64Array = rowSquaredNorms(data, settings.bias),
): void {
  const { classCount } = problem;
  const { columns } = data;
  const scoreCount = keep.scoreRows?.rows.length ?? 0;
  const local = (c: number, w: Float64Array): void => {
    let margins: Float64Array | undefined;
    if (keep.scoreRows) {
      margins = new Float64Array(scoreCount);
      scoreInto(data, settings, keep.scoreRows, w, margins, 0);
    }
    visit(c, { weights: keep.keepWeights ? w.subarray(0, columns) : undefined, biasTerm: w[columns], margins });
  };
  const threads = process.env.RAPPORT_SOLVER_THREADS === '1' ? 1 : availableParallelism();
  const sharable = !problem.alphasOut || problem.alphasOut.buffer instanceof SharedArrayBuffer;
  lastSolveThreads = 1;
  if (threads < 2 || classCount < 2 || data.rows * classCount < PARALLEL_FROM || !sharable) {
    solveOneVsRest(data, problem, settings, local, qdBase);
    return;
  }
  const from = Math.ceil(classCount / 2);
  const theirs = classCount - from;
  const job: ParallelJob = {
    ...keep,
    data,
    classes: problem.classes,
    classCount,
    exclude: problem.exclude,
    warmStart: problem.warmStart,
    alphasOut: problem.alphasOut,
    settings,
    qdBase,
    from,
    weights: new Float32Array(shared(keep.keepWeights ? theirs * columns * 4 : 0)),
    biasTerms: new Float64Array(shared(theirs * 8)),
    margins: new Float64Array(shared(theirs * scoreCount * 8)),
    status: new Int32Array(shared(4)),
  };
  let worker: Worker | undefined;
  try {
    worker = import.meta.url.endsWith('.ts')
      ? // The sources run through tsx (a checkout being edited, tests): the worker registers it first.
        new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./dual-cd-worker.ts', import.meta.url).href)}); });`,
          { eval: true, workerData: job, resourceLimits: WORKER_LIMITS },
        )
      : new Worker(new URL('./dual-cd-worker.js', import.meta.url), { workerData: job, resourceLimits: WORKER_LIMITS });
    worker.on('error', () => {}); // reported through `status`; never an uncaught exception
    worker.unref();
  } catch {
    worker = undefined;
  }
  solveOneVsRest(data, problem, settings, local, qdBase, [0, from]);
  if ((worker ? waitFor(job.status) : -1) !== 2) {
    void worker?.terminate();
    // The worker never started or failed: solve its classes here (a late worker writes the same alphas).
    solveOneVsRest(data, problem, settings, local, qdBase, [from, classCount]);
    return;
  }
  lastSolveThreads = 2;
  for (let c = from; c < classCount; c++) {
    const k = c - from;
    visit(c, {
      weights: keep.keepWeights ? job.weights.subarray(k * columns, (k + 1) * columns) : undefined,
      biasTerm: job.biasTerms[k],
      margins: keep.scoreRows ? job.margins.subarray(k * scoreCount, (k + 1) * scoreCount) : undefined,
    });
  }
}

/**
 * Waits until the worker is done (2) or failed (-1). It is asked once this thread has solved its own
 * half, so a worker that has still not started 2 s later (it could not load) is given up.
 */
function waitFor(status: Int32Array): number {
  const asked = Date.now();
  for (;;) {
    const now = Atomics.load(status, 0);
    if (now === 2 || now === -1) return now;
    if (now === 0 && Date.now() - asked > 2000) return -1;
    Atomics.wait(status, 0, now, 200);
  }
}
