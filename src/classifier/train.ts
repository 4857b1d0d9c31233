import { svmBackendByName } from './backends/backend-registry.ts';
import { linearSettings, trainLinearSvm, type LinearSvmOptions } from './backends/linear-svm.backend.ts';
import type { MlSvmOptions } from './backends/ml-svm.backend.ts';
import type { SvmBackendName, TrainedSvm } from './backends/svm-backend.ts';
import {
  DEFAULT_TARGET_PRECISION,
  expectedCalibrationError,
  fitPlatt,
  plattProbability,
  thresholdForPrecision,
  type Calibration,
} from './calibration.ts';
import { isChurnRisk, trainChurnRiskHead } from './churn-risk-head.ts';
import { assignFolds } from './group-folds.ts';
import { RapportError } from '../errors.ts';
import { evaluatePredictions } from './evaluate.ts';
import { DEFAULT_FEATURIZER_CONFIG, Featurizer, type FeaturizerConfig } from './featurizer.ts';
import type { LabeledExample } from './labeled-example.ts';
import { MODEL_FORMAT_VERSION, type ModelArtifact, type ModelMetrics } from './model-artifact.ts';
import { outOfFoldMargins } from './out-of-fold.ts';
import { rowOf, selectRows, toSparseMatrix, type SparseMatrix, type SparseVector } from './sparse-vector.ts';

/** Options of {@link trainModel}. */
export interface TrainModelOptions {
  /** SVM backend. Default `linear`. */
  readonly backend?: SvmBackendName;
  /** Overrides of {@link DEFAULT_FEATURIZER_CONFIG}. */
  readonly featurizer?: Partial<FeaturizerConfig>;
  /** Solver options (C, loss, tolerance, kernel, ...). Default: each backend's defaults, C = 1. */
  readonly svm?: LinearSvmOptions & MlSvmOptions;
  /** Seed for every shuffle; the same seed and data give the same model. Default `1`. */
  readonly seed?: number;
  /**
   * Folds used to get out-of-sample margins for Platt scaling and the abstain threshold when no
   * `calibrationSet` is given (with one, folds only measure `metrics.outOfFold`). Folds keep each
   * example's `group` together (see assignFolds). `0` skips them; without a `calibrationSet`
   * confidence is then an uncalibrated sigmoid and nothing abstains. Default
   * {@link DEFAULT_CALIBRATION_FOLDS}, or `0` when a `calibrationSet` is given.
   */
  readonly calibrationFolds?: number;
  /** A held-out set to calibrate on instead of folds; `outOfScope` texts should all be `unclassified`. */
  readonly calibrationSet?: { readonly examples: readonly LabeledExample[]; readonly outOfScope?: readonly string[] };
  /** Precision the abstain threshold aims for (see thresholdForPrecision). Default {@link DEFAULT_TARGET_PRECISION}. */
  readonly targetPrecision?: number;
  /** Version string of the artifact. Default: an ISO timestamp plus the backend name. */
  readonly version?: string;
  /** Free-form origin recorded in the training summary (file name, "seed + corrections"). */
  readonly source?: string;
  /** How many of the examples are user corrections (recorded in the training summary). */
  readonly corrections?: number;
  /** Metrics to store with the model (merged over the out-of-fold figures training measures itself). */
  readonly metrics?: ModelMetrics;
  /** Progress callback for long runs: stage name and fraction 0..1 of that stage. */
  readonly onProgress?: (stage: string, fraction: number) => void;
  /**
   * Train the churn-risk head (see churn-risk-head.ts; linear backend only). Default: when the labels
   * include `churn`.
   */
  readonly churnRiskHead?: boolean;
  /**
   * Examples that teach only the signal heads (complaints flagged `churnRisk`), not the label
   * model. Featurised with the label model's vocabulary. Default none.
   */
  readonly signalExamples?: readonly LabeledExample[];
}

/**
 * Calibration folds by default. Ten rather than three: a fold model trains on 90% of the groups
 * instead of 67%, so its out-of-fold margins look like the final model's on new messages. With
 * three grouped folds the default CRM model came out underconfident (fold models are much weaker
 * than the final one when each label has only ~50 distinct bodies); warm starts make ten folds
 * cost about what three cold ones did.
 */
export const DEFAULT_CALIBRATION_FOLDS = 10;

/**
 * Out-of-fold margins calibration wants at least (two Platt parameters need far fewer; the rest is
 * for the accuracy and ECE figures). Large sets stop after the folds that give this many: on
 * CLINC150 (15,000 messages) one fold of ten gives 1,500 margins, test ECE 0.014 with one fold
 * against 0.018 with two, at a tenth of the cost of all ten.
 */
export const MIN_CALIBRATION_MARGINS = 1500;

