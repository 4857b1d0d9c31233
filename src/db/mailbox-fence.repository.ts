import { RapportError } from '../errors.ts';
import type { Database, SqlRunner } from './database.ts';

/**
 * A write carried a mailbox lock's fencing token older than the newest PostgreSQL has seen for that mailbox:
 * another process took the mailbox over since this one took the lock (this one was frozen past the lock's
 * TTL, or Redis lost the lock). Nothing of the write was done; the writer must stop as on a lost lock.
 */
export class MailboxFencedOutError extends RapportError {
  constructor(
    readonly mailbox: string,
    readonly fence: bigint,
  ) {
    super(
      'conflict',
      `Another process took the mailbox ${mailbox} over (its lock's fencing token ${fence} is older than the newest the database has seen); nothing was written, and this process stops syncing it.`,
      { mailbox, fence: fence.toString() },
    );
    this.name = 'MailboxFencedOutError';
  }
}

/**
 * The new holder's raise of the fence waited longer than it may for the mailbox's fence row: a transaction
 * that checked an older token holds it and has not ended (its process frozen inside a batch, and the
 * database has not ended its session: an older Rapport without the batch's idle timeout, or a session
 * someone left open). Nothing was stored; the holder gives the lock up this turn and tries again.
 */
export class MailboxFenceBusyError extends RapportError {
  constructor(
    readonly mailbox: string,
    readonly waitedMs: number,
  ) {
    super(
      'unavailable',
      `The mailbox ${mailbox} could not be taken over: a transaction of its former holder (frozen, or a session left open) has held its fence row in the database for more than ${waitedMs} ms; nothing was read or written, and the takeover is tried again.`,
      { mailbox, waitedMs },
    );
    this.name = 'MailboxFenceBusyError';
  }
}

/**
 * SQL that is true when the fencing token `$<fence>` (a BIGINT, or NULL for a writer outside the sync:
 * tools and tests) is not older than the newest stored for mailbox `$<mailbox>`. It takes a share lock on
 * that mailbox's fence row until the statement's transaction ends, so a newer holder's
 * {@link raiseMailboxFence} waits for the write that passed the check to commit (and reads after it), or
 * commits first and the check fails: no newer token can slip between the check and the commit. A share
 * lock, not an update: the folders of one mailbox commit their batches side by side.
 */
export function fenceHolds(mailboxParam: number, fenceParam: number): string {
  return `($${fenceParam}::bigint IS NULL OR EXISTS (SELECT 1 FROM "MailboxFence" WHERE mailbox = $${mailboxParam} AND fence <= $${fenceParam}::bigint FOR SHARE))`;
}

/**
 * Stores `fence`, the token of a new acquisition of the mailbox's lock, as the newest for `mailbox` before
 * the holder reads or writes anything of it; from then on writes carrying an older token are refused.
 * Throws {@link MailboxFencedOutError} when a newer token is stored already (another process took the
 * lock after this one).
 */
export async function raiseMailboxFence(sql: SqlRunner, mailbox: string, fence: bigint): Promise<void> {
  const rows = await sql.query(
    `INSERT INTO "MailboxFence" AS f (mailbox, fence, "updatedAt") VALUES ($1, $2::bigint, now())
     ON CONFLICT (mailbox) DO UPDATE SET fence = EXCLUDED.fence, "updatedAt" = now() WHERE f.fence <= EXCLUDED.fence
     RETURNING 1`,
    [mailbox, fence.toString()],
  );
  if (rows.length === 0) throw new MailboxFencedOutError(mailbox, fence);
}

/**
 * {@link raiseMailboxFence} for a new holder of the lock, waiting at most `waitMs` for the fence row: on
 * PostgreSQL on a connection of its own, under `SET LOCAL lock_timeout`. A former holder frozen inside a
 * batch's transaction after its fenced cursor save holds a share lock on that row until the transaction
 * ends; the batch's transaction has the database end its session once it has sat idle past the lock's TTL
 * (see inEmailTransaction), so a raise given more than that gets through, after that transaction rolled
 * back (or committed: the raise is ordered after it either way, never before a commit of an older token).
 * Throws {@link MailboxFenceBusyError} when the wait runs out (a transaction the database does not end:
 * an older Rapport's, a session left open), nothing stored. This raise's own transaction, frozen between
 * its update and its COMMIT, is ended once idle `idleMs` (rolled back: this holder then stored nothing). PGlite
 * is one process's embedded database: no other process holds its rows, and it has no lock wait to bound.
 */
export async function raiseMailboxFenceWithin(
  db: Database,
  mailbox: string,
  fence: bigint,
  bounds: { waitMs: number; idleMs: number },
): Promise<void> {
  if (db.kind !== 'postgres') return raiseMailboxFence(db.sql, mailbox, fence);
  const timeout = Math.max(1, Math.ceil(bounds.waitMs));
  const idle = Math.max(1, Math.ceil(bounds.idleMs));
  await db.withSession(async (session) => {
    await session.exec(
      `BEGIN; SET LOCAL lock_timeout = ${timeout}; SET LOCAL idle_in_transaction_session_timeout = ${idle}`,
    );
    try {
      await raiseMailboxFence(session, mailbox, fence);
      await session.exec('COMMIT');
    } catch (err) {
      await session.exec('ROLLBACK').catch(() => undefined);
      // lock_not_available: the wait for the fence row ran out.
      if ((err as { code?: unknown }).code === '55P03') throw new MailboxFenceBusyError(mailbox, timeout);
      throw err;
    }
  });
}

/**
 * Throws {@link MailboxFencedOutError} unless `fence` is still the newest token stored for `mailbox`. In a
 * transaction it holds the fence row (see {@link fenceHolds}) until the commit, so a batch checked so is
 * refused whole or committed before a takeover. A write outside a transaction carries the check in its own
 * statement instead (quarantineMail, saveMailboxError): a check just before it would miss a takeover in
 * between.
 */
export async function assertMailboxFence(sql: SqlRunner, mailbox: string, fence: bigint): Promise<void> {
  const rows = await sql.query(`SELECT 1 AS held WHERE ${fenceHolds(1, 2)}`, [mailbox, fence.toString()]);
  if (rows.length === 0) throw new MailboxFencedOutError(mailbox, fence);
}

/** The newest fencing token stored for `mailbox`, or null before its lock was first taken. */
export async function findMailboxFence(sql: SqlRunner, mailbox: string): Promise<bigint | null> {
  const rows = await sql.query<{ fence: string }>(
    'SELECT fence::text AS fence FROM "MailboxFence" WHERE mailbox = $1',
    [mailbox],
  );
  return rows[0] ? BigInt(rows[0].fence) : null;
}
