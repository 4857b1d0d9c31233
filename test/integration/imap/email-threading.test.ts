import { describe, expect, it } from 'vitest';
import { parseEmailSource } from '../../../connectors/imap/parse-email-source.ts';
import { logEmail, type LogEmailOptions } from '../../../src/services/log-email.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { buildEmail } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const opts = { internalDomains: ['support.example'], hooks: noopPipelineHooks, createCompanies: 'all' as const };
const day = (n: number) => new Date(Date.UTC(2026, 10, n, 10));

async function logAll(t: TestDatabase, mails: string[], extra: Partial<LogEmailOptions> = {}) {
  for (const raw of mails)
    await logEmail(t.db, await parseEmailSource(Buffer.from(raw), { mailbox: 'support@support.example' }), {
      ...opts,
      ...extra,
    });
  const msgs = await t.db.prisma.message.findMany({ include: { record: true } });
  const recordOf = (id: string) => msgs.find((m) => m.externalId === `email:<${id}>`)!.recordId;
  return { msgs, recordOf };
}

describe.each(TEST_DATABASE_KINDS)('safe email threading (%s)', (kind) => {
  it('re-attaches replies logged before their parent, when the parent was itself a reply', async () => {
    const t = await createTestDatabase(kind);
    try {
      const g = buildEmail({ from: 'jo@initech.com', messageId: 'g1@initech.com', subject: 'TPS', date: day(1) });
      const p = buildEmail({
        from: 'Support <help@support.example>',
        to: 'jo@initech.com',
        messageId: 'p1@support.example',
        inReplyTo: 'g1@initech.com',
        references: ['g1@initech.com'],
        subject: 'Re: TPS',
        date: day(2),
      });
      // A client that sends In-Reply-To only: before the fix this reply stayed in a record of its own.
      const r = buildEmail({
        from: 'jo@initech.com',
        messageId: 'r1@initech.com',
        inReplyTo: 'p1@support.example',
        subject: 'Re: TPS',
        date: day(3),
      });
      const { msgs, recordOf } = await logAll(t, [g, r, p]);
      expect(msgs).toHaveLength(3);
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(1);
      expect(recordOf('r1@initech.com')).toBe(recordOf('g1@initech.com'));
      expect(msgs[0].record.threadingNote).toContain('replies logged before the message they answer arrived');
      expect(await t.db.prisma.communicationRecord.count()).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it('rebuilds a thread delivered newest first', async () => {
    const t = await createTestDatabase(kind);
    try {
      const mails = [
        buildEmail({ from: 'jo@initech.com', messageId: 'a@initech.com', subject: 'Outage', date: day(1) }),
        buildEmail({
          from: 'help@support.example',
          to: 'jo@initech.com',
          messageId: 'b@support.example',
          inReplyTo: 'a@initech.com',
          references: ['a@initech.com'],
          subject: 'Re: Outage',
          date: day(2),
        }),
        buildEmail({
          from: 'jo@initech.com',
          messageId: 'c@initech.com',
          inReplyTo: 'b@support.example',
          references: ['a@initech.com', 'b@support.example'],
          subject: 'Re: Outage',
          date: day(3),
        }),
      ];
      const { msgs } = await logAll(t, mails.reverse());
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it('rebuilds a chain delivered newest first when each reply names only its parent (In-Reply-To, no References)', async () => {
    const t = await createTestDatabase(kind);
    try {
      // bench:imap found this on the SpamAssassin corpus ("Ouch..." on FoRK): the grandchild made a
      // record named after the child; the child joined it, but the record kept the child's name, so
      // the parent, arriving last, started a thread of its own (105 of 107 missed pairs).
      const ids = ['k1@initech.com', 'k2@support.example', 'k3@initech.com', 'k4@support.example'];
      const mails = ids.map((id, i) =>
        buildEmail({
          from: id.endsWith('initech.com') ? 'jo@initech.com' : 'help@support.example',
          to: id.endsWith('initech.com') ? 'help@support.example' : 'jo@initech.com',
          messageId: id,
          ...(i > 0 ? { inReplyTo: ids[i - 1] } : {}),
          subject: i > 0 ? 'Re: Broken export' : 'Broken export',
          date: day(i + 1),
        }),
      );
      const { msgs } = await logAll(t, [mails[3], mails[2], mails[1], mails[0]]);
      expect(msgs).toHaveLength(4);
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(1);
      expect(await t.db.prisma.communicationRecord.count()).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it('never joins strangers through an address or a bare word in In-Reply-To', async () => {
    const t = await createTestDatabase(kind);
    try {
      const mails = ['alpha.com', 'beta.org', 'gamma.net'].flatMap((d, i) => [
        buildEmail({
          from: `x${i}@${d}`,
          subject: `Subject ${d}`,
          extra: [`In-Reply-To: Message from Claw <claw@kanga.nu> of "Fri, 16 Aug 2002 1${i}:00:00 +0100"`],
        }),
        buildEmail({
          from: `y${i}@${d}`,
          subject: `Other ${d}`,
          extra: ['In-Reply-To: Your message of Tue, 13 Aug 2002'],
        }),
        buildEmail({
          from: `claw@kanga.nu`,
          to: `z${i}@${d}`,
          subject: `Third ${d}`,
          extra: ['In-Reply-To: <claw@kanga.nu>'],
        }),
      ]);
      const { msgs } = await logAll(t, mails);
      expect(msgs).toHaveLength(9);
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(9);
      const keys = (await t.db.prisma.communicationRecord.findMany()).map((r) => r.sourceKey);
      expect(keys).not.toContain('email:<claw@kanga.nu>');
      expect(keys).not.toContain('email:<Your>');
    } finally {
      await t.dispose();
    }
  });

  it('joins by subject only the same customer and participant, and says why', async () => {
    const t = await createTestDatabase(kind);
    try {
      const { msgs, recordOf } = await logAll(t, [
        buildEmail({
          from: 'jo@initech.com',
          messageId: 's1@initech.com',
          subject: 'Invoice 42 is wrong',
          date: day(1),
        }),
        // another customer, same subject: its own thread
        buildEmail({
          from: 'ann@globex.com',
          messageId: 's2@globex.com',
          subject: 'Invoice 42 is wrong',
          date: day(2),
        }),
        // our answer to Globex without headers: must not land in Initech's thread
        buildEmail({
          from: 'help@support.example',
          to: 'ann@globex.com',
          messageId: 's3@support.example',
          subject: 'RE: Invoice 42 is wrong',
          date: day(3),
        }),
        // Jo again without headers: joins Jo's thread
        buildEmail({
          from: 'jo@initech.com',
          messageId: 's4@initech.com',
          subject: 'AW: Invoice 42 is wrong',
          date: day(4),
        }),
      ]);
      expect(msgs).toHaveLength(4);
      expect(recordOf('s2@globex.com')).not.toBe(recordOf('s1@initech.com'));
      expect(recordOf('s3@support.example')).toBe(recordOf('s2@globex.com'));
      expect(recordOf('s4@initech.com')).toBe(recordOf('s1@initech.com'));
      const initech = msgs.find((m) => m.externalId === 'email:<s4@initech.com>')!;
      expect(initech.record.threadingNote).toContain('same customer and participant jo@initech.com');
    } finally {
      await t.dispose();
    }
  });
  it('never joins list or bulk mail by subject, nor other mail to a list thread (List-Id, Mailing-List, List-Unsubscribe, Precedence: bulk)', async () => {
    const t = await createTestDatabase(kind);
    try {
      const listHeaders = [
        ['List-Id: Friends of Rohit Khare <fork.xent.com>'],
        ['Mailing-List: list zzzzteana@yahoogroups.com; contact', 'Precedence: bulk'],
        ['List-Unsubscribe: <mailto:news-unsubscribe@initech.com>'],
      ];
      const { msgs } = await logAll(
        t,
        [
          ...listHeaders.flatMap((extra, k) =>
            [1, 2].map((n) =>
              buildEmail({
                from: `poster${k}@initech${k}.com`,
                messageId: `l${k}-${n}@initech${k}.com`,
                subject: `Re: Java is for kiddies ${k}`,
                date: day(n),
                extra,
              }),
            ),
          ),
          // The poster's copy sent to us directly (no list headers): it joins no list thread by subject either.
          buildEmail({
            from: 'poster0@initech0.com',
            messageId: 'direct@initech0.com',
            subject: 'Re: Java is for kiddies 0',
            date: day(3),
          }),
        ],
        // Kept as IMAP_SKIP_LISTS=false and RAPPORT_MAIL_FILTERS_DEFAULTS=false keep them.
        { skipLists: false, defaultFilters: false },
      );
      expect(msgs).toHaveLength(7);
      // One author's two posts in one list discussion usually answer different people: no join.
      expect(new Set(msgs.map((m) => m.recordId)).size).toBe(7);
    } finally {
      await t.dispose();
    }
  });
});
