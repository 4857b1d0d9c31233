import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../../src/classifier/entities.ts';
import { chineseSentiment } from '../../../src/classifier/sentiment-zh.ts';
import { suggestFollowUp } from '../../../src/classifier/suggestion-rules.ts';
import { findDatesIn } from '../../../src/domain/localized-dates.ts';

// Wednesday 18 November 2026, 10:00 in Shanghai (UTC+8, no daylight saving time).
const now = new Date('2026-11-18T02:00:00Z');
const shanghai = 'Asia/Shanghai';
const inShanghai = (date: Date | null) =>
  date?.toLocaleString('sv-SE', { timeZone: shanghai, hour12: false }).slice(0, 16) ?? null;

describe("dates in the customer's language", () => {
  it('reads Chinese dates in Asia/Shanghai: 下周二, 明天上午9点, 3天后, 后天, 月底, 下个月初', () => {
    const cases: [string, string][] = [
      ['下周二给我们报价', '2026-11-24 12:00'],
      ['明天上午9点开会', '2026-11-19 09:00'],
      ['3天后再联系', '2026-11-21 12:00'], // chrono's zh locale: a day without a time is noon
      ['后天来拜访', '2026-11-20 12:00'],
      // A month's end is read as a rep's typed "end of month": its last working day, 17:00 (Mon 30 Nov).
      ['月底之前付款', '2026-11-30 17:00'],
      ['下个月初续约', '2026-12-01 12:00'],
      ['下个月底前给答复', '2026-12-31 17:00'],
      ['請在下週三下午三點前回覆', '2026-11-25 15:00'],
    ];
    for (const [text, expected] of cases) {
      expect(inShanghai(analyzeMessage(text, now, shanghai).mentionedDate), text).toBe(expected);
    }
  });

  it('counts 明天 and 3天后 from the customer’s day in Shanghai, not the server’s', () => {
    // 20:00 UTC on Monday is 04:00 on Tuesday in Shanghai: chrono-node's zh parsers alone counted from
    // Monday (the server's day) and read 明天 as that Tuesday.
    const early = new Date('2026-11-23T20:00:00Z');
    expect(inShanghai(analyzeMessage('明天给我回电话', early, shanghai).mentionedDate)).toBe('2026-11-25 12:00');
    expect(inShanghai(analyzeMessage('3天后再联系', early, shanghai).mentionedDate)).toBe('2026-11-27 12:00');
  });

  it('reads the day after tomorrow chrono-node misses: pasado mañana is not mañana', () => {
    // chrono-node's es parser alone found "mañana" inside "pasado mañana": the 19th instead of the 20th.
    expect(inShanghai(analyzeMessage('¿Podemos hablar pasado mañana?', now, shanghai).mentionedDate)).toBe(
      '2026-11-20 12:00',
    );
    expect(inShanghai(analyzeMessage('明後日に打ち合わせをお願いします', now, shanghai).mentionedDate)).toBe(
      '2026-11-20 12:00',
    );
    const day = (text: string, language: string) => findDatesIn(text, language, now, shanghai).map((f) => f.text);
    expect(day('On se rappelle après-demain ?', 'fr')).toEqual(['après-demain']);
    expect(day('Kunnen we overmorgen bellen?', 'nl')).toEqual(['overmorgen']);
    expect(day('Podemos falar depois de amanhã?', 'pt')).toEqual(['depois de amanhã']);
  });

  it('reads German, Spanish, French and Japanese dates with their chrono locales', () => {
    expect(
      inShanghai(analyzeMessage('Können wir nächsten Dienstag um 10 Uhr telefonieren?', now, shanghai).mentionedDate),
    ).toBe('2026-11-24 10:00');
    expect(inShanghai(analyzeMessage('Wir kündigen zum Monatsende', now, shanghai).mentionedDate)).toBe(
      '2026-11-30 17:00', // the month's last working day at 17:00, as a typed "end of month"
    );
    expect(inShanghai(analyzeMessage('¿Podemos hablar el próximo martes a las 10?', now, shanghai).mentionedDate)).toBe(
      '2026-11-24 10:00',
    );
    expect(inShanghai(analyzeMessage('On peut se voir mardi prochain à 10h ?', now, shanghai).mentionedDate)).toBe(
      '2026-11-24 10:00',
    );
    expect(inShanghai(analyzeMessage('明日の午前9時に打ち合わせをお願いします', now, shanghai).mentionedDate)).toBe(
      '2026-11-19 09:00',
    );
  });

  it('gives no date where a Chinese message names none', () => {
    expect(analyzeMessage('价格太高可能会流失', now, shanghai).mentionedDate).toBeNull();
  });

  it('counts 下周 from Monday: 下周二 written on a Sunday is two days later (chrono-node alone: nine)', () => {
    const sunday = new Date('2026-11-22T02:00:00Z');
    expect(inShanghai(analyzeMessage('下周二给我们报价', sunday, shanghai).mentionedDate)).toBe('2026-11-24 12:00');
    expect(inShanghai(analyzeMessage('下周日之前回复', now, shanghai).mentionedDate)).toBe('2026-11-29 12:00');
  });

  it('exposes the same reading for the command grammar, with the words that named the date', () => {
    const [found] = findDatesIn('华为 下周二 发报价', 'zh', now, shanghai);
    expect(found.text).toBe('下周二');
    expect(inShanghai(found.at)).toBe('2026-11-24 12:00');
    expect(findDatesIn('华为 下周二 发报价', 'zh', now, shanghai, { defaultHour: 9 })[0].at).toEqual(
      new Date('2026-11-24T04:00:00Z'),
    );
  });

  it('due dates of suggestions follow the Chinese date (scheduling confirmed for 下周二下午3点)', () => {
    const analysis = analyzeMessage('下周二下午3点开个会，讨论续约的事', now, shanghai);
    const suggestion = suggestFollowUp({
      label: 'scheduling',
      confidence: 0.9,
      sentiment: analysis.sentiment,
      entities: analysis.entities,
      mentionedDate: analysis.mentionedDate,
      now,
      timezone: shanghai,
    });
    expect(suggestion?.text).toBe('Confirm the meeting');
    expect(inShanghai(suggestion?.dueAt ?? null)).toBe('2026-11-24 15:00');
  });
});

