import { loadClassifier } from './classifier.ts';
import { leaveOneOutInfluence } from './correction-influence.ts';
import { heldOutMetrics } from './default-model.ts';
import { evaluatePredictions } from './evaluate.ts';
import { type LabeledExample, UNCLASSIFIED } from './labeled-example.ts';
import type { GateDecision, ModelArtifact } from './model-artifact.ts';
import { pairedBootstrapMacroF1 } from './paired-bootstrap.ts';
import { trainModel, type TrainModelOptions } from './train.ts';

/** A rep's correction as retraining sees it. */
export interface CorrectionExample extends LabeledExample {
  readonly recordId: string;
  /** When its label last changed: the time split orders by this. */
  readonly correctedAt: Date;
}

/** Share of the newest corrections held out to judge the retrained model (once there are at least 4). */
export const HELD_OUT_CORRECTION_SHARE = 0.25;
/** Most corrections whose leave-one-out influence is measured per retrain. */
export const INFLUENCE_LIMIT = 20;

/** Input of {@link retrainModel}. */
export interface RetrainInput {
  readonly seedExamples: readonly LabeledExample[];
  /** The shipped held-out set (never trained on). */
  readonly heldOut: readonly LabeledExample[];
  /** Every correction. */
  readonly corrections: readonly CorrectionExample[];
  /**
   * The active model, and the newest correction time it trained on (`null`: none, the default
   * model). A model retrained from the seed is compared by retraining its recipe on this run's
   * time split (so neither side has seen the held-out corrections); any other (`rapport train`)
   * is compared as stored. Without one the new model is activated.
   */
  readonly current?: {
    readonly artifact: ModelArtifact;
    readonly trainedThrough: Date | null;
    readonly fromSeed: boolean;
  };
  readonly options?: TrainModelOptions;
  /** Bootstrap resamples of the gate. Default 1000. */
  readonly resamples?: number;
}

/** What retraining produced and whether to switch to it. */
export interface RetrainResult {
  /** The candidate (its `metrics.gate` holds the decision). */
  readonly artifact: ModelArtifact;
  readonly gate: GateDecision;
  /** Corrections trained on, and the newest of their times (`null` when none). */
  readonly trainedCorrections: number;
  readonly trainedThrough: Date | null;
}

const key = (text: string) => text.trim().toLowerCase();

/**
 * Splits corrections by time, whole groups at a time: the groups (customers) corrected most
 * recently are held out until they make {@link HELD_OUT_CORRECTION_SHARE} of the corrections;
 * everything older is trained on. Whole groups, because a customer's messages resemble each other:
 * one of them trained on and its sibling held out would grade the model on a near-copy.
 */
export function timeSplit(corrections: readonly CorrectionExample[]): {
  trained: CorrectionExample[];
  heldOutCorrections: CorrectionExample[];
} {
  const sorted = [...corrections].sort((a, b) => a.correctedAt.getTime() - b.correctedAt.getTime());
  const target = sorted.length >= 4 ? Math.max(1, Math.round(sorted.length * HELD_OUT_CORRECTION_SHARE)) : 0;
  const heldGroups = new Set<string>();
  let held = 0;
  for (let i = sorted.length - 1; i >= 0 && held < target; i--) {
    const group = sorted[i].group ?? sorted[i].recordId;
    if (heldGroups.has(group)) continue;
    heldGroups.add(group);
    held += sorted.filter((c) => (c.group ?? c.recordId) === group).length;
  }
  // Never hold out everything: with one big group there is nothing left to learn from.
  if (held === sorted.length && sorted.length > 0) heldGroups.clear();
  const isHeld = (c: CorrectionExample) => heldGroups.has(c.group ?? c.recordId);
  return { trained: sorted.filter((c) => !isHeld(c)), heldOutCorrections: sorted.filter(isHeld) };
}

/** Seed examples a correction of the same text overrides, plus the corrections (grouped by record). */
function trainingSet(seed: readonly LabeledExample[], corrections: readonly CorrectionExample[]): LabeledExample[] {
  const corrected = new Set(corrections.map((c) => key(c.text)));
  return [...seed.filter((e) => !corrected.has(key(e.text))), ...corrections];
}

/**
 * Retrains on seed + corrections and decides whether the new model may replace the current one.
 *
 * - **Time split**: the newest {@link HELD_OUT_CORRECTION_SHARE} of corrections are held out with
 *   the shipped held-out set; the rest are trained on. The held-out set grows as reps correct.
 * - **Gate**: top-label macro-F1 of candidate and current on that held-out set, compared with a
 *   paired cluster bootstrap; the candidate is activated only when the low end of the 90% interval
 *   of the difference is above zero (better beyond noise). Abstentions do not enter: the threshold
 *   is the calibration's business, not the gate's.
 * - **Influence**: for up to {@link INFLUENCE_LIMIT} newly trained corrections (those the current
 *   model disagreed with first), leave-one-out retraining measures how each moved the held-out
 *   score; the most harmful are named in `gate.harmful`.
 *
 * Pure: storing, activating and posting are the caller's job.
 */
