import { randomUUID } from 'node:crypto';
import type { Database, SqlRunner } from '../db/database.ts';
import type { EmailParticipant, InboundEmail } from '../domain/email-message.ts';
import { companyNameFromDomain, emailSides, isFreeMailDomain } from '../domain/email-participants.ts';
import { stripQuotedReply } from '../domain/email-reply-stripper.ts';
import { headerSkipReason, type EmailSkipReason } from '../domain/email-skip-rules.ts';
import { isThreadableSubject, normalizeEmailSubject } from '../domain/email-subject.ts';
import { emailExternalId, emailSourceKey, SUBJECT_THREAD_WINDOW_DAYS, threadingKeys, type ThreadingKeys } from '../domain/email-threading.ts';
import { emailDomain, normalizeCompanyName, normalizePersonName } from '../domain/normalize-company-name.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { tombstoneHash, type TombstoneKey } from './tombstones.service.ts';

export interface LogEmailOptions {
  /** Our own domains: RAPPORT_INTERNAL_DOMAINS plus the mailbox's domain. Mail from them is outbound. */
  internalDomains: readonly string[];
  /** Skip mailing-list mail (List-Id). Default true. */
  skipLists?: boolean;
  /** Told about every new message after its transaction committed. */
  hooks: PipelineHooks;
  /**
   * Contacts and companies already looked up, kept across calls by a sync run so a known sender
   * costs no query. Default: a fresh cache per call.
   */
  customers?: EmailCustomerCache;
}

export type LogEmailOutcome =
  | { status: 'logged'; recordId: string; messageId: string; newRecord: boolean; threadedBy: string }
  | { status: 'duplicate'; externalId: string }
  | { status: 'skipped'; reason: EmailSkipReason };

/** What {@link logEmails} did: an outcome per email up to the first failure, and that failure. */
export interface LogEmailsResult {
  /** One per email, in order; shorter than the input when `failure` is set. */
  outcomes: LogEmailOutcome[];
  /** The first email that could not be written (index into the input); nothing after it was written. */
  failure?: { index: number; error: unknown };
}

interface Customer {
  contactId: string;
  companyId: string | null;
}

/**
 * Contact-by-address and company-by-domain lookups of one sync run. Only committed rows enter it;
 * it is cleared when a write fails (a contact erased meanwhile), and lives no longer than one pass
 * over a folder, so edits made elsewhere are picked up on the next pass.
 */
export class EmailCustomerCache {
  readonly contacts = new Map<string, Customer>();
  readonly companies = new Map<string, string>();
  clear(): void {
    this.contacts.clear();
    this.companies.clear();
  }
}

/** An email that passed the header rules: what the writer needs, computed once. */
interface PendingEmail {
  email: InboundEmail;
  externalId: string;
  keys: ThreadingKeys;
  direction: 'inbound' | 'outbound';
  customers: EmailParticipant[];
  tombstoneHashes: string[];
}

const DAY_MS = 86_400_000;
const MAX_NOTE_CHARS = 2000;
const MAX_WRITE_ATTEMPTS = 3;

/**
 * Logs one email as a Message of the email thread's CommunicationRecord, creating the record, the
 * contact and (for an unknown company domain) the company as needed. Idempotent by Message-ID: the
 * same email twice is one row (`duplicate`). Skip rules (auto-reply, bounce, list, spam, erased
 * customer, internal-only) return `skipped` with the reason and write nothing.
 * @throws the database error when the email cannot be written.
 */
export async function logEmail(db: Database, email: InboundEmail, opts: LogEmailOptions): Promise<LogEmailOutcome> {
  const result = await logEmails(db, [email], opts);
  if (result.failure) throw result.failure.error;
  return result.outcomes[0];
}

/**
 * Logs emails in order, as {@link logEmail} would one by one, in one transaction: duplicates,
 * tombstones, contacts and companies are read for the whole batch up front, and each email costs
 * one threading query and one insert (plus one for a new contact). A later email sees the earlier
 * ones (a reply in the same batch joins its thread). When an email fails, the emails before it are
 * committed and the result says which one failed; `hooks.recordLogged` runs after the commit.
 */
