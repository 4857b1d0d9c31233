import { describe, expect, it } from 'vitest';
import { parseEmailSource } from '../../../connectors/imap/parse-email-source.ts';
import type { Database } from '../../../src/db/database.ts';
import { logEmail, logEmails, type LogEmailOptions } from '../../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const opts: LogEmailOptions = { internalDomains: ['support.example'], hooks: noopPipelineHooks };
const day = (n: number) => new Date(Date.UTC(2026, 10, n, 10));

/**
 * A sync writes a fetched batch in a few multi-row statements (EmailBatchWriter); every step that
 * must see an earlier email of the batch (a reply before its parent, a subject join with the mail
 * just before, a contact confirmed by our answer, a company name taken by the mail before) is here.
 */
function mailbox(): string[] {
  const out = (to: string, o: Omit<Parameters<typeof buildEmail>[0], 'from' | 'to'>) =>
    buildEmail({ from: 'Support <help@support.example>', to, ...o });
  return [
    // A chain delivered newest first, each reply naming only its parent: renames, then merges.
    buildEmail({
      from: 'jo@initech.com',
      messageId: 'c3@initech.com',
      inReplyTo: 'c2@support.example',
      subject: 'Re: TPS',
      date: day(4),
    }),
    out('jo@initech.com', {
      messageId: 'c2@support.example',
      inReplyTo: 'c1@initech.com',
      subject: 'Re: TPS',
      date: day(3),
    }),
    buildEmail({ from: 'jo@initech.com', messageId: 'c1@initech.com', subject: 'TPS', date: day(2) }),
    // Joined by subject to the mail just before it, from the same sender, no headers.
    buildEmail({ from: 'ann@globex.com', messageId: 's1@globex.com', subject: 'Invoice 7', date: day(1) }),
    buildEmail({ from: 'ann@globex.com', messageId: 's2@globex.com', subject: 'Re: Invoice 7', date: day(2) }),
    buildEmail({ from: 'ann@globex.com', messageId: 's3@globex.com', subject: 'RE: Invoice 7', date: day(3) }),
    // Unconfirmed until we answer; then the company exists and the next mail joins its record by subject.
    buildEmail({ from: 'bo@newco.io', messageId: 'u1@newco.io', subject: 'Pricing', date: day(1) }),
    out('bo@newco.io', {
      messageId: 'u2@support.example',
      inReplyTo: 'u1@newco.io',
      subject: 'Re: Pricing',
      date: day(2),
    }),
    buildEmail({ from: 'bo@newco.io', messageId: 'u3@newco.io', subject: 'Re: Pricing', date: day(3) }),
    // Two new companies of one name in one batch: the second is named by its domain.
    out('x@acme.com', { messageId: 'a1@support.example', subject: 'Welcome', date: day(1) }),
    out('y@acme.de', { messageId: 'a2@support.example', subject: 'Willkommen', date: day(1) }),
    // One Message-ID twice, and a reply to a message of this batch.
    buildEmail({
      from: 'x@acme.com',
      messageId: 'd1@acme.com',
      inReplyTo: 'a1@support.example',
      subject: 'Re: Welcome',
      date: day(2),
    }),
    buildEmail({
      from: 'x@acme.com',
      messageId: 'd1@acme.com',
      inReplyTo: 'a1@support.example',
      subject: 'Re: Welcome',
      date: day(2),
    }),
  ];
}

