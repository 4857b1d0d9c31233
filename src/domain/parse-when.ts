import * as chrono from 'chrono-node';
import { invalidInput } from '../errors.ts';
import { timezoneOffsetMinutes, zonedWallClockToInstant } from './zoned-time.ts';

/** Hour used when a date is given without a time ("friday", "next week"): the start of a working day. */
export const DEFAULT_HOUR = 9;

export const WHEN_EXAMPLES = '"tomorrow 9am", "friday", "next Tuesday 14:00", "in 3 days", "in 2 hours", "March 10"';

export interface WhenOptions {
  /** Accept past dates ("yesterday 3pm", for when a call happened). Default false: only future dates. */
  allowPast?: boolean;
}

/** A date found at the start of a text, and the text that follows it. */
export interface LeadingWhen {
  at: Date;
  /** The words that named the date ("tomorrow 9am"). */
  matched: string;
  rest: string;
}

/**
 * Finds a natural-language date at the very start of `text` ("tomorrow 9am send the quote"), read in
 * the rep's IANA timezone. Dates without a time mean {@link DEFAULT_HOUR}:00 local time; durations
 * ("in 2 hours") count from `now`. Returns undefined when the text does not start with a date.
 * @throws RapportError invalid_input when the date is in the past.
 */
export function parseLeadingWhen(
  text: string,
  now: Date,
  timeZone: string,
  opts: WhenOptions = {},
): LeadingWhen | undefined {
  const trimmed = text.trimStart();
  const past = opts.allowPast === true;
  const results = chrono.parse(
    trimmed,
    { instant: now, timezone: timezoneOffsetMinutes(timeZone, now) },
    { forwardDate: !past },
  );
  const first = results[0];
  if (first?.index !== 0) return undefined;
  const at = resolveInstant(first, now, timeZone, past);
  if (!past && at.getTime() <= now.getTime()) {
    throw invalidInput(`"${first.text}" is in the past. Give a future time, e.g. ${WHEN_EXAMPLES}.`);
  }
  return { at, matched: first.text, rest: trimmed.slice(first.text.length).trim() };
}

/**
 * Parses a whole text as a future date in the rep's timezone.
 * @throws RapportError invalid_input with examples when it is not a date, has extra words, or is in the past.
 */
export function parseWhen(text: string, now: Date, timeZone: string, opts: WhenOptions = {}): Date {
  const found = parseLeadingWhen(text, now, timeZone, opts);
  if (found?.rest !== '') {
    throw invalidInput(`I could not read "${text.trim()}" as a date. Try ${WHEN_EXAMPLES}.`);
  }
  return found.at;
}

function resolveInstant(result: chrono.ParsedResult, now: Date, timeZone: string, past: boolean): Date {
  // A duration is an exact amount of time from now, whatever DST does meanwhile.
  if (/\b(hours?|hrs?|minutes?|mins?|seconds?|secs?)\b/i.test(result.text)) return result.start.date();
  // Otherwise the rep means a wall-clock time in their zone; chrono computed it with today's UTC offset,
  // which is wrong across a DST change, so rebuild the instant from the wall-clock parts.
  const c = result.start;
  const timeGiven = c.isCertain('hour');
  const wall = {
    year: c.get('year') ?? 1970,
    month: c.get('month') ?? 1,
    day: c.get('day') ?? 1,
    hour: timeGiven ? (c.get('hour') ?? DEFAULT_HOUR) : DEFAULT_HOUR,
    minute: timeGiven ? (c.get('minute') ?? 0) : 0,
  };
  let at = zonedWallClockToInstant(wall, timeZone);
  // "friday" said on a Friday afternoon means next Friday, not this morning.
  if (!past && !timeGiven && !c.isCertain('day') && c.isCertain('weekday') && at.getTime() <= now.getTime()) {
    const next = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + 7));
    at = zonedWallClockToInstant(
      { ...wall, year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() },
      timeZone,
    );
  }
  return at;
}
