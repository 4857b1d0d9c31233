import * as chrono from 'chrono-node';
import { instantToWallClock, timezoneOffsetMinutes, type WallClock, zonedWallClockToInstant } from './zoned-time.ts';

/** A date named in a text, with the words that named it and where they start. */
export interface FoundDate {
  readonly at: Date;
  readonly text: string;
  readonly index: number;
  /** Whether the text said a time of day ("3pm", "15 Uhr"), not just a day. */
  readonly timeGiven: boolean;
}

type EndOfPeriod = {
  readonly pattern: RegExp;
  readonly resolve: (ref: WallDate) => WallDate;
  /** The end of a period (月底), not its start (下个月初). */
  readonly end: boolean;
};
export type WallDate = { year: number; month: number; day: number };

const lastDayOf = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const nextMonth = ({ year, month }: WallDate): WallDate =>
  month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 };
const endOfMonth = (d: WallDate): WallDate => ({ ...d, day: lastDayOf(d.year, d.month) });

/**
 * Ends and starts of months and years that chrono's locales do not know (月底, 下个月初, Monatsende,
 * fin de mes): common in customers' messages about payments, renewals and cancellations.
 */
const PERIODS: Record<string, readonly EndOfPeriod[]> = {
  zh: [
    { pattern: /下(?:个|個)?月(?:底|末)/, resolve: (d) => endOfMonth(nextMonth(d)), end: true },
    { pattern: /(?:下(?:个|個)?月初)/, resolve: (d) => nextMonth(d), end: false },
    { pattern: /(?:本|这个?|這個?|當|当)?月(?:底|末)/, resolve: endOfMonth, end: true },
    { pattern: /(?:今|本)?年(?:底|末)/, resolve: (d) => ({ year: d.year, month: 12, day: 31 }), end: true },
  ],
  de: [
    { pattern: /\b(?:Monatsende|Ende (?:des|dieses) Monats)\b/i, resolve: endOfMonth, end: true },
    {
      pattern: /\b(?:Jahresende|Ende (?:des|dieses) Jahres)\b/i,
      resolve: (d) => ({ year: d.year, month: 12, day: 31 }),
      end: true,
    },
  ],
  es: [
    { pattern: /\bfin(?:al)? de(?:l)? mes\b/i, resolve: endOfMonth, end: true },
    { pattern: /\bfin(?:al)? de(?:l)? año\b/i, resolve: (d) => ({ year: d.year, month: 12, day: 31 }), end: true },
  ],
  fr: [{ pattern: /\bfin (?:du|de ce) mois\b/i, resolve: endOfMonth, end: true }],
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
      return [chrono.casual];
  }
}

/** Languages whose dates are read with their own chrono-node locale (others with English). */
export const DATE_LANGUAGES = ['en', 'zh', 'de', 'es', 'fr', 'ja', 'nl', 'pt', 'ru'] as const;

/**
 * The dates a text names, read in its language in `timeZone`, in order of appearance: chrono-node's
 * locale for that language, plus ends/starts of months and years it lacks. A date without a time is
 * `defaultHour`:00 local time (chrono's own default is noon). The command grammar's `remind 华为
 * 下周二 发报价` can reuse this with the rep's or message's language.
 *
 * @param forwardDate - read "Friday" as the coming one (default `true`).
 */
