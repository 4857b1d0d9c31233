import { describe, expect, it } from 'vitest';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { freezeBotInsideBatch } from '../../helpers/frozen-bot.ts';
import { mailboxBotsFixture } from '../../helpers/mailbox-bots.ts';

// A bot frozen (SIGSTOP here; a long GC pause or a VM pause in production) past its mailbox lock's TTL in
// the middle of a batch's transaction. Another bot takes the mailbox over; when the frozen one is continued
// it finished that transaction before its lock renewal could tell it the lock was gone: it committed the
// batch and its cursor after the takeover. Now the new holder stores its lock's fencing token in PostgreSQL
// when it takes the lock, the frozen bot's cursor save carries an older one and is refused, and its whole
// transaction rolls back.

/** Advisory lock the test holds to stop the first write of the HOLD mail inside the database. */
const HOLD_KEY = 4242;
const fx = mailboxBotsFixture();

// A 2 s lock, renewed every 667 ms: the frozen bot's renewal fires at once when it is continued.
const startBot = () => fx.start({ IMAP_LOCK_MS: '2000' });

describe('a bot frozen past its mailbox lock inside a batch', () => {
  it('commits nothing once continued after another bot took the mailbox over, and stands by', async () => {
    const { db, readyLine } = fx;
    // The first insert of the HOLD mail waits on the test's advisory lock while a second bot stands by; the
    // first is frozen there, inside its transaction. Later inserts (the new holder's) do not wait.
    await fx.deliver(
      ...[1, 2, 3, 4, 5, 6].map((i) =>
        buildEmail({ from: `p${i}@frozen-${i}.example`, subject: `Mail ${i}`, body: i === 3 ? 'HOLD' : 'fine' }),
      ),
    );
    const {
      frozen,
      standby,
      xid: frozenXid,
      release,
    } = await freezeBotInsideBatch(fx, {
      table: 'Message',
      when: "NEW.text LIKE '%HOLD%'",
      holdKey: HOLD_KEY,
      startBot,
    });
    try {
      // Its lock runs out (2 s): the standby takes the mailbox over and claims the folder.
      await waitFor(
        async () => standby.proc.output().includes('holding the mailbox lock; syncing'),
        60_000,
        () => `the takeover:\n${standby.proc.output()}`,
      );
      const fence = async () =>
        (await db.sql.query<{ fence: string }>('SELECT fence::text AS fence FROM "MailboxFence"'))[0]?.fence;
      const takeoverFence = await fence();

      frozen.proc.child.kill('SIGCONT');
      // Every mail logged once and the cursor past them (by the new holder, or on the code before by the frozen
      // bot's commit and the new holder's duplicates).
      await waitFor(
        async () => (await db.prisma.message.count()) === 6,
        60_000,
        () => `six mails logged:\n${standby.proc.output()}`,
      );
      await waitFor(
        async () =>
          (await db.sql.query<{ n: number }>('SELECT 1 AS n FROM "MailboxCursor" WHERE "lastUid" = 6')).length === 1,
        60_000,
        'the cursor past them',
      );
      // Nothing the frozen bot's transaction wrote was committed: no mail, no contact, no cursor.
      for (const table of ['Message', 'CommunicationRecord', 'Contact', 'MailboxCursor'])
        expect(
          await db.sql.query(`SELECT 1 FROM "${table}" WHERE xmin::text = $1`, [frozenXid]),
          `${table} rows of the frozen bot's transaction`,
        ).toEqual([]);
      await waitFor(
        async () => frozen.proc.output().includes('another process took the mailbox over'),
        30_000,
        () => `the frozen bot saying why it stopped:\n${frozen.proc.output()}`,
      );
      expect(frozen.proc.output()).toContain('nothing of it was written');
      // No death counted against a mail, and the frozen bot stands by (the new holder's lock, its fence).
      expect(await db.sql.query('SELECT deaths FROM "MailboxInFlight"')).toEqual([{ deaths: 0 }]);
      await waitFor(
        async () => (await readyLine(frozen)).startsWith('another process holds the mailbox lock'),
        30_000,
        () => `the frozen bot standing by:\n${frozen.proc.output()}`,
      );
      expect(await fence()).toBe(takeoverFence);
      expect(await db.prisma.mailQuarantine.count()).toBe(0);

      // The new holder goes on syncing.
      await fx.deliver(buildEmail({ from: 'late@frozen-late.example', subject: 'Later', body: 'later' }));
      await waitFor(
        async () => (await db.prisma.message.count({ where: { text: 'later' } })) === 1,
        30_000,
        () => `the mail after the takeover:\n${standby.proc.output()}`,
      );
    } finally {
      await release();
    }
  }, 400_000);
});
