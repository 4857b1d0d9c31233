import { describe, expect, it } from 'vitest';
import type { BusinessHours } from '../../../src/domain/business-hours.ts';
import { parseWhen } from '../../../src/domain/parse-when.ts';
import { typedDates } from '../../helpers/typed-dates.ts';

// A reviewer's reproductions of how `remind`, `snooze` and `due` read typed dates.
// Monday 7 December 2026, 15:00 UTC = 10:00 in New York (EST, UTC-5).
const NOW = new Date('2026-12-07T15:00:00Z');
const NY = 'America/New_York';
const { iso, leading } = typedDates(NOW, NY);

describe('a weekday and a date typed together', () => {
  it('keeps the date typed when the weekday does not match it ("friday dec 12" is Saturday 12 December)', () => {
    // Friday 11 December 2026, 10:30 in New York: the weekday rule (for 周五下午) once moved it to Fri 18.
    const friday = new Date('2026-12-11T15:30:00Z');
    expect(leading('friday dec 12 call', friday)).toMatchObject({ at: '2026-12-12T14:00:00.000Z', rest: 'call' });
    expect(leading('monday dec 7 call', friday)).toMatchObject({ at: '2027-12-07T14:00:00.000Z', rest: 'call' });
    expect(leading('周五下午 call', friday)).toMatchObject({ at: '2026-12-11T20:00:00.000Z', rest: 'call' });
  });
});

describe('an hour typed without am/pm', () => {
  it('reads 1 to 6 as the afternoon ("friday at 3" was 03:00, a reminder in the night), unless said otherwise', () => {
    // Monday 10:00 in New York.
    expect(leading('friday at 3 call back')).toMatchObject({ at: '2026-12-11T20:00:00.000Z', rest: 'call back' });
    expect(iso('tomorrow 3:30')).toBe('2026-12-08T20:30:00.000Z');
    expect(iso('friday @4')).toBe('2026-12-11T21:00:00.000Z');
    expect(iso('明天3点')).toBe('2026-12-08T20:00:00.000Z');
    expect(iso('morgen um 3')).toBe('2026-12-08T20:00:00.000Z');
    // Today's afternoon, not tomorrow's (chrono-node had moved 04:00 to tomorrow); after it, tomorrow's.
    expect(iso('at 4')).toBe('2026-12-07T21:00:00.000Z');
    expect(iso('at 4', new Date('2026-12-07T22:00:00Z'))).toBe('2026-12-08T21:00:00.000Z');
    // am, a morning, a 24-hour form, 7 and later keep their reading.
    expect(iso('tomorrow at 3am')).toBe('2026-12-08T08:00:00.000Z');
    expect(iso('tomorrow morning at 6')).toBe('2026-12-08T11:00:00.000Z');
    expect(iso('凌晨3点')).toBe('2026-12-08T08:00:00.000Z');
    expect(iso('早上6点')).toBe('2026-12-08T11:00:00.000Z');
    expect(iso('friday 03:00')).toBe('2026-12-11T08:00:00.000Z');
    expect(iso('friday @03:00')).toBe('2026-12-11T08:00:00.000Z');
    expect(iso('friday 3h')).toBe('2026-12-11T08:00:00.000Z');
    expect(iso('friday at 7')).toBe('2026-12-11T12:00:00.000Z');
    // A count stays a count; a duration stays a duration.
    expect(leading('friday 3 licenses quote')).toMatchObject({
      at: '2026-12-11T14:00:00.000Z',
      rest: '3 licenses quote',
    });
    expect(iso('in 3 hours')).toBe('2026-12-07T18:00:00.000Z');
    expect(iso('3小时后')).toBe('2026-12-07T18:00:00.000Z');
  });
});

