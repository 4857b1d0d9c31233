import { createHash } from 'node:crypto';
import type { SqlRunner } from '../db/database.ts';
import { findTombstoneHashesSql } from '../db/tombstone.repository.ts';
import type { EmailParticipant, InboundEmail } from '../domain/email-message.ts';
import { emailSides } from '../domain/email-participants.ts';
import { escapeRegExp, REDACTED } from '../domain/redact-personal-data.ts';
import { emailSourceKey } from '../domain/email-threading.ts';
import {
  addressTombstoneKeys,
  normalizeTombstoneValue,
  tombstoneHash,
  type TombstoneKey,
} from './tombstones.service.ts';

/**
 * The emails with what they hold of people erased on request left out: such a person in To or Cc is
 * removed, and their address, full name and (when their whole company was erased) their domain are
 * struck from the subject, the text and attachment names, with a note; a Message-ID, In-Reply-To or
 * References id at an erased domain becomes a hash (`erased-<sha256>@erased.invalid`: the same id gives
 * the same hash, so later mails still thread by it). A mail to one of our customers that copies an erased
 * person is the customer's, and is logged; what it holds of them is not. A mail from an erased person, or
 * ours to none but erased people, is left as it is: the customer check skips it as `tombstoned`.
 * Not caught: their first name alone, or a mention in a mail that neither copies them nor names their
 * domain (nothing but hashes is left to recognise them by). One query for the whole batch; emails naming
 * nobody erased come back as they were.
 */
export async function leaveOutErasedPeople(
  sql: SqlRunner,
  emails: InboundEmail[],
  internalDomains: readonly string[],
): Promise<InboundEmail[]> {
  const keysOf = new Map<string, Array<{ key: TombstoneKey; hash: string }>>();
  const ask = (text: string, keys: TombstoneKey[]) => {
    if (keysOf.has(text)) return;
    const usable = keys.filter((k) => normalizeTombstoneValue(k) !== '');
    keysOf.set(
      text,
      usable.map((key) => ({ key, hash: tombstoneHash(key) })),
    );
  };
  for (const e of emails) {
    for (const p of [...e.to, ...e.cc]) ask(p.email, addressTombstoneKeys(p.email));
    for (const id of ids(e)) ask(idHost(id), addressTombstoneKeys(`@${idHost(id)}`));
  }
  if (keysOf.size === 0) return emails;
  const hit = await findTombstoneHashesSql(sql, [...new Set([...keysOf.values()].flat().map((k) => k.hash))]);
  if (hit.size === 0) return emails;
  const erasedKeys = (text: string) => (keysOf.get(text) ?? []).filter((k) => hit.has(k.hash)).map((k) => k.key);
  // A mail that names an erased thread (a tombstoned source key, by its real ids) stays as it is, so that the
  // customer check skips it as `tombstoned` as before: the hashed ids would no longer match.
  const sourceHashes = new Map<InboundEmail, string[]>();
  for (const e of emails) {
    const atErased = ids(e).filter((id) => erasedKeys(idHost(id)).length > 0);
    if (atErased.length > 0)
      sourceHashes.set(
        e,
        atErased.map((id) => tombstoneHash({ kind: 'source', value: emailSourceKey(id) })),
      );
  }
  const sourceHit = sourceHashes.size > 0 ? await findTombstoneHashesSql(sql, [...sourceHashes.values()].flat()) : hit;
  return emails.map((e) =>
    sourceHashes.get(e)?.some((h) => sourceHit.has(h)) ? e : withoutErased(e, erasedKeys, internalDomains),
  );
}

/** The ids a mail holds or names. */
const ids = (e: InboundEmail): string[] => [
  ...(e.messageId ? [e.messageId] : []),
  ...(e.inReplyTo ? [e.inReplyTo] : []),
  ...(e.inReplyToIds ?? []),
  ...e.references,
];
const idHost = (id: string) => id.slice(id.lastIndexOf('@') + 1).toLowerCase();

function withoutErased(
  email: InboundEmail,
  erasedKeys: (text: string) => TombstoneKey[],
  internalDomains: readonly string[],
): InboundEmail {
  const isErased = (p: EmailParticipant) => erasedKeys(p.email).length > 0;
  const gone = dedupe([...email.to, ...email.cc].filter(isErased));
  // Our mail to none but erased people is theirs: kept as it is, for the customer check to skip it.
  const sides = emailSides(email, internalDomains);
  if (gone.length > 0 && sides?.customers.every(isErased)) return email;
  const erasedDomains = new Set<string>();
  for (const p of gone) for (const k of erasedKeys(p.email)) if (k.kind === 'domain') erasedDomains.add(k.value);
  const erasedIds = new Set(ids(email).filter((id) => erasedKeys(idHost(id)).length > 0));
  for (const id of erasedIds) for (const k of erasedKeys(idHost(id))) erasedDomains.add(k.value);
  if (gone.length === 0 && erasedIds.size === 0) return email;
  // Whole addresses, full names and erased domains only: a word of a name ("Will" of "Will Turner") or a
  // one-word display name ("Sales") would strike the customer's own words.
  const phrases = [
    ...gone.map((p) => p.email),
    ...gone.flatMap((p) => (p.name.trim().includes(' ') ? [p.name.trim().replace(/\s+/g, ' ')] : [])),
    ...erasedDomains,
  ]
    .map((x) => x.toLowerCase())
    .filter((x) => x.length >= 3)
    .sort((a, b) => b.length - a.length);
  // Whole phrases only: an erased acme.co must not strike acme.com, nor pathname.com mypathname.com.
  const patterns = [...new Set(phrases)].map(
    (p) => new RegExp(`(?<![\\p{L}\\p{N}_-])${escapeRegExp(p)}(?![\\p{L}\\p{N}_-]|\\.[\\p{L}\\p{N}])`, 'giu'),
  );
  const strike = (text: string) => patterns.reduce((out, re) => out.replace(re, REDACTED), text);
  const hashId = (id: string) =>
    erasedIds.has(id) ? `erased-${createHash('sha256').update(id).digest('hex').slice(0, 32)}@erased.invalid` : id;
  const kept = (ps: EmailParticipant[]) => ps.filter((p) => !isErased(p));
  const notes = [...(email.notes ?? [])];
  if (gone.length > 0)
    notes.push(
      `${gone.length === 1 ? 'A person' : `${gone.length} people`} erased on request left out of To/Cc; their address and name struck from the subject and text.`,
    );
  if (erasedIds.size > 0) notes.push(`${erasedIds.size} message id(s) at an erased domain replaced by a hash.`);
  return {
    ...email,
    messageId: email.messageId && hashId(email.messageId),
    inReplyTo: email.inReplyTo && hashId(email.inReplyTo),
    ...(email.inReplyToIds ? { inReplyToIds: email.inReplyToIds.map(hashId) } : {}),
    references: email.references.map(hashId),
    to: kept(email.to),
    cc: kept(email.cc),
    subject: strike(email.subject),
    text: strike(email.text),
    attachments: email.attachments.map((a) => (a.name ? { ...a, name: strike(a.name) } : a)),
    notes,
  };
}

function dedupe(ps: EmailParticipant[]): EmailParticipant[] {
  return [...new Map(ps.map((p) => [p.email, p])).values()];
}
