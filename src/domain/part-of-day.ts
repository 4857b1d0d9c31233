/**
 * Hours that a part of the day means when a rep names one without a time ("tomorrow afternoon",
 * "tonight", 明天下午, 今晚): morning is the team's opening time (09:00 by default), afternoon
 * 15:00, evening 19:00, night and tonight 20:00, noon 12:00. chrono-node implies other hours
 * (morning 06:00, tonight 22:00) and only as a guess, which parse-when used to replace with the opening
 * time, so "tonight" said at 10:00 came out as that morning and was refused as past. A customer's
 * message reads them the same (localized-dates.ts), so a suggestion's due date is what a rep would type.
 */
export const PART_OF_DAY_HOURS = { afternoon: 15, evening: 19, night: 20, noon: 12 } as const;

/** A part of the day a rep or customer names without a time. */
export type PartOfDay = 'morning' | keyof typeof PART_OF_DAY_HOURS;

/**
 * Words naming a part of the day in the languages typed dates are read in, most specific first
 * ("tomorrow night" is night, 晚上 evening but 今晚 and 明晚 night). Latin words are whole words.
 */
const PARTS: readonly (readonly [PartOfDay, RegExp])[] = [
  ['night', /(?<!\p{L})(?:tonight|night|nacht|nuit|noche|noite|ночью)(?!\p{L})|今晚|明晚|今夜|今晩|夜/iu],
  ['evening', /(?<!\p{L})(?:evening|abend|soir|soirée|avond|вечер(?:ом)?)(?!\p{L})|晚上|傍晚|夕方/iu],
  ['afternoon', /(?<!\p{L})(?:afternoon|nachmittag|après-midi|tarde|middag|днём|днем)(?!\p{L})|下午|午后|午後/iu],
  ['noon', /(?<!\p{L})(?:noon|midday|mittag)(?!\p{L})|中午|正午/iu],
  ['morning', /(?<!\p{L})(?:morning|vormittag|früh|matin|manhã|ochtend|утром)(?!\p{L})|上午|早上|早晨|明早|午前|朝/iu],
];

/** The part of the day `text` names ("tonight", "this afternoon", 今晚, heute Abend), or undefined. */
export function partOfDayNamed(text: string): PartOfDay | undefined {
  return PARTS.find(([, words]) => words.test(text))?.[0];
}

/**
 * The hour and minute a part of the day named in `text` means, or undefined when it names none.
 * @param open - the team's opening time, used for the morning when it is before noon.
 */
export function partOfDayTime(
  text: string,
  open: { hour: number; minute: number },
): { hour: number; minute: number } | undefined {
  const part = partOfDayNamed(text);
  return part === undefined ? undefined : hourOf(part, open);
}

function hourOf(part: PartOfDay, open: { hour: number; minute: number }): { hour: number; minute: number } {
  if (part === 'morning') return open.hour < 12 ? open : { hour: 9, minute: 0 };
  return { hour: PART_OF_DAY_HOURS[part], minute: 0 };
}

/**
 * The last whole hour a part of the day still offers once its own hour has passed: "this morning" runs
 * to noon, "this afternoon" to 18:00, "this evening" and "tonight" to 23:00 (midnight is tomorrow).
 * Noon is a moment, not a stretch: past it, nothing is left.
 */
export const PART_OF_DAY_LATEST_HOUR = { morning: 12, afternoon: 18, evening: 23, night: 23, noon: 12 } as const;

/**
 * The time a part of the day named without a time means on `day`: its hour ({@link partOfDayTime});
 * but on the day it is said (`now`, a wall clock in the same zone), once that hour has passed, the next
 * whole hour while the part lasts ({@link PART_OF_DAY_LATEST_HOUR}): "tonight" said at 21:30 is 22:00,
 * "this afternoon" at 16:30 is 17:00. Undefined when none of it is left ("tonight" at 23:10), for the
 * caller to say so rather than pick another day.
 */
export function partOfDayTimeOn(
  part: PartOfDay,
  day: { year: number; month: number; day: number },
  now: { year: number; month: number; day: number; hour: number; minute: number },
  open: { hour: number; minute: number },
): { hour: number; minute: number } | undefined {
  const time = hourOf(part, open);
  const today = day.year === now.year && day.month === now.month && day.day === now.day;
  if (!today || time.hour * 60 + time.minute > now.hour * 60 + now.minute) return time;
  const next = now.hour + 1;
  return next <= PART_OF_DAY_LATEST_HOUR[part] && part !== 'noon' ? { hour: next, minute: 0 } : undefined;
}
