/**
 * Matching names written in Chinese, Japanese or Korean, where words are not separated by spaces and
 * pg_trgm cannot help: in a database whose LC_CTYPE is `C`, pg_trgm sees no trigram in 华为技术 (even
 * `similarity('华为', '华为')` is 0), and in `C.UTF-8` or `en_US.UTF-8` a two-character name has too few
 * trigrams to pass any useful threshold. Character pairs compared in JavaScript behave the same on
 * every database.
 */

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/** The distinct pairs of neighbouring characters of a name, spaces left out: 华为技术 -> 华为, 为技, 技术. */
export function characterBigrams(name: string): string[] {
  const chars = [...name.replace(/\s+/g, '')];
  if (chars.length === 1) return chars;
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) pairs.add(chars[i] + chars[i + 1]);
  return [...pairs];
}

/** Dice coefficient of two names' character pairs, 0..1: 华为技术 and 华为科技 share 华为 -> 0.33. */
export function bigramSimilarity(a: string, b: string): number {
  const x = characterBigrams(a);
  const y = new Set(characterBigrams(b));
  if (x.length + y.size === 0) return 0;
  const shared = x.filter((p) => y.has(p)).length;
  return (2 * shared) / (x.length + y.size);
}

/**
 * Whether a name written without spaces has a word boundary at `at`: the end, a space, or the rest
 * starting with a word of two or more characters (华为|技术, 小米|通讯技术), which is where a brand
 * ends and the trade begins. A one-character piece (比亚|迪) is not taken as a boundary.
 */
export function wordBoundaryAt(name: string, at: number): boolean {
  if (at >= name.length || name[at] === ' ') return true;
  const next = segmenter.segment(name.slice(at))[Symbol.iterator]().next();
  return !next.done && next.value.isWordLike === true && [...next.value.segment].length >= 2;
}
