import type { DbClient } from '../db/db-client.ts';
import { findTombstoneHashes } from '../db/tombstone.repository.ts';
import type { EmailParticipant, InboundEmail } from '../domain/email-message.ts';
import { emailSides } from '../domain/email-participants.ts';
import { redactionTerms, redactText } from '../domain/redact-personal-data.ts';
import { addressTombstoneKeys, normalizeTombstoneValue, tombstoneHash } from './tombstones.service.ts';

/**
 * The emails with the people erased on request left out of their To and Cc: their addresses and names
 * struck from the subject and text, with a note saying so. A mail to one of our customers that copies
 * an erased person is the customer's, and is logged; what it holds of the erased person is not. (A mail
 * from an erased person, or ours to none but erased people, is skipped as `tombstoned` by the customer check.)
 * One query for the whole batch; the emails nobody erased is on come back as they were.
 */
export async function leaveOutErasedPeople(
  client: DbClient,
  emails: InboundEmail[],
  internalDomains: readonly string[],
): Promise<InboundEmail[]> {
  const hashesOf = new Map<string, string[]>();
  for (const e of emails)
    for (const p of [...e.to, ...e.cc])
      if (!hashesOf.has(p.email))
        hashesOf.set(
          p.email,
          addressTombstoneKeys(p.email)
            .filter((k) => normalizeTombstoneValue(k) !== '')
            .map(tombstoneHash),
        );
  if (hashesOf.size === 0) return emails;
  const hit = await findTombstoneHashes(client, [...new Set([...hashesOf.values()].flat())]);
  if (hit.size === 0) return emails;
  const erased = new Set([...hashesOf].filter(([, hashes]) => hashes.some((h) => hit.has(h))).map(([a]) => a));
  return emails.map((e) => withoutErased(e, erased, internalDomains));
}

function withoutErased(
  email: InboundEmail,
  erased: ReadonlySet<string>,
  internalDomains: readonly string[],
): InboundEmail {
  const gone = dedupe([...email.to, ...email.cc].filter((p) => erased.has(p.email)));
  if (gone.length === 0) return email;
  // Our mail to none but erased people is theirs: kept as it is, for the customer check to skip it.
  const sides = emailSides(email, internalDomains);
  if (sides?.customers.every((c) => erased.has(c.email))) return email;
  const terms = redactionTerms({
    addresses: gone.map((p) => p.email),
    domains: [],
    names: [],
    personNames: gone.flatMap((p) => (p.name ? [p.name] : [])),
  });
  const kept = (ps: EmailParticipant[]) => ps.filter((p) => !erased.has(p.email));
  const who = gone.length === 1 ? 'A person' : `${gone.length} people`;
  return {
    ...email,
    to: kept(email.to),
    cc: kept(email.cc),
    subject: redactText(email.subject, terms),
    text: redactText(email.text, terms),
    notes: [
      ...(email.notes ?? []),
      `${who} erased on request left out of To/Cc; their address and name struck from the subject and text.`,
    ],
  };
}

function dedupe(ps: EmailParticipant[]): EmailParticipant[] {
  return [...new Map(ps.map((p) => [p.email, p])).values()];
}
