import { describe, expect, it } from 'vitest';
import { FollowUpStatus } from '../../../src/db/generated/enums.ts';
import {
  FOLLOW_UP_STATUSES,
  formatMessageRef,
  dueOnDay,
  dueTomorrowMorning,
  isActive,
  isOpen,
  isOverdue,
  parseMessageRef,
} from '../../../src/domain/follow-up.ts';

describe('follow-up domain', () => {
  it('knows every state of the schema, and no other', () => {
    expect([...FOLLOW_UP_STATUSES].sort()).toEqual(Object.values(FollowUpStatus).sort());
  });

  it('open means accepted and not finished; active adds waiting suggestions', () => {
    expect(FOLLOW_UP_STATUSES.filter(isOpen)).toEqual(['open', 'snoozed']);
    expect(FOLLOW_UP_STATUSES.filter(isActive)).toEqual(['suggested', 'open', 'snoozed']);
  });

  it('overdue: open or snoozed and past due; a done, dismissed or suggested one never is', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    const past = new Date('2026-12-02T11:59:59Z');
    expect(isOverdue({ status: 'open', dueAt: past }, now)).toBe(true);
    expect(isOverdue({ status: 'snoozed', dueAt: past }, now)).toBe(true);
    expect(isOverdue({ status: 'open', dueAt: now }, now)).toBe(false);
    for (const status of ['done', 'dismissed', 'suggested'])
      expect(isOverdue({ status, dueAt: past }, now)).toBe(false);
  });

  it('a message reference round-trips, also when the target itself contains a bar', () => {
    const ref = formatMessageRef('teams:19:abc|odd@thread.tacv2', '1712345678901');
    expect(parseMessageRef(ref)).toEqual({ target: 'teams:19:abc|odd@thread.tacv2', externalId: '1712345678901' });
    expect(parseMessageRef(formatMessageRef('slack:T1/C2', '1700000000.000100'))).toEqual({
      target: 'slack:T1/C2',
      externalId: '1700000000.000100',
    });
  });

  it('a follow-up picked by day is due at 9:00 there, or in an hour once 9:00 has passed', () => {
    const now = new Date('2026-12-02T15:30:00Z'); // 16:30 in Berlin
    expect(dueOnDay({ year: 2026, month: 12, day: 4 }, now, 'Europe/Berlin').toISOString()).toBe(
      '2026-12-04T08:00:00.000Z',
    );
    expect(dueOnDay({ year: 2026, month: 12, day: 2 }, now, 'Europe/Berlin').toISOString()).toBe(
      '2026-12-02T16:30:00.000Z',
    );
  });

  it("a new follow-up is offered for tomorrow 9:00 in the rep's zone, across a month end", () => {
    const now = new Date('2026-11-30T23:30:00Z'); // already 1 Dec in Tokyo
    expect(dueTomorrowMorning(now, 'Asia/Tokyo').toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(dueTomorrowMorning(now, 'UTC').toISOString()).toBe('2026-12-01T09:00:00.000Z');
  });
});
