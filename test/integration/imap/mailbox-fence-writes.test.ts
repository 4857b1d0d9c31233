import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Database, SqlRunner } from '../../../src/db/database.ts';
import { inEmailTransaction } from '../../../src/db/email-log.repository.ts';
import { quarantineMail } from '../../../src/db/mail-quarantine.repository.ts';
import { findMailboxCursor, saveMailboxCursor, saveMailboxError } from '../../../src/db/mailbox-cursor.repository.ts';
import {
  findMailboxFence,
  MailboxFenceBusyError,
  MailboxFencedOutError,
  raiseMailboxFence,
  raiseMailboxFenceWithin,
} from '../../../src/db/mailbox-fence.repository.ts';
import { isDatabaseUnavailableError } from '../../../src/db/sql-errors.ts';
import { waitFor } from '../../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

// The writes of an IMAP syncer that cannot ride in a batch's transaction (a quarantine row, a folder's last
// error) carry the fencing token's check in their own statement: a takeover between a check and the write
// cannot let a syncer it overtook write. And a holder frozen inside a batch's transaction, holding the
// fence row its cursor save checked, no longer stops the takeover: PostgreSQL ends its session once it sat
// idle for the lock's TTL, and the new holder's raise waits a bounded time at most.

const MAILBOX = 'support@support.example';
const KEY = { mailbox: MAILBOX, folder: 'INBOX' };
const AT = (lastUid: number) => ({ uidValidity: 5n, lastUid, highestModseq: null });

/** Raw SQL on one `pg` connection of its own (to hold a transaction open beside the pool's). */
function onConnection(client: pg.Client): SqlRunner {
  return {
    exec: async (text) => {
      await client.query(text);
    },
    query: async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[],
  };
}

/** A mail for the quarantine, told apart by `tag`. */
function mail(tag: string, fence?: bigint) {
  return {
    mailbox: MAILBOX,
    folder: 'INBOX',
    uid: 7,
    uidValidity: 5n,
    raw: Buffer.from(`From: ann@fence-writes.example\r\nSubject: ${tag}\r\n\r\nbody ${tag}\r\n`),
    headers: { subject: tag },
    error: `failed: ${tag}`,
    note: `note: ${tag}`,
    ...(fence === undefined ? {} : { fence }),
  };
}

const quarantined = async (db: Database) =>
  (
    await db.sql.query<{ subject: string; attempts: number; note: string }>(
      `SELECT headers->>'subject' AS subject, attempts, note FROM "MailQuarantine" ORDER BY headers->>'subject'`,
    )
  ).map((r) => ({ ...r, attempts: Number(r.attempts) }));
const lastError = async (db: Database) =>
  (await db.sql.query<{ lastError: string | null }>('SELECT "lastError" FROM "MailboxCursor"'))[0]?.lastError;

describe.each(TEST_DATABASE_KINDS)("a quarantine row and a folder's error with a fencing token (%s)", (kind) => {
  it('are refused, nothing written, when the token is older than the newest stored', async () => {
    const t = await createTestDatabase(kind);
    try {
      // Holder a took the lock with token 10, saved its cursor and kept a mail.
      await raiseMailboxFence(t.db.sql, MAILBOX, 10n);
      await saveMailboxCursor(t.db.sql, KEY, AT(4), { fence: 10n });
      await quarantineMail(t.db, mail('kept by a', 10n));

      // b took the mailbox over with token 11. a, resumed, keeps a new mail and the same mail again: each
      // refused in its own statement, nothing written (on the code before, both went in).
      await raiseMailboxFence(t.db.sql, MAILBOX, 11n);
      await expect(quarantineMail(t.db, mail('kept by a after the takeover', 10n))).rejects.toBeInstanceOf(
        MailboxFencedOutError,
      );
      await expect(quarantineMail(t.db, mail('kept by a', 10n))).rejects.toBeInstanceOf(MailboxFencedOutError);
      expect(await quarantined(t.db)).toEqual([{ subject: 'kept by a', attempts: 1, note: 'note: kept by a' }]);

      // b's go in, and so do the tools' (no token).
      await quarantineMail(t.db, mail('kept by a', 11n));
      await quarantineMail(t.db, mail('kept by b', 11n));
      await quarantineMail(t.db, mail('kept by a tool'));
      expect(await quarantined(t.db)).toEqual([
        { subject: 'kept by a', attempts: 2, note: 'note: kept by a' },
        { subject: 'kept by a tool', attempts: 1, note: 'note: kept by a tool' },
        { subject: 'kept by b', attempts: 1, note: 'note: kept by b' },
      ]);

      // The folder's last error likewise: b's goes in, a's (token 10) writes nothing.
      expect(await saveMailboxError(t.db.sql, KEY, 'error of b', { fence: 11n })).toBe(true);
      expect(await saveMailboxError(t.db.sql, KEY, 'error of a after the takeover', { fence: 10n })).toBe(false);
      expect(await lastError(t.db)).toBe('error of b');
      // A folder without a cursor has no error to note.
      expect(await saveMailboxError(t.db.sql, { ...KEY, folder: 'Sent' }, 'nothing', { fence: 11n })).toBe(false);
    } finally {
      await t.dispose();
    }
  });
});