describe('weeks, weekday spellings and end of day after a day', () => {
  // Wednesday 9 December 2026, 10:00 in New York.
  const wednesday = new Date('2026-12-09T15:00:00Z');
  const on = (text: string) => leading(text, wednesday);

  it('reads Chinese weeks as their English words (下周, 两周后, 周末 were not dates)', () => {
    expect(on('下周 打电话')).toEqual({ at: iso('next week', wednesday), matched: '下周', rest: '打电话' });
    expect(on('下个星期 打电话')?.at).toBe(iso('next week', wednesday)); // Wed 16, 09:00
    expect(on('两周后 发报价')).toEqual({ at: iso('in 2 weeks', wednesday), matched: '两周后', rest: '发报价' });
    expect(on('1周后 跟进')?.at).toBe('2026-12-16T14:00:00.000Z');
    expect(on('十周后 续约')?.at).toBe('2027-02-17T14:00:00.000Z');
    expect(on('这个周末 打电话')).toEqual({ at: iso('this weekend', wednesday), matched: '这个周末', rest: '打电话' });
    expect(on('周末 打电话')?.at).toBe('2026-12-12T14:00:00.000Z'); // Sat 12, 09:00
    expect(on('下周末 打电话')?.at).toBe(iso('next weekend', wednesday)); // Sat 19
    expect(on('下周 下午3点 打电话')?.at).toBe('2026-12-16T20:00:00.000Z');
    expect(on('2週間後 電話')?.at).toBe('2026-12-23T14:00:00.000Z');
    // A weekday of next week stays one; "before the weekend" is the end of the week, not the weekend.
    expect(on('下周二 打电话')?.at).toBe('2026-12-15T14:00:00.000Z');
    expect(on('周末前 打电话')).toEqual({ at: iso('eow', wednesday), matched: '周末前', rest: '打电话' });
  });

  it('reads the end of this or next week as its last working day, 17:00 (周末前, 本周内, "end of next week")', () => {
    expect(iso('eow', wednesday)).toBe('2026-12-11T22:00:00.000Z'); // Fri 17:00
    expect(on('end of next week call')).toMatchObject({ at: '2026-12-18T22:00:00.000Z', rest: 'call' });
    expect(on('本周内 回复')?.at).toBe('2026-12-11T22:00:00.000Z');
    expect(on('下周末前 付款')?.at).toBe('2026-12-18T22:00:00.000Z');
    // Said on the weekend or after Friday 17:00: next week's, as before.
    expect(iso('eow', new Date('2026-12-12T15:00:00Z'))).toBe('2026-12-18T22:00:00.000Z');
    expect(iso('eow', new Date('2026-12-11T23:00:00Z'))).toBe('2026-12-18T22:00:00.000Z');
    // A team working Sunday to Thursday ends its week on Thursday.
    const hours: BusinessHours = { timeZone: NY, startMinute: 9 * 60, endMinute: 17 * 60, days: [0, 1, 2, 3, 4] };
    expect(parseWhen('eow', wednesday, NY, { hours }).toISOString()).toBe('2026-12-10T22:00:00.000Z');
  });

  it('reads a day of the month alone, a fortnight and the start of next month (none was a date)', () => {
    expect(on('the 15th send invoice')).toEqual({
      at: '2026-12-15T14:00:00.000Z',
      matched: 'the 15th',
      rest: 'send invoice',
    });
    expect(on('15th call')?.at).toBe('2026-12-15T14:00:00.000Z');
    // Passed this month: next month's; a month without it is skipped.
    expect(on('the 5th call')?.at).toBe('2027-01-05T14:00:00.000Z');
    expect(iso('the 31st', new Date('2026-11-05T15:00:00Z'))).toBe('2026-12-31T14:00:00.000Z');
    expect(iso('the 30th', new Date('2027-02-03T15:00:00Z'))).toBe('2027-03-30T13:00:00.000Z'); // EDT
    // When a call happened: the last one.
    expect(parseWhen('the 5th', wednesday, NY, { pastOnly: true }).toISOString()).toBe('2026-12-05T14:00:00.000Z');
    expect(on('the 15th at 3pm call')?.at).toBe('2026-12-15T20:00:00.000Z');
    expect(on('in a fortnight call')).toEqual({
      at: iso('in 2 weeks', wednesday),
      matched: 'in a fortnight',
      rest: 'call',
    });
    expect(on('start of next month renew')).toMatchObject({ at: '2027-01-01T14:00:00.000Z', rest: 'renew' });
    expect(on('the first of the month renew')?.at).toBe('2027-01-01T14:00:00.000Z');
  });

  it('reads "this coming friday", "next week friday" and "a week from friday" (not a date, or "next week" with "friday" left in the title)', () => {
    expect(on('this coming friday call')).toEqual({
      at: '2026-12-11T14:00:00.000Z',
      matched: 'this coming friday',
      rest: 'call',
    });
    expect(on('coming wednesday call')?.at).toBe('2026-12-16T14:00:00.000Z'); // never today
    expect(on('next week friday call')).toEqual({
      at: iso('friday next week', wednesday),
      matched: 'next week friday',
      rest: 'call',
    });
    expect(on('next week on monday call')?.at).toBe('2026-12-14T14:00:00.000Z');
    expect(on('a week from friday call')).toMatchObject({ at: '2026-12-18T14:00:00.000Z', rest: 'call' });
    expect(on('this coming friday 3pm call')?.at).toBe('2026-12-11T20:00:00.000Z');
  });

  it('reads a Chinese weekday right before an hour in Chinese numerals (周一九点 was not a date, 周一十点 was 10:00 today)', () => {
    expect(on('周一九点 开会')).toEqual({ at: '2026-12-14T14:00:00.000Z', matched: '周一九点', rest: '开会' });
    expect(on('下周二九点半 开会')?.at).toBe('2026-12-15T14:30:00.000Z');
    expect(on('周一十点 开会')).toEqual({ at: '2026-12-14T15:00:00.000Z', matched: '周一十点', rest: '开会' });
    // 一两点 (03:00) was read out of 周一两点: Monday 14:00.
    expect(on('周一两点 打电话')?.at).toBe('2026-12-14T19:00:00.000Z');
    expect(on('星期五十一点 开会')?.at).toBe('2026-12-11T16:00:00.000Z');
    // "wed at 3" said on a Wednesday morning is today's 15:00 (chrono-node had put 03:00 on next week).
    expect(on('wed at 3 call')?.at).toBe('2026-12-09T20:00:00.000Z');
    expect(leading('wed at 3 call', new Date('2026-12-09T21:00:00Z'))?.at).toBe('2026-12-16T20:00:00.000Z');
  });

  it('reads "tues" and "weds" as chrono-node reads "tue" and "wed" (they were not dates)', () => {
    expect(on('tues call')).toEqual({ at: '2026-12-15T14:00:00.000Z', matched: 'tues', rest: 'call' });
    expect(on('next tues call')).toEqual({ at: iso('next tue', wednesday), matched: 'next tues', rest: 'call' });
    expect(on('weds 3pm call')).toEqual({ at: iso('wed 3pm', wednesday), matched: 'weds 3pm', rest: 'call' });
    expect(on('Weds. call')?.rest).toBe('call');
  });

  it('reads "eod", "cob", 下班前 after or before a day as that day\'s closing time (it was the opening time, "eod" left in the title)', () => {
    expect(on('tomorrow eod call')).toEqual({ at: '2026-12-10T22:00:00.000Z', matched: 'tomorrow eod', rest: 'call' });
    expect(on('friday by cob send quote')).toEqual({
      at: '2026-12-11T22:00:00.000Z',
      matched: 'friday by cob',
      rest: 'send quote',
    });
    expect(on('EOD Friday send quote')).toMatchObject({ at: '2026-12-11T22:00:00.000Z', rest: 'send quote' });
    expect(on('end of day on monday call')).toMatchObject({ at: '2026-12-14T22:00:00.000Z', rest: 'call' });
    expect(on('明天下班前 打电话')).toEqual({ at: '2026-12-10T22:00:00.000Z', matched: '明天下班前', rest: '打电话' });
    expect(on('今天下班前 回复')).toMatchObject({ at: '2026-12-09T22:00:00.000Z', rest: '回复' }); // was refused as past
    // The team's closing time, as "eod" alone; a time typed wins.
    const hours: BusinessHours = { timeZone: NY, startMinute: 8 * 60, endMinute: 18 * 60, days: [1, 2, 3, 4, 5] };
    expect(parseWhen('friday eod', wednesday, NY, { hours }).toISOString()).toBe('2026-12-11T23:00:00.000Z');
    expect(on('friday 3pm eod call')).toMatchObject({ at: '2026-12-11T20:00:00.000Z', rest: 'eod call' });
    expect(on('eod call')).toMatchObject({ at: '2026-12-09T22:00:00.000Z', rest: 'call' });
  });
});

