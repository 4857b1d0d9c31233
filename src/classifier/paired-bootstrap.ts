import { seededRandom } from './seeded-random.ts';

/** The difference of two models' macro-F1 on one held-out set, with how sure it is. */
export interface PairedComparison {
  /** Macro-F1 of B minus A on the whole set (0..1 units). */
  readonly delta: number;
  /** Lower and upper ends of the central `level` interval of the bootstrap deltas. */
  readonly low: number;
  readonly high: number;
  readonly level: number;
  /** Share of bootstrap samples in which B was not better than A. */
  readonly notBetter: number;
}

/** Macro-F1 over `labelCount` labels from per-label true positive / predicted / gold counts (labels with no gold are skipped). */
function macroF1(tp: Float64Array, predicted: Float64Array, gold: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (let k = 0; k < tp.length; k++) {
    if (gold[k] === 0) continue;
    n++;
    const precision = predicted[k] ? tp[k] / predicted[k] : 0;
    const recall = tp[k] / gold[k];
    sum += precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return n ? sum / n : 0;
}

/**
 * Paired cluster bootstrap of macro-F1(B) − macro-F1(A): resamples whole groups (a hand-written
 * body's variants, a customer's corrections) with replacement, scores both models on the same
 * resample, and reads the interval off the deltas. Pairing cancels what both models get right or
 * wrong together; resampling groups rather than messages keeps near-copies from looking like
 * independent evidence. Seeded, so the same predictions always give the same interval.
 *
 * @param level - central interval, default 0.9 (its low end is a one-sided 95% bound).
 */
export function pairedBootstrapMacroF1(
  gold: readonly string[],
  predictedA: readonly string[],
  predictedB: readonly string[],
  groups: readonly string[],
  { resamples = 1000, seed = 1, level = 0.9 }: { resamples?: number; seed?: number; level?: number } = {},
): PairedComparison {
  const labels = [...new Set(gold)];
  const at = new Map(labels.map((l, i) => [l, i]));
  const K = labels.length;
  const clusterOf = new Map<string, number[]>();
  gold.forEach((_, i) => {
    clusterOf.set(groups[i], [...(clusterOf.get(groups[i]) ?? []), i]);
  });
  const clusters = [...clusterOf.values()];
  const score = (weights: Float64Array, predicted: readonly string[]) => {
    const tp = new Float64Array(K);
    const pred = new Float64Array(K);
    const real = new Float64Array(K);
    for (let i = 0; i < gold.length; i++) {
      if (!weights[i]) continue;
      const g = at.get(gold[i])!;
      const p = at.get(predicted[i]);
      real[g] += weights[i];
      if (p !== undefined) pred[p] += weights[i];
      if (p === g) tp[g] += weights[i];
    }
    return macroF1(tp, pred, real);
  };
  const ones = new Float64Array(gold.length).fill(1);
  const delta = score(ones, predictedB) - score(ones, predictedA);
  const random = seededRandom(seed);
  const deltas = new Float64Array(resamples);
  const weights = new Float64Array(gold.length);
  let notBetter = 0;
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let c = 0; c < clusters.length; c++) {
      for (const i of clusters[Math.floor(random() * clusters.length)]) weights[i]++;
    }
    deltas[r] = score(weights, predictedB) - score(weights, predictedA);
    if (deltas[r] <= 0) notBetter++;
  }
  deltas.sort();
  const tail = (1 - level) / 2;
  return {
    delta,
    low: deltas[Math.floor(tail * (resamples - 1))],
    high: deltas[Math.ceil((1 - tail) * (resamples - 1))],
    level,
    notBetter: notBetter / resamples,
  };
}
