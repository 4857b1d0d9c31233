import * as chrono from 'chrono-node';

/**
 * "the 15th", "on the 3rd", "by the 1st", "15th": a day of the month alone (with a month, chrono-node
 * reads it itself), at the start of a text or after a word that puts a date there (on, by, until,
 * before, after, from, due): "a 3rd party tool", "our 2nd order" are not dates.
 */
const ORDINAL_DAY =
  /(?:^|(?<=\b(?:on|by|until|till|before|after|from|due|for)\s+))(?:the\s+)?([12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)(?=\W|$)/i;
/** "in a fortnight", "a fortnight", "in 2 fortnights": 14 days each. */
const FORTNIGHT = /(?:in\s+)?(a|one|two|three|\d)\s+fortnights?(?=\W|$)/i;
const COUNTS: Record<string, number> = { a: 1, one: 1, two: 2, three: 3 };
/** "start of next month", "the beginning of next month", "first of next month", "the first of the month". */
const NEXT_MONTH_START =
  /(?:the\s+)?(?:(?:start|beginning)\s+of\s+next\s+month|first\s+of\s+(?:the\s+|next\s+)month)(?=\W|$)/i;

/** Weekday names and abbreviations (0 = Sunday), as chrono-node knows them, plus "tues" and "weds". */
const WEEKDAYS: Record<string, number> = {
  sunday: 0,
  sun: 0,
  monday: 1,
  mon: 1,
  tuesday: 2,
  tues: 2,
  tue: 2,
  wednesday: 3,
  weds: 3,
  wed: 3,
  thursday: 4,
  thurs: 4,
  thur: 4,
  thu: 4,
  friday: 5,
  fri: 5,
  saturday: 6,
  sat: 6,
};
const WEEKDAY = `(${Object.keys(WEEKDAYS).join('|')})\\.?`;
/**
 * "this coming friday", "coming monday" (the next one, never today), "next week friday" (that weekday of
 * next week, weeks from Monday), "a week from friday" (the coming one, a week later): chrono-node read
 * none, or "next week" / "a week" alone with the weekday left in the title.
 */
const WEEKDAY_PHRASE = new RegExp(
  `(?:(?:this\\s+)?coming\\s+${WEEKDAY}|next\\s+week(?:'s)?\\s+(?:on\\s+)?${WEEKDAY}|(?:a|one)\\s+week\\s+from\\s+${WEEKDAY})(?=\\W|$)`,
  'i',
);

type Context = Parameters<chrono.Parser['extract']>[0];

/** The calendar day of `instant` at the parse's reference offset (the rep's or customer's zone). */
function dayAt(context: Context, instant: Date): { year: number; month: number; day: number } {
  const wall = new Date(instant.getTime() + context.reference.getTimezoneOffset() * 60_000);
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * chrono-node's casual English with what reps and customers write that it misses: a day of the month
 * alone ("remind acme the 15th send invoice", "we pay on the 3rd") is the next such day, today's
 * included (the last one when reading the past), skipping months without it (the 31st said in
 * November is 31 December); "in a fortnight" is 14 days; "start of next month", "the first of the
 * month" the next month's first day (下个月初 was read, its English not); "this coming friday", "next
 * week friday", "a week from friday" (WEEKDAY_PHRASE).
 */
export const englishDates: chrono.Chrono = (() => {
  const en = chrono.casual.clone();
  en.parsers.push({
    pattern: () => ORDINAL_DAY,
    extract: (context, match) => {
      const day = Number(match[1]);
      const today = dayAt(context, context.reference.instant);
      const step = context.option.forwardDate === false ? -1 : 1;
      let { year, month } = today;
      const move = () => {
        const d = new Date(Date.UTC(year, month - 1 + step, 1));
        year = d.getUTCFullYear();
        month = d.getUTCMonth() + 1;
      };
      if (step * (day - today.day) < 0) move();
      for (let i = 0; i < 12 && day > daysIn(year, month); i++) move();
      const c = context.createParsingComponents({ day });
      c.imply('month', month);
      c.imply('year', year);
      return c;
    },
  });
  en.parsers.push({
    pattern: () => FORTNIGHT,
    extract: (context, match) => {
      const days = 14 * (COUNTS[match[1].toLowerCase()] ?? Number(match[1]));
      const { year, month, day } = dayAt(context, new Date(context.reference.instant.getTime() + days * 86_400_000));
      return context.createParsingComponents({ year, month, day });
    },
  });
  en.parsers.push({
    pattern: () => NEXT_MONTH_START,
    extract: (context) => {
      const today = dayAt(context, context.reference.instant);
      const first = new Date(Date.UTC(today.year, today.month, 1));
      return context.createParsingComponents({ year: first.getUTCFullYear(), month: first.getUTCMonth() + 1, day: 1 });
    },
  });
  en.parsers.push({
    pattern: () => WEEKDAY_PHRASE,
    extract: (context, match) => {
      const today = dayAt(context, context.reference.instant);
      const todayUtc = Date.UTC(today.year, today.month - 1, today.day);
      const weekdayToday = new Date(todayUtc).getUTCDay();
      const [coming, nextWeek, weekFrom] = [match[1], match[2], match[3]].map((w) => WEEKDAYS[w?.toLowerCase() ?? '']);
      const weekday = coming ?? nextWeek ?? weekFrom ?? 0;
      const ahead = (weekday - weekdayToday + 7) % 7;
      const days =
        nextWeek !== undefined
          ? 7 - ((weekdayToday + 6) % 7) + ((weekday + 6) % 7) // next week's Monday, then the weekday
          : weekFrom !== undefined
            ? ahead + 7
            : ahead || 7;
      const d = new Date(todayUtc + days * 86_400_000);
      return context.createParsingComponents({
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
      });
    },
  });
  return en;
})();