describe('parts of the day a rep names without a time', () => {
  it('reads "tonight" and "this evening" said in the morning as later today, not as past', () => {
    expect(leading('tonight call back')).toEqual({
      at: '2026-12-08T01:00:00.000Z', // Mon 20:00 EST
      matched: 'tonight',
      rest: 'call back',
    });
    expect(iso('tonight')).toBe('2026-12-08T01:00:00.000Z'); // snooze 3 tonight
    expect(iso('this evening')).toBe('2026-12-08T00:00:00.000Z'); // 19:00
    expect(iso('this afternoon')).toBe('2026-12-07T20:00:00.000Z'); // 15:00
    // A time said with it still wins.
    expect(iso('tonight at 9')).toBe('2026-12-08T02:00:00.000Z');
    expect(iso('tonight 9pm')).toBe('2026-12-08T02:00:00.000Z');
  });

  it('reads afternoon, evening and night of another day at their hours, the morning at opening time', () => {
    expect(iso('tomorrow afternoon')).toBe('2026-12-08T20:00:00.000Z'); // Tue 15:00
    expect(iso('tomorrow evening')).toBe('2026-12-09T00:00:00.000Z'); // Tue 19:00
    expect(iso('tomorrow night')).toBe('2026-12-09T01:00:00.000Z'); // Tue 20:00
    expect(iso('friday afternoon')).toBe('2026-12-11T20:00:00.000Z');
    expect(leading('friday afternoon send the quote')?.rest).toBe('send the quote');
    expect(iso('tomorrow morning')).toBe('2026-12-08T14:00:00.000Z'); // opening time, 09:00
    expect(iso('tomorrow noon')).toBe('2026-12-08T17:00:00.000Z');
    // The morning follows the team's opening time; the afternoon does not.
    const early: BusinessHours = { timeZone: NY, startMinute: 7 * 60 + 30, endMinute: 16 * 60, days: [1, 2, 3, 4, 5] };
    expect(parseWhen('tomorrow morning', NOW, NY, { hours: early }).toISOString()).toBe('2026-12-08T12:30:00.000Z');
    expect(parseWhen('tomorrow afternoon', NOW, NY, { hours: early }).toISOString()).toBe('2026-12-08T20:00:00.000Z');
    expect(parseWhen('tomorrow', NOW, NY, { hours: early }).toISOString()).toBe('2026-12-08T12:30:00.000Z');
  });

  it('reads 今晚, 明天下午, 明天晚上 at their hours, 明天上午 at opening time', () => {
    expect(leading('今晚 打电话')).toEqual({ at: '2026-12-08T01:00:00.000Z', matched: '今晚', rest: '打电话' });
    expect(iso('今天下午')).toBe('2026-12-07T20:00:00.000Z');
    expect(iso('明天下午')).toBe('2026-12-08T20:00:00.000Z');
    expect(iso('明天晚上')).toBe('2026-12-09T00:00:00.000Z');
    expect(iso('明晚')).toBe('2026-12-09T01:00:00.000Z');
    expect(iso('明天上午')).toBe('2026-12-08T14:00:00.000Z');
    // chrono-node's zh parser put 周五下午 on today's date: it is Friday's afternoon.
    expect(iso('周五下午')).toBe('2026-12-11T20:00:00.000Z');
    expect(iso('星期五晚上')).toBe('2026-12-12T00:00:00.000Z');
    expect(iso('明天上午9点')).toBe('2026-12-08T14:00:00.000Z');
    expect(iso('明天下午3点')).toBe('2026-12-08T20:00:00.000Z');
  });

  it("reads a weekday's part of the day typed on that weekday after it as next week's, and 下周五下午 whole", () => {
    const mondayAfternoon = new Date('2026-12-07T21:30:00Z'); // Mon 16:30 EST
    // Refused as past before; "monday morning" typed then was already next Monday.
    expect(iso('周一上午', mondayAfternoon)).toBe('2026-12-14T14:00:00.000Z');
    expect(iso('周一上午', mondayAfternoon)).toBe(iso('monday morning', mondayAfternoon));
    expect(iso('周一下午', mondayAfternoon)).toBe(iso('monday afternoon', mondayAfternoon));
    // The evening has not come yet: still today's.
    expect(iso('周一晚上', mondayAfternoon)).toBe('2026-12-08T00:00:00.000Z');
    // The afternoon of next Friday, not its opening time with 下午 left in the title.
    expect(leading('下周五下午 发报价')).toEqual({
      at: '2026-12-18T20:00:00.000Z',
      matched: '下周五下午',
      rest: '发报价',
    });
    expect(iso('下星期五 晚上')).toBe('2026-12-19T00:00:00.000Z');
    expect(iso('下周五下午3点')).toBe('2026-12-18T20:00:00.000Z');
    // 本周五 (this week's Friday) reads as 这周五; it was not a date.
    expect(leading('本周五下午 发报价')).toEqual({
      at: '2026-12-11T20:00:00.000Z',
      matched: '本周五下午',
      rest: '发报价',
    });
    expect(iso('本周五')).toBe(iso('这周五'));
  });

  it('reads parts of the day in the other languages chrono-node knows', () => {
    expect(iso('heute Abend')).toBe('2026-12-08T00:00:00.000Z');
    expect(iso('demain après-midi')).toBe('2026-12-08T20:00:00.000Z');
    expect(iso('завтра вечером')).toBe('2026-12-09T00:00:00.000Z');
  });
});

