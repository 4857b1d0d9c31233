import { RapportError } from '../errors.ts';
import type { SqlRunner } from './database.ts';

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
 * Throws {@link MailboxFencedOutError} unless `fence` is still the newest token stored for `mailbox`. In a
 * transaction it holds the fence row (see {@link fenceHolds}) until the commit, so a batch checked so is
 * refused whole or committed before a takeover; outside one it is a check just before a write that cannot
 * carry it (a quarantine row, a sync error), which a takeover right after it is not seen by.
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
