import { emailDomain, FREE_MAIL_DOMAINS } from './normalize-company-name.ts';
import type { EmailParticipant, InboundEmail } from './email-message.ts';

/** Free-mail providers beyond the shared list, including country variants (gmx.*, yahoo.*, outlook.*). */
const FREE_MAIL_PATTERNS = [
  /^gmx\.[a-z.]+$/,
  /^yahoo\.[a-z.]+$/,
  /^(outlook|hotmail|live|msn)\.[a-z.]+$/,
  /^(proton\.me|pm\.me|tutanota\.(com|de)|tuta\.io|zoho\.com|fastmail\.(com|fm)|mail\.ru|qq\.com|163\.com|126\.com|naver\.com|t-online\.de|freenet\.de|orange\.fr|libero\.it|ymail\.com|rocketmail\.com|hey\.com)$/,
];

/** Whether a domain belongs to a free-mail provider (never becomes a company domain). */
export function isFreeMailDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  return FREE_MAIL_DOMAINS.has(d) || FREE_MAIL_PATTERNS.some((re) => re.test(d));
}

/** Whether an address is one of ours: its domain (or a parent domain) is internal. */
export function isInternalAddress(email: string, internalDomains: readonly string[]): boolean {
  const d = emailDomain(email).toLowerCase();
  return internalDomains.some((i) => d === i || d.endsWith(`.${i}`));
}

export interface EmailSides {
  direction: 'inbound' | 'outbound';
  /** External people on the email, the customer side; the first is the one the message is attributed to. */
  customers: EmailParticipant[];
}

/**
 * Who the customer is: for mail from an internal sender (direction outbound) the external To/Cc
 * recipients; for anything else (inbound) the sender. Undefined when nobody external takes part
 * (internal-only mail has no customer to log against).
 */
export function emailSides(
  email: Pick<InboundEmail, 'from' | 'to' | 'cc'>,
  internalDomains: readonly string[],
): EmailSides | undefined {
  if (!email.from) return undefined;
  const external = (ps: EmailParticipant[]) => ps.filter((p) => !isInternalAddress(p.email, internalDomains));
  if (isInternalAddress(email.from.email, internalDomains)) {
    const customers = dedupe(external([...email.to, ...email.cc]));
    return customers.length > 0 ? { direction: 'outbound', customers } : undefined;
  }
  return { direction: 'inbound', customers: [email.from] };
}

function dedupe(ps: EmailParticipant[]): EmailParticipant[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    if (seen.has(p.email)) return false;
    seen.add(p.email);
    return true;
  });
}

/** "acme-corp.co.uk" -> "Acme Corp": a readable company name for a company created from a domain. */
export function companyNameFromDomain(domain: string): string {
  const labels = domain.toLowerCase().split('.');
  // Skip second-level public suffixes such as co.uk, com.au.
  const main =
    labels.length >= 3 && /^(co|com|org|net|ac|gov|ltd|plc)$/.test(labels[labels.length - 2])
      ? labels[labels.length - 3]
      : (labels[labels.length - 2] ?? labels[0]);
  return main
    .split('-')
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