describe('a part of the day typed after its hour', () => {
  const at = (hhmm: string) => new Date(`2026-12-07T${hhmm}:00-05:00`); // Monday 7 December, New York

  it('"tonight" at 21:30 is the next whole hour, 22:00 (it was refused as past)', () => {
    expect(iso('tonight', at('21:30'))).toBe('2026-12-08T03:00:00.000Z'); // Mon 22:00 EST
    expect(leading('tonight call back', at('21:30'))).toEqual({
      at: '2026-12-08T03:00:00.000Z',
      matched: 'tonight',
      rest: 'call back',
    });
    expect(iso('今晚', at('21:30'))).toBe('2026-12-08T03:00:00.000Z');
    expect(iso('heute Abend', at('21:30'))).toBe('2026-12-08T03:00:00.000Z');
    expect(iso('tonight', at('20:00'))).toBe('2026-12-08T02:00:00.000Z'); // its own hour has come: 21:00
    expect(iso('tonight', at('22:59'))).toBe('2026-12-08T04:00:00.000Z'); // 23:00, the last hour of the night
  });

  it('"this afternoon", "this evening" and "this morning" stay today (chrono moved them to tomorrow unsaid)', () => {
    expect(iso('this afternoon', at('16:30'))).toBe('2026-12-07T22:00:00.000Z'); // 17:00, was Tue 15:00
    expect(iso('today afternoon', at('16:30'))).toBe('2026-12-07T22:00:00.000Z'); // was refused as past
    expect(iso('今天下午', at('16:30'))).toBe('2026-12-07T22:00:00.000Z');
    expect(iso('this evening', at('21:30'))).toBe('2026-12-08T03:00:00.000Z'); // 22:00, was Tue 19:00
    expect(iso('this morning', at('10:00'))).toBe('2026-12-07T16:00:00.000Z'); // 11:00, was Tue 09:00
    // Before their hour nothing changes; another day's part keeps its hour.
    expect(iso('this afternoon', at('10:00'))).toBe('2026-12-07T20:00:00.000Z');
    expect(iso('tomorrow evening', at('21:30'))).toBe('2026-12-09T00:00:00.000Z');
  });

  it('says so when none of it is left, instead of picking another day', () => {
    expect(() => iso('tonight', at('23:10'))).toThrow(
      'It is already 23:10 in America/New_York, too late for "tonight". Give a time, e.g. "in 30 minutes", "tomorrow night" or "tomorrow 9am".',
    );
    expect(() => iso('今晚', at('23:10'))).toThrow(/too late for "今晚"/);
    expect(() => iso('this afternoon', at('18:30'))).toThrow(/too late for "this afternoon".*"tomorrow afternoon"/);
    expect(() => iso('this morning', at('12:30'))).toThrow(/too late for "this morning"/);
    // A time said with it is still that time, past or not.
    expect(() => iso('tonight at 9', at('21:30'))).toThrow(/in the past/);
  });

  it('keeps its hour for when something happened', () => {
    expect(parseWhen('tonight', at('21:30'), NY, { allowPast: true }).toISOString()).toBe('2026-12-08T01:00:00.000Z');
    expect(parseWhen('this afternoon', at('16:30'), NY, { pastOnly: true }).toISOString()).toBe(
      '2026-12-07T20:00:00.000Z',
    );
  });
});

