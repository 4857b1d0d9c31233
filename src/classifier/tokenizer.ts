import { detectLanguage, type LanguageCode } from './language-detector.ts';
import { hasLanguageResources, snowballStemmerFor, stopWordsFor } from './language-resources.ts';
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

/** `TermSink.ids` entry of a term not looked up in `TermSink.idsFrom`. */
export const NOT_LOOKED_UP = -2;

/** Collects terms, their negation flags and extra features while a message is read run by run. */
export class TermSink {
  readonly terms: string[] = [];
  readonly negated: boolean[] = [];
  readonly extras: string[] = [];
  /**
   * Per term, its id in {@link TermSink.idsFrom} (-1 when absent) or {@link NOT_LOOKED_UP}: terms of
   * remembered raw tokens come with their ids, so a featurizer skips the string lookup for them.
   */
  readonly ids: number[] = [];
  /** @param idsFrom - the term ids a featurizer looks terms up in (its vocabulary's), if any. */
  constructor(readonly idsFrom?: ReadonlyMap<string, number>) {}
  push(term: string, isNegated: boolean, id = NOT_LOOKED_UP): void {
    this.terms.push(term);
    this.negated.push(isNegated);
    this.ids.push(id);
  }
  /** Drops the terms from the `length`th on (a reading given up half-way). */
  truncate(length: number): void {
    this.terms.length = length;
    this.negated.length = length;
    this.ids.length = length;
  }
  /** Empties the sink for the next message (bulk featurizing reuses one). */
  clear(): void {
    this.terms.length = 0;
    this.negated.length = 0;
    this.extras.length = 0;
    this.ids.length = 0;
  }
}

/** A piece of text as wink-nlp reads it: token types, normal forms (’ as ') and negation flags. */
interface WinkTokens {
  readonly types: readonly string[];
  readonly forms: readonly string[];
  /** `undefined`: no token is negated. */
  readonly negated: readonly boolean[] | undefined;
}

function readDocument(text: string, options: TokenizerOptions): WinkTokens {
  const nlp = winkFor(options.negation ? ['negation'] : []);
  const its = nlp.its;
  const tokens = nlp.readDoc(text).tokens();
  return {
    types: tokens.out(its.type) as string[],
    forms: (
      (options.termForm === 'lemma'
        ? tokens.out(its.lemma as unknown as typeof its.normal)
        : tokens.out(its.normal)) as string[]
    ).map((f) => f.replace(/\u2019/g, "'")),
    negated: options.negation ? (tokens.out(its.negationFlag) as unknown as boolean[]) : undefined,
  };
}

/**
 * wink's raw-token splitter (eng-lite-web-model `trex.helpers.splitter`) and its test for a run of
 * spaces. wink reads a text one raw token at a time: it splits on these runs and tokenises each piece
 * on its own (contractions, punctuation, emails, numbers), whatever stands around it.
 */
const WINK_SPLITTER = /([ \u00a0\u2002-\u2005\u2009\u200a\u202f\u205f]+|[\n\r\t]+)/;
const PRINTABLE_ASCII = /^[ -~]*$/;
const WINK_SPACES = /[\u00a0\u2002-\u2005\u2009\u200a\u202f\u205f]/;
/**
 * The normal forms that can open a negation in wink's English negation model (the words whose
 * patterns end in a negation rather than a scope boundary; test/unit/classifier/tokenizer-fast-path.test.ts
 * derives the list from the model). A message without any of them has no negated token.
 */
export const NEGATION_CUES: ReadonlySet<string> = new Set([
  'eliminate',
  'fail',
  'failed',
  'failing',
  'fails',
  'hardly',
  'impossible',
  'neither',
  'never',
  'no',
  'none',
  'nor',
  'not',
  'prevent',
  'rarely',
  'rule',
  'ruled',
  'rules',
  'scarcely',
  'unlikely',
  'without',
]);

