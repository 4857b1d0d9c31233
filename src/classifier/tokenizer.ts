import { winkFor, winkStemmer } from './wink-instance.js';

/** How a word is normalised before it becomes a feature. */
export type TermForm = 'stem' | 'lemma' | 'normal';

/** Options for {@link tokenizeTerms}. */
export interface TokenizerOptions {
  /** `stem` (wink's Porter2 stemmer), `lemma` (wink's lemmatiser) or `normal` (lowercased). Default `stem`. */
  readonly termForm: TermForm;
  /** Prefix words in a negated span (wink's negation stage) with `not_`. Default `true`. */
  readonly negation: boolean;
}

/** One message as terms: `terms` for n-grams, `unigrams` with negation marking applied. */
export interface TokenizedText {
  readonly terms: string[];
  readonly unigrams: string[];
}

// Token types whose surface form carries no intent; the type itself does ("they sent an email").
const PLACEHOLDER_TYPES = new Set(['number', 'ordinal', 'email', 'url', 'time', 'mention', 'hashtag', 'emoji', 'emoticon']);
const DROPPED_TYPES = new Set(['punctuation', 'symbol', 'tabCRLF']);

// Stemming a word costs ~10 µs; messages reuse a small vocabulary, so a bounded memo pays for itself.
const STEM_CACHE_LIMIT = 200_000;
const stemCache = new Map<string, string>();

function stemOf(word: string, stem: (w: string) => string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = stem(word);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/**
 * Turns a message into normalised terms with wink-nlp: wink tokenises (contractions split,
 * emails/URLs/times recognised), its `negation` stage flags the words a negation governs, and each
 * word is lowercased and stemmed or lemmatised. Only the `negation` stage runs: sentence
 * boundaries, POS and NER are not needed here and would halve throughput.
 */
export function tokenizeTerms(text: string, options: TokenizerOptions): TokenizedText {
  const nlp = winkFor(options.negation ? ['negation'] : []);
  const its = nlp.its;
  const tokens = nlp.readDoc(text).tokens();
  const types = tokens.out(its.type) as string[];
  const forms = (options.termForm === 'lemma' ? tokens.out(its.lemma as unknown as typeof its.normal) : tokens.out(its.normal)) as string[];
  const negated = options.negation ? (tokens.out(its.negationFlag) as unknown as boolean[]) : undefined;
  const stem = options.termForm === 'stem' ? winkStemmer() : undefined;
  const terms: string[] = [];
  const unigrams: string[] = [];
  for (let i = 0; i < types.length; i++) {
    const type = types[i];
    if (DROPPED_TYPES.has(type)) continue;
    let term: string;
    if (PLACEHOLDER_TYPES.has(type)) term = `<${type}>`;
    else if (stem) term = stemOf(forms[i], stem);
    else term = forms[i];
    terms.push(term);
    unigrams.push(negated && negated[i] ? `not_${term}` : term);
  }
  return { terms, unigrams };
}
