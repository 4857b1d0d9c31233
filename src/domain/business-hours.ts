import { instantToWallClock, zonedWallClockToInstant } from './zoned-time.ts';

/**
 * When the team works: local opening hours on working days, in one timezone. Built once from
 * RAPPORT_BUSINESS_HOURS / RAPPORT_BUSINESS_DAYS (config) and used by response times (insights) and by
 * follow-up due dates ("in 4 business hours", "by end of day", "tomorrow morning").
 */
export interface BusinessHours {
  /** IANA timezone the hours are read in. */
  timeZone: string;
  /** Opening time, minutes after midnight (09:00 = 540). */
  startMinute: number;
  /** Closing time, minutes after midnight (17:00 = 1020); after startMinute. */
  endMinute: number;
  /** Working weekdays, 0 = Sunday .. 6 = Saturday. */
  days: readonly number[];
}

/** Monday to Friday, 09:00-17:00, UTC: the default of RAPPORT_BUSINESS_HOURS / RAPPORT_BUSINESS_DAYS. */
export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  timeZone: 'UTC',
  startMinute: 9 * 60,
  endMinute: 17 * 60,
  days: [1, 2, 3, 4, 5],
};

/**
 * Where a day starts when nobody said a time ("friday", a day picked in a form): the team's opening
 * time, 09:00 with the default hours.
 */
export function openingTime(hours: BusinessHours = DEFAULT_BUSINESS_HOURS): { hour: number; minute: number } {
  return { hour: Math.floor(hours.startMinute / 60), minute: hours.startMinute % 60 };
}

const DAY_MS = 86_400_000;
/**
 * Beyond this many days a wait counts whole weeks at once. The weeks are calendar weeks of the team's
 * wall clock (Monday 10:00 to Monday 10:00 local), not 7 × 24 hours: a span of 7 × 24 hours across a
 * clock change ends an hour off the wall clock, and its opening hours an hour off too (review: Berlin,
 * 19 Oct to 20 Nov counted 11655 minutes where minute by minute there are 11595).
 */
const MAX_DAYS_WALKED = 14;

/**
 * Business minutes between two instants: only the part of [from, to] that falls inside opening hours
 * on working days counts, so a mail at Friday 16:00 answered Monday 10:00 waited 120 minutes
 * (Friday 16-17 and Monday 9-10) with the default hours. 0 when `to` is not after `from`.
 */
export function businessMinutesBetween(from: Date, to: Date, hours: BusinessHours): number {
  if (to.getTime() <= from.getTime()) return 0;
  let total = 0;
  let fromMs = from.getTime();
  const toMs = to.getTime();
  // Long spans: whole wall-clock weeks from `from` on count their opening hours at once (the walk below
  // covers the rest).
  const spanDays = (toMs - fromMs) / DAY_MS;
  if (spanDays > MAX_DAYS_WALKED) {
    const weeks = Math.floor((spanDays - MAX_DAYS_WALKED) / 7);
    const wall = instantToWallClock(from, hours.timeZone);
    const firstDay = Date.UTC(wall.year, wall.month - 1, wall.day);
    for (let w = 0; w < weeks; w++) total += weekMinutes(firstDay + w * 7 * DAY_MS, hours);
    fromMs = zonedWallClockToInstant(addCalendarDays(wall, weeks * 7), hours.timeZone).getTime();
  }
  // The local date of `from` is the UTC date or a neighbour: starting a day early costs one empty turn.
  let day = Math.floor(fromMs / DAY_MS) * DAY_MS - DAY_MS;
  for (;;) {
    const { open, close, working } = openingOf(day, hours);
    if (open >= toMs) break;
    if (working) {
      const start = Math.max(open, fromMs);
      const end = Math.min(close, toMs);
      if (end > start) total += (end - start) / 60_000;
    }
    day += DAY_MS;
  }
  return Math.round(total * 10) / 10;
}

/**
 * Opening minutes of the 7 local days from `day` (its date at UTC midnight). A week whose clock keeps
 * one UTC offset holds every working day's full hours; one with a clock change is summed day by day, in
 * case the change falls inside opening hours (a team open 00:00-24:00 has a 23- or 25-hour day).
 */