/** One raw token as wink reads it; `null` when two readings differed (wink had learned from the first). */
interface PieceTokens {
  readonly types: readonly string[];
  readonly forms: readonly string[];
  readonly cue: boolean;
  /** Its terms for the last settings and language asked (`termsKey`), none of them negated. */
  termsKey?: string;
  terms?: string[];
  /** Those terms' ids in `idsFrom` (a featurizer's term ids; -1 for a term it does not know). */
  idsFrom?: ReadonlyMap<string, number>;
  ids?: Int32Array;
}
const PIECE_CACHE_LIMIT = 100_000;
/** By wink instance: with and without the negation stage (each learns words on its own). */
const pieceCaches = { negation: new Map<string, PieceTokens | null>(), plain: new Map<string, PieceTokens | null>() };

// Letters only: wink reads it from its lexicon or as one new word, the same every time.
const PLAIN_WORD = /^[A-Za-z]+$/;

function readPiece(piece: string, options: TokenizerOptions): PieceTokens | null {
  const first = readDocument(piece, options);
  const second = PLAIN_WORD.test(piece) ? first : readDocument(piece, options);
  const same =
    first.types.length === second.types.length &&
    first.types.every((t, i) => t === second.types[i] && first.forms[i] === second.forms[i]);
  if (!same) return null;
  return { types: first.types, forms: first.forms, cue: first.forms.some((f) => NEGATION_CUES.has(f)) };
}

/**
 * The terms of a message put together from its raw tokens, each read by wink once per process and
 * remembered with its terms: a message costs a few map lookups instead of a wink document (whose
 * set-up was most of a short message's time). Returns `false`, having pushed nothing, when the
 * message must be read whole: a negation cue in it (negation spans cross raw tokens), or a raw token
 * wink reads differently the second time. Lemmas depend on context, so `lemma` always reads whole.
 */
function readPieces(text: string, options: TokenizerOptions, language: string, sink: TermSink): boolean {
  if (options.termForm === 'lemma') return false;
  const pieceCache = options.negation ? pieceCaches.negation : pieceCaches.plain;
  // Printable ASCII: only plain spaces separate raw tokens, and a split on one space gives the same pieces
  // (runs of spaces leave empty strings). Otherwise wink's own splitter.
  const ascii = PRINTABLE_ASCII.test(text);
  const pieces = ascii ? text.split(' ') : text.split(WINK_SPLITTER);
  const key = termsKeyOf(options, language);
  const idsFrom = sink.idsFrom;
  const mark = sink.terms.length;
  for (const piece of pieces) {
    // The same test wink makes: empty strings and runs of spaces separate tokens; tabs and line breaks
    // are tokens. A split of printable ASCII on one space leaves only empty strings to skip.
    if (!piece || (!ascii && (piece[0] === ' ' || WINK_SPACES.test(piece)))) continue;
    let tokens = pieceCache.get(piece);
    if (tokens === undefined) {
      tokens = readPiece(piece, options);
      if (pieceCache.size >= PIECE_CACHE_LIMIT) pieceCache.clear();
      pieceCache.set(piece, tokens);
    }
    if (tokens === null || (options.negation && tokens.cue)) {
      sink.truncate(mark);
      return false;
    }
    if (tokens.termsKey !== key) {
      const own = new TermSink();
      pushTerms({ types: tokens.types, forms: tokens.forms, negated: undefined }, options, language, own);
      tokens.terms = own.terms;
      tokens.termsKey = key;
      tokens.idsFrom = undefined;
    }
    const terms = tokens.terms!;
    if (!idsFrom) {
      for (const term of terms) sink.push(term, false);
      continue;
    }
    if (tokens.idsFrom !== idsFrom) {
      tokens.ids = Int32Array.from(terms, (t) => idsFrom.get(t) ?? -1);
      tokens.idsFrom = idsFrom;
    }
    const ids = tokens.ids!;
    for (let k = 0; k < terms.length; k++) sink.push(terms[k], false, ids[k]);
  }
  return true;
}

let lastKey: { options: TokenizerOptions; language: string; key: string } | undefined;
/**
 * What a piece's terms depend on besides its tokens (remembered for the last settings: one per model).
 * A language without a stemmer or stop words of its own reads as English (`pushTerms` treats it so):
 * `und` and `en` messages, which alternate in most batches, share the pieces' terms.
 */
function termsKeyOf(options: TokenizerOptions, language: string): string {
  if (lastKey?.options !== options || lastKey.language !== language) {
    const reading = options.multilingual !== false && hasLanguageResources(language) ? language : 'en';
    lastKey = {
      options,
      language,
      key: `${options.termForm}:${options.multilingual !== false}:${options.stopWords === true}:${reading}`,
    };
  }
  return lastKey.key;
}

