import type { InboundEmail } from './email-message.ts';
import { emailDomain } from './normalize-company-name.ts';

/**
 * What a matching filter does with an email (Zammad's postmaster filters are the model):
 * - `skip`: not logged; counted under the rule's `reason` (default `filtered`).
 * - `log-quietly`: logged, classified, but never turned into a follow-up suggestion.
 * - `route`: logged; its suggestions go to `target` (a Target such as `slack:T1/C2`) instead of the
 *   mailbox's or the default channel.
 * - `log`: logged as usual and no later rule (shipped defaults included) looks at it: an exception
 *   for a customer whose mail carries, say, List-Unsubscribe.
 */
export type EmailFilterAction = 'skip' | 'log-quietly' | 'route' | 'log';

/** Which part of the email a rule reads. */
export type EmailFilterField = 'header' | 'sender' | 'domain' | 'subject';

/** One filter rule, as written in the RAPPORT_MAIL_FILTERS file. */
export interface EmailFilterRule {
  /** Shown in logs, metadata and counters; e.g. `spam: X-Spam-Status`. */
  name: string;
  field: EmailFilterField;
  /** Header name for `field: "header"` (any case). */
  header?: string;
  /**
   * Regular expression (case-insensitive) the value must match. For `header` a missing header never
   * matches; `.` therefore means "the header is present".
   */
  pattern: string;
  action: EmailFilterAction;
  /** For `route`: where suggestions go. */
  target?: string;
  /** For `skip`: the counted reason (`spam`, `bulk`, or your own word). Default `filtered`. */
  reason?: string;
}

/** A rule with its pattern compiled once. */
export interface CompiledEmailFilterRule extends EmailFilterRule {
  regex: RegExp;
}

/** The decision of the first matching rule. */
export interface EmailFilterMatch {
  rule: string;
  action: EmailFilterAction;
  reason?: string;
  target?: string;
}

const header = (name: string, pattern: string, reason: 'spam' | 'bulk', label = name): EmailFilterRule => ({
  name: `${reason}: ${label}`,
  field: 'header',
  header: name,
  pattern,
  action: 'skip',
  reason,
});

/**
 * Shipped rules, applied after the configured ones (RAPPORT_MAIL_FILTERS_DEFAULTS=false turns them off).
 * Spam: the verdicts servers already wrote (SpamAssassin's X-Spam-Flag/-Status/-Level at its default
 * threshold of 5, Exchange's spam confidence level 5-9, a failed DMARC check). Bulk: Precedence
 * bulk/junk, List-Unsubscribe (what every newsletter and campaign tool adds, RFC 2369/8058),
 * Feedback-ID and complaint headers that bulk senders register, and the campaign headers of the
 * common email service providers (Mailchimp, SendGrid, Mailgun campaigns, Constant Contact, ...).
 */
export const DEFAULT_EMAIL_FILTER_RULES: readonly EmailFilterRule[] = [
  header('x-spam-flag', '^\\s*yes\\b', 'spam', 'X-Spam-Flag'),
  header('x-spam-status', '^\\s*yes\\b', 'spam', 'X-Spam-Status'),
  header('x-spam-level', '\\*{5,}', 'spam', 'X-Spam-Level'),
  header('x-ms-exchange-organization-scl', '^\\s*[5-9]\\s*$', 'spam', 'X-MS-Exchange-Organization-SCL'),
  header('authentication-results', '\\bdmarc\\s*=\\s*fail\\b', 'spam', 'Authentication-Results dmarc=fail'),
  header('precedence', '^\\s*(bulk|junk)\\s*$', 'bulk', 'Precedence'),
  header('list-unsubscribe', '.', 'bulk', 'List-Unsubscribe'),
  header('feedback-id', '.', 'bulk', 'Feedback-ID'),
  header('x-feedback-id', '.', 'bulk', 'X-Feedback-ID'),
  header('x-csa-complaints', '.', 'bulk', 'X-CSA-Complaints'),
  header('x-mc-user', '.', 'bulk', 'X-MC-User (Mailchimp)'),
  header('x-mailchimp-campaign', '.', 'bulk', 'X-Mailchimp-Campaign'),
  header('x-sg-eid', '.', 'bulk', 'X-SG-EID (SendGrid)'),
  header('x-mailgun-campaign-id', '.', 'bulk', 'X-Mailgun-Campaign-Id'),
  header('x-campaign', '.', 'bulk', 'X-Campaign'),
  header('x-campaignid', '.', 'bulk', 'X-CampaignID'),
  header('x-roving-id', '.', 'bulk', 'X-Roving-Id (Constant Contact)'),
  header('x-listmember', '.', 'bulk', 'X-ListMember'),
  header(
    'x-mailer',
    '\\b(mailchimp|sendgrid|constant ?contact|campaign ?monitor|hubspot|marketo|sendinblue|brevo|klaviyo|phplist|mailjet|lyris|exacttarget|bulk ?mailer|mass ?mail)',
    'bulk',
    'X-Mailer of a bulk sender',
  ),
];

