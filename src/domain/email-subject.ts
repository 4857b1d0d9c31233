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
