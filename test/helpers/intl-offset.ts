const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The UTC offset (ms, to the second) of `timeZone` at instant `ms`, read from Intl on its own: the
 * oracle for tests of src/domain/zoned-time.ts and what builds on it, so never through that code.
 */
export function intlOffsetMs(timeZone: string, ms: number): number {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}
