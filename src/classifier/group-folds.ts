import type { LabeledExample } from './labeled-example.ts';
import { seededRandom, shuffleInPlace } from './seeded-random.ts';

/**
 * Assigns each example to one of `k` folds, keeping every group in one fold and spreading each
 * label's groups evenly (stratified group k-fold). Examples without a group are groups of one.
 *
 * Why groups: the seed set dresses each hand-written body in three registers. With the variants
 * spread over folds, a fold is scored on near-copies of its training data: the default CRM model
 * scored 0.99 that way, and 0.62 with the variants kept together, which is what a new message sees.
 */
export function assignFolds(examples: readonly LabeledExample[], k: number, seed = 1): Int32Array {
  const fold = new Int32Array(examples.length);
  const groups = new Map<string, { label: string; members: number[] }>();
  examples.forEach((e, i) => {
    const key = e.group === undefined ? `\u0000${i}` : `\u0001${e.group}`;
    const g = groups.get(key);
    if (g) g.members.push(i);
    else groups.set(key, { label: e.label, members: [i] });
  });
  const byLabel = new Map<string, number[][]>();
  for (const g of groups.values()) byLabel.set(g.label, [...(byLabel.get(g.label) ?? []), g.members]);
  const random = seededRandom(seed);
  let next = 0;
  for (const label of [...byLabel.keys()].sort()) {
    const list = byLabel.get(label)!;
    const order = Array.from({ length: list.length }, (_, i) => i);
    shuffleInPlace(order, random);
    for (const g of order) {
      for (const i of list[g]) fold[i] = next % k;
      next++;
    }
  }
  return fold;
}
