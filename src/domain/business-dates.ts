import { instantToWallClock, timezoneOffsetMinutes, zonedWallClockToInstant, type WallClock } from './zoned-time.ts';
import {
  addCalendarDays,
  type BusinessHours,
  DEFAULT_BUSINESS_HOURS,
  isWorkingDay,
  weekdayOf,
} from './business-hours.ts';

/** Hour that "end of day" (eod, cob) means: the end of a working day. */
export const END_OF_DAY_HOUR = 17;

/** A business phrase found at the start of a text: the instant it names and the words that named it. */
export interface BusinessDate {
  at: Date;
  matched: string;
}

const EOD = /^(?:eod|cob|end of (?:the )?(?:business )?day|close of business)(?=$|[\s,.;:!?])/i;
const EOW = /^(?:eow|end of (?:the |this )?(?:(next) )?week)(?=$|[\s,.;:!?])/i;
const END_OF_PERIOD = /^end of (?:the |this )?(month|year)(?=$|[\s,.;:!?])/i;
const QUARTER = /^(?:(end|start|beginning) of\s+)?q([1-4])(?:\s+(\d{4}))?(?=$|[\s,.;:!?])/i;

/**
 * Phrases chrono-node does not know but reps type: "eod"/"cob"/"end of day" (today's closing time in
 * `hours`, or the next working day's once it has passed or today is not a working day; 17:00 Monday to
 * Friday by default), "eow"/"end of week" (the week's last working day, Friday by default, 17:00;
 * "end of next week" the next one's), "Q1" / "q2 2027" (the quarter's first
 * day at `startHour`, the next one to come when no year is given), "end of Q1" (its last day, 17:00)
 * and "end of month"/"end of the year" ({@link endOfPeriod}: the last working day of this month or year,
 * 17:00; the next month's or year's once that has passed).
 * Read at the start of `text` in `timeZone`; undefined when the text does not start with one.
 */
export function parseBusinessDate(
  text: string,
  now: Date,
  timeZone: string,
  startHour: number,
  hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
): BusinessDate | undefined {
  const today = instantToWallClock(now, timeZone);
  const at = (wall: WallClock) => zonedWallClockToInstant(wall, timeZone);
  const eod = EOD.exec(text);
  if (eod) {
    const close = { hour: Math.floor(hours.endMinute / 60), minute: hours.endMinute % 60 };
    let day: WallClock = today;
    for (let i = 0; i < 8; i++, day = addCalendarDays(day, 1)) {
      if (!isWorkingDay(hours, weekdayOf(day))) continue;
      const when = at({ ...day, ...close });
      if (when.getTime() > now.getTime()) return { at: when, matched: eod[0] };
    }
  }
  const eow = EOW.exec(text);
  if (eow) {
    // The week's last working day in `hours` (Friday by default), 17:00; next week's once it has passed.
    return { at: endOfPeriod({ unit: 'week', ahead: eow[1] ? 1 : 0 }, now, timeZone, hours), matched: eow[0] };
  }
  const period = END_OF_PERIOD.exec(text);
  if (period) {
    // chrono alone read "end of month" as that day's opening time, refused as past on the day itself.
    const unit = period[1].toLowerCase() === 'year' ? 'year' : 'month';
    return { at: endOfPeriod({ unit, ahead: 0 }, now, timeZone, hours), matched: period[0] };
  }
  const quarter = QUARTER.exec(text);
  if (quarter) {
    const end = quarter[1]?.toLowerCase() === 'end';
    const q = Number(quarter[2]);
    const wallOf = (year: number): WallClock =>
      end
        ? { year, month: q * 3, day: new Date(Date.UTC(year, q * 3, 0)).getUTCDate(), hour: END_OF_DAY_HOUR, minute: 0 }
        : { year, month: q * 3 - 2, day: 1, hour: startHour, minute: 0 };
    let when = at(wallOf(quarter[3] ? Number(quarter[3]) : today.year));
    if (!quarter[3] && when.getTime() <= now.getTime()) when = at(wallOf(today.year + 1));
    return { at: when, matched: quarter[0] };
  }
  return undefined;
}

/** The end of a week, month or year a text names: `ahead` periods after the current one (下个月底 is a month ahead). */
export interface PeriodEnd {
  readonly unit: 'week' | 'month' | 'year';
  readonly ahead: number;
}

/**
 * The end of a month or year, however it was said ("end of month", "end of the year", 月底, 本月底,
 * 下个月底, 年底, Monatsende, fin de mes), typed by a rep or written by a customer: the period's last
 * working day in `hours` at {@link END_OF_DAY_HOUR}:00 in `timeZone` (an IANA name or minutes east of
 * UTC), like "end of Q4" (Sunday 31 January 2027 is Friday 29 January). Said after that but before the
 * period's last day is over at 17:00 (its closing weekend, the evening of its last working day): that
 * last day at 17:00 (said on Saturday 30 January 2027: Sunday 31 January 17:00), not a whole period
 * later; once that has passed too, the next period's, as a quarter rolls on ("end of month" said after
 * 17:00 on 30 November is 31 December).
 */
