import { createRequire } from 'node:module';
import { emailDomain, FREE_MAIL_DOMAINS } from './normalize-company-name.ts';
import type { EmailParticipant, InboundEmail } from './email-message.ts';

/** Free-mail providers beyond the shared list, including country variants (gmx.*, yahoo.*, outlook.*). */
const FREE_MAIL_PATTERNS = [
  /^gmx\.[a-z.]+$/,
  /^yahoo\.[a-z.]+$/,
  /^(outlook|hotmail|live|msn)\.[a-z.]+$/,
  /^(proton\.me|pm\.me|tutanota\.(com|de)|tuta\.io|zoho\.com|fastmail\.(com|fm)|mail\.ru|qq\.com|163\.com|126\.com|naver\.com|t-online\.de|freenet\.de|orange\.fr|libero\.it|ymail\.com|rocketmail\.com|hey\.com)$/,
];

/**
 * Free-mail and ISP mail domains from the `email-providers` package (about 8,800 domains: excite.com,
 * netscape.net, comcast.net, earthlink.net, juno.com, ...). A package rather than a hand list so that
 * `npm update email-providers` brings new providers in. Loaded once, on first use.
 */
let providerDomains: Set<string> | undefined;
function emailProviderDomains(): Set<string> {
  if (!providerDomains) {
    const list = createRequire(import.meta.url)('email-providers/all.json') as string[];
    providerDomains = new Set(list.map((d) => d.toLowerCase()));
  }
  return providerDomains;
}

/** Whether a domain belongs to a free-mail provider or an ISP (never becomes a company domain). */
export function isFreeMailDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  return FREE_MAIL_DOMAINS.has(d) || emailProviderDomains().has(d) || FREE_MAIL_PATTERNS.some((re) => re.test(d));
}

/** An address literal such as `[192.168.1.20]` or `[IPv6:...]`, or a bare IP address. */
export function isIpLiteralDomain(domain: string): boolean {
  const d = domain.trim();
  return d.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(d) || d.includes(':');
}

/**
 * Whether mail from this domain may create or join a company: a DNS name with a letter top-level
 * label that is neither a free-mail/ISP domain nor an IP literal (a sender at `[192.168.1.20]` once
 * created a company called "1").
 */
export function isCompanyDomain(domain: string): boolean {
  const d = domain.toLowerCase();
  if (d === '' || isIpLiteralDomain(d)) return false;
  if (!/^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*\.(\p{L}{2,}|xn--[a-z0-9-]+)$/u.test(d)) return false;
  return !isFreeMailDomain(d);
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
