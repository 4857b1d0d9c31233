import { RapportError } from '../errors.ts';
import { UNDETERMINED } from './language-detector.ts';
import { rowOf, toSparseMatrix, type SparseMatrix, type SparseVector } from './sparse-vector.ts';
import {
  NOT_LOOKED_UP,
  TermSink,
  tokenizeInto,
  tokenizeTerms,
  type TermForm,
  type TokenizerOptions,
} from './tokenizer.ts';

/** Featurizer settings; stored verbatim in the model artifact so prediction featurizes identically. */
export interface FeaturizerConfig {
  /** Word normalisation, see {@link TermForm}. Default `stem`. */
  readonly termForm: TermForm;
  /** Mark words in a negated span as `not_<word>` (unigrams only). Default `true`. */
  readonly negation: boolean;
  /** Longest word n-gram. Default `2` (unigrams and bigrams). */
  readonly maxNgram: number;
  /** Character n-grams inside word boundaries, `[min, max]`, or `null` for none. Default `null`. */
  readonly charNgrams: readonly [number, number] | null;
  /** Upper bound on the feature space; the most frequent features are kept. Default `200000`. */
  readonly maxFeatures: number;
  /** Drop features seen in fewer training messages than this. Default `1`. */
  readonly minDocumentFrequency: number;
  /** Use `1 + ln(tf)` instead of raw counts. Default `true`. */
  readonly sublinearTf: boolean;
  /** Any language: CJK segmentation, Snowball stems, NFKC (see {@link TokenizerOptions}). Default `true`; `false` in models made before. */
  readonly multilingual: boolean;
  /** Character n-grams inside CJK runs, `[min, max]`, or `null`. Default `[1, 2]`. */
  readonly cjkCharNgrams: readonly [number, number] | null;
  /** Drop stop words in languages other than English (negations and question words are kept). Default `false`. */
  readonly stopWords: boolean;
  /**
   * Word n-grams of CJK words too (their character n-grams are always there). Default `false`: on the
   * Chinese held-out set the character n-grams alone score higher (macro-F1 0.823 vs 0.811, bench:classifier);
   * `true` in models saved before this default changed.
   */
  readonly cjkWordBigrams: boolean;
}

const HAS_CJK_TERM = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/;

/** Defaults chosen on CLINC150 validation data (see bench/classifier.bench.ts). */
export const DEFAULT_FEATURIZER_CONFIG: FeaturizerConfig = {
  termForm: 'stem',
  negation: true,
  maxNgram: 2,
  charNgrams: null,
  maxFeatures: 200_000,
  minDocumentFrequency: 1,
  sublinearTf: true,
  multilingual: true,
  cjkCharNgrams: [1, 2],
  stopWords: false,
  cjkWordBigrams: false,
};

/** What a model artifact saved before the multilingual tokenizer meant: English-only, as it was trained. */
const LEGACY_CONFIG: Partial<FeaturizerConfig> = {
  multilingual: false,
  cjkCharNgrams: null,
  stopWords: false,
  cjkWordBigrams: true,
};

/** What a fitted featurizer needs to be rebuilt: config, vocabulary in index order and IDF weights. */
export interface FeaturizerState {
  readonly config: FeaturizerConfig;
  readonly vocabulary: string[];
  readonly idf: number[];
}

/** Raw feature strings of one message with their counts (and, through `onLanguage`, its language). */
export function extractFeatures(
  text: string,
  config: FeaturizerConfig,
  onLanguage?: (language: string) => void,
): Map<string, number> {
  const { terms, negated, extras, language } = tokenizeTerms(text, config);
  onLanguage?.(language);
  const counts = new Map<string, number>();
  const add = (f: string) => counts.set(f, (counts.get(f) ?? 0) + 1);
  terms.forEach((t, i) => {
    add(negated[i] ? `not_${t}` : t);
  });
  for (const e of extras) add(e);
  // Without CJK word bigrams a Chinese-only model scores better (held-out macro-F1 0.823 vs 0.811, above
  // scikit-learn char 1-3-grams' 0.817), but the default model's one abstain threshold, calibrated over
  // all languages, then rose and English held-out fell from 0.775 to 0.765: on by default until
  // calibration is per language.
  const joinable = config.cjkWordBigrams ? () => true : (i: number) => !HAS_CJK_TERM.test(terms[i]);
  if (config.maxNgram >= 2)
    for (let i = 0; i + 1 < terms.length; i++) if (joinable(i) && joinable(i + 1)) add(`${terms[i]} ${terms[i + 1]}`);
  for (let n = 3; n <= config.maxNgram; n++) {
    for (let i = 0; i + n <= terms.length; i++)
      if (terms.slice(i, i + n).every((_, k) => joinable(i + k))) add(terms.slice(i, i + n).join(' '));
  }
  if (config.charNgrams) {
    const [lo, hi] = config.charNgrams;
    for (const t of terms) {
      const padded = ` ${t} `;
      for (let n = lo; n <= hi; n++) {
        for (let i = 0; i + n <= padded.length; i++) add(`#${padded.slice(i, i + n)}`);
      }
    }
  }
  return counts;
}