/**
 * Above this many examples the calibration folds stop their solver at LIBLINEAR tolerance 1 instead
 * of 0.1: a sigmoid of two parameters needs margins, not an exact optimum. On CLINC150 that halved
 * the fold's time (5.6 s to 2.8 s) with test ECE 0.013 against 0.014; small sets keep the exact
 * solve (it costs little there, and the CRM seed's out-of-fold accuracy moved 0.657 to 0.650).
 */
export const LOOSE_FOLD_TOLERANCE_FROM = 5000;

/** Checks a training set: not empty and at least two labels. */
export function assertTrainable(examples: readonly LabeledExample[]): string[] {
  if (examples.length === 0)
    throw new RapportError('invalid_input', 'The training data has no examples; add labelled messages and try again.');
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (labels.length < 2) {
    throw new RapportError(
      'invalid_input',
      `The training data has only one label ("${labels[0]}"); a classifier needs examples of at least two labels.`,
    );
  }
  return labels;
}

function topOf(svm: TrainedSvm, x: SparseVector, margins: Float64Array): number {
  svm.decision(x, margins);
  let best = 0;
  for (let c = 1; c < margins.length; c++) if (margins[c] > margins[best]) best = c;
  return best;
}

/** Out-of-fold top margins by retraining from scratch on copied rows: the kernel backend's way. */
function coldFoldMargins(
  data: SparseMatrix,
  classes: Int32Array,
  labelCount: number,
  fold: Int32Array,
  folds: number,
  train: (d: SparseMatrix, c: Int32Array) => TrainedSvm,
): { best: Int32Array; margin: Float64Array } {
  const best = new Int32Array(data.rows);
  const margin = new Float64Array(data.rows);
  const scratch = new Float64Array(labelCount);
  for (let f = 0; f < folds; f++) {
    const inFold: number[] = [];
    const outFold: number[] = [];
    for (let i = 0; i < data.rows; i++) (fold[i] === f ? inFold : outFold).push(i);
    if (inFold.length === 0) continue;
    const svm = train(
      selectRows(data, outFold),
      Int32Array.from(outFold, (i) => classes[i]),
    );
    for (const i of inFold) {
      best[i] = topOf(svm, rowOf(data, i), scratch);
      margin[i] = scratch[best[i]];
    }
  }
  return { best, margin };
}

/**
 * Trains a model: fits the featurizer, trains the SVM on all examples, then calibrates confidence
 * (Platt scaling on out-of-fold margins) and picks the abstain threshold for the target precision.
 * The folds share the feature matrix and start from the full model's dual solution, so calibration
 * costs a fraction of a second training each. Also records the out-of-fold accuracy, macro-F1 and
 * calibration error the folds measured (`metrics.outOfFold`). Pure: no I/O.
 */
