import { describe, expect, it } from 'vitest';
import { FollowUpStatus } from '../../../src/db/generated/enums.ts';
import {
  FOLLOW_UP_STATUSES,
  formatMessageRef,
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
});
