import type { DbClient } from './db-client.ts';
import type { Classification, CommunicationRecord, FollowUp, Message } from './generated/client.ts';

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

/**
 * In a transaction that reads a record's messages to change its training text (a message deleted or
 * edited on its platform, a rep's correction): holds the record's row until the transaction ends, so
 * two of them on one record run one after the other and each reads what the other committed (under
 * READ COMMITTED, the later one would otherwise write back a text taken from what it saw before).
 * @returns false when the record does not exist.
 */
export async function lockRecord(client: DbClient, id: string): Promise<boolean> {
  return (await lockRecords(client, [id])).length > 0;
}

/**
 * lockRecord for several records (an erasure holds every record it changes): their rows held until the
 * transaction ends, taken in one statement in id order, so two transactions holding a set each at once
 * never wait for each other in a circle (records held later, one by one, can still meet another holder
 * in a circle: PostgreSQL then aborts one, which the erasure runs again). `FOR NO KEY UPDATE`: holders
 * wait for each other, for a delete of the record and for logging into it (which updates the record's
 * row), but not for a bare insert of a row naming it (a thread key, a training example), which only
 * takes the key-share lock of its foreign key.
 * @returns the ids of those that exist (in id order).
 */
export async function lockRecords(client: DbClient, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await client.$queryRawUnsafe<Array<{ id: string }>>(
    `SELECT id::text AS id FROM "CommunicationRecord" WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
    [...new Set(ids)],
  );
  return rows.map((r) => r.id);
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

/**
 * Moves the company-less records with messages from these contacts to a company, and the follow-ups
 * made on them without one (they then go to that customer's channel and digest, not the default
 * one); returns how many records. Call it in a transaction.
 */
export async function assignRecordsOfContacts(
  client: DbClient,
  contactIds: string[],
  companyId: string,
): Promise<number> {
  const records = await client.communicationRecord.findMany({
    where: { companyId: null, messages: { some: { contactId: { in: contactIds } } } },
    select: { id: true },
  });
  if (records.length === 0) return 0;
  const ids = records.map((r) => r.id);
  const moved = await client.communicationRecord.updateMany({
    where: { id: { in: ids }, companyId: null },
    data: { companyId },
  });
  await client.followUp.updateMany({ where: { recordId: { in: ids }, companyId: null }, data: { companyId } });
  return moved.count;
}

/** A record's texts that may name a customer (`id`: the record's). */
export interface RecordMentions {
  id: string;
  sourceKey: string;
  subject: string | null;
  subjectKey: string | null;
  threadingNote: string | null;
}

/** Records outside `recordIds` whose source key, subject (or its key) or threading note matches an ILIKE pattern. */
export function findRecordsMentioning(
  client: DbClient,
  where: { recordIds: string[]; patterns: string[]; sourceKeys: string[] },
): Promise<RecordMentions[]> {
  return client.$queryRawUnsafe<RecordMentions[]>(
    `SELECT id::text, "sourceKey", subject, "subjectKey", "threadingNote" FROM "CommunicationRecord"
      WHERE NOT (id = ANY($1::uuid[])) AND ("sourceKey" ILIKE ANY($2::text[]) OR "sourceKey" = ANY($3::text[])
        OR subject ILIKE ANY($2::text[]) OR "subjectKey" ILIKE ANY($2::text[]) OR "threadingNote" ILIKE ANY($2::text[]))`,
    where.recordIds,
    where.patterns,
    where.sourceKeys,
  );
}

/**
 * The email thread keys (Message-IDs a thread holds or names) of an erased customer's own messages and
 * those that mention it, in the records that outlive it, with their records (held before the keys go,
 * deleteEmailThreadKeys): a later mail naming such an id no longer joins by it.
 */
export function findEmailThreadKeysMentioning(
  client: DbClient,
  where: { recordIds: string[]; patterns: string[]; keys: string[] },
): Promise<Array<{ key: string; recordId: string }>> {
  return client.$queryRawUnsafe<Array<{ key: string; recordId: string }>>(
    `SELECT key, "recordId"::text AS "recordId" FROM "EmailThreadKey"
      WHERE NOT ("recordId" = ANY($1::uuid[])) AND (key ILIKE ANY($2::text[]) OR key = ANY($3::text[]))`,
    where.recordIds,
    where.patterns,
    where.keys,
  );
}

/** Deletes these email thread keys. */
export async function deleteEmailThreadKeys(client: DbClient, keys: string[]): Promise<void> {
  await client.emailThreadKey.deleteMany({ where: { key: { in: keys } } });
}

/** Writes a record's redacted source key, subject (and its key) and threading note. */
export async function updateRedactedRecord(
  client: DbClient,
  id: string,
  row: Omit<RecordMentions, 'id'>,
): Promise<void> {
  await client.communicationRecord.update({ where: { id }, data: row });
}

/**
 * Strikes the subject of a chat thread started by this message (its key is the thread's source key,
 * and its first line the subject), when it did start one.
 */
export async function eraseSubjectOfThreadStartedBy(
  client: DbClient,
  where: { recordId: string; messageKey: string },
  subject: string,
): Promise<void> {
  await client.communicationRecord.updateMany({
    where: { id: where.recordId, sourceKey: where.messageKey },
    data: { subject },
  });
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