export function trainModel(examples: readonly LabeledExample[], options: TrainModelOptions = {}): ModelArtifact {
  const started = performance.now();
  const labels = assertTrainable(examples);
  const seed = options.seed ?? 1;
  const backend = svmBackendByName(options.backend ?? 'linear');
  const config: FeaturizerConfig = { ...DEFAULT_FEATURIZER_CONFIG, ...options.featurizer };
  const labelIndex = new Map(labels.map((l, i) => [l, i]));

  options.onProgress?.('featurize', 0);
  const { featurizer, vectors } = Featurizer.fit(
    examples.map((e) => e.text),
    config,
  );
  const data = toSparseMatrix(vectors, featurizer.dimension);
  vectors.length = 0;
  const classes = Int32Array.from(examples, (e) => labelIndex.get(e.label)!);
  options.onProgress?.('featurize', 1);

  const folds = options.calibrationFolds ?? (options.calibrationSet ? 0 : DEFAULT_CALIBRATION_FOLDS);
  const useFolds = folds >= 2;
  const svmOptions = { ...options.svm, seed };
  let svm: TrainedSvm;
  let alphas: Float32Array | undefined;
  if (backend.name === 'linear') {
    ({ svm, alphas } = trainLinearSvm(
      data,
      classes,
      labels.length,
      { ...svmOptions, onProgress: (f) => options.onProgress?.('train', f) },
      useFolds,
    ));
  } else {
    svm = backend.train(data, classes, labels.length, {
      ...svmOptions,
      onProgress: (f) => options.onProgress?.('train', f),
    });
  }

  let calibration: Calibration = { a: -2, b: 0, threshold: 0 };
  let margins: number[] = [];
  let correct: boolean[] = [];
  let fromFolds:
    | { margins: Float64Array; correct: boolean[]; accuracy: number; macroF1: number; n: number }
    | undefined;
  if (options.calibrationSet) {
    const scratch = new Float64Array(labels.length);
    const { examples: calibrationExamples, outOfScope = [] } = options.calibrationSet;
    const texts = [...calibrationExamples.map((e) => e.text), ...outOfScope];
    featurizer.transformBatch(texts).forEach((x, i) => {
      const best = topOf(svm, x, scratch);
      margins.push(scratch[best]);
      correct.push(i < calibrationExamples.length && labels[best] === calibrationExamples[i].label);
    });
  }
  if (useFolds) {
    const perFold = examples.length / folds;
    const used = Math.min(folds, Math.max(1, Math.ceil(MIN_CALIBRATION_MARGINS / perFold)));
    // Rows of folds beyond `used` are never held out: they only train.
    const fold = assignFolds(examples, folds, seed).map((f) => (f < used ? f : -1));
    const scored = Array.from({ length: examples.length }, (_, i) => i).filter((i) => fold[i] >= 0);
    const onFold = (done: number) => options.onProgress?.('calibrate', done / used);
    const top =
      backend.name === 'linear'
        ? outOfFoldMargins(
            data,
            { classes, classCount: labels.length, warmStart: alphas },
            fold,
            used,
            {
              ...linearSettings(svmOptions),
              ...(examples.length > LOOSE_FOLD_TOLERANCE_FROM
                ? { tolerance: Math.max(linearSettings(svmOptions).tolerance, 1) }
                : {}),
            },
            { onFold },
          )
        : coldFoldMargins(data, classes, labels.length, fold, used, (d, c) =>
            backend.train(d, c, labels.length, svmOptions),
          );
    const report = evaluatePredictions(
      scored.map((i) => examples[i].label),
      scored.map((i) => labels[top.best[i]]),
    );
    fromFolds = {
      margins: Float64Array.from(scored, (i) => top.margin[i]),
      correct: scored.map((i) => top.best[i] === classes[i]),
      accuracy: report.accuracy,
      macroF1: report.macroF1,
      n: scored.length,
    };
    if (!options.calibrationSet) {
      margins = Array.from(fromFolds.margins);
      correct = fromFolds.correct;
    }
  }
  alphas = undefined;
  let signals: ModelArtifact['signals'];
  if (backend.name === 'linear' && (options.churnRiskHead ?? labels.includes('churn'))) {
    const extra = options.signalExamples ?? [];
    const all = [...examples, ...extra];
    const positive = all.map(isChurnRisk);
    if (positive.some(Boolean) && !positive.every(Boolean)) {
      const headData =
        extra.length === 0
          ? data
          : toSparseMatrix(
              [
                ...Array.from({ length: data.rows }, (_, i) => rowOf(data, i)),
                ...featurizer.transformBatch(extra.map((e) => e.text)),
              ],
              data.columns,
            );
      const headFolds = Math.max(folds, DEFAULT_CALIBRATION_FOLDS);
      signals = {
        churnRisk: trainChurnRiskHead(
          headData,
          positive,
          assignFolds(all, headFolds, seed),
          headFolds,
          linearSettings(svmOptions),
        ),
      };
    }
  }
  if (margins.length > 0) {
    const platt = fitPlatt(margins, correct);
    const confidences = margins.map((m) => plattProbability(m, platt));
    calibration = {
      ...platt,
      threshold: thresholdForPrecision(confidences, options.targetPrecision ?? DEFAULT_TARGET_PRECISION),
    };
  }
  const outOfFold: ModelMetrics['outOfFold'] = fromFolds && {
    k: folds,
    n: fromFolds.n,
    accuracy: fromFolds.accuracy,
    macroF1: fromFolds.macroF1,
    grouped: examples.some((e) => e.group !== undefined),
    ece: expectedCalibrationError(
      Array.from(fromFolds.margins, (m) => plattProbability(m, calibration)),
      fromFolds.correct,
    ),
  };

  const perLabel: Record<string, number> = {};
  for (const e of examples) perLabel[e.label] = (perLabel[e.label] ?? 0) + 1;
  const createdAt = new Date().toISOString();
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    version: options.version ?? `${createdAt.replace(/[:.]/g, '-')}-${backend.name}`,
    backend: backend.name,
    labels,
    featurizer: featurizer.toState(),
    weights: svm.serialize(),
    weightsShape: svm.shape,
    calibration,
    ...(signals ? { signals } : {}),
    metrics: { ...(outOfFold ? { outOfFold } : {}), ...options.metrics },
    trainingSummary: {
      examples: examples.length,
      perLabel,
      ...(options.corrections !== undefined ? { corrections: options.corrections } : {}),
      seed,
      trainSeconds: (performance.now() - started) / 1000,
      ...(options.source ? { source: options.source } : {}),
    },
    createdAt,
  };
}
