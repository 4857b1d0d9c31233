import { describe, expect, it } from 'vitest';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { freezeBotInsideBatch } from '../../helpers/frozen-bot.ts';
import { mailboxBotsFixture } from '../../helpers/mailbox-bots.ts';

// A bot frozen (SIGSTOP here; a long GC pause or a VM pause in production) inside a batch's transaction right
// after its fenced cursor save: the save holds a share lock on the mailbox's fence row until the transaction
// ends. A second bot takes the lock once the first one's runs out, and its raise of the fence waited on that
// row for as long as the first stayed frozen: never two writers, but the mailbox stood still. Now the batch's
// transaction has PostgreSQL end its session once it sat idle for the lock's TTL (2 s here): the takeover
// gets through and syncs while the first bot is still frozen, and the first bot's COMMIT finds its session
// gone. PostgreSQL only: PGlite is one process's embedded database.

/** Advisory lock the test holds to stop the first bot's cursor save inside the database, after its fence check. */
const HOLD_KEY = 4244;
const fx = mailboxBotsFixture();

const startBot = () => fx.start({ IMAP_LOCK_MS: '2000' });

describe('a bot frozen inside a batch after its fenced cursor save', () => {
  it('does not stop the takeover: the new holder syncs while it is still frozen, and its commit fails', async () => {
    const { db, readyLine } = fx;
    // The first cursor save (the batch's, in its transaction) waits on the test's advisory lock once its
    // fence check has run, while a second bot stands by; the first is frozen there, its fence check holding
    // the fence row. Later cursor saves (the new holder's) do not wait.
    await fx.deliver(
      ...[1, 2, 3, 4, 5, 6].map((i) => buildEmail({ from: `p${i}@fence-row-${i}.example`, subject: `Mail ${i}` })),
    );
    const {
      frozen,
      standby,
      xid: frozenXid,
      pid: frozenPid,
      release,
    } = await freezeBotInsideBatch(fx, { table: 'MailboxCursor', holdKey: HOLD_KEY, startBot });
    try {
      // Its lock runs out (2 s) and the standby takes the mailbox over: its raise of the fence gets through once
      // PostgreSQL ended the frozen bot's session (idle in its transaction for 2 s), and it logs every mail,
      // all while the first bot stays frozen. On the code before, the raise waited for as long as it stayed
      // frozen (here, until the test gave up).
      await waitFor(
        async () => standby.proc.output().includes('holding the mailbox lock; syncing'),
        60_000,
        () => `the takeover while the first bot is frozen:\n${standby.proc.output()}`,
      );
      await waitFor(
        async () => (await db.prisma.message.count()) === 6,
        60_000,
        () => `six mails logged by the new holder:\n${standby.proc.output()}`,
      );
      await waitFor(
        async () =>
          (await db.sql.query<{ n: number }>('SELECT 1 AS n FROM "MailboxCursor" WHERE "lastUid" = 6')).length === 1,
        60_000,
        'the cursor past them',
      );
      expect(frozen.proc.child.signalCode).toBeNull();
      expect(frozen.proc.child.exitCode).toBeNull();
      // The frozen bot's session is gone, and nothing of its transaction was committed.
      expect(await db.sql.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [frozenPid])).toEqual([]);
      const fence = async () =>
        (await db.sql.query<{ fence: string }>('SELECT fence::text AS fence FROM "MailboxFence"'))[0]?.fence;
      const takeoverFence = await fence();

      // Continued, its COMMIT finds the session ended: nothing of its batch lands after the takeover.
      frozen.proc.child.kill('SIGCONT');
      await waitFor(
        async () => (await readyLine(frozen)).startsWith('another process holds the mailbox lock'),
        30_000,
        () => `the frozen bot standing by:\n${frozen.proc.output()}`,
      );
      for (const table of ['Message', 'CommunicationRecord', 'Contact', 'MailboxCursor'])
        expect(
          await db.sql.query(`SELECT 1 FROM "${table}" WHERE xmin::text = $1`, [frozenXid]),
          `${table} rows of the frozen bot's transaction`,
        ).toEqual([]);
      expect(await db.prisma.message.count()).toBe(6);
      expect(await fence()).toBe(takeoverFence);
      expect(await db.prisma.mailQuarantine.count()).toBe(0);
      expect(await db.sql.query('SELECT deaths FROM "MailboxInFlight"')).toEqual([{ deaths: 0 }]);

      // The new holder goes on syncing.
      await fx.deliver(buildEmail({ from: 'late@fence-row-late.example', subject: 'Later', body: 'later' }));
      await waitFor(
        async () => (await db.prisma.message.count({ where: { text: 'later' } })) === 1,
        30_000,
        () => `the mail after the takeover:\n${standby.proc.output()}`,
      );
    } finally {
      // Never left stopped, whatever failed.
      await release();
    }
  }, 400_000);
});
