import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { MailboxSync } from '../../../connectors/imap/mailbox-sync.ts';
import { compileEmailFilterRules } from '../../../src/domain/email-filter-rules.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { listUnconfirmedSenders, makeCustomer } from '../../../src/services/make-customer.service.ts';
import { dovecotMailbox, startDovecot, type DovecotServer } from '../../helpers/dovecot.ts';
import { testSyncDeps } from '../../helpers/mailbox-sync.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

let dovecot: DovecotServer;
let redis: Redis;
beforeAll(async () => {
  dovecot = await startDovecot();
  redis = connectRedis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  redis?.disconnect();
  await dovecot?.stop();
});

const SUPPORT = 'support@support.example';

/**
 * A support inbox as it really looks: a few customers (one answered from Sent, one we wrote to first,
 * one on a domain a company already owns) among spam of every header style, newsletters, ESP mail,
 * a mailing list, free-mail and ISP senders nobody answered, an IP-literal sender, and a Junk folder.
 */
function mixedMailbox() {
  const inbox = [
    // planted customer 1: asks, and we answer from Sent
    buildEmail({ from: 'Jo Doe <jo@acme-corp.com>', messageId: 'q1@acme-corp.com', subject: 'Export broken' }),
    // planted customer 2: a domain a company already owns
    buildEmail({ from: 'Ann <ann@globex.com>', subject: 'Renewal question' }),
    // spam, every header style
    buildEmail({ from: 'win@prizes-now.biz', extra: ['X-Spam-Flag: YES'] }),
    buildEmail({ from: 'deal@cheap-meds.biz', extra: ['X-Spam-Status: Yes, score=9.3 required=5.0'] }),
    buildEmail({ from: 'offer@sendgreatoffers.com', extra: ['X-Spam-Level: ********'] }),
    buildEmail({ from: 'invoice@fake-bank.com', extra: ['X-MS-Exchange-Organization-SCL: 9'] }),
    buildEmail({
      from: 'security@paypa1.com',
      extra: [
        'Authentication-Results: mx.support.example; spf=fail; dkim=none; dmarc=fail (p=REJECT) header.from=paypa1.com',
      ],
    }),
    // bulk
    buildEmail({ from: 'news@insurancemail.net', extra: ['Precedence: bulk'] }),
    buildEmail({ from: 'hello@saas-weekly.com', extra: ['List-Unsubscribe: <https://saas-weekly.com/u/1>'] }),
    buildEmail({ from: 'promo@shoe-store.com', extra: ['X-SG-EID: abc123'] }),
    buildEmail({ from: 'team@conference.org', extra: ['Feedback-ID: 1:campaign:esp'] }),
    buildEmail({ from: 'dev@lists.project.org', extra: ['List-Id: <dev.lists.project.org>'] }),
    // unanswered senders: free mail, ISP, IP literal, a stranger on a company domain
    buildEmail({ from: 'someone@gmail.com', subject: 'hi' }),
    buildEmail({ from: 'old@excite.com', subject: 'question' }),
    buildEmail({ from: 'bob@comcast.net', subject: 'question 2' }),
    buildEmail({ from: 'user@[192.168.1.20]', subject: 'from an IP' }),
    buildEmail({ from: 'sales@randomvendor.com', subject: 'Partnership opportunity' }),
    // a route rule and a quiet rule (configured)
    buildEmail({ from: 'ap@globex.com', subject: 'Invoice 42 overdue' }),
  ];
  const sent = [
    buildEmail({
      from: `Support <${SUPPORT}>`,
      to: 'jo@acme-corp.com',
      messageId: 'a1@support.example',
      inReplyTo: 'q1@acme-corp.com',
      references: ['q1@acme-corp.com'],
      subject: 'Re: Export broken',
    }),
    // planted customer 3: we wrote first
    buildEmail({ from: `Support <${SUPPORT}>`, to: 'pm@initech.com', subject: 'Your onboarding' }),
  ];
  const junk = [buildEmail({ from: 'ceo@junk-company.com', subject: 'Re: your order' })];
  return { inbox, sent, junk };
}

