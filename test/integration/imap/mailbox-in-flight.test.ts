import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Database, SqlRunner } from '../../../src/db/database.ts';
import {
  claimMailboxInFlight,
  markMailboxInFlightHandling,
  releaseMailboxInFlight,
} from '../../../src/db/mailbox-in-flight.repository.ts';
import { findMailboxCursor, listMailboxCursors, saveMailboxCursor } from '../../../src/db/mailbox-cursor.repository.ts';
import {
  findMailboxFence,
  MailboxFencedOutError,
  raiseMailboxFence,
} from '../../../src/db/mailbox-fence.repository.ts';
import {
  listQuarantinedMail,
  pendingQuarantinedMail,
  pendingQuarantinedMailPage,
  quarantineMail,
} from '../../../src/db/mail-quarantine.repository.ts';
import { createTestDatabase, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

/** Raw SQL on one `pg` connection of its own (to hold a transaction open beside the pool's). */
function onConnection(client: pg.Client): SqlRunner {
  return {
    exec: async (text) => {
      await client.query(text);
    },
    query: async <T>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as T[],
  };
}

const key = { mailbox: 'support@support.example', folder: 'INBOX' };

/** Runs `test` on a new migrated database of `kind`, dropped after. */
async function onNewDatabase(kind: 'pglite' | 'postgres', test: (db: Database) => Promise<void>): Promise<void> {
  const t = await createTestDatabase(kind);
  try {
    await test(t.db);
  } finally {
    await t.dispose();
  }
}

/**
 * Runs `test` on a new PostgreSQL database and `other`, a `pg` connection of its own to it (to hold a
 * transaction open beside the pool's); both dropped after.
 */
async function besideOtherConnection(test: (db: Database, other: pg.Client) => Promise<void>): Promise<void> {
  const t = await createTestDatabase('postgres');
  const other = new pg.Client({ connectionString: t.url });
  try {
    await other.connect();
    await test(t.db, other);
  } finally {
    await other.end().catch(() => undefined);
    await t.dispose();
  }
}

/** Leaves `key`'s claim as run `run` leaves it when it dies handling `at` alone. */
async function diedHandling(sql: SqlRunner, run: string, at: { uid: number; uidValidity: bigint }): Promise<void> {
  await claimMailboxInFlight(sql, key, run);
  await markMailboxInFlightHandling(sql, key, run, at);
}

describe.each(TEST_DATABASE_KINDS)('the in-flight claim of a folder (%s)', (kind) => {
  it('counts a death against a mail only for a run that stopped while handling it alone', () =>
    onNewDatabase(kind, async (db) => {
      const claim = (run: string) => claimMailboxInFlight(db.sql, key, run);
      const handling = (run: string, uid: number | null, uidValidity = 5n) =>
        markMailboxInFlightHandling(db.sql, key, run, uid === null ? null : { uid, uidValidity });
      expect(await claim('a')).toEqual({ diedRun: null, handlingUid: null, uidValidity: null, deaths: 0 });
      // The same run again (a reconnect after an error): nothing died.
      expect(await claim('a')).toEqual({ diedRun: null, handlingUid: null, uidValidity: null, deaths: 0 });
      // a stopped while handling batches (nothing alone): b is told, no mail is charged.
      expect(await claim('b')).toEqual({ diedRun: 'a', handlingUid: null, uidValidity: null, deaths: 0 });
      // b stops while handling UID 7 alone; c and d too: each start counts one more against it.
      await handling('b', 7);
      expect(await claim('c')).toEqual({ diedRun: 'b', handlingUid: 7, uidValidity: 5n, deaths: 1 });
      await handling('c', 7);
      expect(await claim('d')).toEqual({ diedRun: 'c', handlingUid: 7, uidValidity: 5n, deaths: 2 });
      // d logs 7 and stops while handling 8 alone: 7's deaths are forgotten, 8 has one.
      await handling('d', null);
      await handling('d', 8);
      expect(await claim('e')).toEqual({ diedRun: 'd', handlingUid: 8, uidValidity: 5n, deaths: 1 });
      // e ends its pass: the next run is told nothing.
      await releaseMailboxInFlight(db.sql, key, 'e');
      expect(await claim('f')).toEqual({ diedRun: null, handlingUid: null, uidValidity: null, deaths: 0 });
      // A release by a run that no longer holds the claim changes nothing.
      await releaseMailboxInFlight(db.sql, key, 'e');
      expect(await claim('g')).toEqual({ diedRun: 'f', handlingUid: null, uidValidity: null, deaths: 0 });
      // A run that no longer holds the claim cannot mark what it handles.
      await handling('f', 9);
      expect(await claim('g')).toEqual({ diedRun: null, handlingUid: null, uidValidity: null, deaths: 0 });
      // Another folder has its own claim.
      expect(await claimMailboxInFlight(db.sql, { ...key, folder: 'Sent' }, 'h')).toEqual({
        diedRun: null,
        handlingUid: null,
        uidValidity: null,
        deaths: 0,
      });
      // The same UID in a new UIDVALIDITY (a resync) is another mail: its count starts again.
      await handling('g', 7);
      expect(await claim('i')).toEqual({ diedRun: 'g', handlingUid: 7, uidValidity: 5n, deaths: 1 });
      await handling('i', 7, 6n);
      expect(await claim('j')).toEqual({ diedRun: 'i', handlingUid: 7, uidValidity: 6n, deaths: 1 });
    }));
});

describe.each(TEST_DATABASE_KINDS)("a folder's cursor (%s)", (kind) => {
  it('moves only forward within one UIDVALIDITY, and starts again in a new one', () =>
    onNewDatabase(kind, async (db) => {
      const save = (uidValidity: bigint, lastUid: number) =>
        saveMailboxCursor(db.sql, key, { uidValidity, lastUid, highestModseq: null });
      await save(5n, 10);
      // A holder that lost the lock saves its older position after the new holder's.
      await save(5n, 7);
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 10 });
      await save(5n, 12);
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 12 });
      // A resync (new UIDVALIDITY) starts from what it saves.
      await save(6n, 3);
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 6n, lastUid: 3 });
    }));
});

