import type * as chrono from 'chrono-node';
import type { PeriodEnd } from './business-dates.ts';
import { chineseNumber } from './chinese-number.ts';
import { joinTimeOfDayAfter } from './cjk-weekday.ts';
import { respellDates } from './respell-dates.ts';
import {
  dateParsersFor,
  leadingDaysAhead,
  type LeadingPeriod,
  leadingPeriod,
  moveToNextWeek,
  nextWeekFromMonday,
  serverLocal,
  type WallDate,
} from './localized-dates.ts';
import { instantToWallClock, timezoneOffsetMinutes, type WallClock } from './zoned-time.ts';

/** What a date in another language at the start of a typed text names, for parse-when to turn into an instant. */
export type LocalizedWhen =
  /** 3小时后, 半小时后, 20分钟后: an exact amount of time from now. */
  | { kind: 'duration'; at: Date; matched: string }
  /** 下周二, 明天上午9点, 3天后, nächsten Dienstag: chrono-node's reading (wall clock in the rep's zone). */
  | { kind: 'chrono'; result: chrono.ParsedResult; matched: string }
  /** 月底, 下个月底, 年底, Monatsende: the end of a month or year, read as "end of month" is (endOfPeriod). */
  | { kind: 'end'; period: PeriodEnd; matched: string }
  /** 下个月初, pasado mañana, 3日後: a day; `time` when one was named. */
  | { kind: 'period'; day: WallDate; time?: { hour: number; minute: number }; matched: string };

/** A month's or year's start or end named at the start of a text, as a {@link LocalizedWhen}. */
export function periodWhen(period: LeadingPeriod): LocalizedWhen {
  return 'ends' in period
    ? { kind: 'end', period: period.ends, matched: period.text }
    : { kind: 'period', day: period.day, matched: period.text };
}

