import type { Database } from '../db/database.ts';
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
  const rows = await db.sql.query<{ email: string; records: number; last: Date | string; subjects: string[] }>(
    `SELECT e AS email, count(DISTINCT r.id)::int AS records, max(r."lastMessageAt") AS last,
            (array_agg(DISTINCT r.subject) FILTER (WHERE r.subject IS NOT NULL))[1:3] AS subjects
       FROM "Contact" c CROSS JOIN LATERAL unnest(c.emails) e
       JOIN "Message" m ON m."contactId" = c.id
       JOIN "CommunicationRecord" r ON r.id = m."recordId" AND r."companyId" IS NULL
      WHERE c."companyId" IS NULL
      GROUP BY e`,
  );
  const groups = new Map<string, UnconfirmedSender>();
  for (const r of rows) {
    const domain = emailDomain(r.email);
    const key = isCompanyDomain(domain) ? domain : r.email;
    const g = groups.get(key) ?? { key, contacts: 0, records: 0, lastMessageAt: new Date(0), subjects: [] };
    g.contacts++;
    g.records += r.records;
    const last = new Date(r.last);
    if (last > g.lastMessageAt) g.lastMessageAt = last;
    for (const s of r.subjects ?? []) if (g.subjects.length < 3 && !g.subjects.includes(s)) g.subjects.push(s);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.lastMessageAt.getTime() - a.lastMessageAt.getTime()).slice(0, limit);
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
  return db.prisma.$transaction(async (tx) => {
    // A domain takes every company-less contact with an address at it; an address takes its contact.
    const matching = byDomain
      ? await tx.$queryRawUnsafe<Array<{ id: string; name: string }>>(
          `SELECT id::text, name FROM "Contact" WHERE "companyId" IS NULL AND EXISTS (SELECT 1 FROM unnest(emails) e WHERE e LIKE '%@' || $1)`,
          domain,
        )
      : await tx.contact.findMany({
          where: { companyId: null, emails: { has: email! } },
          select: { id: true, name: true },
        });
    if (matching.length === 0)
      throw new RapportError('not_found', `No unconfirmed sender at ${key}; "rapport mail unconfirmed" lists them.`);
    const keys: TombstoneKey[] = byDomain ? [{ kind: 'domain', value: domain }] : [{ kind: 'email', value: email! }];
    await assertNotErased({ prisma: tx }, keys);
    let company = byDomain
      ? await tx.company.findFirst({ where: { domains: { has: domain } }, orderBy: { createdAt: 'asc' } })
      : null;
    const created = !company;
    if (!company) {
      let name = opts.name?.trim() || (byDomain ? companyNameFromDomain(domain) : matching[0].name);
      // Names are unique: when another customer has this one, the domain (or address) names the new one.
      if (await tx.company.findFirst({ where: { normalizedName: normalizeCompanyName(name) }, select: { id: true } }))
        name = byDomain ? domain : email!;
      company = await tx.company.create({
        data: { name, normalizedName: normalizeCompanyName(name), domains: byDomain ? [domain] : [] },
      });
    }
    const ids = matching.map((c) => c.id);
    await tx.contact.updateMany({ where: { id: { in: ids } }, data: { companyId: company.id } });
    const records = await tx.communicationRecord.updateMany({
      where: { companyId: null, messages: { some: { contactId: { in: ids } } } },
      data: { companyId: company.id },
    });
    await writeAudit(tx, {
      action: 'customer.confirm',
      actor,
      subject: company.id,
      details: { created, contacts: ids.length, records: records.count },
    });
    return { companyId: company.id, name: company.name, created, contacts: ids.length, records: records.count };
  });
}
