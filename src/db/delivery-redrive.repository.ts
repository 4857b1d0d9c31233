import type { SqlRunner } from './database.ts';

/** A delivery not sent whose job may be gone: what to queue again. */
export interface DeliveryToRedrive {
  key: string;
  status: string;
  /** The deliver job's data as it was claimed. */
  payload: unknown;
}

/**
 * Deliveries that are not sent, quiet since `quietSince`, not leased by a live attempt, due for
 * another drive (backoff) and under the cap: `pending` (a retry whose job was lost), `posting` (a
 * worker died or Redis lost the job mid-post) and `failed` (attempts used up during an outage).
 */
export async function findDeliveriesToRedrive(
  sql: SqlRunner,
  ask: { now: Date; quietSince: Date; maxRedrives: number; limit: number },
): Promise<DeliveryToRedrive[]> {
  return sql.query<DeliveryToRedrive>(
    `SELECT key, status, payload FROM "Delivery"
      WHERE status IN ('pending', 'posting', 'failed') AND payload IS NOT NULL AND "updatedAt" < $2
        AND ("nextRedriveAt" IS NULL OR "nextRedriveAt" <= $1) AND ("leaseUntil" IS NULL OR "leaseUntil" <= $1)
        AND redrives < $3
      ORDER BY "updatedAt" LIMIT $4`,
    [ask.now, ask.quietSince, ask.maxRedrives, ask.limit],
  );
}

/** Suggestions waiting for Accept or Dismiss whose card was never claimed (its job was lost before it ran). */
export async function findSuggestionsWithoutDelivery(
  sql: SqlRunner,
  ask: { createdBefore: Date; limit: number },
): Promise<Array<{ id: string; remindTarget: string }>> {
  return sql.query(
    `SELECT f.id, f."remindTarget" FROM "FollowUp" f
      WHERE f.status = 'suggested' AND f."remindTarget" IS NOT NULL AND f."createdAt" < $1
        AND NOT EXISTS (SELECT 1 FROM "Delivery" d WHERE d.key = 'suggestion-' || f.id::text)
      ORDER BY f."createdAt" LIMIT $2`,
    [ask.createdBefore, ask.limit],
  );
}

/**
 * Counts a drive of each key and sets when the next may come: `baseMs` doubled per drive, at most `capMs`.
 */
export async function markDeliveriesRedriven(
  sql: SqlRunner,
  keys: readonly string[],
  backoff: { now: Date; baseMs: number; capMs: number },
): Promise<void> {
  if (keys.length === 0) return;
  await sql.query(
    `UPDATE "Delivery" SET redrives = redrives + 1,
        "nextRedriveAt" = $2::timestamptz + LEAST($4::float8, $3::float8 * power(2, redrives)) * interval '1 millisecond'
      WHERE key = ANY($1::text[])`,
    [keys, backoff.now, backoff.baseMs, backoff.capMs],
  );
}
