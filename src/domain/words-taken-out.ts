/** Unicode word boundaries; ICU's dictionary splits Chinese and Japanese runs into words too. */
const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** The words of a text (letters or digits, as Unicode word boundaries cut them), NFKC-normalised and lower-cased. */
function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  for (const s of segmenter.segment(text.normalize('NFKC').toLowerCase())) if (s.isWordLike) words.add(s.segment);
  return words;
}

/**
 * Whether an edit from `before` to `after` took a word out: some word of `before` is nowhere in
 * `after`. Words compare case-insensitively (lower-cased after NFKC, as the classifier reads them):
 * "Budget" becoming "budget" takes nothing out, and neither do punctuation, spacing or emoji, nor
 * words moved or added. A word changed ("cancel" to "cancelled") is one taken out. A Chinese or
 * Japanese edit can change how ICU splits the words around it, so adding characters there may count
 * as taking one out: the answer errs towards "taken out".
 */
export function takesWordsOut(before: string, after: string): boolean {
  const kept = wordsOf(after);
  for (const word of wordsOf(before)) if (!kept.has(word)) return true;
  return false;
}
