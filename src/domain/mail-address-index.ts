import { mailHeaderAddresses } from './mail-header-addresses.ts';

/**
 * Bytes of a raw mail read first for its headers: header sections are a few kB (Received, ARC and DKIM
 * lines included); one that does not end within them is read whole, for that mail alone.
 */
export const HEADER_HEAD_BYTES = 64 * 1024;

/** Who a quarantined mail's address headers name, as the quarantine stores it for erase to find by index. */
export interface MailAddressIndex {
  /** Lower-cased addresses (or "@domain"), exactly as {@link mailHeaderAddresses} reads them. */
  addresses: string[];
  /** The domains of `addresses` with every parent domain: eu.acme.com gives eu.acme.com, acme.com and com. */
  domains: string[];
}

/**
 * Reads who a raw mail's From, To, Cc, Bcc, Reply-To and Sender headers (and Resent-*) name, the way
 * erase reads them: the first {@link HEADER_HEAD_BYTES}, and the whole source when the header section
 * runs on past them. Display names are never decoded, so a mail whose headers no parser could decode
 * is indexed all the same. A change to what {@link mailHeaderAddresses} reads must set the stored
 * columns back to NULL in a migration, so that erase reads every row again.
 */
export function mailAddressIndex(raw: Uint8Array): MailAddressIndex {
  let read = mailHeaderAddresses(raw.subarray(0, HEADER_HEAD_BYTES));
  if (!read.headersEnded && raw.byteLength > HEADER_HEAD_BYTES) read = mailHeaderAddresses(raw);
  return { addresses: read.addresses, domains: addressDomains(read.addresses) };
}

/** The domain of each address and every parent domain of it, each once. */
export function addressDomains(addresses: string[]): string[] {
  const domains = new Set<string>();
  for (const address of addresses) {
    const labels = address
      .slice(address.lastIndexOf('@') + 1)
      .split('.')
      .filter((l) => l !== '');
    for (let i = 0; i < labels.length; i++) domains.add(labels.slice(i).join('.'));
  }
  return [...domains];
}
