import { readFileSync } from 'node:fs';
import * as chrono from 'chrono-node';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/commands/parse-command.ts';
import { parseLeadingWhen, parseWhen } from '../../../src/domain/parse-when.ts';
import { formatInZone } from '../../../src/domain/zoned-time.ts';
import { typedDates } from '../../helpers/typed-dates.ts';

// Issue 20, "Commands and dates": the phrasings a new rep typed that were misread or refused.
// Monday 23 November 2026, 15:00 UTC = 10:00 in New York (EST), 16:00 in Berlin (CET).
const NOW = new Date('2026-11-23T15:00:00Z');
const NY = 'America/New_York';
const { iso } = typedDates(NOW, NY);

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

// Issue 18: reps who write German, Spanish, French, Japanese, Dutch, Portuguese or Russian type dates in
// their language, read in their own timezone. NOW is Monday 23 November, 16:00 in Berlin.
describe('dates a rep types in other languages (issue 18)', () => {
  const local = (text: string, zone: string) => formatInZone(parseWhen(text, NOW, zone), zone, NOW);
  const lead = (text: string, zone: string) => parseLeadingWhen(text, NOW, zone);

  it('reads the phrases each locale knows, in the rep’s timezone', () => {
    const expected: Array<[string, string, string]> = [
      ['nächsten Dienstag', 'Europe/Berlin', 'Tue 1 Dec, 09:00'],
      ['morgen um 9', 'Europe/Berlin', 'Tue 24 Nov, 09:00'],
      ['morgen 14 Uhr', 'Europe/Berlin', 'Tue 24 Nov, 14:00'],
      ['übermorgen', 'Europe/Berlin', 'Wed 25 Nov, 09:00'],
      ['am Freitag', 'Europe/Berlin', 'Fri 27 Nov, 09:00'],
      ['in 3 Tagen', 'Europe/Berlin', 'Thu 26 Nov, 09:00'],
      ['Monatsende', 'Europe/Berlin', 'Mon 30 Nov, 17:00'],
      ['el próximo martes', 'Europe/Madrid', 'Tue 1 Dec, 09:00'],
      ['mañana a las 9', 'Europe/Madrid', 'Tue 24 Nov, 09:00'],
      ['el 10 de marzo', 'Europe/Madrid', 'Wed 10 Mar 2027, 09:00'],
      ['fin de mes', 'Europe/Madrid', 'Mon 30 Nov, 17:00'],
      ['demain à 9h', 'Europe/Paris', 'Tue 24 Nov, 09:00'],
      ['mardi prochain', 'Europe/Paris', 'Tue 1 Dec, 09:00'],
      ['dans 3 jours', 'Europe/Paris', 'Thu 26 Nov, 09:00'],
      // Tokyo is already Tuesday 00:00: 明日 is Wednesday there.
      ['明日9時', 'Asia/Tokyo', 'Wed 25 Nov, 09:00'],
      ['来週火曜日', 'Asia/Tokyo', 'Tue 1 Dec, 09:00'],
      ['来週の金曜日10時', 'Asia/Tokyo', 'Fri 4 Dec, 10:00'],
      ['volgende week dinsdag', 'Europe/Amsterdam', 'Tue 1 Dec, 09:00'],
      ['morgen om 9 uur', 'Europe/Amsterdam', 'Tue 24 Nov, 09:00'],
      ['próxima terça', 'America/Sao_Paulo', 'Tue 1 Dec, 09:00'],
      ['amanhã às 9', 'America/Sao_Paulo', 'Tue 24 Nov, 09:00'],
      ['в следующий вторник', 'Europe/Moscow', 'Tue 1 Dec, 09:00'],
      ['завтра в 9', 'Europe/Moscow', 'Tue 24 Nov, 09:00'],
      ['через 3 дня', 'Europe/Moscow', 'Thu 26 Nov, 09:00'],
    ];
    expect(expected.map(([text, zone]) => [text, zone, local(text, zone)])).toEqual(expected);
  });

  it('reads the day after tomorrow and days ahead that chrono-node’s locales miss, with a time after them', () => {
    const expected: Array<[string, string, string]> = [
      ['pasado mañana', 'Europe/Madrid', 'Wed 25 Nov, 09:00'],
      ['pasado mañana a las 10', 'Europe/Madrid', 'Wed 25 Nov, 10:00'],
      ['après-demain à 14h', 'Europe/Paris', 'Wed 25 Nov, 14:00'],
      ['overmorgen om 9 uur', 'Europe/Amsterdam', 'Wed 25 Nov, 09:00'],
      ['depois de amanhã às 10', 'America/Sao_Paulo', 'Wed 25 Nov, 10:00'],
      ['明後日10時', 'Asia/Tokyo', 'Thu 26 Nov, 10:00'],
      ['3日後', 'Asia/Tokyo', 'Fri 27 Nov, 09:00'],
    ];
    expect(expected.map(([text, zone]) => [text, zone, local(text, zone)])).toEqual(expected);
    expect(lead('pasado mañana a las 10 llamar a Ana', 'Europe/Madrid')).toMatchObject({ rest: 'llamar a Ana' });
    expect(lead('明後日 電話', 'Asia/Tokyo')).toMatchObject({ matched: '明後日', rest: '電話' });
  });

  it('counts hours and minutes from now', () => {
    expect(parseWhen('in 2 Stunden', NOW, 'Europe/Berlin').toISOString()).toBe('2026-11-23T17:00:00.000Z');
    expect(parseWhen('dans 2 heures', NOW, 'Europe/Paris').toISOString()).toBe('2026-11-23T17:00:00.000Z');
    expect(parseWhen('dentro de 30 minutos', NOW, 'Europe/Madrid').toISOString()).toBe('2026-11-23T15:30:00.000Z');
    expect(parseWhen('через 2 часа', NOW, 'Europe/Moscow').toISOString()).toBe('2026-11-23T17:00:00.000Z');
  });

  it('splits the date from the text after it', () => {
    expect(lead('nächsten Dienstag Angebot schicken', 'Europe/Berlin')).toMatchObject({
      matched: 'nächsten Dienstag',
      rest: 'Angebot schicken',
    });
    expect(lead('el próximo martes enviar la oferta', 'Europe/Madrid')).toMatchObject({
      matched: 'el próximo martes',
      rest: 'enviar la oferta',
    });
    expect(lead('demain à 9h envoyer le devis', 'Europe/Paris')).toMatchObject({ rest: 'envoyer le devis' });
    expect(lead('明日9時 見積もり送付', 'Asia/Tokyo')).toMatchObject({ matched: '明日9時', rest: '見積もり送付' });
    expect(lead('金曜日に電話', 'Asia/Tokyo')).toMatchObject({ matched: '金曜日に', rest: '電話' });
    expect(lead('в следующий вторник отправить предложение', 'Europe/Moscow')).toMatchObject({
      rest: 'отправить предложение',
    });
    expect(lead('Angebot nächsten Dienstag', 'Europe/Berlin')).toBeUndefined();
  });

  it('leaves English as it was: English wins, and short foreign words in English text are not dates', () => {
    // chrono-node's German, Dutch, Spanish, French and Portuguese parsers read these as weekdays or times.
    for (const text of ['do the quote', 'so 9 call', 'mar the quote', 'sex 10 send', 'sa 9 call', 'am 9 call'])
      expect(lead(text, NY), text).toBeUndefined();
    expect(lead('a las 9 call', NY)).toBeUndefined();
    expect(lead('tomorrow 9am send', NY)).toMatchObject({ matched: 'tomorrow 9am', rest: 'send' });
    expect(iso('9 am tomorrow')).toBe('2026-11-24T14:00:00.000Z');
    // Read as English (3 October), not as German (10 March).
    expect(parseWhen('10.03.2027', NOW, 'Europe/Berlin').toISOString()).toBe('2027-10-03T07:00:00.000Z');
  });

  it('reads no English word of the CRM training sets as a date in another language', () => {
    const english = ['crm-heldout.jsonl', 'crm-hard-eval.jsonl', 'crm-churn-risk.jsonl', 'crm-phrasings.ts']
      .map((file) => readFileSync(new URL(`../../../training-data/${file}`, import.meta.url), 'utf8'))
      .join('\n')
      .toLowerCase();
    const words = [...new Set(english.match(/[a-z]+/g))];
    expect(words.length).toBeGreaterThan(1000);
    const misread = words
      .flatMap((w) => [`${w} the quote`, `${w} 9 call`, `${w} 10`])
      .filter((text) => chrono.casual.parse(text, NOW)[0]?.index !== 0)
      .filter((text) => parseLeadingWhen(text, NOW, NY, { allowPast: true }) !== undefined);
    expect(misread).toEqual([]);
  });

  it('followups takes the periods in each language', () => {
    const scopes: Array<[string, string]> = [
      ['followups heute', 'today'],
      ['followups Nächste Woche', 'next-week'],
      ['followups überfällig', 'overdue'],
      ['followups mañana', 'tomorrow'],
      ['followups la próxima semana', 'next-week'],
      ["followups aujourd'hui", 'today'],
      ['followups la semaine prochaine', 'next-week'],
      ['followups deze week', 'this-week'],
      ['followups amanhã', 'tomorrow'],
      ['followups на следующей неделе', 'next-week'],
      ['followups 来週', 'next-week'],
    ];
    expect(scopes.map(([typed]) => [typed, (parseCommand(typed) as { scope: string }).scope])).toEqual(scopes);
  });

  it('refuses a time that has passed and reads past ones for when something happened', () => {
    expect(() => parseWhen('heute um 8 Uhr', NOW, 'Europe/Berlin')).toThrow(/in the past/);
    expect(parseWhen('gestern um 15 Uhr', NOW, 'Europe/Berlin', { pastOnly: true }).toISOString()).toBe(
      '2026-11-22T14:00:00.000Z',
    );
  });
});

describe('Chinese dates after midnight in Shanghai (issue 18)', () => {
  it('counts 明天 from the rep’s day, not the server’s', () => {
    // 20:00 UTC on Monday is 04:00 on Tuesday in Shanghai: chrono-node alone counted from Monday (the
    // server's UTC day) and read 明天 as that Tuesday, 3天后 as Thursday.
    const lateNight = new Date('2026-11-23T20:00:00Z');
    expect(parseWhen('明天上午9点', lateNight, 'Asia/Shanghai').toISOString()).toBe('2026-11-25T01:00:00.000Z');
    expect(parseWhen('3天后', lateNight, 'Asia/Shanghai').toISOString()).toBe('2026-11-27T01:00:00.000Z');
    expect(parseWhen('后天', lateNight, 'Asia/Shanghai').toISOString()).toBe('2026-11-26T01:00:00.000Z');
  });
});