export async function logEmails(db: Database, emails: InboundEmail[], opts: LogEmailOptions): Promise<LogEmailsResult> {
  const cache = opts.customers ?? new EmailCustomerCache();
  const checked = emails.map((email) => checkHeaders(email, opts));
  let end = emails.length;
  let failure: LogEmailsResult['failure'];
  for (let attempt = 1; ; attempt++) {
    const batch = checked.slice(0, end);
    try {
      const outcomes = await writeBatch(db, batch, cache);
      for (const o of outcomes) if (o.status === 'logged') await opts.hooks.recordLogged(o.recordId, o.messageId);
      return failure ? { outcomes, failure } : { outcomes };
    } catch (err) {
      if (!(err instanceof EmailWriteError)) throw err;
      // A stale cache entry (contact erased meanwhile) or a concurrent writer: the next attempt reads afresh.
      cache.clear();
      if (err.retry && attempt < MAX_WRITE_ATTEMPTS) continue;
      if (attempt < 2) continue;
      failure = { index: err.index, error: err.error };
      end = err.index;
      if (end === 0) return { outcomes: [], failure };
      attempt = 0; // the emails before the failed one get their own attempts
    }
  }
}

/** Thrown inside the batch transaction; `retry` for a concurrent writer (a fresh read resolves it). */
class EmailWriteError extends Error {
  constructor(readonly index: number, readonly error: unknown, readonly retry: boolean) {
    super(error instanceof Error ? error.message : String(error));
  }
}

function checkHeaders(email: InboundEmail, opts: LogEmailOptions): PendingEmail | LogEmailOutcome {
  const headerReason = headerSkipReason(email, { skipLists: opts.skipLists });
  if (headerReason) return { status: 'skipped', reason: headerReason };
  const sides = emailSides(email, opts.internalDomains);
  if (!sides) return { status: 'skipped', reason: 'internal-only' };
  const externalId = emailExternalId(email);
  const keys = threadingKeys(email);
  const tombstoneKeys: TombstoneKey[] = [{ kind: 'message', value: externalId }];
  for (const id of [keys.rootId, ...keys.parents]) tombstoneKeys.push({ kind: 'source', value: emailSourceKey(id) });
  for (const c of sides.customers) {
    tombstoneKeys.push({ kind: 'email', value: c.email });
    const domain = emailDomain(c.email);
    if (!isFreeMailDomain(domain)) tombstoneKeys.push({ kind: 'domain', value: domain });
  }
  const tombstoneHashes = tombstoneKeys.filter((k) => k.value.trim() !== '').map(tombstoneHash);
  return { email, externalId, keys, direction: sides.direction, customers: sides.customers, tombstoneHashes };
}

const isPending = (p: PendingEmail | LogEmailOutcome): p is PendingEmail => !('status' in p);

async function writeBatch(db: Database, batch: Array<PendingEmail | LogEmailOutcome>, cache: EmailCustomerCache): Promise<LogEmailOutcome[]> {
  const pending = batch.filter(isPending);
  if (pending.length === 0) return batch as LogEmailOutcome[];
  const known = await readKnown(db.sql, pending, cache);
  return inTransaction(db, async (sql) => {
    const staged = new EmailCustomerCache();
    const written = new Set<string>();
    const outcomes: LogEmailOutcome[] = [];
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      if (!isPending(p)) outcomes.push(p);
      else if (known.messages.has(p.externalId) || written.has(p.externalId)) outcomes.push({ status: 'duplicate', externalId: p.externalId });
      else if (p.tombstoneHashes.some((h) => known.tombstones.has(h))) outcomes.push({ status: 'skipped', reason: 'tombstoned' });
      else {
        try {
          const logged = await writeEmail(sql, p, cache, staged);
          if (!logged) throw new EmailWriteError(i, new Error('a concurrent writer logged this thread or message first'), true);
          outcomes.push({ status: 'logged', ...logged });
          written.add(p.externalId);
        } catch (err) {
          throw err instanceof EmailWriteError ? err : new EmailWriteError(i, err, false);
        }
      }
    }
    // Only after COMMIT do the new contacts and companies become cache entries.
    return { outcomes, commit: () => mergeInto(cache, staged) };
  });
}

function mergeInto(cache: EmailCustomerCache, staged: EmailCustomerCache): void {
  for (const [k, v] of staged.contacts) cache.contacts.set(k, v);
  for (const [k, v] of staged.companies) cache.companies.set(k, v);
}

