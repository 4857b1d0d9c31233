import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMbox } from '../../../connectors/imap/mbox-reader.ts';
import { emailSides, companyNameFromDomain, isFreeMailDomain } from '../../../src/domain/email-participants.ts';
import { stripQuotedReply } from '../../../src/domain/email-reply-stripper.ts';
import { headerSkipReason } from '../../../src/domain/email-skip-rules.ts';
import { isReplySubject, normalizeEmailSubject, isThreadableSubject } from '../../../src/domain/email-subject.ts';
import { parseMessageIdList, threadingKeys } from '../../../src/domain/email-threading.ts';

describe('stripQuotedReply', () => {
  it.each([
    ['Thanks, works now.\n\nOn Tue, 4 Mar 2025 at 10:00, Support <s@x.com> wrote:\n> Try again', 'Thanks, works now.'],
    [
      'Yes please.\n\nOn Tue, 4 Mar 2025 at 10:00, Support Team <support@example.com>\nwrote:\n> Shall we?',
      'Yes please.',
    ],
    ['Sounds good\n-----Original Message-----\nFrom: A\nSent: Monday\nhello', 'Sounds good'],
    [
      'See below\n\nFrom: Jo Doe <jo@x.com>\nSent: Monday, 3 March 2025 10:00\nTo: support\nSubject: hi\n\nold',
      'See below',
    ],
    [
      'Am 03.03.2025 um 10:00 schrieb Jo Doe <jo@x.de>:\n> alt',
      'Am 03.03.2025 um 10:00 schrieb Jo Doe <jo@x.de>:\n> alt',
    ],
    ['Neu.\n\nAm 03.03.2025 um 10:00 schrieb Jo Doe <jo@x.de>:\n> alt', 'Neu.'],
    ['Call me.\n-- \nJo Doe\nACME', 'Call me.'],
    ['Ok!\n\nSent from my iPhone', 'Ok!'],
    ['> question 1\nanswer 1\n> question 2\nanswer 2', 'answer 1\nanswer 2'],
    ['From: the start of our contract we agreed on net 30.', 'From: the start of our contract we agreed on net 30.'],
  ])('%#: strips quotes and signatures', (input, expected) => {
    expect(stripQuotedReply(input)).toBe(expected);
  });

  it('keeps the answer after 20,000 quoted lines and drops the trailing quote, in one pass', () => {
    // Checking the rest of the mail at every ">" line held the sync thread 8 s for this mail.
    const quoted = Array.from({ length: 20_000 }, (_, i) => `> question ${i}`);
    const mail = ['Short answer first.', ...quoted, 'And the last answer.', '> the end of the quote'].join('\n');
    expect(stripQuotedReply(mail)).toBe('Short answer first.\nAnd the last answer.');
  });
});

describe('isReplySubject', () => {
  it('sees reply and forward prefixes, after list tags too, and nothing else', () => {
    for (const s of [
      'Re: Invoice',
      'RE[2]: Invoice',
      'AW: Re: x',
      '[acme] Re: Invoice',
      'Fwd: x',
      '回复：报价',
      'sv: x',
    ])
      expect(isReplySubject(s), s).toBe(true);
    for (const s of ['Invoice #42', 'Regarding the invoice', 'News for 2002-09-01', '', 'Review: Q3', '[acme] Invoice'])
      expect(isReplySubject(s), s).toBe(false);
    expect(isReplySubject(null)).toBe(false);
  });
});

describe('normalizeEmailSubject', () => {
  it('removes reply/forward prefixes in several languages, counters and list tags', () => {
    for (const s of [
      'Re: Invoice 42',
      'RE[2]: AW: Invoice 42',
      'Fwd: SV: [acme] Invoice  42',
      'Re^3: WG: invoice 42',
      'TR: RE: Invoice 42',
    ]) {
      expect(normalizeEmailSubject(s)).toBe('invoice 42');
    }
    expect(isThreadableSubject(normalizeEmailSubject('Re: Hello'))).toBe(false);
  });
});

describe('headerSkipReason', () => {
  const base = { from: { email: 'jo@acme.com', name: '' }, contentType: 'text/plain' };
  it.each([
    [{ 'auto-submitted': 'auto-replied' }, 'auto-reply'],
    [{ 'auto-submitted': 'no' }, undefined],
    [{ precedence: 'auto_reply' }, 'auto-reply'],
    [{ 'x-autorespond': 'x' }, 'auto-reply'],
    [{ 'list-id': '<a.b>' }, 'mailing-list'],
  ])('%o -> %s', (headers, reason) => {
    expect(headerSkipReason({ ...base, headers: headers as Record<string, string> })).toBe(reason);
  });
  it('keeps list mail when IMAP_SKIP_LISTS=false and skips bounces by sender or DSN', () => {
    expect(headerSkipReason({ ...base, headers: { 'list-id': '<a.b>' } }, { skipLists: false })).toBeUndefined();
    expect(headerSkipReason({ ...base, from: { email: 'postmaster@x.com', name: '' }, headers: {} })).toBe('bounce');
    expect(
      headerSkipReason({ ...base, contentType: 'multipart/report; report-type=delivery-status', headers: {} }),
    ).toBe('bounce');
  });
});

