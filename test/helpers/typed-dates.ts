import { parseLeadingWhen, parseWhen } from '../../src/domain/parse-when.ts';

/**
 * How a rep's typed date reads, as ISO strings, said at `now` in `zone` unless a test says otherwise:
 * `iso` for a whole date (`snooze 3 tonight`), `leading` for a date that starts a text (`remind acme
 * friday 10 licenses quote`) with the words it matched and the rest. Shared by the typed-date tests.
 */
export function typedDates(now: Date, zone: string) {
  return {
    iso: (text: string, at = now, timeZone = zone) => parseWhen(text, at, timeZone).toISOString(),
    leading: (text: string, at = now, timeZone = zone) => {
      const found = parseLeadingWhen(text, at, timeZone);
      return found && { at: found.at.toISOString(), matched: found.matched, rest: found.rest };
    },
  };
}
