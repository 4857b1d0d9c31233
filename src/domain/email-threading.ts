import { createHash } from 'node:crypto';
import type { InboundEmail } from './email-message.ts';

/** How far apart in time (either way) a message and a thread's message may be and still join by subject. */
export const SUBJECT_THREAD_WINDOW_DAYS = 14;

/** "<abc@x>" or "abc@x" -> "abc@x"; undefined for empty values. Message-IDs are case-sensitive, so case is kept. */
export function normalizeMessageId(raw: string | undefined): string | undefined {
  const v = (raw ?? '').trim().replace(/^<+/, '').replace(/>+$/, '').trim();
  return v === '' || /\s/.test(v) ? undefined : v;
}

/**
 * The Message-IDs in a References / In-Reply-To value, in header order ("<a@x> <b@x>" -> ["a@x", "b@x"]).
 * Only bracketed tokens that look like Message-IDs count (RFC 5322 msg-id: `<left@right>`): a bare
 * word never does ("In-Reply-To: Your message of ..." once made `<Your>` a thread key joining three
 * strangers), nor does an address of someone on the email (`exclude`). In the old free-text form
 * ("Message from Claw <claw@kanga.nu> of "date" <3D5D4A2B.5070303@kanga.nu>") neither does the
 * sender's mailbox: a token right after "from <name>" (or before "'s"), or one that reads like a
 * person's mailbox (words joined by dots, dashes or underscores). A run of over 20 letters is no
 * name: Outlook's ids (`<FMEDICOOPIIAHELGINPCCEFACGAA.zeek@sparklehouse.com>`) are ids.
 */
export function parseMessageIdList(raw: string | string[] | undefined, exclude?: ReadonlySet<string>): string[] {
  const text = Array.isArray(raw) ? raw.join(' ') : (raw ?? '');
  const freeText =
    text
      .replace(/"[^"]*"/g, '')
      .replace(/\([^()]*\)/g, '')
      .replace(/<[^<>]*>/g, '')
      .replace(/[\s,]+/g, '') !== '';
  const ids: string[] = [];
  let after = 0; // where the text since the previous token starts
  for (const m of text.matchAll(/<([^<>\s]+)>/g)) {
    const id = m[1];
    const before = text.slice(after, m.index);
    after = m.index + m[0].length;
    const at = id.lastIndexOf('@');
    if (at <= 0 || at === id.length - 1 || id.indexOf('@') !== at) continue;
    if (exclude?.has(id.toLowerCase())) continue;
    if (freeText && (namesSender(before) || /^'s\b/i.test(text.slice(after)) || readsLikeMailbox(id.slice(0, at))))
      continue;
    ids.push(id);
  }
  return [...new Set(ids)];
}

/** Whether the text before a token ends in "from <name>" (the token is that sender's mailbox), not "from x of <date>". */
function namesSender(before: string): boolean {
  const parts = before.split(/\bfrom\b/i);
  return parts.length > 1 && !/\bof\b/i.test(parts[parts.length - 1]);
}

/** "claw", "jo.doe", "kerry_nice": words joined by dots, dashes or underscores, none over 20 letters. */
function readsLikeMailbox(local: string): boolean {
  return /^[a-z]+([._-][a-z]+)*$/i.test(local) && local.split(/[._-]/).every((w) => w.length <= 20);
}

/**
 * Message.externalId of an email: `email:<Message-ID>`, or, when the header is missing, a hash of
 * the headers that identify a message (From, To, Date, Subject) so that importing it twice still
 * yields one row.
 */
export function emailExternalId(email: Pick<InboundEmail, 'messageId' | 'from' | 'to' | 'sentAt' | 'subject'>): string {
  if (email.messageId) return emailIdKey(email.messageId);
  const basis = [
    (email.from?.email ?? '').slice(0, 1000),
    email.to.map((t) => t.email).join(','),
    email.sentAt.toISOString(),
    email.subject,
  ].join('\n');
  return `email:hash:${createHash('sha256').update(basis).digest('hex').slice(0, 32)}`;
}

/**
 * Longest Message-ID kept verbatim in a key. Keys are btree-indexed (Message.externalId,
 * CommunicationRecord.sourceKey) and PostgreSQL refuses index rows over ~2.7 kB: a 3 kB Message-ID
 * once failed its mail for good. Longer ids are keyed by their sha256; the full id stays in metadata.
 */
export const MAX_KEYED_ID_CHARS = 500;

/** The key of a Message-ID: `email:<id>`, or `email:idhash:<sha256>` for an id over {@link MAX_KEYED_ID_CHARS}. */
export function emailIdKey(id: string): string {
  return id.length <= MAX_KEYED_ID_CHARS
    ? `email:<${id}>`
    : `email:idhash:${createHash('sha256').update(id).digest('hex')}`;
}

/** sourceKey of the record for a thread root id. */
export function emailSourceKey(rootId: string): string {
  return emailIdKey(rootId);
}

export interface ThreadingKeys {
  /** Ids of earlier messages this one answers, nearest first (In-Reply-To, then References newest to oldest). */
  parents: string[];
  /** The id the whole thread is named after: the oldest Reference, else In-Reply-To, else the message itself. */
  rootId: string;
}

/**
 * Header threading keys (RFC 5322 In-Reply-To / References). A message without either starts a new
 * thread named after itself; the service may still join it to a recent thread by subject.
 */
export function threadingKeys(
  email: Pick<
    InboundEmail,
    'messageId' | 'inReplyTo' | 'inReplyToIds' | 'references' | 'from' | 'to' | 'sentAt' | 'subject'
  >,
): ThreadingKeys {
  const own = email.messageId;
  const refs = email.references.filter((r) => r !== own);
  const answered = [...(email.inReplyTo ? [email.inReplyTo] : []), ...(email.inReplyToIds ?? [])];
  const parents = [...new Set([...answered.filter((r) => r !== own), ...[...refs].reverse()])];
  const rootId =
    refs[0] ??
    (email.inReplyTo && email.inReplyTo !== own ? email.inReplyTo : undefined) ??
    own ??
    emailExternalId(email).slice('email:'.length);
  return { parents, rootId };
}
