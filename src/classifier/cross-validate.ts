import { loadClassifier } from './classifier.ts';
import { evaluatePredictions } from './evaluate.ts';
import type { LabeledExample } from './labeled-example.ts';
import { seededRandom, shuffleInPlace } from './seeded-random.ts';
import { assertTrainable, trainModel, type TrainModelOptions } from './train.ts';

/** Mean scores over k folds. */
export interface CrossValidationResult {
  readonly k: number;
  readonly accuracy: number;
  readonly macroF1: number;
}

/**
 * Stratified k-fold cross-validation: every fold refits featurizer and SVM on the other folds and
 * scores the top label (no abstaining, so the figure measures the SVM, not the threshold).
 *
 * @param k - number of folds. Default `5`.
 */
export function crossValidate(
  examples: readonly LabeledExample[],
  k = 5,
  options: TrainModelOptions = {},
): CrossValidationResult {
  assertTrainable(examples);
  const random = seededRandom(options.seed ?? 1);
  const fold = new Int32Array(examples.length);
  const byLabel = new Map<string, number[]>();
  examples.forEach((e, i) => {
    byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), i]);
  });
  for (const indices of byLabel.values()) {
    shuffleInPlace(indices, random);
    indices.forEach((i, r) => {
      fold[i] = r % k;
    });
  }
  let accuracy = 0;
  let macroF1 = 0;
  for (let f = 0; f < k; f++) {
    const train = examples.filter((_, i) => fold[i] !== f);
    const test = examples.filter((_, i) => fold[i] === f);
    const classifier = loadClassifier(
      trainModel(train, { ...options, calibrationFolds: 0, calibrationSet: undefined, onProgress: undefined }),
    );
    const report = evaluatePredictions(
      test.map((e) => e.label),
      test.map((e) => classifier.classifyTop(e.text).topLabel),
    );
    accuracy += report.accuracy / k;
    macroF1 += report.macroF1 / k;
    options.onProgress?.('cross-validate', (f + 1) / k);
  }
  return { k, accuracy, macroF1 };
}
