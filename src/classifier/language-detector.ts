import { franc, francAll } from 'franc-min';

/**
 * A message's language as an ISO 639-1 code (`en`, `zh`, `de`, ...), or `und` (undetermined) when the
 * text is too short or too mixed to tell. Stored on `Message.language`.
 */
export type LanguageCode = string;

/** The code for "could not tell" (BCP 47's undetermined). */
export const UNDETERMINED: LanguageCode = 'und';

/** Latin-script languages told apart by their function words; franc decides between them for long texts. */
const LATIN_FUNCTION_WORDS: Record<string, readonly string[]> = {
  en: "the and you your we our is are was were to of for with this that it not have has had can could would should please thanks thank hi hello what when where which who how do does did will be been from my me i an in on at by about need want like there some more any just get send tell help us they them their if or but so as our its it's i'm don't can't".split(
    ' ',
  ),
  de: 'der das und ist nicht wir ihr sie ich mit für auf ein eine einen unser unseren unsere bitte danke hallo können könnten wann wie was noch auch zum zur vom sehr haben sind'.split(
    ' ',
  ),
  es: 'el la los las y es que de para con por una un nuestro nuestra nosotros usted ustedes gracias hola podemos pueden cuando como qué está están muy del al favor'.split(
    ' ',
  ),
  fr: 'le la les et est pas nous vous je avec pour sur une notre nos merci bonjour pouvez pouvons quand comment quoi très du des au aux sont avons'.split(
    ' ',
  ),
  pt: 'os é não que para com uma um nosso nossa nós você vocês obrigado obrigada olá podemos quando como muito do da dos das ao está'.split(
    ' ',
  ),
  it: 'il lo gli è non che di con una nostro nostra noi voi grazie ciao buongiorno possiamo potete quando molto della sono'.split(
    ' ',
  ),
  nl: 'de het een en niet wij jullie ik met voor op ons onze alstublieft bedankt dank hallo kunnen kunt wanneer hoe wat ook zijn hebben van'.split(
    ' ',
  ),
};
const FUNCTION_WORD = new Map<string, string[]>();
for (const [language, words] of Object.entries(LATIN_FUNCTION_WORDS)) {
  for (const w of words) FUNCTION_WORD.set(w, [...(FUNCTION_WORD.get(w) ?? []), language]);
}
/** Letters that only some Latin-script languages use: a strong hint on short texts ("Grüße", "¿mañana?"). */
const LETTER_HINTS: readonly [RegExp, string][] = [
  [/[äöüß]/i, 'de'],
  [/[ñ¿¡]/i, 'es'],
  [/[çœ]|[èêë](?!\p{L})|[àâ]/iu, 'fr'],
  [/[ãõ]/i, 'pt'],
];
const FRANC_LATIN: Record<string, string> = {
  eng: 'en',
  deu: 'de',
  spa: 'es',
  fra: 'fr',
  por: 'pt',
  ita: 'it',
  nld: 'nl',
};
const FRANC_CYRILLIC: Record<string, string> = { rus: 'ru', ukr: 'uk', bul: 'bg', srp: 'sr' };

// What is not language: links, addresses, mentions, numbers.
const MAY_HAVE_NOISE = /[\d@#<:]/;
const NOISE = /https?:\/\/\S+|\S+@\S+\.\S+|<[@#!][^>]*>|[@#][\w.-]+|\d+/g;

/** How many letters of each script a text has. */
interface ScriptCounts {
  han: number;
  kana: number;
  hangul: number;
  latin: number;
  cyrillic: number;
  greek: number;
  arabic: number;
  hebrew: number;
  thai: number;
  devanagari: number;
}

function countScripts(text: string): ScriptCounts {
  const c: ScriptCounts = {
    han: 0,
    kana: 0,
    hangul: 0,
    latin: 0,
    cyrillic: 0,
    greek: 0,
    arabic: 0,
    hebrew: 0,
    thai: 0,
    devanagari: 0,
  };
  // charCodeAt, not for...of: this runs on every message the featurizer reads. Astral Han (U+20000..)
  // arrives as a surrogate pair and is counted by its high surrogate.
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    if (u < 0x80) {
      if ((u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a)) c.latin++;
    } else if ((u >= 0x4e00 && u <= 0x9fff) || (u >= 0x3400 && u <= 0x4dbf) || (u >= 0xd840 && u <= 0xd87f)) c.han++;
    else if ((u >= 0x3040 && u <= 0x30ff) || (u >= 0x31f0 && u <= 0x31ff) || (u >= 0xff66 && u <= 0xff9f)) c.kana++;
    else if ((u >= 0xac00 && u <= 0xd7af) || (u >= 0x1100 && u <= 0x11ff) || (u >= 0x3130 && u <= 0x318f)) c.hangul++;
    else if (u >= 0x00c0 && u <= 0x024f && u !== 0xd7 && u !== 0xf7) c.latin++;
    else if (u >= 0x0400 && u <= 0x04ff) c.cyrillic++;
    else if (u >= 0x0370 && u <= 0x03ff) c.greek++;
    else if (u >= 0x0600 && u <= 0x06ff) c.arabic++;
    else if (u >= 0x0590 && u <= 0x05ff) c.hebrew++;
    else if (u >= 0x0e00 && u <= 0x0e7f) c.thai++;
    else if (u >= 0x0900 && u <= 0x097f) c.devanagari++;
  }
  return c;
}

// Printable ASCII and whitespace: text that needs no NFKC and no Unicode-aware scanning.
const ASCII_ONLY = /^[ -~\s]*$/;
const WORD = /\p{L}+/gu;

/** Lowercase words of a text: a plain scan for ASCII (most messages), a Unicode regex otherwise. */
function wordsOf(text: string, ascii: boolean): string[] {
  if (!ascii) return text.toLowerCase().match(WORD) ?? [];
  const words: string[] = [];
  const lower = text.toLowerCase();
  let start = -1;
  for (let i = 0; i <= lower.length; i++) {
    const u = i < lower.length ? lower.charCodeAt(i) : 0;
    if (u >= 0x61 && u <= 0x7a) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      words.push(lower.slice(start, i));
      start = -1;
    }
  }
  return words;
}

