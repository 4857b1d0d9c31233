import type * as chrono from 'chrono-node';
import { invalidInput } from '../errors.ts';
import { endOfPeriod, parseBusinessDate } from './business-dates.ts';
import { type BusinessHours, openingTime } from './business-hours.ts';
import { placeCjkWeekday } from './cjk-weekday.ts';
import { withoutBareNumber } from './count-after-day.ts';
import { englishDates } from './english-dates.ts';
import { endOfDayAfter, endOfDayFirst } from './end-of-day-after.ts';
import { leadingLocalizedWhen } from './leading-localized-date.ts';
import { type PartOfDay, partOfDayNamed, partOfDayTime, partOfDayTimeOn } from './part-of-day.ts';
import { spellWeekdays } from './respell-dates.ts';
import { afternoonBareHour } from './working-hour.ts';
import { instantToWallClock, timezoneOffsetMinutes, zonedWallClockToInstant } from './zoned-time.ts';

/** Hour used when a date is given without a time ("friday", "next week") and no team hours are given: the start of a working day. */
export const DEFAULT_HOUR = 9;

/** Furthest a typed date may lie from now, either way: "in 500 years" is a slip, not a plan. */
export const MAX_YEARS_AWAY = 10;

export const WHEN_EXAMPLES =
  '"tomorrow 9am", "friday", "next Tuesday 14:00", "in 3 days", "in 2 hours", "March 10", "eod", "Q1", "tomorrow 9am PST", "下周二", "明天上午9点"';

export interface WhenOptions {
  /** Accept past dates as well as future ones ("yesterday 3pm"). Default false: only future dates. */
  allowPast?: boolean;
  /**
   * Only past dates (or now): when something happened, as `log --at` says. "friday" is the last one;
   * a future date is refused. Default false.
   */
  pastOnly?: boolean;
  /**
   * The team's hours (RAPPORT_BUSINESS_HOURS / RAPPORT_BUSINESS_DAYS): a date without a time is their
   * opening time, "eod" their closing time on a working day. Default 09:00-17:00 Monday to Friday.
   */
  hours?: BusinessHours;
}

/** A date found at the start of a text, and the text that follows it. */
export interface LeadingWhen {
  at: Date;
  /** The words that named the date ("tomorrow 9am", "tomorrow 9:00 Europe/Berlin"). */
  matched: string;
  rest: string;
}

