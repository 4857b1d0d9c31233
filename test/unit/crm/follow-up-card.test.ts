import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.ts';
import type { FollowUpCardData } from '../../../src/db/follow-up-card.repository.ts';
import {
  renderFollowUpCard,
  type FollowUpCardPurpose,
} from '../../../src/notifications/follow-up-card.notification.ts';

// Open follow-ups render without reading the database (only a closed one looks up who closed it).
const noDatabase = {} as Database;
const now = new Date('2026-12-01T10:00:00Z');
const hour = 3_600_000;

function card(over: Partial<FollowUpCardData>): FollowUpCardData {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    number: 7,
    title: 'Send the quote',
    dueAt: new Date(now.getTime() - hour),
    status: 'open',
    priority: 'normal',
    reason: null,
    completedAt: null,
    updatedAt: now,
    messagePurpose: null,
    companyName: 'Acme',
    assignee: { name: 'Jo', platformUserIds: ['console:jo'] },
    record: null,
    classification: null,
    ...over,
  };
}

const render = (f: FollowUpCardData, purpose: FollowUpCardPurpose) =>
  renderFollowUpCard(noDatabase, f, purpose, 'UTC', now);

describe('follow-up card headings', () => {
  it('posts reminders and escalations under their own heading; both mention the assignee (issue 20)', async () => {
    const reminder = await render(card({}), 'reminder');
    expect(reminder.title).toBe('Reminder: follow up with Acme');
    expect(reminder.text).toContain('@Jo');
    expect(reminder.mentions).toEqual([{ name: 'Jo', platformUserIds: ['console:jo'] }]);
    expect(reminder.fields?.find((f) => f.label === 'Due')?.at).toBe(new Date(now.getTime() - hour).toISOString());
    expect((await render(card({ status: 'suggested' }), 'suggestion')).mentions).toBeUndefined();
    const escalation = await render(card({}), 'escalation');
    expect(escalation.title).toBe('Overdue follow-up for Acme');
    expect(escalation.text).toContain('@Jo');
    expect(escalation.tone).toBe('warning');
  });

  it('keeps the heading a message was posted with when it is refreshed in place', async () => {
    expect(
      (
        await render(
          card({ messagePurpose: 'reminder', status: 'snoozed', dueAt: new Date(now.getTime() + hour) }),
          'refresh',
        )
      ).title,
    ).toBe('Reminder: follow up with Acme');
    expect((await render(card({ messagePurpose: 'escalation' }), 'refresh')).title).toBe('Overdue follow-up for Acme');
    // An accepted suggestion's card: no longer a suggestion, not a reminder either.
    expect((await render(card({ messagePurpose: 'suggestion' }), 'refresh')).title).toBe('Follow-up for Acme');
    // Posted before the purpose was recorded.
    expect((await render(card({ messagePurpose: null }), 'refresh')).title).toBe('Follow-up for Acme');
  });

  it('shows an overdue notice whose follow-up was snoozed or moved as a reminder again', async () => {
    const moved = await render(
      card({ messagePurpose: 'escalation', status: 'snoozed', dueAt: new Date(now.getTime() + hour) }),
      'refresh',
    );
    expect(moved.title).toBe('Reminder: follow up with Acme');
    expect(moved.tone).toBe('info');
    expect(moved.footer).toMatch(/^Snoozed until/);
  });
});