/**
 * Checks and compiles rules read from configuration.
 * @returns the compiled rules and one sentence per problem (the config reader refuses to start on any).
 */
export function compileEmailFilterRules(
  raw: unknown,
  where = 'RAPPORT_MAIL_FILTERS',
): { rules: CompiledEmailFilterRule[]; problems: string[] } {
  const problems: string[] = [];
  const rules: CompiledEmailFilterRule[] = [];
  if (!Array.isArray(raw)) {
    return {
      rules,
      problems: [
        `${where} must hold a JSON array of rules, e.g. [{"field":"domain","pattern":"^newsletter\\\\.example$","action":"skip"}].`,
      ],
    };
  }
  for (const [i, entry] of raw.entries()) {
    const compiled = compileRule(entry, `${where} rule ${i + 1}`, i);
    if (typeof compiled === 'string') problems.push(compiled);
    else rules.push(compiled);
  }
  return { rules, problems };
}

/** One rule compiled, or the sentence saying what is wrong with it. */
function compileRule(entry: unknown, at: string, i: number): CompiledEmailFilterRule | string {
  const r = entry as Partial<EmailFilterRule>;
  if (!r || typeof r !== 'object') return `${at} must be an object.`;
  if (!['header', 'sender', 'domain', 'subject'].includes(String(r.field)))
    return `${at}: "field" must be header, sender, domain or subject (got "${r.field}").`;
  if (r.field === 'header' && (typeof r.header !== 'string' || r.header.trim() === ''))
    return `${at}: a header rule needs "header", the header's name (e.g. "X-Spam-Status").`;
  if (!['skip', 'log-quietly', 'route', 'log'].includes(String(r.action)))
    return `${at}: "action" must be skip, log-quietly, route or log (got "${r.action}").`;
  if (r.action === 'route' && !/^(console|slack|teams):.+/.test(String(r.target ?? '')))
    return `${at}: a route rule needs "target" like slack:T123/C456, teams:<conversation id> or console:team.`;
  if (typeof r.pattern !== 'string') return `${at}: "pattern" must be a regular expression.`;
  let regex: RegExp;
  try {
    regex = new RegExp(r.pattern, 'i');
  } catch (err) {
    return `${at}: "pattern" is not a valid regular expression (${(err as Error).message}).`;
  }
  const name = typeof r.name === 'string' && r.name ? r.name : `rule ${i + 1}`;
  return { ...(r as EmailFilterRule), name, header: r.header?.toLowerCase(), regex };
}

/** The shipped rules, compiled. */
export const COMPILED_DEFAULT_EMAIL_FILTER_RULES: readonly CompiledEmailFilterRule[] =
  compileEmailFilterRules(DEFAULT_EMAIL_FILTER_RULES).rules;

/** The decision of the first rule that matches, or undefined when none does. */
export function matchEmailFilters(
  email: Pick<InboundEmail, 'headers' | 'from' | 'subject'>,
  rules: readonly CompiledEmailFilterRule[],
): EmailFilterMatch | undefined {
  for (const r of rules) {
    const value = fieldValue(email, r);
    if (value === undefined || !r.regex.test(value)) continue;
    return {
      rule: r.name,
      action: r.action,
      reason: r.action === 'skip' ? (r.reason ?? 'filtered') : undefined,
      target: r.target,
    };
  }
  return undefined;
}

function fieldValue(email: Pick<InboundEmail, 'headers' | 'from' | 'subject'>, r: EmailFilterRule): string | undefined {
  switch (r.field) {
    case 'header':
      return email.headers[r.header ?? ''];
    case 'sender':
      return email.from?.email;
    case 'domain':
      return email.from ? emailDomain(email.from.email) : undefined;
    case 'subject':
      return email.subject;
  }
}
