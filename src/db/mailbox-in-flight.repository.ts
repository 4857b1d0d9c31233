import type { SqlRunner } from './database.ts';
import type { MailboxFolderKey } from './mailbox-cursor.repository.ts';

/**
 * Claims a folder's mail after `fromUid` (its cursor) for the process `run`; returns how many holders in a
 * row stopped while handling the mail after that cursor. A claim left by another run that did not end
 * its pass (the process died, or froze and lost the lock) counts one more death when that run had not
 * moved the cursor since its claim, the first one when it had; a claim of this run, or one released,
 * counts none.
 */
export async function claimMailboxInFlight(
  sql: SqlRunner,
  key: MailboxFolderKey,
  run: string,
  fromUid: number,
): Promise<number> {
  const rows = await sql.query<{ deaths: number }>(
    `INSERT INTO "MailboxInFlight" (mailbox, folder, run, "fromUid", deaths, "updatedAt") VALUES ($1, $2, $3, $4, 0, now())
     ON CONFLICT (mailbox, folder) DO UPDATE SET
       deaths = (CASE WHEN "MailboxInFlight"."fromUid" = EXCLUDED."fromUid" THEN "MailboxInFlight".deaths ELSE 0 END)
         + (CASE WHEN "MailboxInFlight".run IS NOT NULL AND "MailboxInFlight".run <> EXCLUDED.run THEN 1 ELSE 0 END),
       run = EXCLUDED.run, "fromUid" = EXCLUDED."fromUid", "updatedAt" = now()
     RETURNING deaths`,
    [key.mailbox, key.folder, run, fromUid],
  );
  return Number(rows[0]?.deaths ?? 0);
}

/** Ends `run`'s claim on a folder (its pass ended): the next claim counts no death. */
export async function releaseMailboxInFlight(sql: SqlRunner, key: MailboxFolderKey, run: string): Promise<void> {
  await sql.query(
    `UPDATE "MailboxInFlight" SET run = NULL, deaths = 0, "updatedAt" = now() WHERE mailbox = $1 AND folder = $2 AND run = $3`,
    [key.mailbox, key.folder, run],
  );
}
