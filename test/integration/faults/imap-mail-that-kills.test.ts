import { afterAll, describe, expect, it } from 'vitest';
import { retryQuarantinedMail } from '../../../connectors/imap/quarantine-retry.ts';
import { connectRedis } from '../../../src/redis/connect-redis.ts';
import { buildEmail, waitFor } from '../../helpers/email-fixtures.ts';
import { BOTS_MAILBOX, mailboxBotsFixture } from '../../helpers/mailbox-bots.ts';

// A mail that takes the bot down while it is being handled (a crash, the OOM killer) used to be tried
// again by every start, for good: strike counts lived in the process, so it was never quarantined, the
// mails after it were never logged, and the bot (Slack and Teams with it) went down at every start. Here
// a real bot is SIGKILLed each time it is inside that mail's write (a trigger holds the write), as a crash
// would end it; the claim it leaves in the database tells the next start.

const fx = mailboxBotsFixture();
const redis = connectRedis('redis://127.0.0.1:6379');
afterAll(() => redis.disconnect());

/** Backends of the scratch database inside the poisoned mail's write. */
const inPoison = async () =>
  (
    await fx.db.sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%INSERT%' AND wait_event = 'PgSleep'`,
    )
  ).map((r) => r.pid);

describe('a mail that takes the bot down while it is handled', () => {
  it('is kept in quarantine unread after three stops in a row by itself, and the mails after it are logged', async () => {
    const { db, bots, prefix } = fx;
    // Every write of the poisoned mail sleeps: the bot is killed while it is in there.
    await db.sql.exec(`
      CREATE FUNCTION hold_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.text LIKE '%POISON%' THEN PERFORM pg_sleep(600); END IF; RETURN NEW; END $$;
      CREATE TRIGGER hold_poison BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION hold_poison();`);
    await fx.deliver(
      buildEmail({ from: 'ann@acme-kill.com', subject: 'Before', body: 'fine' }),
      buildEmail({ from: 'bob@acme-kill.com', subject: 'Poisoned', body: 'POISON' }),
      buildEmail({ from: 'cy@acme-kill.com', subject: 'After', body: 'fine too' }),
    );

    let kills = 0;
    for (; kills < 8; kills++) {
      const bot = await fx.start();
      const quarantined = async () => (await db.prisma.mailQuarantine.count()) > 0;
      await waitFor(
        async () => (await quarantined()) || (await inPoison()).length > 0,
        60_000,
        () => `start ${kills + 1}: inside the poisoned mail or quarantined:\n${bot.proc.output()}`,
      );
      if (await quarantined()) break;
      // Killed inside the mail, as a crash ends it; PostgreSQL ends its session (it would notice the dead
      // client), and the mailbox lock the dead bot held runs out (its TTL, here at once).
      bot.proc.child.kill('SIGKILL');
      await bot.proc.exited;
      for (const pid of await inPoison()) await db.sql.query('SELECT pg_terminate_backend($1)', [pid]);
      await redis.del(`${prefix}:imap-lock:${BOTS_MAILBOX}`);
    }
    // Once with the other mails in a batch, then three times alone (the mail before it logged first).
    expect(kills).toBe(4);
    await waitFor(
      async () => (await db.prisma.message.count({ where: { text: { in: ['fine', 'fine too'] } } })) === 2,
      30_000,
      'the mails before and after it logged',
    );
    const [q] = await db.prisma.mailQuarantine.findMany();
    expect(q.note).toMatch(/^Rapport stopped 3 times in a row while handling this mail alone, so it was kept raw/);
    expect(Buffer.from(q.raw).toString()).toContain('POISON');
    expect(await db.prisma.message.count({ where: { text: 'POISON' } })).toBe(0);

    // A graceful restart is no stop while handling mail: the next start reads ahead as usual.
    const last = bots.running();
    last?.proc.child.kill('SIGTERM');
    await last?.proc.exited;
    await redis.del(`${prefix}:imap-lock:${BOTS_MAILBOX}`);
    const next = await fx.start();
    await fx.deliver(buildEmail({ from: 'dee@acme-kill.com', subject: 'Later', body: 'later' }));
    await waitFor(
      async () => (await db.prisma.message.count({ where: { text: 'later' } })) === 1,
      30_000,
      () => `the mail after a graceful restart:\n${next.proc.output()}`,
    );
    expect(next.proc.output()).not.toContain('handling the next mails one at a time');

    // Once its cause is gone, mail retry logs it.
    await db.sql.exec('DROP TRIGGER hold_poison ON "Message"');
    expect(
      await retryQuarantinedMail(db, {
        imap: [],
        internalDomains: ['support.example'],
        mailFilters: [],
        mailFilterDefaults: true,
      }),
    ).toEqual({ tried: 1, logged: 1, skipped: 0, failed: 0 });
  }, 600_000);
});
