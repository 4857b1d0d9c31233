import { randomUUID } from 'node:crypto';
import type { DbClient } from './db-client.ts';
import type { ChannelKind, Classification, CommunicationRecord, FollowUp, Message } from './generated/client.ts';
import type { SqlRunner } from './database.ts';

/** What {@link insertLoggedRecord} writes: one record, its first message, optionally a follow-up, and the audit entry. */
export interface LoggedRecordRow {
  companyId: string;
  channelKind: ChannelKind;
  subject: string;
  sourceKey: string;
  repId: string;
  occurredAt: Date;
  messageExternalId: string;
  authorName: string;
  text: string;
  audit: { actor: string | null; platform: string | null };
  followUp?: { title: string; dueAt: Date; fallbackRemindTarget: string | null };
  /**
   * Who wrote the message when it is not the rep's own note (a chat message logged by hand keeps its
   * author): its direction, contact, email and platform data. Default: an internal note by `authorName`.
   */
  author?: {
    direction: 'inbound' | 'outbound' | 'unknown';
    contactId: string | null;
    email: string | null;
    metadata: Record<string, unknown>;
  };
}

// One statement, so one round trip and atomic without BEGIN/COMMIT: the record is inserted unless its
// sourceKey exists (then nothing at all is written and no row comes back); the message, follow-up and
// audit entry hang off the inserted record. The follow-up's target is the customer's team channel, as
// reminderTargetFor() picks it.
const INSERT_LOGGED_RECORD = `
WITH rec AS (
  INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "loggedByRepId", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
  VALUES ($1::uuid, $2::uuid, $3::"ChannelKind", $4, $5, $6::uuid, $7, $7, $8, $8)
  ON CONFLICT ("sourceKey") DO NOTHING
  RETURNING *
), msg AS (
  INSERT INTO "Message" (id, "recordId", "externalId", direction, "contactId", "authorName", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
  SELECT $9::uuid, rec.id, $10, COALESCE($20::"Direction", 'internal'::"Direction"), $21::uuid, $11, $22, $12, $12, $7,
    COALESCE($23::jsonb, '{}'::jsonb), $8, $8 FROM rec
  RETURNING *
), fu AS (
  INSERT INTO "FollowUp" (id, "companyId", "recordId", title, "dueAt", "assigneeRepId", status, source, "remindTarget", "createdAt", "updatedAt")
  SELECT $13::uuid, rec."companyId", rec.id, $14, $15::timestamptz, rec."loggedByRepId", 'open'::"FollowUpStatus", 'manual'::"FollowUpSource",
    COALESCE((SELECT t.platform::text || ':' || t."channelRef" FROM "TeamChannel" t WHERE t."companyId" = rec."companyId"), $16),
    $8, $8
  FROM rec WHERE $13::uuid IS NOT NULL
  RETURNING *
), audit AS (
  INSERT INTO "AuditLog" (id, action, actor, platform, subject, details, "createdAt")
  SELECT $17::uuid, 'record.log', $18, $19, rec.id::text,
    jsonb_build_object('companyId', rec."companyId", 'messageId', $9::text, 'followUpId', (SELECT fu.id::text FROM fu)), $8
  FROM rec
)
SELECT row_to_json(rec.*) AS record, (SELECT row_to_json(msg.*) FROM msg) AS message, (SELECT row_to_json(fu.*) FROM fu) AS "followUp" FROM rec`;

const RECORD_DATES = ['startedAt', 'lastMessageAt', 'createdAt', 'updatedAt'] as const;
const MESSAGE_DATES = ['sentAt', 'createdAt', 'updatedAt'] as const;
const FOLLOW_UP_DATES = ['dueAt', 'escalatedAt', 'completedAt', 'createdAt', 'updatedAt'] as const;

/** row_to_json gives timestamps as strings; the rows callers get are the ones Prisma would return. */
function withDates<T>(row: Record<string, unknown>, keys: readonly string[]): T {
  for (const k of keys) if (typeof row[k] === 'string') row[k] = new Date(row[k] as string);
  return row as T;
}

/**
 * Inserts a logged conversation in one statement. Returns undefined when `sourceKey` was logged
 * before (nothing is written then); throws the driver's unique violation (23505) only when another
 * key collides (e.g. the message's external id).
 */
export async function insertLoggedRecord(
  sql: SqlRunner,
  row: LoggedRecordRow,
  now = new Date(),
): Promise<{ record: CommunicationRecord; message: Message; followUp?: FollowUp } | undefined> {
  const rows = await sql.query<{
    record: Record<string, unknown>;
    message: Record<string, unknown>;
    followUp: Record<string, unknown> | null;
  }>(INSERT_LOGGED_RECORD, [
    randomUUID(),
    row.companyId,
    row.channelKind,
    row.subject,
    row.sourceKey,
    row.repId,
    row.occurredAt,
    now,
    randomUUID(),
    row.messageExternalId,
    row.authorName,
    row.text,
    row.followUp ? randomUUID() : null,
    row.followUp?.title ?? null,
    row.followUp?.dueAt ?? null,
    row.followUp?.fallbackRemindTarget ?? null,
    randomUUID(),
    row.audit.actor,
    row.audit.platform,
    row.author?.direction ?? null,
    row.author?.contactId ?? null,
    row.author?.email ?? null,
    row.author ? JSON.stringify(row.author.metadata) : null,
  ]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    record: withDates<CommunicationRecord>(r.record, RECORD_DATES),
    message: withDates<Message>(r.message, MESSAGE_DATES),
    followUp: r.followUp ? withDates<FollowUp>(r.followUp, FOLLOW_UP_DATES) : undefined,
  };
}

