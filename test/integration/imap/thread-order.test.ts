import { describe, expect, it } from 'vitest';
import { parseEmailSource } from '../../../connectors/imap/parse-email-source.ts';
import type { Database } from '../../../src/db/database.ts';
import { logEmails, type LogEmailOptions } from '../../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const opts: LogEmailOptions = { internalDomains: ['support.example'], hooks: noopPipelineHooks };
const day = (n: number, h = 10) => new Date(Date.UTC(2026, 10, n, h));
const us = 'Support <help@support.example>';

/**
 * Threads whose shape depends on the order their mail arrives in, unless every id a thread holds or
 * names joins it (JWZ): a chain through a message the mailbox lacks, replies that name only a missing
 * message, a chain newest first with In-Reply-To only, branches with truncated References, a reply
 * logged before the headerless message it answers while that message joins another by subject; and
 * strangers with bogus In-Reply-To tokens, who must stay apart. `thread` names the expected thread.
 */
function mailbox(): Array<{ thread: string; raw: string }> {
  const m = (thread: string, o: Parameters<typeof buildEmail>[0]) => ({ thread, raw: buildEmail(o) });
  return [
    // a2 (our answer to a1) is missing; a3 names it and a1, a4 names only a2.
    m('A', { from: 'jo@initech.com', messageId: 'a1@initech.com', subject: 'Outage', date: day(1) }),
    m('A', {
      from: 'jo@initech.com',
      messageId: 'a3@initech.com',
      inReplyTo: 'a2@support.example',
      references: ['a1@initech.com', 'a2@support.example'],
      subject: 'Re: Outage',
      date: day(3),
    }),
    m('A', {
      from: us,
      to: 'jo@initech.com',
      messageId: 'a4@support.example',
      inReplyTo: 'a2@support.example',
      subject: 'Re: Outage',
      date: day(4),
    }),
    // Two replies to b1, which we never saw, naming only it; and a reply to one of them.
    m('B', {
      from: 'ann@globex.com',
      messageId: 'b2@globex.com',
      inReplyTo: 'b1@support.example',
      subject: 'Re: Renewal',
      date: day(2),
    }),
    m('B', {
      from: us,
      to: 'ann@globex.com',
      messageId: 'b3@support.example',
      inReplyTo: 'b1@support.example',
      subject: 'Re: Renewal',
      date: day(3),
    }),
    m('B', {
      from: 'ann@globex.com',
      messageId: 'b4@globex.com',
      inReplyTo: 'b3@support.example',
      subject: 'Re: Renewal',
      date: day(4),
    }),
    // Each reply names only its parent.
    ...['c1@initech.com', 'c2@support.example', 'c3@initech.com', 'c4@support.example'].map((id, i, ids) =>
      m('C', {
        from: id.endsWith('initech.com') ? 'jo@initech.com' : us,
        to: id.endsWith('initech.com') ? 'help@support.example' : 'jo@initech.com',
        messageId: id,
        ...(i > 0 ? { inReplyTo: ids[i - 1] } : {}),
        subject: i > 0 ? 'Re: Broken export' : 'Broken export',
        date: day(i + 1, 12),
      }),
    ),
    // Two branches from d1; d5 answers d4 with References cut down to d4.
    m('D', { from: 'bo@hooli.com', messageId: 'd1@hooli.com', subject: 'SSO', date: day(1) }),
    m('D', {
      from: us,
      to: 'bo@hooli.com',
      messageId: 'd2@support.example',
      inReplyTo: 'd1@hooli.com',
      references: ['d1@hooli.com'],
      subject: 'Re: SSO',
      date: day(2),
    }),
    m('D', {
      from: 'bo@hooli.com',
      messageId: 'd3@hooli.com',
      inReplyTo: 'd2@support.example',
      references: ['d1@hooli.com', 'd2@support.example'],
      subject: 'Re: SSO',
      date: day(3),
    }),
    m('D', {
      from: 'cy@hooli.com',
      messageId: 'd4@hooli.com',
      inReplyTo: 'd1@hooli.com',
      references: ['d1@hooli.com'],
      subject: 'Re: SSO',
      date: day(3, 11),
    }),
    m('D', {
      from: us,
      to: 'cy@hooli.com',
      messageId: 'd5@support.example',
      inReplyTo: 'd4@hooli.com',
      references: ['d4@hooli.com'],
      subject: 'Re: SSO',
      date: day(4),
    }),
    // s2 has no headers and joins s1 by subject; s3 answers s1 and may come first. Another customer's
    // mail with the same subject stays apart.
    m('S', { from: 'eve@umbrella.com', messageId: 's1@umbrella.com', subject: 'Invoice 42 is wrong', date: day(1) }),
    m('S', {
      from: 'eve@umbrella.com',
      messageId: 's2@umbrella.com',
      subject: 'AW: Invoice 42 is wrong',
      date: day(1, 20),
    }),
    m('S', {
      from: us,
      to: 'eve@umbrella.com',
      messageId: 's3@support.example',
      inReplyTo: 's1@umbrella.com',
      references: ['s1@umbrella.com'],
      subject: 'Re: Invoice 42 is wrong',
      date: day(2),
    }),
    m('T', { from: 'tom@vandelay.com', messageId: 't1@vandelay.com', subject: 'Invoice 42 is wrong', date: day(1) }),
    // Bogus In-Reply-To tokens: a free-text line, an address, a bare word.
    m('F1', {
      from: 'x@alpha.com',
      messageId: 'f1@alpha.com',
      subject: 'Subject alpha',
      date: day(2),
      extra: ['In-Reply-To: Message from Claw <claw@kanga.nu> of "Fri, 16 Aug 2002 10:00:00 +0100"'],
    }),
    m('F2', {
      from: 'y@beta.org',
      messageId: 'f2@beta.org',
      subject: 'Subject beta',
      date: day(2),
      extra: ['In-Reply-To: Message from Claw <claw@kanga.nu> of "Fri, 16 Aug 2002 11:00:00 +0100"'],
    }),
    m('F3', {
      from: 'claw@kanga.nu',
      to: 'z@gamma.net',
      messageId: 'f3@kanga.nu',
      subject: 'Subject gamma',
      date: day(2),
      extra: ['In-Reply-To: <claw@kanga.nu>'],
    }),
    m('F4', {
      from: 'w@delta.io',
      messageId: 'f4@delta.io',
      subject: 'Subject delta',
      date: day(2),
      extra: ['In-Reply-To: Your message of Tue, 13 Aug 2002'],
    }),
  ];
}

