import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';

/** Everything the classify job needs about one message, read in one statement. */
export interface MessageToClassify {
  messageId: string;
  recordId: string;
  cleanText: string;
  direction: 'inbound' | 'outbound' | 'internal';
  companyId: string | null;
  loggedByRepId: string | null;
  /** The mailbox an email came from (Message.metadata.origin.mailbox), for its default channel. */
  mailbox: string | null;
  /** The stored classification of this record and message, when a previous run wrote it. */
  classification: { id: string; label: string; correctedLabel: string | null; confidence: number; sentiment: number | null; createdAt: Date } | null;
  /** The suggestion that classification produced, if any. */
  followUp: SuggestedFollowUpRow | null;
  /** Whether the record already has a follow-up waiting for Accept/Dismiss. */
  pendingSuggestion: boolean;
}

export interface SuggestedFollowUpRow {
  id: string;
  status: string;
  remindTarget: string | null;
}

/** A new suggested follow-up, written only when the record has no pending one. */
export interface SuggestionRow {
  title: string;
  dueAt: Date;
  priority: string;
  reason: string;
  /** Used when the customer has no linked channel. */
  defaultTarget: string;
}

// "Pending" is scoped by the record's company as well as the record: follow-ups of a record are always
// created for the record's company, and (companyId, status) is indexed while recordId is not.
const PENDING = `EXISTS (SELECT 1 FROM "FollowUp" p WHERE p."companyId" = r."companyId" AND p."recordId" = r.id AND p.status = 'suggested'::"FollowUpStatus")`;

const READ = `
SELECT m.id AS "messageId", m."recordId", m."cleanText", m.direction::text AS direction, r."companyId", r."loggedByRepId",
  m.metadata->'origin'->>'mailbox' AS mailbox,
  c.id AS "classificationId", c.label, c."correctedLabel", c.confidence, c.sentiment, c."createdAt" AS "classifiedAt",
  f.id AS "followUpId", f.status::text AS "followUpStatus", f."remindTarget",
  ${PENDING} AS "pendingSuggestion"
FROM "Message" m
JOIN "CommunicationRecord" r ON r.id = m."recordId"
LEFT JOIN "Classification" c ON c."recordId" = r.id AND c."messageId" = m.id
LEFT JOIN "FollowUp" f ON f."classificationId" = c.id
WHERE m.id = $1::uuid`;

/** Loads the message, its record, any earlier classification and suggestion; undefined when the message is gone. */
export async function readMessageToClassify(sql: SqlRunner, messageId: string): Promise<MessageToClassify | undefined> {
  const [row] = await sql.query<Record<string, unknown>>(READ, [messageId]);
  if (!row) return undefined;
  return {
    messageId: row.messageId as string,
    recordId: row.recordId as string,
    cleanText: row.cleanText as string,
    direction: row.direction as MessageToClassify['direction'],
    companyId: (row.companyId as string | null) ?? null,
    loggedByRepId: (row.loggedByRepId as string | null) ?? null,
    mailbox: (row.mailbox as string | null) ?? null,
    classification: row.classificationId
      ? {
          id: row.classificationId as string,
          label: row.label as string,
          correctedLabel: (row.correctedLabel as string | null) ?? null,
          confidence: Number(row.confidence),
          sentiment: row.sentiment === null ? null : Number(row.sentiment),
          createdAt: new Date(row.classifiedAt as string | Date),
        }
      : null,
    followUp: row.followUpId ? { id: row.followUpId as string, status: row.followUpStatus as string, remindTarget: (row.remindTarget as string | null) ?? null } : null,
    pendingSuggestion: row.pendingSuggestion === true,
  };
}

// The customer's most recently linked channel, as reminderTargetFor() picks it, else the default.
const TARGET = `COALESCE((SELECT l.platform::text || ':' || l."channelRef" FROM "ChannelLink" l WHERE l."companyId" = $2::uuid ORDER BY l."updatedAt" DESC LIMIT 1), $9::text)`;

const INSERT_SUGGESTION_COLUMNS = `INSERT INTO "FollowUp" (id, "companyId", "recordId", "classificationId", title, "dueAt", status, source, priority, reason, "remindTarget", "assigneeRepId", "createdAt", "updatedAt")`;

