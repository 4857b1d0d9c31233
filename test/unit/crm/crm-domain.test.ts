import { describe, expect, it } from 'vitest';
import {
  domainForms,
  emailForms,
  normalizeCompanyName,
  normalizeDomain,
  normalizeEmail,
} from '../../../src/domain/normalize-company-name.ts';
import { editDistance, closestWords } from '../../../src/domain/edit-distance.ts';
import { tokenizeCommand, quoteArgument } from '../../../src/domain/tokenize-command.ts';
import { parseWhen, parseLeadingWhen } from '../../../src/domain/parse-when.ts';
import { parseCommand } from '../../../src/commands/parse-command.ts';
import { renderReplyText } from '../../../src/commands/render-reply-text.ts';

describe('normalizeCompanyName', () => {
  it.each([
    ['ACME Corp.', 'acme'],
    ['Acme, Inc.', 'acme'],
    ['acme llc', 'acme'],
    ['Müller GmbH & Co. KG', 'muller'],
    ['Globex S.A.', 'globex'],
    ['Initech B.V.', 'initech'],
    ['The Widget Company Ltd', 'widget'],
    ['Co', 'co'],
    ['Johnson & Johnson', 'johnson and johnson'],
    // Issue 18: Chinese legal forms and group words (simplified and traditional), German written out.
    ['华为技术有限公司', '华为技术'],
    ['比亚迪股份有限公司', '比亚迪'],
    ['阿里巴巴集团控股有限公司', '阿里巴巴'],
    ['小米科技有限责任公司', '小米科技'],
    ['台積電股份有限公司', '台積電'],
    ['西门子（中国）有限公司', '西门子'],
    ['中国平安保险（集团）股份有限公司', '中国平安保险'],
    ['腾讯公司', '腾讯'],
    ['有限公司', '有限公司'],
    ['中国银行', '中国银行'],
    ['ＡＣＭＥ有限公司', 'acme'],
    ['Siemens AG', 'siemens'],
    ['Siemens Aktiengesellschaft', 'siemens'],
    ['Bosch Gesellschaft mit beschränkter Haftung', 'bosch'],
    ['Henkel AG & Co. KGaA', 'henkel'],
  ])('%s -> %s', (input, expected) => expect(normalizeCompanyName(input)).toBe(expected));

  it('recognises emails and domains', () => {
    expect(normalizeEmail(' Jo@ACME.com ')).toBe('jo@acme.com');
    expect(normalizeEmail('acme')).toBeUndefined();
    expect(normalizeDomain('https://www.Acme.com/about')).toBe('acme.com');
    expect(normalizeDomain('Acme Ltd')).toBeUndefined();
  });

  it('gives an internationalized domain one form, Unicode, however it was written', () => {
    for (const typed of ['bücher.de', 'BÜCHER.de', 'xn--bcher-kva.de', 'https://www.bücher.de/kontakt'])
      expect(normalizeDomain(typed), typed).toBe('bücher.de');
    expect(normalizeDomain('пример.рф')).toBe('пример.рф');
    expect(normalizeDomain('xn--e1afmkfd.xn--p1ai')).toBe('пример.рф');
    expect(normalizeDomain('bü cher.de')).toBeUndefined();
    expect(normalizeDomain('192.168.1.20')).toBeUndefined();
    expect(normalizeEmail('Jo@XN--BCHER-KVA.de')).toBe('jo@bücher.de');
    expect(normalizeEmail('jo@[192.168.1.20]')).toBe('jo@[192.168.1.20]');
    expect(domainForms('bücher.de')).toEqual(['bücher.de', 'xn--bcher-kva.de']);
    expect(domainForms('acme.com')).toEqual(['acme.com']);
    expect(emailForms('jo@bücher.de')).toEqual(['jo@bücher.de', 'jo@xn--bcher-kva.de']);
  });
});

