import type { Database } from '../db/database.ts';
import type { Prisma } from '../db/generated/client.ts';
import type { EmailParticipant, InboundEmail } from '../domain/email-message.ts';
import { companyNameFromDomain, emailSides, isFreeMailDomain } from '../domain/email-participants.ts';
import { stripQuotedReply } from '../domain/email-reply-stripper.ts';
import { headerSkipReason, type EmailSkipReason } from '../domain/email-skip-rules.ts';
import { isThreadableSubject, normalizeEmailSubject } from '../domain/email-subject.ts';
import { emailExternalId, emailSourceKey, SUBJECT_THREAD_WINDOW_DAYS, threadingKeys } from '../domain/email-threading.ts';
import { emailDomain, normalizeCompanyName, normalizePersonName } from '../domain/normalize-company-name.ts';
import type { PipelineHooks } from './pipeline-hooks.ts';
import { isUniqueViolation } from './prisma-executor.ts';
import { findTombstonedKeys, type TombstoneKey } from './tombstones.service.ts';

export interface LogEmailOptions {
  /** Our own domains: RAPPORT_INTERNAL_DOMAINS plus the mailbox's domain. Mail from them is outbound. */
  internalDomains: readonly string[];
  /** Skip mailing-list mail (List-Id). Default true. */
  skipLists?: boolean;
  /** Told about every new message after its transaction committed. */
  hooks: PipelineHooks;
}

export type LogEmailOutcome =
  | { status: 'logged'; recordId: string; messageId: string; newRecord: boolean; threadedBy: string }
  | { status: 'duplicate'; externalId: string }
  | { status: 'skipped'; reason: EmailSkipReason };

type Tx = Prisma.TransactionClient;
const DAY_MS = 86_400_000;
const MAX_NOTE_CHARS = 2000;

/**
 * Logs one email as a Message of the email thread's CommunicationRecord, creating the record, the
 * contact and (for an unknown company domain) the company as needed. Idempotent by Message-ID: the
 * same email twice is one row (`duplicate`). Skip rules (auto-reply, bounce, list, spam, erased
 * customer, internal-only) return `skipped` with the reason and write nothing.
 */
export async function logEmail(db: Database, email: InboundEmail, opts: LogEmailOptions): Promise<LogEmailOutcome> {
  const headerReason = headerSkipReason(email, { skipLists: opts.skipLists });
  if (headerReason) return { status: 'skipped', reason: headerReason };
  const sides = emailSides(email, opts.internalDomains);
  if (!sides) return { status: 'skipped', reason: 'internal-only' };
  const externalId = emailExternalId(email);
  if (await db.prisma.message.findUnique({ where: { externalId }, select: { id: true } })) return { status: 'duplicate', externalId };

  const keys = threadingKeys(email);
  const tombstoneKeys: TombstoneKey[] = [{ kind: 'message', value: externalId }];
  for (const id of [keys.rootId, ...keys.parents]) tombstoneKeys.push({ kind: 'source', value: emailSourceKey(id) });
  for (const c of sides.customers) {
    tombstoneKeys.push({ kind: 'email', value: c.email });
    const domain = emailDomain(c.email);
    if (!isFreeMailDomain(domain)) tombstoneKeys.push({ kind: 'domain', value: domain });
  }
  if ((await findTombstonedKeys(db.prisma, tombstoneKeys)).length > 0) return { status: 'skipped', reason: 'tombstoned' };

  // A concurrent writer may create the thread's record between our read and our insert: retry once more.
  for (let attempt = 0; ; attempt++) {
    try {
      const logged = await db.prisma.$transaction((tx) => writeEmail(tx, email, externalId, sides.direction, sides.customers));
      await opts.hooks.recordLogged(logged.recordId, logged.messageId);
      return { status: 'logged', ...logged };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (await db.prisma.message.findUnique({ where: { externalId }, select: { id: true } })) return { status: 'duplicate', externalId };
      if (attempt >= 2) throw err;
    }
  }
}