describe.each(TEST_DATABASE_KINDS)('a realistic mixed support mailbox on %s', (kind) => {
  it('after the sync the company list holds only the planted customers; the rest is filtered or unconfirmed', async () => {
    const account = await dovecot.addUser(`support-${randomBytes(3).toString('hex')}@support.example`);
    const tdb = await createTestDatabase(kind);
    const db = tdb.db;
    const client = await dovecot.client(account);
    const mail = mixedMailbox();
    await client.mailboxCreate('Sent');
    await client.mailboxCreate('Junk');
    for (const m of mail.inbox) await client.append('INBOX', m);
    for (const m of mail.sent) await client.append('Sent', m);
    for (const m of mail.junk) await client.append('Junk', m);
    await client.logout();
    await db.prisma.company.create({ data: { name: 'Globex', normalizedName: 'globex', domains: ['globex.com'] } });
    const { rules } = compileEmailFilterRules([
      { name: 'billing', field: 'subject', pattern: '\\binvoice\\b', action: 'route', target: 'slack:T1/CBILLING' },
    ]);
    const mailbox = dovecotMailbox(dovecot, account, { folders: ['INBOX', 'Sent', 'Junk'] });
    const sync = new MailboxSync(mailbox, testSyncDeps(db, redis, { filters: rules }));
    try {
      sync.start();
      const total = mail.inbox.length + mail.sent.length;
      const seen = () => {
        const c = sync.status.counts;
        return c.logged + c.duplicates + Object.values(c.skipped).reduce<number>((a, b) => a + (b ?? 0), 0);
      };
      await waitFor(async () => seen() >= total && sync.status.skippedFolders.Junk !== undefined, 20_000, 'sync');
      const companies = await db.prisma.company.findMany({ orderBy: { name: 'asc' } });
      expect(companies.map((c) => c.name)).toEqual(['Acme Corp', 'Globex', 'Initech']);
      expect(sync.status.counts.skipped).toEqual({ spam: 5, bulk: 4, 'mailing-list': 1 });
      expect(sync.status.skippedFolders.Junk).toMatch(/spam/);
      expect(await db.prisma.message.count({ where: { authorEmail: 'ceo@junk-company.com' } })).toBe(0);

      // The question answered from Sent is one record of Acme, reply included.
      const acme = await db.prisma.communicationRecord.findMany({
        where: { company: { name: 'Acme Corp' } },
        include: { messages: true },
      });
      expect(acme).toHaveLength(1);
      expect(acme[0].messages.map((m) => m.direction).sort()).toEqual(['inbound', 'outbound']);

      // The route rule marked its mail; the classify job reads it as the suggestion's channel.
      const routed = await db.prisma.message.findFirstOrThrow({ where: { authorEmail: 'ap@globex.com' } });
      expect(routed.metadata).toMatchObject({
        filter: { rule: 'billing', action: 'route', target: 'slack:T1/CBILLING' },
      });

      // Nobody answered these: logged, but not customers. IP literals and ISPs never become companies.
      const unconfirmed = await listUnconfirmedSenders(db);
      expect(unconfirmed.map((u) => u.key).sort()).toEqual(
        ['bob@comcast.net', 'old@excite.com', 'randomvendor.com', 'someone@gmail.com', 'user@[192.168.1.20]'].sort(),
      );
      const stranger = await db.prisma.message.findFirstOrThrow({ where: { authorEmail: 'sales@randomvendor.com' } });
      expect(stranger.metadata).toMatchObject({ customer: 'unconfirmed' });

      // One command makes the stranger a customer, with its record.
      const made = await makeCustomer(db, 'randomvendor.com', { repId: 'admin', platform: 'console' });
      expect(made).toMatchObject({ name: 'Randomvendor', created: true, contacts: 1, records: 1 });
      const record = await db.prisma.communicationRecord.findUniqueOrThrow({ where: { id: stranger.recordId } });
      expect(record.companyId).toBe(made.companyId);
      await expect(makeCustomer(db, '192.168.1.20', { repId: 'admin', platform: 'console' })).rejects.toThrow(
        /neither a company domain nor an email address/,
      );
    } finally {
      await sync.stop();
      await tdb.dispose();
    }
  });

  it('an unconfirmed sender becomes a customer when we answer later', async () => {
    const account = await dovecot.addUser(`support-${randomBytes(3).toString('hex')}@support.example`);
    const tdb = await createTestDatabase(kind);
    const client = await dovecot.client(account);
    await client.append('INBOX', buildEmail({ from: 'kim@hooli.com', messageId: 'h1@hooli.com', subject: 'Pricing' }));
    const sync = new MailboxSync(dovecotMailbox(dovecot, account), testSyncDeps(tdb.db, redis));
    try {
      sync.start();
      await waitFor(async () => (await tdb.db.prisma.message.count()) === 1, 10_000, 'first mail');
      expect(await tdb.db.prisma.company.count()).toBe(0);
      // Our answer, e.g. sent from a client that files it in INBOX (Cc to the support address).
      await client.append(
        'INBOX',
        buildEmail({
          from: `Support <${SUPPORT}>`,
          to: 'kim@hooli.com',
          inReplyTo: 'h1@hooli.com',
          references: ['h1@hooli.com'],
          subject: 'Re: Pricing',
        }),
      );
      await waitFor(async () => (await tdb.db.prisma.message.count()) === 2, 10_000, 'answer');
      const records = await tdb.db.prisma.communicationRecord.findMany({ include: { company: true } });
      expect(records).toHaveLength(1);
      expect(records[0].company?.name).toBe('Hooli');
      const contact = await tdb.db.prisma.contact.findFirstOrThrow({ where: { emails: { has: 'kim@hooli.com' } } });
      expect(contact.companyId).toBe(records[0].companyId);
    } finally {
      await client.logout().catch(() => undefined);
      await sync.stop();
      await tdb.dispose();
    }
  });
});
