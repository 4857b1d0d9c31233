import type * as chrono from 'chrono-node';

/**
 * A number after a day ("friday 10 licenses", "monday 12 users", "in 2 days 10 seats"), which chrono
 * reads as the hour: a rep (or a customer writing "friday, 10 seats") means a count there, and a time
 * says so with a marker ("10am", "10:30", "at 10", "@10", "10h", "um 10", "à 10", 明天10点).
 */
const BARE_NUMBER_END = /[\s,]+\d{1,2}$/;
/** Words before a number that make it a time: "friday at 10", "@10", "morgen um 10", "demain à 10". */
const HOUR_WORD_END = /(?:(?<!\p{L})(?:at|um|à|a|las|às|om|в)\s*|@\s*)\d{1,2}$/iu;

/**
 * What follows a count rather than an hour: a plural ("licenses", "seats", "users", not "is", "has",
 * "this"), a unit sign, or a counted word of the languages Rapport reads dates in.
 */
const COUNTED =
  /^\s*(?:(?!(?:is|was|has|does|us|this|his|its|as|yes|plus|thanks|pls|please)(?!\p{L}))\p{L}{2,}s(?!\p{L})|[%×x€$£¥]|(?:lizenzen|plätze|nutzer|benutzer|stück|stk|licencias|usuarios|licences|postes|utilisateurs|лицензий|лицензии|мест|个|台|人|套|份|位|件)(?!\p{L}))/iu;

/**
 * Where the day ends when chrono took a bare number after it as the hour ("friday 10" of "friday 10
 * licenses"): the length of the text before the number, or undefined when the time was said as one.
 * A number that ends the text (nothing `following` it) can only be the hour: `snooze 18 friday 10`.
 * Typed dates (parse-when.ts) and dates in customers' messages (localized-dates.ts) both read it so.
 */
export function withoutBareNumber(result: chrono.ParsedResult, following: string): number | undefined {
  if (!result.start.isCertain('hour') || following.trim() === '') return undefined;
  const bare = BARE_NUMBER_END.exec(result.text);
  if (!bare || HOUR_WORD_END.test(result.text)) return undefined;
  // "friday, 10 seats": a comma parts the day from a count. Otherwise only a word that counts things
  // makes it a count ("10 licenses", "12 users", "10 Lizenzen"); "monday 10 call bob" means 10:00.
  if (!bare[0].includes(',') && !COUNTED.test(following)) return undefined;
  return result.text.length - bare[0].length;
}