/** Han or kana at the start, maybe after digits: 下周二, 3天后, 明天上午9点, 明日9時. */
const STARTS_CJK = /^[\d\s]*[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Kana, or words only Japanese writes (曜日, 時, 来週): a date chrono-node's Japanese parser reads better. */
const JAPANESE = /[\p{Script=Hiragana}\p{Script=Katakana}]|曜|時|来週|明日|明後日/u;
/** 本周五, 本星期五: this week's weekday. */
const THIS_WEEK = /^本(?=[周週]|星期|礼拜|禮拜)/;
/** 来週火曜日, 来週の金曜: a weekday of next week (chrono-node's ja parser reads only the weekday). */
const JA_NEXT_WEEK = /^来週の?\s*(?=[月火水木金土日]曜)/;

/**
 * "3小时后", "半个小时以后", "二十分钟后", "30秒后" (and 前, ago): chrono-node's zh parser reads these
 * wrongly in zones other than UTC (3小时后 at 23:00 in Shanghai came out as 18:00 the next day).
 */
const DURATION =
  /^(\d+|[零一二两兩三四五六七八九十]+|半)\s*(?:个|個)?\s*(小时|小時|钟头|鐘頭|分钟|分鐘|分|秒钟|秒鐘|秒)\s*(?:之|以)?(后|後|前)/;
const UNIT_MS: Record<string, number> = {
  小时: 3_600_000,
  小時: 3_600_000,
  钟头: 3_600_000,
  鐘頭: 3_600_000,
  分钟: 60_000,
  分鐘: 60_000,
  分: 60_000,
  秒钟: 1000,
  秒鐘: 1000,
  秒: 1000,
};

/**
 * Reads a Chinese date at the very start of a typed text (`remind 华为 下周二 发报价`): durations,
 * chrono-node's simplified and traditional Chinese parsers (the longest reading at the start wins:
 * each knows words the other misses), and starts and ends of months and years (月底); Japanese too
 * (明日9時, 来週火曜日, 金曜日に, 明後日, 3日後), its reading winning a tie when the text has kana or 曜/時.
 * Undefined when the text does not start with one.
 */
export function leadingChineseWhen(
  text: string,
  now: Date,
  timeZone: string,
  past: boolean,
): LocalizedWhen | undefined {
  if (!STARTS_CJK.test(text)) return undefined;
  const duration = DURATION.exec(text);
  const amount = duration ? chineseNumber(duration[1]) : undefined;
  if (duration && amount !== undefined) {
    const sign = duration[3] === '前' ? -1 : 1;
    return {
      kind: 'duration',
      at: new Date(now.getTime() + sign * amount * UNIT_MS[duration[2]]),
      matched: duration[0],
    };
  }
  const today = instantToWallClock(now, timeZone);
  // chrono-node's Chinese parsers count 明天 and 3天后 from the server's calendar day, not the rep's:
  // at 04:00 in Shanghai (20:00 UTC the day before) 明天 came out as today. Give them a reference
  // whose server-local wall clock is the rep's, so the components they return are the rep's wall clock.
  const asServerLocal = serverLocal(today, now);
  let best: chrono.ParsedResult | undefined;
  const reference = { instant: asServerLocal, timezone: -asServerLocal.getTimezoneOffset() };
  // 本周五 (this week's Friday) is 这周五 to the parsers, which know only the latter.
  // 周一九点: a space after the weekday, which the parsers need (respell-dates.ts).
  const { read, written } = respellDates(text.replace(THIS_WEEK, '这'));
  for (const parser of dateParsersFor('zh')) {
    for (const r of parser.parse(read, reference, { forwardDate: !past })) {
      if (r.index !== 0) continue;
      // 下周五下午: the parsers stop at 下周五.
      joinTimeOfDayAfter(r, read.slice(r.text.length), (t) => parser.parse(t, reference, { forwardDate: !past }));
      if (r.text.trim().length > (best?.text.trim().length ?? 0)) best = r;
    }
  }
  if (best) nextWeekFromMonday(best, today);
  let found = best && { result: best, matched: text.slice(0, written(best.text.length)).trim() };
  const japanese = JAPANESE.test(text) ? leadingJapanese(text, now, timeZone, today, past) : undefined;
  // Kana or 曜日/時 say Japanese: its reading wins a tie (明日9時).
  if (japanese && japanese.matched.length >= (found?.matched.length ?? 0)) found = japanese;
  const day = { year: today.year, month: today.month, day: today.day };
  const period = leadingPeriod(text, 'zh', day);
  if (period && period.text.length >= (found?.matched.length ?? 0)) return periodWhen(period);
  const offset = { instant: now, timezone: timezoneOffsetMinutes(timeZone, now) };
  // 明後日, 3日後; 两周后, 下周, 周末 (days-ahead.ts).
  const ahead = leadingDaysAhead(text, 'ja', day, offset) ?? leadingDaysAhead(text, 'zh', day, offset);
  if (ahead && ahead.text.length > (found?.matched.length ?? 0))
    return { kind: 'period', day: ahead.day, time: ahead.time, matched: ahead.text };
  return found && { kind: 'chrono', ...found };
}

/** A Japanese date at the start (明日9時, 金曜日, 来週火曜日 10時), as chrono-node's ja parser reads it. */
function leadingJapanese(
  text: string,
  now: Date,
  timeZone: string,
  today: WallClock,
  past: boolean,
): { result: chrono.ParsedResult; matched: string } | undefined {
  const nextWeek = JA_NEXT_WEEK.exec(text)?.[0] ?? '';
  const [parser] = dateParsersFor('ja');
  const r = parser
    .parse(
      text.slice(nextWeek.length),
      { instant: now, timezone: timezoneOffsetMinutes(timeZone, now) },
      {
        forwardDate: !past,
      },
    )
    .find((x) => x.index === 0);
  if (!r) return undefined;
  if (nextWeek) moveToNextWeek(r, today, r.start.get('weekday') || 7);
  // 金曜日に電話, 金曜日までに見積もり: the particle after the date belongs to it, not to the title.
  const particle = /^\s*(?:までに|まで|に)/.exec(text.slice(nextWeek.length + r.text.length))?.[0] ?? '';
  return { result: r, matched: (nextWeek + r.text + particle).trim() };
}