/** Words people put before a date when snoozing or setting a deadline ("until friday", "by eod"). */
const LEAD_IN = /^(?:until|till|til|by|on)\s+/i;
/** "for 2 hours" is "in 2 hours". */
const FOR_DURATION = /^for\s+(?=(?:\d+|an?|a few|one|two|three)\s)/i;
/** An IANA zone name written after a date: "Europe/Berlin", "America/Argentina/Buenos_Aires". */
const IANA_ZONE = /^(?:in\s+)?([A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+)(?=$|[\s,.;:!?])/;

/** A time chrono does not read after a day: "friday @10", "@ 10:30", "friday 10h", "10h30". */
const HOUR_AFTER = /^\s+(?:@\s*([01]?\d|2[0-3])(?:[:.]([0-5]\d))?|([01]?\d|2[0-3])h([0-5]\d)?)(?=$|[\s,.;:!?])/i;

/** Puts a time said in a way chrono does not read onto its reading of the day before it. */
function setTime(result: chrono.ParsedResult, hour: number, minute: number): void {
  // The public type hides it, but every parsed start is a ParsingComponents with assign().
  const start = result.start as unknown as { assign(component: 'hour' | 'minute', value: number): void };
  start.assign('hour', hour);
  start.assign('minute', minute);
}

/** An exact amount of time from now ("in 2 hours"), not a day. */
function isDuration(text: string): boolean {
  return /\b(hours?|hrs?|minutes?|mins?|seconds?|secs?)\b/i.test(text);
}

/**
 * Finds a natural-language date at the very start of `text` ("tomorrow 9am send the quote"), read in
 * the rep's IANA timezone unless the date names its own: an abbreviation chrono-node knows ("9am PST",
 * "3pm CET") or an IANA name after it ("tomorrow 09:00 Europe/Berlin", which is not left in the rest).
 * Dates without a time mean the team's opening time (`opts.hours`, default {@link DEFAULT_HOUR}:00) local
 * time, and a part of the day its hour ("tomorrow afternoon" 15:00, "tonight" 20:00: see part-of-day.ts),
 * today's once that has passed the next whole hour while it lasts ("tonight" at 21:30 is 22:00);
 * a number after a day is the hour only with a marker ("friday 10am", "at 10", "@10", "10h") or when
 * nothing follows it, so "friday 10 licenses" leaves "10 licenses" in the rest; durations ("in 2 hours",
 * "in 35 seconds") count from `now`; "eod", "eow", "Q1", "end of month" are business phrases (see
 * business-dates.ts).
 * Returns undefined when the text does not start with a date.
 * @throws RapportError invalid_input when the date is in the past (or the future, with `pastOnly`), a
 *   part of today is over ("tonight" at 23:10),
 *   more than {@link MAX_YEARS_AWAY} years away, or followed by an unknown zone name.
 */
export function parseLeadingWhen(
  text: string,
  now: Date,
  timeZone: string,
  opts: WhenOptions = {},
): LeadingWhen | undefined {
  const original = text.trimStart();
  const leadIn = LEAD_IN.exec(original)?.[0] ?? '';
  let trimmed = original.slice(leadIn.length);
  const forDuration = FOR_DURATION.exec(trimmed);
  if (forDuration) trimmed = `in ${trimmed.slice(forDuration[0].length)}`;
  const pastOnly = opts.pastOnly === true;
  const past = pastOnly || opts.allowPast === true;

  const reference = { instant: now, timezone: timezoneOffsetMinutes(timeZone, now) };
  const parse = (t: string) => englishDates.parse(spellWeekdays(t), reference, { forwardDate: !past })[0];
  // "eod friday": read as "friday eod" (below); "eod" alone is today's (business-dates.ts).
  if (!pastOnly) trimmed = endOfDayFirst(trimmed, parse);
  const open = openingTime(opts.hours);
  const business = pastOnly ? undefined : parseBusinessDate(trimmed, now, timeZone, open.hour, opts.hours);
  if (business) return checked(business.at, business.matched, trimmed.slice(business.matched.length), now, opts);

  let first = parse(trimmed);
  if (first?.index !== 0) return leadingLocalized(trimmed, now, timeZone, past, pastOnly, opts, open);
  const dayOnly = withoutBareNumber(first, trimmed.slice(first.text.length));
  if (dayOnly !== undefined) {
    const day = parse(trimmed.slice(0, dayOnly));
    if (day?.index === 0) first = day;
  }
  // "friday, 10 seats": the comma closed the date.
  let after = trimmed.slice(first.text.length).replace(/^\s*,/, '');
  let matched = trimmed.slice(0, first.text.length);
  const hour = HOUR_AFTER.exec(after);
  if (hour && !first.start.isCertain('hour') && !isDuration(first.text)) {
    setTime(first, Number(hour[1] ?? hour[3]), Number(hour[2] ?? hour[4] ?? 0));
    matched += hour[0];
    after = after.slice(hour[0].length);
  }
  // "friday eod", "tomorrow by cob": that day's closing time.
  const eod = endOfDayAfter(first, after, opts.hours);
  if (eod !== undefined) {
    matched += eod;
    after = after.slice(eod.length);
  }
  let zone: string | undefined;
  const named = IANA_ZONE.exec(after.trimStart());
  if (named) {
    if (!isTimeZone(named[1])) {
      throw invalidInput(
        `"${named[1]}" is not a timezone I know. Use an IANA name like Europe/Berlin or America/New_York, or an abbreviation like PST or CET.`,
      );
    }
    zone = named[1];
    const skipped = after.length - after.trimStart().length + named[0].length;
    matched += after.slice(0, skipped);
    after = after.slice(skipped);
  }
  afternoonBareHour(first, instantToWallClock(now, timeZone), matched);
  const at = resolveInstant(first, now, zone ?? timeZone, zone !== undefined, past, pastOnly, open);
  return checked(at, matched.trim(), after, now, opts);
}

/**
 * A date in another language at the start, when English read none there (下周二 发报价, 明天上午9点, 3天后,
 * 月底, 明日9時, nächsten Dienstag, demain à 9h, el próximo martes, в следующий вторник), read in the
 * rep's timezone like an English one: a date without a time is the team's opening time, the end of a
 * month or year the same as "end of month" ({@link endOfPeriod}), a duration counts from now.
 */
function leadingLocalized(
  text: string,
  now: Date,
  timeZone: string,
  past: boolean,
  pastOnly: boolean,
  opts: WhenOptions,
  open: { hour: number; minute: number },
): LeadingWhen | undefined {
  let found = leadingLocalizedWhen(text, now, timeZone, past);
  if (!found) return undefined;
  const dayOnly =
    found.kind === 'chrono' ? withoutBareNumber(found.result, text.trimStart().slice(found.matched.length)) : undefined;
  if (found.kind === 'chrono' && dayOnly !== undefined) {
    // "morgen 10 Lizenzen": read the day alone, like "friday 10 licenses".
    const cut = found.matched.length - (found.result.text.length - dayOnly);
    found = leadingLocalizedWhen(text.trimStart().slice(0, cut), now, timeZone, past);
    if (!found) return undefined;
  }
  let rest = text.trimStart().slice(found.matched.length);
  // 明天下班前 (before the end of work tomorrow): that day's closing time.
  const eod = found.kind === 'chrono' ? endOfDayAfter(found.result, rest, opts.hours) : undefined;
  if (found.kind === 'chrono' && eod !== undefined) {
    found = { ...found, matched: found.matched + eod };
    rest = rest.slice(eod.length);
  }
  switch (found.kind) {
    case 'duration':
      return checked(found.at, found.matched, rest, now, opts);
    case 'chrono':
      afternoonBareHour(found.result, instantToWallClock(now, timeZone), found.matched);
      return checked(
        resolveInstant(found.result, now, timeZone, false, past, pastOnly, open),
        found.matched,
        rest,
        now,
        opts,
      );
    case 'end':
      // 月底, 下个月底, 年底, Monatsende: read as "end of month" is (business-dates.ts).
      return checked(endOfPeriod(found.period, now, timeZone, opts.hours), found.matched, rest, now, opts);
    case 'period': {
      // A time said with the date wins; else the team's opening time.
      const start = found.time ? { hour: found.time.hour, minute: found.time.minute ?? 0 } : open;
      return checked(zonedWallClockToInstant({ ...found.day, ...start }, timeZone), found.matched, rest, now, opts);
    }
  }
}

/**
 * Parses a whole text as a date in the rep's timezone (future unless the options say otherwise).
 * @throws RapportError invalid_input with examples when it is not a date, has extra words, or is out of range.
 */
export function parseWhen(text: string, now: Date, timeZone: string, opts: WhenOptions = {}): Date {
  const found = parseLeadingWhen(text, now, timeZone, opts);
  if (found?.rest !== '') {
    throw invalidInput(`I could not read "${text.trim()}" as a date. Try ${WHEN_EXAMPLES}.`);
  }
  return found.at;
}

/** Whether `name` is an IANA timezone this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function checked(at: Date, matched: string, rest: string, now: Date, opts: WhenOptions): LeadingWhen {
  const limit = new Date(now);
  if (opts.pastOnly) {
    // A minute of slack: "now" typed a moment ago is not the future.
    if (at.getTime() > now.getTime() + 60_000) {
      throw invalidInput(
        `"${matched}" is in the future. --at says when the conversation happened, e.g. --at "yesterday 3pm"; for something still to do, use --follow-up "${matched}".`,
      );
    }
    limit.setUTCFullYear(limit.getUTCFullYear() - MAX_YEARS_AWAY);
    if (at.getTime() < limit.getTime())
      throw invalidInput(
        `"${matched}" is more than ${MAX_YEARS_AWAY} years ago. Check the date, e.g. "last Tuesday 3pm".`,
      );
  } else {
    if (!opts.allowPast && at.getTime() <= now.getTime()) {
      throw invalidInput(`"${matched}" is in the past. Give a future time, e.g. ${WHEN_EXAMPLES}.`);
    }
    limit.setUTCFullYear(limit.getUTCFullYear() + MAX_YEARS_AWAY);
    if (at.getTime() > limit.getTime())
      throw invalidInput(
        `"${matched}" is more than ${MAX_YEARS_AWAY} years away; I only keep reminders within ${MAX_YEARS_AWAY} years. Give a nearer date, e.g. "next March" or "Q1 2027".`,
      );
  }
  return { at, matched, rest: rest.trim() };
}

function resolveInstant(
  result: chrono.ParsedResult,
  now: Date,
  timeZone: string,
  zoneNamed: boolean,
  past: boolean,
  pastOnly: boolean,
  open: { hour: number; minute: number },
): Date {
  // A duration is an exact amount of time from now, whatever DST does meanwhile.
  if (isDuration(result.text)) return result.start.date();
  // chrono-node's zh parsers put 周五下午 (Friday afternoon, no time) on today's date: the weekday said
  // wins, the coming one (the last one for when something happened). A weekday typed with a date
  // ("friday dec 12", 12月5日周五) keeps the date, whatever weekday it is.
  const weekdayAlone = placeCjkWeekday(result, pastOnly);
  // Otherwise the rep means a wall-clock time: in the zone the text names, else in their own. chrono
  // computed it with today's UTC offset, which is wrong across a DST change, so rebuild the instant
  // from the wall-clock parts.
  const c = result.start;
  const timeGiven = c.isCertain('hour');
  const wall = {
    year: c.get('year') ?? 1970,
    month: c.get('month') ?? 1,
    day: c.get('day') ?? 1,
    hour: timeGiven ? (c.get('hour') ?? open.hour) : open.hour,
    minute: timeGiven ? (c.get('minute') ?? 0) : open.minute,
  };
  // "tomorrow afternoon", "tonight", 明天下午: chrono only guesses an hour for these; use ours.
  const part = timeGiven ? undefined : partOfDayNamed(result.text);
  if (part !== undefined) Object.assign(wall, partOfDayTime(result.text, open));
  if (part !== undefined && !past && !zoneNamed && !c.isCertain('weekday') && !c.isCertain('timezoneOffset'))
    Object.assign(wall, laterToday(part, result, wall, now, timeZone, open));
  // "9am PST": chrono read a fixed offset from the abbreviation; it wins over the rep's zone.
  const fixedOffset = !zoneNamed && c.isCertain('timezoneOffset') ? c.get('timezoneOffset') : null;
  const instant = (w: typeof wall) =>
    fixedOffset === null || fixedOffset === undefined
      ? zonedWallClockToInstant(w, timeZone)
      : new Date(Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - fixedOffset * 60_000);
  let at = instant(wall);
  if (!past && (!c.isCertain('day') || weekdayAlone) && at.getTime() <= now.getTime()) {
    // "friday" or 周五上午 said on a Friday afternoon means next Friday, not this morning; "3pm Europe/Berlin" said
    // after 15:00 in Berlin means tomorrow (chrono moved it forward in the rep's zone, not Berlin's).
    const step = c.isCertain('weekday') ? 7 : timeGiven ? 1 : 0;
    if (step > 0) {
      const next = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + step));
      at = instant({ ...wall, year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() });
    }
  }
  // "today" as when a call happened, said before 9:00: it cannot be later than now.
  if (pastOnly && !timeGiven && at.getTime() > now.getTime() && sameDay(at, now, timeZone)) return now;
  return at;
}

/**
 * A part of the day said for today ("tonight", "this afternoon", 今晚, heute Abend), once its hour has
 * passed: the next whole hour while it lasts (partOfDayTimeOn). It used to be refused as past
 * ("tonight" at 21:30), or moved to tomorrow without a word by chrono ("this afternoon" at 16:30).
 * @throws RapportError invalid_input when none of it is left, saying so instead of picking another day.
 */
function laterToday(
  part: PartOfDay,
  result: chrono.ParsedResult,
  wall: { year: number; month: number; day: number },
  now: Date,
  timeZone: string,
  open: { hour: number; minute: number },
): { year: number; month: number; day: number; hour: number; minute: number } {
  const today = instantToWallClock(now, timeZone);
  // "this evening" has no day of its own: it is today's, wherever chrono's forward reading put it.
  const day = result.start.isCertain('day') ? wall : { year: today.year, month: today.month, day: today.day };
  const time = partOfDayTimeOn(part, day, today, open);
  if (time) return { year: day.year, month: day.month, day: day.day, ...time };
  const clock = `${String(today.hour).padStart(2, '0')}:${String(today.minute).padStart(2, '0')}`;
  throw invalidInput(
    `It is already ${clock} in ${timeZone}, too late for "${result.text.trim()}". Give a time, e.g. "in 30 minutes", "tomorrow ${part}" or "tomorrow 9am".`,
  );
}

function sameDay(a: Date, b: Date, timeZone: string): boolean {
  const f = (d: Date) => d.toLocaleDateString('en-CA', { timeZone });
  return f(a) === f(b);
}