describe('editDistance', () => {
  it('counts substitutions, insertions and transpositions', () => {
    expect(editDistance('acme', 'acme')).toBe(0);
    expect(editDistance('acme', 'amce')).toBe(1);
    expect(editDistance('globex', 'glbex')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('kitten', 'sitting', 1)).toBe(2);
    expect(closestWords('lgo', ['log', 'lookup', 'link'])).toEqual(['log']);
  });
});

describe('tokenizeCommand', () => {
  it('groups straight, single and smart quotes and keeps apostrophes inside words', () => {
    const values = (s: string) => tokenizeCommand(s).map((t) => [t.value, t.quoted]);
    expect(values('log "Acme Ltd" "Called Jo"')).toEqual([
      ['log', false],
      ['Acme Ltd', true],
      ['Called Jo', true],
    ]);
    expect(values("log 'Acme Ltd' hi")).toEqual([
      ['log', false],
      ['Acme Ltd', true],
      ['hi', false],
    ]);
    expect(values('log “Acme Ltd” hi')).toEqual([
      ['log', false],
      ['Acme Ltd', true],
      ['hi', false],
    ]);
    expect(values("log O'Brien called")).toEqual([
      ['log', false],
      ["O'Brien", false],
      ['called', false],
    ]);
    expect(values('log "unclosed quote')).toEqual([
      ['log', false],
      ['"unclosed', false],
      ['quote', false],
    ]);
  });
  it('groups Chinese corner brackets and full-width quotes, with or without spaces around brackets', () => {
    const values = (s: string) => tokenizeCommand(s).map((t) => [t.value, t.quoted]);
    expect(values('log 华为 「客户说 价格太高」')).toEqual([
      ['log', false],
      ['华为', false],
      ['客户说 价格太高', true],
    ]);
    expect(values('log 华为『报价』 --via call')).toEqual([
      ['log', false],
      ['华为', false],
      ['报价', true],
      ['--via', false],
      ['call', false],
    ]);
    expect(values('log ＂华为 技术＂ “下周 再谈” ‘好的’')).toEqual([
      ['log', false],
      ['华为 技术', true],
      ['下周 再谈', true],
      ['好的', true],
    ]);
    expect(values('remind\u3000华为\u3000下周二')).toEqual([
      ['remind', false],
      ['华为', false],
      ['下周二', false],
    ]);
    expect(values('log 华为「没有结束')).toEqual([
      ['log', false],
      ['华为「没有结束', false],
    ]);
  });
  it('quoteArgument round-trips through the tokenizer', () => {
    for (const v of ['Acme Ltd', 'say "hi" now', 'plain', "it's", '华为 技术', '「报价」', '说“好”']) {
      expect(tokenizeCommand(quoteArgument(v))[0].value).toBe(v);
    }
  });
});