async function writeEmail(tx: Tx, email: InboundEmail, externalId: string, direction: 'inbound' | 'outbound', customers: EmailParticipant[]) {
  const primary = await resolveCustomer(tx, customers[0]);
  const thread = await findThread(tx, email, customers);
  const keys = threadingKeys(email);
  let recordId: string;
  let newRecord = false;
  if (thread) {
    const record = await tx.communicationRecord.findUniqueOrThrow({ where: { id: thread.recordId } });
    const note = thread.note ? appendNote(record.threadingNote, thread.note) : record.threadingNote;
    await tx.communicationRecord.update({
      where: { id: record.id },
      data: {
        threadingNote: note,
        companyId: record.companyId ?? primary.companyId,
        startedAt: email.sentAt < record.startedAt ? email.sentAt : undefined,
        lastMessageAt: email.sentAt > record.lastMessageAt ? email.sentAt : undefined,
      },
    });
    recordId = record.id;
  } else {
    const record = await tx.communicationRecord.create({
      data: {
        companyId: primary.companyId,
        channelKind: 'email',
        subject: email.subject.trim().slice(0, 300) || null,
        sourceKey: emailSourceKey(keys.rootId),
        threadingNote: `Thread root <${keys.rootId}>; replies join by In-Reply-To/References, or by subject and participant within ${SUBJECT_THREAD_WINDOW_DAYS} days.`,
        startedAt: email.sentAt,
        lastMessageAt: email.sentAt,
      },
    });
    recordId = record.id;
    newRecord = true;
  }
  const text = email.bodyNote && !email.text ? email.bodyNote : email.text;
  const message = await tx.message.create({
    data: {
      recordId,
      externalId,
      direction,
      contactId: direction === 'inbound' ? primary.contactId : null,
      authorName: email.from?.name || null,
      authorEmail: email.from?.email ?? null,
      text,
      cleanText: stripQuotedReply(text),
      sentAt: email.sentAt,
      metadata: {
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
        threadedBy: thread?.by ?? 'new thread',
        origin: { ...email.origin },
      } as unknown as Prisma.InputJsonObject,
    },
  });
  return { recordId, messageId: message.id, newRecord, threadedBy: thread?.by ?? 'new thread' };
}

/** The record this email belongs to: by header ids first, then by subject + participant + time window. */
async function findThread(tx: Tx, email: InboundEmail, customers: EmailParticipant[]): Promise<{ recordId: string; by: string; note?: string } | undefined> {
  const keys = threadingKeys(email);
  if (keys.parents.length > 0) {
    const parents = await tx.message.findMany({ where: { externalId: { in: keys.parents.map((p) => `email:<${p}>`) } }, select: { externalId: true, recordId: true } });
    for (const p of keys.parents) {
      const hit = parents.find((m) => m.externalId === `email:<${p}>`);
      if (hit) return { recordId: hit.recordId, by: p === email.inReplyTo ? 'In-Reply-To' : 'References' };
    }
  }
  const byKey = await tx.communicationRecord.findFirst({
    where: { sourceKey: { in: [keys.rootId, ...keys.parents].map(emailSourceKey) } },
    select: { id: true },
  });
  if (byKey) return { recordId: byKey.id, by: 'References root' };
  if (keys.parents.length > 0) return undefined; // answers something we never saw: its own thread, named after that root
  const subject = normalizeEmailSubject(email.subject);
  if (!isThreadableSubject(subject)) return undefined;
  const people = [...new Set([...customers.map((c) => c.email), ...(email.from ? [email.from.email] : [])])];
  const candidates = await tx.message.findMany({
    where: {
      authorEmail: { in: people },
      sentAt: { gte: new Date(email.sentAt.getTime() - SUBJECT_THREAD_WINDOW_DAYS * DAY_MS), lte: new Date(email.sentAt.getTime() + DAY_MS) },
      record: { channelKind: 'email' },
    },
    orderBy: { sentAt: 'desc' },
    take: 50,
    select: { recordId: true, authorEmail: true, record: { select: { subject: true } } },
  });
  const match = candidates.find((c) => normalizeEmailSubject(c.record.subject ?? '') === subject);
  if (!match) return undefined;
  return {
    recordId: match.recordId,
    by: 'subject',
    note: `<${email.messageId ?? 'no Message-ID'}> joined by subject "${subject.slice(0, 80)}" and participant ${match.authorEmail} within ${SUBJECT_THREAD_WINDOW_DAYS} days (no In-Reply-To/References).`,
  };
}

/**
 * Finds the contact by address, else creates one: at the company that owns the domain, at a new
 * company named after the domain when none does, or without a company for free-mail addresses.
 */
async function resolveCustomer(tx: Tx, person: EmailParticipant): Promise<{ contactId: string; companyId: string | null }> {
  const found = await tx.contact.findFirst({ where: { emails: { has: person.email } }, select: { id: true, companyId: true } });
  if (found) return { contactId: found.id, companyId: found.companyId };
  const domain = emailDomain(person.email);
  let companyId: string | null = null;
  if (!isFreeMailDomain(domain)) {
    const company = await tx.company.findFirst({ where: { domains: { has: domain } }, select: { id: true }, orderBy: { createdAt: 'asc' } });
    if (company) companyId = company.id;
    else {
      const name = companyNameFromDomain(domain);
      companyId = (await tx.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains: [domain] }, select: { id: true } })).id;
    }
  }
  const name = person.name.trim() || person.email.slice(0, person.email.indexOf('@'));
  const contact = await tx.contact.create({
    data: { name, normalizedName: normalizePersonName(name), emails: [person.email], companyId },
    select: { id: true },
  });
  return { contactId: contact.id, companyId };
}

function appendNote(existing: string | null, note: string): string {
  const all = existing ? `${existing}\n${note}` : note;
  return all.length > MAX_NOTE_CHARS ? all.slice(all.length - MAX_NOTE_CHARS) : all;
}