describe('threading and participants', () => {
  it('takes the oldest Reference as root and In-Reply-To as nearest parent', () => {
    const k = threadingKeys({
      messageId: 'c@x',
      inReplyTo: 'b@x',
      references: ['a@x', 'b@x'],
      from: undefined,
      to: [],
      sentAt: new Date(0),
      subject: '',
    });
    expect(k).toEqual({ rootId: 'a@x', parents: ['b@x', 'a@x'] });
    expect(parseMessageIdList('<a@x>\r\n <b@x>')).toEqual(['a@x', 'b@x']);
  });
  it('takes only bracketed tokens that look like Message-IDs', () => {
    expect(parseMessageIdList('Your message of "Tue, 13 Aug 2002 10:00:00 +0200"')).toEqual([]);
    expect(parseMessageIdList('<Your>')).toEqual([]);
    expect(parseMessageIdList('abc123@host.example')).toEqual([]);
    expect(
      parseMessageIdList(
        'Message from Claw <claw@kanga.nu> of "Fri, 16 Aug 2002 10:00:00" <3D5D4A2B.5070303@kanga.nu>',
      ),
    ).toEqual(['3D5D4A2B.5070303@kanga.nu']);
    expect(parseMessageIdList('<claw@kanga.nu>', new Set(['claw@kanga.nu']))).toEqual([]);
    expect(parseMessageIdList('<CAH1=abc@mail.gmail.com> <a@b@c>')).toEqual(['CAH1=abc@mail.gmail.com']);
  });
  it("keeps the ids of the free-text forms and drops only the sender's mailbox (SpamAssassin corpus)", () => {
    // A mailbox with digits after "from": before, it became the thread key and the id was ignored.
    expect(
      parseMessageIdList(
        'Message from Chris Garrigues <cwg-dated-1030982822.b8ff65@DeepEddy.Com> of "Wed, 28 Aug 2002 11:07:01 CDT." <1030550822.18045.TMDA@deepeddy.vircio.com>',
      ),
    ).toEqual(['1030550822.18045.TMDA@deepeddy.vircio.com']);
    // An unbracketed sender: "from" is followed by "of <date>", so the token is the id.
    expect(
      parseMessageIdList(
        'Message from Valdis.Kletnieks@vt.edu of "Mon, 26 Aug 2002" <200208261822.g7QI@turing-police.cc.vt.edu>',
      ),
    ).toEqual(['200208261822.g7QI@turing-police.cc.vt.edu']);
    // Outlook's ids read like words joined by a dot, but no name runs to 28 letters.
    expect(
      parseMessageIdList(
        'Message from "zeek" <zeek@sparklehouse.com> of "Tue, 03 Sep 2002." <FMEDICOOPIIAHELGINPCCEFACGAA.zeek@sparklehouse.com>',
      ),
    ).toEqual(['FMEDICOOPIIAHELGINPCCEFACGAA.zeek@sparklehouse.com']);
    expect(
      parseMessageIdList('<NAEOJLMPJMJDFPLHIOJOGEHBDBAA.bmord@icon-nicholson.com> from "Ben Mord" at Sep 05'),
    ).toEqual(['NAEOJLMPJMJDFPLHIOJOGEHBDBAA.bmord@icon-nicholson.com']);
    // exmh names two ids; the sender before them is dropped, and a name with 's is a sender too.
    expect(
      parseMessageIdList(
        'Message from Rick <baartman@lin12.triumf.ca> of Mon, 09 Sep 2002 <2002.EBB3DB1@whatexit.org> <2002.g89J@lin12.triumf.ca>',
      ),
    ).toEqual(['2002.EBB3DB1@whatexit.org', '2002.g89J@lin12.triumf.ca']);
    expect(parseMessageIdList(`Jo Doe <jo42@initech.com>'s message of "Mon, 1 Jan 2024"`)).toEqual([]);
  });
  it('takes every id In-Reply-To names as a parent', () => {
    const k = threadingKeys({
      messageId: 'c@x',
      inReplyTo: 'a@x',
      inReplyToIds: ['a@x', 'b@x'],
      references: [],
      from: undefined,
      to: [],
      sentAt: new Date(0),
      subject: '',
    });
    expect(k).toEqual({ rootId: 'a@x', parents: ['a@x', 'b@x'] });
  });
  it('marks mail from internal domains outbound and never treats free-mail as a company', () => {
    const sides = emailSides(
      {
        from: { email: 'rep@us.com', name: '' },
        to: [
          { email: 'jo@gmail.com', name: '' },
          { email: 'al@us.com', name: '' },
        ],
        cc: [],
      },
      ['us.com'],
    );
    expect(sides).toEqual({ direction: 'outbound', customers: [{ email: 'jo@gmail.com', name: '' }] });
    expect(isFreeMailDomain('gmx.at')).toBe(true);
    expect(isFreeMailDomain('acme.com')).toBe(false);
    expect(companyNameFromDomain('acme-tools.co.uk')).toBe('Acme Tools');
  });
});

describe('readMbox', () => {
  it('splits on "From " lines after a blank line and unescapes >From', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mbox-'));
    const file = join(dir, 'a.mbox');
    await writeFile(
      file,
      'From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nhello\n>From here on\n\nFrom b@x Mon Jan  1 00:00:00 2024\nSubject: two\n\nbye\n',
    );
    const msgs: string[] = [];
    for await (const m of readMbox(file)) msgs.push(m.toString());
    expect(msgs).toEqual(['Subject: one\n\nhello\nFrom here on\n', 'Subject: two\n\nbye\n']);
  });
});
