import { describe, expect, it } from 'vitest';
import {
  COMPILED_DEFAULT_EMAIL_FILTER_RULES,
  compileEmailFilterRules,
  matchEmailFilters,
} from '../../../src/domain/email-filter-rules.ts';
import { isCompanyDomain, isFreeMailDomain } from '../../../src/domain/email-participants.ts';

const email = (headers: Record<string, string>, from = 'jo@acme.com', subject = 'Hello') => ({
  headers,
  from: { email: from, name: '' },
  subject,
});

describe('shipped spam and bulk rules', () => {
  it.each([
    [{ 'x-spam-flag': 'YES' }, 'spam'],
    [{ 'x-spam-status': 'Yes, score=7.1 required=5.0 tests=...' }, 'spam'],
    [{ 'x-spam-level': '*******' }, 'spam'],
    [{ 'x-ms-exchange-organization-scl': '6' }, 'spam'],
    [
      { 'authentication-results': 'mx.example; spf=pass; dkim=none; dmarc=fail (p=reject) header.from=bank.com' },
      'spam',
    ],
    [{ precedence: 'bulk' }, 'bulk'],
    [{ precedence: 'junk' }, 'bulk'],
    [{ 'list-unsubscribe': '<mailto:unsub@news.example>' }, 'bulk'],
    [{ 'feedback-id': '123:campaign:esp' }, 'bulk'],
    [{ 'x-sg-eid': 'abc' }, 'bulk'],
    [{ 'x-mc-user': 'abc' }, 'bulk'],
    [{ 'x-mailer': 'MailChimp Mailer - **CID123**' }, 'bulk'],
  ])('%o is skipped as %s', (headers, reason) => {
    const m = matchEmailFilters(email(headers), COMPILED_DEFAULT_EMAIL_FILTER_RULES);
    expect(m?.action).toBe('skip');
    expect(m?.reason).toBe(reason);
  });
  it.each([
    [{ 'x-spam-flag': 'NO' }],
    [{ 'x-spam-status': 'No, score=1.2 required=5.0' }],
    [{ 'x-spam-level': '**' }],
    [{ 'x-ms-exchange-organization-scl': '-1' }],
    [{ 'x-ms-exchange-organization-scl': '1' }],
    [{ 'authentication-results': 'mx.example; spf=pass; dkim=pass; dmarc=pass' }],
    [{ 'x-mailer': 'Microsoft Outlook 16.0' }],
    [{}],
  ])('%o is a person writing: logged', (headers) => {
    expect(matchEmailFilters(email(headers), COMPILED_DEFAULT_EMAIL_FILTER_RULES)).toBeUndefined();
  });
});

describe('configured rules', () => {
  it('match header, sender, domain and subject with the four actions', () => {
    const { rules, problems } = compileEmailFilterRules([
      { field: 'domain', pattern: '^partner\\.example$', action: 'log' },
      { name: 'billing', field: 'subject', pattern: 'invoice', action: 'route', target: 'slack:T1/CBILL' },
      { field: 'sender', pattern: '^noreply@', action: 'skip', reason: 'noreply' },
      { field: 'header', header: 'X-Ticket-System', pattern: '.', action: 'log-quietly' },
    ]);
    expect(problems).toEqual([]);
    expect(matchEmailFilters(email({}, 'a@partner.example', 'invoice'), rules)).toMatchObject({ action: 'log' });
    expect(matchEmailFilters(email({}, 'a@acme.com', 'Your Invoice 42'), rules)).toMatchObject({
      rule: 'billing',
      action: 'route',
      target: 'slack:T1/CBILL',
    });
    expect(matchEmailFilters(email({}, 'noreply@acme.com'), rules)).toMatchObject({
      action: 'skip',
      reason: 'noreply',
    });
    expect(matchEmailFilters(email({ 'x-ticket-system': 'otrs' }), rules)).toMatchObject({ action: 'log-quietly' });
    expect(matchEmailFilters(email({}), rules)).toBeUndefined();
  });
  it('refuses bad rules with a sentence each', () => {
    const { problems } = compileEmailFilterRules([
      { field: 'body', pattern: 'x', action: 'skip' },
      { field: 'header', pattern: 'x', action: 'skip' },
      { field: 'subject', pattern: '(', action: 'skip' },
      { field: 'subject', pattern: 'x', action: 'route' },
      { field: 'subject', pattern: 'x', action: 'delete' },
    ]);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/field/);
    expect(problems[1]).toMatch(/needs "header"/);
    expect(problems[2]).toMatch(/not a valid regular expression/);
    expect(problems[3]).toMatch(/target/);
    expect(problems[4]).toMatch(/action/);
    expect(compileEmailFilterRules({}).problems[0]).toMatch(/JSON array/);
  });
});

describe('which domains may be companies', () => {
  it('free-mail and ISP domains come from the email-providers package', () => {
    for (const d of [
      'excite.com',
      'netscape.net',
      'lycos.com',
      'email.com',
      'comcast.net',
      'earthlink.net',
      'juno.com',
    ])
      expect(isFreeMailDomain(d), d).toBe(true);
    expect(isFreeMailDomain('acme-corp.com')).toBe(false);
  });
  it('IP literals, free mail and non-names never become companies', () => {
    expect(isCompanyDomain('[192.168.1.20]')).toBe(false);
    expect(isCompanyDomain('192.168.1.20')).toBe(false);
    expect(isCompanyDomain('[ipv6:2001:db8::1]')).toBe(false);
    expect(isCompanyDomain('localhost')).toBe(false);
    expect(isCompanyDomain('gmail.com')).toBe(false);
    expect(isCompanyDomain('acme-corp.co.uk')).toBe(true);
    expect(isCompanyDomain('müller-bau.de')).toBe(true);
  });
});
