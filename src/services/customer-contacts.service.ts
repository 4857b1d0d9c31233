import { addDomainToCompany, findCompanyDomains, setCompanyDomains } from '../db/company.repository.ts';
import {
  detachContact,
  findContactByEmail,
  findContactByName,
  findContactOfCompany,
  findOtherContactWithEmails,
  insertContact,
  updateContact,
} from '../db/contact.repository.ts';
import type { Contact } from '../db/generated/client.ts';
import { isCompanyDomain } from '../domain/email-participants.ts';
import { normalizeDomain, normalizeEmail, normalizePersonName } from '../domain/normalize-company-name.ts';
import { RapportError } from '../errors.ts';
import { type AuditActor, writeAudit } from './audit.service.ts';
import { isUniqueViolation, type PrismaExecutor } from './prisma-executor.ts';
import { assertNotErased } from './tombstones.service.ts';

/** A contact as a person types it (the console form, a CSV row). */
export interface ContactInput {
  name?: string;
  email?: string;
  phone?: string;
}

/** The contact and whether it was new ("created"), changed ("updated") or already so ("unchanged"). */
export interface SavedContact {
  contact: Contact;
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * Adds a contact to a customer, or completes the one it already has with that email (else that name):
 * the same input twice changes nothing, so imports can run again. An email of another customer's
 * contact or of an erased person is refused.
 * @throws RapportError invalid_input / conflict / erased, each with a sentence.
 */
export async function saveContact(
  prisma: PrismaExecutor,
  companyId: string,
  input: ContactInput,
  actor: AuditActor,
): Promise<SavedContact> {
  const rawEmail = input.email?.trim();
  const email = rawEmail ? normalizeEmail(rawEmail) : undefined;
  if (rawEmail && !email) throw new RapportError('invalid_input', `"${rawEmail}" is not an email address.`);
  const phone = input.phone?.trim() || undefined;
  if (phone && !/^[+()\d][\d\s().\-/]{3,30}$/.test(phone))
    throw new RapportError('invalid_input', `"${phone}" is not a phone number.`);
  const name = input.name?.trim().replace(/\s+/g, ' ') || (email ? email.slice(0, email.indexOf('@')) : '');
  if (!name) throw new RapportError('invalid_input', 'A contact needs a name or an email address.');
  if (name.length > 200) throw new RapportError('invalid_input', 'A contact name can have at most 200 characters.');
  if (email) await assertNotErased({ prisma }, [{ kind: 'email', value: email }]);

  const byEmail = email ? await findContactByEmail(prisma, email) : null;
  if (byEmail?.companyId && byEmail.companyId !== companyId)
    throw new RapportError('conflict', `${email} is already a contact of another customer.`);
  const existing = byEmail ?? (await findContactByName(prisma, companyId, normalizePersonName(name)));
  if (existing) {
    const emails = email && !existing.emails.includes(email) ? [...existing.emails, email] : existing.emails;
    const phones = phone && !existing.phones.includes(phone) ? [...existing.phones, phone] : existing.phones;
    const rename = Boolean(input.name?.trim()) && existing.name !== name;
    if (emails === existing.emails && phones === existing.phones && !rename && existing.companyId === companyId)
      return { contact: existing, outcome: 'unchanged' };
    const contact = await updateContact(prisma, existing.id, {
      companyId,
      emails,
      phones,
      ...(rename ? { name, normalizedName: normalizePersonName(name) } : {}),
    });
    await writeAudit(prisma, { action: 'contact.update', actor, subject: contact.id, details: { companyId } });
    return { contact, outcome: 'updated' };
  }
  const contact = await insertContact(prisma, {
    companyId,
    name,
    normalizedName: normalizePersonName(name),
    emails: email ? [email] : [],
    phones: phone ? [phone] : [],
  });
  await writeAudit(prisma, { action: 'contact.create', actor, subject: contact.id, details: { companyId } });
  return { contact, outcome: 'created' };
}

/** Changes a contact's name, emails and phones as edited in the console (the whole lists are replaced). */
export async function editContact(
  prisma: PrismaExecutor,
  companyId: string,
  contactId: string,
  input: { name: string; emails: string[]; phones: string[] },
  actor: AuditActor,
): Promise<Contact> {
  const contact = await findContactOfCompany(prisma, companyId, contactId);
  if (!contact) throw new RapportError('not_found', 'That contact is not one of this customer’s (any more).');
  const name = input.name.trim().replace(/\s+/g, ' ');
  if (!name) throw new RapportError('invalid_input', 'A contact needs a name.');
  const emails: string[] = [];
  for (const raw of input.emails.map((e) => e.trim()).filter(Boolean)) {
    const email = normalizeEmail(raw);
    if (!email) throw new RapportError('invalid_input', `"${raw}" is not an email address.`);
    if (!emails.includes(email)) emails.push(email);
  }
  const newEmails = emails.filter((e) => !contact.emails.includes(e));
  if (newEmails.length) {
    await assertNotErased(
      { prisma },
      newEmails.map((value) => ({ kind: 'email' as const, value })),
    );
    const taken = await findOtherContactWithEmails(prisma, contactId, newEmails);
    if (taken)
      throw new RapportError(
        'conflict',
        `${taken.emails.find((e) => newEmails.includes(e))} is another contact’s email.`,
      );
  }
  const phones = [...new Set(input.phones.map((p) => p.trim()).filter(Boolean))];
  const updated = await updateContact(prisma, contactId, {
    name,
    normalizedName: normalizePersonName(name),
    emails,
    phones,
  });
  await writeAudit(prisma, { action: 'contact.update', actor, subject: contactId, details: { companyId } });
  return updated;
}

/** Removes a contact from a customer (their messages stay, without the link to the company's contact list). */
export async function removeContact(
  prisma: PrismaExecutor,
  companyId: string,
  contactId: string,
  actor: AuditActor,
): Promise<void> {
  if (!(await detachContact(prisma, companyId, contactId)))
    throw new RapportError('not_found', 'That contact is not one of this customer’s (any more).');
  await writeAudit(prisma, { action: 'contact.remove', actor, subject: contactId, details: { companyId } });
}

/**
 * Adds a domain to a customer (mail from it then finds them). Free-mail domains, IP literals, an erased
 * customer's domain and another customer's domain are refused. Adding one it has is a no-op.
 * @returns whether the domain was added.
 */
export async function addCompanyDomain(
  prisma: PrismaExecutor,
  companyId: string,
  typed: string,
  actor: AuditActor,
): Promise<boolean> {
  const domain = normalizeDomain(typed.trim().replace(/^@/, ''));
  if (!domain || !isCompanyDomain(domain))
    throw new RapportError(
      'invalid_input',
      `"${typed.trim()}" is not a company domain (free-mail domains such as gmail.com belong to no customer).`,
    );
  await assertNotErased({ prisma }, [{ kind: 'domain', value: domain }]);
  const company = await findCompanyDomains(prisma, companyId);
  if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
  if (company.domains.includes(domain)) return false;
  try {
    await addDomainToCompany(prisma, companyId, domain);
  } catch (err) {
    if (isUniqueViolation(err) || /belongs to another customer/.test(String((err as Error).message)))
      throw new RapportError('conflict', `${domain} belongs to another customer.`);
    throw err;
  }
  await writeAudit(prisma, { action: 'company.domain.add', actor, subject: companyId, details: {} });
  return true;
}

/** Removes a domain from a customer. */
export async function removeCompanyDomain(
  prisma: PrismaExecutor,
  companyId: string,
  domain: string,
  actor: AuditActor,
): Promise<void> {
  const company = await findCompanyDomains(prisma, companyId);
  if (!company) throw new RapportError('not_found', 'That customer does not exist (any more).');
  const d = domain.trim().toLowerCase();
  if (!company.domains.includes(d)) return;
  await setCompanyDomains(
    prisma,
    companyId,
    company.domains.filter((x) => x !== d),
  );
  await writeAudit(prisma, { action: 'company.domain.remove', actor, subject: companyId, details: {} });
}