export function endOfPeriod(
  end: PeriodEnd,
  now: Date,
  timeZone: string | number,
  hours: BusinessHours = DEFAULT_BUSINESS_HOURS,
): Date {
  const at = (wall: WallClock) =>
    typeof timeZone === 'string'
      ? zonedWallClockToInstant(wall, timeZone)
      : new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute) - timeZone * 60_000);
  const today =
    typeof timeZone === 'string'
      ? instantToWallClock(now, timeZone)
      : instantToWallClock(new Date(now.getTime() + timeZone * 60_000), 'UTC');
  const yearly = end.unit === 'year';
  const weekEnd = lastWorkingDayOfWeek(today, hours);
  let when = now;
  for (let ahead = end.ahead; ahead < end.ahead + 2; ahead++) {
    const last =
      end.unit === 'week'
        ? new Date(Date.UTC(weekEnd.year, weekEnd.month - 1, weekEnd.day + ahead * 7))
        : new Date(Date.UTC(today.year + (yearly ? ahead : 0), yearly ? 12 : today.month + ahead, 0));
    const lastDay: WallClock = {
      year: last.getUTCFullYear(),
      month: last.getUTCMonth() + 1,
      day: last.getUTCDate(),
      hour: END_OF_DAY_HOUR,
      minute: 0,
    };
    let day = lastDay;
    for (let i = 0; i < 7 && !isWorkingDay(hours, weekdayOf(day)); i++) day = addCalendarDays(day, -1);
    when = at(day);
    if (when.getTime() > now.getTime()) return when;
    // Past its last working day, not past the period (its closing weekend, the evening before its last
    // day): the period's last day at 17:00, not a whole period later. A week's weekend is itself: "end of
    // week" said on a Saturday is next Friday, as a rep's typed "eow" always was.
    if (end.unit !== 'week' && at(lastDay).getTime() > now.getTime()) return at(lastDay);
  }
  return when;
}

/** "end of day" and its synonyms anywhere in a sentence ("can you send it by end of day?"). */
const EOD_ANYWHERE =
  /(?:^|[\s,.;:!?(])((?:eod|cob|end of (?:the )?(?:business )?day|close of business)(?=$|[\s,.;:!?)]))/i;

/**
 * An "end of day" phrase anywhere in a customer's message, resolved like {@link parseBusinessDate}
 * (the team's closing time today, or on the next working day): what chrono-node cannot read in mail.
 */
export function findEndOfDay(text: string, now: Date, timeZone: string, hours?: BusinessHours): Date | undefined {
  const m = EOD_ANYWHERE.exec(text);
  if (!m) return undefined;
  return parseBusinessDate(m[1], now, timeZone, Math.floor((hours ?? DEFAULT_BUSINESS_HOURS).startMinute / 60), hours)
    ?.at;
}

/** Opening hour of the default business hours (09:00). */
export const OPEN_HOUR = DEFAULT_BUSINESS_HOURS.startMinute / 60;

const DAY_MS = 86_400_000;

/**
 * `now` (floored to the minute) plus `hours` of business time: time inside `businessHours` (default
 * 09:00–17:00 Monday–Friday), read on the wall clock of `timezone`. Works a business day or a closed
 * period at a time: inside opening hours it runs to the day's closing instant or the end, outside it
 * jumps to the next working day's opening. Those instants are read off the zone's wall clock and checked
 * against the zone's offset there, so a day with a DST change has its real length. About one timezone
 * look-up per step (none in UTC) instead of a walk minute by minute (~3 ms per call, which needed a cache).
 */
export function addBusinessHours(
  now: Date,
  hours: number,
  timezone = 'UTC',
  businessHours: BusinessHours = DEFAULT_BUSINESS_HOURS,
): Date {
  const { startMinute: open, endMinute: close } = businessHours;
  const isWorkday = (weekday: number) => isWorkingDay(businessHours, weekday);
  const offsetAt = (instant: number) =>
    timezone === 'UTC' ? 0 : timezoneOffsetMinutes(timezone, new Date(instant)) * 60_000;
  let remaining = Math.round(hours * 60) * 60_000;
  let t = Math.floor(now.getTime() / 60_000) * 60_000;
  let offset = offsetAt(t);
  // The instant of `minute` past local midnight on the local calendar day starting at `day` (wall-clock ms).
  const localMinuteOn = (day: number, minute: number): number => {
    const guess = day + minute * 60_000 - offset;
    const there = offsetAt(guess);
    if (there === offset) return guess;
    const d = new Date(day); // a DST change in between: let the general conversion sort it out
    return zonedWallClockToInstant(
      {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: Math.floor(minute / 60),
        minute: minute % 60,
      },
      timezone,
    ).getTime();
  };
  while (remaining > 0) {
    const wall = t + offset; // wall-clock time as if it were UTC
    const day = wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
    const minute = Math.floor((wall - day) / 60_000);
    const workday = isWorkday(new Date(day).getUTCDay());
    let next: number;
    if (workday && minute >= open && minute < close) {
      const closing = localMinuteOn(day, close);
      if (t + remaining <= closing) return new Date(t + remaining);
      remaining -= Math.max(60_000, closing - t);
      next = closing;
    } else {
      // Closed: today's opening if it is still ahead, else the next workday's.
      let openDay = workday && minute < open ? day : day + DAY_MS;
      for (let i = 0; i < 7 && !isWorkday(new Date(openDay).getUTCDay()); i++) openDay += DAY_MS;
      next = localMinuteOn(openDay, open);
    }
    // Always move forward, even if a zone's wall clock does something this arithmetic did not foresee.
    t = next > t ? next : t + 60_000;
    offset = offsetAt(t);
  }
  return new Date(t);
}

/**
 * The last working day of the week `day` is in, in `hours`: the first working day from `day` on that a
 * day off follows (Friday for Monday to Friday, Thursday for Sunday to Thursday; said on the weekend,
 * the coming week's). A team that works every day ends its week on Sunday.
 */
function lastWorkingDayOfWeek<T extends { year: number; month: number; day: number }>(day: T, hours: BusinessHours): T {
  let d = day;
  for (let i = 0; i < 7; i++, d = addCalendarDays(d, 1))
    if (isWorkingDay(hours, weekdayOf(d)) && !isWorkingDay(hours, weekdayOf(addCalendarDays(d, 1)))) return d;
  return addCalendarDays(day, (7 - weekdayOf(day)) % 7);
}
