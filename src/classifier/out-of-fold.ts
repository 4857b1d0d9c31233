import { type DualCdSettings, rowSquaredNorms } from './backends/dual-cd-solver.ts';
import { solveOneVsRestInParallel } from './backends/parallel-solver.ts';
import type { SparseMatrix } from './sparse-vector.ts';

/** The best label and its margin for each row, from a model that did not train on that row. */
export interface OutOfFoldTop {
  readonly best: Int32Array;
  readonly margin: Float64Array;
  /** All margins, `rows × classCount` row-major, when asked for (`keepAll`). */
  readonly all?: Float64Array;
}

/**
 * Out-of-fold margins of the linear one-vs-rest SVM for every row: fold `f`'s rows are scored by a
 * model trained on the other folds. Everything is shared between folds: the feature matrix (no
 * re-featurising, no row copies: a fold is an exclusion mask) and, through `warmStart`, the dual
 * solution of the model trained on all rows, from which each fold's solver starts.
 *
 * The featurizer was fitted on all rows, so a held-out row can contain words no training row of its
 * fold has. Those words have zero weight, but they would still count in the row's L2 norm, while a
 * genuinely new message never has them (the vocabulary drops unknown words before normalising).
 * Each held-out row is therefore renormalised over the words its fold's training rows contain, so
 * its margin is the one a new message would get; otherwise margins would come out too small and
 * calibration too confident.
 */
export function outOfFoldMargins(
  data: SparseMatrix,
  problem: { readonly classes: Int32Array; readonly classCount: number; readonly warmStart?: Float32Array },
  fold: Int32Array,
  folds: number,
  settings: DualCdSettings,
  options: { keepAll?: boolean; onFold?: (done: number) => void } = {},
): OutOfFoldTop {
  const { rows, columns, rowStart, indices, values } = data;
  const { classCount } = problem;
  const best = new Int32Array(rows).fill(-1);
  const margin = new Float64Array(rows).fill(-Infinity);
  const all = options.keepAll ? new Float64Array(rows * classCount) : undefined;
  const qdBase = rowSquaredNorms(data, settings.bias);
  const columnCount = new Int32Array(columns);
  for (let p = 0; p < indices.length; p++) columnCount[indices[p]]++;
  const exclude = new Uint8Array(rows);
  for (let f = 0; f < folds; f++) {
    const held: number[] = [];
    for (let i = 0; i < rows; i++) {
      exclude[i] = fold[i] === f ? 1 : 0;
      if (exclude[i]) held.push(i);
    }
    if (held.length === 0 || held.length === rows) continue;
    const trainCount = columnCount.slice();
    for (const i of held) for (let p = rowStart[i]; p < rowStart[i + 1]; p++) trainCount[indices[p]]--;
    const scale = new Float64Array(held.length);
    held.forEach((i, r) => {
      let known = 0;
      for (let p = rowStart[i]; p < rowStart[i + 1]; p++)
        if (trainCount[indices[p]] > 0) known += values[p] * values[p];
      scale[r] = known > 0 ? 1 / Math.sqrt(known) : 0;
    });
    solveOneVsRestInParallel(
      data,
      { classes: problem.classes, classCount, exclude, warmStart: problem.warmStart },
      settings,
      { keepWeights: false, scoreRows: { rows: Int32Array.from(held), scale } },
      (c, { margins: scored }) => {
        held.forEach((i, r) => {
          const m = scored![r];
          if (all) all[i * classCount + c] = m;
          if (m > margin[i]) {
            margin[i] = m;
            best[i] = c;
          }
        });
      },
      qdBase,
    );
    options.onFold?.(f + 1);
  }
  return { best, margin, all };
}
