import type { DbClient } from '../db/db-client.ts';
import {
  deleteQuarantinedMail,
  quarantinedMailHeads,
  quarantinedMailNaming,
  quarantinedMailSource,
  storeQuarantinedMailAddresses,
} from '../db/mail-quarantine.repository.ts';
import { isFreeMailDomain } from '../domain/email-participants.ts';
import { addressDomains, HEADER_HEAD_BYTES } from '../domain/mail-address-index.ts';
import { mailHeaderAddresses } from '../domain/mail-header-addresses.ts';

/** Rows read per page (rows kept before their addresses were stored): a page stays a few MB however large the mails are. */
const PAGE_ROWS = 200;

/** Who an erasure removes: lower-cased addresses, and the company's domains. */
export interface ErasedAddresses {
  addresses: string[];
  domains: string[];
}

/**
 * Whether any of these header addresses is an erased address or lies in an erased domain (or a
 * subdomain of one). Free-mail domains never count: a company that had gmail.com listed must not take
 * everybody's Gmail with it.
 */
export function namesErasedAddress(found: string[], who: ErasedAddresses): boolean {
  const addresses = new Set(who.addresses.map((a) => a.toLowerCase()));
  const domains = who.domains.map((d) => d.toLowerCase()).filter((d) => d !== '' && !isFreeMailDomain(d));
  return found.some((a) => {
    if (addresses.has(a)) return true;
    const domain = a.slice(a.lastIndexOf('@') + 1);
    return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
  });
}

/**
 * Deletes every quarantined mail (raw source kept by the IMAP sync, resolved or not) whose From, To,
 * Cc, Bcc, Reply-To or Sender names an erased address or domain: the raw source holds their address,
 * name and words, and `rapport mail retry` would log it again. Runs in the erasure's transaction.
 * Returns how many were deleted.
 *
 * The addresses were read when each mail was quarantined (see mailAddressIndex), so the mails are found
 * by index and the cost follows the mails found, not the quarantine: reading the head of every mail took
 * 1.5 s for 5,000 mails of 20 kB, all of it holding the erasure's locks (`npm run bench:erase-quarantine`).
 * A row kept before the addresses were stored is read the old way, a page at a time, and its addresses
 * stored, so it is read once.
 */
export async function eraseQuarantinedMail(tx: DbClient, who: ErasedAddresses): Promise<number> {
  if (who.addresses.length === 0 && who.domains.length === 0) return 0;
  // The rows not indexed yet first: one the sync quarantines again meanwhile gets its addresses, and the
  // index query after this scan sees them (in the other order it was in neither).
  let deleted = await eraseUnindexedQuarantinedMail(tx, who);
  const found = await quarantinedMailNaming(tx, {
    addresses: who.addresses.map((a) => a.toLowerCase()),
    domains: indexedDomains(who.domains),
  });
  // The index finds candidates (its domains are normalised, "com" is one of every .com address's): the rule decides.
  deleted += await deleteQuarantinedMail(
    tx,
    found.filter((row) => namesErasedAddress(row.addresses, who)).map((row) => row.id),
  );
  return deleted;
}

/** The rows kept before their addresses were stored, read the old way a page at a time and indexed. */
async function eraseUnindexedQuarantinedMail(tx: DbClient, who: ErasedAddresses): Promise<number> {
  let deleted = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await quarantinedMailHeads(tx, {
      afterId,
      limit: PAGE_ROWS,
      headBytes: HEADER_HEAD_BYTES,
      unread: true,
    });
    if (page.length === 0) return deleted;
    const doomed: string[] = [];
    const read: { id: string; addresses: string[]; domains: string[] }[] = [];
    for (const row of page) {
      let addresses = mailHeaderAddresses(row.head);
      // A cut-off header section may name them further down: read that one mail whole.
      if (!addresses.headersEnded && row.head.byteLength >= HEADER_HEAD_BYTES) {
        const raw = await quarantinedMailSource(tx, row.id);
        if (raw) addresses = mailHeaderAddresses(raw);
      }
      if (namesErasedAddress(addresses.addresses, who)) doomed.push(row.id);
      else read.push({ id: row.id, addresses: addresses.addresses, domains: addressDomains(addresses.addresses) });
    }
    deleted += await deleteQuarantinedMail(tx, doomed);
    await storeQuarantinedMailAddresses(tx, read);
    afterId = page[page.length - 1].id;
  }
}

/**
 * The erased domains as the index holds them: free-mail domains left out exactly as
 * {@link namesErasedAddress} leaves them out, then lower-cased without empty labels. Every address that
 * rule takes has one of these among its stored domains (a subdomain's parent domains are stored with it;
 * a domain of dots alone matches no address, whose trailing dots the parser drops).
 */
function indexedDomains(domains: string[]): string[] {
  return domains
    .map((d) => d.toLowerCase())
    .filter((d) => d !== '' && !isFreeMailDomain(d))
    .map((d) =>
      d
        .split('.')
        .filter((l) => l !== '')
        .join('.'),
    )
    .filter((d) => d !== '');
}
