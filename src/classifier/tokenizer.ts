import { detectLanguage, type LanguageCode } from './language-detector.ts';
import { snowballStemmerFor, stopWordsFor } from './language-resources.ts';
import { winkFor, winkStemmer } from './wink-instance.ts';

/** How a word is normalised before it becomes a feature. */
export type TermForm = 'stem' | 'lemma' | 'normal';

/** Options for {@link tokenizeTerms}. */
export interface TokenizerOptions {
  /** `stem` (wink's Porter2 for English, Snowball for de/es/fr/...), `lemma` (wink, English) or `normal` (lowercased). Default `stem`. */
  readonly termForm: TermForm;
  /** Prefix words in a negated span (wink's negation stage; the next word after 不/没/別... in CJK) with `not_`. Default `true`. */
  readonly negation: boolean;
  /**
   * Any language (default `true`): NFKC normalisation, CJK word segmentation with `Intl.Segmenter`
   * and character n-grams, language-specific stems and stop words. `false` is the English-only
   * tokenizer of models trained before it existed (a CJK sentence is one unknown token).
   */
  readonly multilingual?: boolean;
  /** Character n-gram lengths `[min, max]` inside CJK runs (Han, kana, Hangul); `null` for none. Default `[1, 2]`. */
  readonly cjkCharNgrams?: readonly [number, number] | null;
  /** Drop stop words in languages other than English (negations are kept). Default `false`. */
  readonly stopWords?: boolean;
}

/** One message as terms, and which of them sit in a negated span (unigrams become `not_<term>`). */
export interface TokenizedText {
  readonly terms: string[];
  readonly negated: boolean[];
  /** Features that are not words and take part in no word n-gram: CJK character n-grams (`#价格`). */
  readonly extras: string[];
  /** The detected language (`und` when the tokenizer is not multilingual). */
  readonly language: LanguageCode;
}

// Token types whose surface form carries no intent; the type itself does ("they sent an email").
const PLACEHOLDER_TYPES = new Set([
  'number',
  'ordinal',
  'email',
  'url',
  'time',
  'mention',
  'hashtag',
  'emoji',
  'emoticon',
]);
const DROPPED_TYPES = new Set(['punctuation', 'symbol', 'tabCRLF']);
const CLITIC = /^(.+?)('s|'re|'ve|'ll|'d|'m|n't)$/;

// Han (with extensions A/B+), kana (and half-width katakana), Hangul: the scripts written without spaces.
const CJK_RUN =
  /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u{20000}-\u{2ffff}]+/gu;
const HAS_CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]/;
// Printable ASCII and whitespace: text that needs no NFKC and no Unicode-aware scanning.
const ASCII_ONLY = /^[ -~\s]*$/;
const DIGITS = /^\d+$/;
/** Words after which the next CJK word is negated: 不想续约, 没有问题, 別再打電話, 要らない is left to n-grams. */
const CJK_NEGATORS = new Set([
  '不',
  '没',
  '没有',
  '沒',
  '沒有',
  '别',
  '別',
  '未',
  '无',
  '無',
  '勿',
  '不要',
  '不会',
  '不能',
  '不用',
  '不想',
  '不再',
  '不打算',
  '不需要',
  '不必',
  '没法',
  '无法',
  '無法',
  '不會',
  '不想再',
  '안',
  '못',
]);

const segmenters = new Map<string, Intl.Segmenter>();
function segmenterFor(language: string): Intl.Segmenter {
  let s = segmenters.get(language);
  if (!s) {
    s = new Intl.Segmenter(language, { granularity: 'word' });
    segmenters.set(language, s);
  }
  return s;
}

// Stemming a word costs ~10 µs; messages reuse a small vocabulary, so a bounded memo pays for itself.
const STEM_CACHE_LIMIT = 200_000;
const stemCache = new Map<string, string>();

function stemOf(word: string, stem: (w: string) => string, language: string): string {
  const key = language === 'en' ? word : `${language}:${word}`;
  let s = stemCache.get(key);
  if (s === undefined) {
    s = stem(word);
    if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
    stemCache.set(key, s);
  }
  return s;
}

/** Collects terms, their negation flags and extra features while a message is read run by run. */
class TermSink {
  readonly terms: string[] = [];
  readonly negated: boolean[] = [];
  readonly extras: string[] = [];
  push(term: string, isNegated: boolean): void {
    this.terms.push(term);
    this.negated.push(isNegated);
  }
}

/**
 * Non-CJK text with wink-nlp: wink tokenises (contractions split, emails/URLs/times recognised), its
 * `negation` stage flags the words a negation governs, and each word is lowercased and stemmed
 * (Porter2 for English and undetermined text, Snowball for a detected de/es/fr/pt/it/nl/ru) or
 * lemmatised. Only the `negation` stage runs: sentence boundaries, POS and NER would halve throughput.
 */
