import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { logEmails } from '../../../src/services/log-email.service.ts';
import type { InboundEmail } from '../../../src/domain/email-message.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { migrationsWhere } from '../../helpers/migrations-where.ts';

const MIGRATION = '20261202133736_unique_customers';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe.each(TEST_DATABASE_KINDS)('unique customers on %s', (kind) => {
  let t: TestDatabase;
  const dirs: string[] = [];
  beforeEach(async () => {
    t = await createTestDatabase(kind, { migrate: false });
  });
  afterEach(async () => {
    await t.dispose();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('the migration merges existing duplicates (by name, then by domain): records, contacts and follow-ups move, with an audit entry', async () => {
    const before = migrationsWhere((name) => name < MIGRATION);
    const through = migrationsWhere((name) => name <= MIGRATION);
    dirs.push(before, through);
    await migrate(t.db, before);
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", domains, "createdAt", "updatedAt") VALUES
        ('${id(1)}', 'Acme', 'acme', '{}', now() - interval '3 days', now()),
        ('${id(2)}', 'ACME Corp.', 'acme', '{acme.com}', now() - interval '2 days', now()),
        ('${id(3)}', 'Acme Inc', 'acme', '{}', now() - interval '1 day', now()),
        ('${id(4)}', 'Globex', 'globex', '{globex.com}', now() - interval '2 days', now()),
        ('${id(5)}', 'Globex International', 'globex international', '{globex.com,globex.de}', now(), now()),
        ('${id(6)}', 'Initech', 'initech', '{initech.com}', now(), now());
      INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt") VALUES
        ('${id(11)}', '${id(1)}', 'note', 'k1', now(), now(), now(), now()),
        ('${id(12)}', '${id(2)}', 'note', 'k2', now(), now(), now(), now()),
        ('${id(13)}', '${id(3)}', 'note', 'k3', now(), now(), now(), now()),
        ('${id(15)}', '${id(5)}', 'email', 'k5', now(), now(), now(), now());
      INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "createdAt", "updatedAt") VALUES
        ('${id(21)}', '${id(2)}', 'Wile', 'wile', '{wile@acme.com}', now(), now()),
        ('${id(25)}', '${id(5)}', 'Hank', 'hank', '{hank@globex.de}', now(), now());
      INSERT INTO "FollowUp" (id, "companyId", "recordId", title, "dueAt", status, source, "createdAt", "updatedAt") VALUES
        ('${id(31)}', '${id(3)}', '${id(13)}', 'call back', now(), 'open', 'manual', now(), now());`);

    expect((await migrate(t.db, through)).applied).toEqual([MIGRATION]);

    const companies = await t.db.sql.query<{ id: string; domains: string[] }>(
      `SELECT id, domains FROM "Company" ORDER BY "createdAt", id`,
    );
    expect(companies).toEqual([
      { id: id(1), domains: ['acme.com'] },
      { id: id(4), domains: ['globex.com', 'globex.de'] },
      { id: id(6), domains: ['initech.com'] },
    ]);
    const owner = async (table: string) =>
      (await t.db.sql.query<{ c: string }>(`SELECT DISTINCT "companyId"::text AS c FROM "${table}" ORDER BY 1`)).map(
        (r) => r.c,
      );
    expect(await owner('CommunicationRecord')).toEqual([id(1), id(4)]);
    expect(await owner('Contact')).toEqual([id(1), id(4)]);
    expect(await owner('FollowUp')).toEqual([id(1)]);
    const audit = await t.db.sql.query<{ subject: string; merged: string }>(
      `SELECT subject, details->>'merged' AS merged FROM "AuditLog" WHERE action = 'customer.merge' ORDER BY 2`,
    );
    expect(audit).toEqual([
      { subject: id(1), merged: id(2) },
      { subject: id(1), merged: id(3) },
      { subject: id(4), merged: id(5) },
    ]);
    // And no new duplicate gets in, by name or by domain.
    await expect(
      t.db.sql.exec(
        `INSERT INTO "Company" (id, name, "normalizedName", "updatedAt") VALUES ('${id(7)}', 'acme', 'acme', now())`,
      ),
    ).rejects.toThrow();
    await expect(
      t.db.sql.exec(
        `INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt") VALUES ('${id(8)}', 'Other', 'other', '{initech.com}', now())`,
      ),
    ).rejects.toThrow(/initech\.com belongs to another customer/);
  });

  it('20 concurrent `log "<new name>" … --new` make one customer with 20 records', async () => {
    await migrate(t.db);
    const ctx = (i: number) => ({
      actor: {
        platform: 'console' as const,
        platformUserId: `rep${i % 4}`,
        displayName: `Rep ${i % 4}`,
        timezone: 'UTC',
      },
      channel: { platform: 'console' as const, channelRef: 'team', target: 'console:team' },
      now: new Date(),
      requestKey: `new-${i}`,
    });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        executeCommand(`log "Hooli XYZ" "Call ${i} about the renewal" --new`, ctx(i), {
          db: t.db,
          hooks: noopPipelineHooks,
        }),
      ),
    );
    expect(replies.map((r) => r.tone)).toEqual(Array(20).fill('success'));
    const companies = await t.db.prisma.company.findMany({ include: { _count: { select: { records: true } } } });
    expect(companies.map((c) => [c.name, c._count.records])).toEqual([['Hooli XYZ', 20]]);
    // A later --new of the same name (differently written) is that customer too, not a 21st company.
    await executeCommand('log "HOOLI xyz Inc." "one more" --new', ctx(99), { db: t.db, hooks: noopPipelineHooks });
    expect(await t.db.prisma.company.count()).toBe(1);
  });
});

