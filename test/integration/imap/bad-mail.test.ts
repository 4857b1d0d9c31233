import { describe, expect, it } from 'vitest';
import { retryQuarantinedMail } from '../../../connectors/imap/quarantine-retry.ts';
import { quarantineMail } from '../../../src/db/mail-quarantine.repository.ts';
import { dovecotSyncFixture } from '../../helpers/mailbox-sync.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const { setup } = dovecotSyncFixture();

describe.each(TEST_DATABASE_KINDS)('bad mail is kept, never lost (%s)', (kind) => {
  it('logs mail with 3 kB ids, names and addresses and a year-99999 date, with notes', async () => {
    const t = await setup(kind);
    try {
      const long = 'x'.repeat(3000);
      const internal = new Date('2026-11-20T08:00:00Z');
      await t.client.append(
        'INBOX',
        [
          `From: "${'N'.repeat(3000)}" <${long}@longco.com>`,
          'To: support@support.example',
          'Subject: Long everything',
          'Date: Mon, 1 Jan 99999 10:00:00 +0000',
          `Message-ID: <${long}@longco.com>`,
          `In-Reply-To: <${'y'.repeat(3000)}@longco.com>`,
          'Content-Type: text/plain',
          '',
          'Hello',
          '',
        ].join('\r\n'),
        [],
        internal,
      );
      await t.client.append(
        'INBOX',
        buildEmail({ from: 'jo@shortco.com', subject: 'Short', date: new Date('2026-11-21T08:00:00Z') }),
      );
      t.sync.start();
      await waitFor(async () => t.sync.status.counts.logged === 2, 20_000, 'both logged');
      expect(t.sync.status.counts.failed).toBe(0);
      const msg = await t.db.prisma.message.findFirstOrThrow({ where: { text: 'Hello' }, include: { record: true } });
      expect(msg.externalId).toMatch(/^email:idhash:[0-9a-f]{64}$/);
      expect(msg.sentAt.toISOString()).toBe(internal.toISOString());
      const meta = msg.metadata as { messageId: string; notes: string[] };
      expect(meta.messageId).toBe(`${long}@longco.com`); // the full id is kept
      expect(meta.notes.join(' ')).toMatch(/outside the sane window/);
      expect(meta.notes.join(' ')).toMatch(/characters \(over 254\)/);
      expect(msg.authorEmail).toMatch(/^long-[0-9a-f]{16}@longco\.com$/);
    } finally {
      await t.close();
    }
  });

  it('tries every quarantined mail, however many before it fail again', async () => {
    const t = await setup(kind);
    try {
      // More than a page of mail that fails again at every retry (kept without its source), then one
      // that can be logged now.
      for (let uid = 1000; uid <= 1500; uid++)
        await quarantineMail(t.db, {
          mailbox: t.mailbox.address,
          folder: 'INBOX',
          uid,
          raw: Buffer.alloc(0),
          headers: {},
          error: 'the mail server sent no body',
          note: 'passed over without its source',
        });
      await quarantineMail(t.db, {
        mailbox: t.mailbox.address,
        folder: 'INBOX',
        uid: 2000,
        raw: Buffer.from(buildEmail({ from: 'late@okco.com', subject: 'Last in line', body: 'Behind 501 others' })),
        headers: {},
        error: 'refused once',
        note: 'kept for the test',
      });
      expect(await retryQuarantinedMail(t.db, t.retryConfig)).toEqual({
        tried: 502,
        logged: 1,
        skipped: 0,
        failed: 501,
      });
      expect(await t.db.prisma.message.count({ where: { text: { contains: 'Behind 501 others' } } })).toBe(1);
    } finally {
      await t.close();
    }
  }, 120_000);

  it("logs a quarantined customer's mail to a free-mail support address on retry, as the sync would", async () => {
    const t = await setup(kind);
    try {
      // A support mailbox at Gmail: gmail.com is its customers' domain too, not an internal one.
      const mailbox = { ...t.mailbox, address: 'acme.help@gmail.com' };
      await quarantineMail(t.db, {
        mailbox: mailbox.address,
        folder: 'INBOX',
        uid: 7,
        raw: Buffer.from(buildEmail({ from: 'Bob <bob@gmail.com>', to: mailbox.address, body: 'My order is late' })),
        headers: {},
        error: 'refused once',
        note: 'kept for the test',
      });
      const config = { imap: [mailbox], internalDomains: [], mailFilters: [], mailFilterDefaults: true };
      expect(await retryQuarantinedMail(t.db, config)).toEqual({ tried: 1, logged: 1, skipped: 0, failed: 0 });
      expect(await t.db.prisma.message.count({ where: { text: { contains: 'My order is late' } } })).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('quarantines a message the database refuses, raw, and rapport mail retry logs it later', async () => {
    const t = await setup(kind);
    try {
      // A real database refusal for one message (a trigger), the way a constraint or a limit refuses it.
      await t.db.sql.exec(`
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.text LIKE '%POISON%' THEN RAISE EXCEPTION 'poison refused by the test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
      await t.client.append('INBOX', buildEmail({ from: 'a@okco.com', subject: 'Before', body: 'fine' }));
      await t.client.append('INBOX', buildEmail({ from: 'b@okco.com', subject: 'Poisoned', body: 'POISON here' }));
      await t.client.append('INBOX', buildEmail({ from: 'c@okco.com', subject: 'After', body: 'fine too' }));
      t.sync.start();
      await waitFor(
        async () => t.sync.status.counts.logged === 2 && t.sync.status.counts.quarantined === 1,
        30_000,
        'sync',
      );
      const [q] = await t.db.prisma.mailQuarantine.findMany();
      expect(q.error).toContain('poison refused by the test');
      expect(q.note).toContain('rapport mail retry');
      expect((q.headers as Record<string, string>).subject).toBe('Poisoned');
      expect(Buffer.from(q.raw).toString()).toContain('POISON here');

      await t.db.sql.exec('DROP TRIGGER refuse_poison ON "Message"');
      expect(await retryQuarantinedMail(t.db, t.retryConfig)).toEqual({ tried: 1, logged: 1, skipped: 0, failed: 0 });
      expect(await t.db.prisma.message.count({ where: { text: { contains: 'POISON' } } })).toBe(1);
      expect(await retryQuarantinedMail(t.db, t.retryConfig)).toMatchObject({ tried: 0 });

      // One the mail server sent no body for is kept without its source: retry never resolves it as empty.
      await quarantineMail(t.db, {
        mailbox: t.mailbox.address,
        folder: 'INBOX',
        uid: 99,
        raw: Buffer.alloc(0),
        headers: {},
        error: 'the mail server sent no body for UID 99',
        note: 'passed over without its source',
      });
      expect(await retryQuarantinedMail(t.db, t.retryConfig)).toEqual({ tried: 1, logged: 0, skipped: 0, failed: 1 });
      const [empty] = await t.db.prisma.mailQuarantine.findMany({ where: { uid: 99 } });
      expect(empty).toMatchObject({ resolvedAt: null, error: expect.stringContaining('no body') });
    } finally {
      await t.close();
    }
  });

  it('a quarantined mail over the size limit, with an insane date, is retried as the sync would have logged it', async () => {
    const t = await setup(kind, { maxMessageBytes: 4000 });
    try {
      await t.db.sql.exec(`
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW."authorEmail" = 'big@okco.com' THEN RAISE EXCEPTION 'poison refused by the test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
      const received = new Date('2026-11-20T08:00:00Z');
      const big = buildEmail({ from: 'big@okco.com', subject: 'Scans', body: 'scan '.repeat(2000) }).replace(
        /^Date: .*$/m,
        'Date: Mon, 1 Jan 99999 10:00:00 +0000',
      );
      await t.client.append('INBOX', big, [], received);
      t.sync.start();
      await waitFor(async () => t.sync.status.counts.quarantined === 1, 30_000, 'quarantined');
      const [q] = await t.db.prisma.mailQuarantine.findMany();
      // Only its headers were fetched: the row says so, and keeps the server's size and date.
      expect(q.note).toContain('headers only');
      expect(q.sizeBytes).toBe(Buffer.byteLength(big.replace(/\r?\n/g, '\r\n')));
      expect(q.serverDate?.toISOString()).toBe(received.toISOString());
      expect(q.raw.byteLength).toBeLessThan(1000);

      await t.db.sql.exec('DROP TRIGGER refuse_poison ON "Message"');
      expect(await retryQuarantinedMail(t.db, t.retryConfig)).toEqual({ tried: 1, logged: 1, skipped: 0, failed: 0 });
      const msg = await t.db.prisma.message.findFirstOrThrow({ where: { authorEmail: 'big@okco.com' } });
      expect(msg.sentAt.toISOString()).toBe(received.toISOString());
      expect((msg.metadata as { bodyNote: string | null }).bodyNote).toMatch(
        /over the 0 MB limit \(IMAP_MAX_MESSAGE_MB\)/,
      );
      // Retried again after the limit was raised: still only its headers, and said so.
      await t.db.prisma.message.deleteMany({ where: { authorEmail: 'big@okco.com' } });
      await t.db.prisma.mailQuarantine.updateMany({ data: { resolvedAt: null } });
      const raised = { ...t.retryConfig, imap: [{ ...t.mailbox, maxMessageBytes: 20 * 1024 * 1024 }] };
      expect(await retryQuarantinedMail(t.db, raised)).toEqual({ tried: 1, logged: 1, skipped: 0, failed: 0 });
      const again = await t.db.prisma.message.findFirstOrThrow({ where: { authorEmail: 'big@okco.com' } });
      expect((again.metadata as { bodyNote: string | null }).bodyNote).toMatch(/only its headers were fetched/);
    } finally {
      await t.close();
    }
  });
});
