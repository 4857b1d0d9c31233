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
  /** `[0]`: the next class nobody has taken yet; both threads take classes with `Atomics.add`. */
  readonly next: Int32Array;
  /** Per class: 1 once the worker has written that class's result into the buffers below. */
  readonly done: Int32Array;
  /** Slot per class (only the worker's classes are written, so only their pages are ever touched). */
  readonly weights: Float32Array;
  readonly biasTerms: Float64Array;
  readonly margins: Float64Array;
  /** 0 waiting, 1 started, 2 done, -1 failed. */
  readonly status: Int32Array;
  /** Test hook: the worker fails after taking its first class. */
  readonly failForTesting?: boolean;
}

/** Writes class `c`'s result into the job's shared buffers and marks it done (worker side). */
export function keepClass(job: ParallelJob, c: number, w: Float64Array): void {
  const { columns } = job.data;
  if (job.keepWeights) for (let j = 0, at = c * columns; j < columns; j++) job.weights[at + j] = w[j];
  job.biasTerms[c] = w[columns];
  if (job.scoreRows) scoreInto(job.data, job.settings, job.scoreRows, w, job.margins, c * job.scoreRows.rows.length);
  Atomics.store(job.done, c, 1);
  Atomics.notify(job.done, c);
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
 * Test hooks: the calling thread waits for the worker to start before taking classes, so both take
 * some; and the worker fails after taking its first class (that class is then solved here).
 */
let waitForWorker = false;
let workerFails = false;
export function waitForSolverWorkerForTesting(wait: boolean, fail = false): void {
  waitForWorker = wait;
  workerFails = fail;
}

/**
 * How long the calling thread waits for a class the worker took before solving it itself: only a
 * worker that died without saying so (killed for its heap limit) takes this long.
 */
const STALLED_MS = 60_000;

/**
 * {@link solveOneVsRest} on two threads when the problem is large and the machine has a second core.
 * Both threads take the next class nobody has taken from one shared counter: this thread starts at
 * once, the worker joins when it is up (~50 ms; seconds on a loaded machine), and no class is ever
 * solved twice. `visit` sees every class in order, with exactly the numbers a single thread gives
 * (each class has its own seed and its own data). The worker is ended as soon as the last class is
 * in. Falls back to this thread alone for small problems, one core, `RAPPORT_SOLVER_THREADS=1`, or a
 * worker that cannot start; a worker that fails mid-class leaves that class to this thread.
 * `problem.alphasOut`, when given, must be {@link sharedAlphas}. Synchronous: this thread waits on
 * `Atomics` flags.
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
  const resultOf = (w: Float64Array, copy: boolean): ClassResult => {
    let margins: Float64Array | undefined;
    if (keep.scoreRows) {
      margins = new Float64Array(scoreCount);
      scoreInto(data, settings, keep.scoreRows, w, margins, 0);
    }
    const weights = keep.keepWeights
      ? copy
        ? Float32Array.from(w.subarray(0, columns))
        : w.subarray(0, columns)
      : undefined;
    return { weights, biasTerm: w[columns], margins };
  };
  const threads = process.env.RAPPORT_SOLVER_THREADS === '1' ? 1 : availableParallelism();
  const sharable = !problem.alphasOut || problem.alphasOut.buffer instanceof SharedArrayBuffer;
  lastSolveThreads = 1;
  if (threads < 2 || classCount < 2 || data.rows * classCount < PARALLEL_FROM || !sharable) {
    solveOneVsRest(data, problem, settings, (c, w) => visit(c, resultOf(w, false)), qdBase);
    return;
  }
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
    next: new Int32Array(shared(4)),
    done: new Int32Array(shared(classCount * 4)),
    weights: new Float32Array(shared(keep.keepWeights ? classCount * columns * 4 : 0)),
    biasTerms: new Float64Array(shared(classCount * 8)),
    margins: new Float64Array(shared(classCount * scoreCount * 8)),
    status: new Int32Array(shared(4)),
    failForTesting: workerFails,
  };
  const worker = startWorker(job);
  if (worker && waitForWorker) awaitStart(job.status);
  const fromWorker = (c: number): ClassResult => ({
    weights: keep.keepWeights ? job.weights.subarray(c * columns, (c + 1) * columns) : undefined,
    biasTerm: job.biasTerms[c],
    margins: keep.scoreRows ? job.margins.subarray(c * scoreCount, (c + 1) * scoreCount) : undefined,
  });
  // This thread's results for classes past one the worker is still solving wait here (a few at most).
  const waiting = new Map<number, ClassResult>();
  let visited = 0;
  const flush = () => {
    for (; visited < classCount; visited++) {
      const own = waiting.get(visited);
      if (own) waiting.delete(visited);
      else if (Atomics.load(job.done, visited) === 1) lastSolveThreads = 2;
      else return;
      visit(visited, own ?? fromWorker(visited));
    }
  };
  try {
    solveOneVsRest(
      data,
      problem,
      settings,
      (c, w) => {
        flush();
        if (c === visited) visit(visited++, resultOf(w, false));
        else waiting.set(c, resultOf(w, true));
        flush();
      },
      qdBase,
      () => Atomics.add(job.next, 0, 1),
    );
    // Every class is taken; the worker may still be solving its last one.
    for (flush(); visited < classCount; flush()) {
      if (awaitClass(job, visited)) continue;
      // The worker failed inside this class (or stalled for a minute): solve it here.
      const c = visited;
      const only = [c, classCount];
      solveOneVsRest(
        data,
        problem,
        settings,
        (_, w) => visit(visited++, resultOf(w, false)),
        qdBase,
        () => only.shift()!,
      );
    }
  } finally {
    void worker?.terminate();
  }
}

function startWorker(job: ParallelJob): Worker | undefined {
  try {
    const worker = import.meta.url.endsWith('.ts')
      ? // The sources run through tsx (a checkout being edited, tests): the worker registers it first.
        new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./dual-cd-worker.ts', import.meta.url).href)}); });`,
          { eval: true, workerData: job, resourceLimits: WORKER_LIMITS },
        )
      : new Worker(new URL('./dual-cd-worker.js', import.meta.url), { workerData: job, resourceLimits: WORKER_LIMITS });
    worker.on('error', () => {}); // reported through `status`; never an uncaught exception
    worker.unref();
    return worker;
  } catch {
    return undefined;
  }
}

/** Waits (test hook) until the worker has started or failed, at most a minute. */
function awaitStart(status: Int32Array): void {
  const asked = Date.now();
  while (Atomics.load(status, 0) === 0 && Date.now() - asked < STALLED_MS) Atomics.wait(status, 0, 0, 200);
}

/** Waits for the worker's result for class `c`; `false` when the worker failed or stalled. */
function awaitClass(job: ParallelJob, c: number): boolean {
  const asked = Date.now();
  for (;;) {
    if (Atomics.load(job.done, c) === 1) return true;
    const status = Atomics.load(job.status, 0);
    // Done or failed without this class: it was never written.
    if (status === 2 || status === -1 || Date.now() - asked > STALLED_MS) return Atomics.load(job.done, c) === 1;
    Atomics.wait(job.done, c, 0, 200);
  }
}
