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
