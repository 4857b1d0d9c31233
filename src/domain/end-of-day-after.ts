import type * as chrono from 'chrono-node';
import { type BusinessHours, DEFAULT_BUSINESS_HOURS } from './business-hours.ts';

/** "eod", "by cob", "end of day", "close of business", 下班前 right after a day ("tomorrow eod", 明天下班前). */
const END_OF_DAY_AFTER =
  /^\s*,?\s*(?:by\s+)?(?:eod|cob|end of (?:the )?(?:business )?day|close of business)(?=$|[\s,.;:!?)])|^\s*下班(?:之|以)?前/i;

/**
 * A day said without a time and followed by "end of day" ("friday eod", "tomorrow by cob", 明天下班前):
 * sets the team's closing time (`hours`, 17:00 by default) on it, as "eod" alone is today's, and
 * returns the words that said it for the caller to take with the date. chrono-node read the day at
 * its default hour and left "eod" in the title. Undefined when none follows.
 */
export function endOfDayAfter(
  result: chrono.ParsedResult,
  after: string,
  hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
): string | undefined {
  const c = result.start;
  if (c.isCertain('hour') || !(c.isCertain('day') || c.isCertain('weekday'))) return undefined;
  const words = END_OF_DAY_AFTER.exec(after)?.[0];
  if (words === undefined) return undefined;
  const start = c as unknown as { assign(component: 'hour' | 'minute', value: number): void };
  start.assign('hour', Math.floor(hours.endMinute / 60));
  start.assign('minute', hours.endMinute % 60);
  return words;
}

/** "eod friday", "end of day on friday": an end of day said before its day. */
const END_OF_DAY_THEN = /^(eod|cob|end of (?:the )?(?:business )?day|close of business)\s+(?:on\s+)?(?=\S)/i;

/**
 * "eod friday call" as "friday eod call", for {@link endOfDayAfter} to read, when a day without a time
 * follows the end of day (`parse`: the date at the start of a text, if any); else `text` as it is.
 */
export function endOfDayFirst(text: string, parse: (text: string) => chrono.ParsedResult | undefined): string {
  const eod = END_OF_DAY_THEN.exec(text);
  if (!eod) return text;
  const rest = text.slice(eod[0].length);
  const day = parse(rest);
  const c = day?.start;
  if (day?.index !== 0 || !c || c.isCertain('hour') || !(c.isCertain('day') || c.isCertain('weekday'))) return text;
  return `${rest.slice(0, day.text.length)} ${eod[1]}${rest.slice(day.text.length)}`;
}
