import type { SqlRunner } from './database.ts';
import type { MailboxFolderKey } from './mailbox-cursor.repository.ts';
import { fenceHolds, MailboxFencedOutError } from './mailbox-fence.repository.ts';

/** What a folder's in-flight claim said when a run took it. */
export interface InFlightClaim {
  /** The run that held it before and never ended its pass (it died, or froze and lost the lock); null when none did. */
  diedRun: string | null;
  /** The UID that run (or an earlier one) was handling alone when it stopped, if any. */
  handlingUid: number | null;
  /** The folder's UIDVALIDITY that UID belongs to. */
  uidValidity: bigint | null;
  /** How many runs in a row stopped while handling `handlingUid` alone. */
  deaths: number;
}

/**
 * Takes a folder's in-flight claim for `run`. A claim another run left (it never ended its pass) while
 * handling a mail alone counts one more death against that mail; a claim of this run, or one released,
 * counts none. Two runs taking over at once (PostgreSQL: the second waits on the row) count that death
 * once: the second finds the row taken by a run other than the one it read before waiting. With `fence` (the
 * run's mailbox lock token, see raiseMailboxFence) a claim whose token is older than the mailbox's newest
 * takes nothing and throws {@link MailboxFencedOutError}: the run lost the lock, and the claim is the new
 * holder's (it would count a death that never happened).
 */
export async function claimMailboxInFlight(
  sql: SqlRunner,
  key: MailboxFolderKey,
  run: string,
  fence?: bigint,
): Promise<InFlightClaim> {
  const rows = await sql.query<{
    previousRun: string | null;
    // BIGINT (IMAP UIDs are unsigned 32-bit): node-postgres reads it as a string, PGlite as a bigint.
    handlingUid: string | bigint | number | null;
    uidValidity: string | null;
    deaths: number;
  }>(
    `WITH prev AS (SELECT run FROM "MailboxInFlight" WHERE mailbox = $1 AND folder = $2)
     INSERT INTO "MailboxInFlight" AS f (mailbox, folder, run, "handlingUid", deaths, "updatedAt")
     SELECT $1::text, $2::text, $3::text, NULL::bigint, 0, now() WHERE ${fenceHolds(1, 4)}
     ON CONFLICT (mailbox, folder) DO UPDATE SET
       deaths = CASE WHEN f.run IS NOT NULL AND f.run <> EXCLUDED.run AND f."handlingUid" IS NOT NULL
                          AND f.run IS NOT DISTINCT FROM (SELECT run FROM prev) THEN f.deaths + 1 ELSE f.deaths END,
       run = EXCLUDED.run, "updatedAt" = now()
     RETURNING (SELECT run FROM prev) AS "previousRun", f."handlingUid" AS "handlingUid",
       f."uidValidity"::text AS "uidValidity", f.deaths AS deaths`,
    [key.mailbox, key.folder, run, fence?.toString() ?? null],
  );
  if (rows.length === 0 && fence !== undefined) throw new MailboxFencedOutError(key.mailbox, fence);
  const row = rows[0];
  const previous = row?.previousRun ?? null;
  return {
    diedRun: previous !== null && previous !== run ? previous : null,
    handlingUid: row?.handlingUid === null || row?.handlingUid === undefined ? null : Number(row.handlingUid),
    uidValidity: row?.uidValidity ? BigInt(row.uidValidity) : null,
    deaths: Number(row?.deaths ?? 0),
  };
}

/**
 * Notes that `run` is handling the mail `at` (a UID of a UIDVALIDITY) alone now, or none (null); the deaths
 * counted against another mail are forgotten, those against this one kept. Nothing is noted for a run that
 * no longer holds the claim, nor with a `fence` older than the mailbox's newest (a mark after a takeover but
 * before the new holder's claim would charge that mail a death; the write it announces is refused anyway).
 */
export async function markMailboxInFlightHandling(
  sql: SqlRunner,
  key: MailboxFolderKey,
  run: string,
  at: { uid: number; uidValidity: bigint } | null,
  fence?: bigint,
): Promise<void> {
  await sql.query(
    `UPDATE "MailboxInFlight" SET
       deaths = CASE WHEN "handlingUid" IS NOT DISTINCT FROM $4::bigint AND "uidValidity" IS NOT DISTINCT FROM $5::bigint THEN deaths ELSE 0 END,
       "handlingUid" = $4::bigint, "uidValidity" = $5::bigint, "updatedAt" = now()
     WHERE mailbox = $1 AND folder = $2 AND run = $3 AND ${fenceHolds(1, 6)}`,
    [key.mailbox, key.folder, run, at?.uid ?? null, at ? at.uidValidity.toString() : null, fence?.toString() ?? null],
  );
}

/**
 * Ends `run`'s claim on a folder (its pass ended, or failed with the process alive): the next claim counts no
 * death. Nothing changes for a run that no longer holds the claim, nor with a `fence` older than the
 * mailbox's newest (the deaths the claim counts are the new holder's to keep).
 */
export async function releaseMailboxInFlight(
  sql: SqlRunner,
  key: MailboxFolderKey,
  run: string,
  fence?: bigint,
): Promise<void> {
  await sql.query(
    `UPDATE "MailboxInFlight" SET run = NULL, "handlingUid" = NULL, "uidValidity" = NULL, deaths = 0, "updatedAt" = now()
     WHERE mailbox = $1 AND folder = $2 AND run = $3 AND ${fenceHolds(1, 4)}`,
    [key.mailbox, key.folder, run, fence?.toString() ?? null],
  );
}
