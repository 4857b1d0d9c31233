/**
 * Hours that a part of the day means when a rep names one without a time ("tomorrow afternoon",
 * "tonight", 明天下午, 今晚): morning is the team's opening time (09:00 by default), afternoon
 * 15:00, evening 19:00, night and tonight 20:00, noon 12:00. chrono-node implies other hours
 * (morning 06:00, tonight 22:00) and only as a guess, which parse-when used to replace with the opening
 * time, so "tonight" said at 10:00 came out as that morning and was refused as past.
 */
export const PART_OF_DAY_HOURS = { afternoon: 15, evening: 19, night: 20, noon: 12 } as const;

type PartOfDay = 'morning' | keyof typeof PART_OF_DAY_HOURS;

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

/**
 * The hour and minute a part of the day named in `text` means, or undefined when it names none.
 * @param open - the team's opening time, used for the morning when it is before noon.
 */
export function partOfDayTime(
  text: string,
  open: { hour: number; minute: number },
): { hour: number; minute: number } | undefined {
  const part = PARTS.find(([, words]) => words.test(text))?.[0];
  if (part === undefined) return undefined;
  if (part === 'morning') return open.hour < 12 ? open : { hour: 9, minute: 0 };
  return { hour: PART_OF_DAY_HOURS[part], minute: 0 };
}
