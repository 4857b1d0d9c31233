import { describe, expect, it } from 'vitest';
import { retryQuarantinedMail } from '../../../connectors/imap/quarantine-retry.ts';
import { quarantineMail } from '../../../src/db/mail-quarantine.repository.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { dovecotSyncFixture } from '../../helpers/mailbox-sync.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const { setup } = dovecotSyncFixture();

const JONAS = 'Jonas Svanstrom <jonas@pathname.com>';

describe.each(TEST_DATABASE_KINDS)('erase takes quarantined mail too (%s)', (kind) => {
  it("deletes every quarantined mail that names the erased customer, keeps another customer's, and mail retry never logs them again", async () => {
    const t = await setup(kind);
    const { db, mailbox, sync, client } = t;
    try {
      // A real database refusal for some messages (a trigger), so the sync quarantines them the way it
      // quarantines mail a constraint or a limit refuses.
      await db.sql.exec(`
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.text LIKE '%POISON%' THEN RAISE EXCEPTION 'poison refused by the test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
      const mails = [
        buildEmail({ from: JONAS, subject: 'Pathname licence', body: 'fine' }),
        buildEmail({ from: 'Ann <ann@acme.com>', subject: 'Acme order', body: 'fine too' }),
        // Each names Svanstrom in another header: From, To (our answer), Cc, Reply-To at a subdomain.
        buildEmail({ from: JONAS, subject: 'Licence again', body: 'POISON from Jonas' }),
        buildEmail({ from: 'Help <help@support.example>', to: JONAS, subject: 'Re: Licence', body: 'POISON to him' }),
        buildEmail({ from: 'Ann <ann@acme.com>', extra: [`Cc: ${JONAS}`], body: 'POISON with him in Cc' }),
        buildEmail({
          from: 'Ann <ann@acme.com>',
          extra: ['Reply-To: "Pathname Billing" <billing@eu.pathname.com>'],
          body: 'POISON answered to his company',
        }),
        buildEmail({ from: 'Ann <ann@acme.com>', subject: 'Acme only', body: 'POISON of Acme alone' }),
      ];
      for (const m of mails) await client.append('INBOX', m);
      sync.start();
      await waitFor(
        async () => sync.status.counts.logged === 2 && sync.status.counts.quarantined === 5,
        90_000,
        'two logged, five quarantined',
      );
      await sync.stop();
      expect(await db.prisma.mailQuarantine.count()).toBe(5);

      const pathname = await db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'pathname.com' } } });
      const { counts } = await eraseCustomer(db, pathname.id, { repId: 'admin', platform: 'cli' });
      const left = await db.prisma.mailQuarantine.findMany();
      expect(left.map((q) => Buffer.from(q.raw).toString())).toEqual([expect.stringContaining('POISON of Acme alone')]);
      expect(counts.quarantinedMails).toBe(4);
      for (const q of left) {
        const text = `${Buffer.from(q.raw).toString()} ${JSON.stringify(q.headers)}`.toLowerCase();
        expect(text).not.toContain('pathname');
        expect(text).not.toContain('svanstrom');
      }

      // Two quarantined just after the erasure (a sync that was mid-pass), Ann's, with him in Cc: one logged as
      // the sync logs it now (without him), one that still fails (counted as skipped: it is gone); both rows,
      // which hold him, deleted.
      for (const body of ['Late, Cc him. Jonas Svanstrom will confirm.', 'POISON still, with him in Cc'])
        await quarantineMail(db, {
          mailbox: mailbox.address,
          raw: Buffer.from(buildEmail({ from: 'Ann <ann@acme.com>', extra: [`Cc: ${JONAS}`], body })),
          headers: {},
          error: 'poison refused by the test',
          note: 'quarantined after the erasure',
        });
      expect(await retryQuarantinedMail(db, t.retryConfig)).toEqual({ tried: 3, logged: 1, skipped: 1, failed: 1 });
      expect(await db.prisma.mailQuarantine.count()).toBe(1);
      await db.sql.exec('DROP TRIGGER refuse_poison ON "Message"');
      expect(await retryQuarantinedMail(db, t.retryConfig)).toEqual({ tried: 1, logged: 1, skipped: 0, failed: 0 });
      expect(await db.prisma.message.count({ where: { text: { contains: 'POISON of Acme alone' } } })).toBe(1);
      const late = await db.prisma.message.findFirstOrThrow({ where: { text: { contains: 'Late, Cc him' } } });
      expect(late.text).toContain('Late, Cc him. [erased] will confirm.');
      const rows = await db.prisma.mailQuarantine.findMany();
      expect(rows.map((q) => Buffer.from(q.raw).toString())).toEqual([expect.stringContaining('POISON of Acme alone')]);
      const messages = await db.sql.query<{ j: string }>(`SELECT row_to_json(m)::text AS j FROM "Message" m`);
      expect(messages.map((m) => m.j.toLowerCase()).join('\n')).not.toContain('pathname');
    } finally {
      await t.close();
    }
  }, 180_000);
});
