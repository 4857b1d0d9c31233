import { randomUUID } from 'node:crypto';
import type { Database, SqlRunner } from '../db/database.ts';
import { isUniqueViolationError } from '../db/sql-errors.ts';
import {
  confirmEmailContact,
  findEmailThreadKeys,
  inEmailTransaction,
  mergeEmailRecords,
  readKnownEmailKeys,
  type EmailThreadCandidate,
} from '../db/email-log.repository.ts';
import type { EmailParticipant, InboundEmail } from '../domain/email-message.ts';
import {
  COMPILED_DEFAULT_EMAIL_FILTER_RULES,
  matchEmailFilters,
  type CompiledEmailFilterRule,
  type EmailFilterMatch,
} from '../domain/email-filter-rules.ts';
import { companyNameFromDomain, emailSides, isCompanyDomain } from '../domain/email-participants.ts';
import { stripQuotedReply } from '../domain/email-reply-stripper.ts';
import { headerSkipReason, type EmailSkipReason } from '../domain/email-skip-rules.ts';
import {
  isReplySubject,
  isThreadableSubject,
  mayThreadBySubject,
  normalizeEmailSubject,
} from '../domain/email-subject.ts';
import {
  emailExternalId,
  emailIdKey,
  emailSourceKey,
  SUBJECT_THREAD_WINDOW_DAYS,
  threadingKeys,
  type ThreadingKeys,
} from '../domain/email-threading.ts';
import { emailDomain, normalizeCompanyName, normalizePersonName } from '../domain/normalize-company-name.ts';
import { EmailBatchWriter, EmailWriteError, type SubjectAsk } from './email-batch-writer.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { leaveOutErasedPeople } from './leave-out-erased-people.service.ts';
import { addressTombstoneKeys, tombstoneHash, type TombstoneKey } from './tombstones.service.ts';

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
  /** Configured filter rules (RAPPORT_MAIL_FILTERS), applied before the shipped ones. Default none. */
  filters?: readonly CompiledEmailFilterRule[];
  /** Apply the shipped spam and bulk rules (RAPPORT_MAIL_FILTERS_DEFAULTS). Default true. */
  defaultFilters?: boolean;
  /**
   * Who becomes a customer (IMAP_CREATE_COMPANIES). `answered` (default): a company is created only
   * from mail we sent or answered, or found by a domain a company already owns; other senders are
   * logged without a company ("unconfirmed") until someone runs `make customer`. `all`: every
   * first sender on a company domain creates a company.
   */
  createCompanies?: 'answered' | 'all';
  /**
   * Runs last inside the transaction that writes the first `written` emails, so that the caller's
   * bookkeeping (the IMAP cursor) commits with them: a separate commit per batch saved. Not run
   * when no email needs a write (no transaction), nor by an attempt that rolls back before it.
   */
  inTransaction?: (sql: SqlRunner, written: number) => Promise<void>;
  /**
   * PostgreSQL ends a write transaction's session once it sat idle inside it this long, ms (see
   * inEmailTransaction): an IMAP sync's lock TTL, so a process frozen inside a batch does not hold its
   * locks, the fence row's among them, past the takeover. Default none.
   */
  idleTimeoutMs?: number;
}

export type LogEmailOutcome =
  | { status: 'logged'; recordId: string; messageId: string; newRecord: boolean; threadedBy: string }
  | { status: 'duplicate'; externalId: string }
  | { status: 'skipped'; reason: EmailSkipReason | (string & {}); rule?: string };

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
  /**
   * The ids this email holds or names, as thread keys: its parents nearest first (In-Reply-To, then
   * References newest to oldest), its thread root, its own id. The email joins the record holding any.
   */
  threadKeys: string[];
  direction: 'inbound' | 'outbound';
  customers: EmailParticipant[];
  tombstoneHashes: string[];
  /** The filter rule that let it through with a twist (log-quietly, route). */
  filter?: EmailFilterMatch;
  createCompanies: 'answered' | 'all';
  /** Its subject as the subject fallback compares it (normalizeEmailSubject), worked out once. */
  subjectKey: string;
  /** Not list or bulk mail (mayThreadBySubject): it may join, and its thread be joined, by subject. */
  bySubject: boolean;
  /** Its subject-fallback question; undefined when it is threaded by headers only. */
  ask?: SubjectAsk;
}

