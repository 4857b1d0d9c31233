import { randomUUID } from 'node:crypto';
import type { SqlRunner } from './database.ts';

/** What {@link insertChatMessage} writes: the thread's record (created or appended to), one message, its audit entry. */
export interface ChatMessageRow {
  companyId: string;
  channelKind: 'slack' | 'teams' | 'console';
  /** The thread's record key, e.g. "slack:T1/C2/1700000000.000100". */
  sourceKey: string;
  subject: string;
  /** Message.externalId, e.g. "slack:T1/C2/1700000000.000200". */
  externalId: string;
  direction: 'inbound' | 'outbound' | 'unknown';
  contactId: string | null;
  repId: string | null;
  authorName: string | null;
  authorEmail: string | null;
  text: string;
  cleanText: string;
  sentAt: Date;
  metadata: Record<string, unknown>;
  audit: { actor: string | null; platform: string | null };
}

export interface InsertedChatMessage {
  recordId: string;
  messageId: string;
  /** True when this message started the record. */
  newRecord: boolean;
  /** False when the external id was logged before: nothing was written. */
  created: boolean;
}

// One statement, so atomic and one round trip. The record is upserted on its sourceKey (a concurrent
// first message of the same thread waits for the other's commit and then appends); the message is
// inserted unless its externalId exists, so Events API retries write nothing; the audit entry hangs
// off the inserted message. xmax = 0 tells a freshly inserted record from an updated one.
// lastMessageAt only moves forward (retries and edits arrive out of order).
const INSERT_CHAT_MESSAGE = `
WITH rec AS (
  INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "loggedByRepId", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
  VALUES ($1::uuid, $2::uuid, $3::"ChannelKind", $4, $5, $6::uuid, $7, $7, $8, $8)
  ON CONFLICT ("sourceKey") DO UPDATE SET
    "lastMessageAt" = GREATEST("CommunicationRecord"."lastMessageAt", EXCLUDED."lastMessageAt"),
    "loggedByRepId" = COALESCE("CommunicationRecord"."loggedByRepId", EXCLUDED."loggedByRepId"),
    "updatedAt" = EXCLUDED."updatedAt"
  RETURNING id, (xmax = 0) AS created
), msg AS (
  INSERT INTO "Message" (id, "recordId", "externalId", direction, "contactId", "authorName", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
  SELECT $9::uuid, rec.id, $10, $11::"Direction", $12::uuid, $13, $14, $15, $16, $7, $17::jsonb, $8, $8 FROM rec
  ON CONFLICT ("externalId") DO NOTHING
  RETURNING id
), audit AS (
  INSERT INTO "AuditLog" (id, action, actor, platform, subject, details, "createdAt")
  SELECT $18::uuid, 'message.log', $19, $20, rec.id::text,
    jsonb_build_object('companyId', $2::text, 'messageId', msg.id::text, 'direction', $11::text), $8
  FROM rec, msg
)
SELECT rec.id AS "recordId", rec.created AS "newRecord", (SELECT id FROM msg) AS "messageId",
  (SELECT m.id FROM "Message" m WHERE m."externalId" = $10) AS "existingMessageId"
FROM rec`;

/**
 * Appends one chat message to its thread's record, creating the record for the first message.
 * Idempotent by `externalId`: a repeat writes no message (`created: false`, the stored message's id).
 * @throws the driver's foreign-key violation (23503) when the company no longer exists.
 */
export async function insertChatMessage(
  sql: SqlRunner,
  row: ChatMessageRow,
  now = new Date(),
): Promise<InsertedChatMessage> {
  const messageId = randomUUID();
  const [r] = await sql.query<{
    recordId: string;
    newRecord: boolean;
    messageId: string | null;
    existingMessageId: string | null;
  }>(INSERT_CHAT_MESSAGE, [
    randomUUID(),
    row.companyId,
    row.channelKind,
    row.subject,
    row.sourceKey,
    row.repId,
    row.sentAt,
    now,
    messageId,
    row.externalId,
    row.direction,
    row.contactId,
    row.authorName,
    row.authorEmail,
    row.text,
    row.cleanText,
    JSON.stringify(row.metadata),
    randomUUID(),
    row.audit.actor,
    row.audit.platform,
  ]);
  if (r.messageId)
    return { recordId: r.recordId, messageId: r.messageId, newRecord: r.newRecord === true, created: true };
  // The statement's snapshot predates a concurrent insert of the same message; its id is read after.
  const existing =
    r.existingMessageId ??
    (await sql.query<{ id: string }>(`SELECT id FROM "Message" WHERE "externalId" = $1`, [row.externalId]))[0]?.id;
  if (!existing) throw new Error(`message ${row.externalId} conflicted but cannot be read back`);
  return { recordId: r.recordId, messageId: existing, newRecord: false, created: false };
}