/** Feature indices by term id, for the prediction hot path. */
interface TermLookup {
  readonly termIds: Map<string, number>;
  readonly termCount: number;
  readonly unigram: Int32Array;
  readonly negatedUnigram: Int32Array;
  /** Key `firstId * termCount + secondId`. */
  readonly bigram: Map<number, number>;
}

function buildTermLookup(vocabulary: readonly string[]): TermLookup {
  const termIds = new Map<string, number>();
  const idOf = (t: string) => {
    let id = termIds.get(t);
    if (id === undefined) {
      id = termIds.size;
      termIds.set(t, id);
    }
    return id;
  };
  const unigrams: [number, number, boolean][] = [];
  const bigrams: [number, number, number][] = [];
  vocabulary.forEach((f, index) => {
    const space = f.indexOf(' ');
    if (space >= 0) bigrams.push([idOf(f.slice(0, space)), idOf(f.slice(space + 1)), index]);
    else if (f.startsWith('not_') && f.length > 4) unigrams.push([idOf(f.slice(4)), index, true]);
    else unigrams.push([idOf(f), index, false]);
  });
  const termCount = termIds.size;
  const unigram = new Int32Array(termCount).fill(-1);
  const negatedUnigram = new Int32Array(termCount).fill(-1);
  for (const [id, index, isNegated] of unigrams) (isNegated ? negatedUnigram : unigram)[id] = index;
  const bigram = new Map<number, number>();
  for (const [a, b, index] of bigrams) bigram.set(a * termCount + b, index);
  return { termIds, termCount, unigram, negatedUnigram, bigram };
}

/**
 * TF-IDF featurizer over wink-nlp terms: word 1..n-grams (+ optional char n-grams), a vocabulary
 * bounded by `maxFeatures`, sublinear TF, smoothed IDF (`ln((1+N)/(1+df)) + 1`) and L2
 * normalisation. A vocabulary rather than the hashing trick: no collisions, and the fitted
 * vocabulary is what bounds the weight matrix (features never seen in training get zero weight
 * anyway).
 */
export class Featurizer {
  private readonly index: Map<string, number>;
  private lookup: TermLookup | undefined;

  private constructor(
    readonly config: FeaturizerConfig,
    private readonly vocabulary: string[],
    private readonly idf: Float32Array,
  ) {
    this.index = new Map(vocabulary.map((f, i) => [f, i]));
  }

  /** Number of features (columns). */
  get dimension(): number {
    return this.vocabulary.length;
  }

