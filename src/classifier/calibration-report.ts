import { expectedCalibrationError, fitPlatt, plattProbability, thresholdForPrecision } from './calibration.ts';
import { assignFolds } from './group-folds.ts';
import type { LabeledExample } from './labeled-example.ts';

/** How well confidences calibrated on a held-out set hold up on messages the calibration did not see. */
export interface CalibrationReport {
  /** Expected calibration error (10 bins), cross-fitted: each message scored by a sigmoid fitted without its group. */
  readonly ece: number;
  /** Mean confidence against accuracy (top label) over the same predictions. */
  readonly meanConfidence: number;
  readonly accuracy: number;
  /** Share of answered messages that were right at the cross-fitted thresholds. */
  readonly answeredPrecision: number;
  /** Share of messages below the threshold (`unclassified`). */
  readonly abstained: number;
  /** Messages scored. */
  readonly n: number;
  /**
   * ECE a perfectly calibrated model would still show on this many messages with these confidences
   * (sampling noise; mean of 200 simulated outcome draws): a figure near it cannot be told from perfect.
   */
  readonly noiseFloor: number;
}

/**
 * Cross-fits calibration on a held-out set: `k` grouped folds, Platt fitted on k−1 of them and
 * applied to the k-th, pooled, repeated for `repeats` fold seeds (the median ECE is reported). This
 * is the honest figure for a model calibrated on the whole set: the model's own in-sample ECE would
 * flatter it.
 *
 * @param margins - top-label margins of the model on `examples`.
 * @param correct - whether each top label was right.
 */
export function crossFitCalibration(
  examples: readonly LabeledExample[],
  margins: ArrayLike<number>,
  correct: readonly boolean[],
  targetPrecision: number,
  { k = 5, repeats = 3 }: { k?: number; repeats?: number } = {},
): CalibrationReport {
  const runs: Omit<CalibrationReport, 'noiseFloor'>[] = [];
  let lastConfidences: number[] = [];
  for (let seed = 1; seed <= repeats; seed++) {
    const fold = assignFolds(examples, k, seed);
    const confidence = new Array<number>(examples.length).fill(0);
    const answered = new Array<boolean>(examples.length).fill(true);
    for (let f = 0; f < k; f++) {
      const fitOn = Array.from({ length: examples.length }, (_, i) => i).filter((i) => fold[i] !== f);
      if (fitOn.length === examples.length) continue;
      const platt = fitPlatt(
        fitOn.map((i) => margins[i]),
        fitOn.map((i) => correct[i]),
      );
      const threshold = thresholdForPrecision(
        fitOn.map((i) => plattProbability(margins[i], platt)),
        targetPrecision,
      );
      for (let i = 0; i < examples.length; i++) {
        if (fold[i] !== f) continue;
        confidence[i] = plattProbability(margins[i], platt);
        answered[i] = confidence[i] >= threshold;
      }
    }
    const answeredCount = answered.filter(Boolean).length;
    runs.push({
      ece: expectedCalibrationError(confidence, correct),
      meanConfidence: confidence.reduce((s, c) => s + c, 0) / examples.length,
      accuracy: correct.filter(Boolean).length / examples.length,
      answeredPrecision: answeredCount ? correct.filter((c, i) => c && answered[i]).length / answeredCount : 0,
      abstained: 1 - answeredCount / examples.length,
      n: examples.length,
    });
    lastConfidences = confidence;
  }
  runs.sort((a, b) => a.ece - b.ece);
  return { ...runs[Math.floor(runs.length / 2)], noiseFloor: calibrationNoiseFloor(lastConfidences) };
}

/** Mean ECE of outcomes drawn exactly at the stated confidences (a seeded LCG, so the figure is stable). */
export function calibrationNoiseFloor(confidences: readonly number[], draws = 200): number {
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  let sum = 0;
  for (let d = 0; d < draws; d++)
    sum += expectedCalibrationError(
      confidences,
      confidences.map((c) => random() < c),
    );
  return sum / draws;
}
