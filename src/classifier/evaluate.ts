import { UNCLASSIFIED } from './labeled-example.ts';

/** Precision, recall, F1 and support of one label. */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Scores of a set of predictions against gold labels. */
export interface EvaluationReport {
  readonly n: number;
  readonly accuracy: number;
  /** Mean F1 over the gold labels (an abstention counts as a miss). */
  readonly macroF1: number;
  /** Share of messages answered `unclassified`. */
  readonly abstained: number;
  readonly perClass: Record<string, ClassMetrics>;
  /** `matrix[gold][predicted]` counts; `labels` orders both axes and ends with `unclassified` when any abstained. */
  readonly confusion: { readonly labels: string[]; readonly matrix: number[][] };
}

/**
 * Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.
 *
 * @param labels - label set to report; default: every gold and predicted label, sorted.
 */
export function evaluatePredictions(
  gold: readonly string[],
  predicted: readonly string[],
  labels?: readonly string[],
): EvaluationReport {
  const names = labels ? [...labels] : [...new Set([...gold, ...predicted])].filter((l) => l !== UNCLASSIFIED).sort();
  if (predicted.includes(UNCLASSIFIED) && !names.includes(UNCLASSIFIED)) names.push(UNCLASSIFIED);
  const at = new Map(names.map((l, i) => [l, i]));
  const matrix = names.map(() => new Array<number>(names.length).fill(0));
  let right = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = at.get(gold[i]);
    const p = at.get(predicted[i]);
    if (g !== undefined && p !== undefined) matrix[g][p]++;
    if (gold[i] === predicted[i]) right++;
  }
  const perClass: Record<string, ClassMetrics> = {};
  const f1s: number[] = [];
  const goldLabels = new Set(gold);
  names.forEach((label, k) => {
    if (label === UNCLASSIFIED) return;
    const tp = matrix[k][k];
    let predictedCount = 0;
    let support = 0;
    for (let j = 0; j < names.length; j++) {
      predictedCount += matrix[j][k];
      support += matrix[k][j];
    }
    const precision = predictedCount ? tp / predictedCount : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[label] = { precision, recall, f1, support };
    if (goldLabels.has(label)) f1s.push(f1);
  });
  const abstained = predicted.filter((p) => p === UNCLASSIFIED).length;
  return {
    n: gold.length,
    accuracy: gold.length ? right / gold.length : 0,
    macroF1: f1s.length ? f1s.reduce((s, f) => s + f, 0) / f1s.length : 0,
    abstained: gold.length ? abstained / gold.length : 0,
    perClass,
    confusion: { labels: names, matrix },
  };
}
