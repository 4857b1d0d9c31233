import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import type { DbClient } from './db-client.ts';

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
// recording it twice is one row. The customers it names are kept (null for none), for an erasure to find;
// in the same statement their rows are read FOR KEY SHARE: an erasure deleting one of them waits for this
// record and then reads it (findAnswersAbout runs after the delete, in its transaction), and one that
// deleted it first makes this statement wait for its commit and then not see the customer.
const RECORD_DIRECT_POST = `
WITH recorded AS (
  INSERT INTO "Delivery" (id, key, target, "externalId", status, attempts, "aboutCompanyIds", "createdAt", "updatedAt")
  VALUES ($1, $2, $3, $4, 'sent', 1, $5::uuid[], $6, $6)
  ON CONFLICT (key) DO NOTHING
)
SELECT id FROM "Company" WHERE id = ANY($5::uuid[]) FOR KEY SHARE`;

/**
 * Records a message a connector posted in a channel or group conversation outside the delivery job (a
 * command's answer, a Teams welcome card) as a sent Delivery keyed `answer-<target>-<id>`, so that
 * {@link findPostsInPlace} lists it and a place that becomes shared takes it back like a card.
 * `target` is where it went (a Slack thread `slack:T1/C2/<ts>`, a Teams reply chain
 * `teams:<conversation>;messageid=<id>`); `externalId` the platform's id of the message (Slack `ts`,
 * the Teams activity id), which is what updating it needs. `about`: the customers (company ids) it
 * names (Reply.about), so that erasing one of them takes it back too ({@link findAnswersAbout}).
 * @returns whether a customer it names is gone already (erased after the answer was read, before it
 * was recorded): no erasure will find it, so the caller takes it back.
 */
export async function recordDirectPost(
  sql: SqlRunner,
  post: PostedCard & { about?: readonly string[] },
  now = new Date(),
): Promise<{ customerGone: boolean }> {
  const about = [...new Set(post.about ?? [])];
  const present = await sql.query<{ id: string }>(RECORD_DIRECT_POST, [
    randomUUID(),
    `answer-${post.target}-${post.externalId}`,
    post.target,
    post.externalId,
    about.length > 0 ? about : null,
    now,
  ]);
  return { customerGone: present.length < about.length };
}

// Every customer any attempt of the post named: an attempt whose post went out unrecorded (a timeout,
// a crash) is found on the platform by a later one that rebuilt the reply from later data.
const ADD_POST_NAMES = `
UPDATE "Delivery"
   SET "aboutCompanyIds" = ARRAY(SELECT DISTINCT n FROM unnest(coalesce("aboutCompanyIds", '{}'::uuid[]) || $2::uuid[]) n)
 WHERE key = $1`;

/**
 * Writes the customers (company ids) a digest or weekly insights post is about to name (Reply.about) on
 * its Delivery row, before it is posted (added to those of earlier attempts), so that once the row is
 * recorded sent an erasure of any of them finds the post ({@link findAnswersAbout}) whatever happens
 * after the post; {@link findPostNamingGone} then catches an erasure that committed before that.
 */
export async function addPostNames(sql: SqlRunner, key: string, about: readonly string[]): Promise<void> {
  const named = [...new Set(about)];
  if (named.length > 0) await sql.query(ADD_POST_NAMES, [key, named]);
}

// The Company rows are read FOR KEY SHARE (see RECORD_DIRECT_POST): run after the row is recorded sent,
// an erasure deleting one of them either committed before (its row is not returned: counted gone) or
// waits for this statement and then reads the sent row itself (findAnswersAbout runs after its delete).
const POST_NAMING_GONE = `
WITH named AS (
  SELECT "aboutCompanyIds" AS ids, coalesce(payload->>'postedTo', target) AS target, "externalId"
    FROM "Delivery"
   WHERE key = $1 AND status = 'sent' AND "externalId" IS NOT NULL AND cardinality("aboutCompanyIds") > 0
), present AS (
  SELECT c.id FROM "Company" c, named WHERE c.id = ANY(named.ids) FOR KEY SHARE OF c
)
SELECT target, "externalId", cardinality(ids) AS named, (SELECT count(*) FROM present)::int AS present FROM named`;

/**
 * The post recorded sent under `key` when a customer it names is gone already (erased while the post
 * was on its way, so no erasure will find it): the caller takes it back. Undefined when it names
 * nobody, or everyone it names is still here.
 */
export async function findPostNamingGone(sql: SqlRunner, key: string): Promise<PostedCard | undefined> {
  const [row] = await sql.query<PostedCard & { named: number; present: number }>(POST_NAMING_GONE, [key]);
  return row && Number(row.present) < Number(row.named)
    ? { target: row.target, externalId: row.externalId }
    : undefined;
}

// `@>` is what the GIN index on "aboutCompanyIds" serves. Direct posts carry customers (sent from the
// start), and so do the deliver job's digests and weekly posts (addPostNames, read once sent); a post
// the last-step guard redirected is taken back where it went (`payload.postedTo`).
const ANSWERS_ABOUT = `
SELECT coalesce(payload->>'postedTo', target) AS target, "externalId" FROM "Delivery"
WHERE "aboutCompanyIds" @> ARRAY[$1::uuid] AND status = 'sent' AND "externalId" IS NOT NULL`;

/**
 * The command answers and other direct posts ({@link recordDirectPost}), digests and weekly posts
 * ({@link addPostNames}) that name this customer, where they are: read by its erasure, in its
 * transaction, to take them back with its cards.
 */
export async function findAnswersAbout(client: DbClient, companyId: string): Promise<PostedCard[]> {
  return client.$queryRawUnsafe<PostedCard[]>(ANSWERS_ABOUT, companyId);
}
