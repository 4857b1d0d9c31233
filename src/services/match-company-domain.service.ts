import { findCompanyIdsByDomains, findCompanyIdsBySubdomain } from '../db/company.repository.ts';
import type { Database } from '../db/database.ts';
import { FREE_MAIL_DOMAINS, normalizeDomain } from '../domain/normalize-company-name.ts';

/** What an external organisation says about itself (Slack Connect team.info, a Teams tenant's domains). */
export interface ExternalOrg {
  /** Email domains of the organisation ("acme.com"); free-mail domains are ignored. */
  emailDomains: string[];
  /** A workspace subdomain ("acme" of acme.slack.com): matched to a company domain's first label, only when one company fits. */
  subdomain?: string;
}

/**
 * The customer an external organisation belongs to: the one company holding one of its email domains,
 * else the one company whose domain starts with its subdomain ("acme" -> "acme.com"). Several
 * candidates are no answer: auto-logging into the wrong customer is worse than not logging.
 */
export async function matchCompanyByDomain(db: Database, org: ExternalOrg): Promise<string | undefined> {
  const domains = [
    ...new Set(
      org.emailDomains.map((d) => normalizeDomain(d)).filter((d): d is string => !!d && !FREE_MAIL_DOMAINS.has(d)),
    ),
  ];
  if (domains.length > 0) {
    const rows = await findCompanyIdsByDomains(db.prisma, domains, 2);
    if (rows.length === 1) return rows[0];
    if (rows.length > 1) return undefined;
  }
  const sub = org.subdomain?.trim().toLowerCase();
  if (!sub) return undefined;
  const rows = await findCompanyIdsBySubdomain(db.sql, sub, 2);
  return rows.length === 1 ? rows[0] : undefined;
}
