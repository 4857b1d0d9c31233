/**
 * Reply and forward prefixes in the languages support inboxes see most: Re, Fwd/Fw, AW/WG (German),
 * SV/VS (Nordic), RIF/R (Italian), TR (French), RES/ENC (Portuguese), Antw (Dutch), Odp (Polish),
 * with an optional counter as Outlook and Lotus write it ("RE[2]:", "Re^3:").
 */
const PREFIX =
  /^\s*(?:re|fwd?|aw|wg|sv|vs|antw|rif|r|tr|res|enc|odp|ynt|vb|回复|转发|答复)\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*[:：]\s*/i;
/** Mailing-list and ticket tags that some systems put before the subject: "[support] Re: ...". */
const TAG = /^\s*\[[^\]]{1,40}\]\s*/;

/**
 * The subject with reply/forward prefixes, list tags and whitespace differences removed, lower case:
 * "RE[2]: AW: [acme] Invoice  #42" and "Invoice #42" both become "invoice #42". Used only as a
 * threading fallback when headers do not link messages.
 */
export function normalizeEmailSubject(subject: string | undefined): string {
  let s = (subject ?? '').normalize('NFKC');
  for (let i = 0; i < 20; i++) {
    const next = s.replace(PREFIX, '').replace(TAG, '');
    if (next === s) break;
    s = next;
  }
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Whether a subject says it answers or forwards something ("Re: …", "[acme] AW: …"). Two messages that
 * both lack such a prefix are two conversations even with one subject (a feed's daily "News", a
 * customer's second "Invoice #42"): the subject fallback joins a pair only when one of them has it.
 */
export function isReplySubject(subject: string | null | undefined): boolean {
  let s = (subject ?? '').normalize('NFKC');
  for (let i = 0; i < 20 && TAG.test(s); i++) s = s.replace(TAG, '');
  return PREFIX.test(s);
}

/** Subjects too generic to thread on: joining every "hello" of a customer would merge unrelated conversations. */
const GENERIC = new Set([
  '',
  'hi',
  'hello',
  'hallo',
  'question',
  'help',
  'test',
  'no subject',
  '(no subject)',
  'request',
  'info',
  'fyi',
]);

/** Whether a normalized subject says enough to join messages by it. */
export function isThreadableSubject(normalized: string): boolean {
  return !GENERIC.has(normalized) && normalized.length >= 3;
}

/**
 * Whether an email may join a thread by subject at all. Not list or bulk mail (List-Id, List-Post,
 * Mailing-List as ezmlm and Yahoo Groups write it, List-Unsubscribe, Precedence: list/bulk): a list
 * subject is a many-party discussion with branches, where one participant's posts usually answer
 * different people, and a newsletter repeats its subject without being a conversation. Measured on
 * the SpamAssassin corpus (bench:imap with In-Reply-To/References stripped): list posts joined by
 * author and subject were in the same header thread in 41% of pairs.
 */
export function mayThreadBySubject(email: { headers: Record<string, string> }): boolean {
  const h = email.headers;
  const precedence = (h.precedence ?? '').trim().toLowerCase();
  return (
    h['list-id'] === undefined &&
    h['list-post'] === undefined &&
    h['mailing-list'] === undefined &&
    h['list-unsubscribe'] === undefined &&
    precedence !== 'list' &&
    precedence !== 'bulk'
  );
}