/** Test hook: read every message whole with wink, as before raw tokens were remembered. */
let piecesEnabled = true;
export function readWholeMessagesForTesting(whole: boolean): void {
  piecesEnabled = !whole;
}

/**
 * Non-CJK text with wink-nlp: wink tokenises (contractions split, emails/URLs/times recognised), its
 * `negation` stage flags the words a negation governs, and each word is lowercased and stemmed
 * (Porter2 for English and undetermined text, Snowball for a detected de/es/fr/pt/it/nl/ru) or
 * lemmatised. Only the `negation` stage runs: sentence boundaries, POS and NER would halve throughput.
 * Most messages are put together from remembered raw tokens (see readPieces) with the same result.
 */
function readWithWink(text: string, options: TokenizerOptions, language: string, sink: TermSink): void {
  if (piecesEnabled && readPieces(text, options, language, sink)) return;
  pushTerms(readDocument(text, options), options, language, sink);
}

/** Terms of wink tokens: placeholders for emails/numbers/..., punctuation dropped, clitics split, stems. */
function pushTerms(tokens: WinkTokens, options: TokenizerOptions, language: string, sink: TermSink): void {
  const { types, forms, negated } = tokens;
  const snowball = options.multilingual !== false ? snowballStemmerFor(language) : undefined;
  const stem = options.termForm !== 'stem' ? undefined : (snowball ?? winkStemmer());
  const stemLanguage = snowball ? language : 'en';
  const stopWords = options.multilingual !== false && options.stopWords ? stopWordsFor(language) : undefined;
  for (let i = 0; i < types.length; i++) {
    const type = types[i];
    if (DROPPED_TYPES.has(type)) continue;
    const isNegated = negated?.[i] === true;
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

const isCjkCode = (u: number) =>
  (u >= 0x4e00 && u <= 0x9fff) ||
  (u >= 0x3400 && u <= 0x4dbf) ||
  (u >= 0x3040 && u <= 0x30ff) ||
  (u >= 0x31f0 && u <= 0x31ff) ||
  (u >= 0xac00 && u <= 0xd7af) ||
  (u >= 0xf900 && u <= 0xfaff) ||
  (u >= 0xff66 && u <= 0xff9f) ||
  (u >= 0x1100 && u <= 0x11ff) ||
  (u >= 0x3130 && u <= 0x318f) ||
  (u >= 0xd840 && u <= 0xd87f); /* high surrogate of Han extension B+ */
const LATIN_WORD = /^[a-z][a-z'\u00c0-\u024f-]*$/;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
// Emails and links need wink's placeholders; the segmenter would cut them into pieces.
const NEEDS_WINK = /@|:\/\/|www\./i;

/**
 * A message with CJK text: one `Intl.Segmenter` pass over the whole message (ICU's dictionary
 * segmentation for Chinese and Japanese, spaces for Korean; a pass per run cost a segmenter set-up
 * each). CJK words become terms, the word after a negator flagged; digits become `<number>`; Latin
 * words inside ("API文档", "demo") are lowercased and Porter2-stemmed as in English; pictographs are
 * `<emoji>`. Character n-grams of each CJK run are added as extra features: they catch what the
 * dictionary splits differently (客服, 续约) and cost little. Characters are kept as written:
 * traditional and simplified stay distinct. Messages with emails or links take the slower path that
 * reads their non-CJK parts with wink (placeholders for the addresses).
 */
function readCjkMessage(text: string, language: string, options: TokenizerOptions, sink: TermSink): void {
  const locale = language === 'ja' || language === 'ko' ? language : 'zh';
  if (NEEDS_WINK.test(text)) {
    readCjkRunsWithWink(text, locale, options, sink);
    return;
  }
  const stopWords = options.stopWords ? stopWordsFor(locale) : undefined;
  const stem = options.termForm === 'stem' ? winkStemmer() : undefined;
  let negateNext = false;
  for (const { segment } of segmenterFor(locale).segment(text)) {
    const u = segment.charCodeAt(0);
    if (isCjkCode(u)) {
      negateNext = pushCjkWord(segment, negateNext, options, stopWords, sink);
    } else if (u >= 0x30 && u <= 0x39) {
      sink.push('<number>', false);
    } else {
      const word = segment.toLowerCase();
      if (LATIN_WORD.test(word)) sink.push(stem ? stemOf(word, stem, 'en') : word, false);
      else if (PICTOGRAPHIC.test(segment)) sink.push('<emoji>', false);
    }
  }
  addCjkCharNgrams(text, options, sink);
}

/** One CJK word; returns whether the next word is negated. */
function pushCjkWord(
  word: string,
  negateNext: boolean,
  options: TokenizerOptions,
  stopWords: ReadonlySet<string> | undefined,
  sink: TermSink,
): boolean {
  if (options.negation && CJK_NEGATORS.has(word)) {
    sink.push(word, false);
    return true;
  }
  if (stopWords?.has(word)) return negateNext;
  sink.push(word, negateNext);
  return false;
}

/** Character n-grams of every CJK run, `#` + the characters. */
function addCjkCharNgrams(text: string, options: TokenizerOptions, sink: TermSink): void {
  const range = options.cjkCharNgrams === undefined ? ([1, 2] as const) : options.cjkCharNgrams;
  if (!range) return;
  const [lo, hi] = range;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const inRun = i < text.length && isCjkCode(text.charCodeAt(i));
    if (inRun && start < 0) start = i;
    if (inRun || start < 0) continue;
    // A run [start, i): slices are characters unless it holds surrogate pairs (Han extension B+).
    const run = text.slice(start, i);
    const chars = /[\ud800-\udfff]/.test(run) ? Array.from(run) : undefined;
    const length = chars ? chars.length : run.length;
    for (let n = lo; n <= hi; n++) {
      for (let k = 0; k + n <= length; k++) {
        sink.extras.push(`#${chars ? chars.slice(k, k + n).join('') : run.slice(k, k + n)}`);
      }
    }
    start = -1;
  }
}

/** The slower path for CJK messages with emails or links: CJK runs segmented, everything else read by wink. */
function readCjkRunsWithWink(text: string, locale: string, options: TokenizerOptions, sink: TermSink): void {
  const stopWords = options.stopWords ? stopWordsFor(locale) : undefined;
  let at = 0;
  let negateNext = false;
  for (const match of text.matchAll(CJK_RUN)) {
    const before = text.slice(at, match.index);
    if (/[\p{L}\p{N}\p{Extended_Pictographic}]/u.test(before)) readWithWink(before, options, 'en', sink);
    for (const { segment, isWordLike } of segmenterFor(locale).segment(match[0])) {
      if (isWordLike) negateNext = pushCjkWord(segment, negateNext, options, stopWords, sink);
    }
    at = match.index + match[0].length;
  }
  const after = text.slice(at);
  if (/[\p{L}\p{N}\p{Extended_Pictographic}]/u.test(after)) readWithWink(after, options, 'en', sink);
  addCjkCharNgrams(text, options, sink);
}

/**
 * Turns a message into normalised terms. Multilingual (the default): the text is NFKC-normalised
 * (full-width letters and digits become ASCII, compatibility forms fold; Han characters are left as
 * they are), its language detected, runs of CJK script read by {@link readCjk} and everything else by
 * wink-nlp with the language's stemmer. English text gives exactly the terms it gave before.
 */
export function tokenizeTerms(text: string, options: TokenizerOptions): TokenizedText {
  const sink = new TermSink();
  const language = tokenizeInto(text, options, sink);
  return { terms: sink.terms, negated: sink.negated, extras: sink.extras, language };
}

/** {@link tokenizeTerms} into a sink the caller owns (and clears); returns the language. */
export function tokenizeInto(text: string, options: TokenizerOptions, sink: TermSink): LanguageCode {
  if (options.multilingual === false) {
    readWithWink(text, options, 'en', sink);
    return 'und';
  }
  const normalised = ASCII_ONLY.test(text) ? text : text.normalize('NFKC');
  const language = detectLanguage(normalised);
  if (!HAS_CJK.test(normalised)) readWithWink(normalised, options, language, sink);
  else readCjkMessage(normalised, language, options, sink);
  return language;
}
