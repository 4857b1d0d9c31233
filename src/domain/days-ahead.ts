import { weekdayOf } from './business-hours.ts';
import { chineseNumber } from './chinese-number.ts';

/** A calendar day. */
type WallDate = { year: number; month: number; day: number };

/** A phrase naming a day some days after `today`, and how many. */
export interface DaysAhead {
  readonly pattern: RegExp;
  readonly days: (m: RegExpExecArray, today: WallDate) => number;
}

/** 周, 週, 星期, 礼拜, 禮拜: a week. */
const WEEK = '(?:周|週|星期|礼拜|禮拜)';
/** Days from `today` to the coming Saturday (today's when it is one), as "this weekend" reads. */
const toSaturday = (today: WallDate) => (6 - weekdayOf(today) + 7) % 7;

/**
 * Days ahead named by words chrono-node's locales miss: pasado mañana, après-demain, 明後日, 3日後; and
 * Chinese weeks, read as their English words are: 两周后 ("in 2 weeks", 14 days), 下周 ("next week",
 * 7 days), 周末 / 这个周末 ("this weekend", the coming Saturday), 下周末 ("next weekend", the one after);
 * Japanese 2週間後 too.
 */
export const DAYS_AHEAD: Record<string, readonly DaysAhead[]> = {
  es: [{ pattern: /(?<!\p{L})pasado\s+mañana(?!\p{L})/iu, days: () => 2 }],
  fr: [{ pattern: /(?<!\p{L})après[-\s]demain(?!\p{L})/iu, days: () => 2 }],
  nl: [{ pattern: /(?<!\p{L})overmorgen(?!\p{L})/iu, days: () => 2 }],
  pt: [{ pattern: /(?<!\p{L})depois\s+de\s+amanhã(?!\p{L})/iu, days: () => 2 }],
  ja: [
    { pattern: /明後日/, days: () => 2 },
    { pattern: /(?<!\d)(\d{1,3})\s*日後/, days: (m) => Number(m[1]) },
    { pattern: /(\d{1,2}|[一二三四五六七八九十]{1,3})\s*週間?\s*後/, days: (m) => 7 * (chineseNumber(m[1]) ?? 1) },
  ],
  zh: [
    {
      pattern: new RegExp(`(\\d{1,2}|[一二两兩三四五六七八九十]{1,3})\\s*(?:个|個)?\\s*${WEEK}\\s*(?:之|以)?[后後]`),
      days: (m) => 7 * (chineseNumber(m[1]) ?? 1),
    },
    { pattern: new RegExp(`下(?:个|個)?${WEEK}(?:末)`), days: (_, today) => toSaturday(today) + 7 },
    { pattern: new RegExp(`下(?:个|個)?${WEEK}(?![一二三四五六日天1-7末])`), days: () => 7 },
    // 周末前 (before the weekend) is not the weekend itself: not read.
    {
      pattern: /(?<!下(?:个|個)?)(?:这个|這個|这|這|本)?(?:周末|週末)(?!\s*(?:之|以)?前)/,
      days: (_, today) => toSaturday(today),
    },
  ],
};
