import {
  findCompanyByDomain,
  findCompanyByNormalizedName,
  insertCompany as insertCompanyRow,
} from '../db/company.repository.ts';
import type { Company } from '../db/generated/client.ts';
import { RapportError } from '../errors.ts';
import { isUniqueViolationError } from '../db/sql-errors.ts';
import {
  emailDomain,
  normalizeCompanyName,
  normalizeDomain,
  normalizeEmail,
} from '../domain/normalize-company-name.ts';
import { isCompanyDomain } from '../domain/email-participants.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { assertNotErased, type TombstoneKey } from './tombstones.service.ts';

/**
 * Creates a customer from what a rep typed: a company name, a domain ("acme.com" -> company "Acme",
 * domain acme.com) or an email (company from its domain, plus a contact with that email).
 * Refuses keys of an erased customer. A customer of that name (or domain) that exists already is
 * returned instead of a second one: names and domains are unique, so two concurrent creations of one
 * new name both answer with the same customer.
 */
export async function createCustomer(prisma: PrismaExecutor, typed: string, actor: AuditActor): Promise<Company> {
  const email = normalizeEmail(typed);
  const domainFromEmail = email ? emailDomain(email) : undefined;
  const domain = email ? (!isCompanyDomain(domainFromEmail!) ? undefined : domainFromEmail) : normalizeDomain(typed);
  const name = email
    ? domain
      ? titleFromDomain(domain)
      : email.slice(0, email.indexOf('@'))
    : domain
      ? titleFromDomain(domain)
      : typed.trim().replace(/\s+/g, ' ');
  const normalizedName = normalizeCompanyName(name);
  if (!normalizedName)
    throw new RapportError('invalid_input', 'A customer needs a name with at least one letter or digit.');
  const keys: TombstoneKey[] = [
    { kind: 'company-name', value: name },
    { kind: 'company', value: name }, // erasures from before exact names
  ];
  if (email) keys.push({ kind: 'email', value: email });
  if (domain) keys.push({ kind: 'domain', value: domain });
  await assertNotErased({ prisma }, keys);
  const existing = await findExisting(prisma, normalizedName, domain);
  if (existing) return existing;
  let company: Company;
  try {
    company = await insertCompany(prisma, name, normalizedName, domain, email);
  } catch (err) {
    // Created by a concurrent request between our look and our insert.
    const winner = isUniqueViolationError(err) ? await findExisting(prisma, normalizedName, domain) : undefined;
    if (winner) return winner;
    throw err;
  }
  await writeAudit(prisma, {
    action: 'customer.create',
    actor,
    subject: company.id,
    details: { withContact: Boolean(email), withDomain: Boolean(domain) },
  });
  return company;
}

async function findExisting(
  prisma: PrismaExecutor,
  normalizedName: string,
  domain: string | undefined,
): Promise<Company | undefined> {
  const byName = await findCompanyByNormalizedName(prisma, normalizedName);
  if (byName) return byName;
  if (!domain) return undefined;
  return (await findCompanyByDomain(prisma, domain)) ?? undefined;
}

function insertCompany(
  prisma: PrismaExecutor,
  name: string,
  normalizedName: string,
  domain: string | undefined,
  email: string | undefined,
): Promise<Company> {
  return insertCompanyRow(prisma, {
    name,
    normalizedName,
    domains: domain ? [domain] : [],
    contact: email
      ? {
          name: email.slice(0, email.indexOf('@')),
          normalizedName: email.slice(0, email.indexOf('@')),
          emails: [email],
        }
      : undefined,
  });
}

function titleFromDomain(domain: string): string {
  const label = domain.split('.')[0];
  return label.charAt(0).toUpperCase() + label.slice(1);
}
