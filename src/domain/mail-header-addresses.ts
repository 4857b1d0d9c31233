/** The headers that name the people on a mail (Bcc and Resent-* too: a copy sent from our side names them as well). */
const PEOPLE_HEADERS = /^(from|to|cc|bcc|reply-to|sender|resent-from|resent-to|resent-cc|resent-sender)[ \t]*:(.*)$/i;

/**
 * Anything shaped like an address: the local part may be empty so that a quoted one ("jo doe"@acme.com)
 * still yields its domain. Display names are not decoded: an address is never an encoded word.
 */
const ADDRESS = /[^\s<>()",;:[\]\\@]*@[^\s<>()",;:[\]\\@]+/g;

/** Who a raw mail's header section names, and whether that section ended inside `source`. */
export interface MailHeaderAddresses {
  /** Lower-cased addresses (or "@domain" for a local part that could not be read), each once. */
  addresses: string[];
  /**
   * False when `source` stops before the empty line that ends the headers: it was cut (a caller that read
   * only the start of the mail must read all of it to be sure nobody else is named).
   */
  headersEnded: boolean;
}

/**
 * The addresses in the From, To, Cc, Bcc, Reply-To and Sender headers (and their Resent-* forms) of a
 * raw RFC 5322 mail, every occurrence, read straight from the bytes: no MIME parsing, so it is cheap
 * enough to run over every quarantined mail and works on mail the full parser choked on.
 */
export function mailHeaderAddresses(source: Uint8Array): MailHeaderAddresses {
  const text = Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const found = new Set<string>();
  for (const line of head.split(/\r?\n/)) {
    const value = PEOPLE_HEADERS.exec(line)?.[2];
    if (!value) continue;
    for (const [a] of value.matchAll(ADDRESS)) found.add(a.toLowerCase().replace(/\.+$/, ''));
  }
  return { addresses: [...found], headersEnded: end >= 0 };
}
