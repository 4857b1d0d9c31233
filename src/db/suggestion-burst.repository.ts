import type { SqlRunner } from './database.ts';

/** A suggestion delivery before another one in the same burst (see {@link earlierSuggestionDeliveries}). */
export interface EarlierSuggestionDelivery {
  status: string;
  externalId: string | null;
  createdAt: Date;
  /** Sent, and its follow-up's card is that message at the target's top level (not grouped in a thread). */
  topLevel: boolean;
}

// Hands delivery $1 the next burst position of its customer and target, unless it has one. The counter
// row's lock is held until this statement commits, so a delivery taking the next position waits for this
// one's to be visible. Two runs of one key both count up (a gap, harmless); the second finds the position
// set when its row lock is granted and leaves it. The counter is always locked before the Delivery row.
const TAKE_POSITION = `
WITH me AS (
  SELECT d.id, d.target, f."companyId"
    FROM "Delivery" d
    JOIN "FollowUp" f ON f.id = (d.payload->>'followUpId')::uuid
   WHERE d.key = $1 AND d."burstPosition" IS NULL AND d.payload->>'kind' = 'suggestion' AND f."companyId" IS NOT NULL
), counter AS (
  INSERT INTO "SuggestionBurstCounter" ("companyId", target, "lastPosition")
  SELECT "companyId", target, 1 FROM me
  ON CONFLICT ("companyId", target) DO UPDATE SET "lastPosition" = "SuggestionBurstCounter"."lastPosition" + 1
  RETURNING "lastPosition"
)
UPDATE "Delivery" d SET "burstPosition" = counter."lastPosition", "burstCompanyId" = me."companyId"
  FROM me, counter
 WHERE d.id = me.id AND d."burstPosition" IS NULL`;

// The customer's own deliveries to the target in the window (index burstCompanyId, target, createdAt), the
// first 200 by position; only those are joined to their follow-ups. Every delivery with a burst customer is
// a suggestion (only suggestions take positions).
const EARLIER = `
WITH me AS (
  SELECT "burstCompanyId", target, "burstPosition", "createdAt", payload->>'followUpId' AS "followUpId"
    FROM "Delivery" WHERE key = $1 AND "burstCompanyId" IS NOT NULL
), earlier AS (
  SELECT d.status, d."externalId", d."createdAt", d.target, d."burstPosition", d.payload->>'followUpId' AS "followUpId"
    FROM "Delivery" d, me
   WHERE d."burstCompanyId" = me."burstCompanyId" AND d.target = me.target
     AND d."createdAt" >= me."createdAt" - $2 * interval '1 millisecond'
     AND d."burstPosition" < me."burstPosition"
     AND d.status NOT IN ('failed', 'skipped')
     AND d.payload->>'followUpId' IS DISTINCT FROM me."followUpId"
   ORDER BY d."burstPosition" ASC
   LIMIT 200
)
SELECT e.status, e."externalId" AS "externalId", e."createdAt" AS "createdAt",
       (e.status = 'sent' AND other."messageRef" = e.target || '|' || e."externalId") AS "topLevel"
  FROM earlier e
  JOIN "FollowUp" other ON other.id = e."followUpId"::uuid
 ORDER BY e."burstPosition" ASC`;

/**
 * The suggestion deliveries to the same target for the same customer as delivery `key` that come before
 * it in their burst, in burst order, leaving out those that failed or were skipped (they posted nothing)
 * and those created more than `windowMs` before it. A delivery's place in its customer's burst is the
 * number of these. The order is the burst positions the deliveries took: the first call for a delivery
 * takes its position (the next of its customer and target), and the read comes after that is committed.
 * Positions are handed out one at a time and each is visible before the next is taken, so every delivery
 * before this one is seen here, however late its row committed: ordering by creation time missed a
 * delivery created earlier whose row committed after a later one had looked (both took the same place).
 * None for a delivery without a follow-up or whose follow-up has no customer. Reads the customer's own
 * deliveries to the target in the window (index burstCompanyId, target, createdAt), not every customer's.
 */
export async function earlierSuggestionDeliveries(
  sql: SqlRunner,
  key: string,
  windowMs: number,
): Promise<EarlierSuggestionDelivery[]> {
  await takeBurstPosition(sql, key);
  const rows = await sql.query<EarlierSuggestionDelivery>(EARLIER, [key, windowMs]);
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt) }));
}

/**
 * Gives suggestion delivery `key` its burst position if it has none (see {@link earlierSuggestionDeliveries}).
 * Its own statement: a read in the same statement would not see the positions committed while it waited.
 */
export async function takeBurstPosition(sql: SqlRunner, key: string): Promise<void> {
  await sql.query(TAKE_POSITION, [key]);
}