/**
 * Latin-script text: function words and telltale letters vote; a clear winner (at least two votes and
 * twice the runner-up, or the only language with votes) decides. Otherwise franc (trigram
 * statistics) decides among the same languages, but only for texts of 40 letters or more: on CLINC150's
 * short English requests franc alone called a quarter of them Dutch, Portuguese or French.
 */
function detectLatin(text: string, letters: number, ascii: boolean): LanguageCode {
  const votes = new Map<string, number>();
  const words = wordsOf(text, ascii);
  for (const w of words)
    for (const language of FUNCTION_WORD.get(w) ?? []) votes.set(language, (votes.get(language) ?? 0) + 1);
  if (!ascii)
    for (const [pattern, language] of LETTER_HINTS)
      if (pattern.test(text)) votes.set(language, (votes.get(language) ?? 0) + 2);
  let first: [string, number] | undefined;
  let second: [string, number] | undefined;
  for (const entry of votes) {
    if (!first || entry[1] > first[1]) [first, second] = [entry, first];
    else if (!second || entry[1] > second[1]) second = entry;
  }
  if (first && !second) return first[0];
  if (first && second && first[1] >= 2 * second[1] && first[1] >= 2) return first[0];
  if (letters >= 40) {
    // Only a clear franc answer: on short English its runner-up is often within a few percent.
    const [best, next] = francAll(text, { only: Object.keys(FRANC_LATIN), minLength: 1 });
    if (best && FRANC_LATIN[best[0]] && (!next || next[1] < 0.9)) return FRANC_LATIN[best[0]];
  }
  return first && (!second || first[1] > second[1]) && first[1] >= 2 ? first[0] : UNDETERMINED;
}

/**
 * The language of a customer message, from script statistics first (any kana = Japanese, Han without
 * kana = Chinese, Hangul = Korean, Cyrillic, Greek, Arabic, Hebrew, Thai, Devanagari) and, for Latin
 * script, function words with franc for longer texts. A Han character counts as much as three Latin
 * letters (about one word), so "pls 发一下报价" is Chinese and "can you send the 报价 today" English.
 * Returns `und` for texts with fewer than two letters (an emoji, "ok", a number) or no clear winner.
 * Pure and fast (a few µs for a chat message).
 */
export function detectLanguage(text: string): LanguageCode {
  const ascii = ASCII_ONLY.test(text);
  const normalised = ascii ? text : text.normalize('NFKC');
  const raw = countScripts(normalised);
  // Links, addresses and numbers are Latin letters that are not language: stripped before counting,
  // unless the text is CJK even with them counted (most Chinese messages: the regex is skipped).
  const cjkWins = (raw.han + raw.kana + raw.hangul) * 3 > raw.latin + raw.cyrillic + raw.greek + raw.arabic;
  const clean = !cjkWins && MAY_HAVE_NOISE.test(normalised) ? normalised.replace(NOISE, ' ') : normalised;
  const c = clean === normalised ? raw : countScripts(clean);
  // Printable ASCII has Latin letters and no other script: the ranking below would pick Latin whenever
  // it has two letters, and no letter hint (all non-ASCII) can match.
  if (ascii) return c.latin < 2 ? UNDETERMINED : detectLatin(clean, c.latin, true);
  const cjk = (c.han + c.kana) * 3 + c.hangul * 3;
  const others: [string, number][] = [
    ['latin', c.latin],
    ['cjk', cjk],
    ['cyrillic', c.cyrillic],
    ['greek', c.greek],
    ['arabic', c.arabic],
    ['hebrew', c.hebrew],
    ['thai', c.thai],
    ['devanagari', c.devanagari],
  ];
  others.sort((a, b) => b[1] - a[1]);
  const [script, weight] = others[0];
  if (weight < 2) return UNDETERMINED;
  switch (script) {
    case 'cjk':
      if (c.kana > 0 && c.kana * 10 >= c.han) return 'ja';
      if (c.hangul > c.han) return 'ko';
      return c.kana > 0 && c.han === 0 ? 'ja' : 'zh';
    case 'cyrillic':
      return c.cyrillic >= 40
        ? (FRANC_CYRILLIC[franc(clean, { only: Object.keys(FRANC_CYRILLIC), minLength: 1 })] ?? 'ru')
        : 'ru';
    case 'greek':
      return 'el';
    case 'arabic':
      return 'ar';
    case 'hebrew':
      return 'he';
    case 'thai':
      return 'th';
    case 'devanagari':
      return 'hi';
    default:
      return detectLatin(clean, c.latin, ascii);
  }
}

/** English names of the languages Rapport names on cards (others show their code). */
const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  zh: 'Chinese',
  ja: 'Japanese',
  ko: 'Korean',
  de: 'German',
  es: 'Spanish',
  fr: 'French',
  pt: 'Portuguese',
  it: 'Italian',
  nl: 'Dutch',
  ru: 'Russian',
  uk: 'Ukrainian',
  ar: 'Arabic',
  he: 'Hebrew',
  el: 'Greek',
  th: 'Thai',
  hi: 'Hindi',
  und: 'undetermined',
};

/** "Chinese (zh)" for a card; the bare code for a language without a name here. */
export function languageLabel(code: LanguageCode): string {
  const name = LANGUAGE_NAMES[code];
  return name ? `${name} (${code})` : code;
}