const INSERT_CLASSIFICATION = `
WITH c AS (
  INSERT INTO "Classification" (id, "recordId", "messageId", label, confidence, scores, sentiment, entities, "modelVersion", "createdAt")
  VALUES ($11::uuid, $3::uuid, $12::uuid, $13, $14, $15::jsonb, $16, $17::jsonb, $18, $10::timestamptz)
  ON CONFLICT ("recordId", "messageId") DO NOTHING
  RETURNING id
), f AS (
  ${INSERT_SUGGESTION_COLUMNS}
  SELECT $1::uuid, $2::uuid, $3::uuid, c.id, $4::text, $5::timestamptz, 'suggested'::"FollowUpStatus", 'suggested'::"FollowUpSource", $6::text, $7::text, ${TARGET}, $8::uuid, $10::timestamptz, $10::timestamptz
  FROM c
  WHERE $1::uuid IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM "FollowUp" p WHERE p."companyId" = $2::uuid AND p."recordId" = $3::uuid AND p.status = 'suggested'::"FollowUpStatus")
  ON CONFLICT ("classificationId") DO NOTHING
  RETURNING id, status::text AS status, "remindTarget"
)
SELECT c.id AS "classificationId", f.id AS "followUpId", f.status AS "followUpStatus", f."remindTarget" FROM c LEFT JOIN f ON true`;

const INSERT_SUGGESTION_FOR = `
${INSERT_SUGGESTION_COLUMNS}
SELECT $1::uuid, $2::uuid, $3::uuid, $11::uuid, $4::text, $5::timestamptz, 'suggested'::"FollowUpStatus", 'suggested'::"FollowUpSource", $6::text, $7::text, ${TARGET}, $8::uuid, $10::timestamptz, $10::timestamptz
WHERE NOT EXISTS (SELECT 1 FROM "FollowUp" p WHERE p."companyId" = $2::uuid AND p."recordId" = $3::uuid AND p.status = 'suggested'::"FollowUpStatus")
ON CONFLICT ("classificationId") DO NOTHING
RETURNING id, status::text AS status, "remindTarget"`;

export interface NewClassificationRow {
  recordId: string;
  messageId: string;
  companyId: string | null;
  assigneeRepId: string | null;
  label: string;
  confidence: number;
  scores: unknown;
  sentiment: number;
  entities: unknown;
  modelVersion: string;
}

function suggestionParams(id: string | null, c: { companyId: string | null; recordId: string; assigneeRepId: string | null }, s: SuggestionRow | undefined, now: Date): unknown[] {
  return [id, c.companyId, c.recordId, s?.title ?? null, s?.dueAt ?? null, s?.priority ?? null, s?.reason ?? null, c.assigneeRepId, s?.defaultTarget ?? null, now];
}

/**
 * Stores a new classification and, when `suggestion` is given and the record has no pending one,
 * its suggested follow-up, in one statement. Returns undefined when the classification already
 * existed (a concurrent run wrote it first; nothing was written).
 */
export async function insertClassification(
  sql: SqlRunner,
  c: NewClassificationRow,
  suggestion: SuggestionRow | undefined,
  now = new Date(),
): Promise<{ classificationId: string; followUp: SuggestedFollowUpRow | null } | undefined> {
  const params = [
    ...suggestionParams(suggestion && c.companyId ? randomUUID() : null, c, suggestion, now),
    randomUUID(), c.messageId, c.label, c.confidence, JSON.stringify(c.scores), c.sentiment, JSON.stringify(c.entities), c.modelVersion,
  ];
  const [row] = await sql.query<{ classificationId: string; followUpId: string | null; followUpStatus: string | null; remindTarget: string | null }>(INSERT_CLASSIFICATION, params);
  if (!row) return undefined;
  return { classificationId: row.classificationId, followUp: row.followUpId ? { id: row.followUpId, status: row.followUpStatus!, remindTarget: row.remindTarget } : null };
}

/**
 * Creates the suggestion of an existing classification unless the record has a pending one.
 * Returns null when nothing was written (pending suggestion, or a concurrent run wrote it).
 */
export async function insertSuggestionFor(
  sql: SqlRunner,
  classificationId: string,
  c: { companyId: string; recordId: string; assigneeRepId: string | null },
  suggestion: SuggestionRow,
  now = new Date(),
): Promise<SuggestedFollowUpRow | null> {
  const [row] = await sql.query<SuggestedFollowUpRow>(INSERT_SUGGESTION_FOR, [...suggestionParams(randomUUID(), c, suggestion, now), classificationId]);
  return row ?? null;
}

/** The suggestion a classification produced, if any. */
export async function readSuggestionOf(sql: SqlRunner, classificationId: string): Promise<SuggestedFollowUpRow | null> {
  const [row] = await sql.query<SuggestedFollowUpRow>(`SELECT id, status::text AS status, "remindTarget" FROM "FollowUp" WHERE "classificationId" = $1::uuid`, [classificationId]);
  return row ?? null;
}
