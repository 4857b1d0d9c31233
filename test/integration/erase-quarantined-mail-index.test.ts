import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quarantineMail } from '../../src/db/mail-quarantine.repository.ts';
import { normalizeCompanyName } from '../../src/domain/normalize-company-name.ts';
import { eraseCustomer } from '../../src/services/erase-customer.service.ts';
import { buildEmail } from '../helpers/email-fixtures.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../helpers/test-database.ts';

/** A header section longer than the 64 kB erase reads first: 700 lines of 100 bytes before the rest. */
const FILLER = Array.from({ length: 700 }, (_, i) => `X-Relay-${String(i).padStart(4, '0')}: ${'r'.repeat(82)}`);

describe.each(TEST_DATABASE_KINDS)('erase finds quarantined mail by the addresses stored with it (%s)', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await t.dispose();
  });

  /** Pathname, with Jonas at the company and at Gmail. */
  async function pathname() {
    return t.db.prisma.company.create({
      data: {
        name: 'Pathname',
        normalizedName: normalizeCompanyName('Pathname'),
        domains: ['pathname.com'],
        contacts: {
          create: {
            name: 'Jonas Svanstrom',
            normalizedName: 'jonas svanstrom',
            emails: ['jonas@pathname.com', 'jonas.svanstrom@gmail.com'],
          },
        },
      },
    });
  }

  async function quarantine(raw: string | Buffer): Promise<string> {
    const source = typeof raw === 'string' ? Buffer.from(raw) : raw;
    await quarantineMail(t.db, {
      mailbox: 'support@support.example',
      raw: source,
      headers: {},
      error: 'refused',
      note: 'kept for rapport mail retry',
    });
    const rows = await t.db.sql.query<{ id: string }>(
      `SELECT id::text AS id FROM "MailQuarantine" WHERE "sourceHash" = $1`,
      [createHash('sha256').update(source).digest('hex')],
    );
    return rows[0].id;
  }

  /** What the row holds for erase to find it by (null: never read, as rows kept before the migration). */
  async function stored(id: string) {
    const [row] = await t.db.sql.query<{ addresses: string[] | null; domains: string[] | null }>(
      `SELECT "headerAddresses" AS addresses, "headerDomains" AS domains FROM "MailQuarantine" WHERE id = $1::uuid`,
      [id],
    );
    return row;
  }

  async function left(): Promise<string[]> {
    const rows = await t.db.sql.query<{ id: string }>(`SELECT id::text AS id FROM "MailQuarantine" ORDER BY id`);
    return rows.map((r) => r.id).sort();
  }

  it('deletes the mails naming the customer (an address, a subdomain, an undecodable header) and keeps the rest', async () => {
    const company = await pathname();
    await quarantine(buildEmail({ from: 'Jonas <Jonas.Svanstrom@gmail.com>', body: 'from Gmail' }));
    const bySubdomain = await quarantine(
      buildEmail({ from: 'Ann <ann@acme.com>', extra: ['Reply-To: "Pathname Billing" <billing@eu.pathname.com>'] }),
    );
    // A display name no decoder reads (an unknown charset, bytes that are not UTF-8): the address still counts.
    const undecodable = await quarantine(
      Buffer.concat([
        Buffer.from('From: =?x-unknown?B?////?= '),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from(' <kim@PathName.com>\r\nTo: support@support.example\r\nSubject: =?utf-8?Q?=FF?=\r\n\r\nbody\r\n'),
      ]),
    );
    const otherGmail = await quarantine(
      buildEmail({ from: 'Someone <someone@gmail.com>', body: 'another Gmail user' }),
    );
    const lookalike = await quarantine(buildEmail({ from: 'Ann <ann@acme.com>', to: 'x@notpathname.com' }));

    // Read once, when quarantined: erase looks these up instead of reading every mail's source.
    expect(await stored(bySubdomain)).toEqual({
      addresses: expect.arrayContaining(['ann@acme.com', 'billing@eu.pathname.com']),
      domains: expect.arrayContaining(['acme.com', 'eu.pathname.com', 'pathname.com']),
    });
    expect((await stored(undecodable)).addresses).toEqual(['kim@pathname.com', 'support@support.example']);

    const { counts } = await eraseCustomer(t.db, company.id, { repId: 'admin', platform: 'cli' });
    expect(counts.quarantinedMails).toBe(3);
    expect(await left()).toEqual([otherGmail, lookalike].sort());
  });

  it('keeps a mail whose address headers hold a NUL, and erase finds it (PostgreSQL text refuses NUL)', async () => {
    const company = await pathname();
    const nul = await quarantine(
      Buffer.from('From: Kim <ki\u0000m@pathname.com>\r\nTo: support@support.example\r\nSubject: x\r\n\r\nbody\r\n'),
    );
    expect((await stored(nul)).addresses).toEqual(['m@pathname.com', 'support@support.example']);
    const { counts } = await eraseCustomer(t.db, company.id, { repId: 'admin', platform: 'cli' });
    expect(counts.quarantinedMails).toBe(1);
    expect(await left()).toEqual([]);
  });

  it('reads a header section longer than 64 kB whole when the mail is quarantined, and erase finds it', async () => {
    const company = await pathname();
    const cut = await quarantine(
      buildEmail({ from: 'Ann <ann@acme.com>', extra: [...FILLER, 'Cc: Jonas <jonas@pathname.com>'] }),
    );
    const cutOther = await quarantine(
      buildEmail({ from: 'Ann <ann@acme.com>', extra: [...FILLER, 'Cc: bo@acme.com'] }),
    );
    expect((await stored(cut)).addresses).toContain('jonas@pathname.com');

    const { counts } = await eraseCustomer(t.db, company.id, { repId: 'admin', platform: 'cli' });
    expect(counts.quarantinedMails).toBe(1);
    expect(await left()).toEqual([cutOther]);
  });

  it('finds rows quarantined before the addresses were stored, reads each once, and stores them', async () => {
    const company = await pathname();
    const oldCc = await quarantine(
      buildEmail({ from: 'Ann <ann@acme.com>', extra: ['Cc: Sales <sales@de.pathname.com>'] }),
    );
    await quarantine(
      buildEmail({ from: 'Ann <ann@acme.com>', extra: [...FILLER, 'Sender: jonas.svanstrom@gmail.com'] }),
    );
    const oldOther = await quarantine(buildEmail({ from: 'Ann <ann@acme.com>', body: 'Acme alone' }));
    const requarantined = await quarantine(buildEmail({ from: 'Bo <bo@acme.com>', body: 'fails again' }));
    // As the migration left the rows kept before it: nothing read.
    await t.db.sql.exec(`UPDATE "MailQuarantine" SET "headerAddresses" = NULL, "headerDomains" = NULL`);
    expect(await stored(oldCc)).toEqual({ addresses: null, domains: null });
    // 450 more, over three pages of the scan, their lines ending in CR LF, LF, or LF with a CR LF empty line;
    // 9 name Pathname at a subdomain, in the header just before the empty line.
    await t.db.sql.exec(`
      INSERT INTO "MailQuarantine" (id, "sourceHash", mailbox, raw, error, note, "updatedAt")
      SELECT gen_random_uuid(), 'bulk' || i, 'support@support.example',
             convert_to('From: a' || i || '@acme.com' || eol || 'Subject: old ' || i || eol
                        || CASE WHEN i % 150 < 3 THEN 'Cc: Ops <ops@de.pathname.com>' || eol ELSE '' END
                        || CASE WHEN i % 3 = 2 THEN E'\r\n' ELSE eol END || 'body', 'UTF8'),
             'refused', 'kept', now()
        FROM generate_series(1, 450) i,
             LATERAL (SELECT CASE WHEN i % 3 = 0 THEN E'\r\n' ELSE E'\n' END AS eol) l`);
    const bulk = (
      await t.db.sql.query<{ id: string }>(
        `SELECT id::text AS id FROM "MailQuarantine" WHERE "sourceHash" LIKE 'bulk%'`,
      )
    ).map((r) => r.id);

    // The same mail failing again (a sync that meets it again) stores them on the old row.
    const [again] = await t.db.sql.query<{ raw: Uint8Array }>(`SELECT raw FROM "MailQuarantine" WHERE id = $1::uuid`, [
      requarantined,
    ]);
    await quarantineMail(t.db, {
      mailbox: 'support@support.example',
      raw: Buffer.from(again.raw),
      headers: {},
      error: 'refused again',
      note: 'kept for rapport mail retry',
    });
    expect(await stored(requarantined)).toEqual({
      addresses: ['bo@acme.com', 'support@support.example'],
      domains: expect.arrayContaining(['acme.com', 'support.example']),
    });

    const { counts } = await eraseCustomer(t.db, company.id, { repId: 'admin', platform: 'cli' });
    expect(counts.quarantinedMails).toBe(2 + 9);
    expect((await left()).filter((id) => !bulk.includes(id))).toEqual([oldOther, requarantined].sort());
    // Read a page at a time (200 rows): none passed over, and none left unread for the next erase.
    expect(await left()).toHaveLength(2 + 441);
    const [unread] = await t.db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "MailQuarantine" WHERE "headerAddresses" IS NULL`,
    );
    expect(unread.n).toBe(0);
    // Read by this erase, stored: the next erase finds it by index.
    expect(await stored(oldOther)).toEqual({
      addresses: ['ann@acme.com', 'support@support.example'],
      domains: expect.arrayContaining(['acme.com', 'com', 'support.example', 'example']),
    });
  });
});
