import { seededRandom, shuffleInPlace } from '../seeded-random.ts';
import type { SparseMatrix } from '../sparse-vector.ts';

/** Solver settings of {@link solveOneVsRest} (LIBLINEAR's names and defaults). */
export interface DualCdSettings {
  /** Regularisation. */
  readonly C: number;
  /** `l2` = squared hinge (LIBLINEAR -s 1, like sklearn's LinearSVC), `l1` = hinge (-s 3). */
  readonly loss: 'l1' | 'l2';
  /** Stopping tolerance on the projected-gradient gap. */
  readonly tolerance: number;
  /** Maximum passes over the data per class. */
  readonly maxIterations: number;
  /** Value of the constant bias feature (its weight is regularised, as in LIBLINEAR `-B`). */
  readonly bias: number;
  /** Seed of the per-class shuffles. */
  readonly seed: number;
}

/** What one call of {@link solveOneVsRest} works on besides the data. */
export interface DualCdProblem {
  /** One binary problem per class: `+1` for rows of that class, `-1` for the rest. */
  readonly classes: Int32Array;
  readonly classCount: number;
  /** Rows marked 1 take no part (a cross-validation fold, a left-out correction); their alphas stay 0. */
  readonly exclude?: Uint8Array;
  /**
   * Dual variables of an earlier solution on the same rows (class-major: `alphas[c * rows + i]`) to
   * start from. Leaving a few rows out of a solved problem moves the optimum only a little, so a warm
   * start converges in a few passes instead of solving from zero (LIBLINEAR's warm-start idea).
   */
  readonly warmStart?: Float32Array;
  /** Where to write the final dual variables (class-major, `rows * classCount`), for later warm starts. */
  readonly alphasOut?: Float32Array;
}

/**
 * Dual coordinate descent with shrinking for one binary L1/L2-loss SVM (Hsieh et al. 2008,
 * LIBLINEAR `solve_l2r_l1l2_svc`). `alpha` holds the starting point and receives the solution;
 * returns `w` with `columns + 1` entries, the last being the bias weight.
 *
 * Shrinking differs from LIBLINEAR's in one way: a variable at a bound whose gradient points out of
 * the box (pg = 0) leaves the active set as soon as a pass sees it, where LIBLINEAR waits until its
 * gradient exceeds the largest violation of the pass before. In a one-vs-rest problem nearly every
 * row is a negative far from the margin, and LIBLINEAR's rule kept them all active for the first
 * four or five passes of each class: on CLINC150 this visits 44% fewer rows (69k against 122k a
 * class) and the optimum is the same to the tolerance. Stopping is LIBLINEAR's: the gap over a pass
 * that started with every row active, each row's projected gradient read when the pass reached it.
 * A cold start keeps its first pass whole (w is still moving fast); a warm start shrinks from the
 * first pass, since it starts near its optimum.
 */
