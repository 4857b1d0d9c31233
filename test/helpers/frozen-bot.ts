import pg from 'pg';
import { waitFor } from './email-fixtures.ts';
import type { MailboxBot, MailboxBotsFixture } from './mailbox-bots.ts';

/** A bot stopped (SIGSTOP) inside a batch's transaction, and the bot standing by to take the mailbox over. */
export interface FrozenBot {
  frozen: MailboxBot;
  standby: MailboxBot;
  /** The frozen bot's transaction id and backend pid, idle in its transaction. */
  xid: string;
  pid: number;
  /** Continues the frozen bot (if still stopped) and closes the test's lock connection: call it in `finally`. */
  release(): Promise<void>;
}

/**
 * Freezes the first bot `startBot` starts inside a batch's transaction, at the first insert into `table`
 * for which `when` (SQL over NEW) holds: a trigger makes that insert wait on an advisory lock the test
 * holds, a second bot is started and seen standing by, the first is SIGSTOPped, and the lock let go so the
 * database finishes the statement it waited in. Resolves once the frozen bot's transaction sits idle with
 * that write done (what a GC or VM pause inside a batch leaves). Later inserts (the new holder's) do not wait.
 * PostgreSQL only; mails to sync must be delivered before.
 */
export async function freezeBotInsideBatch(
  fx: MailboxBotsFixture,
  opts: { table: string; when?: string; holdKey: number; startBot: () => Promise<MailboxBot> },
): Promise<FrozenBot> {
  const { db } = fx;
  await db.sql.exec(`
    CREATE SEQUENCE hold_once;
    CREATE FUNCTION hold_first() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (${opts.when ?? 'true'}) AND nextval('hold_once') = 1 THEN
        PERFORM pg_advisory_lock_shared(${opts.holdKey});
        PERFORM pg_advisory_unlock_shared(${opts.holdKey});
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER hold_first BEFORE INSERT ON "${opts.table}" FOR EACH ROW EXECUTE FUNCTION hold_first();`);
  const holdLock = new pg.Client({ connectionString: fx.databaseUrl });
  await holdLock.connect();
  let frozen: MailboxBot | undefined;
  const release = async () => {
    frozen?.proc.child.kill('SIGCONT');
    await holdLock.end().catch(() => undefined);
  };
  try {
    await holdLock.query('SELECT pg_advisory_lock($1)', [opts.holdKey]);
    frozen = await opts.startBot();
    const held = async () =>
      (
        await db.sql.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
        )
      ).length > 0;
    await waitFor(held, 60_000, () => `the first bot inside its write to ${opts.table}:\n${frozen?.proc.output()}`);
    const standby = await opts.startBot();
    await waitFor(
      async () => (await fx.readyLine(standby)).startsWith('another process holds the mailbox lock'),
      60_000,
      () => `the second bot standing by:\n${standby.proc.output()}`,
    );
    // Frozen inside its transaction; the database finishes the statement it waited in.
    frozen.proc.child.kill('SIGSTOP');
    await holdLock.query('SELECT pg_advisory_unlock($1)', [opts.holdKey]);
    const openTransaction = async () =>
      (
        await db.sql.query<{ xid: string; pid: number }>(
          `SELECT backend_xid::text AS xid, pid FROM pg_stat_activity WHERE datname = current_database()
           AND state = 'idle in transaction' AND backend_xid IS NOT NULL AND query LIKE $1`,
          [`%"${opts.table}"%`],
        )
      )[0];
    const { xid, pid } = await waitFor(openTransaction, 30_000, 'the frozen bot idle in its transaction');
    return { frozen, standby, xid, pid, release };
  } catch (err) {
    await release();
    throw err;
  }
}
