import { describe, expect, it } from 'vitest';
import { addressDomains, mailAddressIndex } from '../../../src/domain/mail-address-index.ts';
import { mailHeaderAddresses } from '../../../src/domain/mail-header-addresses.ts';
import { namesErasedAddress } from '../../../src/services/erase-quarantined-mail.service.ts';

const raw = (lines: string[], eol = '\r\n') => Buffer.from(lines.join(eol));

describe('mailHeaderAddresses', () => {
  it('reads every people header, folded, repeated or grouped, and nothing from the body', () => {
    const read = mailHeaderAddresses(
      raw([
        'From: "Svanstrom, Jonas" <Jonas@Pathname.com>',
        'To: ann@acme.com,',
        '\tBob <bob@acme.com>',
        'To: second-to@acme.com',
        'Cc: Team: eva@beta.io, "odd name"@gamma.io;',
        'Reply-To: billing@eu.pathname.com.',
        'Sender: list@lists.example (the list)',
        'Subject: mail for zed@subject.example',
        '',
        'From: body@body.example',
      ]),
    );
    expect(read.headersEnded).toBe(true);
    expect(read.addresses.sort()).toEqual(
      [
        'jonas@pathname.com',
        'ann@acme.com',
        'bob@acme.com',
        'second-to@acme.com',
        'eva@beta.io',
        '@gamma.io',
        'billing@eu.pathname.com',
        'list@lists.example',
      ].sort(),
    );
  });

  it('reads what the address pattern read, with a NUL or other control character as a separator', () => {
    // The pattern the reader used before (linear now, the same addresses).
    const PATTERN = /[^\s<>()",;:[\]\\@]*@[^\s<>()",;:[\]\\@]+/g;
    const before = (value: string) => [
      ...new Set([...value.matchAll(PATTERN)].map(([a]) => a.toLowerCase().replace(/\.+$/, ''))),
    ];
    for (const value of [
      'Jo <JO@Acme.COM>, "x"@b.example',
      'jo@a@b, @c, d@@e, f@.',
      'a@b.example..., ..@.., plain words',
      'odd@[192.168.1.20] (comment@inside.example)',
    ])
      expect(mailHeaderAddresses(raw([`From: ${value}`, '', 'body'])).addresses).toEqual(before(value));
    // PostgreSQL text refuses NUL: an address never carries one (its quarantine row could not be written).
    const nul = mailHeaderAddresses(raw(['From: jo\u0000x@acme.com, ann@b\u0001c.example', '', 'body']));
    expect(nul.addresses).toEqual(['x@acme.com', 'ann@b']);
    expect([...nul.addresses.join('')].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });

  it('says when the header section was cut off, with bare LF line ends too', () => {
    expect(mailHeaderAddresses(raw(['From: a@b.com', 'To: c@d.com'], '\n'))).toEqual({
      addresses: ['a@b.com', 'c@d.com'],
      headersEnded: false,
    });
    expect(mailHeaderAddresses(raw(['From: a@b.com', '', 'x'], '\n')).headersEnded).toBe(true);
  });
});

describe('namesErasedAddress', () => {
  const who = { addresses: ['jonas@pathname.com'], domains: ['pathname.com', 'gmail.com'] };
  it('matches the address, the domain and its subdomains only', () => {
    expect(namesErasedAddress(['jonas@pathname.com'], who)).toBe(true);
    expect(namesErasedAddress(['billing@eu.pathname.com'], who)).toBe(true);
    expect(namesErasedAddress(['@pathname.com'], who)).toBe(true);
    expect(namesErasedAddress(['ann@notpathname.com', 'x@pathname.com.evil.org'], who)).toBe(false);
  });

  it('never takes a free-mail domain along', () => {
    expect(namesErasedAddress(['someone@gmail.com'], who)).toBe(false);
    expect(namesErasedAddress(['jo@gmail.com'], { addresses: ['jo@gmail.com'], domains: [] })).toBe(true);
  });
});

describe('mailAddressIndex', () => {
  it('stores each domain with its parent domains, so an erased domain finds its subdomains by index', () => {
    expect(addressDomains(['billing@eu.pathname.com', '@gamma.io', 'x@odd..example.org', 'nobody@']).sort()).toEqual(
      ['eu.pathname.com', 'pathname.com', 'com', 'gamma.io', 'io', 'odd.example.org', 'example.org', 'org'].sort(),
    );
    // Whatever namesErasedAddress takes by a domain, the index holds that domain for it.
    const who = { addresses: [], domains: ['pathname.com'] };
    for (const a of ['billing@eu.pathname.com', 'a@b.c.pathname.com', '@pathname.com', 'x@odd..pathname.com'])
      expect(namesErasedAddress([a], who) && addressDomains([a]).includes('pathname.com'), a).toBe(true);
  });

  it('reads the whole source when the header section runs past the first 64 kB, as erase did', () => {
    const filler = Array.from({ length: 700 }, (_, i) => `X-Relay-${i}: ${'r'.repeat(90)}`);
    const cut = raw(['From: ann@acme.com', ...filler, 'Cc: Jonas <jonas@pathname.com>', '', 'body']);
    expect(cut.byteLength).toBeGreaterThan(64 * 1024);
    expect(mailAddressIndex(cut)).toEqual({
      addresses: ['ann@acme.com', 'jonas@pathname.com'],
      domains: ['acme.com', 'com', 'pathname.com'],
    });
    expect(mailAddressIndex(Buffer.alloc(0))).toEqual({ addresses: [], domains: [] });
  });
});
