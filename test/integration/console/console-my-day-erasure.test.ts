import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseCustomerAndCards } from '../../../src/services/erase-customer.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { findOrCreateRep } from '../../../src/services/reps.service.ts';
import { HealthFixtures } from '../../helpers/customer-health-fixtures.ts';
import { startConsoleServer, type ConsoleServer } from '../../helpers/console-server.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

// Security review: "My day" reused a live team ranking for a minute without looking at the erasure
// mark, so a customer erased within that minute was still named there (README, "Erase means erase").
describe.each(TEST_DATABASE_KINDS)('"My day" right after an erasure (%s)', (kind) => {
  let t: TestDatabase;
  let app: ConsoleServer;

  let fixtures: HealthFixtures;

  /** The at-risk names on "My day", as the console's page fetches them (the operator's own tool here). */
  const atRiskOnMyDay = async (): Promise<string[]> => {
    const res = await fetch(`${app.base}/api/my-day`);
    expect(res.status).toBe(200);
    const day = (await res.json()) as { atRisk: { source: string; customers: { name: string }[] } };
    expect(day.atRisk.source).toBe('live'); // no snapshot: the ranking the console computes and keeps a minute
    return day.atRisk.customers.map((c) => c.name);
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fixtures = new HealthFixtures(t.db);
    app = await startConsoleServer(t.db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('a customer on "My day" is gone from it at the very next request after it is erased', async () => {
    const rep = await findOrCreateRep(t.db.prisma, { platform: 'console', platformUserId: 'kim', timezone: 'UTC' });
    const doomed = await fixtures.atRiskCustomer('Doomed Co', rep.id);
    await fixtures.atRiskCustomer('Churny Co', rep.id);
    expect(await atRiskOnMyDay()).toEqual(expect.arrayContaining(['Doomed Co', 'Churny Co']));

    // Erased as chat `forget` and `rapport erase` erase, well within the minute the ranking is kept.
    await eraseCustomerAndCards(t.db, doomed, { repId: 'admin', platform: 'console' }, noopPipelineHooks);
    const after = await atRiskOnMyDay();
    expect(after).not.toContain('Doomed Co');
    expect(after).toContain('Churny Co');
  });
});