describe("a quarantine row and a folder's error beside a takeover (PostgreSQL)", () => {
  /** Advisory lock the test holds to stop a write inside its statement, after its fence check. */
  const HOLD_KEY = 4343;

  it('either commit before the new token is stored, or are refused after it: never between', async () => {
    const t = await createTestDatabase('postgres');
    const holdLock = new pg.Client({ connectionString: t.url });
    const other = new pg.Client({ connectionString: t.url });
    try {
      await holdLock.connect();
      await other.connect();
      // A write marked HOLD waits inside its statement (its row's BEFORE trigger) until the test lets it go:
      // its fence check has run by then, and the takeover comes in between.
      const hold = `PERFORM pg_advisory_lock_shared(${HOLD_KEY}); PERFORM pg_advisory_unlock_shared(${HOLD_KEY});`;
      await t.db.sql.exec(`
        CREATE FUNCTION hold_quarantine() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.note LIKE '%HOLD%' THEN ${hold} END IF; RETURN NEW; END $$;
        CREATE TRIGGER hold_quarantine BEFORE INSERT OR UPDATE ON "MailQuarantine" FOR EACH ROW EXECUTE FUNCTION hold_quarantine();
        CREATE FUNCTION hold_error() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW."lastError" LIKE '%HOLD%' THEN ${hold} END IF; RETURN NEW; END $$;
        CREATE TRIGGER hold_error BEFORE UPDATE ON "MailboxCursor" FOR EACH ROW EXECUTE FUNCTION hold_error();`);
      // Statements waiting on a lock: on the test's advisory lock (held inside their trigger), or on a row.
      const waiting = async (on: 'advisory' | 'row') =>
        Number(
          (
            await t.db.sql.query<{ n: string }>(
              `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = current_database()
                AND wait_event_type = 'Lock' AND (wait_event = 'advisory') = $1`,
              [on === 'advisory'],
            )
          )[0].n,
        );
      await raiseMailboxFence(t.db.sql, MAILBOX, 10n);
      await saveMailboxCursor(t.db.sql, KEY, AT(4), { fence: 10n });

      // The old holder's write passed its check and is inside its statement: the takeover's raise waits for it
      // to commit (on the code before, the raise went in at once and the write landed after it). A quarantine
      // row first, then a folder's error.
      const heldWhileRaising = async (write: () => Promise<unknown>, fence: bigint) => {
        await holdLock.query('SELECT pg_advisory_lock($1)', [HOLD_KEY]);
        const order: string[] = [];
        const written = write().then(() => order.push('written'));
        // Awaited below; a failure meanwhile must not be an unhandled rejection.
        written.catch(() => undefined);
        await waitFor(async () => (await waiting('advisory')) === 1, 20_000, 'the write held inside its statement');
        const raised = raiseMailboxFence(t.db.sql, MAILBOX, fence).then(() => order.push('raised'));
        raised.catch(() => undefined);
        await waitFor(
          async () => order.includes('raised') || (await waiting('row')) === 1,
          20_000,
          'the raise done or waiting',
        );
        const whileHeld = [...order];
        await holdLock.query('SELECT pg_advisory_unlock($1)', [HOLD_KEY]);
        await Promise.all([written, raised]);
        return whileHeld;
      };
      expect(
        await heldWhileRaising(() => quarantineMail(t.db, { ...mail('HOLD kept', 10n), note: 'HOLD' }), 11n),
      ).toEqual([]);
      expect(await quarantined(t.db)).toEqual([{ subject: 'HOLD kept', attempts: 1, note: 'HOLD' }]);
      expect(await heldWhileRaising(() => saveMailboxError(t.db.sql, KEY, 'HOLD error', { fence: 11n }), 12n)).toEqual(
        [],
      );
      expect(await lastError(t.db)).toBe('HOLD error');

      // The next takeover's raise is not committed yet when the old holder writes: the writes wait for it, then
      // see the newer token and write nothing.
      await other.query('BEGIN');
      await raiseMailboxFence(onConnection(other), MAILBOX, 13n);
      let refused: unknown;
      let noted2: boolean | undefined;
      const stale = Promise.all([
        quarantineMail(t.db, mail('kept after the last takeover', 12n)).catch((err) => (refused = err)),
        saveMailboxError(t.db.sql, KEY, 'error after the last takeover', { fence: 12n }).then((n) => (noted2 = n)),
      ]);
      await waitFor(async () => (await waiting('row')) === 2, 20_000, 'both writes waiting on the fence row');
      expect(refused).toBeUndefined();
      expect(noted2).toBeUndefined();
      await other.query('COMMIT');
      await stale;
      expect(refused).toBeInstanceOf(MailboxFencedOutError);
      expect(noted2).toBe(false);
      expect(await quarantined(t.db)).toEqual([{ subject: 'HOLD kept', attempts: 1, note: 'HOLD' }]);
      expect(await lastError(t.db)).toBe('HOLD error');
    } finally {
      await holdLock.end().catch(() => undefined);
      await other.end().catch(() => undefined);
      await t.dispose();
    }
  }, 60_000);
});

