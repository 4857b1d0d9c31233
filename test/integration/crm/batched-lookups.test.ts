import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import type { Database, SqlRunner } from '../../../src/db/database.ts';
import { lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { normalizeCompanyName, normalizePersonName } from '../../../src/domain/normalize-company-name.ts';

// Issue 15, "Acks that never wait": every `/crm log` looks up its rep and its customer before it
// writes. Lookups made at the same moment go as one statement each (group commit for reads), and each
// caller still gets exactly what a lookup of its own would have answered.
describe.each(TEST_DATABASE_KINDS)('lookups of concurrent commands on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const acme = await t.db.prisma.company.create({
      data: { name: 'Batch Acme', normalizedName: normalizeCompanyName('Batch Acme'), domains: [] },
    });
    await t.db.prisma.company.create({
      data: { name: 'Batch Globex', normalizedName: normalizeCompanyName('Batch Globex'), domains: [] },
    });
    await t.db.prisma.contact.create({
      data: { companyId: acme.id, name: 'Jo Batchley', normalizedName: normalizePersonName('Jo Batchley') },
    });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('answers a burst of exact lookups in one statement, each with its own matches', async () => {
    let statements = 0;
    const sql: SqlRunner = {
      exec: (text) => t.db.sql.exec(text),
      query: (text, params, opts) => {
        statements++;
        return t.db.sql.query(text, params, opts);
      },
    };
    const db: Database = { ...t.db, sql };
    const typed = ['batch acme', 'Batch Globex', 'jo batchley', 'batch nobody', 'BATCH ACME'];
    const alone = [];
    for (const name of typed) alone.push(await lookupCustomer(t.db, name, { exactOnly: true }));
    const together = await Promise.all(typed.map((name) => lookupCustomer(db, name, { exactOnly: true })));
    expect(together).toEqual(alone);
    expect(together.map((m) => m[0]?.companyName)).toEqual([
      'Batch Acme',
      'Batch Globex',
      'Batch Acme',
      undefined,
      'Batch Acme',
    ]);
    expect(statements).toBe(1);
  });

  it('finds (or creates) the rep of each of a burst of commands', async () => {
    const actor = (id: string) => ({
      platform: 'slack' as const,
      platformUserId: `TB/${id}`,
      displayName: id,
      timezone: 'UTC',
    });
    const first = await findOrCreateRep(t.db.prisma, actor('UB1'));
    await findOrCreateRep(t.db.prisma, actor('UB2'));
    // UB3 is new: created once (it is asked for once; two concurrent first commands of one person race as before).
    const ids = ['UB1', 'UB2', 'UB1', 'UB3', 'UB2'];
    const reps = await Promise.all(ids.map((id) => findOrCreateRep(t.db.prisma, actor(id))));
    expect(reps[0].id).toBe(first.id);
    expect(reps[2].id).toBe(first.id);
    expect(new Set(reps.map((r) => r.id)).size).toBe(3);
    for (const [i, rep] of reps.entries()) expect(rep.platformUserIds).toContain(`slack:TB/${ids[i]}`);
    expect(
      await t.db.prisma.rep.count({ where: { platformUserIds: { hasSome: ['slack:TB/UB2', 'slack:TB/UB3'] } } }),
    ).toBe(2);
  });
});
