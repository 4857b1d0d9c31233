import { describe, expect, it } from 'vitest';
import {
  type CustomerHealth,
  EVERY_CUSTOMER,
  FIRST_PAGE,
  type HealthInsight,
  holdsPage,
  pageHealth,
} from '../../../src/insights/health.service.ts';

/** `n` scored customers, riskiest first; every third at risk among the first half. */
function scored(n: number): HealthInsight {
  const customers = Array.from(
    { length: n },
    (_, i): CustomerHealth => ({
      companyId: `c${i}`,
      name: `C ${i}`,
      team: 'default',
      lastInboundAt: null,
      risk: n - i,
      health: 100 - Math.min(100, n - i),
      atRisk: i < n / 2 && i % 3 === 0,
      reasons: [],
    }),
  );
  const atRisk = customers.filter((c) => c.atRisk);
  return { scored: n, atRiskCount: atRisk.length, offset: 0, customers, atRisk };
}

describe('report pages of scored customers', () => {
  it('lists a page with the counts of all, and its at-risk customers among it', () => {
    const all = scored(2500);
    const page = pageHealth(all, { offset: 3, limit: 6 });
    expect(page).toMatchObject({ scored: 2500, atRiskCount: all.atRiskCount, offset: 3 });
    expect(page.customers.map((c) => c.companyId)).toEqual(['c3', 'c4', 'c5', 'c6', 'c7', 'c8']);
    expect(page.atRisk.map((c) => c.companyId)).toEqual(['c3', 'c6']);
    expect(pageHealth(all, FIRST_PAGE).customers).toHaveLength(1000);
    expect(pageHealth(all, EVERY_CUSTOMER).customers).toHaveLength(2500);
  });

  it('serves a page from a stored first page only when it holds every customer of it', () => {
    const stored = pageHealth(scored(2500), FIRST_PAGE);
    expect(holdsPage(stored, FIRST_PAGE)).toBe(true);
    expect(holdsPage(stored, { offset: 990, limit: 10 })).toBe(true);
    expect(holdsPage(stored, { offset: 995, limit: 10 })).toBe(false);
    expect(holdsPage(stored, EVERY_CUSTOMER)).toBe(false);
    // Fewer customers than a page: the stored list is all of them.
    const few = pageHealth(scored(40), FIRST_PAGE);
    expect(holdsPage(few, EVERY_CUSTOMER)).toBe(true);
    expect(holdsPage(few, { offset: 100, limit: 10 })).toBe(true);
    expect(pageHealth(few, { offset: 100, limit: 10 }).customers).toEqual([]);
    // A page listing from rank 5 cannot give ranks before it.
    expect(() => pageHealth(pageHealth(scored(40), { offset: 5, limit: 10 }), FIRST_PAGE)).toThrow(/rank 5/);
  });
});
