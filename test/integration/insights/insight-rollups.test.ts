import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory, writeHistory } from '../../../bench/insights-history.ts';
import { rebuildInsightRollups } from '../../../src/db/insight-rollups.repository.ts';
import { inboundCountsByLabel } from '../../../src/db/insights.repository.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { healthInsight } from '../../../src/insights/health.service.ts';
import { parseInsightsPeriod } from '../../../src/insights/insights-period.ts';
import type { InsightsSettings } from '../../../src/insights/insights-settings.ts';
import { responsivenessInsight } from '../../../src/insights/responsiveness.service.ts';
import { satisfactionInsight } from '../../../src/insights/satisfaction.service.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';

/** Not on a day or an hour: the period's edges cut days in two. */
const NOW = new Date('2026-11-30T15:07:00Z');
const DAY = 86_400_000;
const MIDNIGHT = new Date(Math.floor(NOW.getTime() / DAY) * DAY);
const SETTINGS: InsightsSettings = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};

/** Floats rounded to 9 places: sums over days add in another order than over messages. */
const rounded = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v), (_k, x) => (typeof x === 'number' ? Math.round(x * 1e9) / 1e9 : x));

describe.each(TEST_DATABASE_KINDS)('insights from daily rollups on %s', (kind) => {
  let t: TestDatabase;
  const period = parseInsightsPeriod('45d', NOW);

  /** Every figure of the 45-day window that rollups feed. */
  const figures = async () => ({
    health: await healthInsight(t.db, period, SETTINGS),
    responsiveness: await responsivenessInsight(t.db, period, SETTINGS),
    satisfaction: await Promise.all(
      (['all', 'customer', 'team', 'label'] as const).map((by) => satisfactionInsight(t.db, period, { by })),
    ),
    labels: Object.fromEntries(await inboundCountsByLabel(t.db.sql, period)),
  });
  const live = async () => {
    await t.db.sql.query(`DELETE FROM "InsightSnapshot" WHERE key = 'rollups:until'`);
    return figures();
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    // 100 days of history: the 45-day health lookback reaches 90 days back.
    await writeHistory(
      t.db,
      generateHistory({ customers: 40, churners: 8, strength: 'realistic', now: NOW, periodDays: 50, seed: 11 }),
    );
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  it('gives the same 45-day figures from rollups (whole days) plus live edges as computed live', async () => {
    await rebuildInsightRollups(t.db, MIDNIGHT);
    const [{ n }] = await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "InsightDaily"`);
    const [{ turns }] = await t.db.sql.query<{ turns: number }>(`SELECT count(*)::int AS turns FROM "InsightTurn"`);
    expect(n).toBeGreaterThan(100);
    expect(turns).toBeGreaterThan(100);
    const rolled = await figures();
    const computed = await live();
    expect(computed.health.customers.length).toBeGreaterThan(20);
    expect(computed.health.atRisk.length).toBeGreaterThan(0);
    expect(computed.responsiveness.overall.length).toBeGreaterThan(0);
    expect(rounded(rolled)).toEqual(rounded(computed));
  });

  it('rollups ten days old: later days, a reply since is read live and still agree', async () => {
    await rebuildInsightRollups(t.db, new Date(MIDNIGHT.getTime() - 10 * DAY));
    // A turn left unanswered when the rollups were built gets its reply afterwards.
    const [open] = await t.db.sql.query<{ messageId: string; recordId: string; askedAt: Date | string }>(
      `SELECT "messageId", "recordId", "askedAt" FROM "InsightTurn"
        WHERE "replyId" IS NULL AND "askedAt" > $1 ORDER BY "askedAt" DESC LIMIT 1`,
      [new Date(MIDNIGHT.getTime() - 40 * DAY)],
    );
    expect(open).toBeDefined();
    await t.db.sql.query(
      `INSERT INTO "Message" (id, "recordId", "externalId", direction, "authorName", "authorEmail", text, "cleanText", "sentAt", "updatedAt")
       VALUES ($1, $2, $3, 'outbound', 'Ann Rep', 'ann@ours.example', 'Sorted', 'Sorted', $4, now())`,
      [randomUUID(), open.recordId, `late:${open.messageId}`, new Date(MIDNIGHT.getTime() - 2 * DAY)],
    );
    const rolled = await figures();
    const computed = await live();
    const answered = (f: typeof rolled) =>
      f.responsiveness.overall.find((s) => s.kind === 'all')?.answered ?? Number.NaN;
    expect(answered(rolled)).toBe(answered(computed));
    expect(rounded(rolled)).toEqual(rounded(computed));
  });
});
