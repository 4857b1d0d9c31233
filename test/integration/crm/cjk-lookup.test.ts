import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import type { Reply } from '../../../src/commands/reply-model.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { normalizeCompanyName, normalizePersonName } from '../../../src/domain/normalize-company-name.ts';
import { isTombstoned } from '../../../src/services/tombstones.service.ts';

// Issue 18, "Lookup and matching for CJK names": what a rep types to find a customer whose name is
// written in Chinese, on PGlite, on PostgreSQL, and on a PostgreSQL database whose LC_CTYPE is C (there
// pg_trgm sees no trigram in Chinese text at all). Each test creates the customers it looks for, with
// names no other test uses, so any test passes alone and in any order.
const NOW = new Date('2026-11-23T15:00:00Z');
const SETUPS = [
  ...TEST_DATABASE_KINDS.map((kind) => ({ label: kind, kind, ctype: undefined })),
  ...(TEST_DATABASE_KINDS.includes('postgres')
    ? [{ label: 'postgres with LC_CTYPE C', kind: 'postgres' as const, ctype: 'C' as const }]
    : []),
];

describe.each(SETUPS)('customers with Chinese names on $label', ({ kind, ctype }) => {
  let t: TestDatabase;
  const ctx = (): CommandContext => ({
    actor: { platform: 'console', platformUserId: 'mei', displayName: 'Mei', timezone: 'Asia/Shanghai' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: NOW,
    requestKey: randomUUID(),
  });
  const run = (text: string): Promise<Reply> => executeCommand(text, ctx(), { db: t.db, hooks: noopPipelineHooks });
  const customer = (name: string) =>
    t.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name), domains: [] } });
  const names = async (typed: string) => (await lookupCustomer(t.db, typed)).map((m) => m.companyName);

  beforeAll(async () => {
    t = await createTestDatabase(kind, { ctype });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('finds 华为技术有限公司 by 华为, by its name without the legal form, and by its full name', async () => {
    await customer('华为技术有限公司');
    for (const typed of ['华为', '华为技术', '华为技术有限公司', '华为技术股份有限公司'])
      expect(await names(typed), typed).toEqual(['华为技术有限公司']);
    const [match] = await lookupCustomer(t.db, '华为');
    expect(match).toMatchObject({ kind: 'prefix', wholeWordPrefix: true });
    const card = await run('lookup 华为');
    expect(card.title).toBe('华为技术有限公司');
    expect(card.text).toContain('华为技术有限公司: 0 contacts');
  });

  it('the database locale decides what pg_trgm sees in Chinese; lookups do not depend on it', async () => {
    const [{ trigrams }] = await t.db.sql.query<{ trigrams: string[] }>(`SELECT show_trgm('比亚迪') AS trigrams`);
    // Under LC_CTYPE C, Han characters are not letters to pg_trgm: no trigram, similarity 0 even to itself.
    expect(trigrams.length === 0).toBe(ctype === 'C');
    await customer('比亚迪汽车工业有限公司');
    expect(await names('比亚迪')).toEqual(['比亚迪汽车工业有限公司']);
    expect(await names('比亚笛汽车')).toEqual(['比亚迪汽车工业有限公司']); // one wrong character
  });

  it('legal forms and group words in Chinese and German are one customer with the bare name', async () => {
    const alibaba = await customer('阿里巴巴集团控股有限公司');
    await customer('Siemens AG');
    expect(alibaba.normalizedName).toBe('阿里巴巴');
    expect(await names('阿里巴巴集团')).toEqual(['阿里巴巴集团控股有限公司']);
    expect(await names('Siemens Aktiengesellschaft')).toEqual(['Siemens AG']);
    // Creating "阿里巴巴有限公司" finds the customer that exists instead of making a second one.
    const logged = await run('log 阿里巴巴有限公司 「续约的事下周再谈」 --new');
    expect(logged.tone, logged.text).toBe('success');
    expect(await t.db.prisma.company.count({ where: { normalizedName: '阿里巴巴' } })).toBe(1);
    const record = await t.db.prisma.communicationRecord.findFirstOrThrow({
      where: { companyId: alibaba.id },
      include: { messages: true },
    });
    expect(record.messages[0].text).toBe('续约的事下周再谈');
  });

  it('a brand after a place name is found for reading, and asked about before writing', async () => {
    await customer('深圳市腾讯计算机系统有限公司');
    const [match] = await lookupCustomer(t.db, '腾讯');
    expect(match).toMatchObject({ companyName: '深圳市腾讯计算机系统有限公司', kind: 'similar' });
    expect((await run('lookup 腾讯')).title).toBe('深圳市腾讯计算机系统有限公司');
    const write = await run('remind 腾讯 明天 回电话');
    expect(write.title).toBe('Did you mean this customer?');
    expect(write.sections?.[0].buttons?.[0].command).toBe('remind 深圳市腾讯计算机系统有限公司 明天 回电话');
  });

  it('two customers sharing a brand give a pick list; a contact is found by a Chinese name', async () => {
    const phone = await customer('小米通讯技术有限公司');
    await customer('小米科技有限责任公司');
    expect((await names('小米')).sort()).toEqual(['小米通讯技术有限公司', '小米科技有限责任公司'].sort());
    expect((await run('lookup 小米')).title).toBe('Which customer?');
    await t.db.prisma.contact.create({
      data: { companyId: phone.id, name: '雷军', normalizedName: normalizePersonName('雷军'), emails: [] },
    });
    const [byContact] = await lookupCustomer(t.db, '雷军');
    expect(byContact).toMatchObject({ companyName: '小米通讯技术有限公司', matchedOn: 'contact', kind: 'exact' });
  });

  it('an erasure from before Chinese legal forms were dropped still blocks the company', async () => {
    // Erasures before issue 20 hashed the loose company key; back then 腾达网络科技有限公司 stayed whole.
    const before = createHash('sha256').update('company:腾达网络科技有限公司').digest('hex');
    await t.db.prisma.tombstone.create({ data: { keyHash: before, kind: 'company' } });
    expect(await isTombstoned(t.db, [{ kind: 'company', value: '腾达网络科技有限公司' }])).toBe(true);
    expect(await isTombstoned(t.db, [{ kind: 'company', value: '腾达网络科技' }])).toBe(false);
    const refused = await run('log 腾达网络科技有限公司 「又回来了」 --new');
    expect(refused.tone).toBe('error');
    expect(await t.db.prisma.company.count({ where: { name: '腾达网络科技有限公司' } })).toBe(0);
  });

  it('Latin names are matched as before next to Chinese ones', async () => {
    await customer('Zhongwen Trading GmbH');
    await customer('中文贸易有限公司');
    expect(await names('zhongwen')).toEqual(['Zhongwen Trading GmbH']);
    expect(await names('zhongwen trading')).toEqual(['Zhongwen Trading GmbH']);
    expect(await names('中文贸易')).toEqual(['中文贸易有限公司']);
  });
});