export function findDatesIn(
  text: string,
  language: string,
  reference: Date,
  timeZone: string | number,
  { forwardDate = true, defaultHour = 12 }: { forwardDate?: boolean; defaultHour?: number } = {},
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
  for (const parser of dateParsersFor(language)) {
    for (const r of parser.parse(text, context, { forwardDate })) {
      if (zh) nextWeekFromMonday(r, wall);
      const at = zh ? wallClockAt(r.start, zone, offset) : parsedInstant(r.start, zone, offset);
      const candidate = { at, text: r.text, index: r.index, timeGiven: r.start.isCertain('hour') };
      const overlapping = found.findIndex(
        (f) => candidate.index < f.index + f.text.length && f.index < candidate.index + candidate.text.length,
      );
      if (overlapping < 0) found.push(candidate);
      else if (candidate.text.length > found[overlapping].text.length) found[overlapping] = candidate;
    }
  }
  for (const period of PERIODS[language] ?? []) {
    const match = period.pattern.exec(text);
    if (!match || found.some((f) => match.index >= f.index && match.index < f.index + f.text.length)) continue;
    const day = period.resolve({ year: wall.year, month: wall.month, day: wall.day });
    const local = { ...day, hour: defaultHour, minute: 0 };
    const at = zone
      ? zonedWallClockToInstant(local, zone)
      : new Date(Date.UTC(day.year, day.month - 1, day.day, defaultHour) - offset * 60_000);
    found.push({ at, text: match[0], index: match.index, timeGiven: false });
  }
  for (const ahead of DAYS_AHEAD[language] ?? []) {
    const match = ahead.pattern.exec(text);
    if (!match) continue;
    const end = match.index + match[0].length;
    // chrono read "mañana" inside "pasado mañana" (the day after it): the whole phrase replaces it.
    const inside = (f: FoundDate) => f.index < end && match.index < f.index + f.text.length;
    if (found.some((f) => inside(f) && f.text.length >= match[0].length)) continue;
    const day = daysAfter({ year: wall.year, month: wall.month, day: wall.day }, ahead.days(match));
    const local = { ...day, hour: defaultHour, minute: 0 };
    const at = zone
      ? zonedWallClockToInstant(local, zone)
      : new Date(Date.UTC(day.year, day.month - 1, day.day, defaultHour) - offset * 60_000);
    found.splice(0, found.length, ...found.filter((f) => !inside(f)), {
      at,
      text: match[0],
      index: match.index,
      timeGiven: false,
    });
  }
  return found.sort((a, b) => a.index - b.index);
}

/**
 * A start or end of a month or year named at the very start of `text` (月底 续约), as a day counted
 * from `today`; `end` says it is the end of the period. Undefined when the text does not start with one.
 */
export function leadingPeriod(
  text: string,
  language: string,
  today: WallDate,
): { day: WallDate; text: string; end: boolean } | undefined {
  for (const period of PERIODS[language] ?? []) {
    const match = period.pattern.exec(text);
    if (match?.index === 0) return { day: period.resolve(today), text: match[0], end: period.end };
  }
  return undefined;
}

/** Days ahead named by words chrono-node's locales miss: pasado mañana, après-demain, 明後日, 3日後. */
const DAYS_AHEAD: Record<string, readonly { pattern: RegExp; days: (m: RegExpExecArray) => number }[]> = {
  es: [{ pattern: /(?<!\p{L})pasado\s+mañana(?!\p{L})/iu, days: () => 2 }],
  fr: [{ pattern: /(?<!\p{L})après[-\s]demain(?!\p{L})/iu, days: () => 2 }],
  nl: [{ pattern: /(?<!\p{L})overmorgen(?!\p{L})/iu, days: () => 2 }],
  pt: [{ pattern: /(?<!\p{L})depois\s+de\s+amanhã(?!\p{L})/iu, days: () => 2 }],
  ja: [
    { pattern: /明後日/, days: () => 2 },
    { pattern: /(?<!\d)(\d{1,3})\s*日後/, days: (m) => Number(m[1]) },
  ],
};

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
    const day = daysAfter(today, ahead.days(match));
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
  const todayUtc = Date.UTC(today.year, today.month - 1, today.day);
  const sinceMonday = (new Date(todayUtc).getUTCDay() + 6) % 7;
  const day = new Date(todayUtc + (7 - sinceMonday + weekday - 1) * 86_400_000);
  // The public type hides it, but every parsed start is a ParsingComponents with assign().
  const start = result.start as unknown as { assign(component: 'year' | 'month' | 'day', value: number): void };
  start.assign('year', day.getUTCFullYear());
  start.assign('month', day.getUTCMonth() + 1);
  start.assign('day', day.getUTCDate());
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