describe.each(TEST_DATABASE_KINDS)('UIDs past 2^31-1 (%s)', (kind) => {
  // IMAP UIDs are 32-bit unsigned (RFC 3501 nz-number): up to 4,294,967,295. In INTEGER columns a folder
  // whose UIDs passed 2,147,483,647 could not save its cursor, and its sync was stuck for good.
  it('are stored and read back as numbers: cursor, in-flight mail and quarantine', () =>
    onNewDatabase(kind, async (db) => {
      await saveMailboxCursor(db.sql, key, { uidValidity: 5n, lastUid: 3_000_000_000, highestModseq: null });
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 3_000_000_000 });
      // Still only forward, compared as numbers and not as text: 2^32-1 after 3e9, and not back to 2^31.
      await saveMailboxCursor(db.sql, key, { uidValidity: 5n, lastUid: 4_294_967_295, highestModseq: null });
      await saveMailboxCursor(db.sql, key, { uidValidity: 5n, lastUid: 2_147_483_648, highestModseq: null });
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 4_294_967_295 });
      expect((await listMailboxCursors(db.prisma, [key.mailbox])).map((c) => c.lastUid)).toEqual([4_294_967_295]);

      await diedHandling(db.sql, 'dead', { uid: 4_294_967_295, uidValidity: 5n });
      expect(await claimMailboxInFlight(db.sql, key, 'next')).toEqual({
        diedRun: 'dead',
        handlingUid: 4_294_967_295,
        uidValidity: 5n,
        deaths: 1,
      });

      await quarantineMail(db, {
        mailbox: key.mailbox,
        folder: key.folder,
        uid: 4_000_000_000,
        raw: Buffer.from('Subject: high\r\n\r\nbody'),
        headers: { subject: 'high' },
        error: 'test',
        note: 'kept by the test',
      });
      const [page] = await pendingQuarantinedMailPage(db, undefined);
      expect((await pendingQuarantinedMail(db, page.id))?.uid).toBe(4_000_000_000);
      const listed = await listQuarantinedMail(db, { limit: 10 });
      expect(listed.rows.map((r) => r.uid)).toEqual([4_000_000_000]);
    }));
});

