import * as chrono from 'chrono-node';
import { endOfPeriod, type PeriodEnd } from './business-dates.ts';
import { type BusinessHours, DEFAULT_BUSINESS_HOURS, openingTime } from './business-hours.ts';
import { joinTimeOfDayAfter, placeCjkWeekday, shiftDate } from './cjk-weekday.ts';
import { withoutBareNumber } from './count-after-day.ts';
import { englishDates } from './english-dates.ts';
import { endOfDayAfter } from './end-of-day-after.ts';
import { DAYS_AHEAD } from './days-ahead.ts';
import { type PartOfDay, partOfDayNamed, partOfDayTime, partOfDayTimeOn } from './part-of-day.ts';
import { respellDates } from './respell-dates.ts';
import { afternoonBareHour } from './working-hour.ts';
import { instantToWallClock, timezoneOffsetMinutes, type WallClock, zonedWallClockToInstant } from './zoned-time.ts';

/** A date named in a text, with the words that named it and where they start. */
export interface FoundDate {
  readonly at: Date;
  readonly text: string;
  readonly index: number;
  /** Whether the text said a time of day ("3pm", "15 Uhr"), not just a day. */
  readonly timeGiven: boolean;
}

/**
 * A start or end of a month or year: an end is read by {@link endOfPeriod} (the last working day,
 * 17:00, the same reading as "end of month"); a start is a day counted from today (下个月初).
 */
type PeriodPhrase =
  | { readonly pattern: RegExp; readonly ends: PeriodEnd }
  | { readonly pattern: RegExp; readonly starts: (today: WallDate) => WallDate };
export type WallDate = { year: number; month: number; day: number };

const nextMonth = ({ year, month }: WallDate): WallDate =>
  month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 };
const MONTH: PeriodEnd = { unit: 'month', ahead: 0 };
const YEAR: PeriodEnd = { unit: 'year', ahead: 0 };
const WEEK: PeriodEnd = { unit: 'week', ahead: 0 };
const NEXT_WEEK: PeriodEnd = { unit: 'week', ahead: 1 };

/**
 * Ends and starts of months and years that chrono's locales do not know (月底, 下个月初, Monatsende,
 * fin de mes), and ends of weeks ("by the end of the week", 周末前, 本周内): common in customers'
 * messages about payments, renewals and cancellations. English
 * ("end of the month") is here for customers' messages: chrono reads it as the last calendar day at
 * noon, and "end of the year" as "the year"; typed English goes through parseBusinessDate, to the same reading.
 */
const PERIODS: Record<string, readonly PeriodPhrase[]> = {
  en: [
    { pattern: /(?<!\p{L})end of (?:the |this )?month(?!\p{L})/iu, ends: MONTH },
    { pattern: /(?<!\p{L})end of (?:the |this )?year(?!\p{L})/iu, ends: YEAR },
    // chrono read "the week" in "by the end of the week" as a week from now.
    { pattern: /(?<!\p{L})(?:eow|end of (?:the |this )?week)(?!\p{L})/iu, ends: WEEK },
    { pattern: /(?<!\p{L})end of next week(?!\p{L})/iu, ends: NEXT_WEEK },
  ],
  zh: [
    { pattern: /下(?:个|個)?月(?:底|末)/, ends: { unit: 'month', ahead: 1 } },
    { pattern: /(?:下(?:个|個)?月初)/, starts: nextMonth },
    { pattern: /(?:本|这个?|這個?|當|当)?月(?:底|末)/, ends: MONTH },
    { pattern: /明年(?:底|末)/, ends: { unit: 'year', ahead: 1 } },
    { pattern: /(?:今|本)?年(?:底|末)/, ends: YEAR },
    // 周末前, 本周内: before the weekend, within this week (its last working day, as "end of week").
    { pattern: /下(?:个|個)?(?:周末|週末)(?:之|以)?前|下(?:个|個)?(?:周|週|星期)内/, ends: NEXT_WEEK },
    { pattern: /(?:这个|這個|这|這|本)?(?:周末|週末)(?:之|以)?前|(?:这|這|本)(?:个|個)?(?:周|週|星期)内/, ends: WEEK },
  ],
  de: [
    { pattern: /\b(?:Monatsende|Ende (?:des|dieses) Monats)\b/i, ends: MONTH },
    { pattern: /\b(?:Jahresende|Ende (?:des|dieses) Jahres)\b/i, ends: YEAR },
  ],
  es: [
    { pattern: /\bfin(?:al)? de(?:l)? mes\b/i, ends: MONTH },
    { pattern: /\bfin(?:al)? de(?:l)? año\b/i, ends: YEAR },
  ],
  fr: [{ pattern: /\bfin (?:du|de ce) mois\b/i, ends: MONTH }],
};