/** What a user sees: which messages share a record, how each was threaded, the records' names, notes and companies. */
async function snapshot(db: Database) {
  const msgs = await db.prisma.message.findMany({
    include: { record: { include: { company: true } }, contact: { include: { company: true } } },
  });
  const members = new Map<string, string[]>();
  for (const m of msgs) members.set(m.recordId, [...(members.get(m.recordId) ?? []), m.externalId].sort());
  const companies = await db.prisma.company.findMany({
    select: { name: true, domains: true },
    orderBy: { name: 'asc' },
  });
  return {
    messages: msgs
      .map((m) => ({
        id: m.externalId,
        thread: members.get(m.recordId),
        threadedBy: (m.metadata as { threadedBy?: string }).threadedBy,
        record: m.record.sourceKey,
        note: m.record.threadingNote,
        recordCompany: m.record.company?.name ?? null,
        contactCompany: m.contact?.company?.name ?? null,
        startedAt: m.record.startedAt.toISOString(),
        lastMessageAt: m.record.lastMessageAt.toISOString(),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    companies,
  };
}

/**
 * The subject fallback within one batch: a sender's earlier mail of the batch is a candidate for its
 * later mail (worked out from the queued writes, not read again), with its record's company as the
 * batch's writes leave it.
 */
function subjectMailbox(): string[] {
  return [
    // A feed: one sender, many subjects; a reply-subject joins its first item, a plain repeat does not
    // (two mails without Re:/Fwd: are two conversations).
    buildEmail({ from: 'feed@news.example', messageId: 'f1@news.example', subject: 'Digest: apples', date: day(1) }),
    buildEmail({ from: 'feed@news.example', messageId: 'f2@news.example', subject: 'Digest: pears', date: day(2) }),
    buildEmail({
      from: 'feed@news.example',
      messageId: 'f3@news.example',
      subject: 'Re: Digest: apples',
      date: day(3),
    }),
    buildEmail({ from: 'feed@news.example', messageId: 'f4@news.example', subject: 'Digest: pears', date: day(4) }),
    // A free-mail sender's thread gets a company from a reply by header; the sender's next mail by
    // subject no longer matches it (another customer's record now).
    buildEmail({
      from: 'Support <help@support.example>',
      to: 'x@acme.com',
      messageId: 'a1@support.example',
      subject: 'Welcome',
      date: day(1),
    }),
    buildEmail({ from: 'pat@gmail.com', messageId: 'g1@gmail.com', subject: 'Quote', date: day(1) }),
    buildEmail({
      from: 'x@acme.com',
      messageId: 'g2@acme.com',
      inReplyTo: 'g1@gmail.com',
      subject: 'Re: Quote',
      date: day(2),
    }),
    buildEmail({ from: 'pat@gmail.com', messageId: 'g3@gmail.com', subject: 'Re: Quote', date: day(3) }),
    buildEmail({ from: 'pat@gmail.com', messageId: 'g4@gmail.com', subject: 'Re: Quote', date: day(4) }),
  ];
}

/**
 * A busy sender: 60 mails with other subjects between its thread and the reply, nearer in time to the
 * reply than the thread. The fallback reads the nearest 50 messages with the reply's subject, not the
 * nearest 50 of the sender (which held none of the thread, so the reply started its own).
 */
function busySenderMailbox(): string[] {
  const at = (n: number) => new Date(day(2).getTime() + n * 60_000);
  return [
    buildEmail({ from: 'feed@news.example', messageId: 'b0@news.example', subject: 'Digest: apples', date: day(1) }),
    ...Array.from({ length: 60 }, (_, n) =>
      buildEmail({ from: 'feed@news.example', messageId: `i${n}@news.example`, subject: `Item ${n}`, date: at(n) }),
    ),
    buildEmail({
      from: 'feed@news.example',
      messageId: 'b1@news.example',
      subject: 'Re: Digest: apples',
      date: day(3),
    }),
  ];
}

describe.each(TEST_DATABASE_KINDS)('a batch of emails written at once (%s)', (kind) => {
  it('gives the records, threads and companies that writing them one by one gives', async () => {
    const raws = mailbox();
    const emails = await Promise.all(
      raws.map((r, uid) => parseEmailSource(Buffer.from(r), { mailbox: 'help@support.example', folder: 'INBOX', uid })),
    );
    const one = await createTestDatabase(kind);
    const batch = await createTestDatabase(kind);
    try {
      for (const e of emails) await logEmail(one.db, e, opts);
      const result = await logEmails(batch.db, emails, opts);
      expect(result.failure).toBeUndefined();
      expect(result.outcomes.map((o) => o.status)).toEqual([...Array(12).fill('logged'), 'duplicate']);
      const expected = await snapshot(one.db);
      expect(await snapshot(batch.db)).toEqual(expected);
      // The scenario does what it claims, so that the comparison above covers each step.
      const by = (id: string) => expected.messages.find((m) => m.id === `email:<${id}>`);
      expect(by('c3@initech.com')?.thread).toHaveLength(3);
      expect(by('s3@globex.com')?.thread).toHaveLength(3);
      expect(by('u3@newco.io')?.threadedBy).toBe('subject');
      expect(by('u1@newco.io')?.recordCompany).toBe('Newco');
      expect(expected.companies.map((c) => c.name)).toEqual(expect.arrayContaining(['Acme', 'acme.de']));
      expect(by('d1@acme.com')?.thread).toHaveLength(2);
    } finally {
      await one.dispose();
      await batch.dispose();
    }
  });

  it('joins by subject with the mail queued before it in the batch, as one by one', async () => {
    const emails = await Promise.all(
      subjectMailbox().map((r, uid) =>
        parseEmailSource(Buffer.from(r), { mailbox: 'help@support.example', folder: 'INBOX', uid }),
      ),
    );
    const one = await createTestDatabase(kind);
    const batch = await createTestDatabase(kind);
    try {
      for (const e of emails) await logEmail(one.db, e, opts);
      const result = await logEmails(batch.db, emails, opts);
      expect(result.failure).toBeUndefined();
      const expected = await snapshot(one.db);
      expect(await snapshot(batch.db)).toEqual(expected);
      const by = (id: string) => expected.messages.find((m) => m.id === `email:<${id}>`);
      expect(by('f3@news.example')?.thread).toEqual(['email:<f1@news.example>', 'email:<f3@news.example>']);
      expect(by('f2@news.example')?.thread).toHaveLength(1);
      expect(by('f4@news.example')?.thread).toHaveLength(1);
      expect(by('g1@gmail.com')?.recordCompany).toBe('Acme');
      expect(by('g3@gmail.com')?.threadedBy).toBe('new thread');
      expect(by('g4@gmail.com')?.thread).toEqual(['email:<g3@gmail.com>', 'email:<g4@gmail.com>']);
    } finally {
      await one.dispose();
      await batch.dispose();
    }
  });

  it("joins by subject past a busy sender's other mail, in a batch as one by one", async () => {
    const emails = await Promise.all(
      busySenderMailbox().map((r, uid) =>
        parseEmailSource(Buffer.from(r), { mailbox: 'help@support.example', folder: 'INBOX', uid }),
      ),
    );
    const one = await createTestDatabase(kind);
    const batch = await createTestDatabase(kind);
    try {
      for (const e of emails) await logEmail(one.db, e, opts);
      expect((await logEmails(batch.db, emails, opts)).failure).toBeUndefined();
      const expected = await snapshot(one.db);
      expect(await snapshot(batch.db)).toEqual(expected);
      const by = (id: string) => expected.messages.find((m) => m.id === `email:<${id}>`);
      expect(by('b1@news.example')).toMatchObject({
        threadedBy: 'subject',
        thread: ['email:<b0@news.example>', 'email:<b1@news.example>'],
      });
    } finally {
      await one.dispose();
      await batch.dispose();
    }
  });
});