/** A record by its source key with its first message and first follow-up, or null. */
export async function findRecordWithFirstMessage(
  client: DbClient,
  sourceKey: string,
): Promise<{ record: CommunicationRecord; message: Message; followUp?: FollowUp } | null> {
  const found = await client.communicationRecord.findUnique({
    where: { sourceKey },
    include: {
      messages: { orderBy: { sentAt: 'asc' }, take: 1 },
      followUps: { orderBy: { createdAt: 'asc' }, take: 1 },
    },
  });
  if (!found) return null;
  const { messages, followUps, ...record } = found;
  return { record, message: messages[0], followUp: followUps[0] };
}

/** Deletes a record (the schema cascades to its messages, classifications and follow-ups). */
export async function deleteRecord(client: DbClient, id: string): Promise<void> {
  await client.communicationRecord.delete({ where: { id } });
}

/** Names the record's rep unless it has one already. */
export async function setRecordRepIfNone(client: DbClient, id: string, repId: string): Promise<void> {
  await client.communicationRecord.updateMany({ where: { id, loggedByRepId: null }, data: { loggedByRepId: repId } });
}

/** A record as a customer card shows it: its first messages and latest classification. */
export type RecordWithSummary = CommunicationRecord & {
  messages: Array<Pick<Message, 'id' | 'authorName' | 'text' | 'sentAt' | 'direction' | 'language'>>;
  classifications: Array<Pick<Classification, 'label' | 'correctedLabel'>>;
};

/** A company's records, most recently active first, one page, each with up to `messageLimit` messages. */
export function listRecordSummaries(
  client: DbClient,
  companyId: string,
  page: { limit: number; offset: number; messageLimit: number },
): Promise<RecordWithSummary[]> {
  return client.communicationRecord.findMany({
    where: { companyId },
    orderBy: [{ lastMessageAt: 'desc' }, { id: 'asc' }],
    take: page.limit,
    skip: page.offset,
    include: {
      messages: {
        orderBy: { sentAt: 'asc' },
        take: page.messageLimit,
        select: { id: true, authorName: true, text: true, sentAt: true, direction: true, language: true },
      },
      classifications: { orderBy: { createdAt: 'desc' }, take: 1, select: { label: true, correctedLabel: true } },
    },
  });
}

/** How many records a company has. */
export function countRecordsOfCompany(client: DbClient, companyId: string): Promise<number> {
  return client.communicationRecord.count({ where: { companyId } });
}

/** A record with all its messages and classifications, oldest first: what an export shows. */
export type RecordWithMessages = CommunicationRecord & { messages: Message[]; classifications: Classification[] };

/** Every record of a company with its messages and classifications, oldest first. */
export function findRecordsWithMessages(client: DbClient, companyId: string): Promise<RecordWithMessages[]> {
  return client.communicationRecord.findMany({
    where: { companyId },
    orderBy: { startedAt: 'asc' },
    include: { messages: { orderBy: { sentAt: 'asc' } }, classifications: { orderBy: { createdAt: 'asc' } } },
  });
}

/** Moves the company-less records with messages from these contacts to a company; returns how many. */
export async function assignRecordsOfContacts(
  client: DbClient,
  contactIds: string[],
  companyId: string,
): Promise<number> {
  const moved = await client.communicationRecord.updateMany({
    where: { companyId: null, messages: { some: { contactId: { in: contactIds } } } },
    data: { companyId },
  });
  return moved.count;
}

/** Records outside `recordIds` whose source key, subject or threading note matches an ILIKE pattern. */
export function findRecordsMentioning(
  client: DbClient,
  where: { recordIds: string[]; patterns: string[] },
): Promise<Array<{ id: string; sourceKey: string; subject: string | null; threadingNote: string | null }>> {
  return client.$queryRawUnsafe<
    Array<{ id: string; sourceKey: string; subject: string | null; threadingNote: string | null }>
  >(
    `SELECT id::text, "sourceKey", subject, "threadingNote" FROM "CommunicationRecord"
      WHERE NOT (id = ANY($1::uuid[])) AND ("sourceKey" ILIKE ANY($2::text[]) OR subject ILIKE ANY($2::text[]) OR "threadingNote" ILIKE ANY($2::text[]))`,
    where.recordIds,
    where.patterns,
  );
}

/** Writes a record's redacted source key, subject and threading note. */
export async function updateRedactedRecord(
  client: DbClient,
  id: string,
  row: { sourceKey: string; subject: string | null; threadingNote: string | null },
): Promise<void> {
  await client.communicationRecord.update({ where: { id }, data: row });
}

/** The customer of the record with this source key, or null. */
export async function findCompanyOfRecord(
  client: DbClient,
  sourceKey: string,
): Promise<{ id: string; name: string } | null> {
  const row = await client.communicationRecord.findUnique({
    where: { sourceKey },
    select: { company: { select: { id: true, name: true } } },
  });
  return row?.company ?? null;
}