describe.skipIf(!TEST_DATABASE_KINDS.includes('postgres'))('two transactions adding one new domain', () => {
  it('the second transaction waits for the first and is refused as a duplicate, never a second company', async () => {
    const t = await createTestDatabase('postgres');
    const a = new pg.Client({ connectionString: t.url });
    const b = new pg.Client({ connectionString: t.url });
    try {
      await Promise.all([a.connect(), b.connect()]);
      const insert = (c: pg.Client, n: number, name: string) =>
        c.query(
          `INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt") VALUES ($1, $2, $3, '{piedpiper.com}', now())`,
          [id(n), name, name.toLowerCase()],
        );
      await a.query('BEGIN');
      await b.query('BEGIN');
      await insert(a, 1, 'Piedpiper');
      const second = insert(b, 2, 'Pied Piper Mail').then(
        () => 'inserted',
        (err: Error & { code?: string }) => err.code,
      );
      await new Promise((r) => setTimeout(r, 300)); // b is waiting on a's lock, not done
      await a.query('COMMIT');
      expect(await second).toBe('23505');
      await b.query('ROLLBACK');
      expect(await t.db.prisma.company.count({ where: { domains: { has: 'piedpiper.com' } } })).toBe(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
      await t.dispose();
    }
  });
});

/** One mail from a person at a domain nobody has seen, as an IMAP sync of `mailbox` reads it. */
function mailFrom(email: string, mailbox: string, n: number): InboundEmail {
  return {
    messageId: `race-${n}@hooli.example`,
    inReplyTo: undefined,
    references: [],
    subject: `Question ${n}`,
    from: { email, name: email.split('@')[0] },
    to: [{ email: mailbox, name: '' }],
    cc: [],
    sentAt: new Date(),
    headers: {},
    contentType: 'text/plain',
    text: `Hello, question number ${n} about our contract.`,
    attachments: [],
    bodyNote: undefined,
    sizeBytes: 100,
    origin: { mailbox },
  };
}

describe.skipIf(!TEST_DATABASE_KINDS.includes('postgres'))('two mailboxes racing on a new domain', () => {
  it('both mails are logged, at one company: the loser of the race sees the winner’s company on its retry', async () => {
    const t = await createTestDatabase('postgres');
    try {
      const sync = (mailbox: string, from: string, n: number) =>
        logEmails(t.db, [mailFrom(from, mailbox, n)], {
          internalDomains: [mailbox.split('@')[1]],
          hooks: noopPipelineHooks,
          // The race is on creating the company: every first inbound sender makes one here (the installed
          // default, 'answered', waits for our reply and would create none).
          createCompanies: 'all',
        });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          sync(i % 2 ? 'sales@us.rapport.example' : 'support@eu.rapport.example', `person${i}@newco.example`, i),
        ),
      );
      expect(results.map((r) => r.failure)).toEqual(Array(6).fill(undefined));
      expect(results.map((r) => r.outcomes[0].status)).toEqual(Array(6).fill('logged'));
      const companies = await t.db.prisma.company.findMany({ include: { _count: { select: { contacts: true } } } });
      expect(companies.map((c) => [c.domains, c._count.contacts])).toEqual([[['newco.example'], 6]]);
    } finally {
      await t.dispose();
    }
  });
});
