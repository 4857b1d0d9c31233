import { describe, expect, it } from 'vitest';
import { intlOffsetMs } from '../../helpers/intl-offset.ts';
import { type BusinessHours, businessMinutesBetween } from '../../../src/domain/business-hours.ts';

// businessMinutesBetween against a count made minute by minute, over random spans that cross clock
// changes. Long spans (over 14 days) count whole weeks at once: the review found a 7 × 24 hour skip an
// hour off when the weeks it skipped crossed a change (2 of 40 random Berlin spans).

const MINUTE = 60_000;
const DAY = 86_400_000;

/** mulberry32: the same spans on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Every minute of [from, to) whose local weekday and time are inside the hours, one by one. */
function countMinuteByMinute(from: Date, to: Date, hours: BusinessHours): number {
  let n = 0;
  for (let hour = from.getTime(); hour < to.getTime(); hour += 60 * MINUTE) {
    // One offset for the hour when its first and last minute agree, else each minute's own.
    const first = intlOffsetMs(hours.timeZone, hour);
    const same = first === intlOffsetMs(hours.timeZone, hour + 59 * MINUTE);
    for (let t = hour; t < Math.min(hour + 60 * MINUTE, to.getTime()); t += MINUTE) {
      const local = new Date(t + (same ? first : intlOffsetMs(hours.timeZone, t)));
      const minuteOfDay = local.getUTCHours() * 60 + local.getUTCMinutes();
      if (hours.days.includes(local.getUTCDay()) && minuteOfDay >= hours.startMinute && minuteOfDay < hours.endMinute)
        n++;
    }
  }
  return n;
}

const MON_FRI = [1, 2, 3, 4, 5];
const TEAMS: { name: string; hours: BusinessHours }[] = [
  {
    name: 'Berlin 09-17 Mon-Fri',
    hours: { timeZone: 'Europe/Berlin', startMinute: 540, endMinute: 1020, days: MON_FRI },
  },
  {
    name: 'New York 08:30-18:00 Mon-Fri',
    hours: { timeZone: 'America/New_York', startMinute: 510, endMinute: 1080, days: MON_FRI },
  },
  {
    name: 'Sydney 09-17 Mon-Fri',
    hours: { timeZone: 'Australia/Sydney', startMinute: 540, endMinute: 1020, days: MON_FRI },
  },
  // Open round the clock: the clock change falls inside opening hours (a 23- and a 25-hour day).
  {
    name: 'Berlin 00-24 every day',
    hours: { timeZone: 'Europe/Berlin', startMinute: 0, endMinute: 1440, days: [0, 1, 2, 3, 4, 5, 6] },
  },
];

/** Windows holding the 2026 clock changes of the three zones (March-April and September-November). */
const WINDOWS = [
  { from: Date.UTC(2026, 1, 20), days: 60 },
  { from: Date.UTC(2026, 8, 10), days: 70 },
];

describe('businessMinutesBetween equals a minute-by-minute count across clock changes', () => {
  it("counts the reviewer's Berlin wait (19 Oct to 20 Nov 2026, across the end of summer time) as 11595 minutes", () => {
    const berlin = TEAMS[0].hours;
    const from = new Date('2026-10-19T13:45:00Z');
    const to = new Date('2026-11-20T16:00:00Z');
    expect(countMinuteByMinute(from, to, berlin)).toBe(11595);
    expect(businessMinutesBetween(from, to, berlin)).toBe(11595);
  });

  for (const [i, team] of TEAMS.entries())
    it(`agrees on 60 random spans of 1 to 45 days (${team.name}, seed ${101 + i})`, () => {
      const random = seeded(101 + i);
      const wrong: string[] = [];
      for (let k = 0; k < 60; k++) {
        const window = WINDOWS[k % WINDOWS.length];
        // Starts on a quarter hour; three spans in four are long (over 14 days: whole weeks skipped).
        const from = new Date(window.from + Math.floor(random() * window.days * 96) * 15 * MINUTE);
        const days = k % 4 === 0 ? 1 + random() * 13 : 15 + random() * 30;
        const to = new Date(from.getTime() + Math.round((days * DAY) / MINUTE) * MINUTE);
        const counted = businessMinutesBetween(from, to, team.hours);
        const expected = countMinuteByMinute(from, to, team.hours);
        if (counted !== expected) wrong.push(`${from.toISOString()} -> ${to.toISOString()}: ${counted} vs ${expected}`);
      }
      expect(wrong).toEqual([]);
    });
});
