import { describe, expect, it } from 'vitest';
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
