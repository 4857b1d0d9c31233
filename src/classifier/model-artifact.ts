import type { SvmBackendName } from './backends/svm-backend.ts';
import type { Calibration } from './calibration.ts';
import type { CalibrationReport } from './calibration-report.ts';
import { RapportError } from '../errors.ts';
import type { EvaluationReport } from './evaluate.ts';
import type { SignalHead } from './churn-risk-head.ts';
import type { FeaturizerState } from './featurizer.ts';

/** Bump when the artifact layout changes incompatibly; {@link parseModelArtifact} refuses other versions. */
export const MODEL_FORMAT_VERSION = 1;

/** What the retrain gate measured and decided (see retrainModel). */
export interface GateDecision {
  readonly activate: boolean;
  /** The held-out set: shipped messages plus the newest corrections (`corrections` of them). */
  readonly heldOut: { readonly n: number; readonly corrections: number };
  readonly trainedCorrections: number;
  /**
   * Top-label macro-F1 and per-label F1 of the new model on the held-out set (an abstention is
   * scored by its top label, not as an error), and apart from them the share it would answer
   * `unclassified` at its own abstain threshold.
   */
  readonly candidate: GateScores;
  /** The same for the current model, when there was one. */
  readonly baseline?: GateScores;
  /** Candidate minus baseline macro-F1, and its paired-bootstrap interval at `level`. */
  readonly delta?: number;
  readonly interval?: [number, number];
  readonly level?: number;
  /** Corrections whose leave-one-out removal raised the held-out score, most harmful first. */
  readonly harmful: {
    readonly recordId: string;
    readonly label: string;
    readonly macroF1Points: number;
    readonly marginGain: number;
    /** What the model without the new corrections says for the text, when it differs from `label` (offered as `label <id> <it>`). */
    readonly suggestedLabel?: string;
  }[];
}

/** One side of a {@link GateDecision}. */
export interface GateScores {
  readonly macroF1: number;
  readonly perLabel: Record<string, number>;
  /** Share of held-out messages under the abstain threshold (reported, never counted as errors). Absent on models stored before it was kept. */
  readonly abstained?: number;
  readonly threshold?: number;
}

/** Quality figures stored with a model (what `rapport model show` prints and retraining compares). */
export interface ModelMetrics {
  /** k-fold cross-validation on the training data (top label, no abstaining). */
  readonly crossValidation?: { readonly k: number; readonly accuracy: number; readonly macroF1: number };
  /** Evaluation on a held-out set with the abstain threshold applied. */
  readonly heldOut?: EvaluationReport;
  /**
   * What the calibration folds measured while training: top-label accuracy and macro-F1 of models
   * that did not see the scored group, and the expected calibration error of their confidences.
   */
  readonly outOfFold?: {
    readonly k: number;
    /** Messages scored out of fold (large sets stop after the folds calibration needs). */
    readonly n?: number;
    readonly accuracy: number;
    readonly macroF1: number;
    readonly grouped: boolean;
    readonly ece: number;
  };
  /** How calibrated the confidences are on the held-out set, cross-fitted (see crossFitCalibration). */
  readonly heldOutCalibration?: CalibrationReport;
  /** The retrain gate's comparison with the model that was active (retrained models only). */
  readonly gate?: GateDecision;
}

/** What the model was trained on, for audit and for `model show`. */
export interface TrainingSummary {
  readonly examples: number;
  readonly perLabel: Record<string, number>;
  readonly corrections?: number;
  readonly seed: number;
  readonly trainSeconds: number;
  readonly source?: string;
  /**
   * Newest correction change this retrain attempt looked at (ISO time). Set on every retrained
   * model, activated or not: the nightly retrain runs again only once a correction is newer.
   */
  readonly correctionsSeen?: string;
  /** Newest correction change the model trained on (ISO), `null` for none: the next gate's baseline recipe. */
  readonly correctionsTrainedThrough?: string | null;
}

