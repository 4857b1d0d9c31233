import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import { FOLLOW_UP_CARD_COLUMNS, FOLLOW_UP_CARD_JOINS, followUpCardFromRow, type FollowUpCardData } from './follow-up-card.repository.ts';

/** The Delivery row of a key, and what a delivery needs to build its message, read in one statement. */
export interface ClaimedDelivery {
  /** The status before this claim (`pending` for a new row): `posting` means an earlier run may have posted. */
  status: string;
  externalId: string | null;
  /** The linked channel's own timezone, if it has one. */
  channelTimezone: string | null;
  /** The follow-up's card data, when a follow-up was asked for, the delivery is not sent yet, and it still exists. */
  card: FollowUpCardData | undefined;
  /**
   * Whether the claim already marked the row `posting` (counting an attempt), as setDeliveryStatus(`posting`)
   * would: done for follow-up cards whose follow-up exists, the deliveries that go on to post.
   */
  markedPosting: boolean;
}

const PLATFORMS = new Set(['slack', 'teams', 'email', 'console']);

// The insert sees no row that the other halves could (one snapshot), so exactly one half returns the
// row, except when a concurrent insert of the same key commits in between: then none does and the
// caller asks again. A follow-up card that is not sent yet and whose follow-up exists is marked
// `posting` here (saving the separate UPDATE before the post); `upd` locks the row first so it
// returns the status from before its own update.
const CLAIM = `
WITH p AS (
  SELECT $5::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM "FollowUp" WHERE id = $5::uuid) AS mark
), ins AS (
  INSERT INTO "Delivery" (id, key, target, status, attempts, "createdAt", "updatedAt")
  SELECT $1::uuid, $2, $3, CASE WHEN p.mark THEN 'posting' ELSE 'pending' END, CASE WHEN p.mark THEN 1 ELSE 0 END, $4::timestamptz, $4::timestamptz FROM p
  ON CONFLICT (key) DO NOTHING
  RETURNING status, "externalId"
), upd AS (
  UPDATE "Delivery" x SET status = 'posting', attempts = x.attempts + 1, "updatedAt" = $4::timestamptz
  FROM (SELECT key, status FROM "Delivery" WHERE key = $2 FOR UPDATE) o, p
  WHERE p.mark AND x.key = o.key AND o.status <> 'sent'
  RETURNING o.status, x."externalId"
), d AS (
  SELECT 'pending'::text AS status, "externalId", status = 'posting' AS "markedPosting" FROM ins
  UNION ALL
  SELECT status, "externalId", true FROM upd
  UNION ALL
  SELECT status, "externalId", false FROM "Delivery" WHERE key = $2 AND NOT EXISTS (SELECT 1 FROM upd)
)
SELECT d.status, d."externalId", d."markedPosting",
  (SELECT l.timezone FROM "ChannelLink" l WHERE l.platform = $6::"Platform" AND l."channelRef" = $7 AND l.timezone IS NOT NULL LIMIT 1) AS "channelTimezone",
  ${FOLLOW_UP_CARD_COLUMNS}
FROM d
LEFT JOIN "FollowUp" f ON f.id = $5::uuid AND d.status <> 'sent'
${FOLLOW_UP_CARD_JOINS}
LIMIT 1`;

/**
 * Creates the Delivery row of `key` unless it exists, and returns its state together with the
 * target channel's timezone and (for follow-up deliveries not yet sent) the follow-up's card data.
 * A follow-up delivery not yet sent whose follow-up exists is marked `posting` in the same statement
 * (see {@link ClaimedDelivery.markedPosting}).
 */
export async function claimDelivery(sql: SqlRunner, key: string, target: string, followUpId: string | undefined, now = new Date()): Promise<ClaimedDelivery> {
  const colon = target.indexOf(':');
  const platform = colon > 0 ? target.slice(0, colon) : target;
  const params = [randomUUID(), key, target, now, followUpId ?? null, PLATFORMS.has(platform) ? platform : null, colon > 0 ? target.slice(colon + 1) : ''];
  for (let attempt = 0; ; attempt++) {
    const [row] = await sql.query<Record<string, unknown>>(CLAIM, params);
    if (row) {
      return {
        status: row.status as string,
        externalId: (row.externalId as string | null) ?? null,
        channelTimezone: (row.channelTimezone as string | null) ?? null,
        card: followUpCardFromRow(row),
        markedPosting: row.markedPosting === true,
      };
    }
    if (attempt >= 2) throw new Error(`delivery ${key} could be neither created nor read`);
  }
}

/**
 * Moves a delivery to `status`; `posting` also counts an attempt, and `not-posting` takes that back
 * (the post did not happen after all: no rate-limit slot), restoring `previousStatus`.
 */
export async function setDeliveryStatus(
  sql: SqlRunner,
  key: string,
  status: 'posting' | 'not-posting' | 'pending' | 'failed' | 'skipped',
  lastError?: string,
  previousStatus?: string,
): Promise<void> {
  if (status === 'posting') {
    await sql.query(`UPDATE "Delivery" SET status = 'posting', attempts = attempts + 1, "updatedAt" = $2 WHERE key = $1`, [key, new Date()]);
  } else if (status === 'not-posting') {
    await sql.query(`UPDATE "Delivery" SET status = $2, attempts = attempts - 1, "updatedAt" = $3 WHERE key = $1`, [key, previousStatus ?? 'pending', new Date()]);
  } else if (lastError !== undefined) {
    await sql.query(`UPDATE "Delivery" SET status = $2, "lastError" = $3, "updatedAt" = $4 WHERE key = $1`, [key, status, lastError, new Date()]);
  } else {
    await sql.query(`UPDATE "Delivery" SET status = $2, "updatedAt" = $3 WHERE key = $1`, [key, status, new Date()]);
  }
}

/**
 * Records a delivery as sent and, when it posted a follow-up's card, remembers the message on the
 * follow-up (so later changes update it in place), in one statement.
 */
export async function recordDeliverySent(sql: SqlRunner, key: string, externalId: string, followUp?: { id: string; messageRef: string }): Promise<void> {
  await sql.query(
    `WITH d AS (UPDATE "Delivery" SET status = 'sent', "externalId" = $2, "lastError" = NULL, "updatedAt" = $3::timestamptz WHERE key = $1)
     UPDATE "FollowUp" SET "messageRef" = $4, "updatedAt" = $3::timestamptz WHERE id = $5::uuid`,
    [key, externalId, new Date(), followUp?.messageRef ?? null, followUp?.id ?? null],
  );
}
