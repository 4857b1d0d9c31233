import { normalizeCompanyName } from '../domain/normalize-company-name.ts';
import type { Database, SqlRunner } from './database.ts';

/**
 * The hand-tuned SQL of email logging (src/services/log-email.service.ts): an IMAP sync writes
 * hundreds of messages a second, so a fetched batch costs a few multi-row statements: what exists
 * already, threading candidates, new contacts, and the records and messages
 * (src/db/record-message.repository.ts, the insert path shared with chat and `log`).
 */

import { MAX_THREADING_NOTE_CHARS } from './record-message.repository.ts';

/**
 * Runs `fn` in one transaction: a dedicated connection on PostgreSQL, Prisma's exclusive transaction
 * on PGlite (it has one connection: a raw BEGIN would let other queries of this process into ours).
 *
 * `idleTimeoutMs` (PostgreSQL): the database ends the session, rolling the transaction back, once it has
 * sat idle inside it that long (`SET LOCAL idle_in_transaction_session_timeout`, sent with the BEGIN: no
 * round trip added). An IMAP sync gives its lock's TTL: a process frozen (SIGSTOP, a GC or VM pause) inside
 * a batch holds the locks of its writes and of its fenced cursor save, on which the next holder's raise of
 * the fence and its own writes would wait for as long as it stays frozen. A process that does not answer
 * for that long has lost its lock anyway; its COMMIT, when it resumes, finds the session gone. Not sent to
 * PGlite: one process's embedded database, with nobody else to wait, and it does not survive that
 * timeout (its session ends for good).
 */
