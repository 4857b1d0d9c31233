import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDeliveries, recordDeliveriesSent } from '../../../src/db/delivery.repository.ts';
import { createCustomer } from '../../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../../src/services/follow-ups.service.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { batchedDeliveryLedger } from '../../../jobs/delivery-ledger.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

const NO_HOOKS = { recordLogged: async () => {}, followUpChanged: async () => {} };

describe.each(TEST_DATABASE_KINDS)('delivery claims in one statement on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await t.dispose();
  });

  async function followUp(title: string) {
    const actor = { platform: 'console' as const, platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' };
    const rep = await findOrCreateRep(t.db.prisma, actor);
    const company = await createCustomer(t.db.prisma, `Globex ${randomUUID().slice(0, 6)}`, {
      repId: rep.id,
      platform: 'console',
    });
    return createFollowUp(
      t.db,
      {
        companyId: company.id,
        title,
        dueAt: new Date(Date.now() + 3_600_000),
        assigneeRepId: rep.id,
        actor: { repId: rep.id, platform: 'console' },
        fallbackRemindTarget: 'console:team',
      },
      NO_HOOKS,
    );
  }

  it('claims new, retried, sent, non-card and orphaned deliveries together, each as it would alone, in the order asked', async () => {
    const [fresh, retried, crashed, sent, erased] = await Promise.all(
      ['Fresh', 'Retried', 'Crashed', 'Sent', 'Erased'].map(followUp),
    );
    await t.db.prisma.delivery.createMany({
      data: [
        { key: `k-retried`, target: 'console:team', status: 'pending', attempts: 1, lastError: 'HTTP 503' },
        { key: `k-crashed`, target: 'console:team', status: 'posting', attempts: 1 },
        { key: `k-sent`, target: 'console:team', status: 'sent', attempts: 1, externalId: 'm-42' },
        { key: `k-digest-old`, target: 'console:team', status: 'pending', attempts: 0 },
      ],
    });
    await t.db.prisma.followUp.delete({ where: { id: erased.id } });

    const claimed = await claimDeliveries(t.db.sql, [
      { key: 'k-sent', target: 'console:team', followUpId: sent.id },
      { key: 'k-fresh', target: 'console:team', followUpId: fresh.id },
      { key: 'k-digest', target: 'console:team' },
      { key: 'k-retried', target: 'console:team', followUpId: retried.id },
      { key: 'k-crashed', target: 'console:team', followUpId: crashed.id },
      { key: 'k-erased', target: 'console:team', followUpId: erased.id },
      { key: 'k-digest-old', target: 'console:team' },
    ]);

    expect(claimed.map((c) => [c.status, c.markedPosting, c.card?.title ?? null, c.externalId])).toEqual([
      ['sent', false, null, 'm-42'], // done before: nothing to do, no card read
      ['pending', true, 'Fresh', null], // new: created and marked posting
      ['pending', false, null, null], // not a card: created pending, the job marks it itself
      ['pending', true, 'Retried', null], // retried after an error: marked posting again
      ['posting', true, 'Crashed', null], // an earlier run may have posted: the job asks the platform first
      ['pending', false, null, null], // its follow-up is gone: nothing will be posted
      ['pending', false, null, null], // existing, not a card: left as it is
    ]);
    const rows = new Map((await t.db.prisma.delivery.findMany()).map((d) => [d.key, d]));
    expect(rows.get('k-fresh')).toMatchObject({ status: 'posting', attempts: 1 });
    expect(rows.get('k-retried')).toMatchObject({ status: 'posting', attempts: 2 });
    expect(rows.get('k-crashed')).toMatchObject({ status: 'posting', attempts: 2 });
    expect(rows.get('k-sent')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(rows.get('k-digest')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(rows.get('k-erased')).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('records posts together: each delivery sent, each card remembered on its follow-up', async () => {
    const [a, b] = await Promise.all(['A', 'B'].map(followUp));
    await claimDeliveries(t.db.sql, [
      { key: 'k-a', target: 'console:team', followUpId: a.id },
      { key: 'k-b', target: 'console:team' },
    ]);
    await recordDeliveriesSent(t.db.sql, [
      { key: 'k-a', externalId: 'm-1', followUp: { id: a.id, messageRef: 'console:team|m-1', purpose: 'reminder' } },
      { key: 'k-b', externalId: 'm-2' },
    ]);
    expect(
      await t.db.prisma.delivery.findMany({
        orderBy: { key: 'asc' },
        select: { key: true, status: true, externalId: true },
      }),
    ).toEqual([
      { key: 'k-a', status: 'sent', externalId: 'm-1' },
      { key: 'k-b', status: 'sent', externalId: 'm-2' },
    ]);
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: a.id } })).messageRef).toBe('console:team|m-1');
    expect((await t.db.prisma.followUp.findUniqueOrThrow({ where: { id: b.id } })).messageRef).toBeNull();
  });

  it("batches concurrent claims through the ledger; of a key claimed twice at once the second waits for the first one's lease", async () => {
    const f = await followUp('Twice');
    const ledger = batchedDeliveryLedger(t.db.sql, { maxBatch: 16, maxInFlight: 1, leaseMs: 300 });
    const [first, second] = await Promise.all([
      ledger.claim({ key: 'k-twice', target: 'console:team', followUpId: f.id }),
      ledger.claim({ key: 'k-twice', target: 'console:team', followUpId: f.id }),
    ]);
    // The second claim finds the first's live lease: it must wait, not post beside it (no attempt counted).
    expect([first.status, second.status]).toEqual(['pending', 'posting']);
    expect([first.markedPosting, second.markedPosting]).toEqual([true, false]);
    expect(second.heldUntil).toBeInstanceOf(Date);
    expect((await t.db.prisma.delivery.findUniqueOrThrow({ where: { key: 'k-twice' } })).attempts).toBe(1);
    // Once the lease ran out (its holder died), the next claim takes over; `posting` tells it to check the platform first.
    await new Promise((r) => setTimeout(r, 400));
    const third = await ledger.claim({ key: 'k-twice', target: 'console:team', followUpId: f.id });
    expect([third.status, third.markedPosting, third.heldUntil]).toEqual(['posting', true, undefined]);
    expect((await t.db.prisma.delivery.findUniqueOrThrow({ where: { key: 'k-twice' } })).attempts).toBe(2);
  });

  it('redoes a claim batch the database refuses one delivery at a time: only the refused one fails', async () => {
    const follows = await Promise.all(['One', 'Two', 'Three'].map(followUp));
    await t.db.sql.exec(`
      CREATE FUNCTION test_refuse_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.key = 'k-Two' THEN RAISE EXCEPTION 'this delivery cannot be stored'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_delivery BEFORE INSERT ON "Delivery" FOR EACH ROW EXECUTE FUNCTION test_refuse_delivery();`);
    const ledger = batchedDeliveryLedger(t.db.sql, { maxBatch: 16, maxInFlight: 1 });
    const results = await Promise.allSettled(
      follows.map((f) => ledger.claim({ key: `k-${f.title}`, target: 'console:team', followUpId: f.id })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain('this delivery cannot be stored');
    expect((await t.db.prisma.delivery.findMany({ orderBy: { key: 'asc' } })).map((d) => d.key)).toEqual([
      'k-One',
      'k-Three',
    ]);
  });
});