describe('a holder frozen inside a fenced batch transaction (PostgreSQL)', () => {
  it("has its session ended after the lock's TTL idle, so the takeover's raise gets through and its commit fails", async () => {
    const t = await createTestDatabase('postgres');
    let resume = () => {};
    try {
      await raiseMailboxFence(t.db.sql, MAILBOX, 10n);
      // The old holder's batch: its fenced cursor save holds the fence row, then it stands still before its
      // COMMIT (to the database, a process frozen there: idle in its transaction). The lock's TTL is 1 s.
      const frozen = new Promise<void>((r) => (resume = r));
      let saved!: () => void;
      const savedInside = new Promise<void>((r) => (saved = r));
      const batch = inEmailTransaction(
        t.db,
        async (sql) => {
          await saveMailboxCursor(sql, KEY, AT(9), { fence: 10n });
          saved();
          await frozen;
          return 'committed';
        },
        { idleTimeoutMs: 1000 },
      ).catch((err: unknown) => err);
      await savedInside;

      // The new holder raises its token: within a bounded time (on the code before, it waited for as long as
      // the old holder stood still: here, for ever).
      const started = Date.now();
      const raise = raiseMailboxFence(t.db.sql, MAILBOX, 11n).then(() => Date.now() - started);
      const bound = new Promise<string>((r) => setTimeout(() => r('still waiting after 15 s'), 15_000));
      const waited = await Promise.race([raise, bound]);
      expect(waited).toBeTypeOf('number');
      expect(waited as number).toBeLessThan(10_000);
      expect(await findMailboxFence(t.db.sql, MAILBOX)).toBe(11n);

      // The old holder resumes: its COMMIT finds its session ended; nothing of its transaction is kept.
      resume();
      const outcome = await batch;
      expect(outcome).toBeInstanceOf(Error);
      // The session ended under it (idle_in_transaction_session_timeout): the database away, no fault of a mail.
      expect(isDatabaseUnavailableError(outcome)).toBe(true);
      expect(await findMailboxCursor(t.db.sql, KEY)).toBeNull();
      // The new holder goes on.
      await saveMailboxCursor(t.db.sql, KEY, AT(3), { fence: 11n });
      expect(await findMailboxCursor(t.db.sql, KEY)).toEqual({ uidValidity: 5n, lastUid: 3 });
    } finally {
      resume();
      await t.dispose();
    }
  }, 60_000);

  it('waits a bounded time for a transaction the database does not end, and stores nothing', async () => {
    const t = await createTestDatabase('postgres');
    const old = new pg.Client({ connectionString: t.url });
    try {
      await old.connect();
      await raiseMailboxFence(t.db.sql, MAILBOX, 10n);
      // An older Rapport's batch (no idle timeout) stands still after its fenced cursor save.
      await old.query('BEGIN');
      await saveMailboxCursor(onConnection(old), KEY, AT(9), { fence: 10n });
      const started = Date.now();
      await expect(raiseMailboxFenceWithin(t.db, MAILBOX, 11n, { waitMs: 500, idleMs: 1000 })).rejects.toBeInstanceOf(
        MailboxFenceBusyError,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await findMailboxFence(t.db.sql, MAILBOX)).toBe(10n);
      // That transaction ends (it commits: it was ordered before any newer token), and the next try gets through.
      await old.query('COMMIT');
      await raiseMailboxFenceWithin(t.db, MAILBOX, 11n, { waitMs: 500, idleMs: 1000 });
      expect(await findMailboxFence(t.db.sql, MAILBOX)).toBe(11n);
      expect(await findMailboxCursor(t.db.sql, KEY)).toEqual({ uidValidity: 5n, lastUid: 9 });
    } finally {
      await old.end().catch(() => undefined);
      await t.dispose();
    }
  }, 60_000);
});