export async function inEmailTransaction<T>(
  db: Database,
  fn: (sql: SqlRunner) => Promise<T>,
  opts: { idleTimeoutMs?: number } = {},
): Promise<T> {
  if (db.kind === 'postgres') {
    const idle = opts.idleTimeoutMs === undefined ? 0 : Math.max(1, Math.ceil(opts.idleTimeoutMs));
    return db.withSession(async (session) => {
      await session.exec(idle > 0 ? `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${idle}` : 'BEGIN');
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

/** A subject-fallback candidate (kind 2): a recent message of a participant, and its record. */
export interface EmailThreadCandidate {
  kind: number;
  key: string | null;
  recordId: string;
  subject: string | null;
  /** The record's subject as the fallback compares it (the email's, since the read asks for it). */
  subjectKey: string | null;
  author: string | null;
  sentAt: Date | string | null;
  /** The candidate record's company. */
  companyId: string | null;
}

/** Which records hold these thread keys (EmailThreadKey: Message-IDs a thread holds or names), in one round trip. */
export async function findEmailThreadKeys(
  sql: SqlRunner,
  keys: string[],
): Promise<Array<{ key: string; recordId: string }>> {
  if (keys.length === 0) return [];
  return sql.query<{ key: string; recordId: string }>(
    'SELECT key, "recordId"::text AS "recordId" FROM "EmailThreadKey" WHERE key = ANY($1::text[])',
    [keys],
  );
}

/**
 * How many of its participants' messages within its window, on threads with its subject, nearest in
 * time to it the subject fallback looks at per email.
 */
export const SUBJECT_CANDIDATE_LIMIT = 50;

/**
 * Gives these thread keys to their records, keys a concurrent writer took meanwhile excepted: those are
 * returned with the record that holds them (a new statement sees what the other transaction committed).
 */
export async function insertEmailThreadKeys(
  sql: SqlRunner,
  rows: Array<{ key: string; recordId: string }>,
): Promise<Array<{ key: string; recordId: string }>> {
  if (rows.length === 0) return [];
  const sorted = [...new Map(rows.map((r) => [r.key, r])).values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  const inserted = await sql.query<{ key: string }>(
    `INSERT INTO "EmailThreadKey" (key, "recordId")
     SELECT x.key, x."recordId" FROM json_to_recordset($1::json) AS x(key text, "recordId" uuid)
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [JSON.stringify(sorted)],
    { planPerCall: sorted.length > 1 },
  );
  if (inserted.length === sorted.length) return [];
  const done = new Set(inserted.map((r) => r.key));
  const taken = await findEmailThreadKeys(
    sql,
    sorted.filter((r) => !done.has(r.key)).map((r) => r.key),
  );
  const want = new Map(sorted.map((r) => [r.key, r.recordId]));
  return taken.filter((t) => want.get(t.key) !== t.recordId);
}

// The subject fallback's candidates for several emails at once: per ask, the 50 messages of its
// participants within its window on threads with its subject key, nearest in time to the email (not
// the newest: those depend on which later mail has arrived). Read from the threads with the key whose
// dates reach the window (a record's startedAt and lastMessageAt bound its messages' sentAt), not from
// every message of the participants: a feed sender has thousands, of which a handful match.
const FIND_SUBJECT_CANDIDATES = `
SELECT a.ask, 2 AS kind, NULL::text AS key, c."recordId", c.subject, c."subjectKey", c.author, c."sentAt", c."companyId"
FROM json_to_recordset($1::json) AS a(ask int, people text[], "from" timestamptz, "to" timestamptz, at timestamptz, "subjectKey" text)
CROSS JOIN LATERAL (
  SELECT m."recordId"::text AS "recordId", r.subject, r."subjectKey", m."authorEmail" AS author, m."sentAt", r."companyId"::text AS "companyId"
  FROM "CommunicationRecord" r JOIN "Message" m ON m."recordId" = r.id
  WHERE r."subjectKey" = a."subjectKey" AND r."lastMessageAt" >= a."from" AND r."startedAt" <= a."to"
    AND r."channelKind" = 'email'::"ChannelKind"
    AND m."authorEmail" = ANY(a.people) AND m."sentAt" >= a."from" AND m."sentAt" <= a."to"
  ORDER BY abs(extract(epoch FROM m."sentAt" - a.at)), m."sentAt" DESC LIMIT ${SUBJECT_CANDIDATE_LIMIT}
) c`;

/** The subject fallback's candidates (kind 2) of several emails in one round trip, by the index of their ask. */
export async function findEmailSubjectCandidates(
  sql: SqlRunner,
  asks: Array<{ people: string[]; from: Date; to: Date; at: Date; subjectKey: string }>,
): Promise<Map<number, EmailThreadCandidate[]>> {
  const byAsk = new Map<number, EmailThreadCandidate[]>(asks.map((_, i) => [i, []]));
  if (asks.length === 0) return byAsk;
  const rows = await sql.query<EmailThreadCandidate & { ask: number }>(
    FIND_SUBJECT_CANDIDATES,
    [JSON.stringify(asks.map((a, ask) => ({ ask, ...a })))],
    { planPerCall: true },
  );
  for (const { ask, ...r } of rows) byAsk.get(Number(ask))?.push({ ...r, kind: 2 });
  return byAsk;
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

// New contacts, and in the same statement the companies named after their domains where asked
// (names are unique: one another customer has already is replaced by the domain).
const INSERT_CONTACTS = `
WITH x AS (
  SELECT * FROM json_to_recordset($1::json) AS x(id uuid, "companyId" uuid, name text, "normalizedName" text, email text,
    "coName" text, "coNormalized" text, domain text, "domainNormalized" text)
), co AS (
  INSERT INTO "Company" (id, name, "normalizedName", domains, "createdAt", "updatedAt")
  SELECT x."companyId", CASE WHEN t.yes THEN x.domain ELSE x."coName" END, CASE WHEN t.yes THEN x."domainNormalized" ELSE x."coNormalized" END,
    ARRAY[x.domain], $2::timestamptz, $2::timestamptz
  FROM x CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM "Company" WHERE "normalizedName" = x."coNormalized") AS yes) t
  WHERE x."coName" IS NOT NULL
)
INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "createdAt", "updatedAt")
SELECT x.id, x."companyId", x.name, x."normalizedName", ARRAY[x.email], $2::timestamptz, $2::timestamptz FROM x`;

/** A new contact with one address; with `newCompany`, the company (id `companyId`) is created with it. */
export interface NewEmailContact {
  contact: { id: string; name: string; normalizedName: string; email: string; companyId: string | null };
  newCompany: { name: string; normalizedName: string; domain: string } | null;
}

/**
 * New contacts (and their new companies) in one statement. Two new companies of one call with the
 * same name: the later one is named by its domain, as it would be written after the first.
 */
export async function insertEmailContacts(sql: SqlRunner, contacts: NewEmailContact[], now: Date): Promise<void> {
  if (contacts.length === 0) return;
  const names = new Set<string>();
  const rows = contacts.map(({ contact, newCompany }) => {
    let co = newCompany;
    if (co && names.has(co.normalizedName))
      co = { ...co, name: co.domain, normalizedName: normalizeCompanyName(co.domain) };
    if (co) names.add(co.normalizedName);
    return {
      ...contact,
      coName: co?.name ?? null,
      coNormalized: co?.normalizedName ?? null,
      domain: co?.domain ?? null,
      domainNormalized: co ? normalizeCompanyName(co.domain) : null,
    };
  });
  await sql.query(INSERT_CONTACTS, [JSON.stringify(rows), now], { planPerCall: contacts.length > 1 });
}

// A contact logged without a company gets one (created here when `$4` names it), and so do the
// company-less records its messages are in and the follow-ups made on those without one.
const CONFIRM_CONTACT = `
WITH ${companyFromDomain({ id: '$2', now: '$3', name: '$4', normalizedName: '$5', domain: '$6', domainNormalized: '$7' })}, contact AS (
  UPDATE "Contact" SET "companyId" = $2::uuid, "updatedAt" = $3::timestamptz WHERE id = $1::uuid AND "companyId" IS NULL
), moved AS (
  UPDATE "CommunicationRecord" SET "companyId" = $2::uuid, "updatedAt" = $3::timestamptz
  WHERE "companyId" IS NULL AND id IN (SELECT "recordId" FROM "Message" WHERE "contactId" = $1::uuid)
  RETURNING id
)
UPDATE "FollowUp" SET "companyId" = $2::uuid, "updatedAt" = $3::timestamptz
WHERE "companyId" IS NULL AND "recordId" IN (SELECT id FROM moved)`;

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
// suggestion is dismissed: one per record), training examples (the thread's own label wins, first stored
// when the older was); then $2 goes.
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
  "threadingNote" = right(COALESCE(r."threadingNote" || E'\\n', '') || 'Merged ' || o."sourceKey" || ': one thread logged apart (replies logged before the message they answer arrived, or naming one missing message).', ${MAX_THREADING_NOTE_CHARS}),
  "updatedAt" = $3::timestamptz
FROM "CommunicationRecord" o WHERE r.id = $1::uuid AND o.id = $2::uuid`;

/**
 * Joins two records of one email thread (a message that names ids both hold: replies logged before
 * the message they answer, or two branches meeting): record `from` and its thread keys are merged
 * into `into`, and deleted.
 */
export async function mergeEmailRecords(sql: SqlRunner, ids: { into: string; from: string }, now: Date): Promise<void> {
  await sql.query(MERGE_RECORDS, [ids.into, ids.from, now]);
  await sql.query(`UPDATE "EmailThreadKey" SET "recordId" = $1::uuid WHERE "recordId" = $2::uuid`, [
    ids.into,
    ids.from,
  ]);
  // Separate statements: a data-modifying CTE does not see the rows another one changed.
  await sql.query(
    `UPDATE "FollowUp" SET "recordId" = $1::uuid, "updatedAt" = $3::timestamptz WHERE "recordId" = $2::uuid`,
    [ids.into, ids.from, now],
  );
  // The thread's own example wins, but it was first stored when the older of the two was: the models
  // that learned the one merged away learned this thread, and an erasure withdraws the models trained
  // since its examples were first stored (oldestTrainingTextOf reads `createdAt`).
  await sql.query(
    `UPDATE "LabeledExample" x SET "createdAt" = e."createdAt"
       FROM "LabeledExample" e
      WHERE x."recordId" = $1::uuid AND e."recordId" = $2::uuid AND e.source = x.source AND e."createdAt" < x."createdAt"`,
    [ids.into, ids.from],
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
