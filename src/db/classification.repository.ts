import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';
import type { DbClient } from './db-client.ts';
import type { Classification } from './generated/client.ts';
import { batchRows } from './batch-rows.ts';

/** Everything the classify job needs about one message, read in one statement. */
export interface MessageToClassify {
  messageId: string;
  recordId: string;
  cleanText: string;
  /** When it was said (Message.sentAt): a logged call's time, an email's Date header, a chat message's timestamp. */
  sentAt: Date;
  direction: 'inbound' | 'outbound' | 'internal' | 'unknown';
  companyId: string | null;
  loggedByRepId: string | null;
  /** The mailbox an email came from (Message.metadata.origin.mailbox), for its default channel. */
  mailbox: string | null;
  /** The mail filter rule that let the email through with a twist (Message.metadata.filter): `log-quietly` or `route`. */
  filter: { action: string; target: string | null } | null;
  /** The stored classification of this record and message, when a previous run wrote it. */
  classification: {
    id: string;
    label: string;
    correctedLabel: string | null;
    confidence: number;
    sentiment: number | null;
    createdAt: Date;
  } | null;
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

// One row per asked message id, each looked up on its own through the unique indexes. The lookups are
// LATERAL subqueries fenced with OFFSET 0 so the planner keeps them as per-row index probes: the
// statement is prepared once per connection, and a cached plan that hashed whole tables (chosen while
// they were small, or on stale statistics) would scan all of them on every batch as they grow.
// "Pending" is the record's suggestion waiting for Accept or Dismiss; the partial unique index
// FollowUp_recordId_suggested_key allows one per record and serves the lookup.
const READ = `
SELECT m.id AS "messageId", m."recordId", m."cleanText", m."sentAt", m.direction, r."companyId", r."loggedByRepId", m.mailbox, m."filterAction", m."filterTarget",
  c.id AS "classificationId", c.label, c."correctedLabel", c.confidence, c.sentiment, c."createdAt" AS "classifiedAt",
  f.id AS "followUpId", f.status AS "followUpStatus", f."remindTarget", p.id IS NOT NULL AS "pendingSuggestion"
FROM ${batchRows('q', [['id', 'uuid']])}
CROSS JOIN LATERAL (
  SELECT m.id, m."recordId", m."cleanText", m."sentAt", m.direction::text AS direction, m.metadata->'origin'->>'mailbox' AS mailbox,
    m.metadata->'filter'->>'action' AS "filterAction", m.metadata->'filter'->>'target' AS "filterTarget" FROM "Message" m WHERE m.id = q.id OFFSET 0
) m
CROSS JOIN LATERAL (SELECT r.id, r."companyId", r."loggedByRepId" FROM "CommunicationRecord" r WHERE r.id = m."recordId" OFFSET 0) r
LEFT JOIN LATERAL (
  SELECT c.id, c.label, c."correctedLabel", c.confidence, c.sentiment, c."createdAt" FROM "Classification" c WHERE c."recordId" = r.id AND c."messageId" = m.id OFFSET 0
) c ON true
LEFT JOIN LATERAL (SELECT f.id, f.status::text AS status, f."remindTarget" FROM "FollowUp" f WHERE f."classificationId" = c.id OFFSET 0) f ON true
LEFT JOIN LATERAL (SELECT p.id FROM "FollowUp" p WHERE p."recordId" = r.id AND p.status = 'suggested'::"FollowUpStatus" OFFSET 0) p ON true`;

/**
 * Loads each message, its record, any earlier classification and suggestion in one statement, keyed
 * by message id; a message that is gone has no entry.
 */
export async function readMessagesToClassify(
  sql: SqlRunner,
  messageIds: readonly string[],
): Promise<Map<string, MessageToClassify>> {
  const rows = await sql.query<Record<string, unknown>>(READ, [messageIds]);
  return new Map(rows.map((row) => [row.messageId as string, messageFromRow(row)]));
}

function messageFromRow(row: Record<string, unknown>): MessageToClassify {
  return {
    messageId: row.messageId as string,
    recordId: row.recordId as string,
    cleanText: row.cleanText as string,
    sentAt: new Date(row.sentAt as string | Date),
    direction: row.direction as MessageToClassify['direction'],
    companyId: (row.companyId as string | null) ?? null,
    loggedByRepId: (row.loggedByRepId as string | null) ?? null,
    mailbox: (row.mailbox as string | null) ?? null,
    filter: row.filterAction
      ? { action: row.filterAction as string, target: (row.filterTarget as string | null) ?? null }
      : null,
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
    followUp: row.followUpId
      ? {
          id: row.followUpId as string,
          status: row.followUpStatus as string,
          remindTarget: (row.remindTarget as string | null) ?? null,
        }
      : null,
    pendingSuggestion: row.pendingSuggestion === true,
  };
}

// The customer's team channel, as reminderTargetFor() picks it, else the default. Never its customer
// channel: a suggestion quotes the customer's words and reasons about them.
const targetOf = (companyId: string, fallback: string) =>
  `COALESCE((SELECT t.platform::text || ':' || t."channelRef" FROM "TeamChannel" t WHERE t."companyId" = ${companyId}), ${fallback})`;

const INSERT_SUGGESTION_COLUMNS = `INSERT INTO "FollowUp" (id, "companyId", "recordId", "classificationId", title, "dueAt", status, source, priority, reason, "remindTarget", "assigneeRepId", "createdAt", "updatedAt")`;

// Many classifications (and their suggestions) in one statement: one array per column, unnested in
// step. A suggestion is written only for a row that asks for one (follow-up id not null) and whose
// classification was inserted now; the partial unique index on pending suggestions (one per record)
// and the one on classificationId make ON CONFLICT skip any other.
const INSERT_CLASSIFICATIONS = `
WITH i AS (
  SELECT i.* FROM ${batchRows('i', [
    ['id', 'uuid'],
    ['"recordId"', 'uuid'],
    ['"messageId"', 'uuid'],
    ['label', 'text'],
    ['confidence', 'float8'],
    ['scores', 'text'],
    ['sentiment', 'float8'],
    ['entities', 'text'],
    ['"modelVersion"', 'text'],
    ['"followUpId"', 'uuid'],
    ['"companyId"', 'uuid'],
    ['title', 'text'],
    ['"dueAt"', 'text'],
    ['priority', 'text'],
    ['reason', 'text'],
    ['"assigneeRepId"', 'uuid'],
    ['"defaultTarget"', 'text'],
    ['language', 'text'],
  ])}
), c AS (
  INSERT INTO "Classification" (id, "recordId", "messageId", label, confidence, scores, sentiment, entities, "modelVersion", "createdAt")
  SELECT id, "recordId", "messageId", label, confidence, scores::jsonb, sentiment, entities::jsonb, "modelVersion", $19::timestamptz FROM i
  ON CONFLICT ("recordId", "messageId") DO NOTHING
  RETURNING id, "messageId"
), l AS (
  -- The language the message was read in: written with its classification, never in a statement of its own.
  UPDATE "Message" m SET language = i.language FROM i
  WHERE m.id = i."messageId" AND i.language IS NOT NULL AND m.language IS DISTINCT FROM i.language
), f AS (
  ${INSERT_SUGGESTION_COLUMNS}
  SELECT i."followUpId", i."companyId", i."recordId", c.id, i.title, i."dueAt"::timestamptz, 'suggested'::"FollowUpStatus", 'suggested'::"FollowUpSource", i.priority, i.reason,
    ${targetOf('i."companyId"', 'i."defaultTarget"')},
    i."assigneeRepId", $19::timestamptz, $19::timestamptz
  FROM c JOIN i ON i.id = c.id
  WHERE i."followUpId" IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING id, "classificationId", status::text AS status, "remindTarget"
)
SELECT c.id AS "classificationId", c."messageId", f.id AS "followUpId", f.status AS "followUpStatus", f."remindTarget" FROM c LEFT JOIN f ON f."classificationId" = c.id`;

const INSERT_SUGGESTION_FOR = `
${INSERT_SUGGESTION_COLUMNS}
SELECT $1::uuid, $2::uuid, $3::uuid, $11::uuid, $4::text, $5::timestamptz, 'suggested'::"FollowUpStatus", 'suggested'::"FollowUpSource", $6::text, $7::text, ${targetOf('$2::uuid', '$9::text')}, $8::uuid, $10::timestamptz, $10::timestamptz
ON CONFLICT DO NOTHING
RETURNING id, status::text AS status, "remindTarget"`;

export interface NewClassificationRow {
  recordId: string;
  messageId: string;
  companyId: string | null;
  assigneeRepId: string | null;
  label: string;
  confidence: number;
  scores: unknown;
  /** null: unknown (a language without a sentiment model). */
  sentiment: number | null;
  entities: unknown;
  modelVersion: string;
  /** The message's language (ISO 639-1 or `und`), stored on the Message in the same statement. */
  language?: string | null;
}

/** One classification to store, with the suggestion it makes (if any). */
export interface NewClassification {
  classification: NewClassificationRow;
  /** Written only when the record has no pending suggestion (and has a customer). */
  suggestion?: SuggestionRow;
}

/** What {@link insertClassifications} wrote for one message. */
export interface WrittenClassification {
  classificationId: string;
  followUp: SuggestedFollowUpRow | null;
}

/**
 * Stores new classifications and, where `suggestion` is given and the record has no pending one, their
 * suggested follow-ups, in one statement, keyed by message id; a message whose classification already
 * existed (a concurrent run wrote it first) has no entry. Several messages of one record may each ask for
 * a suggestion: the partial unique index on pending suggestions lets the first in and skips the rest.
 */
export async function insertClassifications(
  sql: SqlRunner,
  items: readonly NewClassification[],
  now = new Date(),
): Promise<Map<string, WrittenClassification>> {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  for (const { classification: c, suggestion: s } of items) {
    const suggest = s && c.companyId;
    const values = [
      randomUUID(),
      c.recordId,
      c.messageId,
      c.label,
      c.confidence,
      JSON.stringify(c.scores),
      c.sentiment,
      JSON.stringify(c.entities),
      c.modelVersion,
      suggest ? randomUUID() : null,
      c.companyId,
      s?.title ?? null,
      s ? s.dueAt.toISOString() : null,
      s?.priority ?? null,
      s?.reason ?? null,
      c.assigneeRepId,
      s?.defaultTarget ?? null,
      c.language ?? null,
    ];
    values.forEach((v, i) => {
      cols[i].push(v);
    });
  }
  const rows = await sql.query<{
    classificationId: string;
    messageId: string;
    followUpId: string | null;
    followUpStatus: string | null;
    remindTarget: string | null;
  }>(INSERT_CLASSIFICATIONS, [...cols, now]);
  return new Map(
    rows.map((row) => [
      row.messageId,
      {
        classificationId: row.classificationId,
        followUp: row.followUpId
          ? { id: row.followUpId, status: row.followUpStatus!, remindTarget: row.remindTarget }
          : null,
      },
    ]),
  );
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
  const s = suggestion;
  const params = [
    randomUUID(),
    c.companyId,
    c.recordId,
    s.title,
    s.dueAt,
    s.priority,
    s.reason,
    c.assigneeRepId,
    s.defaultTarget,
    now,
    classificationId,
  ];
  const [row] = await sql.query<SuggestedFollowUpRow>(INSERT_SUGGESTION_FOR, params);
  return row ?? null;
}

/** The suggestion a classification produced, if any. */
export async function readSuggestionOf(sql: SqlRunner, classificationId: string): Promise<SuggestedFollowUpRow | null> {
  const [row] = await sql.query<SuggestedFollowUpRow>(
    `SELECT id, status::text AS status, "remindTarget" FROM "FollowUp" WHERE "classificationId" = $1::uuid`,
    [classificationId],
  );
  return row ?? null;
}

/** A record's latest classification, or null. */
export function findLatestClassification(client: DbClient, recordId: string): Promise<Classification | null> {
  return client.classification.findFirst({ where: { recordId }, orderBy: { createdAt: 'desc' } });
}

/** Stores a rep's correction on a classification. */
export async function setCorrectedLabel(
  client: DbClient,
  id: string,
  correction: { label: string; by: string; at: Date },
): Promise<void> {
  await client.classification.update({
    where: { id },
    data: { correctedLabel: correction.label, correctedBy: correction.by, correctedAt: correction.at },
  });
}

/** Deletes the classifications of one message (only uncorrected ones with `correctedLabel: null`). */
export async function deleteClassificationsOfMessage(
  client: DbClient,
  where: { recordId: string; messageId: string; correctedLabel?: null },
): Promise<void> {
  await client.classification.deleteMany({ where });
}

/** How many classifications these records have. */
export function countClassificationsOfRecords(client: DbClient, recordIds: string[]): Promise<number> {
  return client.classification.count({ where: { recordId: { in: recordIds } } });
}

/** Classifications outside `recordIds` whose entities match an ILIKE pattern, with their records. */
export function findClassificationsMentioning(
  client: DbClient,
  where: { recordIds: string[]; patterns: string[] },
): Promise<Array<{ id: string; recordId: string; entities: unknown }>> {
  return client.$queryRawUnsafe<Array<{ id: string; recordId: string; entities: unknown }>>(
    `SELECT id::text, "recordId"::text AS "recordId", entities FROM "Classification" WHERE NOT ("recordId" = ANY($1::uuid[])) AND entities::text ILIKE ANY($2::text[])`,
    where.recordIds,
    where.patterns,
  );
}

/** Writes a classification's redacted entities. */
export async function updateClassificationEntities(client: DbClient, id: string, entities: object): Promise<void> {
  await client.classification.update({ where: { id }, data: { entities } });
}
