import type { DbClient } from '../db/db-client.ts';
import {
  deleteQuarantinedMail,
  quarantinedMailHeads,
  quarantinedMailSource,
} from '../db/mail-quarantine.repository.ts';
import { isFreeMailDomain } from '../domain/email-participants.ts';
import { mailHeaderAddresses } from '../domain/mail-header-addresses.ts';

/** Rows read per page: with HEAD_BYTES each, a page stays a few MB however large the mails are. */
const PAGE_ROWS = 200;
/** Header sections are a few kB; one longer than this is read whole, for that mail alone. */
const HEAD_BYTES = 64 * 1024;

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
 * Cc, Reply-To or Sender names an erased address or domain: the raw source holds their address, name
 * and words, and `rapport mail retry` would log it again. Runs in the erasure's transaction, a page at
 * a time. Returns how many were deleted.
 */
export async function eraseQuarantinedMail(tx: DbClient, who: ErasedAddresses): Promise<number> {
  if (who.addresses.length === 0 && who.domains.length === 0) return 0;
  let deleted = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await quarantinedMailHeads(tx, { afterId, limit: PAGE_ROWS, headBytes: HEAD_BYTES });
    if (page.length === 0) return deleted;
    const doomed: string[] = [];
    for (const row of page) {
      let read = mailHeaderAddresses(row.head);
      // A cut-off header section may name them further down: read that one mail whole.
      if (!read.headersEnded && row.head.byteLength >= HEAD_BYTES) {
        const raw = await quarantinedMailSource(tx, row.id);
        if (raw) read = mailHeaderAddresses(raw);
      }
      if (namesErasedAddress(read.addresses, who)) doomed.push(row.id);
    }
    deleted += await deleteQuarantinedMail(tx, doomed);
    afterId = page[page.length - 1].id;
  }
}
