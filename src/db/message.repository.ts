import type { DbClient } from './db-client.ts';
import type { SqlRunner } from './database.ts';
import type { Direction, Message, Prisma } from './generated/client.ts';

/** A message's id and record by its external id (platform key, Message-ID), or null. */
export function findMessageByExternalId(
  client: DbClient,
  externalId: string,
): Promise<{ id: string; recordId: string; record: { sourceKey: string } } | null> {
  return client.message.findUnique({
    where: { externalId },
    select: { id: true, recordId: true, record: { select: { sourceKey: true } } },
  });
}

/** A message as an edit reads it (text, cleanText, metadata), by external id, or null. */
export async function findMessageForEdit(
  client: DbClient,
  externalId: string,
): Promise<{
  id: string;
  recordId: string;
  text: string;
  cleanText: string;
  metadata: Record<string, unknown>;
  /** When the message was stored (what a correction's `textTakenAt` compares). */
  createdAt: Date;
} | null> {
  const m = await client.message.findUnique({
    where: { externalId },
    select: { id: true, recordId: true, text: true, cleanText: true, metadata: true, createdAt: true },
  });
  return m ? { ...m, metadata: (m.metadata ?? {}) as Record<string, unknown> } : null;
}

/** Replaces a message's text, cleanText and metadata. */
export async function updateMessageText(
  client: DbClient,
  id: string,
  row: { text: string; cleanText: string; metadata: Record<string, unknown> },
): Promise<void> {
  await client.message.update({
    where: { id },
    data: { text: row.text, cleanText: row.cleanText, metadata: row.metadata as Prisma.InputJsonValue },
  });
}

/** Deletes one message. */
export async function deleteMessage(client: DbClient, id: string): Promise<void> {
  await client.message.delete({ where: { id } });
}

/** How many messages a record has. */
export function countMessagesOfRecord(client: DbClient, recordId: string): Promise<number> {
  return client.message.count({ where: { recordId } });
}

/**
 * The clean texts of a record's messages, oldest first; with `storedUpTo`, only those stored
 * (`createdAt`) up to then: the messages a correction's text taken then was made of.
 */
export async function findCleanTextsOfRecord(client: DbClient, recordId: string, storedUpTo?: Date): Promise<string[]> {
  const rows = await client.message.findMany({
    where: storedUpTo ? { recordId, createdAt: { lte: storedUpTo } } : { recordId },
    orderBy: { sentAt: 'asc' },
    select: { cleanText: true },
  });
  return rows.map((m) => m.cleanText);
}

/**
 * Held messages (direction unknown) of one author in one channel: their keys start with
 * `externalIdPrefix` ("<platform>:<channel>/"), however they were logged (auto-logged into a thread's
 * record, or by "Log to CRM" into a record of its own).
 */
export interface HeldMessagesWhere {
  authorKey: string;
  externalIdPrefix: string;
}

function heldWhere(key: HeldMessagesWhere): Prisma.MessageWhereInput {
  return {
    direction: 'unknown',
    metadata: { path: ['author'], equals: key.authorKey },
    externalId: { startsWith: key.externalIdPrefix },
  };
}

/** The held messages of one author in one channel, oldest first. */
export async function findHeldMessages(
  client: DbClient,
  key: HeldMessagesWhere,
): Promise<
  Array<{
    id: string;
    recordId: string;
    externalId: string;
    authorName: string | null;
    metadata: Record<string, unknown>;
  }>
> {
  const rows = await client.message.findMany({
    where: heldWhere(key),
    select: { id: true, recordId: true, externalId: true, authorName: true, metadata: true },
    orderBy: { sentAt: 'asc' },
  });
  return rows.map((m) => ({ ...m, metadata: (m.metadata ?? {}) as Record<string, unknown> }));
}

/** The newest held message of one author in one channel, with its record's company, or null. */
export async function findLatestHeldMessage(
  client: DbClient,
  key: HeldMessagesWhere,
): Promise<{ authorName: string | null; metadata: Record<string, unknown>; companyId: string | null } | null> {
  const m = await client.message.findFirst({
    where: heldWhere(key),
    select: { authorName: true, metadata: true, record: { select: { companyId: true } } },
    orderBy: { sentAt: 'desc' },
  });
  return m
    ? {
        authorName: m.authorName,
        metadata: (m.metadata ?? {}) as Record<string, unknown>,
        companyId: m.record.companyId,
      }
    : null;
}

/** Decides a held message unless it was decided already; true when this call decided it. */
export async function decideHeldMessage(
  client: DbClient,
  id: string,
  row: {
    direction: Direction;
    contactId: string | null;
    authorEmail: string | null;
    metadata: Record<string, unknown>;
  },
): Promise<boolean> {
  const updated = await client.message.updateMany({
    where: { id, direction: 'unknown' },
    data: { ...row, metadata: row.metadata as Prisma.InputJsonValue },
  });
  return updated.count > 0;
}

/**
 * Strikes a held message (direction still unknown) whose author turned out to be erased: no author,
 * no contact, the given text, external id and metadata. False when it is no longer held.
 */