/** chrono-node's parsers for a language (`zh` reads simplified and traditional), English otherwise. */
export function dateParsersFor(language: string): Pick<chrono.Chrono, 'parse'>[] {
  switch (language) {
    case 'zh':
      // The combined chrono.zh misses 后天 and other words each script's parser knows.
      return [chrono.zh.hans.casual, chrono.zh.hant.casual];
    case 'de':
    case 'es':
    case 'fr':
    case 'ja':
    case 'nl':
    case 'pt':
    case 'ru':
      return [(chrono as unknown as Record<string, { casual: chrono.Chrono }>)[language].casual];
    default:
      return [englishDates];
  }
}

/** 来週, 来週の right before a weekday. */
const JA_NEXT_WEEK_BEFORE = /来週の?\s*$/;

/** Languages whose dates are read with their own chrono-node locale (others with English). */
export const DATE_LANGUAGES = ['en', 'zh', 'de', 'es', 'fr', 'ja', 'nl', 'pt', 'ru'] as const;

/**
 * The dates a text names, read in its language in `timeZone`, in order of appearance: chrono-node's
 * locale for that language, plus ends/starts of months and years it lacks. A date without a time is
 * `defaultHour`:00 local time (chrono's own default is noon). Words a rep also types read as typed:
 * a part of the day ("tonight" 20:00, part-of-day.ts), a count after a day ("friday 10 licenses" is
 * Friday, count-after-day.ts), the end of a month or year (last working day 17:00, `hours`,
 * business-dates.ts). The command grammar's `remind 华为 下周二 发报价` can reuse this with the rep's
 * or message's language.
 *
 * @param forwardDate - read "Friday" as the coming one (default `true`).
 */
