import { describe, expect, it } from 'vitest';
import { parseLeadingWhen, parseWhen } from '../../../src/domain/parse-when.ts';
import { formatInZone } from '../../../src/domain/zoned-time.ts';

// Issue 20, "Commands and dates": the phrasings a new rep typed that were misread or refused.
// Monday 23 November 2026, 15:00 UTC = 10:00 in New York (EST), 16:00 in Berlin (CET).
const NOW = new Date('2026-11-23T15:00:00Z');
const NY = 'America/New_York';
const iso = (text: string, now = NOW, zone = NY) => parseWhen(text, now, zone).toISOString();

describe('dates a rep types (issue 20)', () => {
  it('reads timezone abbreviations instead of ignoring them', () => {
    expect(iso('tomorrow 9am PST')).toBe('2026-11-24T17:00:00.000Z');
    expect(iso('9am CET')).toBe('2026-11-24T08:00:00.000Z'); // 9:00 CET has passed today (it is 16:00 there)
    expect(iso('3pm EST')).toBe('2026-11-23T20:00:00.000Z');
    expect(iso('friday PST')).toBe('2026-11-27T17:00:00.000Z'); // no time: 9:00 in that zone
  });

  it('reads IANA zone names and keeps them out of the title', () => {
    expect(iso('tomorrow 09:00 Europe/Berlin')).toBe('2026-11-24T08:00:00.000Z');
    expect(iso('friday Europe/Berlin', NOW, 'Asia/Tokyo')).toBe('2026-11-27T08:00:00.000Z');
    expect(parseLeadingWhen('tomorrow 09:00 Europe/Berlin call Jo back', NOW, NY)).toMatchObject({
      rest: 'call Jo back',
    });
    expect(iso('tomorrow 9am America/Los_Angeles')).toBe('2026-11-24T17:00:00.000Z');
    expect(() => parseWhen('tomorrow 9am Mars/Olympus', NOW, NY)).toThrow(/Mars\/Olympus.*not a timezone/);
  });

  it('reads "in 35 seconds" as a duration', () => {
    expect(iso('in 35 seconds')).toBe('2026-11-23T15:00:35.000Z');
  });

  it('shows the year when the date is not in this year', () => {
    const december2 = new Date('2026-12-02T15:00:00Z');
    const at = parseWhen('12/1', december2, NY);
    expect(at.toISOString()).toBe('2027-12-01T14:00:00.000Z');
    expect(formatInZone(at, NY, december2)).toBe('Wed 1 Dec 2027, 09:00');
    expect(formatInZone(new Date('2026-12-04T14:00:00Z'), NY, december2)).toBe('Fri 4 Dec, 09:00');
  });

  it('refuses far-future dates with a sentence', () => {
    expect(() => parseWhen('in 500 years', NOW, NY)).toThrow(/"in 500 years" is more than 10 years away/);
    expect(iso('in 9 years')).toBe('2035-11-23T14:00:00.000Z');
  });

  it('refuses a future time for when a conversation happened', () => {
    expect(() => parseWhen('next week', NOW, NY, { pastOnly: true })).toThrow(
      /"next week" is in the future.*--follow-up/,
    );
    expect(parseWhen('friday', NOW, NY, { pastOnly: true }).toISOString()).toBe('2026-11-20T14:00:00.000Z');
    // "today" without a time cannot be 9:00 when it is 8:00 yet: it is now.
    const early = new Date('2026-11-23T13:00:00Z');
    expect(parseWhen('today', early, NY, { pastOnly: true }).toISOString()).toBe(early.toISOString());
    expect(() => parseWhen('200 years ago', NOW, NY, { pastOnly: true })).toThrow(/more than 10 years ago/);
  });

  it('knows eod, cob and end of week', () => {
    expect(iso('eod')).toBe('2026-11-23T22:00:00.000Z'); // 17:00 EST
    expect(iso('EOD')).toBe('2026-11-23T22:00:00.000Z');
    expect(iso('end of day')).toBe('2026-11-23T22:00:00.000Z');
    expect(iso('cob')).toBe('2026-11-23T22:00:00.000Z');
    // After 17:00 it is tomorrow's end of day.
    expect(iso('eod', new Date('2026-11-23T23:30:00Z'))).toBe('2026-11-24T22:00:00.000Z');
    expect(iso('eow')).toBe('2026-11-27T22:00:00.000Z'); // Friday 17:00
    expect(parseLeadingWhen('eod send the quote', NOW, NY)).toMatchObject({ matched: 'eod', rest: 'send the quote' });
  });

  it('knows quarters', () => {
    expect(iso('Q1')).toBe('2027-01-01T14:00:00.000Z');
    expect(iso('q2 2027')).toBe('2027-04-01T13:00:00.000Z'); // 9:00 EDT
    expect(iso('end of Q1')).toBe('2027-03-31T21:00:00.000Z'); // 17:00 EDT
    expect(parseLeadingWhen('Q1 renewal call', NOW, NY)).toMatchObject({ matched: 'Q1', rest: 'renewal call' });
  });

  it('reads "until friday" and "for 2 hours" as snooze people say them', () => {
    expect(iso('until friday')).toBe('2026-11-27T14:00:00.000Z');
    expect(iso('till tomorrow 9am')).toBe('2026-11-24T14:00:00.000Z');
    expect(iso('for 2 hours')).toBe('2026-11-23T17:00:00.000Z');
  });
});

