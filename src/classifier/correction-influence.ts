import { rowSquaredNorms, solveOneVsRest } from './backends/dual-cd-solver.ts';
import { linearSettings, trainLinearSvm, type LinearSvmOptions } from './backends/linear-svm.backend.ts';
import { evaluatePredictions } from './evaluate.ts';
import { DEFAULT_FEATURIZER_CONFIG, Featurizer, type FeaturizerConfig } from './featurizer.ts';
import type { LabeledExample } from './labeled-example.ts';
import { toSparseMatrix } from './sparse-vector.ts';

/** What one training example does to the held-out score (positive = it hurt). */
export interface Influence {
  /** Index into the training examples. */
  readonly index: number;
  /**
   * Held-out macro-F1 lost because of the example, in 0..1 units: the larger of what leaving it out
   * of the full model gains and what adding it alone to the model without the new examples loses.
   * Both, because leave-one-out alone misses a mistake made many times (each copy covers for the
   * others), and adding alone misses one that only hurts in company.
   */
  readonly macroF1Gain: number;
  /** The same for the mean margin of the gold label on the held-out: a finer tie-break. */
  readonly marginGain: number;
}

/**
 * Leave-one-out influence of some training examples on a held-out set: for each example in
 * `candidates`, the linear model is retrained without it and the held-out top labels rescored. The
 * retraining reuses one feature matrix and starts from the full solution (the example's dual
 * variables set to zero), so each costs a few coordinate-descent passes rather than a training;
 * the featurizer (vocabulary, IDF) is the full set's, which one example barely moves.
 */
export function leaveOneOutInfluence(
  examples: readonly LabeledExample[],
  heldOut: readonly LabeledExample[],
  candidates: readonly number[],
  /** Indices of every newly added example (the model without them is the "before"). Default: `candidates`. */
  added: readonly number[] = candidates,
  options: { featurizer?: Partial<FeaturizerConfig>; svm?: LinearSvmOptions; seed?: number } = {},
): Influence[] {
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const { featurizer, vectors } = Featurizer.fit(
    examples.map((e) => e.text),
    { ...DEFAULT_FEATURIZER_CONFIG, ...options.featurizer },
  );
  const data = toSparseMatrix(vectors, featurizer.dimension);
  const classes = Int32Array.from(examples, (e) => labelIndex.get(e.label)!);
  const svmOptions = { ...options.svm, seed: options.seed ?? 1 };
  const settings = linearSettings(svmOptions);
  const { alphas } = trainLinearSvm(data, classes, labels.length, svmOptions, true);
  const held = toSparseMatrix(featurizer.transformBatch(heldOut.map((e) => e.text)), featurizer.dimension);
  const gold = heldOut.map((e) => e.label);
  const goldIndex = Int32Array.from(heldOut, (e) => labelIndex.get(e.label) ?? -1);
  const qdBase = rowSquaredNorms(data, settings.bias);

  /** Held-out macro-F1 and mean gold margin of the model trained without `exclude`d rows. */
  const score = (exclude: Uint8Array) => {
    const margins = new Float64Array(held.rows * labels.length);
    solveOneVsRest(
      data,
      { classes, classCount: labels.length, exclude, warmStart: alphas },
      settings,
      (c, w) => {
        const bias = w[data.columns] * settings.bias;
        for (let r = 0; r < held.rows; r++) {
          let dot = bias;
          for (let p = held.rowStart[r]; p < held.rowStart[r + 1]; p++) dot += w[held.indices[p]] * held.values[p];
          margins[r * labels.length + c] = dot;
        }
      },
      qdBase,
    );
    const predicted: string[] = [];
    let goldMargin = 0;
    for (let r = 0; r < held.rows; r++) {
      let best = 0;
      for (let c = 1; c < labels.length; c++)
        if (margins[r * labels.length + c] > margins[r * labels.length + best]) best = c;
      predicted.push(labels[best]);
      goldMargin += goldIndex[r] >= 0 ? margins[r * labels.length + goldIndex[r]] : 0;
    }
    return { macroF1: evaluatePredictions(gold, predicted).macroF1, goldMargin: goldMargin / Math.max(1, held.rows) };
  };

  const exclude = new Uint8Array(examples.length);
  const full = score(exclude);
  const withoutAdded = new Uint8Array(examples.length);
  for (const i of added) withoutAdded[i] = 1;
  const before = score(withoutAdded);
  return candidates.map((index) => {
    exclude[index] = 1;
    const leftOut = score(exclude);
    exclude[index] = 0;
    withoutAdded[index] = 0;
    const alone = score(withoutAdded);
    withoutAdded[index] = 1;
    return {
      index,
      macroF1Gain: Math.max(leftOut.macroF1 - full.macroF1, before.macroF1 - alone.macroF1),
      marginGain: Math.max(leftOut.goldMargin - full.goldMargin, before.goldMargin - alone.goldMargin),
    };
  });
}
