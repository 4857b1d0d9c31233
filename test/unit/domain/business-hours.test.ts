import { describe, expect, it } from 'vitest';
import { analyzeMessage } from '../../../src/classifier/entities.ts';
import { suggestFollowUp } from '../../../src/classifier/suggestion-rules.ts';
import { addBusinessHours, parseBusinessDate } from '../../../src/domain/business-dates.ts';
import { type BusinessHours, businessMinutesBetween, parseBusinessHours } from '../../../src/domain/business-hours.ts';
import { dueTomorrowMorning } from '../../../src/domain/follow-up.ts';

// One team's hours, read from config the way env.ts does (RAPPORT_BUSINESS_HOURS / _DAYS): 08:00-16:00, Sunday to Thursday.
const SUN_THU = parseBusinessHours('08:00-16:00', 'sun-thu', 'UTC') as BusinessHours;
const WED_10 = new Date('2026-12-02T10:00:00Z'); // a Wednesday
const THU_10 = new Date('2026-12-03T10:00:00Z');
const THU_1630 = new Date('2026-12-03T16:30:00Z'); // after the team closed
const SUN = '2026-12-06'; // Friday and Saturday are the weekend

/** The suggestion the classify service makes for a message: analyse it, then the rule table (as planClassification does). */
function suggestionFor(text: string, label: string, now: Date, hours?: BusinessHours) {
  const analysis = analyzeMessage(text, now, 'UTC', 'en', hours);
  return suggestFollowUp({
    label,
    confidence: 0.9,
    sentiment: analysis.sentiment,
    entities: analysis.entities,
    mentionedDate: analysis.mentionedDate,
    now,
    timezone: 'UTC',
    businessHours: hours,
  });
}

describe('one BusinessHours for response times and due dates (08:00-16:00, Sunday-Thursday)', () => {
  it('is what RAPPORT_BUSINESS_HOURS=08:00-16:00 and RAPPORT_BUSINESS_DAYS=sun-thu give', () => {
    expect(SUN_THU).toEqual({ timeZone: 'UTC', startMinute: 480, endMinute: 960, days: [0, 1, 2, 3, 4] });
  });

  it('"by end of day" in a customer message: the quote is due at the team closing time, today or the next working day', () => {
    expect(suggestionFor('Can you send the quote by end of day?', 'purchase', THU_10, SUN_THU)).toMatchObject({
      text: 'Send the quote',
      dueAt: new Date('2026-12-03T16:00:00Z'),
    });
    // Said after closing on Thursday: the next working day is Sunday.
    expect(suggestionFor('Can you send the quote by end of day?', 'purchase', THU_1630, SUN_THU)?.dueAt).toEqual(
      new Date(`${SUN}T16:00:00Z`),
    );
  });

  it('"tomorrow morning": the team opening time tomorrow, or on the next working day when the team is off tomorrow', () => {
    expect(suggestionFor('Can we meet tomorrow morning?', 'scheduling', WED_10, SUN_THU)).toMatchObject({
      text: 'Confirm the meeting',
      dueAt: new Date('2026-12-03T08:00:00Z'),
    });
    expect(suggestionFor('Can we meet tomorrow morning?', 'scheduling', THU_10, SUN_THU)?.dueAt).toEqual(
      new Date(`${SUN}T08:00:00Z`),
    );
    expect(dueTomorrowMorning(THU_10, 'UTC', SUN_THU)).toEqual(new Date(`${SUN}T08:00:00Z`));
  });

  it('"in 4 business hours" suggestions count the team hours and skip its weekend', () => {
    // Thursday 14:00 + 4 h: 2 h to Thursday 16:00, then Sunday 08:00-10:00.
    expect(addBusinessHours(new Date('2026-12-03T14:00:00Z'), 4, 'UTC', SUN_THU)).toEqual(new Date(`${SUN}T10:00:00Z`));
    expect(
      suggestionFor('They cancelled and want to leave', 'churn', new Date('2026-12-03T14:00:00Z'), SUN_THU)?.dueAt,
    ).toEqual(new Date(`${SUN}T10:00:00Z`));
    // Response times read the same hours: Thursday 15:00 to Sunday 09:00 is 2 business hours.
    expect(businessMinutesBetween(new Date('2026-12-03T15:00:00Z'), new Date(`${SUN}T09:00:00Z`), SUN_THU)).toBe(120);
  });

  it('without team hours the defaults stay: 09:00-17:00 Monday to Friday', () => {
    expect(dueTomorrowMorning(THU_10, 'UTC')).toEqual(new Date('2026-12-04T09:00:00Z'));
    expect(parseBusinessDate('eod', THU_10, 'UTC', 9)?.at).toEqual(new Date('2026-12-03T17:00:00Z'));
    expect(addBusinessHours(new Date('2026-12-04T15:00:00Z'), 4, 'UTC')).toEqual(new Date('2026-12-07T11:00:00Z'));
    expect(suggestionFor('Can we meet tomorrow morning?', 'scheduling', WED_10)?.dueAt).toEqual(
      new Date('2026-12-03T09:00:00Z'), // the default opening time, as a typed "tomorrow morning" (chrono alone: 06:00)
    );
  });
});
