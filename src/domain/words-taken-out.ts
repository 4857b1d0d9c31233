/** Unicode word boundaries; ICU's dictionary splits Chinese and Japanese runs into words too. */
const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** The words of a text (letters or digits, as Unicode word boundaries cut them), NFKC-normalised and lower-cased. */
function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  for (const s of segmenter.segment(text.normalize('NFKC').toLowerCase())) if (s.isWordLike) words.add(s.segment);
  return words;
}

/**
 * The words a change from `before` to `after` took out: those of `before` nowhere in `after` (all of
 * them when the message went: `after` empty). Words compare case-insensitively (lower-cased after
 * NFKC, as the classifier reads them): "Budget" becoming "budget" takes nothing out, and neither do
 * punctuation, spacing or emoji, nor words moved or added. A word changed ("cancel" to "cancelled")
 * is one taken out. A Chinese or Japanese edit can change how ICU splits the words around it, so
 * adding characters there may take one out: the answer errs towards "taken out".
 */
export function wordsTakenOut(before: string, after = ''): Set<string> {
  const kept = wordsOf(after);
  const gone = new Set<string>();
  for (const word of wordsOf(before)) if (!kept.has(word)) gone.add(word);
  return gone;
}

/**
 * Whether `text` (a correction's training text) holds one of `words` (wordsTakenOut's, compared the
 * same way). A word a message gained after the text was taken, then lost, was never in it: the
 * models trained on the text never read it.
 */
export function holdsAnyWord(text: string, words: ReadonlySet<string>): boolean {
  if (words.size === 0) return false;
  for (const word of wordsOf(text)) if (words.has(word)) return true;
  return false;
}

/** Whether `text` holds a word at all (compared as wordsTakenOut reads them): not only punctuation or emoji. */
export function holdsWords(text: string): boolean {
  return wordsOf(text).size > 0;
}
