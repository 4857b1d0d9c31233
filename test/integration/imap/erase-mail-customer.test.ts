import { describe, expect, it } from 'vitest';
import { parseEmailSource } from '../../../connectors/imap/parse-email-source.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { exportCustomer, formatCustomerExport } from '../../../src/services/export-customer.service.ts';
import { logEmail } from '../../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import type { Database } from '../../../src/db/database.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { everyRow } from '../../helpers/every-row.ts';

const opts = { internalDomains: ['support.example'], hooks: noopPipelineHooks, createCompanies: 'all' as const };

/** Logs a raw mail into `db` as the support mailbox's sync would. */
const logInto = (db: Database) => async (raw: string) =>
  logEmail(db, await parseEmailSource(Buffer.from(raw), { mailbox: 'support@support.example' }), opts);

describe.each(TEST_DATABASE_KINDS)('erase means erase (%s)', (kind) => {
  it("leaves no trace of the person in any row or in another customer's export", async () => {
    const t = await createTestDatabase(kind);
    try {
      const log = logInto(t.db);
      // Svanstrom's own thread at his company.
      await log(
        buildEmail({
          from: 'Jonas Svanstrom <jonas@pathname.com>',
          messageId: 'p1@pathname.com',
          subject: 'Pathname licence',
        }),
      );
      // Acme's thread: Acme writes, Svanstrom replies in it (Cc'd), Acme quotes him, we answer with him in Cc.
      await log(
        buildEmail({
          from: 'Ann <ann@acme.com>',
          messageId: 'a1@acme.com',
          subject: 'Integration with Jonas Svanstrom',
        }),
      );
      await log(
        buildEmail({
          from: 'Jonas Svanstrom <jonas@pathname.com>',
          to: 'ann@acme.com',
          messageId: 'p2@pathname.com',
          inReplyTo: 'a1@acme.com',
          references: ['a1@acme.com'],
          subject: 'Re: Integration with Jonas Svanstrom',
          body: 'Our API key is on its way. Jonas\n+46 70 123 45 67',
        }),
      );
      await log(
        buildEmail({
          from: 'Ann <ann@acme.com>',
          messageId: 'a2@acme.com',
          inReplyTo: 'p2@pathname.com',
          references: ['a1@acme.com', 'p2@pathname.com'],
          subject: 'Re: Integration with Jonas Svanstrom',
          body: 'Thanks Svanstrom!\n\nOn Mon, Jonas Svanstrom <jonas@pathname.com> wrote:\n> Our API key is on its way.',
        }),
      );
      await log(
        buildEmail({
          from: 'Support <help@support.example>',
          to: 'ann@acme.com',
          extra: ['Cc: Jonas Svanstrom <jonas@pathname.com>'],
          messageId: 's1@support.example',
          inReplyTo: 'a2@acme.com',
          references: ['a1@acme.com', 'a2@acme.com'],
          subject: 'Re: Integration with Jonas Svanstrom',
        }),
      );
      const acme = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'acme.com' } } });
      const pathname = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'pathname.com' } } });
      await t.db.prisma.followUp.create({
        data: { companyId: acme.id, title: 'Ask Svanstrom for the key', dueAt: new Date(), source: 'manual' },
      });
      expect(await everyRow(t.db)).toContain('svanstrom');

      const { counts } = await eraseCustomer(t.db, pathname.id, { repId: 'admin', platform: 'cli' });
      expect(counts.redactedMessages).toBeGreaterThanOrEqual(3);

      const rows = await everyRow(t.db);
      for (const trace of ['svanstrom', 'jonas@pathname.com', 'pathname.com', '+46 70 123 45 67'])
        expect(rows, trace).not.toContain(trace);
      const data = await exportCustomer(t.db, acme.id, undefined);
      for (const format of ['json', 'csv'] as const) {
        const text = formatCustomerExport(data, format).toLowerCase();
        expect(text).not.toContain('svanstrom');
        expect(text).not.toContain('pathname');
        expect(text).toContain('integration with'); // Acme's own data stays
      }
      // Acme's thread keeps its shape: 4 messages, his own one emptied.
      const msgs = await t.db.prisma.message.findMany({
        where: { record: { companyId: acme.id } },
        orderBy: { sentAt: 'asc' },
      });
      expect(msgs).toHaveLength(4);
      expect(msgs.filter((m) => m.text === '[erased]')).toHaveLength(1);
    } finally {
      await t.dispose();
    }
  });

  it("logs a later mail that copies them without them, and skips one that is theirs or their subdomain's", async () => {
    const t = await createTestDatabase(kind);
    try {
      const log = logInto(t.db);
      await log(
        buildEmail({
          from: 'Jonas Svanstrom <jonas@pathname.com>',
          messageId: 'p1@pathname.com',
          subject: 'Pathname licence',
        }),
      );
      await log(buildEmail({ from: 'Ann <ann@acme.com>', subject: 'Acme order' }));
      const pathname = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'pathname.com' } } });
      await eraseCustomer(t.db, pathname.id, { repId: 'admin', platform: 'cli' });

      // Ann copies him; we answer Ann with him in Cc: both are Acme's, logged without him.
      const inbound = await log(
        buildEmail({
          from: 'Ann <ann@acme.com>',
          extra: ['Cc: Jonas Svanstrom <jonas@pathname.com>'],
          // It answers his old mail: its id names his company's domain.
          inReplyTo: 'p9@mx.pathname.com',
          references: ['p9@mx.pathname.com'],
          subject: 'Acme order, Jonas Svanstrom in copy',
          body: 'Jonas Svanstrom (jonas@pathname.com) will send the licence from Pathname.com. Thanks Jonas, will do!',
        }),
      );
      const outbound = await log(
        buildEmail({
          from: 'Help <help@support.example>',
          to: 'Ann <ann@acme.com>',
          extra: ['Cc: Jonas Svanstrom <jonas@pathname.com>'],
          subject: 'Re: Acme order',
          body: 'Noted, Ann.',
        }),
      );
      expect(inbound).toMatchObject({ status: 'logged' });
      expect(outbound).toMatchObject({ status: 'logged' });
      const acme = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'acme.com' } } });
      const msgs = await t.db.prisma.message.findMany({ where: { record: { companyId: acme.id } } });
      expect(msgs).toHaveLength(3);
      const copied = msgs.find((m) => m.text.includes('will send the licence'))!;
      // His address, full name and erased domain go; the customer's own words ("will") stay, and so does a
      // first name alone.
      expect(copied.text).toBe('[erased] ([erased]) will send the licence from [erased]. Thanks Jonas, will do!');
      expect((copied.metadata as { notes: string[] }).notes).toEqual([
        'A person erased on request left out of To/Cc; their address and name struck from the subject and text.',
        '1 message id(s) at an erased domain replaced by a hash.',
      ]);
      expect((copied.metadata as { references: string[] }).references).toEqual([
        expect.stringMatching(/^erased-[0-9a-f]{32}@erased\.invalid$/),
      ]);
      // Theirs (to them alone, from them, from their company's subdomain) is skipped as before.
      for (const raw of [
        buildEmail({ from: 'Help <help@support.example>', to: 'jonas@pathname.com', subject: 'Your licence' }),
        buildEmail({ from: 'jonas@pathname.com', subject: 'Licence again' }),
        buildEmail({ from: 'Pathname Billing <billing@eu.pathname.com>', subject: 'Invoice 7' }),
        // Someone else answering in his erased thread (by its real id, however ids at his domain are kept).
        buildEmail({
          from: 'Kim <kim.l@gmail.com>',
          inReplyTo: 'p1@pathname.com',
          references: ['p1@pathname.com'],
          subject: 'Re: Pathname licence',
        }),
      ])
        expect(await log(raw)).toEqual({ status: 'skipped', reason: 'tombstoned' });
      const rows = await everyRow(t.db);
      for (const trace of ['svanstrom', 'pathname']) expect(rows, trace).not.toContain(trace);
    } finally {
      await t.dispose();
    }
  });

  it("a thread another customer's record is named after their mail still takes replies after the erase", async () => {
    const t = await createTestDatabase(kind);
    try {
      const log = logInto(t.db);
      // Svanstrom wrote to Ann from his phone (a Message-ID that does not name him); Ann forwarded the thread
      // to us first, so Acme's record is named after his mail, and his mail joined it when it came.
      await log(
        buildEmail({
          from: 'Ann <ann@acme.com>',
          messageId: 'a1@acme.com',
          inReplyTo: 'CAxyz42@mail.gmail.com',
          references: ['CAxyz42@mail.gmail.com'],
          subject: 'Re: Licence renewal',
        }),
      );
      const his = await log(
        buildEmail({
          from: 'Jonas Svanstrom <jonas@pathname.com>',
          to: 'ann@acme.com',
          extra: ['Cc: support@support.example'],
          messageId: 'CAxyz42@mail.gmail.com',
          subject: 'Licence renewal',
        }),
      );
      const acme = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'acme.com' } } });
      const record = await t.db.prisma.communicationRecord.findFirstOrThrow({ where: { companyId: acme.id } });
      expect(his).toMatchObject({ status: 'logged', recordId: record.id });
      expect(record.sourceKey).toBe('email:<CAxyz42@mail.gmail.com>');
      const pathname = await t.db.prisma.company.findFirstOrThrow({ where: { domains: { has: 'pathname.com' } } });

      await eraseCustomer(t.db, pathname.id, { repId: 'admin', platform: 'cli' });

      // His mail no longer threads anything: a reply naming only it starts a thread of its own, and is kept.
      const reply = await log(
        buildEmail({
          from: 'Bob <bob@acme.com>',
          messageId: 'b1@acme.com',
          inReplyTo: 'CAxyz42@mail.gmail.com',
          references: ['CAxyz42@mail.gmail.com'],
          subject: 'Re: Licence renewal',
          body: 'Any news on the renewal?',
        }),
      );
      expect(reply).toMatchObject({ status: 'logged', newRecord: true });
      expect(await t.db.prisma.message.count({ where: { recordId: record.id } })).toBe(2);
    } finally {
      await t.dispose();
    }
  });
});