const DAY_MS = 86_400_000;
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
  const checked = (await leaveOutErasedPeople(db.sql, emails, opts.internalDomains)).map((email) =>
    checkHeaders(email, opts),
  );
  let end = emails.length;
  let failure: LogEmailsResult['failure'];
  for (let attempt = 1; ; attempt++) {
    const batch = checked.slice(0, end);
    try {
      // A retry writes email by email, so that a failure names the email that caused it.
      const outcomes = await writeBatch(db, batch, cache, attempt > 1, opts);
      await announceLogged(opts.hooks, outcomes);
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

/** Queues classification for the logged outcomes of a commit: in one call where the hooks take a batch. */
async function announceLogged(hooks: PipelineHooks, outcomes: LogEmailOutcome[]): Promise<void> {
  const logged = outcomes.flatMap((o) =>
    o.status === 'logged' ? [{ recordId: o.recordId, messageId: o.messageId }] : [],
  );
  if (logged.length === 0) return;
  if (hooks.recordsLogged) await hooks.recordsLogged(logged);
  else for (const l of logged) await hooks.recordLogged(l.recordId, l.messageId);
}

const SPAM_DEFAULTS = COMPILED_DEFAULT_EMAIL_FILTER_RULES.filter((r) => r.reason === 'spam');
const BULK_DEFAULTS = COMPILED_DEFAULT_EMAIL_FILTER_RULES.filter((r) => r.reason !== 'spam');

/**
 * The filters in order: configured rules, shipped spam rules, the fixed rules (bounce, auto-reply,
 * list, no sender), shipped bulk rules (not for list mail kept by IMAP_SKIP_LISTS=false).
 */
function filterEmail(email: InboundEmail, opts: LogEmailOptions): LogEmailOutcome | EmailFilterMatch | undefined {
  const configured = opts.filters?.length ? matchEmailFilters(email, opts.filters) : undefined;
  if (configured?.action === 'skip') return { status: 'skipped', reason: configured.reason!, rule: configured.rule };
  // Only an explicit `log` rule makes an exception to the shipped rules; route/log-quietly mail may still be spam.
  const defaults = (opts.defaultFilters ?? true) && configured?.action !== 'log';
  if (defaults) {
    const spam = matchEmailFilters(email, SPAM_DEFAULTS);
    if (spam) return { status: 'skipped', reason: spam.reason!, rule: spam.rule };
  }
  const headerReason = headerSkipReason(email, { skipLists: opts.skipLists });
  if (headerReason) return { status: 'skipped', reason: headerReason };
  if (defaults && email.headers['list-id'] === undefined) {
    const bulk = matchEmailFilters(email, BULK_DEFAULTS);
    if (bulk) return { status: 'skipped', reason: bulk.reason!, rule: bulk.rule };
  }
  return configured;
}

function checkHeaders(email: InboundEmail, opts: LogEmailOptions): PendingEmail | LogEmailOutcome {
  const filtered = filterEmail(email, opts);
  if (filtered && 'status' in filtered) return filtered;
  const sides = emailSides(email, opts.internalDomains);
  if (!sides) return { status: 'skipped', reason: 'internal-only' };
  const externalId = emailExternalId(email);
  const keys = threadingKeys(email);
  const tombstoneKeys: TombstoneKey[] = [{ kind: 'message', value: externalId }];
  for (const id of [keys.rootId, ...keys.parents]) tombstoneKeys.push({ kind: 'source', value: emailSourceKey(id) });
  for (const c of sides.customers) tombstoneKeys.push(...addressTombstoneKeys(c.email));
  const tombstoneHashes = tombstoneKeys.filter((k) => k.value.trim() !== '').map(tombstoneHash);
  const threadKeys = [
    ...new Set([
      ...keys.parents.map(emailIdKey),
      emailSourceKey(keys.rootId),
      ...(email.messageId ? [emailIdKey(email.messageId)] : []),
    ]),
  ];
  const pending: PendingEmail = {
    email,
    externalId,
    keys,
    threadKeys,
    direction: sides.direction,
    customers: sides.customers,
    tombstoneHashes,
    filter: filtered && filtered.action !== 'log' ? filtered : undefined,
    createCompanies: opts.createCompanies ?? 'answered',
    subjectKey: normalizeEmailSubject(email.subject),
    bySubject: mayThreadBySubject(email),
  };
  pending.ask = subjectAsk(pending);
  return pending;
}

const isPending = (p: PendingEmail | LogEmailOutcome): p is PendingEmail => !('status' in p);

async function writeBatch(
  db: Database,
  batch: Array<PendingEmail | LogEmailOutcome>,
  cache: EmailCustomerCache,
  exact: boolean,
  { inTransaction, idleTimeoutMs }: Pick<LogEmailOptions, 'inTransaction' | 'idleTimeoutMs'>,
): Promise<LogEmailOutcome[]> {
  const pending = batch.filter(isPending);
  if (pending.length === 0) return batch as LogEmailOutcome[];
  const known = await readKnown(db.sql, pending, cache);
  const { outcomes, staged } = await inEmailTransaction(
    db,
    async (sql) => {
      const staged = new EmailCustomerCache();
      const threads = await readThreadIndex(sql, pending);
      const writer = new EmailBatchWriter<LogEmailOutcome>(
        sql,
        batch.map((p) => (isPending(p) ? p.ask : undefined)),
      );
      const written = new Set<string>();
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        if (!isPending(p)) writer.done(i, p);
        else if (known.messages.has(p.externalId) || written.has(p.externalId))
          writer.done(i, { status: 'duplicate', externalId: p.externalId });
        else if (p.tombstoneHashes.some((h) => known.tombstones.has(h)))
          writer.done(i, { status: 'skipped', reason: 'tombstoned' });
        else {
          try {
            await writeEmail(writer, i, p, cache, staged, threads);
            written.add(p.externalId);
            if (exact) await writer.flush();
          } catch (err) {
            // A unique violation is a concurrent writer (e.g. another mailbox creating the same new domain's company).
            throw err instanceof EmailWriteError ? err : new EmailWriteError(i, err, isUniqueViolationError(err));
          }
        }
      }
      await writer.flush();
      await inTransaction?.(sql, batch.length);
      return { outcomes: writer.outcomes, staged };
    },
    { idleTimeoutMs },
  );
  // Only after COMMIT do the new contacts and companies become cache entries.
  mergeInto(cache, staged);
  return outcomes;
}

function mergeInto(cache: EmailCustomerCache, staged: EmailCustomerCache): void {
  for (const [k, v] of staged.contacts) cache.contacts.set(k, v);
  for (const [k, v] of staged.companies) cache.companies.set(k, v);
}

/** Existing Message-IDs, tombstones, and contacts/companies of the batch's senders not yet cached. */
async function readKnown(sql: SqlRunner, pending: PendingEmail[], cache: EmailCustomerCache) {
  const primaries = [...new Set(pending.map((p) => p.customers[0].email))];
  const emails = primaries.filter((e) => !cache.contacts.has(e));
  // A known contact without a company may be confirmed by this batch: its domain's company is read too.
  const domains = [
    ...new Set(
      primaries
        .filter((e) => !cache.contacts.get(e)?.companyId)
        .map(emailDomain)
        .filter((d) => isCompanyDomain(d) && !cache.companies.has(d)),
    ),
  ];
  const known = await readKnownEmailKeys(sql, {
    externalIds: pending.map((p) => p.externalId),
    tombstoneHashes: pending.flatMap((p) => p.tombstoneHashes),
    emails,
    domains,
  });
  for (const c of known.contacts) cache.contacts.set(c.email, { contactId: c.id, companyId: c.companyId });
  for (const c of known.companies) cache.companies.set(c.domain, c.id);
  return { messages: known.messageIds, tombstones: known.tombstoneHashes };
}

/**
 * The batch's header threading in memory: which record holds each thread key the batch's emails
 * hold or name. Read in one query at the start of the batch's transaction and kept up to date by the
 * batch's own writes and merges, so an email without a subject fallback costs no threading query.
 */
type ThreadIndex = Map<string, string>;

async function readThreadIndex(sql: SqlRunner, pending: PendingEmail[]): Promise<ThreadIndex> {
  const keys = new Set(pending.flatMap((p) => p.threadKeys));
  return new Map((await findEmailThreadKeys(sql, [...keys])).map((r) => [r.key, r.recordId]));
}

/** The batch's own write, told to the index: the records merged into `recordId`, and the email's keys. */
function noteWrite(index: ThreadIndex, p: PendingEmail, recordId: string, adopted: readonly string[]): void {
  if (adopted.length > 0) {
    const gone = new Set(adopted);
    for (const [k, v] of index) if (gone.has(v)) index.set(k, recordId);
  }
  for (const k of p.threadKeys) index.set(k, recordId);
}

/** Email `index`'s record and message, queued on the batch's writer (a merge and a confirmed contact run at once). */
async function writeEmail(
  writer: EmailBatchWriter<LogEmailOutcome>,
  index: number,
  p: PendingEmail,
  cache: EmailCustomerCache,
  staged: EmailCustomerCache,
  threads: ThreadIndex,
): Promise<void> {
  const { email, keys } = p;
  const primary = await resolveCustomer(writer, index, p, cache, staged);
  const thread = await findThread(writer, index, p, primary.companyId, threads);
  const adopted = thread?.adopt ?? [];
  const into = thread?.recordId;
  for (const from of adopted)
    if (into) await writer.after(() => mergeEmailRecords(writer.sql, { into, from }, new Date()));
  const text = email.bodyNote && !email.text ? email.bodyNote : email.text;
  const threadedBy = thread?.by ?? 'new thread';
  const metadata = {
    subject: email.subject,
    messageId: email.messageId ?? null,
    inReplyTo: email.inReplyTo ?? null,
    ...(email.inReplyToIds ? { inReplyToIds: email.inReplyToIds } : {}),
    references: email.references,
    from: email.from ?? null,
    to: email.to,
    cc: email.cc,
    attachments: email.attachments,
    sizeBytes: email.sizeBytes,
    bodyNote: email.bodyNote ?? null,
    threadedBy,
    origin: { ...email.origin },
    ...(p.filter ? { filter: { rule: p.filter.rule, action: p.filter.action, target: p.filter.target ?? null } } : {}),
    ...(primary.companyId === null && p.direction === 'inbound' ? { customer: 'unconfirmed' } : {}),
    ...(email.notes?.length ? { notes: email.notes } : {}),
  };
  const messageId = randomUUID();
  const recordId = thread?.recordId ?? randomUUID();
  const sourceKey = emailSourceKey(keys.rootId);
  const subject = email.subject.trim().slice(0, 300) || null;
  writer.queue(
    index,
    {
      record: thread
        ? { kind: 'existing', id: recordId, companyId: primary.companyId, note: thread.note ?? null }
        : {
            kind: 'new',
            // A thread a concurrent transaction started writes nothing: the batch rolls back and reads again.
            ifExists: 'skip',
            id: recordId,
            companyId: primary.companyId,
            channelKind: 'email',
            subject,
            subjectKey: threadSubjectKey(p, subject),
            sourceKey,
            threadingNote: `Thread root <${keys.rootId.slice(0, 200)}>; replies join by In-Reply-To/References, or by subject and participant within ${SUBJECT_THREAD_WINDOW_DAYS} days.`,
          },
      message: {
        // A Message-ID written meanwhile writes nothing: the batch rolls back and reads again.
        ifExists: 'skip',
        id: messageId,
        externalId: p.externalId,
        direction: p.direction,
        contactId: p.direction === 'inbound' ? primary.contactId : null,
        authorName: email.from?.name || null,
        authorEmail: email.from?.email ?? null,
        text,
        cleanText: stripQuotedReply(text),
        sentAt: email.sentAt,
        metadata,
      },
    },
    { status: 'logged', recordId, messageId, newRecord: !thread, threadedBy },
    // The keys the record does not hold yet (after the merges above, it holds those of the records it adopted).
    p.threadKeys.filter((k) => {
      const holder = threads.get(k);
      return holder === undefined || (holder !== recordId && !adopted.includes(holder));
    }),
  );
  noteWrite(threads, p, recordId, adopted);
}

/**
 * The subject key of the thread an email starts: its stored subject (`subject`, cut to 300 characters) as the
 * fallback compares it; none for list or bulk mail, so nothing joins such a thread by subject either.
 */
function threadSubjectKey(p: PendingEmail, subject: string | null): string | null {
  if (!p.bySubject) return null;
  return (subject ?? '') === p.email.subject ? p.subjectKey : normalizeEmailSubject(subject ?? '');
}

/** The subject fallback's question for an email, or undefined when it is threaded by headers only. */
function subjectAsk(p: Omit<PendingEmail, 'ask'>): SubjectAsk | undefined {
  const { email, keys, subjectKey: subject } = p;
  if (!(keys.parents.length === 0 && isThreadableSubject(subject) && p.bySubject)) return undefined;
  // The customer side only: our own address is on every thread and would join strangers by subject.
  const people = p.direction === 'inbound' && email.from ? [email.from.email] : p.customers.map((c) => c.email);
  // Both ways in time: which of two mails comes first in the mailbox must not decide whether they join.
  const window = SUBJECT_THREAD_WINDOW_DAYS * DAY_MS;
  return {
    people,
    subjectKey: subject,
    from: new Date(email.sentAt.getTime() - window),
    to: new Date(email.sentAt.getTime() + window),
    at: email.sentAt,
  };
}

/**
 * The record this email belongs to: the one holding any id the email holds or names (its parents, its
 * thread root, its own id: a message that answers, or is answered by, or answers what another answers,
 * is in its thread), else by subject with the same customer and participant within the window. When
 * several records hold its ids, they are one thread logged apart (replies before the message they
 * answer, two replies to a message we never saw, a chain whose middle is missing): the first, by
 * the nearest parent, adopts the others (`adopt`). So the threads come out the same in any arrival
 * order and batches.
 */
async function findThread(
  writer: EmailBatchWriter<LogEmailOutcome>,
  index: number,
  p: PendingEmail,
  companyId: string | null,
  threads: ThreadIndex,
): Promise<{ recordId: string; by: string; note?: string; adopt?: string[] } | undefined> {
  const held = new Map<string, string>(); // record -> the first of the email's keys it holds
  for (const k of p.threadKeys) {
    const rec = threads.get(k);
    if (rec !== undefined && !held.has(rec)) held.set(rec, k);
  }
  // A message without headers asks the subject fallback even when replies to it came first: joined
  // either way, whether those replies or the thread it joins by subject were logged first.
  const bySubject = (await subjectThreads(writer, index, p, companyId)).filter((t) => !held.has(t.recordId));
  if (held.size > 0) {
    const [[recordId, key], ...others] = [...held];
    const adopt = [...others.map(([rec]) => rec), ...bySubject.map((t) => t.recordId)];
    return {
      recordId,
      by: headerReason(p, key),
      ...(adopt.length > 0 ? { adopt } : {}),
      ...(bySubject.length > 0 ? { note: bySubject[0].note } : {}),
    };
  }
  if (bySubject.length === 0) return undefined; // answers something we never saw: its own thread, named after that root
  const [first, ...more] = bySubject;
  return {
    recordId: first.recordId,
    by: 'subject',
    note: first.note,
    ...(more.length > 0 ? { adopt: more.map((t) => t.recordId) } : {}),
  };
}

/**
 * The subject fallback: the threads of the same customer and participant with this subject within
 * the window, nearest in time first, when this email or the thread's first one says it is a reply or
 * forward (isReplySubject). All of them: when this email joins two such threads, they are
 * merged, as they would be had it arrived before them.
 */
async function subjectThreads(
  writer: EmailBatchWriter<LogEmailOutcome>,
  index: number,
  p: PendingEmail,
  companyId: string | null,
): Promise<Array<{ recordId: string; note: string }>> {
  const { email, ask } = p;
  if (!ask) return [];
  const subject = ask.subjectKey;
  const reply = isReplySubject(email.subject);
  const rows = await writer.subjectCandidates(index);
  const at = email.sentAt.getTime();
  const distance = (r: EmailThreadCandidate) => Math.abs((r.sentAt ? new Date(r.sentAt).getTime() : 0) - at);
  // Same customer: the same company, or for company-less senders the same person. The subject: the
  // read asks for threads with its key (subjectKey, kept on the record), and so do the batch's writes.
  const matches = rows
    .filter(
      (c) =>
        c.kind === 2 &&
        c.subjectKey === subject &&
        (reply || isReplySubject(c.subject)) &&
        (companyId !== null ? c.companyId === companyId : c.companyId === null && c.author === ask.people[0]),
    )
    .sort((a, b) => distance(a) - distance(b));
  const out = new Map<string, string>();
  for (const match of matches)
    if (!out.has(match.recordId))
      out.set(
        match.recordId,
        `<${(email.messageId ?? 'no Message-ID').slice(0, 200)}> joined by subject "${subject.slice(0, 80)}", same customer and participant ${match.author} within ${SUBJECT_THREAD_WINDOW_DAYS} days (no In-Reply-To/References).`,
      );
  return [...out].map(([recordId, note]) => ({ recordId, note }));
}

/** How the email's key `key` joined it to its thread, for `threadedBy`. */
function headerReason(p: PendingEmail, key: string): string {
  const { email, keys } = p;
  if ([email.inReplyTo, ...(email.inReplyToIds ?? [])].some((id) => id && key === emailIdKey(id))) return 'In-Reply-To';
  return keys.parents.some((id) => emailIdKey(id) === key) ? 'References' : 'replies logged before it';
}

/**
 * Finds the contact by address, else creates one. Its company: the one owning the domain; else, when
 * the mail is ours (outbound: we sent or answered) or IMAP_CREATE_COMPANIES=all, a new company named
 * after the domain; else none ("unconfirmed" until `make customer` or our first answer). Free-mail,
 * ISP and IP-literal domains never make a company. A known contact without a company is confirmed
 * (company attached to it and to its records) when its domain's company exists or we answer it.
 */
async function resolveCustomer(
  writer: EmailBatchWriter<LogEmailOutcome>,
  index: number,
  p: PendingEmail,
  cache: EmailCustomerCache,
  staged: EmailCustomerCache,
): Promise<Customer> {
  const person = p.customers[0];
  const found = staged.contacts.get(person.email) ?? cache.contacts.get(person.email);
  if (found?.companyId) return found;
  const domain = emailDomain(person.email);
  const companyDomain = isCompanyDomain(domain);
  const mayCreate = p.createCompanies === 'all' || p.direction === 'outbound';
  let companyId: string | null = null;
  let newCompany: string | null = null;
  if (companyDomain) {
    companyId = staged.companies.get(domain) ?? cache.companies.get(domain) ?? null;
    if (!companyId && mayCreate) {
      newCompany = companyNameFromDomain(domain);
      companyId = randomUUID();
    }
  }
  const company =
    newCompany === null ? null : { name: newCompany, normalizedName: normalizeCompanyName(newCompany), domain };
  if (found) {
    if (!companyId) return found;
    // It changes the records its messages are in, the queued ones too: they are written first.
    const id = companyId;
    await writer.after(() =>
      confirmEmailContact(writer.sql, { contactId: found.contactId, companyId: id }, company, new Date()),
    );
    if (newCompany) staged.companies.set(domain, companyId);
    const customer = { contactId: found.contactId, companyId };
    staged.contacts.set(person.email, customer);
    return customer;
  }
  const name = (person.name.trim() || person.email.slice(0, person.email.indexOf('@'))).slice(0, MAX_NAME_CHARS);
  const contactId = randomUUID();
  writer.addContact(index, {
    contact: { id: contactId, name, normalizedName: normalizePersonName(name), email: person.email, companyId },
    newCompany: company,
  });
  if (newCompany && companyId) staged.companies.set(domain, companyId);
  const customer = { contactId, companyId };
  staged.contacts.set(person.email, customer);
  return customer;
}

/** Longest contact name stored: display names are indexed (btree), and a 3 kB name once failed the insert. */
const MAX_NAME_CHARS = 200;