  /** Learns vocabulary and IDF from training texts; also returns their vectors to avoid a second pass. */
  static fit(
    texts: readonly string[],
    config: FeaturizerConfig = DEFAULT_FEATURIZER_CONFIG,
  ): { featurizer: Featurizer; vectors: SparseVector[] } {
    if (texts.length === 0)
      throw new RapportError('invalid_input', 'There are no training messages; add some examples and try again.');
    // Provisional ids while counting keep memory flat: 15k messages as Maps of strings cost ~100 MB.
    const provisional = new Map<string, number>();
    const df: number[] = [];
    // Which language groups each feature occurs in (a bit per group), and the groups' sizes (see the IDF below).
    const groupMask: number[] = [];
    const groupOf = new Map<string, number>();
    const groupSize: number[] = [];
    const perText = texts.map((t) => {
      let language = 'en';
      const counts = extractFeatures(t, config, (l) => {
        language = l === UNDETERMINED ? 'en' : l;
      });
      let group = groupOf.get(language);
      if (group === undefined) {
        group = Math.min(groupOf.size, 30); // 31+ languages share the last bit: a slightly larger N, nothing worse
        groupOf.set(language, group);
        groupSize[group] = 0;
      }
      groupSize[group]++;
      const bit = 1 << group;
      const ids = new Int32Array(counts.size);
      const tfs = new Float32Array(counts.size);
      let k = 0;
      for (const [f, c] of counts) {
        let id = provisional.get(f);
        if (id === undefined) {
          id = provisional.size;
          provisional.set(f, id);
          df.push(0);
          groupMask.push(0);
        }
        df[id]++;
        groupMask[id] |= bit;
        ids[k] = id;
        tfs[k++] = c;
      }
      return { ids, tfs };
    });
    let kept = [...provisional.entries()].filter(([, id]) => df[id] >= config.minDocumentFrequency);
    if (kept.length > config.maxFeatures) {
      kept.sort((a, b) => df[b[1]] - df[a[1]] || (a[0] < b[0] ? -1 : 1));
      kept = kept.slice(0, config.maxFeatures);
    }
    kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const idf = new Float32Array(kept.length);
    const finalIndex = new Int32Array(provisional.size).fill(-1);
    // A feature's IDF counts the messages that could have held it: those in the languages it occurs in
    // (a Chinese word among the Chinese messages; "api" among the English and the Chinese ones). Over
    // all messages, every English IDF would rise by the log of how much the other languages add,
    // flattening the contrast between rare and common English words: a bilingual model lost about a
    // point of English held-out macro-F1 that way (medians of 5 seeds). In one language this is the
    // usual smoothed IDF.
    kept.forEach(([, id], i) => {
      let documents = 0;
      for (let g = 0; g < groupSize.length; g++) if (groupMask[id] & (1 << g)) documents += groupSize[g];
      idf[i] = Math.log((1 + documents) / (1 + df[id])) + 1;
      finalIndex[id] = i;
    });
    const featurizer = new Featurizer(
      config,
      kept.map(([f]) => f),
      idf,
    );
    const vectors = perText.map(({ ids, tfs }) => {
      const weightOf = new Map<number, number>();
      for (let k = 0; k < ids.length; k++) if (finalIndex[ids[k]] >= 0) weightOf.set(finalIndex[ids[k]], tfs[k]);
      return featurizer.weigh(weightOf);
    });
    return { featurizer, vectors };
  }

  /** Rebuilds a fitted featurizer from {@link Featurizer.toState} output. */
  static fromState(state: FeaturizerState): Featurizer {
    if (state.vocabulary.length !== state.idf.length) {
      throw new RapportError(
        'invalid_input',
        'The model file is damaged: vocabulary and IDF sizes differ. Retrain the model.',
      );
    }
    return new Featurizer(
      {
        ...DEFAULT_FEATURIZER_CONFIG,
        ...('multilingual' in state.config ? {} : LEGACY_CONFIG),
        // Saved before the option existed: word n-grams covered CJK words then.
        ...('cjkWordBigrams' in state.config ? {} : { cjkWordBigrams: true }),
        ...state.config,
      },
      state.vocabulary,
      Float32Array.from(state.idf),
    );
  }

  toState(): FeaturizerState {
    return { config: this.config, vocabulary: this.vocabulary, idf: Array.from(this.idf) };
  }

  /** {@link Featurizer.transform} for many messages (the classifier's batch path), as views of one matrix. */
  transformBatch(texts: readonly string[]): SparseVector[] {
    const matrix = this.transformMatrix(texts);
    return Array.from({ length: matrix.rows }, (_, i) => rowOf(matrix, i));
  }

  /**
   * The vectors of many messages as the rows of one CSR matrix: one sink for the terms and one buffer
   * for the features, reused message after message, so bulk featurizing allocates little.
   */
  transformMatrix(texts: readonly string[]): SparseMatrix {
    if (!this.hasFastPath())
      return toSparseMatrix(
        texts.map((t) => this.transform(t)),
        this.dimension,
      );
    this.lookup ??= buildTermLookup(this.vocabulary);
    const sink = new TermSink(this.lookup.termIds);
    const rowStart = new Int32Array(texts.length + 1);
    let indices = new Int32Array(Math.max(16, texts.length * 16));
    let values = new Float32Array(indices.length);
    let at = 0;
    for (let r = 0; r < texts.length; r++) {
      sink.clear();
      tokenizeInto(texts[r], this.config, sink);
      const found = this.featureIndices(sink);
      if (at + found.length > indices.length) {
        const grown = new Int32Array(Math.max(indices.length * 2, at + found.length));
        grown.set(indices);
        indices = grown;
        const grownValues = new Float32Array(grown.length);
        grownValues.set(values);
        values = grownValues;
      }
      at += this.weighInto(found, indices, values, at);
      rowStart[r + 1] = at;
    }
    return {
      rowStart,
      indices: indices.slice(0, at),
      values: values.slice(0, at),
      rows: texts.length,
      columns: this.dimension,
    };
  }

