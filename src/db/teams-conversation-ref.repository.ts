import type { SqlRunner } from './database.ts';

/**
 * A Teams ConversationReference as stored on a ChannelLink row (its JSON; connectors/teams gives it
 * the botbuilder type, which src/db does not import).
 */
export type StoredConversationRef = Record<string, unknown>;

/**
 * Stamps `rosterChangedAt` on the stored reference of every Teams channel of a team.
 * @returns the stamped conversation ids.
 */
export async function stampTeamRosterChanged(sql: SqlRunner, teamId: string, at: string): Promise<string[]> {
  const rows = await sql.query<{ channelRef: string }>(
    `UPDATE "ChannelLink" SET "conversationRef" = jsonb_set("conversationRef", '{rosterChangedAt}', to_jsonb($2::text))
     WHERE platform = 'teams' AND "conversationRef" IS NOT NULL AND "conversationRef"->>'teamsTeamId' = $1
     RETURNING "channelRef"`,
    [teamId, at],
  );
  return rows.map((r) => r.channelRef);
}

/**
 * The newest stored 1:1 chat between the bot and a person (Teams user id "29:…" or Microsoft Entra
 * object id), or undefined.
 */
export async function findPersonalConversationRef(
  sql: SqlRunner,
  userId: string,
): Promise<StoredConversationRef | undefined> {
  const rows = await sql.query<{ conversationRef: StoredConversationRef }>(
    `SELECT "conversationRef" FROM "ChannelLink"
      WHERE platform = 'teams' AND "conversationRef" IS NOT NULL
        AND "conversationRef"->'conversation'->>'conversationType' = 'personal'
        AND ("conversationRef"->'user'->>'aadObjectId' = $1 OR "conversationRef"->'user'->>'id' = $1)
      ORDER BY "updatedAt" DESC LIMIT 1`,
    [userId],
  );
  return rows[0]?.conversationRef;
}

/** The newest stored Teams reference with a service URL (of `tenantId` when given), or undefined. */
export async function findNewestConversationRef(
  sql: SqlRunner,
  tenantId?: string,
): Promise<StoredConversationRef | undefined> {
  const rows = await sql.query<{ conversationRef: StoredConversationRef }>(
    `SELECT "conversationRef" FROM "ChannelLink"
      WHERE platform = 'teams' AND "conversationRef" IS NOT NULL AND "conversationRef"->>'serviceUrl' IS NOT NULL
        AND ($1::text IS NULL OR "conversationRef"->>'teamsTenantId' = $1 OR "conversationRef"->'conversation'->>'tenantId' = $1)
      ORDER BY "updatedAt" DESC LIMIT 1`,
    [tenantId ?? null],
  );
  return rows[0]?.conversationRef;
}

/**
 * The follow-up a sent private copy (a Teams 1:1 delivery, target `teams:@<user>`, payload `direct`)
 * was posted for, by the posted activity's id; undefined for any other message.
 */
export async function findDirectCopyFollowUpId(sql: SqlRunner, activityId: string): Promise<string | undefined> {
  const rows = await sql.query<{ followUpId: string | null }>(
    `SELECT payload->>'followUpId' AS "followUpId" FROM "Delivery"
      WHERE "externalId" = $1 AND target LIKE 'teams:@%' AND payload->>'direct' = 'true' AND status = 'sent'
      ORDER BY "updatedAt" DESC LIMIT 1`,
    [activityId],
  );
  return rows[0]?.followUpId ?? undefined;
}

/**
 * Strips the author from stored references that still hold one (as the migration
 * 20261207020000_conversation_refs_without_author did once): a process of the release before it,
 * still running during a rolling deploy, stores whoever last spoke again. Channels and group chats
 * lose `user`; a 1:1 chat keeps only its person's `id` and `aadObjectId`. Touches only rows that
 * hold more than that.
 * @returns how many references were stripped.
 */
export async function stripStoredConversationAuthors(sql: SqlRunner): Promise<number> {
  const rows = await sql.query<{ id: string }>(
    `UPDATE "ChannelLink"
     SET "conversationRef" = CASE
         WHEN "conversationRef"->'conversation'->>'conversationType' = 'personal'
              AND jsonb_typeof("conversationRef"->'user') = 'object'
              AND "conversationRef"->'user'->>'id' IS NOT NULL
           THEN jsonb_set("conversationRef", '{user}', jsonb_strip_nulls(jsonb_build_object(
             'id', "conversationRef"->'user'->'id', 'aadObjectId', "conversationRef"->'user'->'aadObjectId')))
         ELSE "conversationRef" - 'user'
       END
     WHERE platform = 'teams' AND jsonb_typeof("conversationRef") = 'object' AND "conversationRef"->'user' IS NOT NULL
       AND NOT ("conversationRef"->'conversation'->>'conversationType' = 'personal'
                AND jsonb_typeof("conversationRef"->'user') = 'object'
                AND "conversationRef"->'user'->>'id' IS NOT NULL
                AND ("conversationRef"->'user') - 'id' - 'aadObjectId' = '{}'::jsonb)
     RETURNING id`,
  );
  return rows.length;
}
