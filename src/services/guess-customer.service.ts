import { findLinkedCompany } from '../db/channel-link.repository.ts';
import type { Database } from '../db/database.ts';
import type { Platform } from '../db/generated/enums.ts';
import { normalizeEmail } from '../domain/normalize-company-name.ts';
import { confidentMatch, lookupCustomer } from './lookup-customer.service.ts';

/** A customer a form can be prefilled with, and why it was picked. */
export interface GuessedCustomer {
  companyId: string;
  companyName: string;
  reason: 'channel' | 'email';
}

/**
 * Which customer a conversation is probably about, to prefill a form (the rep can change it): the
 * customer the channel is linked to, else the first participant email that the lookup service
 * matches with confidence (a contact's email, or a company domain; free-mail domains never count).
 * Undefined when nothing fits: the form starts empty rather than wrong.
 */
export async function guessCustomer(
  db: Database,
  where: { platform: Platform; channelRef?: string; emails?: string[] },
): Promise<GuessedCustomer | undefined> {
  if (where.channelRef) {
    const company = await findLinkedCompany(db.prisma, { platform: where.platform, channelRef: where.channelRef });
    if (company) return { companyId: company.id, companyName: company.name, reason: 'channel' };
  }
  const seen = new Set<string>();
  for (const raw of where.emails ?? []) {
    const email = normalizeEmail(raw);
    if (!email || seen.has(email)) continue;
    seen.add(email);
    const match = confidentMatch(await lookupCustomer(db, email, { exactOnly: true }), { requireExact: true });
    if (match) return { companyId: match.companyId, companyName: match.companyName, reason: 'email' };
  }
  return undefined;
}
