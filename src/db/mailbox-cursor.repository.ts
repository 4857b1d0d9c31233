import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import type { DbClient } from './db-client.ts';
import type { MailboxCursor } from './generated/client.ts';
import { fenceHolds, MailboxFencedOutError } from './mailbox-fence.repository.ts';

/** One IMAP folder of one mailbox. */
export interface MailboxFolderKey {
  mailbox: string;
  folder: string;
}

/** How far a folder was synced, or null before its first sync. */
export async function findMailboxCursor(
  sql: SqlRunner,
  key: MailboxFolderKey,
): Promise<{ uidValidity: bigint; lastUid: number } | null> {
  // Raw SQL, like saveMailboxCursor: both run on every IDLE wake and every batch, and Prisma's query
  // compiler spent ~10% of the sync's CPU on them (bench:imap --cpu-prof).
  // "lastUid" is BIGINT (IMAP UIDs are unsigned 32-bit): a string from node-postgres, a bigint from PGlite.
  const rows = await sql.query<{ uidValidity: string; lastUid: string | bigint | number }>(
    'SELECT "uidValidity"::text AS "uidValidity", "lastUid" FROM "MailboxCursor" WHERE mailbox = $1 AND folder = $2',
    [key.mailbox, key.folder],
  );
  return rows[0] ? { uidValidity: BigInt(rows[0].uidValidity), lastUid: Number(rows[0].lastUid) } : null;
}

/**
 * Stores how far a folder was synced (now), clearing its last error. Within one UIDVALIDITY the cursor
 * only moves forward: a process that lost the mailbox lock mid-pass and saves its own, older position
 * after the new holder saved a later one does not send the new holder back over mail it logged (a new
 * UIDVALIDITY, a resync, starts again from what is given).
 *
 * With `fence` (the syncer's mailbox lock token, see raiseMailboxFence) the same statement refuses a token
 * older than the mailbox's newest: nothing is saved and it throws {@link MailboxFencedOutError}, so inside a
 * batch's transaction the whole batch rolls back. The check holds the mailbox's fence row (a share lock)
 * until that transaction ends: a takeover's raise of the fence waits for the commit, or comes first and the
 * batch is refused. One statement as before: no round trip added per batch.
 */
export async function saveMailboxCursor(
  sql: SqlRunner,
  key: MailboxFolderKey,
  at: { uidValidity: bigint; lastUid: number; highestModseq: bigint | null },
  opts: { now?: Date; fence?: bigint } = {},
): Promise<void> {
  const rows = await sql.query(
    `INSERT INTO "MailboxCursor" (id, mailbox, folder, "uidValidity", "lastUid", "highestModseq", "lastSyncAt", "lastError", "updatedAt")
     SELECT $1::uuid, $2::text, $3::text, $4::bigint, $5::bigint, $6::bigint, $7::timestamptz, NULL, $7::timestamptz WHERE ${fenceHolds(2, 8)}
     ON CONFLICT (mailbox, folder) DO UPDATE SET "uidValidity" = EXCLUDED."uidValidity",
       "lastUid" = CASE WHEN "MailboxCursor"."uidValidity" = EXCLUDED."uidValidity"
         THEN GREATEST("MailboxCursor"."lastUid", EXCLUDED."lastUid") ELSE EXCLUDED."lastUid" END,
       "highestModseq" = EXCLUDED."highestModseq", "lastSyncAt" = EXCLUDED."lastSyncAt", "lastError" = NULL, "updatedAt" = EXCLUDED."updatedAt"
     RETURNING 1`,
    [
      randomUUID(),
      key.mailbox,
      key.folder,
      at.uidValidity.toString(),
      at.lastUid,
      at.highestModseq === null ? null : at.highestModseq.toString(),
      opts.now ?? new Date(),
      opts.fence?.toString() ?? null,
    ],
  );
  if (rows.length === 0 && opts.fence !== undefined) throw new MailboxFencedOutError(key.mailbox, opts.fence);
}

/**
 * Remembers why a folder's last sync failed (the first 500 characters), on a folder with a cursor. With
 * `fence` (the syncer's mailbox lock token) the same statement checks it as a cursor save does (holding the
 * fence row until it commits): a syncer another process took the mailbox over from writes nothing, even
 * when the takeover comes right before the write. Returns false when nothing was written (no cursor yet,
 * or the token is older than the mailbox's newest).
 */
export async function saveMailboxError(
  sql: SqlRunner,
  key: MailboxFolderKey,
  message: string,
  opts: { fence?: bigint } = {},
): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "MailboxCursor" SET "lastError" = $3, "updatedAt" = now()
     WHERE mailbox = $1 AND folder = $2 AND ${fenceHolds(1, 4)} RETURNING 1`,
    [key.mailbox, key.folder, message.slice(0, 500), opts.fence?.toString() ?? null],
  );
  return rows.length > 0;
}

/** A folder's cursor row, its last UID a number (the column is BIGINT: IMAP UIDs are unsigned 32-bit). */
export type MailboxCursorRow = Omit<MailboxCursor, 'lastUid'> & { lastUid: number };

/** The cursors of these mailboxes, by mailbox and folder. */
export async function listMailboxCursors(client: DbClient, mailboxes: string[]): Promise<MailboxCursorRow[]> {
  const rows = await client.mailboxCursor.findMany({
    where: { mailbox: { in: mailboxes } },
    orderBy: [{ mailbox: 'asc' }, { folder: 'asc' }],
  });
  return rows.map((c) => ({ ...c, lastUid: Number(c.lastUid) }));
}
