import type * as chrono from 'chrono-node';
import { leadingChineseWhen, type LocalizedWhen, periodWhen } from './leading-chinese-date.ts';
import { dateParsersFor, leadingDaysAhead, leadingPeriod, moveToNextWeek } from './localized-dates.ts';
import { instantToWallClock, timezoneOffsetMinutes } from './zoned-time.ts';

/**
 * Languages whose dates a rep may type in Latin or Cyrillic script, in the order that wins a tie (a
 * reading of the same length in two languages: "morgen" is tomorrow in German and Dutch alike).
 */
const LANGUAGES = ['de', 'fr', 'es', 'pt', 'nl', 'ru'] as const;

/** Articles before a date that chrono-node's locale skips instead of reading: "el próximo martes", "le 10 mars". */
const ARTICLE: Partial<Record<(typeof LANGUAGES)[number], RegExp>> = {
  es: /^(?:el|la)\s+/i,
  fr: /^le\s+/i,
};

/** "próxima terça": chrono-node's pt parser reads only the weekday. */
const PT_NEXT = /^(?:na\s+|no\s+)?próxim[oa]\s+/i;

/**
 * A word that names a date on its own in some language and cannot be an English one: four letters or
 * more, or a letter outside ASCII (morgen, demain, mañana, завтра, à). Without it a reading is refused,
 * so "do", "so", "mar", "sex", "lun" (German, Dutch, French, Spanish, Portuguese weekday abbreviations),
 * "a 9" and "um 9" in an English reminder stay words of its text.
 */
const FOREIGN_WORD = /\p{L}{4,}|[^\p{ASCII}]/u;

/** Hours, minutes and seconds in these languages: "in 2 Stunden" is an exact amount of time from now. */
const TIME_UNIT =
  /(?<!\p{L})(?:stunden?|minuten?|sekunden?|horas?|minutos?|segundos?|heures?|minutes?|secondes?|uur|minuut|seconden?|час(?:а|ов)?|минут[аыу]?|секунд[аыу]?)(?!\p{L})/iu;

/**
 * Reads a date in another language at the very start of a typed text, when English read none there:
 * Chinese and Japanese (下周二, 明天上午9点, 明日9時, 来週火曜日), and chrono-node's German, French,
 * Spanish, Portuguese, Dutch and Russian parsers (nächsten Dienstag, demain à 9h, el próximo martes,
 * amanhã às 9, volgende week dinsdag, в следующий вторник), plus month and year ends (Monatsende,
 * fin de mes). The longest reading wins. Undefined when the text does not start with one.
 */
export function leadingLocalizedWhen(
  text: string,
  now: Date,
  timeZone: string,
  past: boolean,
): LocalizedWhen | undefined {
  const cjk = leadingChineseWhen(text, now, timeZone, past);
  if (cjk) return cjk;
  const today = instantToWallClock(now, timeZone);
  const reference = { instant: now, timezone: timezoneOffsetMinutes(timeZone, now) };
  let found: LocalizedWhen | undefined;
  const longer = (matched: string) => matched.length > (found?.matched.length ?? 0) && FOREIGN_WORD.test(matched);
  for (const language of LANGUAGES) {
    const lead = ARTICLE[language]?.exec(text)?.[0] ?? (language === 'pt' ? PT_NEXT.exec(text)?.[0] : undefined) ?? '';
    const [parser] = dateParsersFor(language);
    const r: chrono.ParsedResult | undefined = parser
      .parse(text.slice(lead.length), reference, { forwardDate: !past })
      .find((x) => x.index === 0);
    if (r) {
      const matched = (lead + r.text).trim();
      if (language === 'pt' && lead && r.start.isCertain('weekday') && !r.start.isCertain('day'))
        moveToNextWeek(r, today, r.start.get('weekday') || 7);
      if (longer(matched))
        found = TIME_UNIT.test(r.text)
          ? { kind: 'duration', at: r.start.date(), matched }
          : { kind: 'chrono', result: r, matched };
    }
    const day = { year: today.year, month: today.month, day: today.day };
    const ahead = leadingDaysAhead(text, language, day, reference);
    if (ahead && ahead.text.length > (found?.matched.length ?? 0))
      found = { kind: 'period', day: ahead.day, time: ahead.time, matched: ahead.text };
    const period = leadingPeriod(text, language, day);
    // Month and year ends are whole phrases (fin de mes), never an abbreviation: no English reading to fear.
    if (period && period.text.length > (found?.matched.length ?? 0)) found = periodWhen(period);
  }
  return found;
}
