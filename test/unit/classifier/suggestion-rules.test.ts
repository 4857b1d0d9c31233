import { describe, expect, it } from 'vitest';
import { suggestFollowUp, type SuggestionInput } from '../../../src/classifier/suggestion-rules.ts';
import { addBusinessHours } from '../../../src/domain/business-dates.ts';
import type { BusinessHours } from '../../../src/domain/business-hours.ts';

// Wednesday 2026-11-18 10:00 UTC.
const now = new Date('2026-11-18T10:00:00Z');
const base: SuggestionInput = { label: 'other', confidence: 0.9, sentiment: 0, entities: [], now, timezone: 'UTC' };
const friday = new Date('2026-11-20T15:00:00Z');

describe('follow-up suggestion rules', () => {
  it('issue with strongly negative sentiment: call back today, high, due in 4 business hours', () => {
    const s = suggestFollowUp({ ...base, label: 'issue', sentiment: -0.6 });
    expect(s).toMatchObject({ text: 'Call back today', priority: 'high', dueAt: new Date('2026-11-18T14:00:00Z') });
  });

  it('issue with neutral sentiment: reply, normal, next business day', () => {
    expect(suggestFollowUp({ ...base, label: 'issue', sentiment: 0.1 })).toMatchObject({
      text: 'Reply about the problem',
      priority: 'normal',
      dueAt: new Date('2026-11-19T10:00:00Z'),
    });
  });

  it('purchase with a date: send the quote, due that date', () => {
    expect(
      suggestFollowUp({
        ...base,
        label: 'purchase',
        mentionedDate: friday,
        entities: [{ type: 'DATE', value: 'Friday' }],
      }),
    ).toMatchObject({ text: 'Send the quote', priority: 'high', dueAt: friday });
  });

  it('purchase without a date: send the quote within two business days', () => {
    expect(suggestFollowUp({ ...base, label: 'purchase' })).toMatchObject({
      text: 'Send the quote',
      priority: 'normal',
      dueAt: new Date('2026-11-20T10:00:00Z'),
    });
  });

  it('purchase with a date in the past falls back to the undated rule', () => {
    expect(
      suggestFollowUp({ ...base, label: 'purchase', mentionedDate: new Date('2026-11-01T00:00:00Z') })?.priority,
    ).toBe('normal');
  });

  it('churn: high priority whatever the sentiment', () => {
    expect(suggestFollowUp({ ...base, label: 'churn', sentiment: 0.5 })).toMatchObject({
      priority: 'high',
      dueAt: new Date('2026-11-18T14:00:00Z'),
    });
  });

  it('scheduling with and without a date', () => {
    expect(suggestFollowUp({ ...base, label: 'scheduling', mentionedDate: friday })).toMatchObject({
      text: 'Confirm the meeting',
      dueAt: friday,
    });
    expect(suggestFollowUp({ ...base, label: 'scheduling' })?.text).toBe('Propose meeting times');
  });

  it('need and feedback', () => {
    expect(suggestFollowUp({ ...base, label: 'need' })).toMatchObject({
      text: 'Answer the request',
      priority: 'normal',
    });
    // Wednesday + 3 working days: Monday at the opening time (not Saturday 10:00).
    expect(suggestFollowUp({ ...base, label: 'feedback' })).toMatchObject({
      priority: 'low',
      dueAt: new Date('2026-11-23T09:00:00Z'),
    });
  });

  it('feedback is due 3 working days later at the opening time, in the zone, across DST changes', () => {
    const feedback = (at: string, timezone: string, businessHours?: BusinessHours) =>
      suggestFollowUp({ ...base, label: 'feedback', now: new Date(at), timezone, businessHours })?.dueAt;
    // Friday 6 March 2026 23:40 in New York: Wednesday 11 March 09:00 EDT (the clocks went forward on the 8th), not Sunday 23:40.
    expect(feedback('2026-03-07T04:40:00Z', 'America/New_York')).toEqual(new Date('2026-03-11T13:00:00Z'));
    // Friday 23 October 2026 23:40 in Berlin: Wednesday 28 October 09:00 CET.
    expect(feedback('2026-10-23T21:40:00Z', 'Europe/Berlin')).toEqual(new Date('2026-10-28T08:00:00Z'));
    // Friday 2 October 2026 18:00 in Sydney: Wednesday 7 October 09:00 AEDT (the clocks went forward on the 4th).
    expect(feedback('2026-10-02T08:00:00Z', 'Australia/Sydney')).toEqual(new Date('2026-10-06T22:00:00Z'));
    // A Sunday-to-Thursday team opening at 08:30, Thursday afternoon in Dubai: Tuesday 08:30.
    const gulf: BusinessHours = { timeZone: 'Asia/Dubai', startMinute: 510, endMinute: 1050, days: [0, 1, 2, 3, 4] };
    expect(feedback('2026-11-19T11:00:00Z', 'Asia/Dubai', gulf)).toEqual(new Date('2026-11-24T04:30:00Z'));
  });

  it('a due date already past when the suggestion is made (a call logged days later) is due then, and says so', () => {
    // Said Thursday 15:00 ("by tomorrow 3pm": Friday 15:00), suggested the next Monday 10:00.
    const said = new Date('2026-12-03T15:00:00Z');
    const monday = new Date('2026-12-07T10:00:00Z');
    const asked = new Date('2026-12-04T15:00:00Z');
    const late = suggestFollowUp({ ...base, label: 'purchase', now: said, suggestedAt: monday, mentionedDate: asked });
    expect(late).toMatchObject({ text: 'Send the quote', priority: 'high', dueAt: monday, pastDueAt: asked });
    // Still ahead when suggested: due then, nothing past.
    const early = suggestFollowUp({
      ...base,
      label: 'purchase',
      now: said,
      suggestedAt: new Date('2026-12-04T09:00:00Z'),
      mentionedDate: asked,
    });
    expect(early).toMatchObject({ dueAt: asked });
    expect(early?.pastDueAt).toBeUndefined();
    // Offsets count from when it was said too: Thursday 15:00 + 8 business hours was Friday 15:00.
    expect(suggestFollowUp({ ...base, label: 'issue', sentiment: 0.1, now: said, suggestedAt: monday })).toMatchObject({
      dueAt: monday,
      pastDueAt: new Date('2026-12-04T15:00:00Z'),
    });
  });

  it('other and unclassified: no suggestion', () => {
    expect(suggestFollowUp({ ...base, label: 'other' })).toBeNull();
    expect(suggestFollowUp({ ...base, label: 'unclassified', sentiment: -1 })).toBeNull();
  });

  it('uses a custom rule table when given one', () => {
    const rules = [
      { label: 'other', minConfidence: 0.5, text: 'Glance at it', priority: 'low' as const, due: { hours: 1 } },
    ];
    expect(suggestFollowUp({ ...base, label: 'other' }, rules)).toMatchObject({
      text: 'Glance at it',
      dueAt: new Date('2026-11-18T11:00:00Z'),
    });
    expect(suggestFollowUp({ ...base, label: 'other', confidence: 0.2 }, rules)).toBeNull();
  });

  it('business hours skip nights and weekends in the given time zone', () => {
    // Friday 16:00 UTC + 4 business hours = Monday 12:00 UTC.
    expect(addBusinessHours(new Date('2026-11-20T16:00:00Z'), 4, 'UTC')).toEqual(new Date('2026-11-23T12:00:00Z'));
    // Friday 16:00 in Berlin (15:00 UTC) + 2 business hours = Monday 10:00 Berlin = 09:00 UTC.
    expect(addBusinessHours(new Date('2026-11-20T15:00:00Z'), 2, 'Europe/Berlin')).toEqual(
      new Date('2026-11-23T09:00:00Z'),
    );
  });

  it('business hours run to closing time exactly, start at opening from before it, and floor to the minute', () => {
    // Monday 13:00 + 4 h ends at 17:00 the same day, not the next morning.
    expect(addBusinessHours(new Date('2026-11-23T13:00:00Z'), 4, 'UTC')).toEqual(new Date('2026-11-23T17:00:00Z'));
    // Monday 07:30 + 1 h counts from 09:00.
    expect(addBusinessHours(new Date('2026-11-23T07:30:00Z'), 1, 'UTC')).toEqual(new Date('2026-11-23T10:00:00Z'));
    // Seconds are dropped first; half an hour is 30 minutes.
    expect(addBusinessHours(new Date('2026-11-23T10:00:59Z'), 0.5, 'UTC')).toEqual(new Date('2026-11-23T10:30:00Z'));
    // 40 business hours = a whole working week, from Saturday: the next Friday's closing time.
    expect(addBusinessHours(new Date('2026-11-21T12:00:00Z'), 40, 'UTC')).toEqual(new Date('2026-11-27T17:00:00Z'));
    expect(addBusinessHours(new Date('2026-11-23T10:00:00Z'), 0, 'UTC')).toEqual(new Date('2026-11-23T10:00:00Z'));
  });

  it('business hours follow the local clock across DST changes and half-hour zones', () => {
    // Berlin springs forward on Sunday 29 March 2026: Friday 16:00 CET (15:00 UTC) + 2 h = Monday 10:00 CEST = 08:00 UTC.
    expect(addBusinessHours(new Date('2026-03-27T15:00:00Z'), 2, 'Europe/Berlin')).toEqual(
      new Date('2026-03-30T08:00:00Z'),
    );
    // New York falls back on Sunday 1 November 2026: Friday 16:00 EDT (20:00 UTC) + 2 h = Monday 10:00 EST = 15:00 UTC.
    expect(addBusinessHours(new Date('2026-10-30T20:00:00Z'), 2, 'America/New_York')).toEqual(
      new Date('2026-11-02T15:00:00Z'),
    );
    // Kolkata is UTC+5:30: Monday 16:30 IST (11:00 UTC) + 1 h = Tuesday 09:30 IST = 04:00 UTC.
    expect(addBusinessHours(new Date('2026-11-23T11:00:00Z'), 1, 'Asia/Kolkata')).toEqual(
      new Date('2026-11-24T04:00:00Z'),
    );
  });

  it('business hours agree with a minute-by-minute walk of the wall clock', () => {
    const zones = [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'America/Santiago',
      'Pacific/Auckland',
    ];
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 120; i++) {
      const zone = zones[i % zones.length];
      // Spread over 2026, which has every zone's DST changes in it.
      const start = new Date(
        Date.UTC(2026, 0, 1) + Math.floor(random() * 365 * 24 * 60) * 60_000 + Math.floor(random() * 60_000),
      );
      const hours = [0.5, 4, 8, 16, 27.25][i % 5];
      expect(addBusinessHours(start, hours, zone).toISOString(), `${start.toISOString()} + ${hours} h in ${zone}`).toBe(
        walkBusinessHours(start, hours, zone).toISOString(),
      );
    }
  });
});

/** The former implementation, as the reference: a walk minute by minute, skipping closed time hour by hour. */
function walkBusinessHours(now: Date, hours: number, timeZone: string): Date {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  });
  const local = (d: Date) => {
    const parts = format.formatToParts(d);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
    return {
      weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday')),
      hour: Number(get('hour')),
      minute: Number(get('minute')),
    };
  };
  let remaining = Math.round(hours * 60);
  let t = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  while (remaining > 0) {
    const { weekday, hour, minute } = local(t);
    if (weekday >= 1 && weekday <= 5 && hour >= 9 && hour < 17) {
      t = new Date(t.getTime() + 60_000);
      remaining--;
    } else t = new Date(t.getTime() + (60 - minute) * 60_000);
  }
  return t;
}
