import { type DualCdSettings, solveOneVsRest } from './backends/dual-cd-solver.ts';
import { fitPlatt, plattProbability } from './calibration.ts';
import type { LabeledExample } from './labeled-example.ts';
import { outOfFoldMargins } from './out-of-fold.ts';
import type { SparseMatrix, SparseVector } from './sparse-vector.ts';

/**
 * A binary signal next to the label: a linear SVM on the same features, calibrated on grouped
 * out-of-fold margins. Stored as its non-zero weights (a few thousand for the CRM model).
 */
export interface SignalHead {
  readonly indices: number[];
  readonly values: number[];
  readonly bias: number;
  readonly calibration: { readonly a: number; readonly b: number };
  /** From this calibrated probability the signal is on. */
  readonly threshold: number;
}

/**
 * Whether an example is a churn risk: an explicit `churnRisk` flag (a complaint with a threat to
 * leave is an `issue` AND a churn risk), else its label being `churn`.
 */
export function isChurnRisk(example: LabeledExample): boolean {
  return example.churnRisk ?? example.label === 'churn';
}

/**
 * Trains the churn-risk head: positives are churn-labelled messages and complaints flagged as
 * carrying a threat; everything else is negative. A separate head rather than a label, because the
 * label is single: "If this outage happens one more time we're out" is an issue to fix and a
 * customer about to leave, and the one-vs-rest churn margin, trained with issues as negatives,
 * pushes exactly those complaints down.
 */
export function trainChurnRiskHead(
  data: SparseMatrix,
  positive: readonly boolean[],
  fold: Int32Array,
  folds: number,
  settings: DualCdSettings,
): SignalHead {
  const classes = Int32Array.from(positive, (p) => (p ? 0 : 1));
  const alphas = new Float32Array(data.rows);
  let weights: Float64Array = new Float64Array(0);
  solveOneVsRest(data, { classes, classCount: 1, alphasOut: alphas }, settings, (_, w) => {
    weights = w;
  });
  const indices: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < data.columns; j++) {
    if (Math.fround(weights[j]) !== 0) {
      indices.push(j);
      values.push(Math.fround(weights[j]));
    }
  }
  const bias = weights[data.columns] * settings.bias;
  let calibration = { a: -2, b: 0 };
  if (folds >= 2) {
    const { margin } = outOfFoldMargins(data, { classes, classCount: 1, warmStart: alphas }, fold, folds, settings);
    calibration = fitPlatt(margin, positive);
  }
  return { indices, values, bias, calibration, threshold: 0.5 };
}

/** Calibrated probability that the message is a churn risk. */
export function signalProbability(head: SignalHead, x: SparseVector, lookup?: Map<number, number>): number {
  const at = lookup ?? new Map(head.indices.map((j, k) => [j, k]));
  let margin = head.bias;
  for (let p = 0; p < x.indices.length; p++) {
    const k = at.get(x.indices[p]);
    if (k !== undefined) margin += head.values[k] * x.values[p];
  }
  return plattProbability(margin, head.calibration);
}