  /** The L2-normalised TF-IDF vector of one message. */
  transform(text: string): SparseVector {
    if (!this.hasFastPath()) return this.vectorize(extractFeatures(text, this.config));
    this.lookup ??= buildTermLookup(this.vocabulary);
    const sink = new TermSink(this.lookup.termIds);
    tokenizeInto(text, this.config, sink);
    const found = this.featureIndices(sink);
    const indices = new Int32Array(found.length);
    const values = new Float32Array(found.length);
    const n = this.weighInto(found, indices, values, 0);
    return { indices: indices.subarray(0, n), values: values.subarray(0, n) };
  }

  /** Unigrams and bigrams only: the prediction hot path below applies. */
  private hasFastPath(): boolean {
    return this.config.maxNgram <= 2 && !this.config.charNgrams;
  }

  private scratch = new Int32Array(256);

  /**
   * Feature indices of a tokenised message (unsorted, repeated as often as they occur), in a scratch
   * buffer valid until the next call. Hot path (prediction, unigrams + bigrams): terms map to ids
   * once; bigrams are looked up by a numeric key instead of building "a b" strings.
   */
  private featureIndices(sink: TermSink): Int32Array {
    this.lookup ??= buildTermLookup(this.vocabulary);
    const lookup = this.lookup;
    const { terms, negated, extras, ids } = sink;
    const needed = terms.length * 2 + extras.length;
    if (needed > this.scratch.length) this.scratch = new Int32Array(needed * 2);
    const found = this.scratch;
    let n = 0;
    let previous = -1;
    for (let i = 0; i < terms.length; i++) {
      // Terms of remembered raw tokens come with their ids (the sink was given `lookup.termIds`).
      const id = ids[i] !== NOT_LOOKED_UP ? ids[i] : (lookup.termIds.get(terms[i]) ?? -1);
      if (id >= 0) {
        const u = negated[i] ? lookup.negatedUnigram[id] : lookup.unigram[id];
        if (u >= 0) found[n++] = u;
        if (previous >= 0 && this.config.maxNgram === 2) {
          const b = lookup.bigram.get(previous * lookup.termCount + id);
          if (b !== undefined) found[n++] = b;
        }
      }
      previous = id;
    }
    for (const e of extras) {
      const id = lookup.termIds.get(e);
      if (id !== undefined && lookup.unigram[id] >= 0) found[n++] = lookup.unigram[id];
    }
    return found.subarray(0, n);
  }

  /**
   * Sorts `found` (equal features become adjacent: run lengths are the term frequencies) and writes
   * the distinct indices and their TF-IDF weights, L2-normalised, at `at`; returns how many.
   */
  private weighInto(found: Int32Array, indices: Int32Array, values: Float32Array, at: number): number {
    found.sort();
    const sublinear = this.config.sublinearTf;
    let k = at;
    // The norm sums the unrounded weights, as tfidf() does: vectors stay bit-identical to the other paths.
    let norm = 0;
    for (let p = 0; p < found.length; ) {
      const index = found[p];
      let tf = 1;
      for (p++; p < found.length && found[p] === index; p++) tf++;
      const v = (sublinear ? 1 + Math.log(tf) : tf) * this.idf[index];
      indices[k] = index;
      values[k++] = v;
      norm += v * v;
    }
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let q = at; q < k; q++) values[q] *= scale;
    }
    return k - at;
  }

  private vectorize(counts: Map<string, number>): SparseVector {
    const termFrequency = new Map<number, number>();
    for (const [f, c] of counts) {
      const i = this.index.get(f);
      if (i !== undefined) termFrequency.set(i, c);
    }
    return this.weigh(termFrequency);
  }

  private weigh(termFrequency: Map<number, number>): SparseVector {
    // A numeric typed-array sort without a comparator is several times faster than one with.
    const indices = Int32Array.from(termFrequency.keys()).sort();
    return this.tfidf(
      indices,
      Array.from(indices, (i) => termFrequency.get(i)!),
    );
  }

  /** TF-IDF weights and L2 normalisation; `indices` ascending and distinct, `tf` aligned with them. */
  private tfidf(indices: Int32Array, tf: ArrayLike<number>): SparseVector {
    const values = new Float32Array(indices.length);
    const sublinear = this.config.sublinearTf;
    let norm = 0;
    for (let k = 0; k < indices.length; k++) {
      const v = (sublinear ? 1 + Math.log(tf[k]) : tf[k]) * this.idf[indices[k]];
      values[k] = v;
      norm += v * v;
    }
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let k = 0; k < values.length; k++) values[k] *= scale;
    }
    return { indices, values };
  }
}
