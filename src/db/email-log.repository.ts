import { normalizeCompanyName } from '../domain/normalize-company-name.ts';
import type { Database, SqlRunner } from './database.ts';

/**
 * The hand-tuned SQL of email logging (src/services/log-email.service.ts): an IMAP sync writes
 * hundreds of messages a second, so each email costs one threading query and one insert statement
 * (the record and its message: src/db/record-message.repository.ts, shared with chat and `log`).
 */

import { MAX_THREADING_NOTE_CHARS, type MessageRow } from './record-message.repository.ts';

/**
 * Runs `fn` in one transaction: a dedicated connection on PostgreSQL, Prisma's exclusive transaction
 * on PGlite (it has one connection: a raw BEGIN would let other queries of this process into ours).
 */
export async function inEmailTransaction<T>(db: Database, fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
  if (db.kind === 'postgres') {
    return db.withSession(async (session) => {
      await session.exec('BEGIN');
      try {
        const r = await fn(session);
        await session.exec('COMMIT');
        return r;
      } catch (err) {
        await session.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }
  return db.prisma.$transaction(
    (tx) =>
      fn({
        exec: async (q) => void (await tx.$executeRawUnsafe(q)),
        query: (q, params = []) => tx.$queryRawUnsafe(q, ...params),
      }),
    { maxWait: 60_000, timeout: 600_000 },
  );
}

export interface KnownEmailKeys {
  messageIds: Set<string>;
  tombstoneHashes: Set<string>;
  /** The oldest contact owning each of the asked addresses. */
  contacts: Array<{ email: string; id: string; companyId: string | null }>;
  /** The oldest company owning each of the asked domains. */
  companies: Array<{ domain: string; id: string }>;
}

/** Which of these Message-IDs and tombstones exist, and who owns these addresses and domains: four reads at once. */
export async function readKnownEmailKeys(
  sql: SqlRunner,
  ask: { externalIds: string[]; tombstoneHashes: string[]; emails: string[]; domains: string[] },
): Promise<KnownEmailKeys> {
  const [messages, tombstones, contacts, companies] = await Promise.all([
    sql.query<{ externalId: string }>('SELECT "externalId" FROM "Message" WHERE "externalId" = ANY($1::text[])', [
      ask.externalIds,
    ]),
    sql.query<{ keyHash: string }>('SELECT "keyHash" FROM "Tombstone" WHERE "keyHash" = ANY($1::text[])', [
      ask.tombstoneHashes,
    ]),
    ask.emails.length === 0
      ? []
      : sql.query<{ email: string; id: string; companyId: string | null }>(
          `SELECT DISTINCT ON (e) e AS email, c.id::text AS id, c."companyId"::text AS "companyId"
           FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
           WHERE c.emails && $1::text[] AND e = ANY($1::text[]) ORDER BY e, c."createdAt"`,
          [ask.emails],
        ),
    ask.domains.length === 0
      ? []
      : sql.query<{ domain: string; id: string }>(
          `SELECT DISTINCT ON (d) d AS domain, co.id::text AS id
           FROM "Company" co CROSS JOIN LATERAL unnest(co.domains) d
           WHERE co.domains && $1::text[] AND d = ANY($1::text[]) ORDER BY d, co."createdAt"`,
          [ask.domains],
        ),
  ]);
  return {
    messageIds: new Set(messages.map((m) => m.externalId)),
    tombstoneHashes: new Set(tombstones.map((t) => t.keyHash)),
    contacts,
    companies,
  };
}

/**
 * One email as a Message row (the record it joins is decided by the statement that inserts it): the
 * shared row shape, with its id chosen by the caller and a known direction.
 */
export type EmailMessageRow = Omit<MessageRow, 'ifExists' | 'id' | 'direction'> & {
  id: string;
  direction: 'inbound' | 'outbound';
};

const messageParams = (m: EmailMessageRow) => [
  m.id,
  m.externalId,
  m.direction,
  m.contactId,
  m.authorName,
  m.authorEmail,
  m.text,
  m.cleanText,
  JSON.stringify(m.metadata),
];

/** The message insert that ends both statements below: $sentAt and $now are shared, its own parameters start at $first. */
function insertMessage(sentAt: number, now: number, first: number): string {
  const [id, externalId, direction, contactId, authorName, authorEmail, text, cleanText, metadata] = Array.from(
    { length: 9 },
    (_, i) => `$${first + i}`,
  );
  return `
INSERT INTO "Message" (id, "recordId", "externalId", direction, "contactId", "authorName", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
SELECT ${id}::uuid, rec.id, ${externalId}, ${direction}::"Direction", ${contactId}::uuid, ${authorName}, ${authorEmail}, ${text}, ${cleanText}, $${sentAt}::timestamptz, ${metadata}::jsonb, $${now}::timestamptz, $${now}::timestamptz FROM rec
ON CONFLICT ("externalId") DO NOTHING
RETURNING id::text AS id, "recordId"::text AS "recordId"`;
}

const INSERT_RECORD_WITH_MESSAGE = `
WITH rec AS (
  INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "threadingNote", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
  VALUES ($1::uuid, $2::uuid, 'email'::"ChannelKind", $3, $4, $5, $6::timestamptz, $6::timestamptz, $7::timestamptz, $7::timestamptz)
  ON CONFLICT ("sourceKey") DO NOTHING
  RETURNING id
)
${insertMessage(6, 7, 8)}`;

/**
 * A new thread: the record and its first message in one statement.
 * @returns the ids, or undefined when the thread's sourceKey or the Message-ID was written by a
 *   concurrent transaction (the caller rolls back and reads again).
 */
export async function insertEmailRecordWithMessage(
  sql: SqlRunner,
  record: { id: string; companyId: string | null; subject: string | null; sourceKey: string; threadingNote: string },
  message: EmailMessageRow,
  now: Date,
): Promise<{ id: string; recordId: string } | undefined> {
  const rows = await sql.query<{ id: string; recordId: string }>(INSERT_RECORD_WITH_MESSAGE, [
    record.id,
    record.companyId,
    record.subject,
    record.sourceKey,
    record.threadingNote,
    message.sentAt,
    now,
    ...messageParams(message),
  ]);
  return rows[0];
}

const APPEND_MESSAGE_TO_RECORD = `
WITH rec AS (
  UPDATE "CommunicationRecord" SET
    "threadingNote" = CASE WHEN $3::text IS NULL THEN "threadingNote" ELSE right(COALESCE("threadingNote" || E'\\n', '') || $3::text, ${MAX_THREADING_NOTE_CHARS}) END,
    "companyId" = COALESCE("companyId", $2::uuid),
    "startedAt" = LEAST("startedAt", $4::timestamptz),
    "lastMessageAt" = GREATEST("lastMessageAt", $4::timestamptz),
    "updatedAt" = $5::timestamptz,
    "sourceKey" = COALESCE($15::text, "sourceKey")
  WHERE id = $1::uuid
  RETURNING id
)
${insertMessage(4, 5, 6)}`;

/**
 * The thread's record takes the message: company filled in if it had none, dates widened, a
 * subject-join note appended (the newest MAX_THREADING_NOTE_CHARS kept), and with `sourceKey` the
 * record renamed (replies logged before a message whose own parent is still missing: the record is
 * then named after that parent's thread, so the parent finds it when it arrives).
 * @returns the ids, or undefined when the Message-ID was written by a concurrent transaction.
 */
export async function appendEmailToRecord(
  sql: SqlRunner,
  record: { id: string; companyId: string | null; note: string | null; sourceKey?: string },
  message: EmailMessageRow,
  now: Date,
): Promise<{ id: string; recordId: string } | undefined> {
  const rows = await sql.query<{ id: string; recordId: string }>(APPEND_MESSAGE_TO_RECORD, [
    record.id,
    record.companyId,
    record.note,
    message.sentAt,
    now,
    ...messageParams(message),
    record.sourceKey ?? null,
  ]);
  return rows[0];
}

// Header ids (kind 0: a parent message; kind 1: a record named after the root or a parent) and,
// only when asked ($3), the subject-fallback candidates (kind 2) in one round trip.
const FIND_THREAD = `
SELECT 0 AS kind, "externalId" AS key, "recordId"::text AS "recordId", NULL::text AS subject, NULL::text AS author, NULL::timestamptz AS "sentAt", NULL::text AS "companyId"
  FROM "Message" WHERE "externalId" = ANY($1::text[])
UNION ALL
(SELECT 1, "sourceKey", id::text, NULL, NULL, NULL, NULL FROM "CommunicationRecord" WHERE "sourceKey" = ANY($2::text[]))
UNION ALL
(SELECT 2, NULL, m."recordId"::text, r.subject, m."authorEmail", m."sentAt", r."companyId"::text
  FROM "Message" m JOIN "CommunicationRecord" r ON r.id = m."recordId"
  WHERE $3::boolean AND m."authorEmail" = ANY($4::text[]) AND m."sentAt" >= $5::timestamptz AND m."sentAt" <= $6::timestamptz AND r."channelKind" = 'email'::"ChannelKind"
  ORDER BY m."sentAt" DESC LIMIT 50)`;

/** A thread candidate: kind 0 = a parent message by id, 1 = a record by source key, 2 = a recent message of a participant. */
export interface EmailThreadCandidate {
  kind: number;
  key: string | null;
  recordId: string;
  subject: string | null;
  author: string | null;
  sentAt: Date | string | null;
  /** The candidate record's company (kind 2). */
  companyId: string | null;
}

/** Everything threading may need in one round trip; the subject fallback (kind 2) only when `bySubject`. */
export async function findEmailThreadCandidates(
  sql: SqlRunner,
  ask: {
    parentMessageKeys: string[];
    sourceKeys: string[];
    bySubject: boolean;
    people: string[];
    from: Date;
    to: Date;
  },
): Promise<EmailThreadCandidate[]> {
  const rows = await sql.query<EmailThreadCandidate>(FIND_THREAD, [
    ask.parentMessageKeys,
    ask.sourceKeys,
    ask.bySubject,
    ask.people,
    ask.from,
    ask.to,
  ]);
  return rows.map((r) => ({ ...r, kind: Number(r.kind) }));
}

/**
 * The CTEs `taken` and `co` that create the company named after an email domain when `name` is not
 * null, given the statement's placeholders. Names are unique: when another customer has the name
 * already, the new one is named by its domain.
 */
function companyFromDomain(p: {
  id: string;
  now: string;
  name: string;
  normalizedName: string;
  domain: string;
  domainNormalized: string;
}): string {
  return `taken AS (
  SELECT EXISTS (SELECT 1 FROM "Company" WHERE "normalizedName" = ${p.normalizedName}) AS yes
), co AS (
  INSERT INTO "Company" (id, name, "normalizedName", domains, "createdAt", "updatedAt")
  SELECT ${p.id}::uuid, CASE WHEN taken.yes THEN ${p.domain} ELSE ${p.name} END, CASE WHEN taken.yes THEN ${p.domainNormalized} ELSE ${p.normalizedName} END,
    ARRAY[${p.domain}::text], ${p.now}::timestamptz, ${p.now}::timestamptz FROM taken WHERE ${p.name}::text IS NOT NULL
)`;
}

// A new contact, and in the same statement the company named after its domain when none owns it.
const INSERT_CONTACT = `
WITH ${companyFromDomain({ id: '$6', now: '$5', name: '$7', normalizedName: '$8', domain: '$9', domainNormalized: '$10' })}
INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "createdAt", "updatedAt")
VALUES ($1::uuid, $6::uuid, $2, $3, ARRAY[$4::text], $5::timestamptz, $5::timestamptz)`;

/** A new contact with one address; with `newCompany`, the company (id `companyId`) is created in the same statement. */
export async function insertEmailContact(
  sql: SqlRunner,
  contact: { id: string; name: string; normalizedName: string; email: string; companyId: string | null },
  newCompany: { name: string; normalizedName: string; domain: string } | null,
  now: Date,
): Promise<void> {
  await sql.query(INSERT_CONTACT, [
    contact.id,
    contact.name,
    contact.normalizedName,
    contact.email,
    now,
    contact.companyId,
    newCompany?.name ?? null,
    newCompany?.normalizedName ?? null,
    newCompany?.domain ?? null,
    newCompany ? normalizeCompanyName(newCompany.domain) : null,
  ]);
}

// A contact logged without a company gets one (created here when `$4` names it), and so do the
// company-less records its messages are in.
const CONFIRM_CONTACT = `
WITH ${companyFromDomain({ id: '$2', now: '$3', name: '$4', normalizedName: '$5', domain: '$6', domainNormalized: '$7' })}, contact AS (
  UPDATE "Contact" SET "companyId" = $2::uuid, "updatedAt" = $3::timestamptz WHERE id = $1::uuid AND "companyId" IS NULL
)
UPDATE "CommunicationRecord" SET "companyId" = $2::uuid, "updatedAt" = $3::timestamptz
WHERE "companyId" IS NULL AND id IN (SELECT "recordId" FROM "Message" WHERE "contactId" = $1::uuid)`;

/**
 * Confirms an "unconfirmed" contact: attaches it, and the company-less records it wrote in, to
 * `companyId`; with `newCompany` that company is created in the same statement.
 */
export async function confirmEmailContact(
  sql: SqlRunner,
  link: { contactId: string; companyId: string },
  newCompany: { name: string; normalizedName: string; domain: string } | null,
  now: Date,
): Promise<void> {
  await sql.query(CONFIRM_CONTACT, [
    link.contactId,
    link.companyId,
    now,
    newCompany?.name ?? null,
    newCompany?.normalizedName ?? null,
    newCompany?.domain ?? null,
    newCompany ? normalizeCompanyName(newCompany.domain) : null,
  ]);
}

// Everything of record $2 moves to record $1: messages, classifications, follow-ups (a second pending
// suggestion is dismissed: one per record), training examples (the thread's own label wins); then $2 goes.
const MERGE_RECORDS = `
WITH moved AS (UPDATE "Message" SET "recordId" = $1::uuid, "updatedAt" = $3::timestamptz WHERE "recordId" = $2::uuid RETURNING "sentAt"),
cls AS (UPDATE "Classification" SET "recordId" = $1::uuid WHERE "recordId" = $2::uuid),
dismissed AS (
  UPDATE "FollowUp" SET status = 'dismissed'::"FollowUpStatus", "updatedAt" = $3::timestamptz
  WHERE "recordId" = $2::uuid AND status = 'suggested'::"FollowUpStatus"
    AND EXISTS (SELECT 1 FROM "FollowUp" f WHERE f."recordId" = $1::uuid AND f.status = 'suggested'::"FollowUpStatus")
)
UPDATE "CommunicationRecord" r SET
  "startedAt" = LEAST(r."startedAt", o."startedAt"),
  "lastMessageAt" = GREATEST(r."lastMessageAt", o."lastMessageAt"),
  "companyId" = COALESCE(r."companyId", o."companyId"),
  "threadingNote" = right(COALESCE(r."threadingNote" || E'\\n', '') || 'Merged ' || o."sourceKey" || ': replies logged before the message they answer arrived.', ${MAX_THREADING_NOTE_CHARS}),
  "updatedAt" = $3::timestamptz
FROM "CommunicationRecord" o WHERE r.id = $1::uuid AND o.id = $2::uuid`;

/**
 * Re-attaches replies that were logged before their parent: record `from` (named after the parent's
 * Message-ID) is merged into the thread `into` the parent joined, and deleted.
 */
export async function mergeEmailRecords(sql: SqlRunner, ids: { into: string; from: string }, now: Date): Promise<void> {
  await sql.query(MERGE_RECORDS, [ids.into, ids.from, now]);
  // Separate statements: a data-modifying CTE does not see the rows another one changed.
  await sql.query(
    `UPDATE "FollowUp" SET "recordId" = $1::uuid, "updatedAt" = $3::timestamptz WHERE "recordId" = $2::uuid`,
    [ids.into, ids.from, now],
  );
  await sql.query(
    `DELETE FROM "LabeledExample" e WHERE e."recordId" = $2::uuid AND EXISTS (SELECT 1 FROM "LabeledExample" x WHERE x."recordId" = $1::uuid AND x.source = e.source)`,
    [ids.into, ids.from],
  );
  await sql.query(`UPDATE "LabeledExample" SET "recordId" = $1::uuid WHERE "recordId" = $2::uuid`, [
    ids.into,
    ids.from,
  ]);
  await sql.query(`DELETE FROM "CommunicationRecord" WHERE id = $1::uuid`, [ids.from]);
}
