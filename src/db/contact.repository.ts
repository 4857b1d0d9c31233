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
export interface UnconfirmedSenderRow {
  /** Set on a row for one address. */
  email?: string;
  /** Set on a row for a whole domain (lower case). */
  domain?: string;
  contacts: number;
  records: number;
  last: Date;
  /** Up to three subjects of those records, newest first. */
  subjects: string[];
}

/**
 * Per address and per domain (one scan, GROUPING SETS), the company-less contacts with messages in
 * company-less records: the caller groups company domains by domain and free-mail senders by address.
 */
export async function readUnconfirmedSenders(sql: SqlRunner): Promise<UnconfirmedSenderRow[]> {
  const rows = await sql.query<{
    email: string | null;
    domain: string | null;
    contacts: number;
    records: number;
    last: Date | string;
    subjects: string[] | null;
  }>(
    `WITH mail AS (
       SELECT c.id AS contact, e, lower(substring(e from '@([^@]*)$')) AS d, r.id AS record, r."lastMessageAt" AS last,
              r.subject
         FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
         JOIN "Message" m ON m."contactId" = c.id
         JOIN "CommunicationRecord" r ON r.id = m."recordId" AND r."companyId" IS NULL
        WHERE c."companyId" IS NULL)
     SELECT e AS email, d AS domain, count(DISTINCT contact)::int AS contacts, count(DISTINCT record)::int AS records,
            max(last) AS last,
            (array_agg(subject ORDER BY last DESC) FILTER (WHERE subject IS NOT NULL))[1:12] AS subjects
       FROM mail
      GROUP BY GROUPING SETS ((e), (d))`,
  );
  return rows.map((r) => {
    const subjects: string[] = [];
    for (const s of r.subjects ?? []) if (subjects.length < 3 && !subjects.includes(s)) subjects.push(s);
    return {
      ...(r.email !== null ? { email: r.email } : { domain: r.domain ?? '' }),
      contacts: r.contacts,
      records: r.records,
      last: new Date(r.last),
      subjects,
    };
  });
}

/** How many contacts a company has. */
export function countContactsOfCompany(client: DbClient, companyId: string): Promise<number> {
  return client.contact.count({ where: { companyId } });
}