export function findDatesIn(
  text: string,
  language: string,
  reference: Date,
  timeZone: string | number,
  {
    forwardDate = true,
    defaultHour = 12,
    hours = DEFAULT_BUSINESS_HOURS,
  }: { forwardDate?: boolean; defaultHour?: number; hours?: BusinessHours } = {},
): FoundDate[] {
  const offset = typeof timeZone === 'number' ? timeZone : timezoneOffsetMinutes(timeZone, reference);
  const zone = typeof timeZone === 'string' ? timeZone : undefined;
  const wall = zone ? instantToWallClock(reference, zone) : wallAtOffset(reference, offset);
  const found: FoundDate[] = [];
  // Every parser of the language reads the text (simplified and traditional Chinese each know words
  // the other misses: 下週三 is only the traditional one's); where their matches overlap, the longest wins.
  // chrono-node's Chinese parsers count 明天 from the server's calendar day: give them a reference whose
  // server-local wall clock is the customer's, and rebuild the instant from the wall clock they return.
  const zh = language === 'zh';
  const now = zone ? instantToWallClock(reference, zone) : { ...wall, ...timeAtOffset(reference, offset) };
  const asServerLocal = serverLocal(now, reference);
  const context = zh
    ? { instant: asServerLocal, timezone: -asServerLocal.getTimezoneOffset() }
    : { instant: reference, timezone: offset };
  const atWall = (local: WallClock) =>
    zone
      ? zonedWallClockToInstant(local, zone)
      : new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute) - offset * 60_000);
  // "tues", "weds", 周一九点: respelled as chrono-node reads them; offsets mapped back to the text.
  const { read, written } = respellDates(text);
  for (const parser of dateParsersFor(language)) {
    for (const parsed of parser.parse(read, context, { forwardDate })) {
      // "friday 10 licenses", "friday, 10 seats": a count after the day, not 10:00, as when a rep types it.
      const dayEnd = withoutBareNumber(parsed, read.slice(parsed.index + parsed.text.length));
      const r =
        (dayEnd === undefined
          ? undefined
          : parser
              .parse(read.slice(parsed.index, parsed.index + dayEnd), context, { forwardDate })
              .find((x) => x.index === 0)) ?? parsed;
      if (zh) {
        joinTimeOfDayAfter(r, read.slice(parsed.index + r.text.length), (t) =>
          parser.parse(t, context, { forwardDate }),
        );
        nextWeekFromMonday(r, wall);
      }
      // 来週金曜日: chrono-node's ja parser reads only 金曜日.
      if (language === 'ja' && JA_NEXT_WEEK_BEFORE.test(read.slice(0, parsed.index)) && r.start.isCertain('weekday'))
        moveToNextWeek(r, wall, r.start.get('weekday') || 7);
      // "send it tomorrow eod", 明天下班前: that day's closing time.
      const eod = endOfDayAfter(r, read.slice(parsed.index + r.text.length), hours);
      // A weekday without a date ("monday afternoon", 周一下午), whose day is the reading's to choose.
      const weekdayAlone =
        placeCjkWeekday(r, !forwardDate) || (r.start.isCertain('weekday') && !r.start.isCertain('day'));
      const afternoon = afternoonBareHour(r, wall);
      // "tonight", "this afternoon", 今晚: the hours a rep's typed date gives them (part-of-day.ts).
      const part = r.start.isCertain('hour') ? undefined : partOfDayNamed(r.text);
      const instantOf = () =>
        part !== undefined
          ? atWall(partOfDayWall(part, r, now, openingTime(hours), forwardDate))
          : zh
            ? wallClockAt(r.start, zone, offset)
            : parsedInstant(r.start, zone, offset);
      let at = instantOf();
      // "monday afternoon", 周一下午 written on a Monday evening: next Monday's, as typed; "at 4" written
      // at 17:00 (16:00, today's), tomorrow's.
      const step = weekdayAlone ? 7 : afternoon && !r.start.isCertain('day') ? 1 : 0;
      if (step > 0 && forwardDate && at.getTime() <= reference.getTime()) {
        shiftDate(r, step);
        at = instantOf();
      }
      const index = written(parsed.index);
      const said = text.slice(index, written(parsed.index + r.text.length)) + (eod ?? '');
      const candidate = { at, text: said, index, timeGiven: r.start.isCertain('hour') };
      const overlapping = found.findIndex(
        (f) => candidate.index < f.index + f.text.length && f.index < candidate.index + candidate.text.length,
      );
      if (overlapping < 0) found.push(candidate);
      else if (candidate.text.length > found[overlapping].text.length) found[overlapping] = candidate;
    }
  }
  for (const period of PERIODS[language] ?? []) {
    const match = period.pattern.exec(text);
    if (!match) continue;
    const end = match.index + match[0].length;
    // chrono read 下个月 in 下个月底 and "the year" in "end of the year": the whole phrase replaces it.
    const inside = (f: FoundDate) => f.index < end && match.index < f.index + f.text.length;
    if (found.some((f) => inside(f) && f.text.length > match[0].length)) continue;
    // An end is read as a rep's typed "end of month" is: the last working day, 17:00 (business-dates.ts).
    const at =
      'ends' in period
        ? endOfPeriod(period.ends, reference, timeZone, hours)
        : atWall({ ...period.starts(wall), hour: defaultHour, minute: 0 });
    found.splice(0, found.length, ...found.filter((f) => !inside(f)), {
      at,
      text: match[0],
      index: match.index,
      timeGiven: false,
    });
  }
  for (const ahead of DAYS_AHEAD[language] ?? []) {
    const match = ahead.pattern.exec(text);
    if (!match) continue;
    const end = match.index + match[0].length;
    // chrono read "mañana" inside "pasado mañana" (the day after it): the whole phrase replaces it.
    const inside = (f: FoundDate) => f.index < end && match.index < f.index + f.text.length;
    if (found.some((f) => inside(f) && f.text.length >= match[0].length)) continue;
    const today = { year: wall.year, month: wall.month, day: wall.day };
    const day = daysAfter(today, ahead.days(match, today));
    found.splice(0, found.length, ...found.filter((f) => !inside(f)), {
      at: atWall({ ...day, hour: defaultHour, minute: 0 }),
      text: match[0],
      index: match.index,
      timeGiven: false,
    });
  }
  return found.sort((a, b) => a.index - b.index);
}