describe('a number after a day', () => {
  it('stays in the text when it has no time marker: "friday 10 licenses quote"', () => {
    expect(leading('friday 10 licenses quote')).toEqual({
      at: '2026-12-11T14:00:00.000Z', // Fri 09:00, the opening time
      matched: 'friday',
      rest: '10 licenses quote',
    });
    expect(leading('tomorrow 10 licenses')).toMatchObject({ at: '2026-12-08T14:00:00.000Z', rest: '10 licenses' });
    // Said on a Monday morning, "monday 12 users" had come out as today 12:00.
    expect(leading('monday 12 users')).toMatchObject({ at: '2026-12-14T14:00:00.000Z', rest: '12 users' });
    expect(leading('next tuesday 20 seats')).toMatchObject({ at: '2026-12-15T14:00:00.000Z', rest: '20 seats' });
    expect(leading('in 2 days 10 seats')).toMatchObject({ at: '2026-12-09T14:00:00.000Z', rest: '10 seats' });
    expect(leading('friday, 10 seats')).toMatchObject({ matched: 'friday', rest: '10 seats' });
    expect(leading('morgen 10 Lizenzen')).toMatchObject({ at: '2026-12-08T14:00:00.000Z', rest: '10 Lizenzen' });
    // Followed by anything but a counted word, it is the hour chrono reads: "monday 10 call bob" is 10:00.
    expect(leading('monday 10 call bob', new Date('2026-12-07T14:30:00Z'))).toEqual({
      at: '2026-12-07T15:00:00.000Z', // today 10:00, said at 09:30
      matched: 'monday 10',
      rest: 'call bob',
    });
    expect(leading('friday 10 send the quote')).toMatchObject({
      at: '2026-12-11T15:00:00.000Z',
      rest: 'send the quote',
    });
    expect(leading('tomorrow 10 this is it')).toMatchObject({ at: '2026-12-08T15:00:00.000Z', rest: 'this is it' });
  });

  it('is a time with a marker, or when nothing follows it (snooze 3 friday 10)', () => {
    const tenOnFriday = { at: '2026-12-11T15:00:00.000Z', rest: 'licenses quote' };
    expect(leading('friday 10am licenses quote')).toMatchObject(tenOnFriday);
    expect(leading('friday at 10 licenses quote')).toMatchObject(tenOnFriday);
    expect(leading('friday 10:30 licenses quote')).toMatchObject({ at: '2026-12-11T15:30:00.000Z' });
    expect(leading('明天10点 发报价')).toMatchObject({ at: '2026-12-08T15:00:00.000Z', rest: '发报价' });
    expect(leading('morgen um 10 Lizenzen')).toMatchObject({ at: '2026-12-08T15:00:00.000Z', rest: 'Lizenzen' });
    expect(iso('friday 10')).toBe('2026-12-11T15:00:00.000Z');
    // "@10" and "10h" were left in the text as words.
    expect(leading('friday @10 licenses quote')).toMatchObject({ ...tenOnFriday, matched: 'friday @10' });
    expect(leading('friday 10h licenses quote')).toMatchObject(tenOnFriday);
    expect(leading('friday 10h30 licenses quote')).toMatchObject({ at: '2026-12-11T15:30:00.000Z' });
  });
});

