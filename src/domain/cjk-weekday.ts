import type * as chrono from 'chrono-node';

/** A Chinese or Japanese weekday (周五, 星期五, 禮拜五, 金曜日) said without a day of the month (5日, 3月). */
export function cjkWeekdayAlone(text: string): boolean {
  return (
    /[周週星礼禮曜]/.test(text) &&
    !/(?:\d|[一二三四五六七八九十〇]+)\s*[日号號]|月/.test(text.replace(/[月火水木金土日]曜日?/g, ''))
  );
}

/** A calendar day. */
type WallDate = { year: number; month: number; day: number };

/** The date parts of a parsed start: the public type hides it, but every one is a ParsingComponents. */
type Components = {
  assign(component: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'meridiem', value: number): void;
  imply(component: 'hour' | 'minute' | 'meridiem', value: number): void;
};

/**
 * Puts a Chinese or Japanese weekday said without a date on that weekday: the first one from the day
 * the parser gave it, that day included, or with `back` the last one. chrono-node's zh parsers put a
 * weekday with a part of the day (周五下午, 星期五晚上) on today's date and call the day certain, so a
 * customer's "周五下午给我打电话" written on a Monday came out as that Monday afternoon. A weekday the
 * parsers placed in its week (周五, 下周五) stays; one with a date (12月5日周五) keeps the date.
 * @returns whether the result was such a weekday, so its day is ours to move when it has passed.
 */
export function placeCjkWeekday(result: chrono.ParsedResult, back: boolean): boolean {
  const c = result.start;
  const weekday = c.get('weekday');
  if (!c.isCertain('weekday') || weekday === null || !cjkWeekdayAlone(result.text)) return false;
  const from = dateOf(result);
  const ahead = (weekday - new Date(Date.UTC(from.year, from.month - 1, from.day)).getUTCDay() + 7) % 7;
  if (ahead !== 0) shiftDate(result, back ? ahead - 7 : ahead);
  return true;
}

/** Puts a parsed start on the day `days` after `from` (by default its own day), its time unchanged. */
export function shiftDate(result: chrono.ParsedResult, days: number, from: WallDate = dateOf(result)): void {
  const day = new Date(Date.UTC(from.year, from.month - 1, from.day + days));
  const start = result.start as unknown as Components;
  start.assign('year', day.getUTCFullYear());
  start.assign('month', day.getUTCMonth() + 1);
  start.assign('day', day.getUTCDate());
}

function dateOf(result: chrono.ParsedResult): WallDate {
  const c = result.start;
  return { year: c.get('year') ?? 1970, month: c.get('month') ?? 1, day: c.get('day') ?? 1 };
}

/** A part of the day or a time of it right after a date: 下周五下午, 下星期五 晚上8点, 明年3月1日上午. */
const TIME_OF_DAY_AFTER = /^\s*(?=上午|下午|中午|晚上|早上|早晨|傍晚|凌晨|夜里|夜裡)/;

/**
 * chrono-node's zh parsers read 下周五下午 as 下周五 alone (its afternoon left as a second date on
 * today, or in a typed command's title) though they read 下周五下午3点 whole. When a date without a
 * time is followed (in `after`, the text right after it) by a part of the day, this joins that part's time to it, as `parse` reads the part
 * alone, and the part's words to its text, so the day's part-of-day hour applies (part-of-day.ts).
 */
export function joinTimeOfDayAfter(
  result: chrono.ParsedResult,
  after: string,
  parse: (text: string) => chrono.ParsedResult[],
): void {
  const start = result.start;
  if (start.isCertain('hour') || !(start.isCertain('day') || start.isCertain('weekday'))) return;
  const gap = TIME_OF_DAY_AFTER.exec(after)?.[0];
  if (gap === undefined) return;
  const time = parse(after.slice(gap.length)).find((t) => t.index === 0 && !t.start.isCertain('weekday'));
  if (!time) return;
  const components = start as unknown as Components;
  for (const part of ['hour', 'minute', 'meridiem'] as const) {
    const value = time.start.get(part);
    if (value === null) continue;
    if (time.start.isCertain(part)) components.assign(part, value);
    else components.imply(part, value);
  }
  (result as chrono.ParsingResult).text = result.text + gap + time.text;
}
