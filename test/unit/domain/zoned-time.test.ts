import { describe, expect, it } from 'vitest';
import { intlOffsetMs } from '../../helpers/intl-offset.ts';
import {
  startOfZonedDay,
  timezoneOffsetMinutes,
  type WallClock,
  zonedWallClockToInstant,
} from '../../../src/domain/zoned-time.ts';

const at = (zone: string, wall: WallClock) => zonedWallClockToInstant(wall, zone).toISOString();
const wall = (year: number, month: number, day: number, hour: number, minute = 0): WallClock => ({
  year,
  month,
  day,
  hour,
  minute,
});

// A wall-clock time in a DST gap moves forward by the gap; one in an overlap is the earlier instant.
describe('zonedWallClockToInstant across DST changes', () => {
  it('moves a time in the spring gap forward in New York, as in Berlin', () => {
    // 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 is 03:30 EDT, not 01:30 EST.
    expect(at('America/New_York', wall(2026, 3, 8, 2, 30))).toBe('2026-03-08T07:30:00.000Z');
    // 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 is 03:30 CEST.
    expect(at('Europe/Berlin', wall(2026, 3, 29, 2, 30))).toBe('2026-03-29T01:30:00.000Z');
    // Just before and after the gap are the plain times.
    expect(at('America/New_York', wall(2026, 3, 8, 1, 59))).toBe('2026-03-08T06:59:00.000Z');
    expect(at('America/New_York', wall(2026, 3, 8, 3, 0))).toBe('2026-03-08T07:00:00.000Z');
  });

  it('takes the earlier of two instants in the autumn overlap, in Berlin as in New York', () => {
    // 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; the first is 00:30Z (CEST).
    expect(at('Europe/Berlin', wall(2026, 10, 25, 2, 30))).toBe('2026-10-25T00:30:00.000Z');
    // 2026-11-01 02:00 EDT -> 01:00 EST: the first 01:30 is EDT.
    expect(at('America/New_York', wall(2026, 11, 1, 1, 30))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('does the same in the southern hemisphere (Australia/Sydney), and nothing in Asia/Kolkata', () => {
    // 2026-10-04 02:00 AEST -> 03:00 AEDT: 02:30 is 03:30 AEDT.
    expect(at('Australia/Sydney', wall(2026, 10, 4, 2, 30))).toBe('2026-10-03T16:30:00.000Z');
    // 2026-04-05 03:00 AEDT -> 02:00 AEST: the first 02:30 is AEDT (UTC+11).
    expect(at('Australia/Sydney', wall(2026, 4, 5, 2, 30))).toBe('2026-04-04T15:30:00.000Z');
    expect(at('Australia/Sydney', wall(2026, 7, 1, 9))).toBe('2026-06-30T23:00:00.000Z');
    // A zone without DST and with a half-hour offset (Asia/Kolkata, UTC+5:30) on the same nights: as is.
    expect(at('Asia/Kolkata', wall(2026, 3, 8, 2, 30))).toBe('2026-03-07T21:00:00.000Z');
    expect(at('Asia/Kolkata', wall(2026, 10, 25, 2, 30))).toBe('2026-10-24T21:00:00.000Z');
  });

  it('starts a day whose midnight is in a gap at the first minute it has (America/Santiago)', () => {
    // 2026-09-06 00:00 -04 -> 01:00 -03: the day starts at 01:00, not 23:00 the day before.
    const start = startOfZonedDay(new Date('2026-09-06T15:00:00Z'), 'America/Santiago');
    expect(start.toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });
});

// timezoneOffsetMinutes reads Intl once per hour boundary and asks it again only inside an hour that
// holds a clock change: every minute of a year of changes must read as Intl reads it.
describe('timezoneOffsetMinutes (memoised per hour)', () => {
  const fromIntl = (zone: string, ms: number) => Math.round(intlOffsetMs(zone, ms) / 60_000);

  it('matches Intl at every minute of the hours around each 2026 clock change, odd offsets and half-hour shifts included', () => {
    // Lord Howe moves its clock by 30 minutes, Chatham and Kathmandu keep quarter-hour offsets, Santiago
    // changes at midnight, Sao Paulo has no change any more (a plain year).
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Asia/Kathmandu',
      'America/Santiago',
      'America/Sao_Paulo',
      'UTC',
    ];
    for (const zone of zones) {
      let checked = 0;
      // Every 6 hours of the year; in a 6-hour block holding an offset change, every minute of it.
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 6 * 3_600_000) {
        const changes = fromIntl(zone, ms) !== fromIntl(zone, ms + 6 * 3_600_000);
        const step = changes ? 60_000 : 6 * 3_600_000;
        for (let t = ms; t < ms + 6 * 3_600_000; t += step) {
          expect(timezoneOffsetMinutes(zone, new Date(t)), `${zone} ${new Date(t).toISOString()}`).toBe(
            fromIntl(zone, t),
          );
          // A second before the minute too: a change falls on the minute, the second before is the old offset.
          expect(timezoneOffsetMinutes(zone, new Date(t - 1000))).toBe(fromIntl(zone, t - 1000));
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(1460);
    }
  });

  it('reads historical offsets with seconds as Intl does (Amsterdam 1937: +00:19:32 to +00:20)', () => {
    for (let ms = Date.UTC(1937, 5, 30, 20); ms < Date.UTC(1937, 6, 1, 4); ms += 60_000)
      expect(timezoneOffsetMinutes('Europe/Amsterdam', new Date(ms))).toBe(fromIntl('Europe/Amsterdam', ms));
  });

  it('throws on an unknown timezone and on an invalid date, as Intl does', () => {
    expect(() => timezoneOffsetMinutes('Mars/Olympus', new Date())).toThrow(RangeError);
    expect(() => timezoneOffsetMinutes('UTC', new Date(Number.NaN))).toThrow(RangeError);
  });
});
