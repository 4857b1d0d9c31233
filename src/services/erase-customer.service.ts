import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { findAuditDetails } from '../db/audit-log.repository.ts';
import { countChannelLinksOfCompany } from '../db/channel-link.repository.ts';
import {
  countClassificationsOfRecords,
  findClassificationsMentioning,
  updateClassificationEntities,
} from '../db/classification.repository.ts';
import {
  deleteEmailThreadKeys,
  findEmailThreadKeysMentioning,
  findRecordsMentioning,
  lockRecords,
  updateRedactedRecord,
} from '../db/communication-record.repository.ts';
import { deleteCompany, findCompanyForErasure } from '../db/company.repository.ts';
import type { Database } from '../db/database.ts';
import { type DbClient, inTransaction } from '../db/db-client.ts';
import { transactionConflictCode } from '../db/sql-errors.ts';
import {
  countFollowUpsOfCompanyOrRecords,
  findFollowUpsMentioning,
  updateRedactedFollowUp,
} from '../db/follow-up.repository.ts';
import {
  deleteLabeledExamplesOfRecords,
  findLabeledExamplesMentioning,
  updateLabeledExampleText,
} from '../db/labeled-example.repository.ts';
import { forgetInsightSnapshots } from '../db/insights.repository.ts';
import {
  findMessagesForErasure,
  findMessagesMentioning,
  type MessageMentioningRow,
  updateRedactedMessage,
} from '../db/message.repository.ts';
import {
  MODEL_WITHDRAW_ACTION,
  oldestTrainingTextOf,
  withdrawModelsTrainedSince,
} from '../db/model-withdrawal.repository.ts';
import { insertTombstones } from '../db/tombstone.repository.ts';
import { findAnswersAbout, type PostedCard } from '../db/posted-card.repository.ts';
import {
  mentions,
  REDACTED,
  redactionTerms,
  redactJson,
  redactText,
  type RedactionTerms,
  withoutAuthor,
} from '../domain/redact-personal-data.ts';
import { normalizeEmailSubject } from '../domain/email-subject.ts';
import { RapportError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import { eraseQuarantinedMail } from './erase-quarantined-mail.service.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { postedCardsOfCompany, unlinkAddressedChannels } from './posted-cards.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { tombstoneHash, type TombstoneKey } from './tombstones.service.ts';
import { rebuildTrainingTexts } from './training-text.service.ts';

/** How long the button of a `forget` confirmation works. */
export const FORGET_CONFIRMATION_TTL_MS = 24 * 3_600_000;

const ERASE_REQUESTED = 'customer.erase_requested';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Starts an erasure: a random, single-customer, single-rep token that `forget <customer> --confirm
 * <token>` must carry within FORGET_CONFIRMATION_TTL_MS. Only its sha256 is stored (in the audit log,
 * with the company id and the rep), so neither a name, an id nor a database read lets anyone forge it.
 */
export async function requestCustomerErasure(
  client: PrismaExecutor,
  companyId: string,
  actor: AuditActor,
  now: Date,
): Promise<string> {
  const token = randomBytes(8).toString('hex');
  await writeAudit(client, {
    action: ERASE_REQUESTED,
    actor,
    subject: companyId,
    details: {
      tokenSha256: sha256(token),
      expiresAt: new Date(now.getTime() + FORGET_CONFIRMATION_TTL_MS).toISOString(),
    },
  });
  return token;
}

/** True when `token` was issued to this rep for this company by requestCustomerErasure and has not expired. */
export async function isValidErasureToken(
  client: PrismaExecutor,
  companyId: string,
  repId: string,
  now: Date,
  token: string,
): Promise<boolean> {
  const given = Buffer.from(sha256(token.trim().toLowerCase()));
  // Expiry is judged by the issuing request's clock (expiresAt), not the row's createdAt.
  const requests = await findAuditDetails(client, { action: ERASE_REQUESTED, subject: companyId, actor: repId }, 20);
  return requests.some(({ details }) => {
    const d = details as { tokenSha256?: string; expiresAt?: string };
    if (!d.tokenSha256 || !d.expiresAt || Date.parse(d.expiresAt) <= now.getTime()) return false;
    const expected = Buffer.from(d.tokenSha256);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export interface EraseResult {
  auditId: string;
  counts: Record<string, number>;
}

/**
 * How many times an erasure runs when PostgreSQL aborts it to break a deadlock (40P01) or a
 * serialization failure (40001): each attempt is one transaction, rolled back whole when aborted.
 */
const ERASE_ATTEMPTS = 3;

/** What an erasure that could not finish says: nothing of it was kept. */
const interrupted = (why: string) =>
  new RapportError(
    'temporary',
    `The erasure could not finish: ${why}. Nothing was erased; run it again in a minute, and tell your Rapport admin if it keeps happening.`,
  );

/**
 * GDPR erasure of one customer: deletes the company with its contacts, records, messages,
 * classifications, follow-ups, channel links, training examples and the quarantined mail that names
 * them, and keeps only sha256 hashes of its keys (emails, domains, name, platform ids, source keys) as
 * tombstones so no importer brings it back.
 * The audit entry holds counts and hashes, no personal data. One transaction: all or nothing;
 * `beforeCommit` writes in it too (the retractions of the customer's cards). Every record it changes
 * (its own, and other customers' records whose rows name them) is held as a platform delete, an edit or
 * a correction holds one (lockRecords) before it reads what it rewrites there, so those run before or
 * after it, never in between. PostgreSQL aborting it to break a deadlock with another change (or a
 * serialization failure) leaves nothing behind: it runs again, up to ERASE_ATTEMPTS times, with a
 * warning on `logger` each time.
 * @throws RapportError not_found when the company does not exist; temporary when every attempt was aborted.
 */
export async function eraseCustomer(
  db: Database,
  companyId: string,
  actor: AuditActor,
  opts: { beforeCommit?: (tx: DbClient) => Promise<void>; logger?: Logger } = {},
): Promise<EraseResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(db, (tx) => eraseInTransaction(tx, companyId, actor, opts.beforeCommit), {
        timeout: 60_000,
      });
    } catch (err) {
      const code = transactionConflictCode(err);
      if (!code) throw err;
      const what = code === '40P01' ? 'a deadlock' : 'a serialization failure';
      if (attempt >= ERASE_ATTEMPTS)
        throw interrupted(`other changes to the same conversations kept getting in its way (${what})`);
      opts.logger?.warn(
        { companyId, attempt, of: ERASE_ATTEMPTS, code },
        `erasure aborted by PostgreSQL to break ${what} with another change of the same rows; nothing of it was kept, running it again`,
      );
    }
  }
}

/** The erasure itself, in its transaction (eraseCustomer). */
async function eraseInTransaction(
  tx: DbClient,
  companyId: string,
  actor: AuditActor,
  beforeCommit: ((tx: DbClient) => Promise<void>) | undefined,
): Promise<EraseResult> {
  // Its records and those of the messages that name them, held in one statement (lockRecords' order),
  // then read again under the hold: a platform delete or edit, or a correction, of one of them
  // committed meanwhile is what this reads, and one after waits for this to commit.
  const holds = recordHolds(tx);
  const found = await holds.find(
    () => whatToErase(tx, companyId),
    (f) => [...f.recordIds, ...f.mentioning.map((m) => m.recordId)],
  );
  const { company, recordIds, messages, contactIds, addresses, terms, hashes } = found;
  // The learned classifier models that may hold their words (see withdrawModelsTrainedSince): those
  // trained since the first training text taken from their records or naming them was stored (read
  // before the redaction below; the training text of other customers' records holding their
  // messages is added once redactElsewhere has found them).
  let trainedSince = await oldestTrainingTextOf(tx, { recordIds, patterns: redactionPatterns(terms) });
  const counts: Record<string, number> = {
    contacts: company.contacts.length,
    records: recordIds.length,
    messages: messages.filter((m) => recordIds.includes(m.recordId)).length,
    classifications: await countClassificationsOfRecords(tx, recordIds),
    followUps: await countFollowUpsOfCompanyOrRecords(tx, companyId, recordIds),
    channelLinks: await countChannelLinksOfCompany(tx, companyId),
    labeledExamples: await deleteLabeledExamplesOfRecords(tx, recordIds),
    tombstones: hashes.length,
  };
  // Every other row that names them (their replies in other customers' threads, quotes, Cc lists,
  // subjects, follow-up titles, training text) is redacted before the company's own rows go.
  const redacted = await redactElsewhere(
    tx,
    {
      recordIds,
      contactIds,
      addresses,
      authorKeys: found.authorKeys,
      terms,
    },
    { messages: found.mentioning, holds },
  );
  Object.assign(counts, redacted.counts);
  // A correction of another customer's record holds the clean texts of its messages, their own replies
  // there among them (Cc'd in its email thread, writing in its channel): words no ILIKE pattern finds
  // when they name nobody ("we'll cancel, budget is cut"). redactElsewhere rebuilt that training text
  // from the redacted messages; the models that may have learned it go too.
  trainedSince = earliest(
    trainedSince,
    await oldestTrainingTextOf(tx, { recordIds: redacted.trainingRecordIds, patterns: [] }),
  );
  for (const k of redacted.tombstoneKeys) {
    const hash = tombstoneHash(k);
    if (!hashes.some(([h]) => h === hash)) hashes.push([hash, k.kind]);
  }
  counts.tombstones = hashes.length;
  // Mail the IMAP sync could not store keeps its raw source (their address, name, words) for `mail retry`.
  counts.quarantinedMails = await eraseQuarantinedMail(tx, { addresses, domains: company.domains });
  await deleteCompany(tx, companyId); // cascades to contacts, records, messages, classifications, follow-ups, links

  const auditId = await writeAudit(tx, {
    action: 'customer.erase',
    actor,
    subject: companyId,
    details: { counts, nameHash: tombstoneHash({ kind: 'company-name', value: company.name }) },
  });
  // Stored insights name customers, health reasons and example messages: the next read computes
  // them without this one, and no process serves topics it computed before (forgetInsightSnapshots).
  await forgetInsightSnapshots(tx);
  // After the mark (its row lock orders this with a retrain saving a model): the models that may
  // hold their words go, the built-in model classifies until the next retrain, which the withdrawal
  // entry makes the nightly run do even with no new correction.
  if (trainedSince) {
    const withdrawn = await withdrawModelsTrainedSince(tx, trainedSince);
    counts.withdrawnModels = withdrawn.versions.length;
    if (withdrawn.versions.length > 0)
      await writeAudit(tx, {
        action: MODEL_WITHDRAW_ACTION,
        actor,
        subject: auditId,
        details: { versions: withdrawn.versions, activated: withdrawn.activated, reason: 'customer.erase' },
      });
  }
  await insertTombstones(
    tx,
    hashes.map(([keyHash, kind]) => ({ keyHash, kind, auditId })),
  );
  await beforeCommit?.(tx);
  return { auditId, counts };
}

/**
 * What an erasure of this company reads before it changes anything: the company, its records and
 * messages, the keys its tombstones hash, the words and addresses that name its people, and the
 * messages in other records that are theirs or name them.
 * @throws RapportError not_found when the company does not exist.
 */
async function whatToErase(tx: DbClient, companyId: string) {
  const company = await findCompanyForErasure(tx, companyId);
  if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
  const recordIds = company.records.map((r) => r.id);
  const contactIds = company.contacts.map((c) => c.id);
  const messages = await findMessagesForErasure(tx, { recordIds, contactIds });
  // The exact name (not the suffix-free one): erasing "Doomed Co" must not block "Doomed Company".
  const keys: TombstoneKey[] = [{ kind: 'company-name', value: company.name }];
  for (const d of company.domains) keys.push({ kind: 'domain', value: d });
  for (const c of company.contacts) {
    for (const e of c.emails) keys.push({ kind: 'email', value: e });
    for (const p of c.platformUserIds) keys.push({ kind: 'platform-user', value: p });
  }
  for (const r of company.records) keys.push({ kind: 'source', value: r.sourceKey });
  for (const m of messages) {
    if (!recordIds.includes(m.recordId)) continue;
    keys.push({ kind: 'message', value: m.externalId });
    if (m.authorEmail && m.direction === 'inbound') keys.push({ kind: 'email', value: m.authorEmail });
  }
  const hashes = [...new Map(keys.map((k) => [tombstoneHash(k), k.kind])).entries()];

  const inbound = messages.filter((m) => recordIds.includes(m.recordId) && m.direction === 'inbound');
  const addresses = [
    ...new Set([
      ...company.contacts.flatMap((c) => c.emails),
      ...inbound.flatMap((m) => (m.authorEmail ? [m.authorEmail] : [])),
    ]),
  ].map((a) => a.toLowerCase());
  const terms = redactionTerms({
    addresses,
    domains: company.domains,
    names: [company.name],
    personNames: [
      ...new Set([
        ...company.contacts.map((c) => c.name),
        ...inbound.flatMap((m) => (m.authorName ? [m.authorName] : [])),
      ]),
    ],
  });
  // Their chat messages the platform could not name when they were logged (held, in another
  // customer's channel) carry only their platform id (`metadata.author`).
  const authorKeys = [...new Set(company.contacts.flatMap((c) => c.platformUserIds))];
  const patterns = redactionPatterns(terms);
  const mentioning =
    patterns.length === 0 && contactIds.length === 0
      ? []
      : await findMessagesMentioning(tx, { recordIds, contactIds, addresses, authorKeys, patterns });
  return { company, recordIds, contactIds, messages, hashes, addresses, terms, authorKeys, mentioning };
}

/**
 * The records an erasure holds (lockRecords), so that it changes no row of a record a platform delete,
 * an edit or a correction may be changing too: those hold the record first, then read and change its
 * rows; holding it before reading what it rewrites there, this runs before or after them.
 */
function recordHolds(tx: DbClient) {
  const held = new Set<string>();
  return {
    /**
     * Reads with `read` until every record of what it found (`recordsOf`) is held: the records not
     * held yet are held, in one statement, and it reads again (what it read before may have changed
     * until then). The last read is what this erasure changes.
     */
    async find<T>(read: () => Promise<T>, recordsOf: (found: T) => Array<string | null>): Promise<T> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const found = await read();
        const unheld = [...new Set(recordsOf(found))].filter((id): id is string => id !== null && !held.has(id));
        if (unheld.length === 0) return found;
        await lockRecords(tx, unheld);
        for (const id of unheld) held.add(id);
      }
      throw interrupted('the conversations naming them kept changing while it read them');
    },
  };
}
type RecordHolds = ReturnType<typeof recordHolds>;

