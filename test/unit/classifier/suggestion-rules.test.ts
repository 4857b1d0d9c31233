import { describe, expect, it } from 'vitest';
import { addBusinessHours, suggestFollowUp, type SuggestionInput } from '../../../src/classifier/suggestion-rules.js';

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
    expect(suggestFollowUp({ ...base, label: 'issue', sentiment: 0.1 })).toMatchObject({ text: 'Reply about the problem', priority: 'normal', dueAt: new Date('2026-11-19T10:00:00Z') });
  });

  it('purchase with a date: send the quote, due that date', () => {
    expect(suggestFollowUp({ ...base, label: 'purchase', mentionedDate: friday, entities: [{ type: 'DATE', value: 'Friday' }] })).toMatchObject({ text: 'Send the quote', priority: 'high', dueAt: friday });
  });

  it('purchase without a date: send the quote within two business days', () => {
    expect(suggestFollowUp({ ...base, label: 'purchase' })).toMatchObject({ text: 'Send the quote', priority: 'normal', dueAt: new Date('2026-11-20T10:00:00Z') });
  });

  it('purchase with a date in the past falls back to the undated rule', () => {
    expect(suggestFollowUp({ ...base, label: 'purchase', mentionedDate: new Date('2026-11-01T00:00:00Z') })?.priority).toBe('normal');
  });

  it('churn: high priority whatever the sentiment', () => {
    expect(suggestFollowUp({ ...base, label: 'churn', sentiment: 0.5 })).toMatchObject({ priority: 'high', dueAt: new Date('2026-11-18T14:00:00Z') });
  });

  it('scheduling with and without a date', () => {
    expect(suggestFollowUp({ ...base, label: 'scheduling', mentionedDate: friday })).toMatchObject({ text: 'Confirm the meeting', dueAt: friday });
    expect(suggestFollowUp({ ...base, label: 'scheduling' })?.text).toBe('Propose meeting times');
  });

  it('need and feedback', () => {
    expect(suggestFollowUp({ ...base, label: 'need' })).toMatchObject({ text: 'Answer the request', priority: 'normal' });
    expect(suggestFollowUp({ ...base, label: 'feedback' })).toMatchObject({ priority: 'low', dueAt: new Date('2026-11-21T10:00:00Z') });
  });

  it('other and unclassified: no suggestion', () => {
    expect(suggestFollowUp({ ...base, label: 'other' })).toBeNull();
    expect(suggestFollowUp({ ...base, label: 'unclassified', sentiment: -1 })).toBeNull();
  });

  it('uses a custom rule table when given one', () => {
    const rules = [{ label: 'other', minConfidence: 0.5, text: 'Glance at it', priority: 'low' as const, due: { hours: 1 } }];
    expect(suggestFollowUp({ ...base, label: 'other' }, rules)).toMatchObject({ text: 'Glance at it', dueAt: new Date('2026-11-18T11:00:00Z') });
    expect(suggestFollowUp({ ...base, label: 'other', confidence: 0.2 }, rules)).toBeNull();
  });

  it('business hours skip nights and weekends in the given time zone', () => {
    // Friday 16:00 UTC + 4 business hours = Monday 12:00 UTC.
    expect(addBusinessHours(new Date('2026-11-20T16:00:00Z'), 4, 'UTC')).toEqual(new Date('2026-11-23T12:00:00Z'));
    // Friday 16:00 in Berlin (15:00 UTC) + 2 business hours = Monday 10:00 Berlin = 09:00 UTC.
    expect(addBusinessHours(new Date('2026-11-20T15:00:00Z'), 2, 'Europe/Berlin')).toEqual(new Date('2026-11-23T09:00:00Z'));
  });
});
