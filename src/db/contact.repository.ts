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

/** One address of a company-less contact whose messages sit in company-less records. */
export interface UnconfirmedSenderRow {
  email: string;
  records: number;
  last: Date;
  /** Up to three subjects of those records. */
  subjects: string[];
}

/** Every address of company-less contacts with messages in company-less records. */
export async function readUnconfirmedSenderEmails(sql: SqlRunner): Promise<UnconfirmedSenderRow[]> {
  const rows = await sql.query<{ email: string; records: number; last: Date | string; subjects: string[] | null }>(
    `SELECT e AS email, count(DISTINCT r.id)::int AS records, max(r."lastMessageAt") AS last,
            (array_agg(DISTINCT r.subject) FILTER (WHERE r.subject IS NOT NULL))[1:3] AS subjects
       FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
       JOIN "Message" m ON m."contactId" = c.id
       JOIN "CommunicationRecord" r ON r.id = m."recordId" AND r."companyId" IS NULL
      WHERE c."companyId" IS NULL
      GROUP BY e`,
  );
  return rows.map((r) => ({ email: r.email, records: r.records, last: new Date(r.last), subjects: r.subjects ?? [] }));
}

/** How many contacts a company has. */
export function countContactsOfCompany(client: DbClient, companyId: string): Promise<number> {
  return client.contact.count({ where: { companyId } });
}
