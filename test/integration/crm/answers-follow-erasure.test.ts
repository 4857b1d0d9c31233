import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordCardRetractionsIn } from '../../../jobs/card-changes.ts';
import { recordDirectPost, type PostedCard } from '../../../src/db/posted-card.repository.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { eraseCustomerAndCards } from '../../../src/services/erase-customer.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import type { CardRetraction } from '../../../src/services/posted-cards.service.ts';
import { rememberDirectPost } from '../../../src/services/shared-place.service.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

/**
 * Command answers posted in channels keep the customers they name (Reply.about → Delivery.aboutCompanyIds),
 * and erasing one of those customers takes them back with its cards (the chat tests drive this through
 * Slack and Teams: slack-answers-follow-erasure, teams-answers-follow-erasure). Here, what the chat cannot
 * show: the retractions commit with the erasure, so a process that dies right after it still takes the
 * answers back (the reconciler queues what is written down), and an answer recorded after its customer's
 * erasure committed (the command read the customer just before) is taken back at once.
 */
describe.each(TEST_DATABASE_KINDS)('answers follow the erasure of the customers they name (%s)', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await t?.dispose();
  });

  const company = (name: string) =>
    t.db.prisma.company.create({ data: { name, normalizedName: normalizeCompanyName(name) } });
  const retractionsWritten = async () =>
    (await t.db.prisma.delivery.findMany({ where: { key: { startsWith: 'retract-' } }, orderBy: { key: 'asc' } })).map(
      (d) => ({ target: d.target, status: d.status, reason: (d.payload as { reason?: string }).reason }),
    );

  it('the retraction of every answer naming the erased customer is written down in the erasure’s transaction; answers naming only others stay', async () => {
    const acme = await company('Acme');
    const globex = await company('Globex');
    const rep = await t.db.prisma.rep.create({ data: { name: 'Admin' } });
    await recordDirectPost(t.db.sql, { target: 'slack:T1/C1/1.000001', externalId: '1.000002', about: [acme.id] });
    // A pick list naming both: it names Acme, so it goes whole.
    await recordDirectPost(t.db.sql, { target: 'teams:19:desk', externalId: 'a2', about: [globex.id, acme.id] });
    await recordDirectPost(t.db.sql, { target: 'slack:T1/C1', externalId: '1.000003', about: [globex.id] });
    await recordDirectPost(t.db.sql, { target: 'slack:T1/C1', externalId: '1.000004' }); // names nobody (help)

    // The process erasing dies right after the commit: nothing is queued (no cardsRetracted), only written down.
    await eraseCustomerAndCards(
      t.db,
      acme.id,
      { repId: rep.id, platform: 'console' },
      { ...noopPipelineHooks, recordCardRetractions: recordCardRetractionsIn },
    );

    expect(await retractionsWritten()).toEqual([
      { target: 'slack:T1/C1/1.000001', status: 'pending', reason: 'erased' },
      { target: 'teams:19:desk', status: 'pending', reason: 'erased' },
    ]);
  });

  it('an answer recorded after the customer it names was erased is taken back at once; one about a customer still here is not', async () => {
    const gone = await company('Initrode');
    const here = await company('Hooli');
    await t.db.prisma.company.delete({ where: { id: gone.id } });
    const taken: Array<{ posts: readonly PostedCard[]; reason: CardRetraction }> = [];
    const hooks = {
      cardsRetracted: async (posts: readonly PostedCard[], reason: CardRetraction) => {
        taken.push({ posts, reason });
      },
    };

    await rememberDirectPost(
      t.db,
      { target: 'slack:T1/C2/2.000001', externalId: '2.000002', about: [here.id] },
      undefined,
      hooks,
    );
    expect(taken).toEqual([]);
    await rememberDirectPost(
      t.db,
      { target: 'slack:T1/C2/2.000001', externalId: '2.000003', about: [here.id, gone.id] },
      undefined,
      hooks,
    );
    expect(taken).toEqual([{ posts: [{ target: 'slack:T1/C2/2.000001', externalId: '2.000003' }], reason: 'erased' }]);
    // Both are recorded (a place that becomes shared takes them back too).
    expect(await t.db.prisma.delivery.count({ where: { key: { startsWith: 'answer-' } } })).toBe(2);
  });
});