function weekMinutes(day: number, hours: BusinessHours): number {
  const offsetAtOpen = (d: number) => d + hours.startMinute * 60_000 - openingOf(d, hours).open;
  if (offsetAtOpen(day) === offsetAtOpen(day + 7 * DAY_MS))
    return hours.days.length * (hours.endMinute - hours.startMinute);
  let minutes = 0;
  for (let d = day; d < day + 7 * DAY_MS; d += DAY_MS) {
    const { open, close, working } = openingOf(d, hours);
    if (working) minutes += (close - open) / 60_000;
  }
  return minutes;
}

const openings = new WeakMap<BusinessHours, Map<number, { open: number; close: number; working: boolean }>>();

/**
 * Opening and closing instants of one local day (`day`: its date at UTC midnight). Memoised: timing
 * thousands of turns asked the timezone database for the same few days over and over (1.5 s for
 * 4,000 turns before, in bench:insights).
 */
function openingOf(day: number, hours: BusinessHours): { open: number; close: number; working: boolean } {
  let perHours = openings.get(hours);
  if (!perHours) {
    perHours = new Map();
    openings.set(hours, perHours);
  }
  let o = perHours.get(day);
  if (!o) {
    const d = new Date(day);
    const date = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    const at = (minute: number) =>
      zonedWallClockToInstant(
        { ...date, hour: Math.floor(minute / 60), minute: minute % 60 },
        hours.timeZone,
      ).getTime();
    o = { open: at(hours.startMinute), close: at(hours.endMinute), working: hours.days.includes(d.getUTCDay()) };
    if (perHours.size > 50_000) perHours.clear();
    perHours.set(day, o);
  }
  return o;
}

/**
 * Reads `09:00-17:00` and `mon-fri` / `mon,tue,thu` (RAPPORT_BUSINESS_HOURS, RAPPORT_BUSINESS_DAYS).
 * Returns a sentence instead when either is malformed.
 */
export function parseBusinessHours(
  hoursText: string,
  daysText: string,
  timeZone: string,
): BusinessHours | { problem: string } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$/.exec(hoursText.trim());
  if (!m) return { problem: `RAPPORT_BUSINESS_HOURS must look like 09:00-17:00 (got "${hoursText}").` };
  const startMinute = Number(m[1]) * 60 + Number(m[2]);
  const endMinute = Math.min(24 * 60, Number(m[3]) * 60 + Number(m[4]));
  if (endMinute <= startMinute)
    return { problem: `RAPPORT_BUSINESS_HOURS must end after it starts (got "${hoursText}").` };
  const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const days = new Set<number>();
  for (const part of daysText
    .toLowerCase()
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const range = /^([a-z]{3})(?:\s*-\s*([a-z]{3}))?$/.exec(part);
    const a = range ? names.indexOf(range[1]) : -1;
    const b = range?.[2] ? names.indexOf(range[2]) : a;
    if (a < 0 || b < 0)
      return { problem: `RAPPORT_BUSINESS_DAYS must look like mon-fri or mon,tue,wed (got "${daysText}").` };
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  if (days.size === 0) return { problem: 'RAPPORT_BUSINESS_DAYS names no day; use e.g. mon-fri.' };
  return { timeZone, startMinute, endMinute, days: [...days].sort() };
}

/** Whether `weekday` (0 = Sunday) is a working day. */
export function isWorkingDay(hours: BusinessHours, weekday: number): boolean {
  return hours.days.includes(weekday);
}

/** A calendar day plus `n` days (any month or year boundary). */
export function addCalendarDays<T extends { year: number; month: number; day: number }>(date: T, n: number): T {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + n));
  return { ...date, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The weekday (0 = Sunday) of a calendar day. */
export function weekdayOf(date: { year: number; month: number; day: number }): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

/** The first working day on or after `date` (the date itself when it is one). */
export function workingDayOnOrAfter<T extends { year: number; month: number; day: number }>(
  date: T,
  hours: BusinessHours,
): T {
  let d = date;
  for (let i = 0; i < 7 && !isWorkingDay(hours, weekdayOf(d)); i++) d = addCalendarDays(d, 1);
  return d;
}

/** The `n`th working day after `date` (`date` itself not counted): Friday plus 3 is Wednesday, Monday to Friday. */
export function workingDaysAfter<T extends { year: number; month: number; day: number }>(
  date: T,
  n: number,
  hours: BusinessHours,
): T {
  let d = date;
  for (let left = n; left > 0; left--) d = workingDayOnOrAfter(addCalendarDays(d, 1), hours);
  return d;
}
