/** "tues", "weds": abbreviations chrono-node does not know ("thurs" it does), and ones it does, the same length. */
const UNKNOWN_ABBREVIATIONS = /\b(tue|wed)s(\.?)(?![a-z])/gi;

/**
 * `text` with the weekday abbreviations chrono-node misses ("next tues", "weds 3pm") spelled as ones it
 * reads ("tue.", "wed."), every other character where it was: offsets and lengths of what is read in it
 * hold for `text` itself.
 */
export function spellWeekdays(text: string): string {
  // "weds." -> "wed.,": a comma closes a date, so the dot after it stays out of what follows.
  return text.replace(UNKNOWN_ABBREVIATIONS, (_, day: string, dot: string) => `${day}.${dot ? ',' : ''}`);
}

/**
 * A Chinese weekday right before an hour in Chinese numerals (周一九点, 下周二十点, 星期五两点半): chrono-node's
 * zh parsers read none of it, or 一十点 (10:00, no weekday) and 一两点 (03:00) out of 周一十点 / 周一两点;
 * with a space after the weekday (周一 九点) they read both.
 */
const CJK_WEEKDAY_BEFORE_HOUR =
  /((?:周|週|星期|礼拜|禮拜)[一二三四五六日天])(?=[零一二两兩三四五六七八九十]{1,3}\s*[点點时時])/g;

/** A text respelled for chrono-node, and where each of its offsets was in the text as written. */
export interface Respelled {
  read: string;
  /** The offset in the written text of offset `index` of `read` (an inserted space: the character after it). */
  written(index: number): number;
}

/**
 * `text` as chrono-node reads dates best: weekday abbreviations respelled ({@link spellWeekdays}) and a
 * space after a Chinese weekday followed by an hour in Chinese numerals.
 */
export function respellDates(text: string): Respelled {
  const inserted: number[] = []; // offsets in `read` of the spaces put in
  const read = spellWeekdays(text).replace(CJK_WEEKDAY_BEFORE_HOUR, (day: string, _d: string, at: number) => {
    inserted.push(at + inserted.length + day.length);
    return `${day} `;
  });
  return { read, written: (index) => index - inserted.filter((at) => at < index).length };
}
