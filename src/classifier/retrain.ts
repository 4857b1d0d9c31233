import { loadClassifier } from './classifier.ts';
import { crossValidate, type CrossValidationResult } from './cross-validate.ts';
import { evaluatePredictions, type EvaluationReport } from './evaluate.ts';
import type { LabeledExample } from './labeled-example.ts';
import type { ModelArtifact, ModelMetrics } from './model-artifact.ts';
import { trainModel, type TrainModelOptions } from './train.ts';

/** Largest macro-F1 drop (in points, 0..100 scale) a retrained model may show and still be activated. */
export const MAX_MACRO_F1_DROP_POINTS = 0.5;

/** Input of {@link retrainModel}. */
export interface RetrainInput {
  readonly seedExamples: readonly LabeledExample[];
  /** Users' corrections, each a message with the label a person chose. */
  readonly corrections: readonly LabeledExample[];
  readonly heldOut: readonly LabeledExample[];
  /** Metrics of the active model (its `metrics`); without them the new model is always activated. */
  readonly currentMetrics?: ModelMetrics;
  /** Folds for cross-validation. Default `5`. */
  readonly folds?: number;
  readonly options?: TrainModelOptions;
}

/** What retraining produced and whether to switch to it. */
export interface RetrainResult {
  readonly artifact: ModelArtifact;
  readonly metrics: { readonly crossValidation: CrossValidationResult; readonly heldOut: EvaluationReport };
  /** New minus current, in macro-F1 / accuracy units (0..1); `null` when there was no current model. */
  readonly delta: {
    readonly heldOutMacroF1: number;
    readonly heldOutAccuracy: number;
    readonly crossValidationMacroF1: number | null;
  } | null;
  /** True when held-out macro-F1 dropped by at most {@link MAX_MACRO_F1_DROP_POINTS} points. */
  readonly activate: boolean;
}

/**
 * Retrains on seed + corrections, evaluates with k-fold CV and on the held-out set, and decides
 * whether the new model may replace the current one. Pure: storing and activating is the caller's
 * job (ModelStore.save(artifact, { activate })).
 */
export function retrainModel(input: RetrainInput): RetrainResult {
  // A correction overrides a seed example with the same text rather than contradicting it.
  const corrected = new Set(input.corrections.map((c) => c.text.trim().toLowerCase()));
  const examples = [
    ...input.seedExamples.filter((e) => !corrected.has(e.text.trim().toLowerCase())),
    ...input.corrections,
  ];
  const crossValidation = crossValidate(examples, input.folds ?? 5, input.options);
  const trained = trainModel(examples, {
    source: 'seed + corrections',
    corrections: input.corrections.length,
    ...input.options,
  });
  const classifier = loadClassifier(trained);
  const heldOut = evaluatePredictions(
    input.heldOut.map((e) => e.label),
    input.heldOut.map((e) => classifier.classifyTop(e.text).label),
  );
  const metrics = { crossValidation, heldOut };
  const artifact: ModelArtifact = { ...trained, metrics };
  const current = input.currentMetrics?.heldOut;
  if (!current) return { artifact, metrics, delta: null, activate: true };
  const delta = {
    heldOutMacroF1: heldOut.macroF1 - current.macroF1,
    heldOutAccuracy: heldOut.accuracy - current.accuracy,
    crossValidationMacroF1: input.currentMetrics?.crossValidation
      ? crossValidation.macroF1 - input.currentMetrics.crossValidation.macroF1
      : null,
  };
  return { artifact, metrics, delta, activate: delta.heldOutMacroF1 * 100 >= -MAX_MACRO_F1_DROP_POINTS };
}
