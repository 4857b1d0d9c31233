import type * as chrono from 'chrono-node';
import { addCalendarDays, weekdayOf } from './business-hours.ts';
import { partOfDayNamed } from './part-of-day.ts';

/** The bare hours read as the afternoon: 1 to 6 without am/pm are 13:00 to 18:00. */
export const AFTERNOON_BARE_HOURS = { from: 1, to: 6 } as const;

/**
 * An hour said without am/pm, a part of the day or a 24-hour form ("friday at 3", "tomorrow 3:30",
 * 明天3点, "@4") from 1 to 6 is the afternoon: a customer or a rep who writes "call me at 3" means 15:00,
 * which chrono-node read as 03:00 and a reminder then fired in the night. "3am", "3 in the morning",
 * 早上6点, 凌晨3点, "03:00", "3h" (a 24-hour clock) and 7 to 12 keep their reading. `said`: the words
 * that named the date when more than the parse's own text ("friday @03:00", whose time parse-when reads).
 * A time without a day is put on `today`, with a weekday on its coming one, today's included (the caller
 * moves it on when it has passed).
 * @returns whether the hour was moved.
 */
export function afternoonBareHour(
  result: chrono.ParsedResult,
  today: { year: number; month: number; day: number },
  said: string = result.text,
): boolean {
  const c = result.start;
  const hour = c.get('hour');
  if (!c.isCertain('hour') || c.isCertain('meridiem') || hour === null) return false;
  if (hour < AFTERNOON_BARE_HOURS.from || hour > AFTERNOON_BARE_HOURS.to) return false;
  if (partOfDayNamed(said) === 'morning' || TWENTY_FOUR_HOUR.test(said) || DURATION.test(said)) return false;
  const start = c as unknown as {
    assign(component: 'hour' | 'meridiem', value: number): void;
    imply(component: 'year' | 'month' | 'day', value: number): void;
  };
  start.assign('hour', hour + 12);
  start.assign('meridiem', 1);
  // "at 4" said at 10:00: chrono-node's forward reading put 04:00 on tomorrow, "wed at 3" said on a
  // Wednesday morning on next Wednesday; 16:00 and 15:00 are today's.
  if (!c.isCertain('day')) {
    const weekday = c.isCertain('weekday') ? c.get('weekday') : null;
    const ahead = weekday === null ? 0 : (weekday - weekdayOf(today) + 7) % 7;
    const day = addCalendarDays(today, ahead);
    start.imply('year', day.year);
    start.imply('month', day.month);
    start.imply('day', day.day);
  }
  return true;
}

/** 03:00, 3h, 3h30, 03.00: a 24-hour clock. */
const TWENTY_FOUR_HOUR = /(?<!\d)0\d\s*[:.h時点]|\dh(?:[0-5]\d)?(?![a-z])/i;
/** "in 3 hours", 3小时后: an amount of time, not a time of day. */
const DURATION = /hours?|hrs?|minutes?|mins?|小时|小時|钟头|鐘頭|分钟|分鐘|ago/i;
