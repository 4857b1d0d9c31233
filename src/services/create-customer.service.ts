import type { Company } from '../db/generated/client.ts';
import { RapportError } from '../errors.ts';
import {
  emailDomain,
  FREE_MAIL_DOMAINS,
  normalizeCompanyName,
  normalizeDomain,
  normalizeEmail,
} from '../domain/normalize-company-name.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import type { PrismaExecutor } from './prisma-executor.ts';
import { assertNotErased, type TombstoneKey } from './tombstones.service.ts';

/**
 * Creates a customer from what a rep typed: a company name, a domain ("acme.com" -> company "Acme",
 * domain acme.com) or an email (company from its domain, plus a contact with that email).
 * Refuses keys of an erased customer.
 */
export async function createCustomer(prisma: PrismaExecutor, typed: string, actor: AuditActor): Promise<Company> {
  const email = normalizeEmail(typed);
  const domainFromEmail = email ? emailDomain(email) : undefined;
  const domain = email
    ? FREE_MAIL_DOMAINS.has(domainFromEmail!)
      ? undefined
      : domainFromEmail
    : normalizeDomain(typed);
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
  const company = await prisma.company.create({
    data: {
      name,
      normalizedName,
      domains: domain ? [domain] : [],
      contacts: email
        ? {
            create: {
              name: email.slice(0, email.indexOf('@')),
              normalizedName: email.slice(0, email.indexOf('@')),
              emails: [email],
            },
          }
        : undefined,
    },
  });
  await writeAudit(prisma, {
    action: 'customer.create',
    actor,
    subject: company.id,
    details: { withContact: Boolean(email), withDomain: Boolean(domain) },
  });
  return company;
}

function titleFromDomain(domain: string): string {
  const label = domain.split('.')[0];
  return label.charAt(0).toUpperCase() + label.slice(1);
}