export function retrainModel(input: RetrainInput): RetrainResult {
  const { trained, heldOutCorrections } = timeSplit(input.corrections);
  const heldOut: LabeledExample[] = [...input.heldOut, ...heldOutCorrections];
  const trainedThrough = trained.length ? trained[trained.length - 1].correctedAt : null;

  const examples = trainingSet(input.seedExamples, trained);
  const candidate = trainModel(examples, {
    source: 'seed + corrections',
    corrections: trained.length,
    calibrationSet: { examples: heldOut },
    calibrationFolds: input.options?.calibrationFolds ?? 10,
    ...input.options,
  });
  const texts = heldOut.map((e) => e.text);
  const gold = heldOut.map((e) => e.label);
  const candidateAnswers = loadClassifier(candidate).classifyBatch(texts);
  const candidateTop = candidateAnswers.map((a) => a.topLabel);
  const candidateReport = evaluatePredictions(gold, candidateTop);
  const abstainedShare = (answers: readonly { label: string }[]) =>
    answers.length ? answers.filter((a) => a.label === UNCLASSIFIED).length / answers.length : 0;
  const perLabel = (report: ReturnType<typeof evaluatePredictions>) =>
    Object.fromEntries([...new Set(gold)].sort().map((l) => [l, report.perClass[l]?.f1 ?? 0] as const)) as Record<
      string,
      number
    >;

  // The baseline: the current model's recipe on this split, or the current model as stored.
  let baselineTop: string[] | undefined;
  let baselineAbstained: { abstained: number; threshold: number } | undefined;
  let baselineTrained: readonly CorrectionExample[] = [];
  const current = input.current;
  if (current?.fromSeed) {
    const through = current.trainedThrough?.getTime() ?? Number.NEGATIVE_INFINITY;
    baselineTrained = trained.filter((c) => c.correctedAt.getTime() <= through);
    const baseline =
      baselineTrained.length === trained.length
        ? candidate
        : trainModel(trainingSet(input.seedExamples, baselineTrained), {
            ...input.options,
            calibrationFolds: 0,
            calibrationSet: undefined,
          });
    // Its abstentions are the stored model's: the retrained recipe above skips calibration.
    baselineTop = loadClassifier(baseline)
      .classifyBatch(texts)
      .map((a) => a.topLabel);
  } else if (current) {
    baselineTop = loadClassifier(current.artifact)
      .classifyBatch(texts)
      .map((a) => a.topLabel);
  }
  if (current)
    baselineAbstained = {
      abstained: abstainedShare(loadClassifier(current.artifact).classifyBatch(texts)),
      threshold: current.artifact.calibration.threshold,
    };

  const groups = heldOut.map((e, i) =>
    i < input.heldOut.length ? `s:${e.group ?? i}` : `c:${e.group ?? (e as CorrectionExample).recordId}`,
  );
  const comparison = baselineTop
    ? pairedBootstrapMacroF1(gold, baselineTop, candidateTop, groups, { resamples: input.resamples })
    : undefined;
  const baselineReport = baselineTop ? evaluatePredictions(gold, baselineTop) : undefined;

  // Influence of what this retrain adds, the corrections the current model disagreed with first.
  const baselineIds = new Set(baselineTrained.map((c) => c.recordId));
  const added = trained.filter((c) => !baselineIds.has(c.recordId));
  const disagreed = current ? loadClassifier(current.artifact).classifyBatch(added.map((c) => c.text)) : [];
  const currentSays = new Map(
    added.flatMap((c, i) => (disagreed[i] && disagreed[i].topLabel !== c.label ? [[c, disagreed[i].topLabel]] : [])),
  );
  const order = added
    .map((c, i) => ({ c, disagrees: disagreed[i] ? disagreed[i].topLabel !== c.label : true }))
    .sort((a, b) => Number(b.disagrees) - Number(a.disagrees))
    .slice(0, INFLUENCE_LIMIT)
    .map((x) => x.c);
  const indexOf = new Map(examples.map((e, i) => [e, i]));
  const influences =
    order.length > 0
      ? leaveOneOutInfluence(
          examples,
          heldOut,
          order.map((c) => indexOf.get(c)!),
          added.map((c) => indexOf.get(c)!),
          { featurizer: input.options?.featurizer, svm: input.options?.svm, seed: input.options?.seed },
        )
      : [];
  const activate = comparison ? comparison.low > 0 : true;
  // A promoted model names only clear harm: small effects would fill the review queue with good work.
  const harmful = influences
    .map((inf, k) => ({ correction: order[k], ...inf }))
    .filter((x) =>
      activate ? x.macroF1Gain >= 0.005 : x.macroF1Gain > 0 || (x.macroF1Gain === 0 && x.marginGain > 0.005),
    )
    .sort((a, b) => b.macroF1Gain - a.macroF1Gain || b.marginGain - a.marginGain)
    .slice(0, 5)
    .map((x) => ({
      recordId: x.correction.recordId,
      label: x.correction.label,
      macroF1Points: x.macroF1Gain * 100,
      marginGain: x.marginGain,
      ...(currentSays.has(x.correction) ? { suggestedLabel: currentSays.get(x.correction) } : {}),
    }));

  const gate: GateDecision = {
    activate,
    heldOut: { n: heldOut.length, corrections: heldOutCorrections.length },
    trainedCorrections: trained.length,
    candidate: {
      macroF1: candidateReport.macroF1,
      perLabel: perLabel(candidateReport),
      abstained: abstainedShare(candidateAnswers),
      threshold: candidate.calibration.threshold,
    },
    ...(baselineReport && comparison
      ? {
          baseline: { macroF1: baselineReport.macroF1, perLabel: perLabel(baselineReport), ...baselineAbstained },
          delta: comparison.delta,
          interval: [comparison.low, comparison.high] as [number, number],
          level: comparison.level,
        }
      : {}),
    harmful,
  };
  const artifact: ModelArtifact = {
    ...candidate,
    metrics: { ...candidate.metrics, ...heldOutMetrics(candidate, heldOut), gate },
  };
  return { artifact, gate, trainedCorrections: trained.length, trainedThrough };
}