/** A trained model. Weights stay bytes in memory (a CLINC150 model is 16 MB); JSON files hold them as base64. */
export interface ModelArtifact {
  readonly formatVersion: number;
  /** Unique version string, e.g. `crm-default-1` or `2024-05-01T10-00-00Z-linear`. */
  readonly version: string;
  readonly backend: SvmBackendName;
  readonly labels: string[];
  readonly featurizer: FeaturizerState;
  /** Backend weights (the `Model.weights` Bytes column). */
  readonly weights: Uint8Array;
  readonly weightsShape: Record<string, number | string>;
  readonly calibration: Calibration;
  /** Signals next to the label (a CRM model's churn-risk head); absent on models without them. */
  readonly signals?: { readonly churnRisk?: SignalHead };
  readonly metrics: ModelMetrics;
  readonly trainingSummary: TrainingSummary;
  readonly createdAt: string;
}

/** Serialises an artifact (to a file or an HTTP body). */
export function serializeModelArtifact(artifact: ModelArtifact): string {
  return JSON.stringify({
    ...artifact,
    weights: Buffer.from(artifact.weights.buffer, artifact.weights.byteOffset, artifact.weights.byteLength).toString(
      'base64',
    ),
  });
}

/** Parses and sanity-checks an artifact; a damaged or foreign file becomes a `MODEL_INVALID` error. */
export function parseModelArtifact(json: string): ModelArtifact {
  let value: Omit<Partial<ModelArtifact>, 'weights'> & { weights?: unknown };
  try {
    value = JSON.parse(json) as typeof value;
  } catch {
    throw new RapportError(
      'invalid_input',
      'The model file is not valid JSON; point --model at a file written by `rapport train`.',
    );
  }
  if (
    value.formatVersion !== MODEL_FORMAT_VERSION ||
    !value.version ||
    !Array.isArray(value.labels) ||
    !value.featurizer ||
    typeof value.weights !== 'string' ||
    !value.calibration
  ) {
    throw new RapportError(
      'invalid_input',
      `The model file is not a Rapport model of format ${MODEL_FORMAT_VERSION}; retrain it with \`rapport train\`.`,
    );
  }
  return {
    ...(value as Omit<ModelArtifact, 'weights'>),
    weights: new Uint8Array(Buffer.from(value.weights, 'base64')),
  };
}

/** The row shape of the Prisma `Model` table. */
export interface ModelRow {
  version: string;
  backend: string;
  labels: string[];
  /** Featurizer state plus what prediction needs besides the weights (calibration, weight shape, format). */
  featurizer: {
    formatVersion: number;
    state: FeaturizerState;
    calibration: Calibration;
    weightsShape: Record<string, number | string>;
    createdAt: string;
    signals?: ModelArtifact['signals'];
  };
  metrics: ModelMetrics;
  trainingSummary: TrainingSummary;
  weights: Uint8Array;
  active: boolean;
}

/** Maps an artifact onto a `Model` row (`active` is the store's decision, so it is passed in). */
export function artifactToRow(artifact: ModelArtifact, active: boolean): ModelRow {
  return {
    version: artifact.version,
    backend: artifact.backend,
    labels: artifact.labels,
    featurizer: {
      formatVersion: artifact.formatVersion,
      state: artifact.featurizer,
      calibration: artifact.calibration,
      weightsShape: artifact.weightsShape,
      createdAt: artifact.createdAt,
      ...(artifact.signals ? { signals: artifact.signals } : {}),
    },
    metrics: artifact.metrics,
    trainingSummary: artifact.trainingSummary,
    weights: artifact.weights,
    active,
  };
}

/** Rebuilds an artifact from a `Model` row. */
export function rowToArtifact(row: Omit<ModelRow, 'active'>): ModelArtifact {
  return {
    formatVersion: row.featurizer.formatVersion,
    version: row.version,
    backend: row.backend as ModelArtifact['backend'],
    labels: row.labels,
    featurizer: row.featurizer.state,
    weights: row.weights,
    weightsShape: row.featurizer.weightsShape,
    calibration: row.featurizer.calibration,
    ...(row.featurizer.signals ? { signals: row.featurizer.signals } : {}),
    metrics: row.metrics,
    trainingSummary: row.trainingSummary,
    createdAt: row.featurizer.createdAt,
  };
}
