import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';

/** A message Rapport posted to a chat: where, and the platform's id of it. */
export interface PostedCard {
  target: string;
  externalId: string;
}

// Delivery keys of follow-up posts are "<kind>-<follow-up uuid>[-<due epoch>]" and, for the assignee's
// private copies (a Slack DM, a Teams 1:1), "<kind>-direct-<follow-up uuid>-<due epoch>-<target>"
// (jobs/job-ids.ts); refreshes update those same messages, so the posts are what is listed.
// FollowUp.messageRef ("<target>|<id>") covers a post whose Delivery row is gone. A post the last-step
// guard redirected (or grouped in a thread) is listed where it went (`payload.postedTo`).
const POSTED_CARDS = `
SELECT DISTINCT coalesce(payload->>'postedTo', target) AS target, "externalId" FROM "Delivery"
WHERE status = 'sent' AND "externalId" IS NOT NULL
  AND substring(key from '^(?:suggestion|reminder|escalation)(?:-direct)?-(.{36})') = ANY($1::text[])
UNION
SELECT left(f."messageRef", length(f."messageRef") - position('|' in reverse(f."messageRef"))) AS target,
       right(f."messageRef", position('|' in reverse(f."messageRef")) - 1) AS "externalId"
FROM "FollowUp" f WHERE f.id::text = ANY($1::text[]) AND f."messageRef" LIKE '%|%'`;

/**
 * Every chat message posted for these follow-ups (suggestion, reminder and escalation cards, and the
 * assignee's private copies), so that they can be updated or removed when the data they quote goes away.
 */
export async function findPostedCards(sql: SqlRunner, followUpIds: readonly string[]): Promise<PostedCard[]> {
  if (followUpIds.length === 0) return [];
  return sql.query<PostedCard>(POSTED_CARDS, [followUpIds]);
}

// Where a post really went: the Delivery row's target, unless the last-step guard redirected it or it
// was grouped in a thread (then `payload.postedTo`, see recordDeliveriesSent). Retractions are not
// posts (they update one), and refreshes update the same messages as the posts they follow. Command
// answers and other direct posts are rows of their own (recordDirectPost).
const POSTS_IN_PLACE = `
WITH posted AS (
  SELECT coalesce(payload->>'postedTo', target) AS target, "externalId" FROM "Delivery"
  WHERE status = 'sent' AND "externalId" IS NOT NULL AND key NOT LIKE 'retract-%'
  UNION
  SELECT left("messageRef", length("messageRef") - position('|' in reverse("messageRef"))) AS target,
         right("messageRef", position('|' in reverse("messageRef")) - 1) AS "externalId"
  FROM "FollowUp" WHERE "messageRef" LIKE '%|%'
)
SELECT DISTINCT target, "externalId" FROM posted
WHERE target = $1 OR left(target, length($1) + 1) IN ($1 || '/', $1 || ';')`;

/**
 * Every message Rapport posted in one place (`slack:T1/C2`, `teams:<conversation>`), its threads
 * included: follow-up cards, private copies, digests, insights posts, notices, and the command answers
 * and welcome cards the connectors posted themselves ({@link recordDirectPost}). A post the last-step
 * guard redirected elsewhere is listed where it went, not where it was meant to go.
 */
export async function findPostsInPlace(sql: SqlRunner, place: string): Promise<PostedCard[]> {
  return sql.query<PostedCard>(POSTS_IN_PLACE, [place]);
}

// A direct post is a Delivery row that is sent from the start and carries no payload: the deliver job
// never claims its key (no job has it), the reconciler's redrive scan reads only rows not sent, no burst
// position is taken (only suggestions take one), findPostedCards reads only follow-up keys, and
// retention prunes it with the other sent rows (its key names no follow-up). Keyed by the message, so
// recording it twice is one row.
const RECORD_DIRECT_POST = `
INSERT INTO "Delivery" (id, key, target, "externalId", status, attempts, "createdAt", "updatedAt")
VALUES ($1, $2, $3, $4, 'sent', 1, $5, $5)
ON CONFLICT (key) DO NOTHING`;

/**
 * Records a message a connector posted in a channel or group conversation outside the delivery job (a
 * command's answer, a Teams welcome card) as a sent Delivery keyed `answer-<target>-<id>`, so that
 * {@link findPostsInPlace} lists it and a place that becomes shared takes it back like a card.
 * `target` is where it went (a Slack thread `slack:T1/C2/<ts>`, a Teams reply chain
 * `teams:<conversation>;messageid=<id>`); `externalId` the platform's id of the message (Slack `ts`,
 * the Teams activity id), which is what updating it needs.
 */
export async function recordDirectPost(sql: SqlRunner, post: PostedCard, now = new Date()): Promise<void> {
  await sql.query(RECORD_DIRECT_POST, [
    randomUUID(),
    `answer-${post.target}-${post.externalId}`,
    post.target,
    post.externalId,
    now,
  ]);
}
