import { svmBackendByName } from './backends/backend-registry.ts';
import type { LinearSvmOptions } from './backends/linear-svm.backend.ts';
import type { MlSvmOptions } from './backends/ml-svm.backend.ts';
import type { SvmBackendName, TrainedSvm } from './backends/svm-backend.ts';
import { chooseAbstainThreshold, fitPlatt, plattProbability, type Calibration } from './calibration.ts';
import { RapportError } from '../errors.ts';
import { DEFAULT_FEATURIZER_CONFIG, Featurizer, type FeaturizerConfig } from './featurizer.ts';
import type { LabeledExample } from './labeled-example.ts';
import { MODEL_FORMAT_VERSION, type ModelArtifact, type ModelMetrics } from './model-artifact.ts';
import { seededRandom, shuffleInPlace } from './seeded-random.ts';
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
   * `calibrationSet` is given. `0` skips calibration (confidence is then an uncalibrated sigmoid
   * and nothing abstains); cross-validation of metrics uses that to save time. Default `3`.
   */
  readonly calibrationFolds?: number;
  /** A held-out set to calibrate on instead of folds; `outOfScope` texts should all be `unclassified`. */
  readonly calibrationSet?: { readonly examples: readonly LabeledExample[]; readonly outOfScope?: readonly string[] };
  /** Version string of the artifact. Default: an ISO timestamp plus the backend name. */
  readonly version?: string;
  /** Free-form origin recorded in the training summary (file name, "seed + corrections"). */
  readonly source?: string;
  /** How many of the examples are user corrections (recorded in the training summary). */
  readonly corrections?: number;
  /** Metrics to store with the model (retraining fills these in after evaluating). */
  readonly metrics?: ModelMetrics;
  /** Progress callback for long runs: stage name and fraction 0..1 of that stage. */
  readonly onProgress?: (stage: string, fraction: number) => void;
}

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

/** Out-of-fold top margins and whether each top label was right. */
function foldMargins(
  data: SparseMatrix,
  classes: Int32Array,
  labelCount: number,
  folds: number,
  train: (d: SparseMatrix, c: Int32Array) => TrainedSvm,
  seed: number,
) {
  const order = Int32Array.from({ length: data.rows }, (_, i) => i);
  shuffleInPlace(order, seededRandom(seed));
  const margins: number[] = [];
  const correct: boolean[] = [];
  const scratch = new Float64Array(labelCount);
  for (let f = 0; f < folds; f++) {
    const inFold = [...order].filter((_, k) => k % folds === f);
    const outFold = [...order].filter((_, k) => k % folds !== f);
    const svm = train(
      selectRows(data, outFold),
      Int32Array.from(outFold, (i) => classes[i]),
    );
    const held = selectRows(data, inFold);
    inFold.forEach((i, r) => {
      const best = topOf(svm, rowOf(held, r), scratch);
      margins.push(scratch[best]);
      correct.push(best === classes[i]);
    });
  }
  return { margins, correct };
}

/**
 * Trains a model: fits the featurizer, trains the SVM on all examples, then calibrates confidence
 * (Platt scaling on out-of-sample margins) and picks the abstain threshold. Pure: no I/O.
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
  const classes = Int32Array.from(examples, (e) => labelIndex.get(e.label)!);
  options.onProgress?.('featurize', 1);

  const trainSvm = (d: SparseMatrix, c: Int32Array, onProgress?: (f: number) => void) =>
    backend.train(d, c, labels.length, { ...options.svm, seed, onProgress });
  const svm = trainSvm(data, classes, (f) => options.onProgress?.('train', f));

  let calibration: Calibration = { a: -2, b: 0, threshold: 0 };
  let margins: number[] = [];
  let correct: boolean[] = [];
  if (options.calibrationSet) {
    const scratch = new Float64Array(labels.length);
    for (const e of options.calibrationSet.examples) {
      const best = topOf(svm, featurizer.transform(e.text), scratch);
      margins.push(scratch[best]);
      correct.push(labels[best] === e.label);
    }
    for (const text of options.calibrationSet.outOfScope ?? []) {
      margins.push(scratch[topOf(svm, featurizer.transform(text), scratch)]);
      correct.push(false);
    }
  } else if ((options.calibrationFolds ?? 3) >= 2) {
    const folds = options.calibrationFolds ?? 3;
    let done = 0;
    ({ margins, correct } = foldMargins(
      data,
      classes,
      labels.length,
      folds,
      (d, c) => {
        const s = trainSvm(d, c);
        options.onProgress?.('calibrate', ++done / folds);
        return s;
      },
      seed,
    ));
  }
  if (margins.length > 0) {
    const platt = fitPlatt(margins, correct);
    const confidences = margins.map((m) => plattProbability(m, platt));
    calibration = { ...platt, threshold: chooseAbstainThreshold(confidences, correct) };
  }

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
    metrics: options.metrics ?? {},
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
