import { stemmer as dutch } from '@orama/stemmers/dutch';
import { stemmer as french } from '@orama/stemmers/french';
import { stemmer as german } from '@orama/stemmers/german';
import { stemmer as italian } from '@orama/stemmers/italian';
import { stemmer as portuguese } from '@orama/stemmers/portuguese';
import { stemmer as russian } from '@orama/stemmers/russian';
import { stemmer as spanish } from '@orama/stemmers/spanish';
import * as stopword from 'stopword';

/**
 * Snowball stemmers (the Snowball project's generated JavaScript, packaged by @orama/stemmers) for the
 * languages the detector names besides English, whose Porter2 stemmer comes with wink.
 */
const SNOWBALL: Record<string, (word: string) => string> = {
  de: german,
  es: spanish,
  fr: french,
  it: italian,
  nl: dutch,
  pt: portuguese,
  ru: russian,
};

/** The Snowball stemmer of a language other than English, if there is one. */
export function snowballStemmerFor(language: string): ((word: string) => string) | undefined {
  return SNOWBALL[language];
}

const STOPWORD_LISTS: Record<string, readonly string[]> = {
  de: stopword.deu,
  es: stopword.spa,
  fr: stopword.fra,
  it: stopword.ita,
  nl: stopword.nld,
  pt: stopword.por,
  ru: stopword.rus,
  zh: stopword.zho,
  ja: stopword.jpn,
  ko: stopword.kor,
};

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
  const list = STOPWORD_LISTS[language];
  if (!list) return undefined;
  let set = stopWordSets.get(language);
  if (!set) {
    set = new Set(list.filter((w) => !KEPT.has(w)));
    stopWordSets.set(language, set);
  }
  return set;
}
