import type { InboundEmail } from './email-message.ts';

/** Why an email is not logged. Each reason is counted (metric and per-mailbox counter). */
export type EmailSkipReason =
  | 'auto-reply'
  | 'bounce'
  | 'mailing-list'
  | 'spam'
  | 'bulk'
  | 'filtered'
  | 'tombstoned'
  | 'internal-only'
  | 'no-sender'
  | 'unparseable';

export const EMAIL_SKIP_REASONS: EmailSkipReason[] = [
  'auto-reply',
  'bounce',
  'mailing-list',
  'spam',
  'bulk',
  'filtered',
  'tombstoned',
  'internal-only',
  'no-sender',
  'unparseable',
];

export interface SkipRuleOptions {
  /** Skip mail with a List-Id header. Default true (IMAP_SKIP_LISTS). */
  skipLists?: boolean;
}

/**
 * The fixed header-only skip rules, in order: bounce (mailer-daemon/postmaster sender or a
 * multipart/report delivery status), auto-reply (Auto-Submitted other than "no", X-Autoreply,
 * X-Autorespond, Precedence: auto_reply), mailing list (List-Id). Returns undefined for mail that
 * should be logged. Spam and bulk verdicts are filter rules (email-filter-rules.ts) so that a
 * configured rule can make an exception; tombstones need the database and are checked by the service.
 */
export function headerSkipReason(
  email: Pick<InboundEmail, 'headers' | 'from' | 'contentType'>,
  opts: SkipRuleOptions = {},
): EmailSkipReason | undefined {
  const h = email.headers;
  const local = email.from?.email.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster)$/i.test(local)) return 'bounce';
  if (
    /^multipart\/report\b/i.test(email.contentType) &&
    /report-type\s*=\s*"?(delivery-status|disposition-notification)/i.test(email.contentType)
  )
    return 'bounce';
  const autoSubmitted = (h['auto-submitted'] ?? '').trim().toLowerCase();
  if (autoSubmitted !== '' && autoSubmitted !== 'no') return 'auto-reply';
  if (h['x-autoreply'] !== undefined || h['x-autorespond'] !== undefined || h['x-autoreply-from'] !== undefined)
    return 'auto-reply';
  const precedence = (h.precedence ?? '').trim().toLowerCase();
  if (precedence === 'auto_reply') return 'auto-reply';
  // Lists send "Precedence: bulk" and List-Unsubscribe too: List-Id decides first (the bulk rules are
  // not applied to list mail kept by IMAP_SKIP_LISTS=false).
  if (h['list-id'] !== undefined || precedence === 'list') return (opts.skipLists ?? true) ? 'mailing-list' : undefined;
  if (!email.from) return 'no-sender';
  return undefined;
}