/** A chat message's or thread's key ("slack:T1/C1/<ts>", see platformMessageKey). */
const CHAT_KEY = /^(slack|teams|console):/;

const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, '\\$&')}%`;
/** ILIKE patterns of the rows that name them (full names, family names, addresses, domains). */
const redactionPatterns = (terms: RedactionTerms) => [...terms.phrases, ...terms.surnames].map(likeEscape);

/** The earlier of two times, either of them possibly unknown (null). */
const earliest = (a: Date | null, b: Date | null) => (a && b ? (a <= b ? a : b) : (a ?? b));

/**
 * Redacts the erased customer from rows that outlive it: messages in other records (their own
 * messages lose text, author and address entirely; others' messages lose every mention, quotes and
 * metadata included), other records' subjects and threading notes, follow-up titles and reasons,
 * classification entities and training examples: those taken from a record whose messages' clean
 * text changed are rebuilt from the redacted messages (`trainingRecordIds`: the records), the
 * others lose every mention.
 */
async function redactElsewhere(
  tx: DbClient,
  who: { recordIds: string[]; contactIds: string[]; addresses: string[]; authorKeys: string[]; terms: RedactionTerms },
  found: { messages: MessageMentioningRow[]; holds: RecordHolds },
): Promise<{ counts: Record<string, number>; tombstoneKeys: TombstoneKey[]; trainingRecordIds: string[] }> {
  const { recordIds, contactIds, addresses, authorKeys, terms } = who;
  const { messages, holds } = found;
  const patterns = redactionPatterns(terms);
  const tombstoneKeys: TombstoneKey[] = [];
  if (patterns.length === 0 && contactIds.length === 0)
    return { counts: { redactedMessages: 0 }, tombstoneKeys, trainingRecordIds: [] };
  const ownKeys: string[] = [];
  // The records whose messages' clean text (what a correction's training text joins) loses their words.
  const trainingRecords = new Set<string>();
  for (const m of messages) {
    const own =
      (m.contactId !== null && contactIds.includes(m.contactId)) ||
      addresses.includes((m.authorEmail ?? '').toLowerCase()) ||
      authorKeys.includes(messageAuthorKey(m.metadata) ?? '');
    if (own) ownKeys.push(m.externalId);
    // Their own message keeps a tombstone so it is never imported again; a Message-ID that names them
    // (their domain) becomes a hash.
    if (own) tombstoneKeys.push({ kind: 'message', value: m.externalId });
    const externalId =
      own || mentions(m.externalId, terms) ? `erased:${sha256(m.externalId).slice(0, 40)}` : m.externalId;
    const cleanText = own ? REDACTED : redactText(m.cleanText, terms);
    if (cleanText !== m.cleanText) trainingRecords.add(m.recordId);
    await updateRedactedMessage(tx, m.id, {
      externalId,
      text: own ? REDACTED : redactText(m.text, terms),
      cleanText,
      authorName: own || m.authorName === null ? null : redactText(m.authorName, terms),
      authorEmail: own ? null : m.authorEmail,
      contactId: own ? null : m.contactId,
      metadata: own
        ? { ...withoutAuthor(redactJson(m.metadata, terms)), erased: 'author' }
        : { ...(redactJson(m.metadata, terms) as object), erased: 'mentions' },
      // Their label and sentiment came from the words just struck: no longer anyone's voice in insights.
      authorErased: own,
    });
  }
  // Each find below holds the records of what it found before anything of them changes (most are held already).
  const threadKeys = (
    await holds.find(
      () => findEmailThreadKeysMentioning(tx, { recordIds, patterns, keys: ownKeys }),
      (rows) => rows.map((k) => k.recordId),
    )
  ).map((k) => k.key);
  await deleteEmailThreadKeys(tx, threadKeys);
  // A record named after a key that no longer threads (their own mail another customer's thread started
  // from) is renamed too: a later reply naming only that id starts a thread of its own under that name.
  const unthreaded = new Set(threadKeys);
  // A chat thread they started in another customer's channel is keyed by their message and took its
  // first line as the subject: their words, struck with it.
  const startedByThem = new Set(ownKeys.filter((k) => CHAT_KEY.test(k)));
  const records = await holds.find(
    () => findRecordsMentioning(tx, { recordIds, patterns, sourceKeys: [...threadKeys, ...startedByThem] }),
    (rows) => rows.map((r) => r.id),
  );
  for (const r of records) {
    const subject = startedByThem.has(r.sourceKey)
      ? REDACTED
      : r.subject === null
        ? null
        : redactText(r.subject, terms);
    const rename = unthreaded.has(r.sourceKey) || mentions(r.sourceKey, terms);
    await updateRedactedRecord(tx, r.id, {
      sourceKey: rename ? `erased:${sha256(r.sourceKey).slice(0, 40)}` : r.sourceKey,
      subject,
      // The subject fallback's key follows the redacted subject (it held the name too).
      subjectKey: r.subjectKey === null ? null : normalizeEmailSubject(subject ?? ''),
      threadingNote: r.threadingNote === null ? null : redactText(r.threadingNote, terms),
    });
  }
  const followUps = await holds.find(
    () => findFollowUpsMentioning(tx, { recordIds, patterns }),
    (rows) => rows.map((f) => f.recordId),
  );
  for (const f of followUps)
    await updateRedactedFollowUp(tx, f.id, {
      title: redactText(f.title, terms),
      reason: f.reason === null ? null : redactText(f.reason, terms),
    });
  const classifications = await holds.find(
    () => findClassificationsMentioning(tx, { recordIds, patterns }),
    (rows) => rows.map((c) => c.recordId),
  );
  for (const c of classifications)
    await updateClassificationEntities(tx, c.id, redactJson(c.entities, terms) as object);
  // A correction's training text is its record's clean texts joined (correctLabel), taken when it was
  // made: rebuilt the same way from the redacted messages, it keeps its label and loses their words
  // wherever they stood (a version of their message edited since included). Then every other one
  // naming them loses the mentions.
  const trainingRecordIds = [...trainingRecords];
  const { rebuilt, dropped } = await rebuildTrainingTexts(tx, trainingRecordIds);
  const examples = await holds.find(
    () => findLabeledExamplesMentioning(tx, patterns),
    (rows) => rows.map((e) => e.recordId),
  );
  for (const e of examples) await updateLabeledExampleText(tx, e.id, redactText(e.text, terms));
  return {
    counts: {
      redactedMessages: messages.length,
      redactedRecords: records.length,
      redactedOther:
        followUps.length + classifications.length + rebuilt + dropped + examples.length + threadKeys.length,
    },
    tombstoneKeys,
    trainingRecordIds,
  };
}

/** A chat message's author key (`metadata.author`: "slack:T1/U1"), when it has one. */
function messageAuthorKey(metadata: unknown): string | undefined {
  const author = (metadata as { author?: unknown } | null)?.author;
  return typeof author === 'string' ? author : undefined;
}

/**
 * Erases a customer (eraseCustomer) and takes back the cards posted about it and the command answers
 * posted in channels that name it (a lookup, a log's confirmation, a follow-up list, notify's answer:
 * Reply.about, recorded by rememberDirectPost), for every way of erasing (chat `forget`, `rapport
 * erase`). The cards are read before the erasure, which deletes the follow-ups that know where their
 * cards were posted; the answers are read in its transaction (their rows outlive the customer), so an
 * answer recorded until it commits is among them. Their retractions are written down in the erasure's
 * transaction (`recordCardRetractions`: a process killed right after the commit cannot lose them) and
 * queued after it (`cardsRetracted`). An answer naming several customers is taken back whole when one
 * of them is erased. The channels holding a conversation's address are kept
 * (unlinked) even when no card is recorded yet: one being posted right now is taken back once its post
 * is recorded, and needs that address to be reached. `logger` hears of an attempt PostgreSQL aborted (eraseCustomer).
 */
export async function eraseCustomerAndCards(
  db: Database,
  companyId: string,
  actor: AuditActor,
  hooks: PipelineHooks,
  logger?: Logger,
): Promise<EraseResult> {
  const cards = await postedCardsOfCompany(db, companyId);
  if (hooks.cardsRetracted) await unlinkAddressedChannels(db, companyId);
  const record = hooks.recordCardRetractions?.bind(hooks);
  // Set by the attempt that commits (an aborted one is run again and reads again).
  let answers: PostedCard[] = [];
  const result = await eraseCustomer(db, companyId, actor, {
    beforeCommit: async (tx) => {
      answers = await findAnswersAbout(tx, companyId);
      await record?.(tx, [...cards, ...answers], 'erased');
    },
    logger,
  });
  // Cards and answers quoting the customer in chat channels follow the data: replaced by a line that quotes nothing.
  await hooks.cardsRetracted?.([...cards, ...answers], 'erased');
  return result;
}
