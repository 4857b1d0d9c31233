import { loadClassifier } from './classifier.ts';
import { evaluatePredictions } from './evaluate.ts';
import type { LabeledExample } from './labeled-example.ts';
import { assignFolds } from './group-folds.ts';
import { assertTrainable, trainModel, type TrainModelOptions } from './train.ts';

/** Mean scores over k folds. */
export interface CrossValidationResult {
  readonly k: number;
  readonly accuracy: number;
  readonly macroF1: number;
  /** True when the folds kept each group (a body's variants, a customer's corrections) together. */
  readonly grouped?: boolean;
}

/**
 * Grouped, stratified k-fold cross-validation: every fold refits featurizer and SVM on the other
 * folds and scores the top label (no abstaining, so the figure measures the SVM, not the threshold).
 *
 * @param k - number of folds. Default `5`.
 */
export function crossValidate(
  examples: readonly LabeledExample[],
  k = 5,
  options: TrainModelOptions = {},
): CrossValidationResult {
  assertTrainable(examples);
  const fold = assignFolds(examples, k, options.seed ?? 1);
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
      classifier.classifyBatch(test.map((e) => e.text)).map((c) => c.topLabel),
    );
    accuracy += report.accuracy / k;
    macroF1 += report.macroF1 / k;
    options.onProgress?.('cross-validate', (f + 1) / k);
  }
  return { k, accuracy, macroF1, grouped: examples.some((e) => e.group !== undefined) };
}
