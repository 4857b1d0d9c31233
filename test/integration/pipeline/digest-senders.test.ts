import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReplyText } from '../../../src/commands/render-reply-text.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { buildDigest } from '../../../src/notifications/digest.notification.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.ts';
import { strangerMail } from '../../helpers/unconfirmed-mail.ts';

// Senders nobody answered yet belong to no customer and get no suggestions: the daily digest of the
// channel for customers without a team channel names the ones who wrote in the last day, so the team
// sees who is waiting without opening the console.
describe('the daily digest names new senders who are not customers yet', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("in the default channel: the last day's senders with how to make them customers; a team channel does not get them", async () => {
    const now = new Date('2026-12-04T09:00:00Z');
    await strangerMail(t.db, 'sales@vendor-one.example', 'Our catalogue', '2026-12-03T16:00:00Z');
    await strangerMail(t.db, 'ops@vendor-one.example', 'Delivery times', '2026-12-04T08:00:00Z');
    await strangerMail(t.db, 'jo.baker@gmail.com', 'Order for 40 cakes', '2026-12-04T07:30:00Z');
    // Wrote two days ago: in the console's list, not news for today's digest.
    await strangerMail(t.db, 'old@quiet-vendor.example', 'Hello', '2026-12-02T08:00:00Z');

    const digest = await buildDigest(t.db, 'console:team', 'UTC', now);
    expect(digest.text).toBe(
      'Daily digest: 0 due today, 0 overdue, 0 new suggestion(s), 2 new sender(s) not yet customers.',
    );
    const makeCustomer = (key: string) => ({
      label: 'Make customer',
      command: `make customer ${key}`,
      style: 'primary',
      confirm: `Make ${key} a customer? Their conversations move to it and their new mail gets follow-up suggestions.`,
    });
    expect(digest.sections).toEqual([
      { title: 'New senders not yet customers (2)' },
      {
        text: 'vendor-one.example: 2 people, 2 conversations, "Delivery times"',
        buttons: [makeCustomer('vendor-one.example')],
      },
      {
        text: 'jo.baker@gmail.com: 1 person, 1 conversation, "Order for 40 cakes"',
        buttons: [makeCustomer('jo.baker@gmail.com')],
      },
      {
        text: 'Answering them makes them customers; so does Make customer, here, on the console page Senders not yet customers (/console/senders) or with `rapport mail make-customer DOMAIN`.',
      },
    ]);
    expect(renderReplyText(digest)).toContain('jo.baker@gmail.com: 1 person');

    // A channel that is some customer's team channel hears of that customer only.
    const acme = await t.db.prisma.company.create({
      data: { name: 'Acme', normalizedName: normalizeCompanyName('Acme') },
    });
    await t.db.prisma.teamChannel.create({ data: { companyId: acme.id, platform: 'console', channelRef: 'sales' } });
    const team = await buildDigest(t.db, 'console:sales', 'UTC', now);
    expect(team.text).toBe('Daily digest: 0 due today, 0 overdue, 0 new suggestion(s). Nothing needs you today.');
    expect(team.sections).toEqual([]);
  });
});