function solveBinary(
  data: SparseMatrix,
  y: Int8Array,
  qdBase: Float64Array,
  settings: DualCdSettings,
  random: () => number,
  alpha: Float64Array,
  included: Int32Array,
  w: Float64Array,
): Float64Array {
  const { rowStart, indices, values, columns } = data;
  const diag = settings.loss === 'l2' ? 0.5 / settings.C : 0;
  const upper = settings.loss === 'l2' ? Infinity : settings.C;
  const bias = settings.bias;
  w.fill(0);
  const n = included.length;
  const order = Int32Array.from(included);
  let warm = false;
  for (let s = 0; s < n; s++) {
    const i = order[s];
    const a = alpha[i];
    if (a === 0) continue;
    warm = true;
    const d = a * y[i];
    for (let p = rowStart[i], end = rowStart[i + 1]; p < end; p++) w[indices[p]] += d * values[p];
    w[columns] += d * bias;
  }
  let active = n;
  let shrink = warm;
  for (let iter = 0; iter < settings.maxIterations; iter++) {
    let pgMax = -Infinity;
    let pgMin = Infinity;
    const whole = active === n;
    shuffleInPlace(order.subarray(0, active), random);
    for (let s = 0; s < active; s++) {
      const i = order[s];
      const yi = y[i];
      const start = rowStart[i];
      const end = rowStart[i + 1];
      let dot = w[columns] * bias;
      for (let p = start; p < end; p++) dot += w[indices[p]] * values[p];
      const a = alpha[i];
      const g = yi * dot - 1 + a * diag;
      let pg = g;
      if (a === 0 ? g > 0 : a === upper && g < 0) {
        pg = 0;
        if (shrink) {
          active--;
          order[s] = order[active];
          order[active] = i;
          s--;
          continue;
        }
      }
      if (pg > pgMax) pgMax = pg;
      if (pg < pgMin) pgMin = pg;
      if (Math.abs(pg) > 1e-12) {
        const next = Math.min(Math.max(a - g / (qdBase[i] + diag), 0), upper);
        const d = (next - a) * yi;
        alpha[i] = next;
        for (let p = start; p < end; p++) w[indices[p]] += d * values[p];
        w[columns] += d * bias;
      }
    }
    shrink = true;
    // A shrunk row's projected gradient was 0 when the pass saw it.
    if (active < n) {
      if (pgMax < 0) pgMax = 0;
      if (pgMin > 0) pgMin = 0;
    }
    if (pgMax - pgMin <= settings.tolerance) {
      if (whole) break;
      active = n;
    }
  }
  return w;
}

/** `‖x_i‖² + bias²` per row: the diagonal of the dual's Hessian, shared by every class. */
export function rowSquaredNorms(data: SparseMatrix, bias: number): Float64Array {
  const out = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++) {
    let s = bias * bias;
    for (let p = data.rowStart[i]; p < data.rowStart[i + 1]; p++) s += data.values[p] * data.values[p];
    out[i] = s;
  }
  return out;
}

/**
 * Solves the one-vs-rest problems of `problem` one class at a time and hands each class's dense
 * weights (`columns + 1`, bias last) to `visit`, which keeps what it needs (sparse weights for a
 * model, held-out margins for a fold). One dense vector lives at a time, so memory stays at one
 * class's weights however many classes there are. `nextClass` says which class to solve next (a
 * class index at or past `classCount` ends the solve); by default every class in order. Two threads
 * share the work by taking classes from one shared counter (see parallel-solver.ts).
 */
export function solveOneVsRest(
  data: SparseMatrix,
  problem: DualCdProblem,
  settings: DualCdSettings,
  visit: (classIndex: number, w: Float64Array) => void,
  qdBase: Float64Array = rowSquaredNorms(data, settings.bias),
  nextClass: () => number = inOrder(),
): void {
  const { rows } = data;
  const { classes, classCount, exclude, warmStart, alphasOut } = problem;
  let count = 0;
  for (let i = 0; i < rows; i++) if (!exclude?.[i]) count++;
  const included = new Int32Array(count);
  for (let i = 0, k = 0; i < rows; i++) if (!exclude?.[i]) included[k++] = i;
  const y = new Int8Array(rows);
  const alpha = new Float64Array(rows);
  const w = new Float64Array(data.columns + 1);
  for (let c = nextClass(); c < classCount; c = nextClass()) {
    for (let i = 0; i < rows; i++) y[i] = classes[i] === c ? 1 : -1;
    alpha.fill(0);
    if (warmStart) for (const i of included) alpha[i] = warmStart[c * rows + i];
    // A per-class seed keeps each binary problem reproducible regardless of class order.
    // One weight buffer for every class (`visit` keeps what it needs before the next class overwrites it).
    solveBinary(data, y, qdBase, settings, seededRandom(settings.seed * 7919 + c), alpha, included, w);
    if (alphasOut) for (let i = 0; i < rows; i++) alphasOut[c * rows + i] = alpha[i];
    visit(c, w);
  }
}

/** Every class once, in order. */
function inOrder(): () => number {
  let next = 0;
  return () => next++;
}