describe('parseCommand', () => {
  it('reads quoted and unquoted log forms and flags', () => {
    const quoted = parseCommand('log "Acme Ltd" "Called Jo" --via call --follow-up next tuesday 10am');
    expect(quoted).toMatchObject({
      kind: 'log',
      via: 'call',
      followUp: 'next tuesday 10am',
      createNew: false,
      customer: { quoted: true, splits: [{ customer: 'Acme Ltd', rest: 'Called Jo' }] },
    });
    const unquoted = parseCommand('log acme Called Jo, wants a quote');
    expect(unquoted.kind === 'log' && unquoted.customer.splits.at(-1)).toEqual({
      customer: 'acme',
      rest: 'Called Jo, wants a quote',
    });
    expect(unquoted.kind === 'log' && unquoted.customer.splits[0].customer).toBe('acme Called Jo, wants');
  });
  it('rejects bad arguments with usage', () => {
    expect(() => parseCommand('log acme')).toThrow(/Usage: log/);
    expect(() => parseCommand('log acme hi --via pigeon')).toThrow(/--via must be one of/);
    expect(() => parseCommand('done x')).toThrow(/not a follow-up number/);
    expect(() => parseCommand('log acme hi --bogus')).toThrow(/Unknown option "--bogus"/);
  });
  it('knows aliases, scopes and unknown words', () => {
    expect(parseCommand('find jo@acme.com')).toEqual({ kind: 'lookup', query: 'jo@acme.com' });
    expect(parseCommand('followups overdue')).toEqual({ kind: 'followups', scope: 'overdue' });
    expect(parseCommand('followups 明天')).toEqual({ kind: 'followups', scope: 'tomorrow' });
    expect(parseCommand('followups 下週')).toEqual({ kind: 'followups', scope: 'next-week' });
    expect(parseCommand('followups 逾期')).toEqual({ kind: 'followups', scope: 'overdue' });
    expect(parseCommand('followups 华为')).toEqual({ kind: 'followups', scope: 'customer', customer: '华为' });
    expect(parseCommand('remind 华为 下周二发报价')).toMatchObject({
      kind: 'remind',
      customer: { splits: [{ customer: '华为', rest: '下周二发报价' }] },
    });
    expect(() => parseCommand('remind acme tomorrow')).toThrow(/Usage: remind/);
    expect(parseCommand('followups Acme Ltd')).toEqual({ kind: 'followups', scope: 'customer', customer: 'Acme Ltd' });
    expect(parseCommand('/crm snooze #4 tomorrow 9am')).toEqual({ kind: 'snooze', number: 4, when: 'tomorrow 9am' });
    expect(parseCommand('export "Acme Ltd" csv')).toEqual({ kind: 'export', customer: 'Acme Ltd', format: 'csv' });
    expect(parseCommand('forget acme --confirm abc')).toEqual({
      kind: 'forget',
      customer: 'acme',
      confirmToken: 'abc',
    });
    expect(parseCommand('lgo acme hi')).toEqual({ kind: 'unknown', word: 'lgo' });
  });
  it('parses senders and make customer, with the addresses Slack escapes in slash commands', () => {
    expect(parseCommand('senders')).toEqual({ kind: 'senders' });
    expect(parseCommand('senders page 3')).toEqual({ kind: 'senders', page: 3 });
    expect(parseCommand('senders page 1')).toEqual({ kind: 'senders' });
    expect(() => parseCommand('senders acme')).toThrow(/Usage: senders/);
    expect(() => parseCommand('senders page zero')).toThrow(/"zero" is not a page number/);
    expect(parseCommand('make customer acme.com')).toEqual({ kind: 'make-customer', key: 'acme.com' });
    expect(parseCommand('make-customer jo@gmail.com --name "Jo\'s Bakery"')).toEqual({
      kind: 'make-customer',
      key: 'jo@gmail.com',
      name: "Jo's Bakery",
    });
    // Typed as a link (Slack's links are read in the connector: slack-text.test.ts).
    expect(parseCommand('make customer mailto:jo@gmail.com')).toEqual({ kind: 'make-customer', key: 'jo@gmail.com' });
    expect(parseCommand('make customer https://acme.com/pricing')).toEqual({ kind: 'make-customer', key: 'acme.com' });
    expect(() => parseCommand('make acme.com')).toThrow(/Usage: make customer <domain or email>/);
    expect(() => parseCommand('make customer')).toThrow(/Usage: make customer/);
    expect(() => parseCommand('make customer acme.com beta.com')).toThrow(/Usage: make customer/);
    expect(() => parseCommand('make customer acme.com --name')).toThrow(/Usage: make customer/);
  });
  it('parses due, the command behind the "Change due" button', () => {
    expect(parseCommand('due 12 friday 14:00')).toEqual({ kind: 'due', number: 12, when: 'friday 14:00' });
    expect(parseCommand('/crm due #7 in 3 days')).toEqual({ kind: 'due', number: 7, when: 'in 3 days' });
    // The button sends "due N" and the rep's input is appended; without it there is no date to use.
    expect(() => parseCommand('due 12')).toThrow(/Usage: due <follow-up #> <when>/);
    expect(() => parseCommand('due soon friday')).toThrow(/"soon" is not a follow-up number/);
  });
});

describe('parseWhen in the rep timezone', () => {
  // Thursday 5 March 2026, 15:00 UTC = 10:00 in New York (EST), Friday 00:00 in Tokyo.
  const now = new Date('2026-03-05T15:00:00Z');
  it('New York', () => {
    expect(parseWhen('tomorrow 9am', now, 'America/New_York').toISOString()).toBe('2026-03-06T14:00:00.000Z');
    expect(parseWhen('friday', now, 'America/New_York').toISOString()).toBe('2026-03-06T14:00:00.000Z');
    expect(parseWhen('in 3 days', now, 'America/New_York').toISOString()).toBe('2026-03-08T13:00:00.000Z'); // 9:00 EDT after the DST switch
    expect(parseWhen('in 2 hours', now, 'America/New_York').toISOString()).toBe('2026-03-05T17:00:00.000Z');
  });
  it('Tokyo', () => {
    // In Tokyo it is already Friday 00:00, so "tomorrow" is Saturday and "friday" is today 9:00.
    expect(parseWhen('tomorrow 9am', now, 'Asia/Tokyo').toISOString()).toBe('2026-03-07T00:00:00.000Z');
    expect(parseWhen('friday', now, 'Asia/Tokyo').toISOString()).toBe('2026-03-06T00:00:00.000Z');
    expect(parseWhen('next tuesday 14:00', now, 'Asia/Tokyo').toISOString()).toBe('2026-03-10T05:00:00.000Z');
  });
  it('keeps wall-clock time across the DST change (US springs forward on 8 March 2026)', () => {
    // Said on Saturday 7 March at 10:00 EST (UTC-5); Monday 9:00 is EDT (UTC-4).
    const saturday = new Date('2026-03-07T15:00:00Z');
    expect(parseWhen('monday 9am', saturday, 'America/New_York').toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(parseWhen('tomorrow 9am', saturday, 'America/New_York').toISOString()).toBe('2026-03-08T13:00:00.000Z');
  });
  it('friday said on a Friday afternoon is next Friday', () => {
    const fridayAfternoon = new Date('2026-03-06T20:00:00Z'); // 15:00 EST
    expect(parseWhen('friday', fridayAfternoon, 'America/New_York').toISOString()).toBe('2026-03-13T13:00:00.000Z');
  });
  it('rejects past and unreadable dates with examples', () => {
    expect(() => parseWhen('yesterday', now, 'America/New_York')).toThrow(/in the past.*tomorrow 9am/);
    expect(() => parseWhen('whenever', now, 'America/New_York')).toThrow(/could not read "whenever".*tomorrow 9am/);
    expect(parseWhen('yesterday 3pm', now, 'America/New_York', { allowPast: true }).toISOString()).toBe(
      '2026-03-04T20:00:00.000Z',
    );
  });
  it('splits a leading date from the text after it', () => {
    expect(parseLeadingWhen('tomorrow 9:00 send the quote', now, 'Asia/Tokyo')).toMatchObject({
      matched: 'tomorrow 9:00',
      rest: 'send the quote',
    });
    expect(parseLeadingWhen('send the quote friday', now, 'Asia/Tokyo')).toBeUndefined();
  });
});

describe('renderReplyText', () => {
  it('shows buttons as the commands they run', () => {
    const text = renderReplyText({
      tone: 'success',
      title: 'Done',
      text: 'ok',
      sections: [
        {
          title: '#1 Call',
          buttons: [
            { label: 'Done', command: 'done 1' },
            { label: 'Snooze', command: 'snooze 1', choices: [{ label: '1 h', command: 'snooze 1 in 1 hour' }] },
          ],
        },
      ],
    });
    expect(text).toContain('✓ Done');
    expect(text).toContain('[Done → done 1]');
    expect(text).toContain('1 h → snooze 1 in 1 hour');
  });
});
