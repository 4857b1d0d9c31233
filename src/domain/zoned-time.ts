const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * An Intl.DateTimeFormat, built once per locale and options: building one costs about 0.1 ms of CPU
 * (timezone data lookup), which showed up as the biggest item in a worker's profile.
 */
export function cachedDateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

/** Offset of an IANA timezone from UTC at an instant, read from the timezone database (Intl). */
function offsetFromIntl(timeZone: string, at: number): number {
  const parts = cachedDateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(at / 1000) * 1000) / 60_000);
}

const HOUR_MS = 3_600_000;
const hourOffsets = new Map<string, Map<number, number>>();

/** The offset at the start of UTC hour `hour` (hours since the epoch), memoised per timezone. */
function offsetAtHour(timeZone: string, hour: number): number {
  let perZone = hourOffsets.get(timeZone);
  if (!perZone) {
    perZone = new Map();
    hourOffsets.set(timeZone, perZone);
  }
  let offset = perZone.get(hour);
  if (offset === undefined) {
    offset = offsetFromIntl(timeZone, hour * HOUR_MS);
    if (perZone.size > 100_000) perZone.clear();
    perZone.set(hour, offset);
  }
  return offset;
}

/**
 * Offset of an IANA timezone from UTC at an instant, in minutes east of UTC (New York in winter: -300).
 * An hour whose start and end have the same offset has it throughout (no zone changes its clock twice
 * within an hour), so only the hours holding a change ask Intl for the instant itself: timing 3,500 open
 * turns over 90 days asked Intl three times each (100-170 ms of a 45-day health read, bench:insights).
 */
export function timezoneOffsetMinutes(timeZone: string, at: Date): number {
  const ms = at.getTime();
  const hour = Math.floor(ms / HOUR_MS);
  const start = offsetAtHour(timeZone, hour);
  return start === offsetAtHour(timeZone, hour + 1) ? start : offsetFromIntl(timeZone, ms);
}

/** Wall-clock date and time in a timezone. `month` is 1-12. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** Longer than any UTC offset change: the offsets a day either side of a wall-clock time are the ones around it. */
const DAY_MS = 86_400_000;

/**
 * The instant a wall-clock time names in a timezone, in every zone alike: in a DST gap (02:30 on a
 * spring-forward night) the time moves forward by the gap (02:30 is 03:30 after the change), and in an
 * overlap (02:30 on a fall-back night in Berlin) the earlier instant is taken (the first 02:30, summer time).
 */
export function zonedWallClockToInstant(wall: WallClock, timeZone: string): Date {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // The wall clock read with the offset in force before a change and with the one after it: each is a
  // real instant only if the zone has that offset there (both in an overlap, neither in a gap).
  const before = timezoneOffsetMinutes(timeZone, new Date(guess - DAY_MS));
  const after = timezoneOffsetMinutes(timeZone, new Date(guess + DAY_MS));
  if (before === after) return new Date(guess - before * 60_000);
  const candidates = [guess - before * 60_000, guess - after * 60_000].filter(
    (instant, i) => timezoneOffsetMinutes(timeZone, new Date(instant)) === (i === 0 ? before : after),
  );
  // A gap: read with the offset before the change, the instant lies after it, the gap later on the clock.
  return new Date(candidates.length > 0 ? Math.min(...candidates) : guess - before * 60_000);
}

/** The wall clock of an instant in a timezone. */
export function instantToWallClock(at: Date, timeZone: string): WallClock {
  const shifted = new Date(at.getTime() + timezoneOffsetMinutes(timeZone, at) * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
  };
}

/**
 * "Tue 10 Mar, 09:00" in the given timezone, for replies; "Wed 1 Dec 2027, 09:00" when the date is not
 * in the same year as `now` there (a date a year ahead must not read like one next week).
 * @param now - the reader's present (default: the clock); commands pass their own `now`.
 */
export function formatInZone(at: Date, timeZone: string, now: Date = new Date()): string {
  const parts = cachedDateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const year = get('year');
  const sameYear = String(instantToWallClock(now, timeZone).year) === year;
  return `${get('weekday')} ${get('day')} ${get('month')}${sameYear ? '' : ` ${year}`}, ${get('hour')}:${get('minute')}`;
}

/** Midnight (in a timezone) that starts the day `days` days after the day of `at` there. */
export function startOfZonedDay(at: Date, timeZone: string, days = 0): Date {
  const wall = instantToWallClock(at, timeZone);
  const d = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + days));
  return zonedWallClockToInstant(
    { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 },
    timeZone,
  );
}

/** Midnight (in a timezone) that starts the Monday of the week `weeks` weeks after the week of `at`. */
export function startOfZonedWeek(at: Date, timeZone: string, weeks = 0): Date {
  const wall = instantToWallClock(at, timeZone);
  const weekday = (new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay() + 6) % 7; // Monday = 0
  return startOfZonedDay(at, timeZone, weeks * 7 - weekday);
}
