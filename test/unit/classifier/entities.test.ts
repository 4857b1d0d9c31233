import { describe, expect, it } from 'vitest';
import * as chrono from 'chrono-node';
import { analyzeMessage, MAY_MENTION_DATE } from '../../../src/classifier/entities.ts';

const now = new Date('2026-11-18T10:00:00Z'); // a Wednesday

describe('message entities', () => {
  it('finds dates, times, durations, money, email, phone and URL', () => {
    const { entities } = analyzeMessage(
      'Call me tomorrow at 3pm on +1 555 123 4567 or anna@example.com, budget $5,000 for 2 weeks, see https://example.com/pricing',
      now,
    );
    const types = new Set(entities.map((e) => e.type));
    for (const t of ['DATE', 'TIME', 'DURATION', 'MONEY', 'EMAIL', 'PHONE', 'URL']) expect(types).toContain(t);
    expect(entities).toContainEqual({ type: 'EMAIL', value: 'anna@example.com' });
  });

  it('resolves a mentioned date in the given time zone', () => {
    expect(analyzeMessage('Can we talk tomorrow at 3pm?', now, 'Europe/Berlin').mentionedDate).toEqual(
      new Date('2026-11-19T14:00:00Z'),
    );
    expect(analyzeMessage('Please send the quote by Friday', now).mentionedDate?.getUTCDay()).toBe(5);
    expect(analyzeMessage('Thanks for the help', now).mentionedDate).toBeNull();
  });

  it('reads a time said across a DST change on the wall clock of the zone, in English and German', () => {
    // Friday 23 October 2026, 12:00 in Berlin (CEST, UTC+2); the clocks go back on Sunday the 25th.
    const berlinFriday = new Date('2026-10-23T10:00:00Z');
    // Monday 15:00 CET (UTC+1) is 14:00 UTC; chrono-node alone kept Friday's offset and said 13:00 UTC (14:00 there).
    expect(analyzeMessage('Please call me Monday at 3pm', berlinFriday, 'Europe/Berlin').mentionedDate).toEqual(
      new Date('2026-10-26T14:00:00Z'),
    );
    expect(
      analyzeMessage('Bitte rufen Sie mich am Montag um 15 Uhr an', berlinFriday, 'Europe/Berlin', 'de').mentionedDate,
    ).toEqual(new Date('2026-10-26T14:00:00Z'));
    // New York, Friday 6 March 2026 10:00 EST; the clocks go forward on Sunday the 8th: Tuesday 10:00 EDT = 14:00 UTC.
    expect(
      analyzeMessage('send the quote by Tuesday 10am?', new Date('2026-03-06T15:00:00Z'), 'America/New_York')
        .mentionedDate,
    ).toEqual(new Date('2026-03-10T14:00:00Z'));
    // Sydney, Friday 2 October 2026 12:00 AEST (UTC+10); the clocks go forward on Sunday the 4th:
    // Monday 15:00 AEDT (UTC+11) = 04:00 UTC.
    expect(
      analyzeMessage('Please call me Monday at 3pm', new Date('2026-10-02T02:00:00Z'), 'Australia/Sydney')
        .mentionedDate,
    ).toEqual(new Date('2026-10-05T04:00:00Z'));
    // A duration is an exact amount of time, whatever the clocks do: Saturday 23:30 Berlin + 3 hours.
    expect(
      analyzeMessage('can we talk in 3 hours?', new Date('2026-10-24T21:30:00Z'), 'Europe/Berlin').mentionedDate,
    ).toEqual(new Date('2026-10-25T00:30:00Z'));
    // A time with its own zone is that zone's: 3pm PST is 23:00 UTC.
    expect(analyzeMessage('call me Monday 3pm PST', berlinFriday, 'Europe/Berlin').mentionedDate).toEqual(
      new Date('2026-10-26T23:00:00Z'),
    );
  });

  it('the date gate lets every way of naming a date through to chrono, and spares it texts without one', () => {
    const dated = [
      'Can we talk tomorrow at 3pm?',
      'send it by Friday',
      'next week works',
      'in a couple of days',
      'by the end of the month',
      'on 12/03',
      'March 3rd',
      'in two hours',
      'tonight',
      'this weekend',
      'Dec 5',
      'at noon',
      'an hour from now',
      'Q3 2027',
      'Tues morning',
    ];
    // Each phrase is one chrono resolves (so the gate must pass it); Q3 is the one it does not know.
    const resolved = dated.filter((text) => chrono.parse(text, now, { forwardDate: true }).length > 0);
    expect(resolved).toEqual(dated.filter((text) => text !== 'Q3 2027'));
    for (const text of resolved) expect(MAY_MENTION_DATE.test(text), text).toBe(true);
    for (const text of [
      'Thanks for the help',
      'The dashboard keeps crashing, we are really unhappy',
      'Do you support single sign-on with Okta?',
    ]) {
      expect(MAY_MENTION_DATE.test(text), text).toBe(false);
    }
  });

  it('scores sentiment: negative complaints below positive praise', () => {
    const bad = analyzeMessage('This is terrible, awful service and I am furious', now).sentiment;
    const good = analyzeMessage('Great job, we love it, thank you!', now).sentiment;
    expect(bad).toBeLessThan(0);
    expect(good).toBeGreaterThan(0);
  });
});