/** A start or end of a month or year named at the start of a text, and the words that named it. */
export type LeadingPeriod = { text: string; ends: PeriodEnd } | { text: string; day: WallDate };

/**
 * A start or end of a month or year named at the very start of `text` (月底 续约): an end for
 * {@link endOfPeriod}, a start as a day counted from `today`. Undefined when the text does not start with one.
 */
export function leadingPeriod(text: string, language: string, today: WallDate): LeadingPeriod | undefined {
  for (const period of PERIODS[language] ?? []) {
    const match = period.pattern.exec(text);
    if (match?.index !== 0) continue;
    return 'ends' in period ? { text: match[0], ends: period.ends } : { text: match[0], day: period.starts(today) };
  }
  return undefined;
}

/**
 * A day some days ahead named at the very start of `text` (pasado mañana, après-demain, overmorgen,
 * depois de amanhã, 明後日, 3日後), with the time of day that follows it when the language's parser
 * reads one there ("pasado mañana a las 9", "明後日10時"). Undefined when the text does not start with one.
 */
export function leadingDaysAhead(
  text: string,
  language: string,
  today: WallDate,
  reference: chrono.ParsingReference,
): { day: WallDate; time?: { hour: number; minute: number }; text: string } | undefined {
  for (const ahead of DAYS_AHEAD[language] ?? []) {
    const match = ahead.pattern.exec(text);
    if (match?.index !== 0) continue;
    const day = daysAfter(today, ahead.days(match, today));
    const after = text.slice(match[0].length);
    const gap = after.length - after.trimStart().length;
    const [parser] = dateParsersFor(language);
    const rest = after.trimStart();
    // "a las 10": chrono-node's es parser starts the time at "las".
    const time = parser
      .parse(rest, reference)
      .find(
        (r) =>
          /^(?:a\s+)?$/i.test(rest.slice(0, r.index)) &&
          r.start.isCertain('hour') &&
          !r.start.isCertain('day') &&
          !r.start.isCertain('weekday'),
      );
    if (!time) return { day, text: match[0] };
    return {
      day,
      time: { hour: time.start.get('hour') ?? 0, minute: time.start.get('minute') ?? 0 },
      text: (match[0] + after.slice(0, gap + time.index) + time.text).trim(),
    };
  }
  return undefined;
}

function daysAfter(today: WallDate, days: number): WallDate {
  const d = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 下周二, 下个星期五, 下週日: a weekday of next week. */
const NEXT_WEEK_DAY = /^下(?:个|個)?(?:周|週|星期|礼拜|禮拜)([一二三四五六日天1-7])/;
const WEEKDAY_NUMBER: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7 };

/**
 * A Chinese week starts on Monday: 下周二 said on a Sunday is the day after tomorrow, and 下周日 is the
 * Sunday after next Saturday. chrono-node counts weeks from Sunday; move its day to the Monday week.
 */