describe('ends of months and years', () => {
  it('"end of month" is the closing time of its last day, like 月底 and "end of Q4"', () => {
    const closing = '2026-12-31T22:00:00.000Z'; // Thu 31 Dec, 17:00 EST
    expect(iso('end of month')).toBe(closing);
    expect(iso('end of the month')).toBe(closing);
    expect(iso('月底')).toBe(closing);
    expect(iso('end of Q4')).toBe(closing);
    expect(leading('end of the month renewal')).toMatchObject({ matched: 'end of the month', rest: 'renewal' });
  });

  it('"end of month" said on the last day after opening time is still ahead', () => {
    const lastDay = new Date('2026-11-30T20:00:00Z'); // Mon 30 Nov, 15:00 EST
    expect(iso('end of month', lastDay)).toBe('2026-11-30T22:00:00.000Z');
    expect(iso('月底', lastDay)).toBe('2026-11-30T22:00:00.000Z');
    // After 17:00 on the last day: the next month's end, as "end of Q4" rolls on (it was refused as past).
    expect(iso('end of month', new Date('2026-11-30T23:00:00Z'))).toBe('2026-12-31T22:00:00.000Z');
  });

  it('"end of month" and "end of year" are the last working day: Friday 29 January 2027, not Sunday 31', () => {
    const january = new Date('2027-01-10T15:00:00Z'); // Sun 10 Jan 2027
    expect(iso('end of month', january)).toBe('2027-01-29T22:00:00.000Z'); // Fri 29 Jan, 17:00 EST
    // 2027 ends on a Friday; 2028 on a Sunday (after 17:00 on Fri 31 Dec 2027, Fri 29 Dec 2028).
    expect(iso('end of year', new Date('2027-12-31T23:00:00Z'))).toBe('2028-12-29T22:00:00.000Z');
  });

  it('"end of month" said on its closing weekend, or the evening of its last working day, is the last day at 17:00, not a month later', () => {
    // January 2027 ends on a Sunday; its last working day is Friday 29 January.
    const lastDay = '2027-01-31T22:00:00.000Z'; // Sun 31 Jan, 17:00 EST
    for (const said of ['2027-01-29T23:30:00Z', '2027-01-30T15:00:00Z', '2027-01-31T15:00:00Z']) {
      const at = new Date(said); // Fri 18:30, Sat 10:00, Sun 10:00 EST: was Fri 26 February
      expect(iso('end of month', at), said).toBe(lastDay);
      expect(iso('月底', at), said).toBe(lastDay);
    }
    // Past 17:00 on Sunday 31: February's end.
    expect(iso('月底', new Date('2027-01-31T23:00:00Z'))).toBe('2027-02-26T22:00:00.000Z');
    // 2028 ends on a Sunday: said on Saturday 30 December 2028, that Sunday.
    expect(iso('年底', new Date('2028-12-30T15:00:00Z'))).toBe('2028-12-31T22:00:00.000Z');
  });

  it('reads "end of year" and "end of the year"', () => {
    expect(iso('end of year')).toBe('2026-12-31T22:00:00.000Z');
    expect(leading('end of the year renewal')).toEqual({
      at: '2026-12-31T22:00:00.000Z',
      matched: 'end of the year',
      rest: 'renewal',
    });
    expect(iso('年底')).toBe('2026-12-31T22:00:00.000Z');
  });

  it('月底, 月末, 本月底, 下个月底, 年底 (and Monatsende, fin de mes) read exactly as "end of month" and "end of year"', () => {
    // Sunday 10 January 2027: January ends on a Sunday, February 2027 on a Sunday too.
    const january = new Date('2027-01-10T15:00:00Z');
    const lastWorkingDay = iso('end of month', january); // Fri 29 Jan, 17:00 EST
    for (const text of ['月底', '月末', '本月底', '这个月底', 'Monatsende', 'fin de mes'])
      expect(iso(text, january), text).toBe(lastWorkingDay); // 月底 was Sun 31 Jan
    expect(iso('下个月底', january)).toBe('2027-02-26T22:00:00.000Z'); // Fri 26 Feb, was Sun 28
    // After 17:00 on the last day they roll on to the next month's end, as "end of month" does (refused as past).
    const afterClosing = new Date('2026-11-30T23:00:00Z');
    for (const text of ['月底', '月末', '本月底', 'Monatsende', 'fin de mes'])
      expect(iso(text, afterClosing), text).toBe(iso('end of month', afterClosing));
    const lastOf2027 = new Date('2027-12-31T23:00:00Z'); // Fri 31 Dec 2027, 18:00 EST
    expect(iso('年底', lastOf2027)).toBe(iso('end of year', lastOf2027)); // Fri 29 Dec 2028, was refused
    expect(iso('年末', lastOf2027)).toBe('2028-12-29T22:00:00.000Z');
    expect(iso('明年底')).toBe('2027-12-31T22:00:00.000Z'); // next year's end (Fri 31 Dec 2027)
    expect(leading('下个月底 续约', january)).toEqual({
      at: '2027-02-26T22:00:00.000Z',
      matched: '下个月底',
      rest: '续约',
    });
  });
});
