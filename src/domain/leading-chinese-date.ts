import type * as chrono from 'chrono-node';
import { dateParsersFor, leadingPeriod, nextWeekFromMonday, type WallDate } from './localized-dates.ts';
import { instantToWallClock, timezoneOffsetMinutes } from './zoned-time.ts';

/** What a Chinese date at the start of a typed text names, for parse-when to turn into an instant. */
export type ChineseWhen =
  /** 3小时后, 半小时后, 20分钟后: an exact amount of time from now. */
  | { kind: 'duration'; at: Date; matched: string }
  /** 下周二, 明天上午9点, 3天后: chrono-node's reading (wall clock in the rep's zone). */
  | { kind: 'chrono'; result: chrono.ParsedResult; matched: string }
  /** 月底, 下个月初, 年底: a day; `end` for the end of a period. */
  | { kind: 'period'; day: WallDate; end: boolean; matched: string };

/** Han at the start, maybe after digits: 下周二, 3天后, 明天上午9点. */
const STARTS_CHINESE = /^[\d\s]*\p{Script=Han}/u;

const DIGITS: Record<string, number> = {
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  兩: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};

/** 3, 十, 十五, 二十, 两 -> a number; 半 (half) -> 0.5. Undefined for anything else. */
function chineseNumber(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (text === '半') return 0.5;
  const m = /^([一二两兩三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(text);
  if (!m || text === '') return undefined;
  if (!m[2]) return m[3] ? undefined : DIGITS[m[1]];
  return (m[1] ? DIGITS[m[1]] : 1) * 10 + (m[3] ? DIGITS[m[3]] : 0);
}

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
 * each knows words the other misses), and starts and ends of months and years (月底). Undefined when
 * the text does not start with one.
 */
export function leadingChineseWhen(text: string, now: Date, timeZone: string, past: boolean): ChineseWhen | undefined {
  if (!STARTS_CHINESE.test(text)) return undefined;
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
  let best: chrono.ParsedResult | undefined;
  for (const parser of dateParsersFor('zh')) {
    for (const r of parser.parse(
      text,
      { instant: now, timezone: timezoneOffsetMinutes(timeZone, now) },
      { forwardDate: !past },
    )) {
      if (r.index === 0 && r.text.trim().length > (best?.text.trim().length ?? 0)) best = r;
    }
  }
  const today = instantToWallClock(now, timeZone);
  if (best) nextWeekFromMonday(best, today);
  const period = leadingPeriod(text, 'zh', { year: today.year, month: today.month, day: today.day });
  if (period && period.text.length >= (best?.text.trim().length ?? 0))
    return { kind: 'period', day: period.day, end: period.end, matched: period.text };
  return best && { kind: 'chrono', result: best, matched: best.text.trim() };
}