function readWithWink(text: string, options: TokenizerOptions, language: string, sink: TermSink): void {
  const nlp = winkFor(options.negation ? ['negation'] : []);
  const its = nlp.its;
  const tokens = nlp.readDoc(text).tokens();
  const types = tokens.out(its.type) as string[];
  const forms = (
    (options.termForm === 'lemma'
      ? tokens.out(its.lemma as unknown as typeof its.normal)
      : tokens.out(its.normal)) as string[]
  ).map((f) => f.replace(/\u2019/g, "'"));
  const negated = options.negation ? (tokens.out(its.negationFlag) as unknown as boolean[]) : undefined;
  const snowball = options.multilingual !== false ? snowballStemmerFor(language) : undefined;
  const stem = options.termForm !== 'stem' ? undefined : (snowball ?? winkStemmer());
  const stemLanguage = snowball ? language : 'en';
  const stopWords = options.multilingual !== false && options.stopWords ? stopWordsFor(language) : undefined;
  for (let i = 0; i < types.length; i++) {
    const type = types[i];
    if (DROPPED_TYPES.has(type)) continue;
    const isNegated = negated !== undefined && negated[i];
    if (PLACEHOLDER_TYPES.has(type)) {
      sink.push(`<${type}>`, isNegated);
      continue;
    }
    if (stopWords?.has(forms[i])) continue;
    // wink learns unknown words as it reads: after seeing "tony's," once it keeps "tony's" whole,
    // before that it splits "tony" + "'s". Splitting clitics ourselves keeps the terms (and so the
    // model) independent of what the process has read before.
    const clitic = forms[i].includes("'") ? CLITIC.exec(forms[i]) : null;
    const parts = clitic ? [clitic[1], clitic[2] === "n't" ? 'not' : clitic[2]] : [forms[i]];
    for (const part of parts) sink.push(stem ? stemOf(part, stem, stemLanguage) : part, isNegated);
  }
}

/**
 * A CJK run: words from `Intl.Segmenter` (ICU's dictionary segmentation for Chinese and Japanese,
 * spaces for Korean), the word after a negator flagged, digits as `<number>`, and character n-grams
 * of the run as extra features; they catch what the dictionary splits differently (客服, 续约) and
 * cost little. Characters are kept as written: traditional and simplified stay distinct.
 */
function readCjk(run: string, language: string, options: TokenizerOptions, sink: TermSink): void {
  const locale = language === 'ja' || language === 'ko' ? language : 'zh';
  const stopWords = options.stopWords ? stopWordsFor(locale) : undefined;
  let negateNext = false;
  for (const { segment, isWordLike } of segmenterFor(locale).segment(run)) {
    if (!isWordLike) continue;
    if (DIGITS.test(segment)) {
      sink.push('<number>', false);
      continue;
    }
    if (options.negation && CJK_NEGATORS.has(segment)) {
      sink.push(segment, false);
      negateNext = true;
      continue;
    }
    if (stopWords?.has(segment)) continue;
    sink.push(segment, negateNext);
    negateNext = false;
  }
  const range = options.cjkCharNgrams === undefined ? ([1, 2] as const) : options.cjkCharNgrams;
  if (!range) return;
  const chars = Array.from(run);
  for (let n = range[0]; n <= range[1]; n++) {
    for (let i = 0; i + n <= chars.length; i++)
      sink.extras.push(`#${n === 1 ? chars[i] : chars.slice(i, i + n).join('')}`);
  }
}

/**
 * Turns a message into normalised terms. Multilingual (the default): the text is NFKC-normalised
 * (full-width letters and digits become ASCII, compatibility forms fold; Han characters are left as
 * they are), its language detected, runs of CJK script read by {@link readCjk} and everything else by
 * wink-nlp with the language's stemmer. English text gives exactly the terms it gave before.
 */
export function tokenizeTerms(text: string, options: TokenizerOptions): TokenizedText {
  const sink = new TermSink();
  if (options.multilingual === false) {
    readWithWink(text, options, 'en', sink);
    return { ...sink, language: 'und' };
  }
  const normalised = ASCII_ONLY.test(text) ? text : text.normalize('NFKC');
  const language = detectLanguage(normalised);
  if (!HAS_CJK.test(normalised)) {
    readWithWink(normalised, options, language, sink);
    return { ...sink, language };
  }
  let at = 0;
  for (const match of normalised.matchAll(CJK_RUN)) {
    const before = normalised.slice(at, match.index);
    if (/[\p{L}\p{N}\p{Extended_Pictographic}]/u.test(before)) readWithWink(before, options, 'en', sink);
    readCjk(match[0], language, options, sink);
    at = match.index + match[0].length;
  }
  const after = normalised.slice(at);
  if (/[\p{L}\p{N}\p{Extended_Pictographic}]/u.test(after)) readWithWink(after, options, 'en', sink);
  return { ...sink, language };
}