export async function eraseHeldMessage(
  client: DbClient,
  id: string,
  row: { externalId: string; text: string; cleanText: string; metadata: Record<string, unknown> },
): Promise<boolean> {
  const updated = await client.message.updateMany({
    where: { id, direction: 'unknown' },
    data: {
      ...row,
      authorName: null,
      authorEmail: null,
      contactId: null,
      metadata: row.metadata as Prisma.InputJsonValue,
    },
  });
  return updated.count > 0;
}

/** (channel, author) of messages still held with what a connector needs to ask again, logged since `since`. */
export function findHeldAuthorKeys(
  sql: SqlRunner,
  opts: { since: Date; limit: number },
): Promise<Array<{ channelRef: string; authorKey: string }>> {
  return sql.query<{ channelRef: string; authorKey: string }>(
    `SELECT DISTINCT m.metadata->'heldAuthor'->>'channelRef' AS "channelRef",
            m.metadata->>'author' AS "authorKey"
       FROM "Message" m
      WHERE m.direction = 'unknown' AND m."createdAt" >= $1
        AND m.metadata->'heldAuthor'->>'channelRef' IS NOT NULL AND m.metadata->>'author' IS NOT NULL
      LIMIT $2`,
    [opts.since, opts.limit],
  );
}

/** The messages of these records, or by these contacts, as an erasure reads them. */
export function findMessagesForErasure(
  client: DbClient,
  where: { recordIds: string[]; contactIds: string[] },
): Promise<Array<Pick<Message, 'id' | 'externalId' | 'authorEmail' | 'authorName' | 'direction' | 'recordId'>>> {
  return client.message.findMany({
    where: { OR: [{ recordId: { in: where.recordIds } }, { contactId: { in: where.contactIds } }] },
    select: { id: true, externalId: true, authorEmail: true, authorName: true, direction: true, recordId: true },
  });
}

/** A message outside an erased customer's records that names them, as redaction reads it. */
export interface MessageMentioningRow {
  id: string;
  /** The record it is in: a training example taken from that record holds its clean text. */
  recordId: string;
  externalId: string;
  contactId: string | null;
  authorEmail: string | null;
  authorName: string | null;
  text: string;
  cleanText: string;
  metadata: unknown;
}

/**
 * Messages outside `recordIds` written by these contacts, addresses or chat authors (`metadata.author`,
 * what a held message has instead of a contact), or mentioning any of the ILIKE `patterns` (in their
 * external id, text, author name or metadata).
 */
export function findMessagesMentioning(
  client: DbClient,
  where: { recordIds: string[]; contactIds: string[]; addresses: string[]; authorKeys: string[]; patterns: string[] },
): Promise<MessageMentioningRow[]> {
  return client.$queryRawUnsafe<MessageMentioningRow[]>(
    `SELECT id::text, "recordId"::text AS "recordId", "externalId", "contactId"::text AS "contactId", "authorEmail", "authorName", text, "cleanText", metadata FROM "Message"
      WHERE NOT ("recordId" = ANY($1::uuid[]))
        AND ("contactId" = ANY($2::uuid[]) OR lower("authorEmail") = ANY($3::text[]) OR "externalId" ILIKE ANY($4::text[])
             OR text ILIKE ANY($4::text[]) OR "authorName" ILIKE ANY($4::text[]) OR metadata::text ILIKE ANY($4::text[])
             OR metadata->>'author' = ANY($5::text[]))`,
    where.recordIds,
    where.contactIds,
    where.addresses,
    where.patterns,
    where.authorKeys,
  );
}

/**
 * Writes a message's redacted form. `authorErased`: its author was the one erased, and it leaves the
 * insights (customerVoice); the triggers on Message mark its day stale in the rollups in this transaction.
 */
export async function updateRedactedMessage(
  client: DbClient,
  id: string,
  row: {
    externalId: string;
    text: string;
    cleanText: string;
    authorName: string | null;
    authorEmail: string | null;
    contactId: string | null;
    metadata: Record<string, unknown>;
    authorErased: boolean;
  },
): Promise<void> {
  // Never back to false: a message whose author an earlier erasure struck stays out when a later one redacts a mention.
  await client.message.update({
    where: { id },
    data: { ...row, metadata: row.metadata as Prisma.InputJsonValue, authorErased: row.authorErased || undefined },
  });
}

/**
 * Customer messages created in [since, before) without a classification of their own, oldest first,
 * at most `limit`: the ones whose classify job got lost.
 */
export function findUnclassifiedMessages(
  sql: SqlRunner,
  where: { before: Date; since: Date; limit: number },
): Promise<Array<{ id: string; recordId: string }>> {
  return sql.query<{ id: string; recordId: string }>(
    `SELECT m.id, m."recordId" FROM "Message" m
      WHERE m.direction NOT IN ('outbound', 'unknown') AND m."createdAt" < $1 AND m."createdAt" >= $2
        AND NOT EXISTS (SELECT 1 FROM "Classification" c WHERE c."recordId" = m."recordId" AND c."messageId" = m.id)
      ORDER BY m."createdAt" LIMIT $3`,
    [where.before, where.since, where.limit],
  );
}
