import type { SqlRunner } from './database.ts';

/** A message Rapport posted to a chat: where, and the platform's id of it. */
export interface PostedCard {
  target: string;
  externalId: string;
}

// Delivery keys of follow-up posts are "<kind>-<follow-up uuid>[-<due epoch>]" and, for the assignee's
// private copies (a Slack DM, a Teams 1:1), "<kind>-direct-<follow-up uuid>-<due epoch>-<target>"
// (jobs/job-ids.ts); refreshes update those same messages, so the posts are what is listed.
// FollowUp.messageRef ("<target>|<id>") covers a post whose Delivery row is gone.
const POSTED_CARDS = `
SELECT DISTINCT target, "externalId" FROM "Delivery"
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