/** Runs `fn` in one transaction: a dedicated connection on PostgreSQL, Prisma's exclusive transaction on PGlite. */
async function inTransaction<T>(db: Database, fn: (sql: SqlRunner) => Promise<{ outcomes: T; commit: () => void }>): Promise<T> {
  let result: { outcomes: T; commit: () => void };
  if (db.kind === 'postgres') {
    result = await db.withSession(async (session) => {
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
  } else {
    // PGlite has one connection: a raw BEGIN would let other queries of this process into our transaction.
    result = await db.prisma.$transaction(
      (tx) => fn({ exec: async (q) => void (await tx.$executeRawUnsafe(q)), query: (q, params = []) => tx.$queryRawUnsafe(q, ...params) }),
      { maxWait: 60_000, timeout: 600_000 },
    );
  }
  result.commit();
  return result.outcomes;
}

/** Existing Message-IDs, tombstones, and contacts/companies of the batch's senders not yet cached. */
async function readKnown(sql: SqlRunner, pending: PendingEmail[], cache: EmailCustomerCache) {
  const emails = [...new Set(pending.map((p) => p.customers[0].email).filter((e) => !cache.contacts.has(e)))];
  const domains = [...new Set(emails.map(emailDomain).filter((d) => !isFreeMailDomain(d) && !cache.companies.has(d)))];
  const [messages, tombstones, contacts, companies] = await Promise.all([
    sql.query<{ externalId: string }>('SELECT "externalId" FROM "Message" WHERE "externalId" = ANY($1::text[])', [pending.map((p) => p.externalId)]),
    sql.query<{ keyHash: string }>('SELECT "keyHash" FROM "Tombstone" WHERE "keyHash" = ANY($1::text[])', [pending.flatMap((p) => p.tombstoneHashes)]),
    emails.length === 0
      ? []
      : sql.query<{ email: string; id: string; companyId: string | null }>(
          `SELECT DISTINCT ON (e) e AS email, c.id::text AS id, c."companyId"::text AS "companyId"
           FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
           WHERE c.emails && $1::text[] AND e = ANY($1::text[]) ORDER BY e, c."createdAt"`,
          [emails],
        ),
    domains.length === 0
      ? []
      : sql.query<{ domain: string; id: string }>(
          `SELECT DISTINCT ON (d) d AS domain, co.id::text AS id
           FROM "Company" co CROSS JOIN LATERAL unnest(co.domains) d
           WHERE co.domains && $1::text[] AND d = ANY($1::text[]) ORDER BY d, co."createdAt"`,
          [domains],
        ),
  ]);
  for (const c of contacts) cache.contacts.set(c.email, { contactId: c.id, companyId: c.companyId });
  for (const c of companies) cache.companies.set(c.domain, c.id);
  return { messages: new Set(messages.map((m) => m.externalId)), tombstones: new Set(tombstones.map((t) => t.keyHash)) };
}

/** The message insert that ends both statements below: $sentAt and $now are shared, its own parameters start at $first. */
function insertMessage(sentAt: number, now: number, first: number): string {
  const [id, externalId, direction, contactId, authorName, authorEmail, text, cleanText, metadata] = Array.from({ length: 9 }, (_, i) => `$${first + i}`);
  return `
INSERT INTO "Message" (id, "recordId", "externalId", direction, "contactId", "authorName", "authorEmail", text, "cleanText", "sentAt", metadata, "createdAt", "updatedAt")
SELECT ${id}::uuid, rec.id, ${externalId}, ${direction}::"Direction", ${contactId}::uuid, ${authorName}, ${authorEmail}, ${text}, ${cleanText}, $${sentAt}::timestamptz, ${metadata}::jsonb, $${now}::timestamptz, $${now}::timestamptz FROM rec
ON CONFLICT ("externalId") DO NOTHING
RETURNING id::text AS id, "recordId"::text AS "recordId"`;
}

// The new record and its first message in one statement. No row back: the thread's sourceKey or the
// Message-ID was written by a concurrent transaction (the caller rolls back and reads again).
const INSERT_RECORD_WITH_MESSAGE = `
WITH rec AS (
  INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", subject, "sourceKey", "threadingNote", "startedAt", "lastMessageAt", "createdAt", "updatedAt")
  VALUES ($1::uuid, $2::uuid, 'email'::"ChannelKind", $3, $4, $5, $6::timestamptz, $6::timestamptz, $7::timestamptz, $7::timestamptz)
  ON CONFLICT ("sourceKey") DO NOTHING
  RETURNING id
)
${insertMessage(6, 7, 8)}`;

// The thread's record takes the message: company filled in if it had none, dates widened, a
// subject-join note appended (the newest MAX_NOTE_CHARS kept).
const APPEND_MESSAGE_TO_RECORD = `
WITH rec AS (
  UPDATE "CommunicationRecord" SET
    "threadingNote" = CASE WHEN $3::text IS NULL THEN "threadingNote" ELSE right(COALESCE("threadingNote" || E'\\n', '') || $3::text, ${MAX_NOTE_CHARS}) END,
    "companyId" = COALESCE("companyId", $2::uuid),
    "startedAt" = LEAST("startedAt", $4::timestamptz),
    "lastMessageAt" = GREATEST("lastMessageAt", $4::timestamptz),
    "updatedAt" = $5::timestamptz
  WHERE id = $1::uuid
  RETURNING id
)
${insertMessage(4, 5, 6)}`;

async function writeEmail(sql: SqlRunner, p: PendingEmail, cache: EmailCustomerCache, staged: EmailCustomerCache) {
  const { email, keys } = p;
  const now = new Date();
  const primary = await resolveCustomer(sql, p.customers[0], cache, staged, now);
  const thread = await findThread(sql, email, keys, p.customers);
  const text = email.bodyNote && !email.text ? email.bodyNote : email.text;
  const threadedBy = thread?.by ?? 'new thread';
  const metadata = {
    subject: email.subject,
    messageId: email.messageId ?? null,
    inReplyTo: email.inReplyTo ?? null,
    references: email.references,
    from: email.from ?? null,
    to: email.to,
    cc: email.cc,
    attachments: email.attachments,
    sizeBytes: email.sizeBytes,
    bodyNote: email.bodyNote ?? null,
    threadedBy,
    origin: { ...email.origin },
  };
  const messageParams = [
    randomUUID(), p.externalId, p.direction, p.direction === 'inbound' ? primary.contactId : null, email.from?.name || null, email.from?.email ?? null,
    text, stripQuotedReply(text), JSON.stringify(metadata),
  ];
  const rows = thread
    ? await sql.query<{ id: string; recordId: string }>(APPEND_MESSAGE_TO_RECORD, [thread.recordId, primary.companyId, thread.note ?? null, email.sentAt, now, ...messageParams])
    : await sql.query<{ id: string; recordId: string }>(INSERT_RECORD_WITH_MESSAGE, [
        randomUUID(), primary.companyId, email.subject.trim().slice(0, 300) || null, emailSourceKey(keys.rootId),
        `Thread root <${keys.rootId}>; replies join by In-Reply-To/References, or by subject and participant within ${SUBJECT_THREAD_WINDOW_DAYS} days.`,
        email.sentAt, now, ...messageParams,
      ]);
  if (rows.length === 0) return undefined;
  return { recordId: rows[0].recordId, messageId: rows[0].id, newRecord: !thread, threadedBy };
}

// Header ids (kind 0: a parent message; kind 1: a record named after the root or a parent) and,
// only when asked ($3), the subject-fallback candidates (kind 2) in one round trip.
const FIND_THREAD = `
SELECT 0 AS kind, "externalId" AS key, "recordId"::text AS "recordId", NULL::text AS subject, NULL::text AS author, NULL::timestamptz AS "sentAt"
  FROM "Message" WHERE "externalId" = ANY($1::text[])
UNION ALL
(SELECT 1, "sourceKey", id::text, NULL, NULL, NULL FROM "CommunicationRecord" WHERE "sourceKey" = ANY($2::text[]) LIMIT 1)
UNION ALL
(SELECT 2, NULL, m."recordId"::text, r.subject, m."authorEmail", m."sentAt"
  FROM "Message" m JOIN "CommunicationRecord" r ON r.id = m."recordId"
  WHERE $3::boolean AND m."authorEmail" = ANY($4::text[]) AND m."sentAt" >= $5::timestamptz AND m."sentAt" <= $6::timestamptz AND r."channelKind" = 'email'::"ChannelKind"
  ORDER BY m."sentAt" DESC LIMIT 50)`;

interface ThreadRow {
  kind: number;
  key: string | null;
  recordId: string;
  subject: string | null;
  author: string | null;
  sentAt: Date | string | null;
}

/** The record this email belongs to: by header ids first, then by subject + participant + time window. */
async function findThread(sql: SqlRunner, email: InboundEmail, keys: ThreadingKeys, customers: EmailParticipant[]): Promise<{ recordId: string; by: string; note?: string } | undefined> {
  const subject = normalizeEmailSubject(email.subject);
  const bySubject = keys.parents.length === 0 && isThreadableSubject(subject);
  const people = [...new Set([...customers.map((c) => c.email), ...(email.from ? [email.from.email] : [])])];
  const rows = await sql.query<ThreadRow>(FIND_THREAD, [
    keys.parents.map((p) => `email:<${p}>`),
    [keys.rootId, ...keys.parents].map(emailSourceKey),
    bySubject,
    people,
    new Date(email.sentAt.getTime() - SUBJECT_THREAD_WINDOW_DAYS * DAY_MS),
    new Date(email.sentAt.getTime() + DAY_MS),
  ]);
  for (const p of keys.parents) {
    const hit = rows.find((r) => Number(r.kind) === 0 && r.key === `email:<${p}>`);
    if (hit) return { recordId: hit.recordId, by: p === email.inReplyTo ? 'In-Reply-To' : 'References' };
  }
  const byKey = rows.find((r) => Number(r.kind) === 1);
  if (byKey) return { recordId: byKey.recordId, by: 'References root' };
  if (!bySubject) return undefined; // answers something we never saw: its own thread, named after that root
  const time = (r: ThreadRow) => (r.sentAt ? new Date(r.sentAt).getTime() : 0);
  const candidates = rows.filter((r) => Number(r.kind) === 2).sort((a, b) => time(b) - time(a));
  const match = candidates.find((c) => normalizeEmailSubject(c.subject ?? '') === subject);
  if (!match) return undefined;
  return {
    recordId: match.recordId,
    by: 'subject',
    note: `<${email.messageId ?? 'no Message-ID'}> joined by subject "${subject.slice(0, 80)}" and participant ${match.author} within ${SUBJECT_THREAD_WINDOW_DAYS} days (no In-Reply-To/References).`,
  };
}

// A new contact, and in the same statement the company named after its domain when none owns it.
const INSERT_CONTACT = `
WITH co AS (
  INSERT INTO "Company" (id, name, "normalizedName", domains, "createdAt", "updatedAt")
  SELECT $6::uuid, $7, $8, ARRAY[$9::text], $5::timestamptz, $5::timestamptz WHERE $7::text IS NOT NULL
)
INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "createdAt", "updatedAt")
VALUES ($1::uuid, $6::uuid, $2, $3, ARRAY[$4::text], $5::timestamptz, $5::timestamptz)`;

/**
 * Finds the contact by address, else creates one: at the company that owns the domain, at a new
 * company named after the domain when none does, or without a company for free-mail addresses.
 */
async function resolveCustomer(sql: SqlRunner, person: EmailParticipant, cache: EmailCustomerCache, staged: EmailCustomerCache, now: Date): Promise<Customer> {
  const found = staged.contacts.get(person.email) ?? cache.contacts.get(person.email);
  if (found) return found;
  const domain = emailDomain(person.email);
  let companyId: string | null = null;
  let newCompany: string | null = null;
  if (!isFreeMailDomain(domain)) {
    companyId = staged.companies.get(domain) ?? cache.companies.get(domain) ?? null;
    if (!companyId) {
      newCompany = companyNameFromDomain(domain);
      companyId = randomUUID();
    }
  }
  const name = person.name.trim() || person.email.slice(0, person.email.indexOf('@'));
  const contactId = randomUUID();
  await sql.query(INSERT_CONTACT, [
    contactId, name, normalizePersonName(name), person.email, now, companyId, newCompany, newCompany === null ? null : normalizeCompanyName(newCompany), domain,
  ]);
  if (newCompany && companyId) staged.companies.set(domain, companyId);
  const customer = { contactId, companyId };
  staged.contacts.set(person.email, customer);
  return customer;
}