describe('sentiment by language', () => {
  it('an angry Chinese message is clearly negative, praise positive', () => {
    expect(chineseSentiment('你们的服务太差了，问题反映三天都没人处理，非常失望')).toBeLessThan(-0.5);
    expect(chineseSentiment('新版本很好用，客服也很专业，非常满意')).toBeGreaterThan(0.5);
    expect(analyzeMessage('系统又崩溃了，我们很生气，要投诉', now, shanghai).sentiment).toBeLessThanOrEqual(-0.3);
  });

  it('flips a negated word and reads traditional characters', () => {
    expect(chineseSentiment('一点都不好用')).toBeLessThan(0);
    expect(chineseSentiment('没有问题')).toBeGreaterThan(0);
    expect(chineseSentiment('非常滿意')).toBeGreaterThan(0);
  });

  it('is unknown (null), not a confident 0, when nothing says how the customer feels', () => {
    expect(chineseSentiment('下周二下午3点开会')).toBeNull();
    expect(chineseSentiment('好的')).toBeNull();
    expect(analyzeMessage('请把合同发过来', now, shanghai).sentiment).toBeNull();
    // No sentiment model for German: unknown rather than wink's English 0.
    expect(analyzeMessage('Wir werden unseren Vertrag zum Monatsende kündigen', now, shanghai).sentiment).toBeNull();
  });

  it('an unknown sentiment never satisfies a rule that needs a negative one', () => {
    const suggestion = suggestFollowUp({ label: 'issue', confidence: 0.9, sentiment: null, entities: [], now });
    expect(suggestion?.text).toBe('Reply about the problem');
  });
});
