import { assignRecordsOfContacts } from '../db/communication-record.repository.ts';
import { companyNameTaken, findCompanyByDomain, insertCompany } from '../db/company.repository.ts';
import {
  assignContacts,
  findUnassignedContactsAtDomain,
  findUnassignedContactsWithEmail,
  readUnconfirmedAddresses,
  readUnconfirmedSenderDetails,
} from '../db/contact.repository.ts';
import type { Database } from '../db/database.ts';
import { inTransaction } from '../db/db-client.ts';
import { companyNameFromDomain, isCompanyDomain } from '../domain/email-participants.ts';
import { emailDomain, normalizeCompanyName, normalizeEmail } from '../domain/normalize-company-name.ts';
import { RapportError } from '../errors.ts';
import { writeAudit, type AuditActor } from './audit.service.ts';
import { assertNotErased, type TombstoneKey } from './tombstones.service.ts';

/** Senders logged without a company (IMAP_CREATE_COMPANIES=answered), grouped the way `make customer` takes them. */
export interface UnconfirmedSender {
  /** A company domain (all its senders), or the address of a free-mail sender. */
  key: string;
  contacts: number;
  records: number;
  lastMessageAt: Date;
  /** Example subjects, newest first. */
  subjects: string[];
}

/**
 * Mail from senders that did not become customers: contacts without a company whose messages sit in
 * records without a company, newest first. Grouped by domain for company domains, by address for
 * free-mail senders.
 */
export async function listUnconfirmedSenders(db: Database, limit = 50): Promise<UnconfirmedSender[]> {
  return (await pageOfUnconfirmedSenders(db, 0, limit)).senders;
}

/**
 * `limit` unconfirmed senders from the `offset`-th (newest first, then by key) and how many there are in
 * all. Every sender's newest record is read (one light aggregate); contacts, records and subjects only
 * for the page's.
 */
export async function pageOfUnconfirmedSenders(
  db: Database,
  offset: number,
  limit: number,
): Promise<{ senders: UnconfirmedSender[]; total: number }> {
  const groups = new Map<string, { key: string; emails: string[]; last: Date }>();
  // A company domain is one group (its own row counts a shared thread once); a free-mail sender is its address.
  for (const a of await readUnconfirmedAddresses(db.sql)) {
    const key = isCompanyDomain(a.domain) ? a.domain : a.email;
    const group = groups.get(key);
    if (!group) groups.set(key, { key, emails: [a.email], last: a.last });
    else {
      group.emails.push(a.email);
      if (a.last > group.last) group.last = a.last;
    }
  }
  const all = [...groups.values()].sort(
    (a, b) => b.last.getTime() - a.last.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const page = all.slice(offset, offset + limit);
  const details = await readUnconfirmedSenderDetails(db.sql, page);
  const senders = page.flatMap((g) => {
    const d = details.get(g.key);
    // Gone between the two reads (made a customer meanwhile): not shown.
    return d
      ? [{ key: g.key, contacts: d.contacts, records: d.records, lastMessageAt: g.last, subjects: d.subjects }]
      : [];
  });
  return { senders, total: all.length };
}

export interface MadeCustomer {
  companyId: string;
  name: string;
  created: boolean;
  contacts: number;
  records: number;
}

/**
 * `make customer KEY`: turns unconfirmed senders into a customer. KEY is a domain (every company-less
 * contact at it joins the company owning the domain, created when none does) or an address (that
 * contact; for a free-mail address the company is named `name` or after the person). Their
 * company-less records move to the company. Refuses erased keys; one transaction.
 */
export async function makeCustomer(
  db: Database,
  typed: string,
  actor: AuditActor,
  opts: { name?: string } = {},
): Promise<MadeCustomer> {
  const key = typed.trim().toLowerCase().replace(/^@/, '');
  const email = normalizeEmail(key);
  const domain = email ? emailDomain(email) : key;
  const byDomain = isCompanyDomain(domain);
  if (!email && !byDomain)
    throw new RapportError(
      'invalid_input',
      `"${typed}" is neither a company domain nor an email address; try make customer acme.com or make customer jo@gmail.com.`,
    );
  return inTransaction(db, async (tx) => {
    // A domain takes every company-less contact with an address at it; an address takes its contact.
    const matching = byDomain
      ? await findUnassignedContactsAtDomain(tx, domain)
      : await findUnassignedContactsWithEmail(tx, email!);
    if (matching.length === 0)
      throw new RapportError('not_found', `No unconfirmed sender at ${key}; "rapport mail unconfirmed" lists them.`);
    const keys: TombstoneKey[] = byDomain ? [{ kind: 'domain', value: domain }] : [{ kind: 'email', value: email! }];
    await assertNotErased({ prisma: tx }, keys);
    let company = byDomain ? await findCompanyByDomain(tx, domain) : null;
    const created = !company;
    if (!company) {
      let name = opts.name?.trim() || (byDomain ? companyNameFromDomain(domain) : matching[0].name);
      // Names are unique: when another customer has this one, the domain (or address) names the new one.
      if (await companyNameTaken(tx, normalizeCompanyName(name))) name = byDomain ? domain : email!;
      company = await insertCompany(tx, {
        name,
        normalizedName: normalizeCompanyName(name),
        domains: byDomain ? [domain] : [],
      });
    }
    const ids = matching.map((c) => c.id);
    await assignContacts(tx, ids, company.id);
    const records = await assignRecordsOfContacts(tx, ids, company.id);
    await writeAudit(tx, {
      action: 'customer.confirm',
      actor,
      subject: company.id,
      details: { created, contacts: ids.length, records },
    });
    return { companyId: company.id, name: company.name, created, contacts: ids.length, records };
  });
}
