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
