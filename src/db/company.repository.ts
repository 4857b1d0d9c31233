import type { DbClient } from './db-client.ts';
import type { SqlRunner } from './database.ts';
import type { Company, Contact } from './generated/client.ts';

/** A company by its normalised name (unique), or null. */
export function findCompanyByNormalizedName(client: DbClient, normalizedName: string): Promise<Company | null> {
  return client.company.findUnique({ where: { normalizedName } });
}

/** Whether a company has this normalised name. */
export async function companyNameTaken(client: DbClient, normalizedName: string): Promise<boolean> {
  return (await client.company.findFirst({ where: { normalizedName }, select: { id: true } })) !== null;
}

/** The (oldest) company holding `domain`, or null. */
export function findCompanyByDomain(client: DbClient, domain: string): Promise<Company | null> {
  return client.company.findFirst({ where: { domains: { has: domain } }, orderBy: { createdAt: 'asc' } });
}

/** The first company with this normalised name or holding this domain (either may be absent), or null. */
export function findCompanyByNameOrDomain(
  client: DbClient,
  by: { normalizedName?: string; domain?: string },
): Promise<Company | null> {
  return client.company.findFirst({
    where: {
      OR: [
        ...(by.normalizedName ? [{ normalizedName: by.normalizedName }] : []),
        ...(by.domain ? [{ domains: { has: by.domain } }] : []),
      ],
    },
  });
}

/** Whether a company with this id exists. */
export async function companyExists(client: DbClient, id: string): Promise<boolean> {
  return (await client.company.findUnique({ where: { id }, select: { id: true } })) !== null;
}

/** A company by id, or null. */
export function findCompany(client: DbClient, id: string): Promise<Company | null> {
  return client.company.findUnique({ where: { id } });
}

/** A company's name by id, or null. */
export function findCompanyName(client: DbClient, id: string): Promise<{ id: string; name: string } | null> {
  return client.company.findUnique({ where: { id }, select: { id: true, name: true } });
}

/** A company's domains, or null when it does not exist. */
export function findCompanyDomains(client: DbClient, id: string): Promise<{ domains: string[] } | null> {
  return client.company.findUnique({ where: { id }, select: { domains: true } });
}

/** Adds one domain to a company (the database refuses a domain another company holds). */
export async function addDomainToCompany(client: DbClient, id: string, domain: string): Promise<void> {
  await client.company.update({ where: { id }, data: { domains: { push: domain } } });
}

/** Replaces a company's domains. */
export async function setCompanyDomains(client: DbClient, id: string, domains: string[]): Promise<void> {
  await client.company.update({ where: { id }, data: { domains } });
}

/** Inserts a company, with a first contact when `contact` is given. */
export function insertCompany(
  client: DbClient,
  row: {
    name: string;
    normalizedName: string;
    domains: string[];
    contact?: { name: string; normalizedName: string; emails: string[] };
  },
): Promise<Company> {
  return client.company.create({
    data: {
      name: row.name,
      normalizedName: row.normalizedName,
      domains: row.domains,
      contacts: row.contact ? { create: row.contact } : undefined,
    },
  });
}

/** Deletes a company; the schema cascades to its contacts, records, messages, classifications, follow-ups, links. */
export async function deleteCompany(client: DbClient, id: string): Promise<void> {
  await client.company.delete({ where: { id } });
}

/** Ids of companies holding any of these domains, at most `take`. */
export async function findCompanyIdsByDomains(client: DbClient, domains: string[], take: number): Promise<string[]> {
  const rows = await client.company.findMany({ where: { domains: { hasSome: domains } }, select: { id: true }, take });
  return rows.map((r) => r.id);
}

/** Ids of companies with a domain whose first label is `subdomain` ("acme" -> acme.com), at most `take`. */
export async function findCompanyIdsBySubdomain(sql: SqlRunner, subdomain: string, take: number): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM "Company" WHERE EXISTS (SELECT 1 FROM unnest(domains) d WHERE split_part(d, '.', 1) = $1) LIMIT $2`,
    [subdomain, take],
  );
  return rows.map((r) => r.id);
}

/** A company with its contacts (by name, at most `contactLimit`), as a customer card shows it. */
export function findCompanyWithContacts(
  client: DbClient,
  id: string,
  contactLimit: number,
): Promise<{
  id: string;
  name: string;
  domains: string[];
  contacts: Array<Pick<Contact, 'id' | 'name' | 'emails' | 'phones'>>;
} | null> {
  return client.company.findUnique({
    where: { id },
    select: {
      id: true,
      name: true,
      domains: true,
      contacts: {
        select: { id: true, name: true, emails: true, phones: true },
        orderBy: { name: 'asc' },
        take: contactLimit,
      },
    },
  });
}

/** A company with its contacts and its records' ids and source keys: what an erasure reads first. */
export function findCompanyForErasure(
  client: DbClient,
  id: string,
): Promise<(Company & { contacts: Contact[]; records: Array<{ id: string; sourceKey: string }> }) | null> {
  return client.company.findUnique({
    where: { id },
    include: { contacts: true, records: { select: { id: true, sourceKey: true } } },
  });
}
