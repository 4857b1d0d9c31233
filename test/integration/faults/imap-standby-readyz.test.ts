import { describe, expect, it } from 'vitest';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { mailboxBotsFixture, type MailboxBot } from '../../helpers/mailbox-bots.ts';

// Two bots of one deployment share a mailbox: one holds its Redis lock and syncs, the other stands by.
// When the holder is killed its lock lives on until it runs out (30 s), and the standby's /readyz used
// to say "another process holds the mailbox lock and syncs it" all that time while nobody synced. It
// now asks Redis when the lock was last renewed and says the holder is gone and when it takes over.

// The first bot migrates the database: the test opens it once the mail after the takeover is due.
const fx = mailboxBotsFixture({ migrate: false });

interface Bot extends MailboxBot {
  /** The mailbox's /readyz line. */
  line: () => Promise<string>;
}

async function startBot(): Promise<Bot> {
  const bot = await fx.start();
  return { ...bot, line: () => fx.readyLine(bot) };
}

describe("a standby's /readyz when the bot holding the mailbox lock is killed", () => {
  it('says the holder stopped renewing the lock and when it takes over, then takes over and logs the mail', async () => {
    const a = await startBot();
    await waitFor(
      async () => (await a.line()).startsWith('watching'),
      60_000,
      () => `a syncing:
${a.proc.output()}`,
    );
    const b = await startBot();
    const standbyLine = /^another process holds the mailbox lock and syncs it \(renewed (\d+) s ago\)$/;
    await waitFor(
      async () => standbyLine.test(await b.line()),
      60_000,
      () => `b standing by:\n${b.proc.output()}`,
    );

    a.proc.child.kill('SIGKILL');
    await a.proc.exited;
    const seen: string[] = [];
    await waitFor(
      async () => {
        const line = await b.line();
        if (seen.at(-1) !== line) seen.push(line);
        return line.startsWith('watching');
      },
      90_000,
      () => `b taking over; it said:\n${seen.join('\n')}\n${b.proc.output()}`,
    );
    // Until the holder misses its renewals the standby may still name it (renewed within half the TTL);
    // then it says the holder is gone before it takes over.
    for (const line of seen.filter((l) => standbyLine.test(l)))
      expect(Number(standbyLine.exec(line)![1])).toBeLessThanOrEqual(15);
    expect(seen.join('\n')).toMatch(
      /the process holding the mailbox lock has not renewed it for \d+ s \(stopped or frozen\?\); this process takes over when it runs out, within \d+ s/,
    );

    await fx.deliver(buildEmail({ from: 'jo@acme-standby.com', subject: 'After the takeover' }));
    const db = await fx.openDb();
    await waitFor(
      async () => (await db.prisma.communicationRecord.count({ where: { subject: 'After the takeover' } })) === 1,
      30_000,
      () => `the mail after the takeover:\n${b.proc.output()}`,
    );
  });
});
