import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { confirmEmailContact } from '../../../src/db/email-log.repository.ts';
import { listUnconfirmedSenders, makeCustomer } from '../../../src/services/make-customer.service.ts';
import { strangerMail } from '../../helpers/unconfirmed-mail.ts';

const admin = { repId: 'admin', platform: 'console' };

// `rapport mail unconfirmed` and `make customer`, on rows as the IMAP importer leaves them for senders
// nobody answered (a contact and a record without a company), without a mail server: the mail side is
// covered by test/integration/imap/mixed-mailbox.test.ts.
describe.each(TEST_DATABASE_KINDS)('unconfirmed senders and make customer on %s', (kind) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('lists senders grouped by company domain (free mail by address), newest first, then makes one a customer', async () => {
    const first = await strangerMail(t.db, 'sales@vendor-one.example', 'Our catalogue', '2026-11-01T10:00:00Z');
    await strangerMail(t.db, 'ops@vendor-one.example', 'Delivery times', '2026-11-03T10:00:00Z');
    await strangerMail(t.db, 'someone@gmail.com', 'A question', '2026-11-02T10:00:00Z');

    // The other tests of this file share the database and leave senders of their own: in any order (CI
    // shuffles), this one reads only the senders it wrote.
    const mine = async () =>
      (await listUnconfirmedSenders(t.db)).filter((u) => ['vendor-one.example', 'someone@gmail.com'].includes(u.key));
    const listed = await mine();
    expect(listed.map((u) => [u.key, u.contacts, u.records])).toEqual([
      ['vendor-one.example', 2, 2],
      ['someone@gmail.com', 1, 1],
    ]);
    expect(listed[0].lastMessageAt.toISOString()).toBe('2026-11-03T10:00:00.000Z');
    expect(listed[0].subjects.sort()).toEqual(['Delivery times', 'Our catalogue']);

    const made = await makeCustomer(t.db, 'vendor-one.example', admin);
    expect(made).toMatchObject({ name: 'Vendor One', created: true, contacts: 2, records: 2 });
    const record = await t.db.prisma.communicationRecord.findUniqueOrThrow({ where: { id: first } });
    expect(record.companyId).toBe(made.companyId);
    expect((await mine()).map((u) => u.key)).toEqual(['someone@gmail.com']);

    // Nothing left at that domain; an IP literal is neither a domain nor an address.
    await expect(makeCustomer(t.db, 'vendor-one.example', admin)).rejects.toThrow(/No unconfirmed sender/);
    await expect(makeCustomer(t.db, '192.168.1.20', admin)).rejects.toThrow(/neither a company domain/);
  });

  /** A follow-up a rep made on a company-less record (the console's or /crm's "follow up" on it). */
  const followUpOn = (recordId: string) =>
    t.db.prisma.followUp.create({
      data: {
        recordId,
        companyId: null,
        title: 'Send the price list',
        dueAt: new Date('2026-11-10T10:00:00Z'),
        source: 'manual',
      },
    });

  // Before, the follow-up kept no customer: it stayed in the default channel's digest, never the
  // customer's, and the customer's page did not list it.
  it('make customer moves the follow-ups made on the sender’s records to the customer, and no other', async () => {
    const record = await strangerMail(t.db, 'ann@vendor-three.example', 'Price list', '2026-11-07T10:00:00Z');
    const other = await strangerMail(t.db, 'someone@vendor-four.example', 'Hello', '2026-11-07T11:00:00Z');
    const followUp = await followUpOn(record);
    const untouched = await followUpOn(other);
    const made = await makeCustomer(t.db, 'vendor-three.example', admin);
    const read = (id: string) => t.db.prisma.followUp.findUniqueOrThrow({ where: { id } });
    expect((await read(followUp.id)).companyId).toBe(made.companyId);
    expect((await read(untouched.id)).companyId).toBeNull();
  });

  it('confirming a sender (our reply) moves the follow-ups made on its records with them, into a company it creates', async () => {
    const record = await strangerMail(t.db, 'bo@vendor-five.example', 'Samples', '2026-11-08T10:00:00Z');
    const followUp = await followUpOn(record);
    const contact = await t.db.prisma.contact.findFirstOrThrow({
      where: { emails: { has: 'bo@vendor-five.example' } },
    });
    const companyId = randomUUID();
    await confirmEmailContact(
      t.db.sql,
      { contactId: contact.id, companyId },
      { name: 'Vendor Five', normalizedName: 'vendor five', domain: 'vendor-five.example' },
      new Date('2026-11-08T12:00:00Z'),
    );
    const company = await t.db.prisma.company.findUniqueOrThrow({ where: { id: companyId } });
    expect(company.name).toBe('Vendor Five');
    expect((await t.db.prisma.communicationRecord.findUniqueOrThrow({ where: { id: record } })).companyId).toBe(
      companyId,
    );
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } })).companyId).toBe(companyId);
  });

  it('counts a thread two people of one domain wrote in once, and shows the newest subjects first', async () => {
    const thread = await strangerMail(t.db, 'ann@vendor-two.example', 'Pallet sizes', '2026-11-05T10:00:00Z');
    // Bo answers in Ann's thread: the same record.
    const bo = await t.db.prisma.contact.create({
      data: { companyId: null, name: 'bo', normalizedName: 'bo', emails: ['bo@vendor-two.example'] },
    });
    await t.db.prisma.message.create({
      data: {
        recordId: thread,
        externalId: '<re-pallets@vendor-two.example>',
        direction: 'inbound',
        contactId: bo.id,
        authorEmail: 'bo@vendor-two.example',
        text: 'And the heights?',
        cleanText: 'And the heights?',
        sentAt: new Date('2026-11-05T11:00:00Z'),
      },
    });
    const ann = await t.db.prisma.contact.findFirstOrThrow({ where: { emails: { has: 'ann@vendor-two.example' } } });
    await strangerMail(t.db, 'ann@vendor-two.example', 'Opening hours', '2026-11-04T10:00:00Z', { contactId: ann.id });
    await strangerMail(t.db, 'bo@vendor-two.example', 'Invoice copy', '2026-11-06T10:00:00Z', { contactId: bo.id });
    const [two] = (await listUnconfirmedSenders(t.db)).filter((u) => u.key === 'vendor-two.example');
    expect(two).toMatchObject({ contacts: 2, records: 3, subjects: ['Invoice copy', 'Pallet sizes', 'Opening hours'] });
    const made = await makeCustomer(t.db, 'vendor-two.example', admin);
    expect(made).toMatchObject({ contacts: 2, records: two.records });
  });
});
