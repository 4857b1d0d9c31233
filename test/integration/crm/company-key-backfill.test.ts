import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { COMPANY_KEY_MIGRATION } from '../../../src/db/company-key-backfill.ts';
import { migrate } from '../../../src/db/migrate.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { migrationsWhere } from '../../helpers/migrations-where.ts';

// Issue 18: companies created before Chinese and spelled-out German legal forms were dropped kept their
// old match key (华为技术有限公司 kept 华为技术有限公司), so `log 华为技术 … --new` made a second customer.
// The migration recomputes the keys and merges the companies that then collide.

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** The key a company got when it was created before this release. */
const oldKey = (name: string) => normalizeCompanyName(name, { asBeforeChinese: true });

describe.each(TEST_DATABASE_KINDS)('company match keys recomputed on %s', (kind) => {
  let t: TestDatabase;
  const dirs: string[] = [];
  beforeEach(async () => {
    t = await createTestDatabase(kind, { migrate: false });
    const before = migrationsWhere((name) => name < COMPANY_KEY_MIGRATION);
    dirs.push(before);
    await migrate(t.db, before);
  });
  afterEach(async () => {
    await t.dispose();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const companies = () =>
    t.db.sql.query<{ id: string; name: string; key: string; domains: string[] }>(
      `SELECT id::text AS id, name, "normalizedName" AS key, domains FROM "Company" ORDER BY "createdAt", id`,
    );
  const log = (text: string) =>
    executeCommand(
      text,
      {
        actor: { platform: 'console', platformUserId: 'mei', displayName: 'Mei', timezone: 'Asia/Shanghai' },
        channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
        now: new Date(),
        requestKey: `key-${text}`,
      },
      { db: t.db, hooks: noopPipelineHooks },
    );

  it('an old-key company is found by its short name and not created again after the migration', async () => {
    expect(oldKey('华为技术有限公司')).toBe('华为技术有限公司');
    await t.db.sql.query(
      `INSERT INTO "Company" (id, name, "normalizedName", "updatedAt") VALUES ($1, '华为技术有限公司', $2, now()),
         ($3, 'Müller GmbH', 'muller', now())`,
      [id(1), oldKey('华为技术有限公司'), id(2)],
    );
    // Later migrations (if any) are applied with it; this one is what is under test.
    expect((await migrate(t.db)).applied).toContain(COMPANY_KEY_MIGRATION);
    expect((await companies()).map((c) => [c.name, c.key])).toEqual([
      ['华为技术有限公司', '华为技术'],
      ['Müller GmbH', 'muller'],
    ]);
    const logged = await log('log 华为技术 「客户要报价」 --new');
    expect(logged.tone, logged.text).toBe('success');
    expect(logged.title).toBe('Logged for 华为技术有限公司');
    expect(await companies()).toHaveLength(2);
    // Applied once: a second start changes nothing.
    expect((await migrate(t.db)).applied).toEqual([]);
  });

  it('companies whose keys collide are merged into the oldest with nothing lost', async () => {
    await t.db.sql.exec(`
      INSERT INTO "Company" (id, name, "normalizedName", domains, "createdAt", "updatedAt") VALUES
        ('${id(1)}', '阿里巴巴集团控股有限公司', '${oldKey('阿里巴巴集团控股有限公司')}', '{alibaba.com}', now() - interval '3 days', now()),
        ('${id(2)}', '阿里巴巴', '阿里巴巴', '{alibaba.cn}', now() - interval '2 days', now()),
        ('${id(3)}', 'Siemens Aktiengesellschaft', '${oldKey('Siemens Aktiengesellschaft')}', '{}', now() - interval '2 days', now()),
        ('${id(4)}', 'Siemens AG', 'siemens', '{siemens.de}', now() - interval '1 day', now()),
        ('${id(5)}', 'Initech', 'initech', '{initech.com}', now(), now());
      INSERT INTO "CommunicationRecord" (id, "companyId", "channelKind", "sourceKey", "startedAt", "lastMessageAt", "createdAt", "updatedAt") VALUES
        ('${id(11)}', '${id(1)}', 'note', 'k1', now(), now(), now(), now()),
        ('${id(12)}', '${id(2)}', 'note', 'k2', now(), now(), now(), now()),
        ('${id(14)}', '${id(4)}', 'email', 'k4', now(), now(), now(), now());
      INSERT INTO "Contact" (id, "companyId", name, "normalizedName", emails, "createdAt", "updatedAt") VALUES
        ('${id(22)}', '${id(2)}', '马云', '马云', '{ma@alibaba.cn}', now(), now()),
        ('${id(24)}', '${id(4)}', 'Anna Schmidt', 'anna schmidt', '{anna@siemens.de}', now(), now());
      INSERT INTO "FollowUp" (id, "companyId", "recordId", title, "dueAt", status, source, "createdAt", "updatedAt") VALUES
        ('${id(32)}', '${id(2)}', '${id(12)}', '发报价', now(), 'open', 'manual', now(), now());
      INSERT INTO "ChannelLink" (id, platform, "channelRef", "companyId", "updatedAt") VALUES
        ('${id(42)}', 'slack', 'T1/C-ALI', '${id(2)}', now());
      INSERT INTO "TeamChannel" (id, "companyId", platform, "channelRef", "updatedAt") VALUES
        ('${id(52)}', '${id(2)}', 'slack', 'T1/C-TEAM', now());`);

    expect(await migrate(t.db)).toMatchObject({
      applied: expect.arrayContaining([COMPANY_KEY_MIGRATION]),
      // Later migrations' backfills (the email record's subject key) may report too.
      backfilled: expect.arrayContaining([
        `${COMPANY_KEY_MIGRATION}: 2 company match key(s) recomputed, 2 duplicate company(ies) merged into the oldest (audit log: customer.merge)`,
      ]),
    });

    expect(await companies()).toEqual([
      { id: id(1), name: '阿里巴巴集团控股有限公司', key: '阿里巴巴', domains: ['alibaba.cn', 'alibaba.com'] },
      { id: id(3), name: 'Siemens Aktiengesellschaft', key: 'siemens', domains: ['siemens.de'] },
      { id: id(5), name: 'Initech', key: 'initech', domains: ['initech.com'] },
    ]);
    const owners = async (table: string) =>
      (
        await t.db.sql.query<{ id: string; c: string }>(
          `SELECT id::text AS id, "companyId"::text AS c FROM "${table}" ORDER BY id`,
        )
      ).map((r) => [r.id, r.c]);
    expect(await owners('CommunicationRecord')).toEqual([
      [id(11), id(1)],
      [id(12), id(1)],
      [id(14), id(3)],
    ]);
    expect(await owners('Contact')).toEqual([
      [id(22), id(1)],
      [id(24), id(3)],
    ]);
    expect(await owners('FollowUp')).toEqual([[id(32), id(1)]]);
    expect(await owners('ChannelLink')).toEqual([[id(42), id(1)]]);
    expect(await owners('TeamChannel')).toEqual([[id(52), id(1)]]);
    const audit = await t.db.sql.query<{ subject: string; merged: string }>(
      `SELECT subject, details->>'merged' AS merged FROM "AuditLog" WHERE action = 'customer.merge' ORDER BY 2`,
    );
    expect(audit).toEqual([
      { subject: id(1), merged: id(2) },
      { subject: id(3), merged: id(4) },
    ]);
    // The merge function was the migration's own.
    const leftover = await t.db.sql.query(`SELECT 1 FROM pg_proc WHERE proname = 'rapport_merge_company'`);
    expect(leftover).toEqual([]);
    // The merged domains still belong to one company each, and the new keys still keep duplicates out.
    const logged = await log('log 阿里巴巴 「续约的事」 --new');
    expect(logged.title).toBe('Logged for 阿里巴巴集团控股有限公司');
    await expect(
      t.db.sql.exec(
        `INSERT INTO "Company" (id, name, "normalizedName", domains, "updatedAt") VALUES ('${id(6)}', 'Other', 'other', '{siemens.de}', now())`,
      ),
    ).rejects.toThrow(/siemens\.de belongs to another customer/);
  });
});