/** The threads as sets of Message-IDs, in a canonical order. */
async function threads(db: Database): Promise<string[][]> {
  const msgs = await db.prisma.message.findMany({ select: { externalId: true, recordId: true } });
  const byRecord = new Map<string, string[]>();
  for (const m of msgs) byRecord.set(m.recordId, [...(byRecord.get(m.recordId) ?? []), m.externalId.slice(7, -1)]);
  return [...byRecord.values()].map((t) => t.sort()).sort((a, b) => a[0].localeCompare(b[0]));
}

/** A fixed pseudo-random permutation (mulberry32), so a failure names its order. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const ORDERS: Array<{ name: string; order: <T>(xs: T[]) => T[]; batch: number }> = [
  { name: 'oldest first, one batch', order: (xs) => xs, batch: 1000 },
  { name: 'newest first, one at a time', order: (xs) => [...xs].reverse(), batch: 1 },
  { name: 'shuffled (seed 1), batches of 3', order: (xs) => shuffled(xs, 1), batch: 3 },
  { name: 'shuffled (seed 2), batches of 7', order: (xs) => shuffled(xs, 2), batch: 7 },
  { name: 'shuffled (seed 3), one at a time', order: (xs) => shuffled(xs, 3), batch: 1 },
];

describe.each(TEST_DATABASE_KINDS)('threads do not depend on arrival order or batches (%s)', (kind) => {
  it.each(ORDERS)('$name gives the header threads (JWZ), strangers apart', async ({ order, batch }) => {
    const mails = mailbox();
    const byThread = new Map<string, string[]>();
    for (const m of mails)
      byThread.set(m.thread, [...(byThread.get(m.thread) ?? []), /Message-ID: <([^>]+)>/.exec(m.raw)?.[1] ?? '']);
    const expected = [...byThread.values()].map((t) => t.sort()).sort((a, b) => a[0].localeCompare(b[0]));
    const emails = await Promise.all(
      order(mails).map((m, uid) =>
        parseEmailSource(Buffer.from(m.raw), { mailbox: 'help@support.example', folder: 'INBOX', uid }),
      ),
    );
    const t = await createTestDatabase(kind);
    try {
      for (let i = 0; i < emails.length; i += batch) {
        const r = await logEmails(t.db, emails.slice(i, i + batch), opts);
        expect(r.failure).toBeUndefined();
        expect(r.outcomes.every((o) => o.status === 'logged')).toBe(true);
      }
      expect(await threads(t.db)).toEqual(expected);
      expect(await t.db.prisma.communicationRecord.count()).toBe(expected.length);
    } finally {
      await t.dispose();
    }
  });
});