describe('two runs taking over a folder at the same moment (PostgreSQL)', () => {
  it('count one death against the mail, not one each', () =>
    besideOtherConnection(async (db, other) => {
      // A run died while handling UID 7 alone.
      await diedHandling(db.sql, 'dead', { uid: 7, uidValidity: 5n });
      // Run a takes over in a transaction not committed yet (the row stays locked); run b's claim waits on it.
      await other.query('BEGIN');
      expect(await claimMailboxInFlight(onConnection(other), key, 'a')).toMatchObject({ diedRun: 'dead', deaths: 1 });
      let bDone = false;
      const b = claimMailboxInFlight(db.sql, key, 'b').finally(() => (bDone = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(bDone).toBe(false);
      await other.query('COMMIT');
      // b read the dead run's claim before a's commit: the death a counted is the one b saw.
      expect(await b).toMatchObject({ diedRun: 'dead', handlingUid: 7, deaths: 1 });
      const rows = await db.sql.query<{ run: string; deaths: number }>('SELECT run, deaths FROM "MailboxInFlight"');
      expect(rows).toEqual([{ run: 'b', deaths: 1 }]);
    }));
});

describe.each(TEST_DATABASE_KINDS)("a mailbox lock's fencing token (%s)", (kind) => {
  it('refuses a claim, a mark, a release and a cursor save carrying a token older than the newest stored', () =>
    onNewDatabase(kind, async (db) => {
      const save = (lastUid: number, fence: bigint) =>
        saveMailboxCursor(db.sql, key, { uidValidity: 5n, lastUid, highestModseq: null }, { fence });
      // Holder a took the lock with token 10, claimed the folder and saved its cursor.
      await raiseMailboxFence(db.sql, key.mailbox, 10n);
      await claimMailboxInFlight(db.sql, key, 'a', 10n);
      await save(4, 10n);
      // Holder b took the mailbox over with token 11. a, resumed before b's claim, notes a mail it handles alone:
      // refused, or b's claim would count a death against a mail nobody died on.
      await raiseMailboxFence(db.sql, key.mailbox, 11n);
      await markMailboxInFlightHandling(db.sql, key, 'a', { uid: 5, uidValidity: 5n }, 10n);
      expect(await claimMailboxInFlight(db.sql, key, 'b', 11n)).toEqual({
        diedRun: 'a',
        handlingUid: null,
        uidValidity: null,
        deaths: 0,
      });
      // b handles UID 5 alone.
      await markMailboxInFlightHandling(db.sql, key, 'b', { uid: 5, uidValidity: 5n }, 11n);
      const claimOfB = await db.sql.query('SELECT run, "handlingUid", deaths FROM "MailboxInFlight"');

      // a resumes: its claim takes nothing and throws, its save moves nothing (forward or back).
      await expect(claimMailboxInFlight(db.sql, key, 'a', 10n)).rejects.toBeInstanceOf(MailboxFencedOutError);
      await expect(save(9, 10n)).rejects.toThrow(/another process took the mailbox support@support.example over/i);
      await markMailboxInFlightHandling(db.sql, key, 'b', null, 10n);
      await releaseMailboxInFlight(db.sql, key, 'b', 10n);
      expect(await db.sql.query('SELECT run, "handlingUid", deaths FROM "MailboxInFlight"')).toEqual(claimOfB);
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 4 });
      // Nor can it store its token again (an acquisition that a newer one overtook).
      await expect(raiseMailboxFence(db.sql, key.mailbox, 10n)).rejects.toBeInstanceOf(MailboxFencedOutError);
      expect(await findMailboxFence(db.sql, key.mailbox)).toBe(11n);

      // b's own writes go through; its token stored again (a retry) is no refusal.
      await raiseMailboxFence(db.sql, key.mailbox, 11n);
      await save(6, 11n);
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 6 });
      await releaseMailboxInFlight(db.sql, key, 'b', 11n);
      expect(await db.sql.query('SELECT run, deaths FROM "MailboxInFlight"')).toEqual([{ run: null, deaths: 0 }]);
      // Another mailbox has its own token.
      await raiseMailboxFence(db.sql, 'sales@support.example', 3n);
      expect(await findMailboxFence(db.sql, key.mailbox)).toBe(11n);
    }));
});

describe("a batch's fenced cursor save beside a takeover (PostgreSQL)", () => {
  it('either commits before the new token is stored, or is refused after it: never between', () =>
    besideOtherConnection(async (db, other) => {
      const at = (lastUid: number) => ({ uidValidity: 5n, lastUid, highestModseq: null });
      await raiseMailboxFence(db.sql, key.mailbox, 10n);
      // The old holder's batch passed its check and has not committed yet: the takeover's raise waits for it.
      await other.query('BEGIN');
      await saveMailboxCursor(onConnection(other), key, at(3), { fence: 10n });
      let raised = false;
      const raise = raiseMailboxFence(db.sql, key.mailbox, 11n).finally(() => (raised = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(raised).toBe(false);
      await other.query('COMMIT');
      await raise;
      // So the new holder reads the cursor after that batch.
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 3 });

      // The next takeover's raise is not committed yet when the old holder's batch checks: the check waits
      // for it, then sees the newer token and the batch rolls back.
      await other.query('BEGIN');
      await raiseMailboxFence(onConnection(other), key.mailbox, 12n);
      let refused: unknown;
      const stale = saveMailboxCursor(db.sql, key, at(9), { fence: 11n }).catch((err) => (refused = err));
      await new Promise((r) => setTimeout(r, 300));
      expect(refused).toBeUndefined();
      await other.query('COMMIT');
      await stale;
      expect(refused).toBeInstanceOf(MailboxFencedOutError);
      expect(await findMailboxCursor(db.sql, key)).toEqual({ uidValidity: 5n, lastUid: 3 });
    }));
});
