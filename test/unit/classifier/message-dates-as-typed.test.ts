import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../../src/classifier/entities.ts';
import { suggestFollowUp } from '../../../src/classifier/suggestion-rules.ts';
import { findDatesIn } from '../../../src/domain/localized-dates.ts';
import { parseWhen } from '../../../src/domain/parse-when.ts';

// A date a customer writes sets a suggested follow-up's due date; a rep who types the same words in
// `remind` must get the same time. Monday 7 December 2026 in New York (EST, UTC-5).
const NY = 'America/New_York';
const at = (hhmm: string) => new Date(`2026-12-07T${hhmm}:00-05:00`);
const mentioned = (text: string, now: Date, language = 'en') =>
  analyzeMessage(text, now, NY, language).mentionedDate?.toISOString();
const typed = (text: string, now: Date) => parseWhen(text, now, NY).toISOString();

describe("a customer's date words read as a rep's typed ones", () => {
  it('gives parts of the day the typed hours: "tonight" 20:00, not chrono\'s 22:00', () => {
    const morning = at('10:00');
    const cases: [string, string][] = [
      ['Can you call me tonight?', 'tonight'],
      ['Let us talk this evening', 'this evening'],
      ['This afternoon works for me', 'this afternoon'],
      ['Can we meet tomorrow morning?', 'tomorrow morning'],
      ['Call me tomorrow night', 'tomorrow night'],
    ];
    for (const [message, words] of cases) expect(mentioned(message, morning), message).toBe(typed(words, morning));
    expect(mentioned('Can you call me tonight?', morning)).toBe('2026-12-08T01:00:00.000Z'); // 20:00 EST
    expect(mentioned('今晚给我打电话', morning, 'zh')).toBe(typed('今晚', morning));
  });

  it('reads "tonight" written after 20:00 as the next whole hour, as typed', () => {
    expect(mentioned('Please call me tonight', at('21:30'))).toBe('2026-12-08T03:00:00.000Z'); // 22:00
    expect(mentioned('Please call me tonight', at('21:30'))).toBe(typed('tonight', at('21:30')));
    expect(mentioned('This afternoon if possible', at('16:30'))).toBe(typed('this afternoon', at('16:30')));
    // With no hour of it left there is nothing to type; the message's date is its hour, now past, and
    // the suggestion falls back to its own due offset.
    const late = at('23:10');
    const analysis = analyzeMessage('Can we talk tonight about the renewal?', late, NY, 'en');
    expect(analysis.mentionedDate?.toISOString()).toBe('2026-12-08T01:00:00.000Z');
    const suggestion = suggestFollowUp({
      label: 'scheduling',
      confidence: 0.9,
      sentiment: analysis.sentiment,
      entities: analysis.entities,
      mentionedDate: analysis.mentionedDate,
      now: late,
      timezone: NY,
    });
    expect(suggestion?.text).toBe('Propose meeting times');
  });

  it('a number after a day is a count before a counted word or after a comma, as typed (COUNTED)', () => {
    const now = at('10:00');
    const day = (text: string) =>
      findDatesIn(text, 'en', now, NY).map((f) => ({ text: f.text, timeGiven: f.timeGiven }));
    expect(day('We need it friday 10 licenses please')).toEqual([{ text: 'friday', timeGiven: false }]);
    expect(day('Ship it friday, 10 seats')).toEqual([{ text: 'friday', timeGiven: false }]);
    // Followed by anything else it is the hour, as typed: "monday 10 call bob" is 10:00.
    expect(day('monday 10 call bob')).toEqual([{ text: 'monday 10', timeGiven: true }]);
    expect(mentioned('see you friday 10', now)).toBe(typed('friday 10', now));
    // The day keeps the message's own default hour (noon) when no time was said.
    expect(mentioned('We need it friday 10 licenses please', now)).toBe('2026-12-11T17:00:00.000Z');
  });

  it('reads a Chinese weekday with a part of the day on that weekday, as typed (周五下午 was today)', () => {
    // chrono-node's zh parsers put 周五下午 on the day written, marked certain: a customer's "call me
    // Friday afternoon" written on Monday made a follow-up due that Monday, already past by evening.
    const monday = at('16:30');
    const cases: [string, string, string][] = [
      ['周五下午给我打电话', '周五下午', '2026-12-11T20:00:00.000Z'], // Fri 15:00 EST
      ['星期五上午我们开会', '星期五上午', '2026-12-11T14:00:00.000Z'], // opening time
      ['礼拜五晚上发给你', '礼拜五晚上', '2026-12-12T00:00:00.000Z'], // 19:00
      ['週五下午再聯繫', '週五下午', '2026-12-11T20:00:00.000Z'],
      ['周日下午有空吗', '周日下午', '2026-12-13T20:00:00.000Z'],
      // A Monday's afternoon written that Monday after 15:00 is next Monday's, as "monday afternoon".
      ['周一下午再说', '周一下午', '2026-12-14T20:00:00.000Z'],
      // The parsers stopped at 下周五, leaving 下午 as a second date on today.
      ['下周五下午给我们报价', '下周五下午', '2026-12-18T20:00:00.000Z'],
    ];
    for (const [message, words, expected] of cases) {
      expect(mentioned(message, monday, 'zh'), message).toBe(expected);
      expect(typed(words, monday), words).toBe(expected);
    }
    // In English too: chrono-node read it as that Monday, past.
    expect(mentioned('call me monday afternoon', monday)).toBe('2026-12-14T20:00:00.000Z');
    // Next Monday at the message's default hour (noon), as a typed "monday" is next Monday.
    expect(mentioned('can we talk monday?', monday)).toBe('2026-12-14T17:00:00.000Z');
    expect(findDatesIn('下周五下午给我们报价', 'zh', monday, NY).map((f) => f.text)).toEqual(['下周五下午']);
    // 来週金曜日: chrono-node's ja parser reads only 金曜日, this week's; typed, it was already next week's.
    expect(mentioned('来週金曜日に電話してください', monday, 'ja')?.slice(0, 10)).toBe('2026-12-18');
    expect(typed('来週金曜日', monday).slice(0, 10)).toBe('2026-12-18');
    // Written before the afternoon, a Monday's afternoon is still today's.
    expect(mentioned('周一下午再说', at('10:00'), 'zh')).toBe('2026-12-07T20:00:00.000Z');
  });

  it('reads an hour from 1 to 6 without am/pm as the afternoon, as typed ("call me at 3" was 03:00)', () => {
    const morning = at('10:00');
    for (const [message, words] of [
      ['Can you call me friday at 3?', 'friday at 3'],
      ['Tomorrow 3:30 works', 'tomorrow 3:30'],
      ['明天3点给我打电话', '明天3点'],
      ['Call me at 4', 'at 4'],
      ['We could talk tomorrow at 3am', 'tomorrow at 3am'],
      ['凌晨3点上线', '凌晨3点'],
    ] as const) {
      const language = /[a-z]/i.test(message) ? 'en' : 'zh';
      expect(mentioned(message, morning, language), message).toBe(typed(words, morning));
    }
    expect(mentioned('Can you call me friday at 3?', morning)).toBe('2026-12-11T20:00:00.000Z'); // 15:00 EST
    // Written after 16:00, "at 4" is tomorrow's, as chrono-node moved a passed hour.
    expect(mentioned('Call me at 4', at('17:00'))).toBe('2026-12-08T21:00:00.000Z');
  });

  it('reads Chinese weeks, "tues"/"weds", "eod" after a day and the end of the week as typed (none of them was read)', () => {
    const wednesday = new Date('2026-12-09T15:00:00Z'); // Wed 10:00 EST
    const hours = { timeZone: NY, startMinute: 9 * 60, endMinute: 17 * 60, days: [1, 2, 3, 4, 5] };
    const due = (text: string, language: string) =>
      analyzeMessage(text, wednesday, NY, language, hours).mentionedDate?.toISOString();
    expect(due('两周后给答复', 'zh')).toBe('2026-12-23T17:00:00.000Z'); // Wed 23, the message's noon
    expect(due('下周给你报价', 'zh')).toBe('2026-12-16T17:00:00.000Z');
    expect(due('这个周末有空', 'zh')).toBe('2026-12-12T17:00:00.000Z');
    expect(due('Let us talk next tues', 'en')).toBe('2026-12-15T17:00:00.000Z');
    // A day with "eod" is its closing time, as typed.
    expect(due('Can you send it tomorrow eod?', 'en')).toBe(typed('tomorrow eod', wednesday));
    expect(due('Please send the quote by friday cob', 'en')).toBe(typed('friday cob', wednesday));
    expect(due('明天下班前给我报价', 'zh')).toBe(typed('明天下班前', wednesday));
    expect(findDatesIn('明天下班前给我报价', 'zh', wednesday, NY).map((f) => f.text)).toEqual(['明天下班前']);
    // The end of the week: chrono read "the week" in it as a week from now (Wed 16, 10:00).
    expect(due('Can you send it by the end of the week?', 'en')).toBe(typed('eow', wednesday));
    expect(due('We will decide by end of next week', 'en')).toBe(typed('end of next week', wednesday));
    expect(due('周末前给我报价', 'zh')).toBe(typed('eow', wednesday));
    expect(due('下周内回复', 'zh')).toBe(typed('end of next week', wednesday));
    // A day of the month, a fortnight, the start of next month: the message's noon on the typed day.
    expect(due('We pay on the 15th', 'en')).toBe('2026-12-15T17:00:00.000Z');
    // An ordinal that is no day of the month: no date.
    expect(due('We use a 3rd party tool', 'en')).toBeUndefined();
    expect(due('this is the 4th time I ask', 'en')).toBeUndefined();
    expect(due('Back in a fortnight', 'en')).toBe('2026-12-23T17:00:00.000Z');
    expect(due('We switch from the start of next month', 'en')).toBe('2027-01-01T17:00:00.000Z');
    // 周一十点 was 一十点 (10:00 today, no weekday), 周一九点 nothing; two dates keep their places.
    expect(due('我们周一十点开会', 'zh')).toBe(typed('周一十点', wednesday));
    const both = findDatesIn('周五下午三点再说，下周一九点确认', 'zh', wednesday, NY);
    expect(both.map((f) => [f.text, f.index])).toEqual([
      ['周五下午三点', 0],
      ['下周一九点', 9],
    ]);
    expect(both[1].at.toISOString()).toBe(typed('下周一九点', wednesday));
    expect(due('see you weds at 3, ok?', 'en')).toBe('2026-12-09T20:00:00.000Z'); // today 15:00
  });

  it('reads "end of month", 月底 and Monatsende as the typed ones: the last working day, 17:00', () => {
    const january = new Date('2027-01-10T15:00:00Z'); // Sun 10 Jan 2027; January ends on a Sunday
    const lastWorkingDay = typed('end of month', january); // Fri 29 Jan, 17:00 EST
    expect(mentioned('We will pay by the end of the month', january)).toBe(lastWorkingDay);
    expect(mentioned('月底之前付款', january, 'zh')).toBe(lastWorkingDay);
    expect(mentioned('Wir kündigen zum Monatsende', january, 'de')).toBe(lastWorkingDay);
    expect(mentioned('下个月底前给答复', january, 'zh')).toBe(typed('下个月底', january));
    expect(mentioned('We renew at the end of the year', january)).toBe(typed('end of year', january));
  });
});
