import { createHash } from 'node:crypto';
import type { InboundEmail } from './email-message.ts';

/** How long after a thread's last message a reply may still join it by subject. */
export const SUBJECT_THREAD_WINDOW_DAYS = 14;

/** "<abc@x>" or "abc@x" -> "abc@x"; undefined for empty values. Message-IDs are case-sensitive, so case is kept. */
export function normalizeMessageId(raw: string | undefined): string | undefined {
  const v = (raw ?? '').trim().replace(/^<+/, '').replace(/>+$/, '').trim();
  return v === '' || /\s/.test(v) ? undefined : v;
}

/** Splits a References / In-Reply-To value into ids in header order ("<a@x> <b@x>" -> ["a@x", "b@x"]). */
export function parseMessageIdList(raw: string | string[] | undefined): string[] {
  const text = Array.isArray(raw) ? raw.join(' ') : (raw ?? '');
  const bracketed = [...text.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]);
  const ids =
    bracketed.length > 0
      ? bracketed
      : text
          .split(/[\s,]+/)
          .map((t) => normalizeMessageId(t))
          .filter((t): t is string => Boolean(t));
  return [...new Set(ids)];
}

/**
 * Message.externalId of an email: `email:<Message-ID>`, or, when the header is missing, a hash of
 * the headers that identify a message (From, To, Date, Subject) so that importing it twice still
 * yields one row.
 */
export function emailExternalId(email: Pick<InboundEmail, 'messageId' | 'from' | 'to' | 'sentAt' | 'subject'>): string {
  if (email.messageId) return `email:<${email.messageId}>`;
  const basis = [
    email.from?.email ?? '',
    email.to.map((t) => t.email).join(','),
    email.sentAt.toISOString(),
    email.subject,
  ].join('\n');
  return `email:hash:${createHash('sha256').update(basis).digest('hex').slice(0, 32)}`;
}

/** sourceKey of the record for a thread root id. */
export function emailSourceKey(rootId: string): string {
  return `email:<${rootId}>`;
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
  email: Pick<InboundEmail, 'messageId' | 'inReplyTo' | 'references' | 'from' | 'to' | 'sentAt' | 'subject'>,
): ThreadingKeys {
  const own = email.messageId;
  const refs = email.references.filter((r) => r !== own);
  const parents = [
    ...new Set([...(email.inReplyTo && email.inReplyTo !== own ? [email.inReplyTo] : []), ...[...refs].reverse()]),
  ];
  const rootId =
    refs[0] ??
    (email.inReplyTo && email.inReplyTo !== own ? email.inReplyTo : undefined) ??
    own ??
    emailExternalId(email).slice('email:'.length);
  return { parents, rootId };
}
