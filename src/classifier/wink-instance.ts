import winkNLP from 'wink-nlp';
import type { WinkMethods } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

/**
 * wink-nlp instances keyed by pipeline. Loading the English lite model costs ~80 ms, so each
 * pipeline is built once per process. Callers ask only for the stages they use: the featurizer
 * needs `negation` alone (tokenisation is always on), entity extraction needs `sbd`, `ner` and
 * `sentiment` (wink's own defaults add `pos`, which we never read).
 */
const instances = new Map<string, WinkMethods>();

/** Returns the shared wink-nlp instance for exactly these pipeline stages. */
export function winkFor(pipeline: readonly string[]): WinkMethods {
  const key = pipeline.join(',');
  let nlp = instances.get(key);
  if (!nlp) {
    nlp = winkNLP(model, [...pipeline]);
    instances.set(key, nlp);
  }
  return nlp;
}

/** wink's Porter2 stemmer from the model's addons (the same one `its.stem` calls). */
export function winkStemmer(): (word: string) => string {
  const addons = (model as unknown as { addons: { stem: (word: string) => string } }).addons;
  return addons.stem;
}