// Issue 18: a rep who writes Chinese types the date in Chinese. Monday 23:00 in Shanghai (UTC+8).
describe('Chinese dates a rep types (issue 18)', () => {
  const SH = 'Asia/Shanghai';
  const zh = (text: string) => parseWhen(text, NOW, SH).toISOString();

  it('reads weekdays, days and times in Asia/Shanghai', () => {
    expect(zh('下周二')).toBe('2026-12-01T01:00:00.000Z'); // Tuesday of next week, 09:00 local
    expect(zh('下週三')).toBe('2026-12-02T01:00:00.000Z'); // traditional characters
    expect(zh('周五')).toBe('2026-11-27T01:00:00.000Z');
    expect(zh('明天上午9点')).toBe('2026-11-24T01:00:00.000Z');
    expect(zh('明天 上午9点')).toBe('2026-11-24T01:00:00.000Z');
    expect(zh('后天下午3点')).toBe('2026-11-25T07:00:00.000Z');
    expect(zh('星期五 下午两点')).toBe('2026-11-27T06:00:00.000Z');
  });

  it('counts weeks from Monday, as Chinese calendars do', () => {
    const sunday = new Date('2026-11-29T04:00:00Z'); // Sunday noon in Shanghai
    // chrono-node alone starts weeks on Sunday: it read 下周二 on a Sunday as 8 Dec and 下周日 on a Wednesday as 6 Dec.
    expect(parseWhen('下周二', sunday, SH).toISOString()).toBe('2026-12-01T01:00:00.000Z');
    expect(parseWhen('下周二下午3点', sunday, SH).toISOString()).toBe('2026-12-01T07:00:00.000Z');
    const wednesday = new Date('2026-12-02T04:00:00Z');
    expect(parseWhen('下周日', wednesday, SH).toISOString()).toBe('2026-12-13T01:00:00.000Z');
    expect(parseWhen('下个星期一', wednesday, SH).toISOString()).toBe('2026-12-07T01:00:00.000Z');
  });

  it('reads durations from now and ends and starts of months', () => {
    expect(zh('3天后')).toBe('2026-11-26T01:00:00.000Z');
    expect(zh('三天后')).toBe('2026-11-26T01:00:00.000Z');
    // chrono-node alone put 3小时后 at 18:00 the next day in Shanghai.
    expect(zh('3小时后')).toBe('2026-11-23T18:00:00.000Z');
    expect(zh('半小时后')).toBe('2026-11-23T15:30:00.000Z');
    expect(zh('二十分钟后')).toBe('2026-11-23T15:20:00.000Z');
    expect(zh('月底')).toBe('2026-11-30T09:00:00.000Z'); // last day, 17:00 local, as "end of Q1"
    expect(zh('下个月底')).toBe('2026-12-31T09:00:00.000Z');
    expect(zh('下个月初')).toBe('2026-12-01T01:00:00.000Z');
  });

  it('splits the date from the Chinese text after it, with or without a space', () => {
    expect(parseLeadingWhen('下周二 发报价', NOW, SH)).toMatchObject({ matched: '下周二', rest: '发报价' });
    expect(parseLeadingWhen('下周二发报价', NOW, SH)).toMatchObject({ matched: '下周二', rest: '发报价' });
    expect(parseLeadingWhen('明天上午9点 给王总打电话', NOW, SH)).toMatchObject({ rest: '给王总打电话' });
    expect(parseLeadingWhen('月底 续约', NOW, SH)).toMatchObject({ matched: '月底', rest: '续约' });
    expect(parseLeadingWhen('客户 明天', NOW, SH)).toBeUndefined();
  });

  it('refuses a Chinese time that has passed, and reads past ones for when something happened', () => {
    expect(() => parseWhen('今天晚上8点', NOW, SH)).toThrow(/in the past/);
    expect(parseWhen('昨天下午3点', NOW, SH, { pastOnly: true }).toISOString()).toBe('2026-11-22T07:00:00.000Z');
    expect(parseWhen('2小时前', NOW, SH, { pastOnly: true }).toISOString()).toBe('2026-11-23T13:00:00.000Z');
    expect(() => parseWhen('下周二 发报价', NOW, SH)).toThrow(/could not read "下周二 发报价" as a date/);
  });
});
