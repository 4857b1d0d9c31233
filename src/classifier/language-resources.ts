import { createRequire } from 'node:module';

/**
 * Snowball stemmers (the Snowball project's generated JavaScript, packaged by @orama/stemmers) for the
 * languages the detector names besides English, whose Porter2 stemmer comes with wink.
 */
const SNOWBALL_MODULES: Record<string, string> = {
  de: 'german',
  es: 'spanish',
  fr: 'french',
  it: 'italian',
  nl: 'dutch',
  pt: 'portuguese',
  ru: 'russian',
};
const require = createRequire(import.meta.url);
// Each stemmer loads when a message in its language first needs it, not at every process start.
const snowballStemmers = new Map<string, (word: string) => string>();

/** The Snowball stemmer of a language other than English, if there is one. */
export function snowballStemmerFor(language: string): ((word: string) => string) | undefined {
  const module = SNOWBALL_MODULES[language];
  if (!module) return undefined;
  let stem = snowballStemmers.get(language);
  if (!stem) {
    stem = (require(`@orama/stemmers/${module}`) as { stemmer: (word: string) => string }).stemmer;
    snowballStemmers.set(language, stem);
  }
  return stem;
}

/** ISO 639-3 names of the `stopword` package's lists. */
const STOPWORD_LIST_NAMES: Record<string, string> = {
  de: 'deu',
  es: 'spa',
  fr: 'fra',
  it: 'ita',
  nl: 'nld',
  pt: 'por',
  ru: 'rus',
  zh: 'zho',
  ja: 'jpn',
  ko: 'kor',
};

// Loaded on first use only: stop words are off by default, and the package's 62 lists cost a
// noticeable part of a cold start's imports (0.2-1 s on the busy 2-core machine).
let stopwordLists: Record<string, readonly string[]> | undefined;
const loadStopwordLists = () => (stopwordLists ??= require('stopword') as Record<string, readonly string[]>);

/**
 * Negations and question words stay whatever a stop-word list says: "nicht verlängern" and "不续约"
 * are churn, "wann" and "什么时候" scheduling.
 */
const KEPT = new Set(
  'nicht kein keine keinen keiner nie niemals wann wie warum no nunca ni tampoco cuándo cómo ne pas jamais quand comment non mai quando come niet geen nooit wanneer não não nunca не нет никогда 不 没 没有 别 未 无 什么 怎么 为什么 吗 呢 ない ません'.split(
    ' ',
  ),
);

const stopWordSets = new Map<string, ReadonlySet<string>>();

/** The stop words of a language (from the `stopword` package) minus negations and question words. */
export function stopWordsFor(language: string): ReadonlySet<string> | undefined {
  const name = STOPWORD_LIST_NAMES[language];
  if (!name) return undefined;
  const list = loadStopwordLists()[name];
  if (!list) return undefined;
  let set = stopWordSets.get(language);
  if (!set) {
    set = new Set(list.filter((w) => !KEPT.has(w)));
    stopWordSets.set(language, set);
  }
  return set;
}

/** Whether a language has a Snowball stemmer or a stop-word list here (otherwise it reads as English). */
export function hasLanguageResources(language: string): boolean {
  return language in SNOWBALL_MODULES || language in STOPWORD_LIST_NAMES;
}