export function nextWeekFromMonday(result: chrono.ParsedResult, today: WallDate): void {
  const named = NEXT_WEEK_DAY.exec(result.text.trim());
  if (!named) return;
  moveToNextWeek(result, today, WEEKDAY_NUMBER[named[1]] ?? Number(named[1]));
}

/**
 * Puts a parsed date on `weekday` (1 = Monday … 7 = Sunday) of the week after `today`'s, weeks starting
 * on Monday: 来週火曜日, próxima terça said on a Monday are the Tuesday eight days later.
 */
export function moveToNextWeek(result: chrono.ParsedResult, today: WallDate, weekday: number): void {
  const sinceMonday = (new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay() + 6) % 7;
  shiftDate(result, 7 - sinceMonday + weekday - 1, today);
}

/** A Date whose wall clock in the server's own timezone is `wall` (seconds taken from `now`). */
export function serverLocal(wall: WallClock, now: Date): Date {
  return new Date(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    now.getUTCSeconds(),
    now.getUTCMilliseconds(),
  );
}

/**
 * The wall clock of a part of the day a customer named without a time, read as a rep's typed one is
 * (part-of-day.ts): its hour ("tonight" 20:00, not chrono's 22:00); said today after that hour, the next
 * whole hour while it lasts ("tonight" at 21:30 is 22:00), else its hour, now past. "this evening" has no
 * day of its own: it is today's, where chrono's forward reading moved it to tomorrow once 20:00 passed.
 */
function partOfDayWall(
  part: PartOfDay,
  r: chrono.ParsedResult,
  now: WallClock,
  open: { hour: number; minute: number },
  forwardDate: boolean,
): WallClock {
  const c = r.start;
  const dayOwn = c.isCertain('day') || c.isCertain('weekday');
  const day = dayOwn
    ? { year: c.get('year') ?? now.year, month: c.get('month') ?? now.month, day: c.get('day') ?? now.day }
    : { year: now.year, month: now.month, day: now.day };
  const later = forwardDate && !c.isCertain('weekday') ? partOfDayTimeOn(part, day, now, open) : undefined;
  return { ...day, ...(later ?? partOfDayTime(r.text, open) ?? open) };
}

/**
 * The instant chrono-node's parse names, read in `zone`: chrono computes dates with the reference
 * day's UTC offset, an hour off past a DST change ("Monday at 3pm" said in Berlin on the Friday before
 * the clocks go back came out 14:00), so a wall-clock date is rebuilt in the zone. chrono's own instant
 * stands for a duration of hours or minutes ("in 2 hours": an exact amount of time, whatever DST does)
 * and for a time with its own zone ("3pm PST"), and whenever the zone is a fixed offset.
 */
function parsedInstant(c: chrono.ParsedComponents, zone: string | undefined, offset: number): Date {
  if (!zone || c.isCertain('timezoneOffset') || c.tags().has('result/relativeDateAndTime')) return c.date();
  return wallClockAt(c, zone, offset);
}

/** The instant of a parsed wall-clock date in a timezone (or at a fixed offset). */
function wallClockAt(c: chrono.ParsedComponents, zone: string | undefined, offset: number): Date {
  const local = {
    year: c.get('year') ?? 1970,
    month: c.get('month') ?? 1,
    day: c.get('day') ?? 1,
    hour: c.get('hour') ?? 12,
    minute: c.get('minute') ?? 0,
  };
  return zone
    ? zonedWallClockToInstant(local, zone)
    : new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute) - offset * 60_000);
}

function timeAtOffset(at: Date, offsetMinutes: number): { hour: number; minute: number } {
  const shifted = new Date(at.getTime() + offsetMinutes * 60_000);
  return { hour: shifted.getUTCHours(), minute: shifted.getUTCMinutes() };
}

function wallAtOffset(at: Date, offsetMinutes: number): WallDate {
  const shifted = new Date(at.getTime() + offsetMinutes * 60_000);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}
