import type { DbClient } from './db-client.ts';
import type { SqlRunner } from './database.ts';
import type { Contact } from './generated/client.ts';

/** The contact holding a platform user key ("slack:T1/U2"), or null. */
export function findContactByPlatformUser(client: DbClient, platformUserKey: string): Promise<{ id: string } | null> {
  return client.contact.findFirst({ where: { platformUserIds: { has: platformUserKey } }, select: { id: true } });
}

/** The oldest contact with this email, or null. */
export function findContactByEmailOldest(client: DbClient, email: string): Promise<{ id: string } | null> {
  return client.contact.findFirst({
    where: { emails: { has: email } },
    orderBy: { createdAt: 'asc' },
    select: { id: true },
  });
}

/** A contact with this email, or null. */
export function findContactByEmail(client: DbClient, email: string): Promise<Contact | null> {
  return client.contact.findFirst({ where: { emails: { has: email } } });
}

/** A company's contact by normalised name, or null. */
export function findContactByName(
  client: DbClient,
  companyId: string,
  normalizedName: string,
): Promise<Contact | null> {
  return client.contact.findFirst({ where: { companyId, normalizedName } });
}

/** A contact of this company by id, or null. */
export function findContactOfCompany(client: DbClient, companyId: string, id: string): Promise<Contact | null> {
  return client.contact.findFirst({ where: { id, companyId } });
}

/** Another contact (not `exceptId`) holding any of these emails, or null. */
export function findOtherContactWithEmails(
  client: DbClient,
  exceptId: string,
  emails: string[],
): Promise<Contact | null> {
  return client.contact.findFirst({ where: { id: { not: exceptId }, emails: { hasSome: emails } } });
}

/** Adds a platform user key to a contact. */
export async function addPlatformUserToContact(client: DbClient, id: string, platformUserKey: string): Promise<void> {
  await client.contact.update({ where: { id }, data: { platformUserIds: { push: platformUserKey } } });
}

/** Inserts a contact. */
export function insertContact(
  client: DbClient,
  row: {
    companyId: string | null;
    name: string;
    normalizedName: string;
    emails: string[];
    phones: string[];
    platformUserIds?: string[];
  },
): Promise<Contact> {
  return client.contact.create({ data: row });
}

/** Changes a contact (only the fields given). */
export function updateContact(
  client: DbClient,
  id: string,
  row: { companyId?: string; name?: string; normalizedName?: string; emails?: string[]; phones?: string[] },
): Promise<Contact> {
  return client.contact.update({ where: { id }, data: row });
}

/** Takes a contact off a company's list; false when it was not the company's. */
export async function detachContact(client: DbClient, companyId: string, id: string): Promise<boolean> {
  const removed = await client.contact.updateMany({ where: { id, companyId }, data: { companyId: null } });
  return removed.count > 0;
}

/** Every contact of a company, oldest first. */
export function findContactsOfCompany(client: DbClient, companyId: string): Promise<Contact[]> {
  return client.contact.findMany({ where: { companyId }, orderBy: { createdAt: 'asc' } });
}

/** Company-less contacts with an address at `domain`. */
export function findUnassignedContactsAtDomain(
  client: DbClient,
  domain: string,
): Promise<Array<{ id: string; name: string }>> {
  return client.$queryRawUnsafe<Array<{ id: string; name: string }>>(
    `SELECT id::text, name FROM "Contact" WHERE "companyId" IS NULL AND EXISTS (SELECT 1 FROM unnest(emails) e WHERE e LIKE '%@' || $1)`,
    domain,
  );
}

/** Company-less contacts with this address. */
export function findUnassignedContactsWithEmail(
  client: DbClient,
  email: string,
): Promise<Array<{ id: string; name: string }>> {
  return client.contact.findMany({
    where: { companyId: null, emails: { has: email } },
    select: { id: true, name: true },
  });
}

/** Moves contacts to a company. */
export async function assignContacts(client: DbClient, ids: string[], companyId: string): Promise<void> {
  await client.contact.updateMany({ where: { id: { in: ids } }, data: { companyId } });
}

/**
 * The mail of company-less contacts in company-less records, counted for one address (`email`) or for
 * every address at one domain (`domain`): a thread two people of one domain wrote in is one record.
 */
/** A company-less contact's address with messages in company-less records. */
export interface UnconfirmedAddressRow {
  email: string;
  /** The address's domain, lower case. */
  domain: string;
  /** The newest of those records' last messages. */
  last: Date;
}

/**
 * Every address of a company-less contact with messages in company-less records, with its domain and
 * newest such record: what the unconfirmed senders are grouped and ordered by. One aggregate over those
 * messages, without the per-sender details (see {@link readUnconfirmedSenderDetails}).
 */
export async function readUnconfirmedAddresses(sql: SqlRunner): Promise<UnconfirmedAddressRow[]> {
  const rows = await sql.query<{ email: string; domain: string | null; last: Date | string }>(
    `SELECT e AS email, lower(substring(e from '@([^@]*)$')) AS domain, max(r."lastMessageAt") AS last
       FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
       JOIN "Message" m ON m."contactId" = c.id
       JOIN "CommunicationRecord" r ON r.id = m."recordId" AND r."companyId" IS NULL
      WHERE c."companyId" IS NULL
      GROUP BY e`,
  );
  return rows.map((r) => ({ email: r.email, domain: r.domain ?? '', last: new Date(r.last) }));
}

/** What a group of unconfirmed addresses (a domain, or one address) shows. */
export interface UnconfirmedSenderDetails {
  contacts: number;
  records: number;
  /** Up to three subjects of those records, newest first. */
  subjects: string[];
}

/**
 * For each group (a key and its addresses, as {@link readUnconfirmedAddresses} gave them): how many
 * company-less contacts and company-less records it has, and their newest subjects. Reads only those
 * addresses' contacts (the emails index), so its cost is the page's, not the whole list's.
 */
export async function readUnconfirmedSenderDetails(
  sql: SqlRunner,
  groups: ReadonlyArray<{ key: string; emails: readonly string[] }>,
): Promise<Map<string, UnconfirmedSenderDetails>> {
  const emails = groups.flatMap((g) => g.emails);
  const keys = groups.flatMap((g) => g.emails.map(() => g.key));
  const rows =
    emails.length === 0
      ? []
      : await sql.query<{ key: string; contacts: number; records: number; subjects: string[] | null }>(
          `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(address, key)),
           mail AS (
             SELECT k.key, c.id AS contact, r.id AS record, r."lastMessageAt" AS last, r.subject
               FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
               JOIN k ON k.address = e
               JOIN "Message" m ON m."contactId" = c.id
               JOIN "CommunicationRecord" r ON r.id = m."recordId" AND r."companyId" IS NULL
              WHERE c."companyId" IS NULL AND c.emails && $1::text[])
           SELECT key, count(DISTINCT contact)::int AS contacts, count(DISTINCT record)::int AS records,
                  (array_agg(subject ORDER BY last DESC) FILTER (WHERE subject IS NOT NULL))[1:12] AS subjects
             FROM mail
            GROUP BY key`,
          [emails, keys],
        );
  const details = new Map<string, UnconfirmedSenderDetails>();
  for (const r of rows) {
    const subjects: string[] = [];
    for (const s of r.subjects ?? []) if (subjects.length < 3 && !subjects.includes(s)) subjects.push(s);
    details.set(r.key, { contacts: r.contacts, records: r.records, subjects });
  }
  return details;
}

/** How many contacts a company has. */
export function countContactsOfCompany(client: DbClient, companyId: string): Promise<number> {
  return client.contact.count({ where: { companyId } });
}
